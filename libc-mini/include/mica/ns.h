/*
 * mica/ns.h - the name service that init runs on handle MICA_HANDLE_NS of
 * every task: its protocol (the one definition, used by init and by the
 * client stubs) and the client calls.
 *
 * Requests are calls; the reply's label is the status (MICA_REPLY_STATUS).
 *   NS_REGISTER  payload = name with its NUL (2..NS_NAME_MAX bytes), handle
 *                attached (MICA_INFO_HANDLE, w[0]) = an endpoint to send to.
 *                Only the names of the caller's module may be registered:
 *                its own, and those of its line's names=a,b (MICA_ERIGHTS
 *                otherwise), so a server's names stay its own while it
 *                restarts. A name of a live task cannot be taken again
 *                (MICA_EBUSY); a task's names die with it.
 *   NS_LOOKUP    payload = name with its NUL. Reply: a send handle to the
 *                registered endpoint attached (badged with the caller's
 *                task id), or MICA_ENOENT.
 *   NS_BOOT_CAP  w[0] = NS_CAP_*. Reply: that boot capability attached;
 *                for NS_CAP_ENDPOINT, w[1] = 1 when an earlier instance of
 *                the module had the endpoint already (this one is a restart
 *                within this boot), 0 for the first.
 *                Only to a task whose module line has the matching
 *                caps= word (MICA_ERIGHTS otherwise; see NS_CAP_*);
 *                MICA_ENOENT when the machine lacks it (no screen).
 *   NS_SYSTEM    w[0] = MICA_SYSTEM_POWEROFF or MICA_SYSTEM_RESET. Only
 *                through a control handle (NS_CAP_CONTROL; MICA_ERIGHTS
 *                otherwise); no reply when it works.
 *   NS_SPAWN     payload = a module name with its NUL, and attached the
 *                caller's own task handle (MICA_HANDLE_SELF), which pays:
 *                the program's kernel budget comes out of the caller's.
 *                Starts that module if its module2 line says "ondemand"
 *                (MICA_ERIGHTS otherwise).
 *                Reply w[1] = the new task's id, and attached (w[0]) a
 *                handle to that task with MICA_RIGHT_KILL: the asker may
 *                end the program (SYS_TASK_KILL).
 *   NS_READY     no fields: the caller is up (for tasks that serve no
 *                endpoint, like the shell; NS_REGISTER implies it). init
 *                prints `mica: server name=<task> state=up` for each boot
 *                task once, and `mica: ready boot_ms=<n>` when all are up.
 *   NS_BOOT_MS   no fields. Reply w[1] = the boot_ms of that `mica: ready`
 *                line (for the benchmarks), MICA_EAGAIN before it.
 * Anything else, or a field out of range, gets MICA_EINVAL (MICA_ENOSYS for
 * an unknown label); a handle attached where none is expected is closed.
 */
#ifndef MICA_LIBC_NS_H
#define MICA_LIBC_NS_H

#include <mica/abi.h>

#include <stdint.h>

/* Labels: a range of their own, so a message sent to the wrong server is
 * refused rather than misread. */
enum ns_label {
    NS_REGISTER = MICA_LABELS_NS,
    NS_LOOKUP = MICA_LABELS_NS + 1,
    NS_BOOT_CAP = MICA_LABELS_NS + 2,
    NS_SYSTEM = MICA_LABELS_NS + 3,
    NS_READY = MICA_LABELS_NS + 4,
    NS_SPAWN = MICA_LABELS_NS + 5,
    NS_BOOT_MS = MICA_LABELS_NS + 6,
};

/* A name is 1..31 characters of [a-z0-9_.-] plus the NUL: it appears in
 * log lines, so it must not hold spaces, quotes or control bytes. */
#define NS_NAME_MAX 32

/* Boot capabilities init hands out (NS_BOOT_CAP), each to the modules
 * whose line has the caps= word named here. */
enum ns_boot_cap {
    NS_CAP_COM1 = 1,   /* I/O ports 0x3f8..0x3ff (devices) */
    NS_CAP_IRQ4 = 2,   /* COM1 interrupt (devices) */
    NS_CAP_PS2 = 3,    /* I/O ports 0x60..0x64 (devices) */
    NS_CAP_IRQ1 = 4,   /* PS/2 keyboard interrupt (devices) */
    NS_CAP_RAM = 5,    /* all free RAM (ram: the memory server) */
    NS_CAP_SCREEN = 6, /* the screen, mica_ram_info gives its geometry (devices) */
    NS_CAP_LOG = 7,    /* the kernel log: SYS_LOG_BIND, SYS_LOG_READ (log) */
    NS_CAP_CRTC = 8,   /* I/O ports 0x3d4..0x3d5: the VGA text cursor (devices) */
    /* The log with SEND only: DEBUG_WRITE as it is (rawlog). */
    NS_CAP_LOG_WRITE = 9,
    /* init's endpoint badged with the control bit: power off (NS_SYSTEM)
     * and lookups whose handles carry the bit, which servers require of
     * a MICA_LABEL_CRASH request. For modules with caps=control. */
    NS_CAP_CONTROL = 10,
    /* An endpoint init creates for the module once and keeps (SEND, RECV,
     * GRANT, unbadged): calls and page faults sent to it wait through a
     * restart of the module for its next instance (endpoint). */
    NS_CAP_ENDPOINT = 11,
    /* The IPC flight recorder, SYS_TRACE (trace: the shell). */
    NS_CAP_TRACE = 12,
};

/* Badges init gives: the caller's task id, and NS_BADGE_CONTROL on the
 * handles that came through a control handle (only init can mint them:
 * a badge is set once, on an unbadged handle). */
#define NS_BADGE_CONTROL (1ull << 62)
#define NS_BADGE_TASK(b) ((b)&0xffffffffull)

/* Client calls: MICA_OK or a negative MICA_E*. */
long ns_register(const char *name, uint64_t ep_handle);
long ns_lookup(const char *name, uint64_t *handle_out);
long ns_boot_cap(uint32_t which, uint64_t *handle_out);
/* The same, with the reply's w[1] in *word. */
long ns_boot_cap_word(uint32_t which, uint64_t *handle_out, uint64_t *word);
long ns_system(uint32_t op);
/* The same two through another handle to init: a control handle. */
long ns_lookup_via(uint64_t ns, const char *name, uint64_t *handle_out);
long ns_system_via(uint64_t ns, uint32_t op);
long ns_ready(void);
/* Starts an on-demand module; its task id in *id (may be NULL). */
long ns_spawn(const char *name, uint64_t *id);
/* The same, keeping the task handle of the reply (KILL, GRANT) in *task,
 * which the caller closes when done with it. */
long ns_spawn_task(const char *name, uint64_t *id, uint64_t *task);
/* The boot_ms init printed in `mica: ready` (MICA_EAGAIN before it). */
long ns_boot_ms(uint64_t *ms);

#endif
