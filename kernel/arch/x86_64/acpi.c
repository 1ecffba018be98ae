/*
 * Just enough ACPI to list the CPUs and power the machine off. The tables
 * (found through the RSDP that GRUB copied into the boot information) are
 * parsed in acpi_tables.c: the MADT's CPUs; the FADT's PM1a/PM1b_CNT_BLK
 * and SLP_TYPa/b of the S5 state from the \_S5 package in the DSDT.
 * Entering S5 is writing SLP_TYP | SLP_EN to the PM1 control registers
 * (ACPI 6.4 §4.8.3.2.1, §7.4.2 "\_Sx", §16.1.6 "Transitioning to S5").
 */
#include "arch.h"
#include "arch/x86_64/acpi_tables.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/cpu.h"
#include "kernel.h"

/* Tables are read through the kernel's map of the low 4 GiB of physical
 * memory; firmware keeps them there (ACPI 6.4 §5.2.5.3: the RSDT holds
 * 32-bit addresses, and no firmware we boot on puts the XSDT's higher). */
#define PHYS_LIMIT (1ull << 32)
#define SLP_EN     (1u << 13) /* PM1_CNT bit 13 (§4.8.3.2.1) */

static struct acpi_facts acpi;

const uint8_t *acpi_phys(uint64_t pa, uint64_t len)
{
    if (pa >= PHYS_LIMIT || len > PHYS_LIMIT - pa)
        return NULL;
    return phys_to_virt(pa);
}

unsigned arch_acpi_cpus(const uint32_t **apic_ids)
{
    *apic_ids = acpi.cpu_apic;
    return acpi.cpus;
}

void arch_acpi_init(const void *rsdp, size_t rsdp_len)
{
    acpi_parse(rsdp, rsdp_len, &acpi);
    if (acpi.s5_found)
        kprintf("mica: acpi pm1a_cnt=%#x s5=%u\n", acpi.pm1a, acpi.slp_typa);
}

/* Waits about `ms` milliseconds for a power-off request to take effect. */
static void settle(unsigned ms)
{
    uint64_t until = arch_ms_since_boot() + ms;
    while (arch_ms_since_boot() < until)
        cpu_pause();
}

void arch_poweroff(void)
{
    if (acpi.s5_found) {
        /* SCI_EN clear: the firmware still owns the hardware; ask it to
         * hand over (ACPI 6.4 §16.3.1). */
        if (!(inw(acpi.pm1a) & 1) && acpi.smi_cmd && acpi.acpi_enable) {
            outb((uint16_t)acpi.smi_cmd, acpi.acpi_enable);
            settle(50);
        }
        outw(acpi.pm1a, (uint16_t)((acpi.slp_typa & 7) << 10) | SLP_EN);
        if (acpi.pm1b)
            outw(acpi.pm1b, (uint16_t)((acpi.slp_typb & 7) << 10) | SLP_EN);
        settle(500);
    }
    /* No usable ACPI: QEMU's test device ends the emulator, if present. */
    arch_qemu_exit(0);
    settle(100);
    kprintf("mica: power off failed; halted\n");
    arch_halt();
}
