/*
 * The Mica system call ABI: the one source of syscall numbers, error codes,
 * handle rights, object types and the IPC message layout, shared by the
 * kernel, libc-mini and every server.
 *
 * Calling convention (x86_64 `syscall`, SDM Vol. 2B):
 *   in:  rax = syscall number, rdi, rsi, rdx, r10, r8, r9 = arguments 0..5,
 *        r12 = timeout in milliseconds for the blocking IPC calls
 *   out: rax = status (MICA_OK or a negative MICA_E*), and for the IPC
 *        calls that receive: rdi = badge, rsi = info, rdx, r10, r8, r9 =
 *        message words 0..3
 *   rcx and r11 are clobbered by the instruction itself.
 */
#ifndef MICA_ABI_H
#define MICA_ABI_H

#include <stdint.h>

/* X(number, name, what it does) */
#define MICA_SYSCALLS(X)                                                                 \
    X(0, DEBUG_WRITE, "(ptr, len, log): write to the kernel log")                        \
    X(1, YIELD, "(): give up the rest of the time slice")                                \
    X(2, EXIT, "(code): end the calling task")                                           \
    X(3, SEND, "(ep, info, w0..w3): send; waits until taken, r12 = timeout")             \
    X(4, RECV, "(ep): wait for a message; r12 = timeout")                                \
    X(5, CALL, "(ep, info, w0..w3): send and wait for the reply; r12 = timeout")         \
    X(6, REPLY, "(info, w0..w3): answer the last caller")                                \
    X(7, REPLY_RECV, "(ep, info, w0..w3): reply, then wait on ep")                       \
    X(8, NOTIFY_SIGNAL, "(ntf, bits): OR bits into a notification")                      \
    X(9, NOTIFY_WAIT, "(ntf): wait for and take the bits; r12 = timeout")                \
    X(10, ENDPOINT_CREATE, "(): a new endpoint handle")                                  \
    X(11, NOTIFY_CREATE, "(): a new notification handle")                                \
    X(12, HANDLE_CLOSE, "(h): drop a handle")                                            \
    X(13, HANDLE_COPY, "(h, rights, badge): a new handle with fewer rights")             \
    X(14, CLOCK, "(): milliseconds since boot")                                          \
    X(15, TASK_INFO, "(index, struct mica_task_info *): describe a task")                \
    X(16, IOPORT_ENABLE, "(io): allow in/out on the handle's port range")                \
    X(17, IRQ_BIND, "(irq, ntf, bit): deliver the IRQ as a notification bit")            \
    X(18, IRQ_ACK, "(irq): unmask the IRQ after handling it")                            \
    X(19, SYSTEM, "(sys, op): power off or reset the machine")                           \
    X(20, MAP, "(task, va, ram, index, flags): map frame `index` of a RAM object")       \
    X(21, UNMAP, "(task, va): unmap a RAM page; returns its index")                      \
    X(22, SET_PAGER, "(task, ep): send the task's page faults to ep as calls")           \
    X(23, MEM_INFO, "(struct mica_mem_info *): kernel memory figures")                   \
    X(24, THREAD_CREATE, "(entry, stack_top, arg): a new thread in this task")           \
    X(25, RAM_INFO, "(ram, struct mica_ram_info *): size (and screen) of a RAM object")  \
    X(26, TASK_SPAWN, "(sys, name, len, prio, budget, payer): start a boot module")      \
    X(27, TASK_WATCH, "(sys, id, ntf, bits, restart): signal when task `id` dies")       \
    X(28, MODULE_INFO, "(sys, index, struct mica_module_info *): describe a module")     \
    X(29, LOG_BIND, "(log, ntf, bits): take over showing the kernel log")                \
    X(30, LOG_READ, "(log, uint64_t *pos, buf, len): copy kernel log bytes")             \
    X(31, TASK_KILL, "(task): end the task (needs KILL on the handle)")                  \
    X(32, TASK_NOTIFY_DEATH, "(task, ntf, bits): signal bits on ntf when the task dies") \
    X(33, HANDLE_INFO, "(h, struct mica_handle_info *): describe one's own handle")      \
    X(34, REPLY_SAVE, "(): move the call this thread owes into a new reply handle")      \
    X(35, REPLY_TO, "(reply, info, w0..w3): answer the call saved in a reply handle")    \
    X(36, TRACE, "(trace, op, seq, struct mica_trace_event *, n): the IPC recorder")     \
    X(37, CPU_INFO, "(index, struct mica_cpu_info *): describe a CPU")                   \
    X(38, THREAD_AFFINITY, "(thread, cpus): run one's thread only on these CPUs")

