/*
 * Cross-CPU requests and wake-ups (ipi.c). Only the CPU that holds the
 * kernel lock asks: one request at a time, to one CPU, waiting until it is
 * done. The asked CPU serves it without the lock — in the interrupt of
 * VEC_IPI_REQUEST, or while it spins for the lock with interrupts off —
 * so the wait cannot deadlock.
 */
#ifndef MICA_ARCH_X86_64_IPI_H
#define MICA_ARCH_X86_64_IPI_H

#include <stdint.h>

#define IPI_FLUSH_VM   1u /* CR3 is request_vm: flush the TLB (reload CR3) */
#define IPI_DROP_VM    2u /* CR3 is request_vm: load the kernel's root */
#define IPI_SAVE_FPU   4u /* the FPU holds request_fpu's state: save it there */
#define IPI_LEAVE_USER 8u /* only be in the kernel (it takes the lock before leaving) */

/* Asks CPU `cpu` (not this one) and waits until it has done it. */
void ipi_request(unsigned cpu, uint32_t what, uint64_t vm, void *fpu);
/* Every other online CPU with vm in CR3. */
void ipi_request_vm(uint32_t what, uint64_t vm);

#endif
