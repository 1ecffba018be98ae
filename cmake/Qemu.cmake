# Targets that boot the ISO in QEMU with COM1 on the terminal:
#   run        BIOS (SeaBIOS); KVM when /dev/kvm is usable, else TCG
#   run-uefi   UEFI (OVMF), same accelerator choice
#   debug      BIOS under TCG, QEMU waits for gdb on :1234 (see cmake/mica.gdb.in)
# MICA_ACCEL overrides the accelerator (e.g. -DMICA_ACCEL=tcg).

set(MICA_ACCEL "" CACHE STRING "QEMU accelerator for run targets (empty: kvm if usable, else tcg)")
set(MICA_QEMU_MEMORY 256M CACHE STRING "Guest RAM for run targets")

set(accel ${MICA_ACCEL})
if(NOT accel)
    set(accel "tcg")
    if(EXISTS /dev/kvm)
        execute_process(COMMAND test -r /dev/kvm -a -w /dev/kvm RESULT_VARIABLE kvm_rc)
        if(kvm_rc EQUAL 0)
            set(accel "kvm")
        endif()
    endif()
endif()

set(MICA_QEMU_COMMON ${MICA_QEMU} -cpu max -m ${MICA_QEMU_MEMORY} -serial mon:stdio
    -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
    -cdrom ${CMAKE_BINARY_DIR}/mica.iso -boot d)

add_custom_target(run
    COMMAND ${MICA_QEMU_COMMON} -accel ${accel}
    DEPENDS iso-mica USES_TERMINAL VERBATIM)

add_custom_target(run-uefi
    COMMAND ${CMAKE_COMMAND} -E copy ${MICA_OVMF_VARS} ${CMAKE_BINARY_DIR}/OVMF_VARS.fd
    COMMAND ${MICA_QEMU_COMMON} -accel ${accel}
        -drive if=pflash,format=raw,unit=0,readonly=on,file=${MICA_OVMF_CODE}
        -drive if=pflash,format=raw,unit=1,file=${CMAKE_BINARY_DIR}/OVMF_VARS.fd
    DEPENDS iso-mica USES_TERMINAL VERBATIM)

add_custom_target(debug
    COMMAND ${CMAKE_COMMAND} -E echo
        "QEMU waits for gdb: in another terminal run  gdb -x ${CMAKE_BINARY_DIR}/mica.gdb"
    COMMAND ${MICA_QEMU_COMMON} -accel tcg -s -S
    DEPENDS iso-mica USES_TERMINAL VERBATIM)

configure_file(${PROJECT_SOURCE_DIR}/cmake/mica.gdb.in ${CMAKE_BINARY_DIR}/mica.gdb @ONLY)