enum mica_syscall {
#define MICA_SYSCALL_ENUM(n, name, doc) SYS_##name = n,
    MICA_SYSCALLS(MICA_SYSCALL_ENUM)
#undef MICA_SYSCALL_ENUM
        SYS_COUNT
};

/* Status codes: 0 or negative. */
#define MICA_ERRORS(X)                                                                   \
    X(0, OK, "success")                                                                  \
    X(-1, EINVAL, "invalid argument")                                                    \
    X(-2, EBADH, "no such handle")                                                       \
    X(-3, ERIGHTS, "handle lacks the right")                                             \
    X(-4, ETYPE, "handle names the wrong kind of object")                                \
    X(-5, EFAULT, "bad user pointer")                                                    \
    X(-6, ENOMEM, "out of memory or over the task's quota")                              \
    X(-7, ETIMEOUT, "timed out")                                                         \
    X(-8, EAGAIN, "would block")                                                         \
    X(-9, EDEAD, "the peer died")                                                        \
    X(-10, ENOSYS, "no such system call")                                                \
    X(-11, ENOENT, "not found")                                                          \
    X(-12, EBUSY, "busy")                                                                \
    X(-13, ERANGE, "out of range")                                                       \
    X(-14, ELOST, "the server died after taking the call; it may have acted")

enum mica_status {
#define MICA_ERROR_ENUM(n, name, doc) MICA_##name = n,
    MICA_ERRORS(MICA_ERROR_ENUM)
#undef MICA_ERROR_ENUM
};

/* Timeouts for blocking calls (r12). */
#define MICA_NO_WAIT      0ull
#define MICA_WAIT_FOREVER (~0ull)

/* Handle rights. */
#define MICA_RIGHT_SEND                                                                  \
    (1u << 0) /* endpoint: send, call; notification: signal; log: write raw */
#define MICA_RIGHT_RECV   (1u << 1) /* endpoint: receive; notification: wait */
#define MICA_RIGHT_GRANT  (1u << 2) /* may be passed to another task */
#define MICA_RIGHT_MANAGE (1u << 3) /* task, irq, io ports, system, log: use it */
#define MICA_RIGHT_KILL   (1u << 4) /* task: end it (SYS_TASK_KILL) */
#define MICA_RIGHTS_ALL   0x1fu

/* Kernel object types a handle can name. */
enum mica_object_type {
    MICA_OBJ_NONE = 0,
    MICA_OBJ_ENDPOINT,
    MICA_OBJ_NOTIFICATION,
    MICA_OBJ_TASK,
    MICA_OBJ_IRQ,
    MICA_OBJ_IOPORTS,
    MICA_OBJ_SYSTEM,
    MICA_OBJ_RAM,
    MICA_OBJ_LOG,
    MICA_OBJ_REPLY, /* a saved call, answered once (SYS_REPLY_TO) */
    MICA_OBJ_TRACE, /* the IPC flight recorder (SYS_TRACE) */
};

/* SYS_TASK_SPAWN returns the new task's id and, as a second result (rdi),
 * a handle of the spawner's to the task with MICA_RIGHT_KILL and
 * MICA_RIGHT_GRANT, which SYS_TASK_KILL takes. */

/* Handles every task starts with. */
#define MICA_HANDLE_NS   1  /* endpoint of init's name service (badge: task id) */
#define MICA_HANDLE_SELF 63 /* the task itself (MANAGE | GRANT) */
/* init's boot capabilities. */
#define MICA_BOOT_CAP_SYSTEM 2  /* power off / reset */
#define MICA_BOOT_CAP_COM1   3  /* I/O ports 0x3f8..0x3ff */
#define MICA_BOOT_CAP_IRQ4   4  /* COM1 interrupt */
#define MICA_BOOT_CAP_PS2    5  /* I/O ports 0x60..0x64 */
#define MICA_BOOT_CAP_IRQ1   6  /* keyboard interrupt */
#define MICA_BOOT_CAP_RAM    7  /* all free RAM, for the memory server */
#define MICA_BOOT_CAP_SCREEN 8  /* the framebuffer (or VGA text memory) */
#define MICA_BOOT_CAP_LOG    9  /* the kernel log (MANAGE, GRANT, SEND) */
#define MICA_BOOT_CAP_CRTC   10 /* I/O ports 0x3d4..0x3d5 (VGA cursor) */
#define MICA_BOOT_CAP_TRACE  11 /* the IPC flight recorder (MANAGE, GRANT) */

