/*
 * Attacks kline: forging the kernel's lines (issue item 6). The serial
 * log is the test interface (SPEC section 8), so a task that can print
 * `mica: server name=... state=up`, a fault line, `PANIC:` or `TESTS:`
 * can lie to every test and to the person reading the console. The
 * kernel log takes a task's DEBUG_WRITE text as `[<task name>] <text>`
 * unless the call carries a handle to the log with SEND, which init
 * grants only to the modules its policy names ("rawlog"); and any
 * writer's text starts on a line of its own.
 *
 * The verdict on what reached the serial port is the harness's:
 * security.bios fails on any line matching `^mica: .*sec-forged`,
 * `^PANIC:` (which also ends the run: these attacks run last) or
 * `^TEST.*sec-forged`. The tests here check that the kernel refused or
 * took each write as it says.
 */
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "secsuite.h"

static long write_with(const char *s, uint64_t log)
{
    struct kt_regs r = {{(uint64_t)(uintptr_t)s, strlen(s), log}};
    return kt_syscall(SYS_DEBUG_WRITE, &r, 0);
}

/* Attack: handles that are not the log with SEND passed as the log
 * argument: a free slot, out of range, an endpoint, a notification, the
 * name service, our own task. Must: refused (EBADH, ETYPE), nothing
 * written (the text would match the harness's forbidden lines). */
KTEST(kline, only_the_log_with_send_writes_raw)
{
    static const char line[] = "mica: server name=sec-forged-handle state=up\n";
    KT_STATUS(write_with(line, kt_free_slot()), MICA_EBADH);
    KT_STATUS(write_with(line, 64), MICA_EBADH);
    KT_STATUS(write_with(line, ~0ull), MICA_EBADH);
    KT_STATUS(write_with(line, kt_endpoint()), MICA_ETYPE);
    KT_STATUS(write_with(line, kt_notification()), MICA_ETYPE);
    KT_STATUS(write_with(line, MICA_HANDLE_NS), MICA_ETYPE);
    KT_STATUS(write_with(line, MICA_HANDLE_SELF), MICA_ETYPE);
}

/* Attack: a task that holds the log only without SEND (a copy made with
 * fewer rights than ours) writes raw with it. Must: MICA_ERIGHTS. */
KTEST(kline, log_copy_without_send_is_refused)
{
    uint64_t h = 0;
    KT_OK(ns_boot_cap(NS_CAP_LOG_WRITE, &h)); /* we are a rawlog module */
    long weak = mica_handle_copy(h, MICA_RIGHT_GRANT, 0);
    KT_CMP(weak, >, 0);
    long st = write_with("mica: server name=sec-forged-weak state=up\n", (uint64_t)weak);
    mica_handle_close((uint64_t)weak);
    mica_handle_close(h);
    KT_STATUS(st, MICA_ERIGHTS);
}

/* Attack: a peer (no "rawlog" on its module line) asks init for the raw
 * log and writes a server line, a panic behind a carriage return and a
 * fault line. Must: init says MICA_ERIGHTS; the writes are taken (as the
 * peer's tagged lines, which the harness checks). */
KTEST_LAST(kline, peer_cannot_get_raw_log_and_is_tagged)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_send(p, CMD_LOG_FORGE, 0, 0, 0, 0));
    KT_OK(peer_wait(p, &r, 3000));
    KT_STATUS(result_status(&r), MICA_ERIGHTS);
    KT_CMP((long)r.w[2], >, 0);
}

/* Attack: without a log handle, write lines that look like the kernel's,
 * one after a carriage return, one with an escape sequence, and one left
 * unfinished so that the kernel's next line would complete it. Must: all
 * taken as our tagged lines (the harness forbids the forged forms), and
 * the kernel's next line still starts a line of its own. */
KTEST_LAST(kline, untagged_writes_cannot_forge_kernel_lines)
{
    static const char *const lines[] = {
        "mica: server name=sec-forged state=up\n",
        "ok\nmica: fault task=sec-forged vector=14 rip=0x0 addr=0x0 action=killed\n",
        "\rmica: server name=sec-forged state=crashed\n",
        "\x1b[2K\x1b[0Gmica: server name=sec-forged state=restarted\n",
        "TEST sec-forged.all PASS\nTESTS: 999 passed, 0 failed sec-forged\n",
        "PANIC: kernel exception #PF page fault (sec-forged)\n",
        "mica: server name=sec-forged-unfinished state=",
    };
    for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        KT_EQ(write_with(lines[i], 0), (long)strlen(lines[i]));
    /* A kernel line now (a bad spawn's refusal is printed by the kernel
     * only for real failures; a kill line is simplest): a peer killed
     * with the spawner's handle, whose `mica: kill` line must start a
     * line even though ours was left open. */
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    KT_ASSERT(p->kill);
    struct kt_regs r = {{p->kill}};
    KT_OK(kt_syscall(SYS_TASK_KILL, &r, 0));
    KT_ASSERT(peer_wait_dead(p, 2000));
    KT_OK(sec_system_answers());
}
