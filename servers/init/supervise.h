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

/* Policy from the modules' lines, asked with the module a task runs (as
 * init started it, never a name the task gives):
 *   supervise_may_register  the module's own name, or one of names=a,b
 *   supervise_has_cap       one of caps=a,b: "ram" (NS_CAP_RAM), "devices"
 *                           (COM1, its IRQ, PS/2, its IRQ, the screen, the
 *                           CRTC), "log" (the kernel log to show it),
 *                           "rawlog" (the log to write lines as they are),
 *                           "control" (power off, crash requests),
 *                           "endpoint" (an endpoint that outlives it),
 *                           "trace" (the IPC flight recorder) */
bool supervise_may_register(const char *module, const char *name);
bool supervise_has_cap(const char *module, const char *cap);

/* Starts an on-demand module (its module2 line says "ondemand") paid for
 * by `payer` (a task handle with MANAGE: the requester's); returns the new
 * task's id or a negative MICA_E*, and in *task a handle to it (KILL,
 * GRANT) that the caller passes on or closes. */
long supervise_spawn_ondemand(const char *name, uint64_t payer, uint64_t *task);

#endif
