/*
 * run and kill: on-demand programs in the background.
 *
 *   run <program>       start it (NS_SPAWN: init starts modules whose line
 *                       says "ondemand", paid for out of the shell's kernel
 *                       budget) and print `run: <program> id=<n>`
 *   kill <id|program>   end one the shell started (SYS_TASK_KILL with the
 *                       handle init passed on: MICA_RIGHT_KILL)
 *
 * The shell keeps the task handle of each program it started; that handle
 * is its only authority over the program.
 */
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

#define MAX_JOBS 8

struct job {
    uint64_t id;     /* 0: free */
    uint64_t handle; /* the task handle with MICA_RIGHT_KILL */
    char name[NS_NAME_MAX];
};

static struct job jobs[MAX_JOBS];

/* Forgets the jobs that ended by themselves. */
static void prune(void)
{
    for (unsigned i = 0; i < MAX_JOBS; i++) {
        if (jobs[i].id && !mica_task_find(jobs[i].id, NULL)) {
            mica_handle_close(jobs[i].handle);
            jobs[i].id = 0;
        }
    }
}

void cmd_run(const char *args)
{
    char name[NS_NAME_MAX];
    if (!shell_word(args, name, sizeof(name))) {
        printf("usage: run <program>\n");
        return;
    }
    prune();
    struct job *j = NULL;
    for (unsigned i = 0; i < MAX_JOBS && !j; i++)
        if (!jobs[i].id)
            j = &jobs[i];
    if (!j) {
        printf("run: %u programs run already\n", MAX_JOBS);
        return;
    }
    uint64_t id, handle;
    long st = ns_spawn_task(name, &id, &handle);
    if (st != MICA_OK) {
        printf("run: %s: %s\n", name, mica_status_name(st));
        return;
    }
    *j = (struct job){id, handle, {0}};
    strlcpy(j->name, name, sizeof(j->name));
    printf("run: %s id=%llu\n", name, (unsigned long long)id);
}

void cmd_kill(const char *args)
{
    char what[NS_NAME_MAX];
    if (!shell_word(args, what, sizeof(what))) {
        printf("usage: kill <id|program>\n");
        return;
    }
    char *end;
    uint64_t id = strtoull(what, &end, 10);
    bool by_id = *end == '\0';
    prune();
    unsigned ended = 0;
    for (unsigned i = 0; i < MAX_JOBS; i++) {
        struct job *j = &jobs[i];
        if (!j->id || (by_id ? j->id != id : strcmp(j->name, what) != 0))
            continue;
        long st = mica_task_kill(j->handle);
        if (st != MICA_OK)
            printf("kill: %s: %s\n", what, mica_status_name(st));
        else
            ended++;
        mica_handle_close(j->handle);
        j->id = 0;
    }
    if (ended)
        printf("kill: %s ended\n", what);
    else
        printf("kill: no program %s started here\n", what);
}
