# Configure-time checks: every tool the build and the tests need, each named
# with the Debian package that provides it, so a fresh machine fails early.

function(mica_require_program var program package)
    find_program(${var} ${program})
    if(NOT ${var})
        message(FATAL_ERROR "Mica needs '${program}': apt-get install ${package}")
    endif()
endfunction()

function(mica_require_path path package what)
    if(NOT EXISTS ${path})
        message(FATAL_ERROR "Mica needs ${what} (${path}): apt-get install ${package}")
    endif()
endfunction()

mica_require_program(MICA_LLD ld.lld lld)
mica_require_program(MICA_GRUB_MKRESCUE grub-mkrescue grub-common)
mica_require_program(MICA_XORRISO xorriso xorriso)
mica_require_program(MICA_MFORMAT mformat mtools)
mica_require_program(MICA_QEMU qemu-system-x86_64 qemu-system-x86)
# Bochs runs what QEMU's TCG does not: x2APIC, Intel's debug-trap timing.
mica_require_program(MICA_BOCHS bochs "bochs bochs-term")
mica_require_path(/usr/share/bochs/BIOS-bochs-latest bochsbios "the Bochs BIOS")
mica_require_path(/usr/lib/grub/i386-pc/multiboot2.mod grub-pc-bin "GRUB's BIOS modules")
mica_require_path(/usr/lib/grub/x86_64-efi/multiboot2.mod grub-efi-amd64-bin
    "GRUB's UEFI modules")

set(MICA_OVMF_CODE /usr/share/OVMF/OVMF_CODE.fd CACHE FILEPATH "OVMF firmware code")
set(MICA_OVMF_VARS /usr/share/OVMF/OVMF_VARS.fd CACHE FILEPATH "OVMF variable store")
mica_require_path(${MICA_OVMF_CODE} ovmf "the OVMF UEFI firmware")

find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_FOUND)
    message(FATAL_ERROR "Mica's test harness needs Python 3: apt-get install python3")
endif()
