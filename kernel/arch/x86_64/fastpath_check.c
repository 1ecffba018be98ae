/*
 * The numbers of fastpath.h, asserted against the structures they
 * describe (no code).
 */
#include <stddef.h>

#include "arch/x86_64/fastpath.h"
#include "cap/handle.h"
#include "object/endpoint.h"
#include "object/notification.h"
#include "sched/sched.h"
#include "task/task.h"

#define AT(type, field, value)                                                           \
    _Static_assert(offsetof(type, field) == (value), "fastpath.h: " #type "." #field)

AT(struct thread, state, T_STATE);
AT(struct thread, reason, T_REASON);
AT(struct thread, cpu, T_CPU);
AT(struct thread, task, T_TASK);
AT(struct thread, priority, T_PRIORITY);
AT(struct thread, handoff_limit, T_HANDOFF);
AT(struct thread, kstack_top, T_KSTACK_TOP);
AT(struct thread, saved_rsp, T_SAVED_RSP);
AT(struct thread, ipc_buffer_phys, T_IPC_PHYS);
AT(struct thread, deadline_ms, T_DEADLINE);
AT(struct thread, next, T_NEXT);
AT(struct thread, waiting_on, T_WAITING_ON);
AT(struct thread, reply_to, T_REPLY_TO);
AT(struct thread, reply_gone, T_REPLY_GONE);
AT(struct thread, caller_of, T_CALLER_OF);
AT(struct thread, time_left, T_TIME_LEFT);
AT(struct thread, fpu, T_FPU);
AT(struct thread, in_fault, T_IN_FAULT);
_Static_assert(sizeof(((struct thread *)0)->state) == 1 &&
                   sizeof(((struct thread *)0)->reason) == 1,
               "fastpath.h: state and reason are a byte each");
_Static_assert(sizeof(((struct thread *)0)->handoff_limit) == 4, "fastpath.h: 32 bits");
_Static_assert(sizeof(((struct thread *)0)->time_left) == 4,
               "fastpath.h: time_left 32 bits");

AT(struct task, vm, TASK_VM);
AT(struct task, handles, TASK_HANDLES);
AT(struct task, io_bitmap, TASK_IO);

AT(struct handle, type, H_TYPE);
AT(struct handle, rights, H_RIGHTS);
AT(struct handle, badge, H_BADGE);
AT(struct handle, object, H_OBJECT);
_Static_assert(sizeof(struct handle) == H_SIZE, "fastpath.h: H_SIZE");
_Static_assert(HANDLES_PER_TASK == HANDLES, "fastpath.h: HANDLES");

AT(struct notification, bits, N_BITS);
AT(struct notification, waiter, N_WAITER);
AT(struct run_queue, head, RQ_HEAD);
AT(struct run_queue, tail, RQ_TAIL);
AT(struct sched_cpu, queues, 0);
AT(struct sched_cpu, ready_mask, SC_MASK);
_Static_assert(sizeof(struct run_queue) == 16, "fastpath.h: run queues 16 bytes");

AT(struct endpoint, dead, EP_DEAD);
AT(struct endpoint, senders, EP_SENDERS);
AT(struct endpoint, receivers, EP_RECEIVERS);

_Static_assert(THREAD_READY == THREAD_READY_ && THREAD_RUNNING == THREAD_RUNNING_ &&
                   THREAD_BLOCKED == THREAD_BLOCKED_,
               "fastpath.h: thread states");
_Static_assert(BLOCK_NOTIFY == BLOCK_NOTIFY_ && BLOCK_NONE == 0,
               "fastpath.h: BLOCK_NOTIFY");
_Static_assert(MICA_OBJ_NOTIFICATION == OBJ_NOTIFICATION, "fastpath.h: notification");
_Static_assert(SYS_YIELD == NR_YIELD && SYS_NOTIFY_SIGNAL == NR_NOTIFY_SIGNAL &&
                   SYS_NOTIFY_WAIT == NR_NOTIFY_WAIT,
               "fastpath.h: yield and notification numbers");
_Static_assert(BLOCK_RECV == BLOCK_RECV_ && BLOCK_REPLY == BLOCK_REPLY_,
               "fastpath.h: block reasons");
_Static_assert(MICA_OBJ_ENDPOINT == OBJ_ENDPOINT && MICA_RIGHT_SEND == RIGHT_SEND &&
                   MICA_RIGHT_RECV == RIGHT_RECV,
               "fastpath.h: object type and rights");
_Static_assert(MICA_INFO_HANDLE == 1ull << INFO_HANDLE_BIT &&
                   MICA_INFO_LEN(~0ull) == INFO_LEN_MASK &&
                   MICA_INFO_LEN(1ull << INFO_LEN_SHIFT) == 1,
               "fastpath.h: info word");
_Static_assert(MICA_IPC_PAYLOAD_MAX == PAYLOAD_MAX, "fastpath.h: PAYLOAD_MAX");
_Static_assert(SYS_CALL == NR_CALL && SYS_REPLY_RECV == NR_REPLY_RECV &&
                   NR_REPLY_RECV == NR_CALL + 2,
               "fastpath.h: syscall numbers");
_Static_assert(SYS_COUNT == NR_COUNT && MICA_ENOSYS == STATUS_ENOSYS,
               "fastpath.h: syscall count, ENOSYS");
_Static_assert(SCHED_SLICE_TICKS == SLICE_TICKS, "fastpath.h: SLICE_TICKS");
