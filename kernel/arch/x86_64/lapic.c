/*
 * Local APIC: enable, end-of-interrupt, inter-processor interrupts and the
 * timer. Register offsets are from SDM Vol. 3A §11.4.1 table 11-1; the
 * timer from §11.5.4.
 *
 * Two ways in (SDM Vol. 3A §11.12): xAPIC mode, the registers as memory
 * at the APIC base; x2APIC mode, the same registers as MSRs 0x800 +
 * offset / 16, with a 32-bit APIC id and a one-write 64-bit ICR. The
 * kernel uses x2APIC mode where the CPU has it (CPUID.01H:ECX bit 21,
 * §11.12.1), or where the firmware left the boot CPU in it (there is no
 * way back to xAPIC without disabling the APIC, §11.12.5), and puts every
 * other CPU in the same mode; else xAPIC, which every x86_64 CPU has.
 * QEMU's TCG has no x2APIC: the boot tests under Bochs run this mode
 * (tests/boot, boot.bochs_x2apic_smp4).
 */
#include "arch/x86_64/lapic.h"

#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"

#define APIC_BASE_ENABLE  (1ull << 11)
#define APIC_BASE_EXTD    (1ull << 10) /* x2APIC mode */
#define APIC_BASE_ADDR    0xfffff000ull
#define X2APIC_MSR        0x800u
#define X2APIC_ICR        0x830u
#define CPUID1_ECX_X2APIC (1u << 21)

#define REG_EOI        0x0b0
#define REG_SVR        0x0f0
#define REG_LVT_TIMER  0x320
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR  0x390
#define REG_TIMER_DIV  0x3e0

#define SVR_ENABLE   (1u << 8)
#define LVT_MASKED   (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define TIMER_DIV_16 0x3

static volatile uint32_t *regs;
static bool x2apic; /* decided on the boot CPU, the same on all */

static void write_reg(uint32_t off, uint32_t v)
{
    if (x2apic)
        wrmsr(X2APIC_MSR + off / 16, v);
    else
        regs[off / 4] = v;
}

static uint32_t read_reg(uint32_t off)
{
    return x2apic ? (uint32_t)rdmsr(X2APIC_MSR + off / 16) : regs[off / 4];
}

/* The boot CPU first (it decides the mode), then each AP on itself. */
void lapic_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    static bool decided;
    if (!decided) {
        uint32_t r[4];
        cpuid(1, 0, r);
        x2apic = (base & APIC_BASE_EXTD) || (r[2] & CPUID1_ECX_X2APIC);
        decided = true;
    }
    /* Enabled first, then x2APIC mode: the one order §11.12.5 allows. */
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    if (x2apic && !(base & APIC_BASE_EXTD))
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_EXTD);
    if (!x2apic)
        regs = phys_to_virt(base & APIC_BASE_ADDR);
    write_reg(REG_SVR, SVR_ENABLE | VEC_SPURIOUS);
}

bool lapic_x2apic(void)
{
    return x2apic;
}

#define REG_ID       0x020
#define REG_ICR_LOW  0x300
#define REG_ICR_HIGH 0x310
#define ICR_PENDING  (1u << 12)

uint32_t lapic_id(void)
{
    return x2apic ? read_reg(REG_ID) : read_reg(REG_ID) >> 24;
}

/* SDM Vol. 3A §10.6.1: the destination in ICR high, then the command in
 * ICR low sends it; wait until it is delivered. */
void lapic_send_ipi(uint32_t apic, uint32_t command)
{
    if (x2apic) { /* one write sends it; there is no delivery status */
        wrmsr(X2APIC_ICR, ((uint64_t)apic << 32) | command);
        return;
    }
    write_reg(REG_ICR_HIGH, apic << 24);
    write_reg(REG_ICR_LOW, command);
    while (read_reg(REG_ICR_LOW) & ICR_PENDING)
        __asm__ volatile("pause");
}

void lapic_send_fixed(uint32_t apic, uint8_t vector)
{
    lapic_send_ipi(apic, LAPIC_IPI_FIXED | vector);
}

void lapic_eoi(void)
{
    write_reg(REG_EOI, 0);
}

void lapic_timer_start_count(uint32_t count)
{
    write_reg(REG_TIMER_DIV, TIMER_DIV_16);
    write_reg(REG_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    write_reg(REG_TIMER_INIT, count);
}

uint32_t lapic_timer_current(void)
{
    return read_reg(REG_TIMER_CUR);
}

void lapic_timer_periodic(uint8_t vector, uint32_t count)
{
    write_reg(REG_TIMER_DIV, TIMER_DIV_16);
    write_reg(REG_LVT_TIMER, LVT_PERIODIC | vector);
    write_reg(REG_TIMER_INIT, count);
}
