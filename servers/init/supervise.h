/*
 * init's supervision (see supervise.c): starting the boot modules and
 * restarting the ones that die.
 */
#ifndef MICA_INIT_SUPERVISE_H
#define MICA_INIT_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>

/* Called for every module started at boot (main.c tracks them for the
 * `state=up` and `mica: ready` lines). */
void boot_task_started(uint64_t id, const char *name);

/* Starts every boot module except init and the on-demand ones, then the
 * watcher thread that restarts them when they die. */
void supervise_start(void);

/* Whether the module a task named `name` runs has the word "rawlog" on
 * its line: its DEBUG_WRITE lines go in as they are (NS_CAP_LOG_WRITE). */
bool supervise_may_log_raw(const char *name);

/* Starts an on-demand module (its module2 line says "ondemand") paid for
 * by `payer` (a task handle with MANAGE: the requester's); returns the new
 * task's id or a negative MICA_E*, and in *task a handle to it (KILL,
 * GRANT) that the caller passes on or closes. */
long supervise_spawn_ondemand(const char *name, uint64_t payer, uint64_t *task);

#endif