/* SYS_MAP flags. A page is writable and executable only if both are given. */
#define MICA_MAP_WRITE 1u
#define MICA_MAP_EXEC  2u

/* Every server obeys this label from the shell by faulting on purpose (a
 * real fault inside the server, to exercise supervision). */
#define MICA_LABEL_CRASH 0xfffffff1u

/* The pager protocol. Page faults reach a task's pager as a call with
 * label MICA_LABEL_PAGE_FAULT: w0 = fault address, w1 = what the access
 * was (MICA_FAULT_* bits), w2 = rip (0 when the kernel's copy of a
 * syscall argument faulted). The pager replies with label
 * MICA_FAULT_RESOLVED when it has mapped the page (the task retries the
 * access); MICA_FAULT_MAP with w0 = one of its RAM handles (MANAGE),
 * w1 = a frame index, w2 = MICA_MAP_* flags, to have the kernel map that
 * frame at the faulting page as SYS_MAP would (so a pager needs no task
 * handle of its client to serve its faults); MICA_FAULT_KILL (or anything
 * else) to have the task killed. After 8 "resolved" replies in a row for
 * the same address and rip, or a mapping the kernel refuses, the task is
 * killed (a syscall's user copy fails with EFAULT). A pager that dies
 * holding the fault (MICA_ELOST) is asked again, through the same
 * endpoint: one that outlives the pager reaches its restarted instance. */
#define MICA_LABEL_PAGE_FAULT 0xfffffff0u
#define MICA_FAULT_PRESENT    (1u << 0) /* the page was mapped: a rights violation */
#define MICA_FAULT_WRITE      (1u << 1) /* a write (else a read) */
#define MICA_FAULT_USER       (1u << 2) /* from user mode (always set for a task) */
#define MICA_FAULT_EXEC       (1u << 4) /* an instruction fetch */
#define MICA_FAULT_RESOLVED   0u
#define MICA_FAULT_KILL       1u
#define MICA_FAULT_MAP        2u

/* Label ranges of the servers' protocols (mica/<server>.h): a message sent
 * to the wrong server has a label that server refuses, never misreads. */
#define MICA_LABELS_NS        0x100u /* init's name service: mica/ns.h */
#define MICA_LABELS_CONSOLE   0x200u /* mica/console.h */
#define MICA_LABELS_MEMORY    0x300u /* mica/memory.h */
#define MICA_LABELS_FUZZ      0x400u /* mica/fuzz.h */
#define MICA_LABELS_BENCHPEER 0x500u /* servers/benchpeer/protocol.h */
#define MICA_LABELS_HELLO     0x600u /* mica/hello.h */

/* SYS_RAM_INFO result. For the screen object, the geometry GRUB set up
 * (Multiboot2 spec §3.6.12): kind 1 = RGB framebuffer, 2 = EGA text (the
 * width and height are then in characters); offset is where the first
 * pixel lies within frame 0. */
struct mica_ram_info {
    uint64_t frames;
    uint32_t kind; /* 0 = plain RAM */
    uint32_t width, height, pitch;
    uint8_t bpp, red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
    uint8_t reserved;
    uint32_t offset;
};

/* SYS_LOG_BIND and SYS_LOG_READ: the kernel log is a byte stream addressed
 * by position (bytes written since boot). After LOG_BIND the kernel prints
 * nothing itself and signals `bits` on ntf when bytes arrive; LOG_BIND
 * returns the position up to which the kernel had already printed. A
 * LOG_READ at *pos says the caller has shown everything before *pos; it
 * copies at most MICA_LOG_READ_MAX bytes from *pos, or from the oldest
 * byte still held if the ring has moved past *pos (then *pos is raised to
 * it), and returns the count. When the reader dies the kernel prints again
 * from the first byte it had not confirmed. */
#define MICA_LOG_READ_MAX 1024u

/* SYS_THREAD_CREATE: the new thread starts as if `entry` had been called
 * with rsp = stack_top - 8 (stack_top 16-byte aligned), rdi = arg and rsi =
 * the address of its own IPC buffer (MICA_IPC_BUFFER - k pages for thread
 * k; the first thread's is MICA_IPC_BUFFER). It must not return. */

