/*
 * The attack suite's protocol between the suite (tests/security/suite) and
 * its hostile helper tasks, the peers (tests/security/peer).
 *
 * A peer is an on-demand module of the security ISO ("secpeer", and
 * "secedge", the same program with another last page; see peer/edge.S),
 * started by the suite with NS_SPAWN. Nothing blocks on a reply in this
 * protocol: every message is a SEND, so that neither side holds a reply
 * link it does not mean to (a thread has room for one).
 *
 *   peer -> suite  on the endpoint the suite registered as SEC_CTL_NAME; the
 *                  badge is the peer's task id (the name service badges the
 *                  handle it gives out with the caller's id).
 *     SEC_HELLO     handle attached (w[0]): a send copy of the peer's
 *                   command endpoint.
 *     SEC_RESULT    the outcome of the last command: w[1] = status, w[2],
 *                   w[3] = values; a handle may be attached (w[0]).
 *     SEC_WATCHDOG  the peer's watchdog fired; the peer exits right after.
 *   suite -> peer  on the peer's command endpoint: label = enum sec_cmd,
 *                  w[0] = a handle attached or 0, w[1..3] = arguments.
 *
 * Every peer runs a watchdog thread that ends the task when its deadline
 * passes (SEC_WATCHDOG_MS unless CMD_WATCHDOG says otherwise), so that a
 * peer stuck for good (in a fault nobody answers, say) goes away without a
 * way for one task to end another.
 */
#ifndef MICA_TESTS_SECURITY_SEC_H
#define MICA_TESTS_SECURITY_SEC_H

#include <mica/abi.h>

#define SEC_CTL_NAME    "sec-ctl"
#define SEC_PEER        "secpeer"
#define SEC_EDGE        "secedge"
#define SEC_WATCHDOG_MS 8000u

#define SEC_HELLO    0x5ec0u
#define SEC_RESULT   0x5ec1u
#define SEC_WATCHDOG 0x5ec2u

enum sec_cmd {
    CMD_EXIT = 1,     /* exit at once */
    CMD_WATCHDOG,     /* w1 = ms from now until the watchdog ends the task */
    CMD_PING,         /* result OK: the peer still runs and can send */
    CMD_GIVE_SELF,    /* result: our task handle attached */
    CMD_MAKE_EP,      /* a new endpoint, kept; result: a copy (all rights) */
    CMD_SERVE_DIE,    /* receive on that endpoint (w1 = timeout), then exit */
    CMD_CALL,         /* call handle w0: label w1, timeout w2; result (st, label) */
    CMD_CALL_EXIT,    /* as CALL, forever, while a thread exits after w2 ms */
    CMD_SET_PAGER,    /* SET_PAGER(self, w0), then close w0; result st */
    CMD_TOUCH,        /* write w2 at address w1, read it back; result (OK, value) */
    CMD_KCOPY,        /* DEBUG_WRITE(w1, 8): the kernel reads there; result st */
    CMD_PAGER_CLOSED, /* own pager, its send handle closed; touch w1 (value w2) */
    CMD_PAGER_ORPHAN, /* own pager, then every handle to it closed; result st */
    CMD_IPCBUF,       /* the IPC-buffer aliasing attack; result (step, value) */
    CMD_UNMAP_SELF,   /* UNMAP of our own image, stack, buffers; result (step, st) */
    CMD_THREAD_BAD,   /* THREAD_CREATE with bad arguments; result (step, st) */
    CMD_MAKE_OBJECTS, /* w1 = 0 endpoints, 1 notifications, until refused;
                         result (last status, count) */
    CMD_MEM_WORKS,    /* mem_alloc, touch, mem_free one page; result st */
    CMD_SPAWN,        /* ns_spawn(SEC_PEER); result (st, id) */
    CMD_EDGE,         /* jump to edge code w1 (enum sec_edge); never returns */
    CMD_MAP_SPREAD,   /* mem_alloc one page per GiB, up to w1; result (st, count) */
    CMD_SERVE2_DIE,   /* receive two calls on w0 (timeout w1 each), then exit */
    CMD_SPAWN_LOOP,   /* ns_spawn(SEC_PEER) until refused, at most w1; result (st, n) */
    CMD_LOG_FORGE,    /* ask init for NS_CAP_LOG_WRITE, then mica_debug_write
                         forged kernel lines; result (ask's st, writes' st) */
    CMD_REGISTER,     /* ns_register(sec_names[w1], a new endpoint); result st */
    CMD_NAME_POLL,    /* ns_register(sec_names[w1]) for w2 ms, as fast as it
                         can; result (OK, times it worked, times tried) */
    CMD_BOOT_CAP,     /* ns_boot_cap(w1); result st (a handle got is closed) */
    CMD_HELLO_WITH,   /* MEM_HELLO to the memory server with the attached
                         handle instead of ours; result the reply's status */
    CMD_MEM_HOG,      /* mem_alloc until refused (chunks, then pages); result
                         (last st, pages got); they stay until exit */
    CMD_CALL_NAMED,   /* call the server sec_names[w1] with label w2 and
                         w[0] = w3 (1 s timeout); result (call st, reply
                         status); a handle in the reply is closed */
    CMD_SAVE_HOLD,    /* receive one call on w0 (timeout w1), REPLY_SAVE it and
                         keep the reply handle until exit; result (save st,
                         handle), a copy of it attached when w2 != 0 */
    CMD_REPLY_DRAIN,  /* a thread of ours calls our own endpoint, we save each
                         call (keeping a copy of its handle, answered) until
                         refused, at most w1; result (refusal st, saved, what
                         the refused call got: its reply label or status) */
    CMD_REPLY_DROP,   /* close every reply handle kept; result (OK, closed) */
};

