/*
 * The protocol between the bench task and its partner, benchpeer: the one
 * definition, used by both. benchpeer is the other address space of the
 * cross-task benchmarks; it registers "benchpeer" with the name service and
 * serves one client at a time.
 *
 * Requests are calls; the reply's label is the status (MICA_REPLY_STATUS).
 *   PEER_HELLO   Reply w[0] = benchpeer's task id, so that the bench task
 *                knows it reached the instance it started.
 *   PEER_ECHO    payload of any length (0..MICA_IPC_PAYLOAD_MAX). Replied
 *                at once with the same payload and no words: the ipc_rtt
 *                and ipc_rtt_4k partner.
 *   PEER_NOTIFY  handle attached (MICA_INFO_HANDLE, w[0]) = a notification
 *                the caller waits on (send right). The reply attaches one
 *                benchpeer waits on. benchpeer then answers every
 *                PEER_BIT_PING on its notification with PEER_BIT_PONG on
 *                the caller's, until it sees PEER_BIT_STOP (answered with
 *                PEER_BIT_PONG too), and takes calls again.
 *   PEER_PIN     w[0] = a CPU mask (bit n: CPU n, as SYS_CPU_INFO numbers
 *                them). benchpeer's main thread, the one that answers
 *                PEER_ECHO and PEER_NOTIFY, pins itself to those CPUs
 *                (SYS_THREAD_AFFINITY) before it replies; the reply's
 *                status is the pin's: ipc_rtt_xcpu puts it on another CPU
 *                than the caller this way.
 *   PEER_SERVE   w[0] = a CPU mask (0: no pin). A new thread of benchpeer on those CPUs
 *                serves a new endpoint of its own: PEER_ECHO as above,
 *                and nothing else. The reply attaches a send handle to
 *                that endpoint (w[0]) and gives the thread's slot (w[1],
 *                as mica_task_info.thread_cpu numbers them); its status is
 *                the pin's when the thread was made but not pinned (it is
 *                then left waiting on an endpoint nobody holds). The
 *                servers of ipc_throughput, one per CPU; they live until
 *                benchpeer exits.
 *   PEER_EXIT    Replied with MICA_OK, then benchpeer exits.
 * Anything else gets MICA_ENOSYS (MICA_EINVAL for a bad field); a handle
 * attached where none is expected is closed.
 */
#ifndef MICA_BENCHPEER_PROTOCOL_H
#define MICA_BENCHPEER_PROTOCOL_H

#include <mica/abi.h>

/* Labels: a range of their own, so a message sent to the wrong server is
 * refused rather than misread. */
enum peer_label {
    PEER_HELLO = MICA_LABELS_BENCHPEER,
    PEER_ECHO = MICA_LABELS_BENCHPEER + 1,
    PEER_NOTIFY = MICA_LABELS_BENCHPEER + 2,
    PEER_EXIT = MICA_LABELS_BENCHPEER + 3,
    PEER_PIN = MICA_LABELS_BENCHPEER + 4,
    PEER_SERVE = MICA_LABELS_BENCHPEER + 5,
};

/* PEER_SERVE threads benchpeer can make: its thread slots (8 per task, as
 * mica_task_info.thread_cpu has) less its main thread. */
#define PEER_SERVERS_MAX 7

#define PEER_NAME "benchpeer"

#define PEER_BIT_PING 1u
#define PEER_BIT_PONG 1u
#define PEER_BIT_STOP 2u

#endif
