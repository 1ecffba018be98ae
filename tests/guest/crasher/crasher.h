/*
 * The crasher's protocol (tests/guest/crasher): a helper task that the
 * fault tests make crash on purpose, since a faulting thread takes its
 * whole task down. The same ELF boots several times under different module
 * names (crasher-pf, crasher-ud, ...), one crash each; each registers an
 * endpoint under its own name and waits for one message:
 *   CRASH_GO  w[0] = enum crash_kind. No reply: the task faults.
 * Anything else is ignored.
 */
#ifndef MICA_TESTS_CRASHER_H
#define MICA_TESTS_CRASHER_H

#define CRASH_GO 0x7c00u

enum crash_kind {
    CRASH_NULL_WRITE = 1, /* #PF, vector 14 */
    CRASH_UD2 = 2,        /* #UD, vector 6 */
    CRASH_DIVIDE = 3,     /* #DE, vector 0 */
    CRASH_HLT = 4,        /* #GP, vector 13: hlt needs CPL 0 */
};

#endif
