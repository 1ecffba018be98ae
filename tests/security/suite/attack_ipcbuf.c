/*
 * Attacks ipcbuf: aliasing through IPC buffers (issue "Isolation in the
 * kernel", item 1). The kernel copies payloads into each thread's IPC
 * buffer through the physical map, so a buffer frame that a task could
 * unmap, free to the memory server and see handed to another task would
 * give it a window into that task (and a way around W^X). The kernel's
 * answer: every IPC buffer is a frame of the kernel's own, which UNMAP
 * cannot take out (MICA_ENOENT: UNMAP moves only frames of the RAM object),
 * and THREAD_CREATE says MICA_EBUSY when anything is mapped where the new
 * thread's buffer goes (MICA_IPC_BUFFER - k pages for thread k).
 */
#include <mica/memory.h>
#include <mica/syscall.h>
#include <string.h>

#include "secsuite.h"

#define PAGE    MICA_PAGE_SIZE
#define WAIT_MS 3000
/* Threads of this task: main and ktest's four helpers. */
#define SUITE_THREADS 5

static uint64_t buffer_of(unsigned k)
{
    return MICA_IPC_BUFFER - (uint64_t)k * PAGE;
}

static uint8_t pat(uint64_t seed, unsigned i)
{
    return (uint8_t)((seed >> ((i % 8) * 8)) ^ (i * 7u));
}

struct payload_job {
    uint64_t ep, seed;
    long status;
    bool match;
    uintptr_t where;
};

/* Receives one full-page payload and checks it is in this thread's own
 * buffer. */
static void receive_payload(void *arg)
{
    struct payload_job *j = arg;
    struct mica_msg m;
    uint8_t *mine = kt_ipc();
    memset(mine, 0, PAGE);
    j->where = (uintptr_t)mine;
    j->status = kt_recv(j->ep, &m, NULL, WAIT_MS);
    j->match = j->status == MICA_OK && MICA_INFO_LEN(m.info) == PAGE;
    for (unsigned i = 0; j->match && i < PAGE; i++)
        j->match = mine[i] == pat(j->seed, i);
}

/* A full page from the main thread to a helper: it arrives in the helper's
 * buffer, and the main thread's buffer keeps what it had. */
static void payload_round_trip(uint64_t seed)
{
    struct payload_job j = {.ep = kt_endpoint(), .seed = seed, .status = 1};
    uint8_t *mine = mica_ipc_buffer();
    for (unsigned i = 0; i < PAGE; i++)
        mine[i] = pat(seed, i);
    int job = kt_spawn(receive_payload, &j);
    struct mica_msg m = {MICA_INFO(0x51, PAGE), {0}};
    long st = kt_send(j.ep, &m, WAIT_MS);
    KT_OK(st);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(j.status);
    KT_ASSERT(j.match);
    KT_NE(j.where, (uintptr_t)mine);
    for (unsigned i = 0; i < PAGE; i++)
        KT_EQ(mine[i], pat(seed, i));
}

/* Attack: map a RAM page of our own where the next thread's IPC buffer
 * goes, create the thread (it would take that page as its buffer), give
 * the page back to the memory server, take 64 pages again and send the
 * thread a payload. Must: THREAD_CREATE says MICA_EBUSY; once the page is
 * gone the thread gets a kernel frame there, its payload lands in it, and
 * none of the pages we got back from the memory server holds the payload
 * (the kernel never writes a frame it handed back). Runs in a peer, which
 * has threads to spare. */
KTEST(ipcbuf, premapped_buffer_refused_payload_stays_in_kernel_frame)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_do(p, CMD_IPCBUF, 0, 0x1badb002c0ffee11ull, 0, 0, &r));
    KT_PEER_STEPS(r);
    KT_ASSERT(peer_alive(p));
}

/* Attack: UNMAP every thread's IPC buffer in our own space (we hold our
 * task handle with MANAGE, as the memory server holds its clients').
 * Must: MICA_ENOENT for each, and a payload afterwards still goes from
 * buffer to buffer. */
KTEST(ipcbuf, unmap_live_buffers_refused)
{
    for (unsigned k = 0; k < SUITE_THREADS; k++)
        KT_STATUS(mica_unmap(MICA_HANDLE_SELF, buffer_of(k)), MICA_ENOENT);
    payload_round_trip(0x0102030405060708ull);
}

/* Attack: a peer UNMAPs its own text, rodata, data, bss, stack (the page
 * in use and the lowest), its IPC buffers and its edge page, and tries
 * page zero, non-canonical, kernel-half and unaligned addresses; then has
 * the memory server do it (MEM_FREE of the same pages). Must: MICA_ENOENT
 * for the pages (none is a RAM-object frame), MICA_EINVAL for the bad
 * addresses, nothing freed through the memory server, and every page
 * still works afterwards. */
KTEST(ipcbuf, unmap_own_image_and_stack_refused)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_do(p, CMD_UNMAP_SELF, 0, 0, 0, 0, &r));
    KT_PEER_STEPS(r);
    KT_ASSERT(peer_alive(p));
}

/* Attack: the same through the memory server: MEM_FREE over our IPC
 * buffers, which makes it UNMAP them and put the frames on its free list.
 * Must: nothing is freed (0 pages), and the buffers still work. */
KTEST(ipcbuf, free_buffers_through_memory_server_refused)
{
    KT_EQ(mem_free(buffer_of(0), 1), 0);
    KT_EQ(mem_free(buffer_of(SUITE_THREADS - 1), SUITE_THREADS), 0);
    KT_EQ(mem_free(buffer_of(7), 8), 0); /* every buffer slot a task may have */
    payload_round_trip(0x1122334455667788ull);
}

/* Attack: ask the memory server to map fresh pages over live IPC buffers
 * (the kernel frame would be replaced by a RAM frame the task can later
 * free). Must: MICA_EBUSY, and the buffers still work. */
KTEST(ipcbuf, map_over_live_buffers_refused)
{
    KT_STATUS(mem_alloc(buffer_of(0), 1, MICA_MAP_WRITE), MICA_EBUSY);
    KT_STATUS(mem_alloc(buffer_of(1), 1, MICA_MAP_WRITE), MICA_EBUSY);
    KT_STATUS(mem_alloc(buffer_of(SUITE_THREADS - 1), 2, MICA_MAP_WRITE), MICA_EBUSY);
    payload_round_trip(0x8877665544332211ull);
}
