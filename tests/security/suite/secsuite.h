/*
 * The attack suite's side of the peer protocol (../sec.h) and what its
 * attacks share. An attack is a KTEST (tests/guest/ktest.h) that passes
 * only when the attack fails: it asserts the protected outcome.
 *
 * Peers: peer_start() spawns a peer module through the name service and
 * waits for its hello; peer_do() sends it a command and waits for the
 * result. Peers a test leaves alive are told to exit after the test
 * (sec_cleanup, run by ktest after every test body), and the handles they
 * gave are closed, so that no test sees another's peers.
 */
#ifndef MICA_TESTS_SECURITY_SECSUITE_H
#define MICA_TESTS_SECURITY_SECSUITE_H

#include <stdbool.h>
#include <stdint.h>

#include "../sec.h"
#include "ktest.h"

#define SEC_RESULT_MS 4000 /* a peer's answer to a command */
#define SEC_DEATH_MS  3000 /* a peer's death after what should kill it */

struct peer {
    bool used;
    bool watchdog; /* its watchdog fired */
    uint64_t id;   /* task id (its badge on the control endpoint) */
    uint64_t cmd;  /* send handle to its command endpoint */
    uint64_t kill; /* the task handle init's NS_SPAWN reply carried, or 0 */
};

/* Set up once, before the tests: the control endpoint (all rights). */
void sec_ctl_init(uint64_t ctl);
/* After every test: peers told to exit, their handles closed. */
void sec_cleanup(void);

/* NS_SPAWN of `module` (from the main thread: the name goes in its IPC
 * buffer): its status, the new task's id, and in *handle the task handle
 * the reply carried, if any (the spawner's KILL handle), else 0. */
long sec_spawn(const char *module, uint64_t *id, uint64_t *handle);
/* Starts `module` (SEC_PEER or SEC_EDGE); NULL with the test failed when
 * it cannot be started or says no hello. */
struct peer *peer_start(const char *module);
/* The same without failing the test: the name service's status. */
long peer_try_start(const char *module, struct peer **out);
long peer_send(struct peer *p, uint32_t cmd, uint64_t handle, uint64_t a1, uint64_t a2,
               uint64_t a3);
/* The peer's next result: MICA_OK with *out, MICA_EDEAD when it died (or
 * its watchdog fired) first, MICA_ETIMEOUT. */
long peer_wait(struct peer *p, struct mica_msg *out, uint64_t timeout_ms);
/* Command and result: the result's status (w[1]), or peer_wait's error.
 * out may be NULL. A handle attached to the result is in out->w[0] (the
 * caller closes it) or closed when out is NULL. */
long peer_do(struct peer *p, uint32_t cmd, uint64_t handle, uint64_t a1, uint64_t a2,
             uint64_t a3, struct mica_msg *out);
bool task_alive(uint64_t id);
bool peer_alive(const struct peer *p);
/* Waits for the task to be dead; true when it is. */
bool peer_wait_dead(struct peer *p, uint64_t timeout_ms);
/* Tells the peer to exit (if it still can) and forgets it. */
void peer_stop(struct peer *p);
/* A send copy of endpoint h (SEND, GRANT) with that badge, 0 if none. */
uint64_t sec_send_copy(uint64_t h, uint64_t badge);
/* Has peer p make `cmd` (CMD_CALL, CMD_CALL_EXIT) with `label` to our
 * endpoint e through a copy badged `badge`, and takes that call on e
 * (into *m, when it has that badge): MICA_OK or what failed. */
long peer_call_us(struct peer *p, uint32_t cmd, uint64_t e, uint64_t badge,
                  uint32_t label, uint64_t timeout_ms, struct mica_msg *m);

/* Status in a result message. */
static inline long result_status(const struct mica_msg *m)
{
    return (long)(int64_t)m->w[1];
}

/* A peer's report on a multi-step attack (CMD_IPCBUF, CMD_UNMAP_SELF,
 * CMD_THREAD_BAD): w[2] is the step that went otherwise than the kernel
 * promises (0: none), w[3] what happened there (often a status). */
#define KT_PEER_STEPS(r)                                                                 \
    do {                                                                                 \
        if ((r).w[2]) {                                                                  \
            kt_fail(__FILE__, __LINE__, "peer step %llu: got %lld (%s)",                 \
                    (unsigned long long)(r).w[2], (long long)(int64_t)(r).w[3],          \
                    kt_status_name((long)(int64_t)(r).w[3]));                            \
            return;                                                                      \
        }                                                                                \
    } while (0)

/* Crashes the supervised server `name` (a MICA_LABEL_CRASH through our
 * control handle) while a fresh peer polls NS_REGISTER of sec_names[index]
 * for 1.5 s. Returns the crash call's status (MICA_ELOST: it faulted) and
 * in *poll the peer's result: w[2] times it got the name, w[3] tries (the
 * status of the wait in *poll_status). */
long sec_crash_under_poller(const char *name, uint64_t index, struct mica_msg *poll,
                            long *poll_status);

/* The rest of the system still answers: a name lookup and a call to the
 * memory server. MICA_OK or the first error. */
long sec_system_answers(void);

/* Has a fresh `module` peer run the edge code `which` (CMD_EDGE), which
 * must end with the kernel killing it (not its watchdog), and the rest of
 * the system still answering. */
void peer_edge_attack(const char *module, enum sec_edge which);

/* Kernel memory (SYS_MEM_INFO kernel_kib). */
uint64_t sec_kernel_kib(void);
/* The kernel frames in use by init's budget, its children's included
 * (SYS_TASK_INFO kernel_frames), and the same of our own budget, out of
 * which the peers we have init spawn are carved. */
uint64_t sec_init_kernel_frames(void);
uint64_t sec_own_kernel_frames(void);
/* The object slots in use by our budget (our objects, our peers' budgets). */
uint64_t sec_own_objects(void);

#endif
