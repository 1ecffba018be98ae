/*
 * Tasks and threads.
 *
 * A task is an address space, a handle table and its threads; a thread is a
 * kernel stack with the saved user state on top, a scheduling state and
 * the IPC state it is blocked in. Both come from fixed pools, so the kernel
 * never allocates memory on behalf of a task beyond the bounded amounts
 * counted in its quota.
 */
#ifndef MICA_TASK_TASK_H
#define MICA_TASK_TASK_H

#include <mica/abi.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "cap/handle.h"
#include "task/budget.h"

#define MAX_TASKS       32
#define MAX_THREADS     ARCH_MAX_KSTACKS
#define TASK_NAME_LEN   32
#define USER_STACK_TOP  0x00007ffffff00000ull
#define USER_STACK_SIZE (64 * 1024)
/* Watches of SYS_TASK_NOTIFY_DEATH one task may carry. */
#define TASK_DEATH_WATCHES 3
/* Threads per task; thread k's IPC buffer is at MICA_IPC_BUFFER - k pages. */
#define TASK_MAX_THREADS 8

enum thread_state {
    THREAD_FREE = 0,
    THREAD_READY,
    THREAD_RUNNING,
    THREAD_BLOCKED,
    THREAD_DEAD,
};

/* What a blocked thread waits for. */
enum block_reason {
    BLOCK_NONE = 0,
    BLOCK_SEND,   /* queued on an endpoint with a message (send or call) */
    BLOCK_RECV,   /* queued on an endpoint for a message */
    BLOCK_REPLY,  /* its call was taken; waits for the reply */
    BLOCK_NOTIFY, /* waits on a notification */
    BLOCK_SLEEP,
};

struct task;
struct endpoint;
struct notification;
struct reply;
struct ram_object;

struct thread {
    /* enum thread_state and enum block_reason, a byte each: the IPC fast
     * path sets both with one store. */
    uint8_t state;
    uint8_t reason;
    /* The CPU it runs on, is queued on, or last ran on; and the CPUs it
     * may run on (bit n: CPU n; SYS_THREAD_AFFINITY). */
    uint8_t cpu;
    uint8_t affinity;
    struct task *task;
    unsigned priority;
    unsigned handoff_limit; /* 2 << priority: ready_mask below it = none higher */
    uint64_t kstack_top;
    /* The kernel context arch_switch resumes; 0: none but the trap frame
     * (the thread blocked in the IPC fast path), see arch_resume_sp. */
    uint64_t saved_rsp;
    struct trap_frame *frame; /* user state, at the top of the kernel stack */
    uint64_t ipc_buffer_phys; /* frame of this thread's IPC buffer */
    uint64_t deadline_ms;     /* when blocked with a timeout; 0 = none */

    struct thread *next;      /* run queue or wait queue link */
    void *waiting_on;         /* endpoint or notification */
    bool is_call;             /* BLOCK_SEND: a call, wants a reply */
    uint64_t send_badge;      /* BLOCK_SEND: badge of the handle used */
    struct thread *reply_to;  /* caller this thread must answer */
    bool reply_gone;          /* that caller gave up (timeout): replying is a no-op */
    struct thread *caller_of; /* BLOCK_REPLY: the thread that holds our call */
    struct reply *saved_in;   /* BLOCK_REPLY: or the reply object that does */
    unsigned time_left;       /* ticks left in the slice */
    /* A page fault sent to the pager: the message comes from fault_msg
     * instead of the user registers, and the reply's label lands in
     * fault_result (the user registers must survive the round trip). */
    uint8_t fpu[ARCH_FPU_AREA] __attribute__((aligned(16)));
    bool in_fault;
    struct mica_msg fault_msg;
    int64_t fault_status;
    uint64_t fault_result;
    /* MICA_FAULT_MAP: the frame the pager named (its RAM object is
     * static, so the pointer cannot dangle). */
    struct ram_object *fault_ram;
    uint64_t fault_index, fault_flags;
    /* The last fault the pager said it resolved, and how many times in a
     * row it said so (task/fault.c bounds a pager that only says so). */
    uint64_t fault_rip, fault_addr;
    unsigned fault_retries;
};

struct task {
    bool used;
    uint32_t id;
    char name[TASK_NAME_LEN];
    uint64_t vm;    /* page-table root */
    uint64_t pages; /* user pages mapped */
    unsigned priority;
    struct handle_table handles;
    struct thread *main;                      /* threads[0] */
    struct thread *threads[TASK_MAX_THREADS]; /* NULL: free slot */
    struct arch_io_bitmap *io_bitmap;         /* NULL: no I/O ports */
    struct endpoint *pager; /* receives this task's page faults, or NULL */
    /* Supervision: signalled with watch_bits when the task dies. */
    struct notification *watch;
    uint64_t watch_bits;
    bool will_restart; /* the supervisor's word, for the fault line */
    /* Others told of its death (SYS_TASK_NOTIFY_DEATH: the memory server
     * for its clients); counted references, NULL: free. */
    struct {
        struct notification *ntf;
        uint64_t bits;
    } death[TASK_DEATH_WATCHES];
    bool dead;
    struct budget budget; /* kernel memory and slots (budget.h) */
    /* Syscalls of the kinds the fast paths serve that the general path
     * served (counted there, so the fast paths pay nothing for it). */
    uint64_t ipc_general;
};

struct boot_module;
struct pmm;

void task_init(struct pmm *pmm);
/* Loads an accepted boot module as a new task with one thread, ready to
 * run, its budget carved out of parent's (want may be NULL: defaults); the
 * first task has no parent and gets an unlimited budget until
 * budget_root sets it. Returns the task, or NULL with *err (MICA_ENOMEM
 * when the budget or the kernel is short; reported on the console). */
struct task *task_spawn_module(const struct boot_module *m, unsigned priority,
                               struct task *parent, const struct mica_budget *want,
                               int *err);
/* Maps frame pa (not the kernel's: a RAM-object frame) at va in t's
 * space, charging the page tables it needs to t. MICA_OK or MICA_ENOMEM. */
int task_map_frame(struct task *t, uint64_t va, uint64_t pa, unsigned flags);
struct task *task_by_id(uint32_t id);
/* The thread's FPU area, NULL for a kernel thread (the idle one). */
static inline void *thread_fpu_area(struct thread *t)
{
    return t->task ? t->fpu : NULL;
}
static inline void thread_set_priority(struct thread *t, unsigned priority)
{
    t->priority = priority;
    t->handoff_limit = 2u << priority;
}
struct task *task_by_index(unsigned i);
/* Ends a task: wakes everything blocked on it with MICA_EDEAD, frees its
 * memory, handles and threads. The caller must reschedule if it was current. */
void task_kill(struct task *t);
/* Signals `bits` on n (counted reference) when t dies; the same n again
 * only changes the bits. MICA_ENOMEM when TASK_DEATH_WATCHES are taken. */
int task_notify_death(struct task *t, struct notification *n, uint64_t bits);
struct thread *thread_current(void);
/* A new thread in the current task, entering user mode at entry with
 * rsp = stack_top, rdi = arg and rsi = its IPC buffer address. */
int64_t thread_create(uint64_t entry, uint64_t stack_top, uint64_t arg);
/* Thread slots, for the scheduler's timeout scan. */
struct thread *thread_by_index(unsigned i);
/* 1 + the thread's slot, for reports; 0 for the idle thread. */
unsigned thread_number(const struct thread *t);
/* Frames for which keep() is true are not freed when a task dies (they
 * belong to the RAM object of the memory server). */
void task_set_frame_keeper(bool (*keep)(uint64_t pa));

#endif
