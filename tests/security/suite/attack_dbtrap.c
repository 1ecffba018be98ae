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
 * The attack here enters by syscall with rsp in the kernel's text
 * (SEC_KERNEL_RSP), where a #DB frame pushed on the interrupted stack
 * would land. The other ways in behind a shadow carry no trap: int n and
 * int3 from ring 3 fault (#GP: every gate is DPL 0), and the fault drops
 * the pending trap (so Bochs has it: an int3 variant passed without the
 * protection, and is not kept); an int1 (ICEBP) there raises one #DB from
 * ring 3, the pending trap merged into it (Bochs; QEMU raises #UD), an
 * ordinary trap that kills the task with or without the protection.
 *
 * QEMU's TCG delivers no such trap in ring 0, and QEMU 7.2 even ends the
 * peer at its IRETQ (a #PF on the user stack it pops, action=killed):
 * there this passes with or without the protection. Bochs (Intel's
 * behaviour) takes it: under security.bochs_smp2 the kernel without
 * isr_debug dies here (and first on noncanon.single_step_syscall and the
 * mov ss variants of noncanon): on the corei7_haswell_4770 model CPU 1
 * triple-faulted, rip in trap_dispatch reading the user's GS; on
 * tigerlake (SMAP) it is a double-fault panic.
 */
#include "secsuite.h"

KTEST(dbtrap, shadowed_syscall_with_kernel_stack_pointer)
{
    peer_edge_attack(SEC_PEER, EDGE_MOVSS_TF_KRSP);
}
