/*
 * init's boot capabilities: everything the kernel hands out once, to the
 * first task, which passes it on by its own policy (servers/init). The
 * slots are fixed by the ABI (abi.h, MICA_HANDLE_NS and MICA_BOOT_CAP_*):
 *
 *   1  the name service endpoint (init receives on it)
 *   2  the system object            9  the kernel log, 11 the recorder
 *   7  the free RAM, 8 the screen   (syscall/sys_mem.c)
 *   3..6, 10  the machine's devices, as the arch lists them
 *             (arch_boot_devices: on a PC COM1, its IRQ, PS/2, its IRQ,
 *             the VGA cursor ports)
 *
 *   boot_caps_grant     installs them in init's table
 *   boot_caps_grant_ns  every other task's send handle to the name service
 */
#include "boot/boot_caps.h"

#include <mica/abi.h>

#include "arch.h"
#include "ipc/ipc.h"
#include "object/ioport.h"
#include "object/irq.h"
#include "object/system.h"
#include "syscall/sys_common.h"
#include "task/task.h"
#include "trace/trace.h"

static struct endpoint *ns_endpoint;

static void grant_rights(struct task *init, unsigned slot, enum mica_object_type type,
                         void *object, uint32_t rights)
{
    if (object)
        handle_install_at(&init->handles, slot, (struct handle){type, rights, 0, object});
}

static void grant(struct task *init, unsigned slot, enum mica_object_type type,
                  void *object)
{
    grant_rights(init, slot, type, object, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT);
}

static void grant_devices(struct task *init)
{
    size_t n;
    const struct arch_boot_device *d = arch_boot_devices(&n);
    for (size_t i = 0; i < n; i++) {
        if (d[i].kind == ARCH_DEVICE_IRQ)
            grant(init, d[i].slot, MICA_OBJ_IRQ, irq_line(d[i].base));
        else
            grant(init, d[i].slot, MICA_OBJ_IOPORTS,
                  ioports_create(d[i].base, d[i].count));
    }
}

void boot_caps_grant(struct task *init, const struct mb2_framebuffer *fb)
{
    ns_endpoint = endpoint_create(init, NULL); /* the kernel pays */
    if (ns_endpoint)
        handle_install_at(
            &init->handles, MICA_HANDLE_NS,
            (struct handle){MICA_OBJ_ENDPOINT, MICA_RIGHTS_ALL, 0, ns_endpoint});
    grant(init, MICA_BOOT_CAP_SYSTEM, MICA_OBJ_SYSTEM, system_object());
    /* The log also with SEND: init writes its lines as they are, and
     * gives that right on by its policy (sys_log.c). */
    grant_rights(init, MICA_BOOT_CAP_LOG, MICA_OBJ_LOG, sys_log_object(),
                 MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT | MICA_RIGHT_SEND);
    grant(init, MICA_BOOT_CAP_TRACE, MICA_OBJ_TRACE, trace_object());
    grant_devices(init);
    sys_mem_boot(init, fb);
}

void boot_caps_grant_ns(struct task *t)
{
    if (ns_endpoint)
        handle_install_at(&t->handles, MICA_HANDLE_NS,
                          (struct handle){MICA_OBJ_ENDPOINT,
                                          MICA_RIGHT_SEND | MICA_RIGHT_GRANT, t->id,
                                          ns_endpoint});
}
