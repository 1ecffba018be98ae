# ISO images: grub-mkrescue builds one hybrid BIOS + UEFI image per call.
#
#   mica_add_iso(<name> [KERNEL <target>] [CMDLINE <text>] [FRAMEBUFFER]
#                [EXTRA_DIR <dir> EXTRA_CFG <file> EXTRA_DEPENDS <files>])
#
# Stages the tree in build/iso/ (for "mica") or build/iso-<name>/, with the
# kernel as boot/mica.elf, every server of the build as boot/<server>.elf,
# and a grub.cfg made from boot/grub.cfg; then writes build/<name>.iso.
# Test ISOs can add the files of EXTRA_DIR as boot/extra/ and the module2
# lines of EXTRA_CFG (see tests/harness/make_bad_modules.py).

get_property(MICA_SERVER_LIST GLOBAL PROPERTY MICA_SERVERS)

function(mica_add_iso name)
    cmake_parse_arguments(ARG "FRAMEBUFFER" "KERNEL;CMDLINE;EXTRA_DIR;EXTRA_CFG"
        "EXTRA_DEPENDS" ${ARGN})
    if(name STREQUAL "mica")
        set(stage ${CMAKE_BINARY_DIR}/iso)
    else()
        set(stage ${CMAKE_BINARY_DIR}/iso-${name})
    endif()
    set(iso ${CMAKE_BINARY_DIR}/${name}.iso)
    if(NOT ARG_KERNEL)
        set(ARG_KERNEL mica-kernel)
    endif()

    set(copy_servers "")
    set(server_files "")
    foreach(entry IN LISTS MICA_SERVER_LIST)
        string(REGEX REPLACE ":.*" "" s "${entry}") # "name" or "name:ondemand"
        list(APPEND copy_servers COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:${s}>
            ${stage}/boot/${s}.elf)
        list(APPEND server_files $<TARGET_FILE:${s}>)
    endforeach()
    set(copy_extra "")
    if(ARG_EXTRA_DIR)
        list(APPEND copy_extra COMMAND ${CMAKE_COMMAND} -E copy_directory
            ${ARG_EXTRA_DIR} ${stage}/boot/extra)
    endif()

    add_custom_command(OUTPUT ${iso}
        COMMAND ${CMAKE_COMMAND} -E rm -rf ${stage}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${stage}/boot/grub
        COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:${ARG_KERNEL}> ${stage}/boot/mica.elf
        ${copy_servers}
        ${copy_extra}
        COMMAND ${CMAKE_COMMAND} -DTEMPLATE=${PROJECT_SOURCE_DIR}/boot/grub.cfg
            -DOUT=${stage}/boot/grub/grub.cfg "-DCMDLINE=${ARG_CMDLINE}"
            "-DSERVERS=${MICA_SERVER_LIST}" "-DEXTRA_CFG=${ARG_EXTRA_CFG}"
            "-DFRAMEBUFFER=${ARG_FRAMEBUFFER}" -P ${PROJECT_SOURCE_DIR}/cmake/GrubCfg.cmake
        COMMAND ${MICA_GRUB_MKRESCUE} -o ${iso} ${stage} 2> ${CMAKE_BINARY_DIR}/${name}.iso.log
        DEPENDS ${ARG_KERNEL} ${server_files} ${PROJECT_SOURCE_DIR}/boot/grub.cfg
            ${PROJECT_SOURCE_DIR}/cmake/GrubCfg.cmake ${ARG_EXTRA_CFG} ${ARG_EXTRA_DEPENDS}
        COMMENT "Building ${name}.iso (BIOS + UEFI)"
        VERBATIM)
    add_custom_target(iso-${name} ALL DEPENDS ${iso})
endfunction()

mica_add_iso(mica)
include(Qemu)
