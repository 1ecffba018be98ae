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
};

#define PEER_NAME "benchpeer"

#define PEER_BIT_PING 1u
#define PEER_BIT_PONG 1u
#define PEER_BIT_STOP 2u

#endif
