/*
 * The system object: the capability a handle of type MICA_OBJ_SYSTEM names
 * (init's boot capability MICA_BOOT_CAP_SYSTEM). It has no state; holding
 * it with MANAGE is the authority for SYS_SYSTEM (power) and for init's
 * tools (SYS_TASK_SPAWN, SYS_TASK_WATCH, SYS_MODULE_INFO).
 *
 *   system_object   what boot capabilities name
 *   system_power    SYS_SYSTEM's effect: power off or reset
 */
#include "object/system.h"

#include <mica/abi.h>

#include "arch.h"
#include "kernel.h"
#include "lib/klog.h"

static int the_system;

void *system_object(void)
{
    return &the_system;
}

int system_power(uint64_t op)
{
    if (op != MICA_SYSTEM_POWEROFF && op != MICA_SYSTEM_RESET)
        return MICA_EINVAL;
    klog_take_back(); /* the last lines must not wait for the console */
    if (op == MICA_SYSTEM_POWEROFF) {
        kprintf("mica: power off\n");
        arch_poweroff();
    }
    kprintf("mica: reset\n");
    arch_reset();
}