/* The names CMD_REGISTER, CMD_NAME_POLL and CMD_CALL_NAMED take by index. */
#define SEC_NAMES                                                                        \
    {                                                                                    \
        "secpeer", "console", "memory", "hello", "shell", "init", "fuzzer"               \
    }
enum {
    SEC_NAME_OWN,
    SEC_NAME_CONSOLE,
    SEC_NAME_MEMORY,
    SEC_NAME_HELLO,
    SEC_NAME_COUNT = 7
};

/* CMD_EDGE: where the peer's last user page takes it (peer/edge.S). In
 * "secpeer" the page ends in `popfq; mov %cx, %ss; syscall`, in "secedge"
 * in `popfq; nop`: the instruction after the last one is at
 * 0x0000800000000000, the first non-canonical address. */
enum sec_edge {
    EDGE_SYSCALL = 1,  /* secpeer: SYS_YIELD as the last instruction */
    EDGE_SYSCALL_WAIT, /* secpeer: a 30 ms NOTIFY_WAIT there, ended by the timer */
    EDGE_MOVSS_TF,     /* secpeer: TF set, mov ss shadow, then that syscall */
    EDGE_MOVSS,        /* secpeer: mov ss shadow, then that syscall (no TF) */
    EDGE_TF_SYSCALL,   /* any: TF set, then a syscall in the middle of the text */
    EDGE_MOVSS_TF_MID, /* any: TF, mov ss shadow and syscall in the middle */
    EDGE_FALL_OFF,     /* secedge: the last instruction is a nop */
    EDGE_TF_LAST,      /* secedge: TF set, the nop traps (#DB) past the end */
    EDGE_CALL,         /* secpeer: SYS_CALL there to our own server thread,
                          which answers by the fast path */
    EDGE_SIGNAL,       /* secpeer: NOTIFY_SIGNAL there (its fast path) */
    EDGE_WAIT_PENDING, /* secpeer: NOTIFY_WAIT there with the bits pending
                          (its fast path returns at once) */
    /* Debug traps carried into the kernel (suite/attack_dbtrap.c), any: */
    EDGE_MOVSS_TF_KRSP, /* TF and rsp (a kernel address) set by IRETQ, then
                           mov ss shadow and syscall */
};

/* The rsp of EDGE_MOVSS_TF_KRSP: in the kernel's text (linked at
 * 0xffffffff80100000), which a write in ring 0 must never reach. */
#define SEC_KERNEL_RSP 0xffffffff80101000ull

/* The last user page, where the peer's edge code lives. */
#define SEC_EDGE_PAGE 0x00007ffffffff000ull

#endif
