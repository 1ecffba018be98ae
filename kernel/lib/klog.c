/*
 * The kernel log (klog.h): a ring of KLOG_SIZE bytes addressed by absolute
 * position. `head` is the number of bytes ever written; the ring holds
 * [head - KLOG_SIZE, head). `shown` is how far the devices are known to
 * show the log: everything the kernel printed itself, and everything the
 * reader has confirmed by reading past it. When the reader dies the kernel
 * prints from `shown` on, so no line is lost between two readers.
 *
 * Lines cannot be forged. A writer's bytes always start on a line of
 * their own: when another writer's line is still open (no '\n' yet), a
 * '\n' ends it first, so no task can finish the kernel's line or have the
 * kernel finish its own. And the text of a task without the right to write
 * as it likes (klog_write_task, tagged) goes in as `[<task name>] <line>`
 * with every control byte but '\n' and '\t' shown as '?', so it never
 * begins with `mica:`, `PANIC:`, `TEST` or any other line of SPEC §8, nor
 * moves a terminal's cursor back over its tag ('\r', escapes).
 *
 * Entry points: klog_write, klog_write_task, klog_kick, klog_bind,
 * klog_read, klog_head, klog_task_gone, klog_take_back.
 */
#include "lib/klog.h"

#include "ipc/ipc.h"
#include "kernel.h"
#include "task/task.h"

static char ring[KLOG_SIZE];
static uint64_t head, shown;
static bool taken_back;
static bool kick_due;

static struct {
    uint32_t task; /* id of the reader task; 0: none */
    struct notification *ntf;
    uint64_t bits;
} reader;

static uint64_t oldest(void)
{
    return head > KLOG_SIZE ? head - KLOG_SIZE : 0;
}

/* Copies [from, from + n) of the ring (all of it held) into out. */
static void copy_out(uint64_t from, char *out, size_t n)
{
    size_t at = from % KLOG_SIZE;
    size_t first = n < KLOG_SIZE - at ? n : KLOG_SIZE - at;
    for (size_t i = 0; i < first; i++)
        out[i] = ring[at + i];
    for (size_t i = first; i < n; i++)
        out[i] = ring[i - first];
}

/* Prints the bytes from `shown` to `head` on the kernel's own devices. */
static void print_pending(void)
{
    char chunk[256];
    if (shown < oldest())
        shown = oldest();
    while (shown < head) {
        size_t n = head - shown < sizeof(chunk) ? head - shown : sizeof(chunk);
        copy_out(shown, chunk, n);
        shown += n;
        console_write(chunk, n);
    }
}

static uint32_t line_writer; /* task id of the open line's writer; 0: kernel */
static bool line_open;       /* the last byte written was not '\n' */

static void put(char c)
{
    ring[head++ % KLOG_SIZE] = c;
    line_open = c != '\n';
}

static void puts_raw(const char *s)
{
    while (*s)
        put(*s++);
}

static bool control(char c)
{
    return ((unsigned char)c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
}

static void append(uint32_t writer, const char *tag, const char *s, size_t n)
{
    if (line_open && line_writer != writer)
        put('\n');
    line_writer = writer;
    for (size_t i = 0; i < n; i++) {
        if (tag && !line_open) {
            put('[');
            puts_raw(tag);
            puts_raw("] ");
        }
        put(tag && control(s[i]) ? '?' : s[i]);
    }
}

void klog_write(const char *s, size_t n)
{
    klog_write_task(0, NULL, s, n);
}

void klog_write_task(uint32_t writer, const char *tag, const char *s, size_t n)
{
    append(writer, tag, s, n);
    if (!reader.task || taken_back)
        print_pending();
    else
        kick_due = true;
}

void klog_kick(void)
{
    if (kick_due && reader.task && !taken_back) {
        kick_due = false;
        notification_signal(reader.ntf, reader.bits);
    }
}

static void unbind(void)
{
    if (reader.ntf)
        object_unref(MICA_OBJ_NOTIFICATION, reader.ntf);
    reader.task = 0;
    reader.ntf = NULL;
}

uint64_t klog_bind(struct task *t, struct notification *ntf, uint64_t bits)
{
    print_pending();
    unbind();
    object_ref(MICA_OBJ_NOTIFICATION, ntf);
    reader.task = t->id;
    reader.ntf = ntf;
    reader.bits = bits;
    return shown;
}

size_t klog_read(struct task *t, uint64_t *pos, char *out, size_t len)
{
    uint64_t from = *pos > head ? head : *pos;
    if (t->id == reader.task && from > shown)
        shown = from;
    if (from < oldest())
        from = oldest();
    size_t n = head - from < len ? head - from : len;
    copy_out(from, out, n);
    *pos = from;
    return n;
}

uint64_t klog_head(void)
{
    return head;
}

void klog_task_gone(struct task *t)
{
    if (reader.task != t->id)
        return;
    unbind();
    print_pending();
}

void klog_take_back(void)
{
    taken_back = true;
    print_pending();
}
