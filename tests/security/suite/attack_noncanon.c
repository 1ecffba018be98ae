/*
 * Attacks noncanon: returns to a non-canonical address from each way into
 * the kernel (issue item 4). A peer runs code in the last page of the user
 * half (peer/edge.S) whose last instruction leaves rip at
 * 0x0000800000000000. Returning there with SYSRET or IRETQ raises #GP in
 * ring 0 on Intel CPUs, which the kernel would take for its own bug and
 * panic. Must: the task is killed with a fault line (`mica: fault
 * task=secpeer ...`, checked in the log by security.bios.fault_lines), the
 * kernel never faults (no PANIC: security.bios), and the rest runs on.
 *
 *   syscall    SYS_YIELD as the last instruction; a NOTIFY_WAIT there that
 *              the timer ends (the return after an interrupt woke it); the
 *              same behind a mov ss shadow with and without TF set (the
 *              debug trap pending over the syscall), and TF or mov ss plus
 *              TF away from the edge.
 *   fast paths a CALL there answered by the peer's own server thread (the
 *              reply returns by fastpath.S), a NOTIFY_SIGNAL, and a
 *              NOTIFY_WAIT with the bits already pending (both return at
 *              once from fastpath_sched.S): each checks the return rip
 *              itself.
 *   fault      falling off the end (the fetch at the non-canonical address
 *              faults) and a single-step trap (#DB) taken right after the
 *              last instruction, with the non-canonical rip in its frame.
 *   interrupt  an interrupt can arrive with that rip only between the last
 *              instruction and the fetch that faults; user code cannot
 *              make it arrive there, so the timer's way in is the wait
 *              above, which returns through the same exit.
 *
 * Without the kernel's check of the return rip (syscall_return and
 * trap_return refuse it: trap_refuse_return), a CPU that raises #GP in
 * ring 0 panics here. QEMU's TCG does not: it lets IRETQ load the rip and
 * faults the fetch in user mode, with the same fault line, so under TCG
 * these pass with or without the check; on Intel hardware and under Bochs
 * (security.bochs_smp2) they tell. There the TF variants also bring a
 * debug trap into ring 0 on the syscall entry (the dbtrap suite).
 */
#include <mica/syscall.h>

#include "secsuite.h"

KTEST(noncanon, syscall_returns_past_user_half)
{
    peer_edge_attack(SEC_PEER, EDGE_SYSCALL);
}

KTEST(noncanon, blocked_syscall_woken_by_timer_returns_past_user_half)
{
    peer_edge_attack(SEC_PEER, EDGE_SYSCALL_WAIT);
}

/* The same by CALL, answered by the peer's own server thread: the reply
 * returns through the fast path (fastpath.S, fast_refused). */
KTEST(noncanon, fast_path_reply_returns_past_user_half)
{
    peer_edge_attack(SEC_PEER, EDGE_CALL);
}

/* The notification fast paths that return to their caller at once
 * (fastpath_sched.S): a signal, and a wait whose bits are there. */
KTEST(noncanon, fast_signal_returns_past_user_half)
{
    peer_edge_attack(SEC_PEER, EDGE_SIGNAL);
}

KTEST(noncanon, fast_wait_with_bits_returns_past_user_half)
{
    peer_edge_attack(SEC_PEER, EDGE_WAIT_PENDING);
}

KTEST(noncanon, movss_shadow_syscall_at_edge)
{
    peer_edge_attack(SEC_PEER, EDGE_MOVSS);
}

KTEST(noncanon, movss_shadow_single_step_syscall_at_edge)
{
    peer_edge_attack(SEC_PEER, EDGE_MOVSS_TF);
}

KTEST(noncanon, single_step_syscall)
{
    peer_edge_attack(SEC_PEER, EDGE_TF_SYSCALL);
}

KTEST(noncanon, movss_shadow_single_step_syscall)
{
    peer_edge_attack(SEC_PEER, EDGE_MOVSS_TF_MID);
}

KTEST(noncanon, fall_off_user_half)
{
    peer_edge_attack(SEC_EDGE, EDGE_FALL_OFF);
}

KTEST(noncanon, single_step_trap_past_user_half)
{
    peer_edge_attack(SEC_EDGE, EDGE_TF_LAST);
}
