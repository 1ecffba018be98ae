/*
 * Time: the TSC for timestamps and the local APIC timer for the periodic
 * tick, both calibrated against the PIT, whose 1.193182 MHz input clock is
 * a fixed fact of the PC platform (Intel 8254 data sheet).
 *
 * Calibration uses PIT channel 2 in mode 0 with the gate driven from port
 * 0x61 bit 0; bit 5 of port 0x61 reads the channel's output, which goes high
 * when the count reaches zero. The legacy 8259 PICs are remapped away from
 * the exception vectors and masked: the LAPIC timer alone drives the tick.
 */
#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/trap.h"
#include "kernel.h"
#include "sched/sched.h"

#define PIT_HZ           1193182u
#define PIT_CH2          0x42
#define PIT_CMD          0x43
#define PIT_GATE_PORT    0x61
#define CALIBRATE_MS     1u
#define CALIBRATE_ROUNDS 3
#define TICK_HZ          100u

extern uint64_t boot_tsc;

/* TSC ticks per millisecond (1 until calibrated); the IPC fast path
 * (fastpath.S) computes timeouts from it as arch_ms_since_boot does. */
uint64_t timer_tsc_per_ms = 1;
#define tsc_per_ms timer_tsc_per_ms
static volatile uint64_t ticks;

/* Starts a one-shot countdown of `ms` milliseconds on PIT channel 2. */
static void pit_start(unsigned ms)
{
    uint32_t count = PIT_HZ * ms / 1000;
    uint8_t gate = inb(PIT_GATE_PORT);
    outb(PIT_GATE_PORT, (gate & ~0x02) | 0x01); /* gate on, speaker off */
    outb(PIT_CMD, 0xb0);                        /* channel 2, lo/hi, mode 0 */
    outb(PIT_CH2, count & 0xff);
    outb(PIT_CH2, count >> 8);
}

static bool pit_done(void)
{
    return (inb(PIT_GATE_PORT) & 0x20) != 0;
}

static void pic_disable(void)
{
    /* ICW1..ICW4: vectors VEC_PIC_BASE and +8, cascade on IRQ 2, 8086 mode;
     * then mask every line (pic.c unmasks those a driver binds). */
    static const uint8_t seq[][2] = {
        {0x20, 0x11}, {0xa0, 0x11}, {0x21, VEC_PIC_BASE}, {0xa1, VEC_PIC_BASE + 8},
        {0x21, 0x04}, {0xa1, 0x02}, {0x21, 0x01},         {0xa1, 0x01},
        {0x21, 0xff}, {0xa1, 0xff}};
    for (unsigned i = 0; i < ARRAY_SIZE(seq); i++)
        outb(seq[i][0], seq[i][1]);
}

static uint32_t lapic_per_tick;

/* Every CPU's LAPIC timer ticks; the boot CPU's count the clock. */
static void timer_tick(struct trap_frame *f)
{
    (void)f;
    if (arch_cpu_id() == 0)
        ticks++;
    lapic_eoi();
    trap_nmi_report();
    sched_tick();
}

void timer_start_ap(void)
{
    lapic_timer_periodic(VEC_TIMER, lapic_per_tick);
}

struct sample {
    uint64_t tsc;
    uint32_t lapic;
};

/* One calibration round: TSC ticks and LAPIC timer counts during one PIT
 * countdown of CALIBRATE_MS. */
static struct sample calibrate_once(void)
{
    lapic_timer_start_count(0xffffffffu);
    uint64_t t0 = rdtsc();
    pit_start(CALIBRATE_MS);
    while (!pit_done())
        cpu_pause();
    uint64_t t1 = rdtsc();
    return (struct sample){t1 - t0, 0xffffffffu - lapic_timer_current()};
}

/* The median of three rounds: under emulation one round can be stretched by
 * the host (a vCPU descheduled mid-countdown), which would skew one figure
 * by a large factor. */
static struct sample calibrate(void)
{
    struct sample s[CALIBRATE_ROUNDS];
    for (int i = 0; i < CALIBRATE_ROUNDS; i++)
        s[i] = calibrate_once();
    for (int i = 1; i < CALIBRATE_ROUNDS; i++)
        for (int j = i; j > 0 && s[j].tsc < s[j - 1].tsc; j--) {
            struct sample tmp = s[j];
            s[j] = s[j - 1];
            s[j - 1] = tmp;
        }
    return s[CALIBRATE_ROUNDS / 2];
}

void arch_timer_init(void)
{
    pic_disable();
    lapic_init();

    struct sample m = calibrate();
    tsc_per_ms = m.tsc / CALIBRATE_MS;
    if (tsc_per_ms == 0)
        tsc_per_ms = 1;
    lapic_per_tick = m.lapic / CALIBRATE_MS * (1000 / TICK_HZ);
    if (lapic_per_tick == 0)
        lapic_per_tick = 1;

    trap_set_handler(VEC_TIMER, timer_tick);
    lapic_timer_periodic(VEC_TIMER, lapic_per_tick);
    kprintf("mica: timer tsc_khz=%llu lapic_per_tick=%u hz=%u\n",
            (unsigned long long)tsc_per_ms, lapic_per_tick, TICK_HZ);
}

uint64_t arch_ms_since_boot(void)
{
    uint64_t per_ms = tsc_per_ms ? tsc_per_ms : 1;
    return (rdtsc() - boot_tsc) / per_ms;
}

uint64_t arch_timestamp(void)
{
    return rdtsc();
}

uint64_t arch_timer_ticks(void)
{
    return ticks;
}

uint64_t arch_tsc_per_ms(void)
{
    return tsc_per_ms;
}
