/*
 * init's protocol is the name service, defined once in mica/ns.h so that
 * clients and init read the same labels. This header adds what only init
 * needs: its internal labels and the size of its registry.
 */
#ifndef MICA_INIT_PROTOCOL_H
#define MICA_INIT_PROTOCOL_H

#include <mica/ns.h>
#include <mica/syscall.h>

/* init's handles at start are the kernel's boot capabilities, at the
 * slots mica/abi.h gives them (MICA_HANDLE_NS, MICA_BOOT_CAP_*). */

/* From init's own supervision thread to its main thread (never from
 * another task: the sender's badge must be 0). */
#define NS_INTERNAL_RESTARTED (MICA_LABELS_NS + 0xff)
/* The same: a task init started died (its names go). */
#define NS_INTERNAL_DEATHS (MICA_LABELS_NS + 0xfe)

/* Registered names at most; a name of a dead task is reused. */
#define NS_MAX_ENTRIES 32
/* Names one task may hold, so that no task can fill the registry. */
#define NS_MAX_PER_TASK 4

#endif
