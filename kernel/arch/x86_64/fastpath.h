/*
 * What the IPC fast path (fastpath.S) knows of the kernel's C structures:
 * the offsets of the fields it reads and writes, and the values of the
 * enums and flags it compares. Assembly includes this for the numbers; C
 * (fastpath_check.c) includes it with the structures and asserts every
 * number against them, so a change of layout breaks the build, never the
 * fast path.
 */
#ifndef MICA_ARCH_X86_64_FASTPATH_H
#define MICA_ARCH_X86_64_FASTPATH_H

/* struct thread (task/task.h) */
#define T_STATE      0
#define T_REASON     1
#define T_CPU        2
#define T_TASK       8
#define T_PRIORITY   16
#define T_HANDOFF    20
#define T_KSTACK_TOP 24
#define T_SAVED_RSP  32
#define T_IPC_PHYS   48
#define T_DEADLINE   56
#define T_NEXT       64
#define T_WAITING_ON 72
#define T_REPLY_TO   96
#define T_REPLY_GONE 104
#define T_CALLER_OF  112
#define T_TIME_LEFT  128
#define T_FPU        144
#define T_IN_FAULT   656

/* struct task */
#define TASK_VM      40
#define TASK_HANDLES 64
#define TASK_IO      (TASK_HANDLES + 64 * 24 + 8 + 64)

/* struct handle (cap/handle.h): 24 bytes a slot */
#define H_SIZE   24
#define H_TYPE   0
#define H_RIGHTS 4
#define H_BADGE  8
#define H_OBJECT 16
#define HANDLES  64

/* struct notification (object/notification.h) */
#define N_BITS   8
#define N_WAITER 16

/* struct run_queue (sched/sched.h): 16 bytes a priority, the first
 * thing in struct sched_cpu; then the bitmap of the non-empty ones */
#define RQ_HEAD 0
#define RQ_TAIL 8
#define SC_MASK 128

/* struct endpoint (object/endpoint.h) */
#define EP_DEAD      8
#define EP_SENDERS   24
#define EP_RECEIVERS 32

/* enum thread_state, enum block_reason */
#define THREAD_READY_   1
#define THREAD_RUNNING_ 2
#define THREAD_BLOCKED_ 3
#define BLOCK_RECV_     2
#define BLOCK_REPLY_    3
#define BLOCK_NOTIFY_   4

/* mica/abi.h */
#define OBJ_ENDPOINT     1
#define OBJ_NOTIFICATION 2
#define RIGHT_SEND       1
#define RIGHT_RECV       2
#define INFO_HANDLE_BIT  48
#define INFO_LEN_SHIFT   32
#define INFO_LEN_MASK    0x1fff
#define PAYLOAD_MAX      4096
#define NR_YIELD         1
#define NR_CALL          5
#define NR_REPLY_RECV    7
#define NR_NOTIFY_SIGNAL 8
#define NR_NOTIFY_WAIT   9
#define NR_COUNT         39 /* SYS_COUNT: the first number past the table */
#define STATUS_ENOSYS    (-10)

#define SLICE_TICKS 5 /* sched.h SCHED_SLICE_TICKS */
#define CR0_TS_BIT  8 /* CR0.TS (SDM Vol. 3A §2.5) */

#endif
