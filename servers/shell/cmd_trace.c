/*
 * trace on | off | dump: the kernel's IPC flight recorder (abi.h
 * SYS_TRACE), through the capability init gives the shell (caps=trace).
 * `dump` prints one line per recorded event,
 *
 *   TRACE t=<tsc> cpu=<n> ev=<kind> from=<task> to=<task> label=<hex>
 *         len=<n> badge=<hex> ep=<n> seq=<n> from_id=<n> to_id=<n>
 *         from_th=<n> to_th=<n>
 *
 * (one line), oldest first, then `trace: <n> events`; tools/mica-trace.py
 * turns them into a Chrome trace and a sequence diagram (docs/tracing.md).
 */
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

static uint64_t trace_cap;

static const char *kind_name(uint32_t kind)
{
    static const char *const names[] = {"?",      "call",  "reply",  "send", "recv",
                                        "notify", "fault", "switch", "irq"};
    return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

/* A name as the kernel recorded it, never trusted to end in a NUL. */
static const char *name16(const char *s, char *buf)
{
    memcpy(buf, s, MICA_TRACE_NAME);
    buf[MICA_TRACE_NAME] = '\0';
    return buf;
}

static void dump(void)
{
    static struct mica_trace_event ev[32];
    uint64_t seq = 0, count = 0;
    for (;;) {
        long n = mica_trace(trace_cap, MICA_TRACE_READ, seq, ev, 32);
        if (n < 0) {
            printf("trace: %s\n", mica_status_name(n));
            return;
        }
        if (n == 0)
            break;
        for (long i = 0; i < n; i++) {
            char from[MICA_TRACE_NAME + 1], to[MICA_TRACE_NAME + 1];
            const struct mica_trace_event *e = &ev[i];
            printf(
                "TRACE t=%llu cpu=%u ev=%s from=%s to=%s label=0x%x len=%u badge=0x%llx "
                "ep=%u seq=%llu from_id=%u to_id=%u from_th=%u to_th=%u\n",
                (unsigned long long)e->tsc, e->cpu, kind_name(e->kind),
                name16(e->from_name, from), name16(e->to_name, to), e->label, e->len,
                (unsigned long long)e->badge, e->endpoint, (unsigned long long)e->seq,
                e->from, e->to, e->from_thread, e->to_thread);
            seq = e->seq + 1;
            count++;
        }
    }
    printf("trace: %llu events\n", (unsigned long long)count);
}

void cmd_trace(const char *args)
{
    char word[8];
    if (!trace_cap && ns_boot_cap(NS_CAP_TRACE, &trace_cap) != MICA_OK) {
        trace_cap = 0;
        printf("trace: this shell holds no recorder capability\n");
        return;
    }
    shell_word(args, word, sizeof(word));
    long st = MICA_OK;
    if (strcmp(word, "on") == 0)
        st = mica_trace(trace_cap, MICA_TRACE_ON, 0, NULL, 0);
    else if (strcmp(word, "off") == 0)
        st = mica_trace(trace_cap, MICA_TRACE_OFF, 0, NULL, 0);
    else if (strcmp(word, "dump") == 0)
        dump();
    else
        printf("usage: trace on|off|dump\n");
    if (st != MICA_OK)
        printf("trace: %s\n", mica_status_name(st));
}
