/*
 * PC platform facts the kernel itself uses, shared by assembly and C: the
 * legacy I/O ports of the devices behind init's boot capabilities
 * (ioport.c) and of the kernel's own early console (boot.S, arch.c).
 */
#ifndef MICA_ARCH_X86_64_PC_H
#define MICA_ARCH_X86_64_PC_H

/* COM1: a 16550 UART, 8 ports (PC16550D data sheet, "Register
 * Addresses"), interrupt line 4. */
#define PC_COM1       0x3f8
#define PC_COM1_PORTS 8
#define PC_COM1_IRQ   4
/* The i8042 PS/2 controller: data 0x60 .. status/command 0x64; the
 * keyboard on interrupt line 1. */
#define PC_PS2       0x60
#define PC_PS2_PORTS 5
#define PC_PS2_IRQ   1
/* VGA CRTC index and data registers (colour mode): the text cursor. */
#define PC_CRTC       0x3d4
#define PC_CRTC_PORTS 2

#endif