/* SYS_THREAD_AFFINITY: thread k of the caller's own task (MICA_THREAD_SELF:
 * the calling thread) runs only on the CPUs whose bits are set in `cpus`
 * (bit n: CPU n, as SYS_CPU_INFO numbers them; bits of CPUs that are not
 * online are ignored). MICA_EINVAL when no online CPU is left or k names
 * no thread. A thread running elsewhere moves at once. A task's first
 * thread may run on all CPUs (MICA_CPUS_ALL); a new thread on those of
 * the thread that created it. The kernel picks among the allowed CPUs. */
#define MICA_THREAD_SELF UINT64_MAX
#define MICA_CPUS_ALL    0xffu

/* SYS_MODULE_INFO result: an accepted boot module (index 0, 1, ... until
 * MICA_ENOENT). The command line is the module2 line's text after the
 * file name; its first word is the name. */
struct mica_module_info {
    uint64_t size;
    char name[32];
    char cmdline[128];
};

/* SYS_MEM_INFO result (KiB). */
struct mica_mem_info {
    uint64_t total_kib;  /* RAM the kernel found usable at boot */
    uint64_t kernel_kib; /* held by the kernel: image, tables, stacks, objects */
    uint64_t ram_kib;    /* in the RAM object handed to the memory server */
    uint64_t ram_frames; /* frames in that RAM object (SYS_MAP indices) */
};

/*
 * Message info word: label in bits 0..31, payload length (bytes copied from
 * the sender's IPC buffer, at most MICA_IPC_PAYLOAD_MAX) in bits 32..44, and
 * in bit 48 "word 0 is a handle to transfer".
 */
#define MICA_IPC_PAYLOAD_MAX  4096u
#define MICA_INFO(label, len) ((uint64_t)(uint32_t)(label) | ((uint64_t)(len) << 32))
#define MICA_INFO_LABEL(info) ((uint32_t)(info))
#define MICA_INFO_LEN(info)   ((uint32_t)(((info) >> 32) & 0x1fff))
#define MICA_INFO_HANDLE      (1ull << 48)

struct mica_msg {
    uint64_t info;
    uint64_t w[4];
};

/* The size of a page: of every mapping (SYS_MAP, SYS_UNMAP, the memory
 * server's requests) and of the IPC buffer. */
#define MICA_PAGE_SIZE 4096ull

/* Every thread has a one-page IPC buffer here; payloads are copied from the
 * sender's buffer into the receiver's. */
#define MICA_IPC_BUFFER 0x00007ffffffef000ull

/* SYS_SYSTEM operations. */
#define MICA_SYSTEM_POWEROFF 1
#define MICA_SYSTEM_RESET    2

/* A task's kernel budget (SYS_TASK_SPAWN): the kernel memory frames
 * (page tables, image, stack and IPC-buffer frames), task slots, thread
 * slots and object slots (endpoints and notifications) it and its
 * children may use, and the pages of RAM it may hold from the memory
 * server (a quota the kernel only carries down the tree, and the memory
 * server enforces: SYS_TASK_INFO tells it). It is carved out of the
 * payer's own budget; 0 in a field asks for the default (none for tasks;
 * for pages, half of what the payer has left). */
struct mica_budget {
    uint64_t frames;
    uint32_t tasks;
    uint32_t threads;
    uint32_t objects;
    uint32_t reserved; /* 0 */
    uint64_t pages;
};
#define MICA_BUDGET_DEFAULT_FRAMES  256
#define MICA_BUDGET_DEFAULT_THREADS 8
#define MICA_BUDGET_DEFAULT_OBJECTS 32

/* SYS_HANDLE_INFO result: what one of the caller's own handles is. For a
 * task handle the badge is the task's id, so a server can check that a
 * task handle it was given is its client's own; for a reply handle it is
 * 1 while the saved call's caller still waits, 0 once it gave up or died
 * (so a server can drop a deferred request nobody waits for). */
struct mica_handle_info {
    uint32_t type;   /* enum mica_object_type */
    uint32_t rights; /* MICA_RIGHT_* */
    uint64_t badge;
};

