/*
 * Client of the syscall fuzzer (protocol in mica/fuzz.h).
 */
#include <mica/fuzz.h>
#include <mica/ns.h>
#include <mica/syscall.h>

long fuzz_run(uint64_t seed, uint64_t calls, unsigned workers, struct fuzz_result *out)
{
    uint64_t h;
    long st = ns_lookup("fuzzer", &h);
    if (st != MICA_OK)
        return st;
    struct mica_msg req = {MICA_INFO(FUZZ_RUN, 0), {seed, calls, workers}};
    struct mica_msg reply;
    st = mica_call(h, &req, &reply, MICA_WAIT_FOREVER);
    if (st == MICA_OK)
        st = MICA_REPLY_STATUS(reply.info);
    if (st == MICA_OK) {
        struct mica_msg wait = {MICA_INFO(FUZZ_WAIT, 0), {0}};
        st = mica_call(h, &wait, &reply, MICA_WAIT_FOREVER);
        if (st == MICA_OK)
            st = MICA_REPLY_STATUS(reply.info);
        if (st == MICA_OK && out)
            *out = (struct fuzz_result){reply.w[0], reply.w[1], reply.w[2]};
    }
    mica_handle_close(h);
    return st;
}
