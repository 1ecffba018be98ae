/*
 * Attacks wx: write-xor-execute for user memory. The kernel maps a page
 * writable and executable only if the mapper (the memory server, which
 * holds the RAM capability) asks for both, and the memory server never
 * does: MEM_ALLOC and MEM_LAZY refuse WRITE|EXEC (MICA_EINVAL). This task
 * cannot call SYS_MAP itself (nocap.ram_map_refused). What it can try:
 * asking for W+X, getting code into an executable page by writing it first
 * and remapping, and having the kernel write into an executable or
 * read-only page on its behalf.
 */
#include <mica/memory.h>
#include <mica/syscall.h>

#include "secsuite.h"

#define PAGE    MICA_PAGE_SIZE
#define WX_BASE 0x0000060000000000ull
#define WX_LAZY 0x0000061000000000ull

static long raw3(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct kt_regs r = {{a0, a1, a2}};
    return kt_syscall(nr, &r, 0);
}

static bool all_zero(uint64_t va)
{
    const volatile uint64_t *p = (const volatile uint64_t *)(uintptr_t)va;
    for (unsigned i = 0; i < PAGE / 8; i++)
        if (p[i])
            return false;
    return true;
}

/* Attack: ask for pages both writable and executable, now or lazily.
 * Must: MICA_EINVAL, and nothing is mapped there (a plain allocation of
 * the same page then works). */
KTEST(wx, write_exec_pages_refused)
{
    KT_STATUS(mem_alloc(WX_BASE, 1, MICA_MAP_WRITE | MICA_MAP_EXEC), MICA_EINVAL);
    KT_STATUS(mem_alloc(WX_BASE, 4, MICA_MAP_WRITE | MICA_MAP_EXEC | 4), MICA_EINVAL);
    KT_STATUS(mem_lazy(WX_LAZY, 4, MICA_MAP_WRITE | MICA_MAP_EXEC), MICA_EINVAL);
    KT_OK(mem_alloc(WX_BASE, 1, MICA_MAP_WRITE));
    KT_EQ(mem_free(WX_BASE, 1), 1);
}

/* Attack: write code into a writable page, give it back, and ask for an
 * executable page at the same address, hoping for the same frame with the
 * code still in it. Must: the executable page is zeroed. */
KTEST(wx, written_page_remapped_exec_is_fresh)
{
    KT_OK(mem_alloc(WX_BASE, 1, MICA_MAP_WRITE));
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)WX_BASE;
    for (unsigned i = 0; i < PAGE; i++)
        p[i] = 0xc3; /* ret */
    KT_EQ(mem_free(WX_BASE, 1), 1);
    KT_OK(mem_alloc(WX_BASE, 1, MICA_MAP_EXEC));
    bool zero = all_zero(WX_BASE);
    KT_EQ(mem_free(WX_BASE, 1), 1);
    KT_ASSERT(zero);
}

/* Attack: have the kernel write into an executable page (a task record or
 * memory figures as "code"). Must: MICA_EFAULT, the page stays zero. */
KTEST(wx, kernel_writes_no_exec_page)
{
    KT_OK(mem_alloc(WX_BASE, 1, MICA_MAP_EXEC));
    long info = raw3(SYS_TASK_INFO, 0, WX_BASE + 64, 0);
    long mem = raw3(SYS_MEM_INFO, WX_BASE, 0, 0);
    bool zero = all_zero(WX_BASE);
    KT_EQ(mem_free(WX_BASE, 1), 1);
    KT_STATUS(info, MICA_EFAULT);
    KT_STATUS(mem, MICA_EFAULT);
    KT_ASSERT(zero);
}

/* Attack: the same into a read-only data page. */
KTEST(wx, kernel_writes_no_readonly_page)
{
    KT_OK(mem_alloc(WX_BASE, 1, 0));
    long info = raw3(SYS_TASK_INFO, 0, WX_BASE, 0);
    long mem = raw3(SYS_MEM_INFO, WX_BASE + 128, 0, 0);
    bool zero = all_zero(WX_BASE);
    KT_EQ(mem_free(WX_BASE, 1), 1);
    KT_STATUS(info, MICA_EFAULT);
    KT_STATUS(mem, MICA_EFAULT);
    KT_ASSERT(zero);
}

/* Attack: lazily backed pages: a region that may only be read and
 * executed is written by the kernel on our behalf (the kernel's copy
 * faults, the pager is asked with the user's rights). Must: MICA_EFAULT,
 * not a writable page. */
KTEST(wx, kernel_write_into_lazy_exec_region_refused)
{
    uint64_t va = WX_LAZY + 16 * PAGE;
    KT_OK(mem_lazy(va, 2, MICA_MAP_EXEC));
    long info = raw3(SYS_TASK_INFO, 0, va, 0);
    /* A read maps the page (execute regions are readable). */
    volatile uint64_t first = *(volatile uint64_t *)(uintptr_t)(va + PAGE);
    long mem = raw3(SYS_MEM_INFO, va + PAGE, 0, 0);
    bool zero = all_zero(va + PAGE);
    KT_STATUS(info, MICA_EFAULT);
    KT_STATUS(mem, MICA_EFAULT);
    KT_EQ(first, 0);
    KT_ASSERT(zero);
}