/* SYS_TASK_INFO result. */
struct mica_task_info {
    uint32_t id;
    uint32_t state; /* MICA_TASK_* */
    uint32_t priority;
    uint32_t reserved;
    uint64_t pages; /* user pages mapped */
    char name[32];
    /* Of its budget: the frames in use (children's budgets included), and
     * the budget's frames. */
    uint64_t kernel_frames;
    uint64_t kernel_limit;
    /* The same for object slots (endpoints and notifications). */
    uint64_t objects;
    uint64_t objects_limit;
    /* Its memory-server page quota, and how much of it its children's
     * quotas take: it may hold mem_pages_limit - mem_pages_children. */
    uint64_t mem_pages_children;
    uint64_t mem_pages_limit;
    /* Its calls, reply_recvs, notifications and yields that the kernel's
     * general path served rather than a fast path (the two are observably
     * the same; this tells which one ran). */
    uint64_t ipc_general;
    /* Per thread slot k (0 = the first thread): the CPU it runs on, is
     * queued on or last ran on; MICA_CPU_NONE for an empty slot. */
    uint8_t thread_cpu[8];
    /* Of those, the threads running on a CPU right now (bit k). */
    uint32_t threads_running;
    uint32_t reserved2;
};
enum { MICA_TASK_RUNNING = 1, MICA_TASK_BLOCKED = 2, MICA_TASK_DEAD = 3 };

/* SYS_TRACE: the IPC flight recorder, one ring of events for all CPUs
 * (each event names its CPU), off at
 * boot. MICA_TRACE_ON empties the ring and records from then on (the
 * kernel's fast paths are left for the general path meanwhile, so every
 * event passes one place); MICA_TRACE_OFF stops; MICA_TRACE_READ copies
 * up to n events, the oldest kept first, of those numbered `seq` and up
 * into the array, and returns how many. An event names its tasks by id
 * and by name (the name as it was, for tasks that are gone since). */
enum { MICA_TRACE_OFF = 0, MICA_TRACE_ON = 1, MICA_TRACE_READ = 2 };
enum mica_trace_kind {
    MICA_TRACE_CALL = 1,   /* a call delivered: from the caller to the receiver */
    MICA_TRACE_REPLY = 2,  /* a reply delivered: from the replier to the caller */
    MICA_TRACE_SEND = 3,   /* a send delivered */
    MICA_TRACE_RECV = 4,   /* a thread begins to wait on an endpoint */
    MICA_TRACE_NOTIFY = 5, /* a signal (label = the bits; to = the waiter woken) */
    MICA_TRACE_FAULT = 6,  /* a page fault delivered to the pager (badge = address) */
    MICA_TRACE_SWITCH = 7, /* the CPU goes from one thread to another */
    MICA_TRACE_IRQ = 8,    /* an interrupt line fired (label = the line) */
};
#define MICA_TRACE_NAME 16
struct mica_trace_event {
    uint64_t seq; /* 0, 1, ... since MICA_TRACE_ON */
    uint64_t tsc; /* the time stamp counter when it happened */
    uint32_t cpu;
    uint32_t kind;                   /* enum mica_trace_kind */
    uint32_t from, to;               /* task ids; 0: the kernel (or nobody) */
    uint32_t from_thread, to_thread; /* thread numbers in the kernel */
    uint32_t label;                  /* the message's label (a reply's status) */
    uint32_t len;                    /* payload bytes */
    uint64_t badge;                  /* of the handle a message came through */
    uint32_t endpoint;               /* the endpoint's number in the kernel, 0: none */
    uint32_t reserved;
    char from_name[MICA_TRACE_NAME], to_name[MICA_TRACE_NAME];
};

/* SYS_CPU_INFO result: CPU `index` (0, 1, ... until MICA_ENOENT), in the
 * order the kernel started them (0: the boot CPU). `ticks` counts the
 * timer ticks it has taken (100 Hz), `idle_ticks` those that found it
 * idle; a CPU that runs no tasks (runs_tasks 0) takes none. */
enum { MICA_CPU_ONLINE = 1 }; /* a CPU that did not start is not listed */
#define MICA_CPU_NONE 0xffu   /* mica_task_info.thread_cpu: no thread */
struct mica_cpu_info {
    uint32_t id;
    uint32_t apic;       /* its local APIC id */
    uint32_t state;      /* MICA_CPU_* */
    uint32_t runs_tasks; /* 1 if the scheduler puts tasks on it */
    uint64_t ticks, idle_ticks;
};

#endif
