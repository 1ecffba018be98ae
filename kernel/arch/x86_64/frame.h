/*
 * Offsets in struct trap_frame (trap.h), for the entry code in assembly
 * (isr.S, syscall.S through frame.inc); trap.h asserts each against the
 * struct. The 15 general registers come first (r15 lowest), then the
 * vector and error code words, then what the CPU pushes for an interrupt
 * (SDM Vol. 3A §6.14.1, figure 6-9).
 */
#ifndef MICA_ARCH_X86_64_FRAME_H
#define MICA_ARCH_X86_64_FRAME_H

#define FRAME_RBP    (8 * 8)
#define FRAME_VECTOR (15 * 8)
#define FRAME_RIP    (17 * 8)
#define FRAME_CS     (18 * 8)
#define FRAME_RFLAGS (19 * 8)
#define FRAME_RSP    (20 * 8)
#define FRAME_SIZE   (22 * 8)

/* The vector word of a frame built by the syscall entry: above every
 * interrupt vector (0..255), so no handler takes it for one. */
#define FRAME_SYSCALL_VECTOR 0x100

#endif
