/*
 * The register frame every interrupt and exception entry builds (isr.S) and
 * hands to trap_dispatch().
 */
#ifndef MICA_ARCH_X86_64_TRAP_H
#define MICA_ARCH_X86_64_TRAP_H

/* Exceptions (SDM Vol. 3A §6.15) the trap code tells apart. */
#define VEC_DB  1  /* debug: single step (isr.S, isr_debug) */
#define VEC_NMI 2  /* non-maskable interrupt (isr.S, isr_nmi) */
#define VEC_NM  7  /* device not available: lazy FPU switch */
#define VEC_DF  8  /* double fault (isr.S, isr_double_fault) */
#define VEC_NP  11 /* segment not present */
#define VEC_SS  12 /* stack-segment fault */
#define VEC_GP  13 /* general protection */
#define VEC_PF  14 /* page fault */

#define VEC_TIMER       0x20
#define VEC_PIC_BASE    0x30 /* legacy IRQ n arrives at 0x30 + n */
#define VEC_IPI_WAKE    0xf0 /* another CPU made a thread ready here */
#define VEC_IPI_REQUEST 0xf1 /* ipi.c: a request of the kernel lock's holder */
#define VEC_SPURIOUS    0xff

/* isr.S has one stub per vector, ISR_STUB_SIZE bytes apart from isr_stubs
 * (the IDT's gates point at them: idt.c). */
#define ISR_VECTORS   256
#define ISR_STUB_SIZE 16

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/frame.h"

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    /* Pushed by the CPU (SDM Vol. 3A §6.14.1, figure 6-9). */
    uint64_t rip, cs, rflags, rsp, ss;
};
/* The entry code in assembly knows the layout from frame.h. */
_Static_assert(offsetof(struct trap_frame, rbp) == FRAME_RBP, "frame.h FRAME_RBP");
_Static_assert(offsetof(struct trap_frame, vector) == FRAME_VECTOR,
               "frame.h FRAME_VECTOR");
_Static_assert(offsetof(struct trap_frame, rip) == FRAME_RIP, "frame.h FRAME_RIP");
_Static_assert(offsetof(struct trap_frame, cs) == FRAME_CS, "frame.h FRAME_CS");
_Static_assert(offsetof(struct trap_frame, rflags) == FRAME_RFLAGS,
               "frame.h FRAME_RFLAGS");
_Static_assert(offsetof(struct trap_frame, rsp) == FRAME_RSP, "frame.h FRAME_RSP");
_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "frame.h FRAME_SIZE");

void idt_init(void);
void idt_load(void); /* the same table on another CPU (smp.c) */
void trap_dispatch(struct trap_frame *f);
/* #DB taken in ring 0 (isr.S, isr_debug). */
void trap_kernel_debug(struct trap_frame *f);
/* #DF (isr.S, isr_double_fault): the panic report. */
__attribute__((noreturn)) void trap_double_fault(struct trap_frame *f);
/* An NMI (isr.S, isr_nmi): counted on this CPU. */
void trap_nmi(struct trap_frame *f);
/* From this CPU's timer tick: a line for NMIs counted since the last. */
void trap_nmi_report(void);
/* From syscall.S and isr.S: the frame would leave for user mode with a rip
 * outside the user half; ends the task (never returns). */
__attribute__((noreturn)) void trap_refuse_return(struct trap_frame *f);
/* The same from an IPC fast path (fastpath.S), without the kernel lock. */
__attribute__((noreturn)) void fast_refuse_return(struct trap_frame *f);

/* Handler for a device vector (>= 32), installed by the owning driver. */
typedef void (*irq_handler_fn)(struct trap_frame *f);
void trap_set_handler(uint8_t vector, irq_handler_fn fn);
#endif

#endif
