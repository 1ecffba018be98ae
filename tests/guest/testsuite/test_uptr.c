/*
 * Suite uptr: every system call that takes a user pointer, given pointers
 * it must refuse: NULL, the kernel half, non-canonical, unmapped, read-only
 * (for results the kernel writes), ranges straddling the end of the user
 * half or a mapped page, and lengths that overflow. The answer is an error
 * (MICA_EFAULT, MICA_ERANGE, or MICA_EBADH/ETYPE where the handle is
 * checked first), never a crash, and nothing is written. The calls that
 * need a capability this task lacks (RAM_INFO, MODULE_INFO, TASK_SPAWN)
 * must refuse on the handle before they touch the pointer.
 */
#include <mica/memory.h>
#include <mica/syscall.h>
#include <string.h>

#include "ktest.h"

#define PAGE          MICA_PAGE_SIZE
#define KERNEL_ADDR   0xffffffff80000000ull
#define KERNEL_LOW    0xffff800000000000ull
#define NON_CANONICAL 0x0000800000000000ull
#define NON_CANON_MID 0x1234567800000000ull
#define USER_END      0x0000800000000000ull
/* Its own range, clear of the mem suite's and of libc-mini's heap. */
#define UPTR_BASE 0x00000c0000000000ull

static long raw3(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct kt_regs r = {{a0, a1, a2}};
    return kt_syscall(nr, &r, 0);
}

/* Pointers no call may use, whatever the length. */
static const uint64_t never_ok[] = {
    0,
    8,
    PAGE - 1,
    KERNEL_ADDR,
    KERNEL_LOW,
    NON_CANONICAL,
    NON_CANON_MID,
    0x8000000000000000ull,
    USER_END - 8,         /* straddles the end of the user half */
    UPTR_BASE + 7 * PAGE, /* never mapped */
    ~0ull - 15,
};
#define NEVER_OK_N (sizeof(never_ok) / sizeof(never_ok[0]))

/* One page mapped at UPTR_BASE, with the next one unmapped: a range from
 * its last bytes runs into nothing. */
static bool map_edge(void)
{
    return mem_alloc(UPTR_BASE, 1, MICA_MAP_WRITE) == MICA_OK;
}

static void unmap_edge(void)
{
    mem_free(UPTR_BASE, 1);
}

KTEST(uptr, debug_write_refuses_bad_sources)
{
    for (unsigned i = 0; i < NEVER_OK_N; i++)
        KT_STATUS(raw3(SYS_DEBUG_WRITE, never_ok[i], 16, 0), MICA_EFAULT);
    KT_ASSERT(map_edge());
    long st = raw3(SYS_DEBUG_WRITE, UPTR_BASE + PAGE - 4, 16, 0);
    unmap_edge();
    KT_STATUS(st, MICA_EFAULT);
}

/* Lengths: over the limit, or making the range wrap, are refused before
 * the pointer is looked at. */
KTEST(uptr, debug_write_length_overflow)
{
    static const char text[] = "x";
    KT_STATUS(raw3(SYS_DEBUG_WRITE, (uintptr_t)text, 1ull << 63, 0), MICA_ERANGE);
    KT_STATUS(raw3(SYS_DEBUG_WRITE, (uintptr_t)text, ~0ull - (uintptr_t)text + 2, 0),
              MICA_ERANGE);
    KT_STATUS(raw3(SYS_DEBUG_WRITE, KERNEL_ADDR, 1ull << 40, 0), MICA_ERANGE);
}

/* A result the kernel would write: refused for every bad pointer, for our
 * read-only code and data, and for a range running off a mapped page; a
 * good pointer next to them is filled in. */
static void check_result_pointer(uint64_t nr, uint64_t arg0, size_t size, bool ptr_first)
{
    static const uint64_t rodata_word = 1;
    for (unsigned i = 0; i < NEVER_OK_N; i++) {
        long st =
            ptr_first ? raw3(nr, never_ok[i], 0, 0) : raw3(nr, arg0, never_ok[i], 0);
        KT_STATUS(st, MICA_EFAULT);
    }
    const uint64_t read_only[] = {(uintptr_t)&raw3, (uintptr_t)&rodata_word};
    for (unsigned i = 0; i < 2; i++) {
        long st =
            ptr_first ? raw3(nr, read_only[i], 0, 0) : raw3(nr, arg0, read_only[i], 0);
        KT_STATUS(st, MICA_EFAULT);
    }
    KT_ASSERT(map_edge());
    uint64_t edge = UPTR_BASE + PAGE - size / 2;
    long partial = ptr_first ? raw3(nr, edge, 0, 0) : raw3(nr, arg0, edge, 0);
    uint64_t whole = UPTR_BASE + PAGE - size;
    long fits = ptr_first ? raw3(nr, whole, 0, 0) : raw3(nr, arg0, whole, 0);
    bool written = false;
    for (size_t i = 0; i < size; i++)
        written = written || ((volatile uint8_t *)(uintptr_t)whole)[i] != 0;
    unmap_edge();
    KT_STATUS(partial, MICA_EFAULT);
    KT_OK(fits);
    KT_ASSERT(written);
}

