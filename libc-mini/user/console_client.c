/*
 * Client stubs of the console server (protocol in mica/console.h). The
 * console's endpoint is looked up once by console_open() and kept here;
 * stdio asks console_is_open() to choose between the console and the
 * kernel log.
 */
#include <mica/console.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

static uint64_t console_ep; /* 0 until console_open() succeeds */

long console_open(void)
{
    uint64_t h;
    if (console_ep)
        return MICA_OK;
    long st = ns_lookup("console", &h);
    if (st == MICA_OK)
        console_ep = h;
    return st;
}

int console_is_open(void)
{
    return console_ep != 0;
}

/* Sends one piece that fits the IPC buffer; returns bytes written. */
static long write_piece(const char *s, size_t n)
{
    memcpy(mica_ipc_buffer(), s, n);
    struct mica_msg req = {MICA_INFO(CON_WRITE, n), {0}};
    struct mica_msg reply;
    long st = mica_call(console_ep, &req, &reply, MICA_WAIT_FOREVER);
    if (st < 0)
        return st;
    st = MICA_REPLY_STATUS(reply.info);
    if (st < 0)
        return st;
    return reply.w[0] <= n ? (long)reply.w[0] : MICA_EINVAL;
}

long console_write(const char *s, size_t n)
{
    size_t done = 0;
    if (!console_ep)
        return MICA_EBADH;
    while (done < n) {
        size_t k = n - done;
        if (k > MICA_IPC_PAYLOAD_MAX)
            k = MICA_IPC_PAYLOAD_MAX;
        long st = write_piece(s + done, k);
        if (st < 0)
            return st;
        if (st == 0)
            break;
        done += (size_t)st;
    }
    return (long)done;
}

long console_read(char *buf, size_t max)
{
    if (!console_ep)
        return MICA_EBADH;
    if (max < 2)
        return MICA_EINVAL;
    size_t want = max - 1 < CON_LINE_MAX ? max - 1 : CON_LINE_MAX;
    struct mica_msg req = {MICA_INFO(CON_READ, 0), {want}};
    struct mica_msg reply;
    long st = mica_call(console_ep, &req, &reply, MICA_WAIT_FOREVER);
    if (st < 0)
        return st;
    st = MICA_REPLY_STATUS(reply.info);
    if (st < 0)
        return st;
    /* Never trust the server with our buffer's size. */
    size_t len = MICA_INFO_LEN(reply.info);
    if (len > want)
        return MICA_EINVAL;
    memcpy(buf, mica_ipc_buffer(), len);
    buf[len] = '\0';
    return (long)len;
}
