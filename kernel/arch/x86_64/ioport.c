/*
 * Port I/O for user-space drivers, and the PC devices behind init's boot
 * capabilities.
 *
 * A task may use in/out on a port only if the I/O permission bitmap of the
 * TSS allows it (SDM Vol. 1 §19.5.2; IOPL stays 0). The kernel keeps
 * ARCH_IO_BITMAPS maps of 8 KiB; object/ioport.c gives one to each task
 * that enables ports, and arch_io_load copies the running task's map into
 * the TSS (only when it differs from the one there), or points the TSS
 * past its limit for a task without ports, so that every port faults.
 */
#include <mica/abi.h>

#include "arch.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/ioport.h"
#include "arch/x86_64/pc.h"
#include "kernel.h"

static struct arch_io_bitmap maps[ARCH_IO_BITMAPS];
/* Each CPU's TSS holds its own copy (percpu.h: io_loaded, the map copied
 * there, if any; io_enabled, whether the TSS points at it: only while a
 * task with one runs there — the IPC fast path, fastpath.S, relies on
 * that: it leaves switches from or to such a task to the general path). */

/* A map changed: no CPU's copy is current any more. */
static void forget_copies(void)
{
    for (unsigned i = 0; i < ARCH_MAX_CPUS; i++)
        arch_cpus[i].io_loaded = NULL;
}

struct arch_io_bitmap *arch_io_bitmap(unsigned i)
{
    return i < ARCH_IO_BITMAPS ? &maps[i] : NULL;
}

void arch_io_clear(struct arch_io_bitmap *map)
{
    for (unsigned i = 0; i < sizeof(map->bits); i++)
        map->bits[i] = 0xff;
    forget_copies(); /* copy again on the next arch_io_load */
}

void arch_io_allow(struct arch_io_bitmap *map, unsigned base, unsigned n)
{
    for (unsigned p = base; p < base + n && p < IO_PORTS; p++)
        map->bits[p / 8] &= (uint8_t) ~(1u << (p % 8));
    forget_copies();
}

/* Copies map into the TSS. Apart from arch_io_load, so that the switch to
 * a task without ports (nearly every switch) costs a test and a return. */
__attribute__((noinline)) static void load_map(const struct arch_io_bitmap *map)
{
    struct cpu *c = this_cpu();
    if (map != c->io_loaded) {
        uint8_t *tss_bits = gdt_io_bitmap();
        for (unsigned i = 0; i < sizeof(map->bits); i++)
            tss_bits[i] = map->bits[i];
        c->io_loaded = map;
    }
    gdt_io_enable(true);
    c->io_enabled = true;
}

void arch_io_load(const struct arch_io_bitmap *map)
{
    if (map) {
        load_map(map);
    } else if (this_cpu()->io_enabled) {
        gdt_io_enable(false);
        this_cpu()->io_enabled = false;
    }
}

/* COM1, the PS/2 controller and the VGA CRTC registers (pc.h). */
static const struct arch_boot_device pc_devices[] = {
    {MICA_BOOT_CAP_COM1, ARCH_DEVICE_PORTS, PC_COM1, PC_COM1_PORTS},
    {MICA_BOOT_CAP_IRQ4, ARCH_DEVICE_IRQ, PC_COM1_IRQ, 1},
    {MICA_BOOT_CAP_PS2, ARCH_DEVICE_PORTS, PC_PS2, PC_PS2_PORTS},
    {MICA_BOOT_CAP_IRQ1, ARCH_DEVICE_IRQ, PC_PS2_IRQ, 1},
    {MICA_BOOT_CAP_CRTC, ARCH_DEVICE_PORTS, PC_CRTC, PC_CRTC_PORTS},
};

const struct arch_boot_device *arch_boot_devices(size_t *count)
{
    *count = ARRAY_SIZE(pc_devices);
    return pc_devices;
}
