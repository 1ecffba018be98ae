# Targets that boot the ISO in QEMU with COM1 and QEMU's monitor on the
# terminal the command was typed in (-serial mon:stdio: Ctrl-a x quits):
#   run        BIOS (SeaBIOS); KVM when it works here, else TCG
#   run-uefi   UEFI (OVMF), same accelerator choice
#   debug      BIOS under TCG, QEMU waits for gdb on :1234 (see cmake/mica.gdb.in)
# All three go through cmake/run-qemu.sh, which reopens the terminal as
# stdin (`cmake --workflow` gives the build step /dev/null), picks the
# accelerator (the environment variable MICA_ACCEL, else the cache variable
# MICA_ACCEL, else KVM only if the probe boot sector cmake/kvm-probe.S exits
# under KVM; debug: always TCG), adds -display none when there is no
# display, and execs QEMU.

set(MICA_ACCEL "" CACHE STRING
    "QEMU accelerator for run targets: kvm, tcg, or empty/auto (kvm if the probe passes, else tcg); the MICA_ACCEL environment variable overrides it")
set_property(CACHE MICA_ACCEL PROPERTY STRINGS "" auto kvm tcg)
set(MICA_QEMU_MEMORY 256M CACHE STRING "Guest RAM for run targets")

# The KVM probe: a 512-byte boot sector, built with the project's clang and
# ld.lld as part of the normal build.
set(MICA_KVM_PROBE ${CMAKE_BINARY_DIR}/kvm-probe.img)
add_custom_command(OUTPUT ${MICA_KVM_PROBE}
    COMMAND ${CMAKE_ASM_COMPILER} --target=${MICA_TARGET_TRIPLE} -c
        ${PROJECT_SOURCE_DIR}/cmake/kvm-probe.S -o ${CMAKE_BINARY_DIR}/kvm-probe.o
    COMMAND ${MICA_LLD} -Ttext=0x7c00 --oformat binary
        ${CMAKE_BINARY_DIR}/kvm-probe.o -o ${MICA_KVM_PROBE}
    DEPENDS ${PROJECT_SOURCE_DIR}/cmake/kvm-probe.S
    COMMENT "Building the KVM probe kvm-probe.img" VERBATIM)
add_custom_target(kvm-probe ALL DEPENDS ${MICA_KVM_PROBE})

set(accel_default ${MICA_ACCEL})
if(NOT accel_default)
    set(accel_default auto)
endif()

# The one QEMU command line of the run targets; run-qemu.sh adds -accel,
# -cpu and -display. Run with sh so that the script needs no exec bit.
set(MICA_RUN_QEMU sh ${PROJECT_SOURCE_DIR}/cmake/run-qemu.sh
    --accel ${accel_default} --probe ${MICA_KVM_PROBE})
set(MICA_QEMU_COMMON ${MICA_QEMU} -m ${MICA_QEMU_MEMORY} -vga std -serial mon:stdio
    -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
    -cdrom ${CMAKE_BINARY_DIR}/mica.iso -boot d)

add_custom_target(run
    COMMAND ${MICA_RUN_QEMU} -- ${MICA_QEMU_COMMON}
    DEPENDS iso-mica kvm-probe USES_TERMINAL VERBATIM)

add_custom_target(run-uefi
    COMMAND ${CMAKE_COMMAND} -E copy ${MICA_OVMF_VARS} ${CMAKE_BINARY_DIR}/OVMF_VARS.fd
    COMMAND ${MICA_RUN_QEMU} -- ${MICA_QEMU_COMMON}
        -drive if=pflash,format=raw,unit=0,readonly=on,file=${MICA_OVMF_CODE}
        -drive if=pflash,format=raw,unit=1,file=${CMAKE_BINARY_DIR}/OVMF_VARS.fd
    DEPENDS iso-mica kvm-probe USES_TERMINAL VERBATIM)

add_custom_target(debug
    COMMAND ${CMAKE_COMMAND} -E echo
        "QEMU waits for gdb: in another terminal run  gdb -x ${CMAKE_BINARY_DIR}/mica.gdb"
    COMMAND ${MICA_RUN_QEMU} --debug -- ${MICA_QEMU_COMMON}
    DEPENDS iso-mica USES_TERMINAL VERBATIM)

configure_file(${PROJECT_SOURCE_DIR}/cmake/mica.gdb.in ${CMAKE_BINARY_DIR}/mica.gdb @ONLY)
