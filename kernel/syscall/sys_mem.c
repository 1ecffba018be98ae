/*
 * Memory syscalls: the mechanism under the memory server's policy.
 *
 *   SYS_MAP      maps frame `index` of the RAM object into a task
 *   SYS_UNMAP    takes a RAM page out of a task, returning its index
 *   SYS_SET_PAGER routes a task's page faults to an endpoint
 *   SYS_MEM_INFO reports the kernel's figures
 *
 * The memory server decides which frame goes where; the kernel checks the
 * handles, the address range and that the page is free, and keeps frames
 * of the RAM object out of its own allocator even when a task dies.
 */
#include <string.h>

#include "arch.h"
#include "ipc/ipc.h"
#include "kernel.h"
#include "mm/mem.h"
#include "mm/ram.h"
#include "syscall/sys_common.h"

static struct ram_object ram;
static uint64_t usable_at_boot;

/* The screen as a RAM object: the framebuffer's frames, and its geometry
 * for SYS_RAM_INFO. Mapping it hands the screen to a user-space console. */
static struct ram_object screen;
static struct mica_ram_info screen_info;

/* A dying task's RAM frames go back to the RAM object (unmapped), never
 * to the kernel's allocator. */
static bool owned_by_ram(uint64_t pa)
{
    return ram_release_phys(&ram, pa);
}

static void screen_boot(struct task *init, const struct mb2_framebuffer *fb)
{
    if (!fb->present || (fb->type != MB2_FB_RGB && fb->type != MB2_FB_EGA_TEXT))
        return;
    uint64_t base = ALIGN_DOWN(fb->addr, 4096);
    uint64_t end = ALIGN_UP(fb->addr + (uint64_t)fb->pitch * fb->height, 4096);
    screen.ranges[0] = (struct pmm_range){base, end};
    screen.nranges = 1;
    screen.frames = (end - base) / 4096;
    screen.on_map = console_release_screen;
    screen_info = (struct mica_ram_info){
        .frames = screen.frames,
        .kind = fb->type,
        .width = fb->width,
        .height = fb->height,
        .pitch = fb->pitch,
        .bpp = fb->bpp,
        .red_pos = fb->red_pos,
        .red_size = fb->red_size,
        .green_pos = fb->green_pos,
        .green_size = fb->green_size,
        .blue_pos = fb->blue_pos,
        .blue_size = fb->blue_size,
        .offset = (uint32_t)(fb->addr - base),
    };
    handle_install_at(
        &init->handles, MICA_BOOT_CAP_SCREEN,
        (struct handle){MICA_OBJ_RAM, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT, 0, &screen});
}

void sys_mem_boot(struct task *init, const struct mb2_framebuffer *fb)
{
    screen_boot(init, fb);
    struct pmm *pmm = mem_frames();
    usable_at_boot = pmm_free_frames(pmm) + pmm_used_frames(pmm);
    uint64_t free = pmm_free_frames(pmm);
    uint64_t keep = free / 4 > 2048 ? free / 4 : (free > 4096 ? 2048 : free / 2);
    ram_donate(pmm, &ram, keep);
    handle_install_at(
        &init->handles, MICA_BOOT_CAP_RAM,
        (struct handle){MICA_OBJ_RAM, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT, 0, &ram});
    task_set_frame_keeper(owned_by_ram);
}

uint64_t sys_mem_ram_frames(void)
{
    return ram.frames;
}

static bool user_page(uint64_t va)
{
    return va % 4096 == 0 && va >= 4096 && arch_user_range(va, 4096);
}

int64_t sys_map(struct trap_frame *f, struct thread *self)
{
    int err;
    struct task *t = task_arg(self, ARG(0), MICA_RIGHT_MANAGE, &err);
    if (!t)
        return err;
    struct ram_object *r = handle_get(&self->task->handles, ARG(2), MICA_OBJ_RAM,
                                      MICA_RIGHT_MANAGE, NULL, &err);
    if (!r)
        return err;
    return ram_map_page(r, t, ARG(1), ARG(3), ARG(4));
}

int64_t sys_unmap(struct trap_frame *f, struct thread *self)
{
    int err;
    struct task *t = task_arg(self, ARG(0), MICA_RIGHT_MANAGE, &err);
    if (!t)
        return err;
    uint64_t va = ARG(1);
    if (!user_page(va))
        return MICA_EINVAL;
    uint64_t pa = arch_vm_lookup(t->vm, va);
    int64_t index = pa ? ram_index(&ram, pa) : -1;
    if (index < 0)
        return MICA_ENOENT;
    arch_vm_unmap(t->vm, va);
    ram_release_phys(&ram, pa);
    t->pages--;
    return index;
}

int64_t sys_set_pager(struct trap_frame *f, struct thread *self)
{
    int err;
    struct task *t = task_arg(self, ARG(0), MICA_RIGHT_MANAGE, &err);
    if (!t)
        return err;
    struct endpoint *ep = handle_get(&self->task->handles, ARG(1), MICA_OBJ_ENDPOINT,
                                     MICA_RIGHT_SEND, NULL, &err);
    if (!ep)
        return err;
    /* Counted, so that closing the handle cannot free the endpoint (and
     * let its slot be reused by another task's) while it is the pager. */
    object_ref(MICA_OBJ_ENDPOINT, ep);
    if (t->pager)
        object_unref(MICA_OBJ_ENDPOINT, t->pager);
    t->pager = ep;
    return MICA_OK;
}

int64_t sys_mem_info(struct trap_frame *f, struct thread *self)
{
    struct pmm *pmm = mem_frames();
    struct mica_mem_info info = {
        .total_kib = usable_at_boot * 4,
        .kernel_kib = (pmm_used_frames(pmm) - ram.frames) * 4,
        .ram_kib = ram.frames * 4,
        .ram_frames = ram.frames,
    };
    if (arch_copy_to_user(ARG(0), &info, sizeof(info)) != 0)
        return MICA_EFAULT;
    return MICA_OK;
}

int64_t sys_ram_info(struct trap_frame *f, struct thread *self)
{
    int err;
    struct ram_object *r = handle_get(&self->task->handles, ARG(0), MICA_OBJ_RAM,
                                      MICA_RIGHT_MANAGE, NULL, &err);
    if (!r)
        return err;
    struct mica_ram_info info = {.frames = r->frames};
    if (r == &screen)
        info = screen_info;
    if (arch_copy_to_user(ARG(1), &info, sizeof(info)) != 0)
        return MICA_EFAULT;
    return MICA_OK;
}
