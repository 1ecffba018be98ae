/*
 * Local APIC: enable, end-of-interrupt and the timer. Register offsets are
 * from SDM Vol. 3A §11.4.1 table 11-1; the timer from §11.5.4.
 */
#include "arch/x86_64/lapic.h"

#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"

#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR   0xfffff000ull

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

static void write_reg(uint32_t off, uint32_t v)
{
    regs[off / 4] = v;
}

static uint32_t read_reg(uint32_t off)
{
    return regs[off / 4];
}

void lapic_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    regs = phys_to_virt(base & APIC_BASE_ADDR);
    write_reg(REG_SVR, SVR_ENABLE | VEC_SPURIOUS);
}

#define REG_ID       0x020
#define REG_ICR_LOW  0x300
#define REG_ICR_HIGH 0x310
#define ICR_PENDING  (1u << 12)

uint8_t lapic_id(void)
{
    return (uint8_t)(read_reg(REG_ID) >> 24);
}

/* SDM Vol. 3A §10.6.1: the destination in ICR high, then the command in
 * ICR low sends it; wait until it is delivered. */
void lapic_send_ipi(uint8_t apic, uint32_t command)
{
    write_reg(REG_ICR_HIGH, (uint32_t)apic << 24);
    write_reg(REG_ICR_LOW, command);
    while (read_reg(REG_ICR_LOW) & ICR_PENDING)
        __asm__ volatile("pause");
}

void lapic_send_fixed(uint8_t apic, uint8_t vector)
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
