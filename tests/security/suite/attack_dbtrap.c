/*
 * Attacks dbtrap: a debug trap a task carries into the kernel
 * (CVE-2018-8897). With TF set, the single-step trap comes after the next
 * instruction; a mov ss there delays it by one more (its shadow, SDM Vol.
 * 3A §6.8.3), so when that one enters the kernel the trap is taken in ring
 * 0 on the entry's first instruction, before it has switched GS, and after
 * a syscall before it has switched stacks. Must: the kernel drops the trap
 * and the entry goes on (isr.S, isr_debug: #DB on its own IST stack, GS
 * decided by IA32_GS_BASE, not by CS); the task is killed when its TF
 * traps back in user mode, with a fault line (security.bios.fault_lines);
 * no PANIC, and the rest runs on.
 *
 *   kernel_rsp  the syscall entered with rsp in the kernel's text
 *               (SEC_KERNEL_RSP), where a #DB frame pushed on the
 *               interrupted stack would land;
 *   int3        an int3 from ring 3, which faults (#GP: every gate is DPL
 *               0) and brings the trap to the first instruction of the
 *               #GP stub, the user's GS still loaded.
 *
 * QEMU's TCG delivers no such trap in ring 0: there these pass with or
 * without the protection. Bochs (Intel's behaviour) takes it: under
 * security.bochs_smp2 the kernel without isr_debug lost CPU 1 to a triple
 * fault on the first of these attacks (noncanon.movss_shadow_single_step_
 * syscall_at_edge), with rip in trap_dispatch reading GS.
 */
#include "secsuite.h"

KTEST(dbtrap, shadowed_syscall_with_kernel_stack_pointer)
{
    peer_edge_attack(SEC_PEER, EDGE_MOVSS_TF_KRSP);
}

KTEST(dbtrap, shadowed_int3_enters_with_user_gs)
{
    peer_edge_attack(SEC_PEER, EDGE_MOVSS_TF_INT3);
}
