/*
 * Suite notify: notifications (bit masks that accumulate until a wait
 * takes them all) and the interrupt and I/O port calls drivers use, which
 * need capabilities this task does not hold. The I/O instructions
 * themselves fault without one: see fault.io_port_without_cap_killed.
 */
#include <mica/syscall.h>

#include "ktest.h"

#define WAIT_MS 3000

KTEST(notify, all_64_bits_accumulate)
{
    uint64_t ntf = kt_notification(), bits = 0;
    for (unsigned i = 0; i < 64; i++)
        KT_OK(mica_notify_signal(ntf, 1ull << i));
    KT_OK(mica_notify_wait(ntf, &bits, MICA_NO_WAIT));
    KT_EQ(bits, ~0ull);
    KT_STATUS(mica_notify_wait(ntf, &bits, MICA_NO_WAIT), MICA_EAGAIN);
}

/* Signalling no bits changes nothing and wakes nobody. */
KTEST(notify, zero_bits_signal_nothing)
{
    uint64_t ntf = kt_notification(), bits = 0;
    KT_OK(mica_notify_signal(ntf, 0));
    KT_STATUS(mica_notify_wait(ntf, &bits, MICA_NO_WAIT), MICA_EAGAIN);
    KT_STATUS(mica_notify_wait(ntf, &bits, 30), MICA_ETIMEOUT);
}

/* Bits pending before the wait: even an endless wait returns at once. */
KTEST(notify, pending_bits_return_at_once)
{
    uint64_t ntf = kt_notification(), bits = 0, t0 = mica_clock_ms();
    KT_OK(mica_notify_signal(ntf, 0x30));
    KT_OK(mica_notify_wait(ntf, &bits, MICA_WAIT_FOREVER));
    KT_EQ(bits, 0x30);
    KT_CMP(mica_clock_ms() - t0, <, 1000);
}

struct waiter {
    uint64_t ntf, timeout;
    long status;
    uint64_t bits;
};

static void wait_bits(void *arg)
{
    struct waiter *w = arg;
    w->status = mica_notify_wait(w->ntf, &w->bits, w->timeout);
}

/* A waiter that timed out is no longer the waiter: another may wait, and
 * a later signal is kept for it rather than lost. */
KTEST(notify, timed_out_waiter_released)
{
    struct waiter w = {.ntf = kt_notification(), .timeout = 40, .status = 1};
    uint64_t bits = 0;
    int job = kt_spawn(wait_bits, &w);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_STATUS(w.status, MICA_ETIMEOUT);
    KT_STATUS(mica_notify_wait(w.ntf, &bits, MICA_NO_WAIT), MICA_EAGAIN);
    KT_OK(mica_notify_signal(w.ntf, 4));
    KT_OK(mica_notify_wait(w.ntf, &bits, 100));
    KT_EQ(bits, 4);
}

/* Two waits, two waiters in turn: signals between them are not lost, and
 * each waiter takes what was pending when it woke. */
KTEST(notify, signals_not_lost_between_waits)
{
    struct waiter w = {.ntf = kt_notification(), .timeout = WAIT_MS, .status = 1};
    uint64_t bits = 0;
    int job = kt_spawn(wait_bits, &w);
    mica_sleep_ms(20);
    KT_OK(mica_notify_signal(w.ntf, 1));
    KT_OK(mica_notify_signal(w.ntf, 2));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(w.status);
    /* The first signal woke it; the second is either with it or pending. */
    long st = mica_notify_wait(w.ntf, &bits, MICA_NO_WAIT);
    uint64_t all = w.bits | (st == MICA_OK ? bits : 0);
    KT_EQ(all, 3);
    KT_EQ(w.bits & (st == MICA_OK ? bits : 0), 0);
}

/* The waiter is busy for others until it is woken. */
KTEST(notify, second_waiter_busy_then_free)
{
    struct waiter w = {.ntf = kt_notification(), .timeout = WAIT_MS, .status = 1};
    uint64_t bits = 0;
    int job = kt_spawn(wait_bits, &w);
    mica_sleep_ms(20);
    KT_STATUS(mica_notify_wait(w.ntf, &bits, 50), MICA_EBUSY);
    KT_OK(mica_notify_signal(w.ntf, 0x100));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(w.bits, 0x100);
    KT_STATUS(mica_notify_wait(w.ntf, &bits, MICA_NO_WAIT), MICA_EAGAIN);
}

/* Split rights: a SEND-only copy signals what a RECV-only copy waits for;
 * neither can do the other's part. */
KTEST(notify, split_rights)
{
    uint64_t ntf = kt_notification(), sig, wait, bits = 0;
    KT_HANDLE(sig, mica_handle_copy(ntf, MICA_RIGHT_SEND, 0));
    long hw = mica_handle_copy(ntf, MICA_RIGHT_RECV, 0);
    if (hw <= 0)
        mica_handle_close(sig);
    KT_HANDLE(wait, hw);
    long s1 = mica_notify_signal(sig, 0x8);
    long s2 = mica_notify_signal(wait, 0x10);
    long w1 = mica_notify_wait(sig, &bits, MICA_NO_WAIT);
    long w2 = mica_notify_wait(wait, &bits, MICA_NO_WAIT);
    mica_handle_close(sig);
    mica_handle_close(wait);
    KT_OK(s1);
    KT_STATUS(s2, MICA_ERIGHTS);
    KT_STATUS(w1, MICA_ERIGHTS);
    KT_OK(w2);
    KT_EQ(bits, 0x8);
}

/* IRQ_BIND and IRQ_ACK need an IRQ capability: a missing handle says
 * MICA_EBADH, anything else MICA_ETYPE, and nothing gets bound. */
KTEST(notify, irq_calls_need_irq_cap)
{
    uint64_t ntf = kt_notification(), ep = kt_endpoint(), free = kt_free_slot();
    KT_NE(free, 0);
    KT_STATUS(mica_irq_bind(free, ntf, 1), MICA_EBADH);
    KT_STATUS(mica_irq_bind(ntf, ntf, 1), MICA_ETYPE);
    KT_STATUS(mica_irq_bind(ep, ntf, 1), MICA_ETYPE);
    KT_STATUS(mica_irq_bind(MICA_HANDLE_SELF, ntf, 1), MICA_ETYPE);
    KT_STATUS(mica_irq_bind(0, ntf, 1), MICA_EBADH);
    KT_STATUS(mica_irq_ack(free), MICA_EBADH);
    KT_STATUS(mica_irq_ack(ntf), MICA_ETYPE);
    KT_STATUS(mica_irq_ack(MICA_HANDLE_NS), MICA_ETYPE);
    KT_STATUS(mica_irq_ack(~0ull), MICA_EBADH);
}

KTEST(notify, ioport_enable_needs_io_cap)
{
    uint64_t ntf = kt_notification(), free = kt_free_slot();
    KT_NE(free, 0);
    KT_STATUS(mica_ioport_enable(free), MICA_EBADH);
    KT_STATUS(mica_ioport_enable(0), MICA_EBADH);
    KT_STATUS(mica_ioport_enable(64), MICA_EBADH);
    KT_STATUS(mica_ioport_enable(ntf), MICA_ETYPE);
    KT_STATUS(mica_ioport_enable(MICA_HANDLE_NS), MICA_ETYPE);
    KT_STATUS(mica_ioport_enable(MICA_HANDLE_SELF), MICA_ETYPE);
}
