/*
 * The crasher's protocol (tests/guest/crasher): a helper task that the
 * fault tests make crash on purpose, since a faulting thread takes its
 * whole task down. It registers an endpoint under its own task name and
 * waits for one message:
 *   CRASH_GO  w[0] = enum crash_kind. No reply: the task faults (or, for
 *             CRASH_SPIN, spins until it is killed).
 * Anything else is ignored.
 *
 * One ELF, two ways to run it:
 *   - the test ISO (mica-tests) boots it once per kind under the module
 *     names crasher-<kind> (tests/guest/modules.cfg); init supervises
 *     those, so the kernel says action=restarted and init starts a new one;
 *   - every ISO also has it as the on-demand module "crasher"; the test
 *     runner started by the shell's `tests` starts one per fault test with
 *     NS_SPAWN, and the kernel says action=killed (nobody restarts it).
 * The kind always comes in the message, never from the name.
 */
#ifndef MICA_TESTS_CRASHER_H
#define MICA_TESTS_CRASHER_H

#define CRASH_GO 0x7c00u

enum crash_kind {
    CRASH_NULL_WRITE = 1, /* #PF, vector 14 */
    CRASH_UD2 = 2,        /* #UD, vector 6 */
    CRASH_DIVIDE = 3,     /* #DE, vector 0 */
    CRASH_HLT = 4,        /* #GP, vector 13: hlt needs CPL 0 */
    CRASH_WRITE_RO = 5,   /* #PF, vector 14: write to a page mapped without write */
    CRASH_EXEC_DATA = 6,  /* #PF, vector 14: jump into a data page (NX) */
    CRASH_IO = 7,         /* #GP, vector 13: out without an I/O capability */
    CRASH_STACK = 8,      /* #PF, vector 14: stack overflow into the guard page */
    /* #GP, vector 13, rip 0x800000000000: a `syscall` as the last
     * instruction of the user half (edge.S), whose return address is the
     * first non-canonical one; neither SYSRET nor IRETQ may take it. */
    CRASH_SYSCALL_EDGE = 9,
    /* #PF, vector 14, addr CRASH_PAGER_VA: the task is its own pager and
     * answers every fault "mapped" without mapping anything; the kernel
     * gives up after a few rounds. First a syscall copies to that address
     * and must fail with MICA_EFAULT (else the task exits quietly). */
    CRASH_PAGER_RETRY = 10,
    /* No fault: the task keeps CPUs busy until it is killed (the smp
     * suite's kill of a task running elsewhere). w[1] = the CPU mask its
     * threads run on (SYS_THREAD_AFFINITY), w[2] = how many threads spin
     * besides the first (at most CRASH_SPIN_THREADS); none makes a system
     * call once it spins. */
    CRASH_SPIN = 11,
};

#define CRASH_SPIN_THREADS 6

/* Where CRASH_WRITE_RO asks the memory server for a read-only page. */
#define CRASH_RO_VA 0x00000b0000000000ull
/* The address CRASH_PAGER_RETRY touches, never mapped. */
#define CRASH_PAGER_VA 0x00000c0000000000ull

#endif
