/*
 * Kernel image layout. The boot code (Multiboot2 header, 32-bit entry, boot
 * page tables) runs at its physical address; everything else is linked in
 * the higher half and loaded right after it (GRUB loads by p_paddr).
 * Sections are page aligned so that paging.c can map each one W^X.
 *
 * The C preprocessor makes linker.ld of this file (kernel/CMakeLists.txt),
 * so the addresses come from layout.h, as they do for the C and assembly.
 */
#include "arch/x86_64/layout.h"

ENTRY(_start32)

PHDRS
{
    boot   PT_LOAD FLAGS(7);
    text   PT_LOAD FLAGS(5);
    rodata PT_LOAD FLAGS(4);
    data   PT_LOAD FLAGS(6);
}

SECTIONS
{
    . = KERNEL_LOAD_PHYS;
    __boot_start = .;
    .boot : {
        KEEP(*(.multiboot2))
        *(.boot.text)
        *(.boot.rodata)
        *(.boot.data)
    } :boot
    .boot.bss (NOLOAD) : { *(.boot.bss) } :boot
    . = ALIGN(4096);
    __boot_end = .;

    . += KERNEL_VMA;
    __kernel_start = .;

    .text : AT(ADDR(.text) - KERNEL_VMA) {
        __text_start = .;
        *(.text .text.*)
        . = ALIGN(4096);
        __text_end = .;
    } :text

    .rodata : AT(ADDR(.rodata) - KERNEL_VMA) {
        __rodata_start = .;
        *(.rodata .rodata.*)
        . = ALIGN(8);
        __test_cases_start = .;
        KEEP(*(.mica_tests))
        __test_cases_end = .;
        . = ALIGN(4096);
        __rodata_end = .;
    } :rodata

    .data : AT(ADDR(.data) - KERNEL_VMA) {
        __data_start = .;
        *(.data .data.*)
    } :data

    .bss (NOLOAD) : AT(ADDR(.bss) - KERNEL_VMA) {
        *(.bss.stack)
        *(COMMON)
        *(.bss .bss.*)
        . = ALIGN(4096);
        __data_end = .;
    } :data

    __kernel_end = .;

    /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame*) }
}
