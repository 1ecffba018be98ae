/*
 * MICA_LABEL_CRASH: every server faults on purpose when the shell asks
 * (`crash <server>`), so that supervision and client recovery can be
 * exercised with a real fault inside the server rather than a kill from
 * outside. Only the task named "shell" may ask.
 */
#include <mica/syscall.h>
#include <string.h>

static int caller_is_shell(uint64_t badge)
{
    struct mica_task_info ti;
    for (uint32_t i = 0; mica_task_info(i, &ti) == MICA_OK; i++) {
        if (ti.id == badge && ti.state != MICA_TASK_DEAD) {
            ti.name[sizeof(ti.name) - 1] = '\0';
            return strcmp(ti.name, "shell") == 0;
        }
    }
    return 0;
}

long mica_obey_crash(uint64_t badge)
{
    if (!caller_is_shell(badge))
        return MICA_ERIGHTS;
    /* A write to page zero, which is never mapped: #PF, vector 14. */
    *(volatile uint64_t *)(uintptr_t)8 = 0xdead;
    return MICA_EINVAL; /* not reached */
}
