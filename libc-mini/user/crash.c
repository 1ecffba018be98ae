/*
 * MICA_LABEL_CRASH: every server faults on purpose when asked through a
 * control handle (`crash <server>` in the shell), so that supervision and
 * client recovery can be exercised with a real fault inside the server
 * rather than a kill from outside. The authority is the badge: init puts
 * NS_BADGE_CONTROL only on the handles it gives through a control handle
 * (NS_CAP_CONTROL, for modules with caps=control), and no task can mint
 * or change a badge.
 */
#include <mica/ns.h>
#include <mica/syscall.h>

long mica_obey_crash(uint64_t badge)
{
    if (!(badge & NS_BADGE_CONTROL))
        return MICA_ERIGHTS;
    /* A write to page zero, which is never mapped: #PF, vector 14. */
    *(volatile uint64_t *)(uintptr_t)8 = 0xdead;
    return MICA_EINVAL; /* not reached */
}