KTEST(uptr, task_info_result)
{
    check_result_pointer(SYS_TASK_INFO, 0, sizeof(struct mica_task_info), false);
}

KTEST(uptr, mem_info_result)
{
    check_result_pointer(SYS_MEM_INFO, 0, sizeof(struct mica_mem_info), true);
}

/* RAM_INFO, MODULE_INFO and TASK_SPAWN need a RAM or system capability:
 * the handle is refused first, whatever the pointer. */
KTEST(uptr, capability_checked_before_pointer)
{
    uint64_t ep = kt_endpoint(), free = kt_free_slot();
    struct mica_ram_info ri;
    struct mica_module_info mi;
    KT_NE(free, 0);
    for (unsigned i = 0; i < NEVER_OK_N; i++) {
        KT_STATUS(raw3(SYS_RAM_INFO, free, never_ok[i], 0), MICA_EBADH);
        KT_STATUS(raw3(SYS_RAM_INFO, ep, never_ok[i], 0), MICA_ETYPE);
        struct kt_regs r = {{MICA_HANDLE_SELF, 0, never_ok[i]}};
        KT_STATUS(kt_syscall(SYS_MODULE_INFO, &r, 0), MICA_ETYPE);
        KT_STATUS(raw3(SYS_TASK_SPAWN, free, never_ok[i], 8), MICA_EBADH);
        KT_STATUS(raw3(SYS_TASK_SPAWN, MICA_HANDLE_SELF, never_ok[i], ~0ull), MICA_ETYPE);
    }
    KT_STATUS(mica_ram_info(MICA_HANDLE_SELF, &ri), MICA_ETYPE);
    KT_STATUS(mica_module_info(free, 0, &mi), MICA_EBADH);
    KT_STATUS(mica_task_spawn(ep, "init"), MICA_ETYPE);
}

/* A user-space pointer check that only looked at the first byte would let
 * a range reach from the last user page into the kernel half. */
KTEST(uptr, range_into_kernel_half)
{
    struct kt_regs r = {{USER_END - 4096, 0}};
    KT_STATUS(kt_syscall(SYS_MEM_INFO, &r, 0), MICA_EFAULT);
    KT_STATUS(raw3(SYS_DEBUG_WRITE, USER_END - 16, 64, 0), MICA_EFAULT);
    KT_STATUS(raw3(SYS_TASK_INFO, 0, USER_END - sizeof(struct mica_task_info) / 2, 0),
              MICA_EFAULT);
}

/* The IPC buffer is where payloads come from: a page each thread has,
 * so a payload is never refused for its source, only for its size. */
KTEST(uptr, payload_length_refused_not_copied)
{
    uint64_t ep = kt_endpoint();
    struct mica_msg m = {MICA_INFO(1, 0) | (0x1fffull << 32), {0}}, rep;
    KT_STATUS(kt_send(ep, &m, MICA_NO_WAIT), MICA_ERANGE);
    KT_STATUS(kt_call(ep, &m, &rep, MICA_NO_WAIT), MICA_ERANGE);
    m.info = MICA_INFO(1, MICA_IPC_PAYLOAD_MAX + 1);
    KT_STATUS(kt_send(ep, &m, MICA_NO_WAIT), MICA_ERANGE);
}

/* A page of a lazily backed region that nothing has touched yet, as the
 * destination of a result: the kernel's copy faults, asks the task's pager
 * (the memory server) exactly as the task's own access would, and the
 * result lands in the freshly backed page. */
KTEST(uptr, untouched_lazy_page_result)
{
    uint64_t base = UPTR_BASE + 0x100000;
    KT_OK(mem_lazy(base, 2, MICA_MAP_WRITE));
    long fresh = raw3(SYS_TASK_INFO, 0, base, 0);
    volatile uint8_t *touched = (volatile uint8_t *)(uintptr_t)(base + PAGE);
    touched[0] = 0;
    long ok = raw3(SYS_TASK_INFO, 0, base + PAGE, 0);
    uint32_t id = ((volatile struct mica_task_info *)touched)->id;
    mem_free(base, 2);
    KT_OK(fresh);
    KT_OK(ok);
    KT_NE(id, 0);
}
