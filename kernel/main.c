/*
 * kmain(): the C entry point, reached from arch/x86_64/boot.S in the higher
 * half with the physical address of the Multiboot2 boot information.
 *
 * Order matters: the boot information is parsed first (everything else
 * depends on it), then the console gets its screen, physical memory is set
 * up, the CPU tables and final page tables are installed, the timers are
 * calibrated and the modules checked.
 */
#include "arch.h"
#include "boot/boot_caps.h"
#include "boot/modules.h"
#include "boot/multiboot2.h"
#include "boot/options.h"
#include "kernel.h"
#include "mm/mem.h"
#include "mm/pmm.h"
#include "object/endpoint.h"
#include "object/notification.h"
#include "object/reply.h"
#include "sched/sched.h"
#include "syscall/sys_common.h"
#include "task/task.h"

#include <string.h>

#define INIT_PRIORITY 6
/* Frames kept out of every budget, for the kernel's own needs. */
#define KERNEL_RESERVE_FRAMES 64
/* Object slots kept out of every budget, for the kernel's own endpoints
 * (init's name service). A budget's objects may be endpoints,
 * notifications or reply objects, so the budgets add up to less than any
 * of the pools. */
#define KERNEL_RESERVE_OBJECTS 8
#define MIN2(a, b)             ((a) < (b) ? (a) : (b))
#define OBJECT_SLOTS           MIN2(MIN2(MAX_ENDPOINTS, MAX_NOTIFICATIONS), MAX_REPLIES)

/* The boot information lies below 4 GiB (a 32-bit pointer); never read past
 * that, nor more than this cap, whatever its size field claims. */
#define MBI_READ_CAP (1ull << 20)

static struct mb2_info boot_info;

static void warn_boot_info(void *ctx, int tag, const char *problem)
{
    (void)ctx;
    kprintf("mica: bootinfo tag=%d skipped reason=\"%s\"\n", tag, problem);
}

static void parse_boot_info(void)
{
    struct arch_boot boot;
    arch_boot_facts(&boot);
    uint64_t avail = (1ull << 32) - boot.info_phys;
    if (avail > MBI_READ_CAP)
        avail = MBI_READ_CAP;
    if (mb2_parse(phys_to_virt(boot.info_phys), avail, &boot_info, warn_boot_info,
                  NULL) != 0)
        panic("Multiboot2 boot information at %#llx is unusable",
              (unsigned long long)boot.info_phys);
}

static void print_boot_line(void)
{
    char loader[64];
    kprintf("mica: boot firmware=%s loader=\"%s\"\n", boot_info.efi ? "uefi" : "bios",
            sanitize(loader, sizeof(loader),
                     boot_info.loader_name ? boot_info.loader_name : "unknown"));
}

static uint64_t physmap_top(uint64_t ram_top)
{
    const struct mb2_framebuffer *fb = &boot_info.fb;
    uint64_t fb_end = fb->present ? fb->addr + (uint64_t)fb->pitch * fb->height : 0;
    return fb_end > ram_top ? fb_end : ram_top;
}

/* The hardening check of the loaded tasks: no user page may be writable
 * and executable at once (elf_check refuses W+X segments; this verifies
 * what the loader actually mapped). */
static void report_user_wx(void)
{
    uint64_t wx = 0;
    struct task *t;
    for (unsigned i = 0; (t = task_by_index(i)); i++)
        if (!t->dead)
            wx += arch_vm_count_wx(t->vm);
    kprintf("mica: paging user_wx_pages=%llu\n", (unsigned long long)wx);
}

/* The kernel starts one task, the module named "init", with the boot
 * capabilities; init starts the other modules (SYS_TASK_SPAWN) by its own
 * policy and announces `mica: ready` once they are all up. Without init
 * there is nothing to be ready: the kernel says why and only idles. */
static void start_init(void)
{
    sched_init();
    task_init(mem_frames());
    const struct boot_module *m;
    for (size_t i = 0; (m = modules_get(i)); i++) {
        if (strcmp(m->name, "init") != 0)
            continue;
        int err;
        struct task *init = task_spawn_module(m, INIT_PRIORITY, NULL, NULL, &err);
        if (!init) {
            kprintf("mica: boot failed reason=\"init was refused\": no user space\n");
            return;
        }
        modules_set_first(m);
        boot_caps_grant(init, &boot_info.fb);
        /* init's budget is what the kernel has left once the memory
         * server's RAM is set aside, less a reserve of its own. */
        uint64_t left = pmm_free_frames(mem_frames());
        left = left > KERNEL_RESERVE_FRAMES ? left - KERNEL_RESERVE_FRAMES : 0;
        budget_root(init, left + init->budget.used[BUDGET_FRAMES], MAX_TASKS - 1,
                    MAX_THREADS, OBJECT_SLOTS - KERNEL_RESERVE_OBJECTS,
                    sys_mem_ram_frames());
        report_user_wx();
        return;
    }
    kprintf("mica: boot failed reason=\"no module named init\": no user space\n");
}

void stack_guard_init(uint64_t entropy);

/* kmain never returns, so its own canary (if it has one) is never checked
 * and changing the guard here is safe. */
void kmain(uint64_t info_phys)
{
    stack_guard_init(arch_entropy());
    parse_boot_info();
    console_attach_screen(&boot_info.fb, false);
    print_boot_line();
    options_parse(boot_info.cmdline);

    uint64_t ram_top = mem_init(&boot_info);
    arch_cpu_init();
    arch_paging_init(mem_frames(), physmap_top(ram_top));
    console_attach_screen(&boot_info.fb, true); /* if it lies above 4 GiB */
    arch_timer_init();
    arch_acpi_init(boot_info.rsdp, boot_info.rsdp_len);
    arch_smp_init();
    modules_check(&boot_info);

    options_run_boot_tests();
    start_init();
    sched_start();
}
