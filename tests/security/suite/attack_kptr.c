/*
 * Attacks kptr: user pointers into the kernel. Every system call that
 * takes a pointer this task can reach (DEBUG_WRITE reads, TASK_INFO and
 * MEM_INFO write; the others need a capability and refuse on the handle
 * first, see nocap) is given kernel-half addresses (the kernel image, the
 * physical map), non-canonical ones, ranges that run from the user half
 * into the hole or wrap, and read-only user pages for results. Must:
 * MICA_EFAULT, nothing written, the kernel lives on. THREAD_CREATE takes
 * code and stack addresses: kernel or non-canonical ones are MICA_EINVAL.
 */
#include <mica/syscall.h>
#include <string.h>

#include "secsuite.h"

#define KERNEL_IMAGE 0xffffffff80000000ull
#define KERNEL_DATA  0xffffffff80100000ull
#define PHYS_MAP     0xffff800000000000ull
#define PHYS_MAP_1M  0xffff800000100000ull
#define HOLE         0x0000800000000000ull
#define HOLE_HIGH    0x8000000000000000ull
#define LAST_PAGE    0x00007ffffffff000ull

static long raw3(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct kt_regs r = {{a0, a1, a2}};
    return kt_syscall(nr, &r, 0);
}

static const uint64_t kernel_ptrs[] = {
    KERNEL_IMAGE,
    KERNEL_DATA,
    PHYS_MAP,
    PHYS_MAP_1M,
    HOLE,
    HOLE_HIGH,
    HOLE - 8,         /* straddles the end of the user half */
    LAST_PAGE + 4090, /* likewise, from the last user page */
    ~0ull - 7,        /* wraps */
    0xffffffffffffe000ull,
};
#define KERNEL_PTRS_N (sizeof(kernel_ptrs) / sizeof(kernel_ptrs[0]))

/* Attack: make the kernel log its own memory (read through our pointer).
 * Must: MICA_EFAULT for each address. */
KTEST(kptr, debug_write_reads_no_kernel_memory)
{
    for (unsigned i = 0; i < KERNEL_PTRS_N; i++)
        KT_STATUS(raw3(SYS_DEBUG_WRITE, kernel_ptrs[i], 16, 0), MICA_EFAULT);
    /* A long range from the last user page into the hole. */
    KT_STATUS(raw3(SYS_DEBUG_WRITE, LAST_PAGE, 512, 0), MICA_EFAULT);
}

/* Attack: make the kernel write a task record over kernel memory. Must:
 * MICA_EFAULT for each address, and task records are still right after. */
KTEST(kptr, task_info_writes_no_kernel_memory)
{
    for (unsigned i = 0; i < KERNEL_PTRS_N; i++)
        KT_STATUS(raw3(SYS_TASK_INFO, 0, kernel_ptrs[i], 0), MICA_EFAULT);
    struct mica_task_info ti;
    KT_OK(mica_task_info(0, &ti));
    KT_ASSERT(kt_task_by_name("memory", &ti));
}

/* Attack: the same with the kernel's memory figures. */
KTEST(kptr, mem_info_writes_no_kernel_memory)
{
    for (unsigned i = 0; i < KERNEL_PTRS_N; i++)
        KT_STATUS(raw3(SYS_MEM_INFO, kernel_ptrs[i], 0, 0), MICA_EFAULT);
    struct mica_mem_info mi;
    KT_OK(mica_mem_info(&mi));
    KT_CMP(mi.kernel_kib, >, 0);
}

static const char rodata_target[64] = "the kernel must not write this read-only text";

/* Attack: have the kernel write results into our own read-only pages:
 * our text (code we could change so) and rodata. Must: MICA_EFAULT
 * (the kernel copies with the user's rights: CR0.WP), bytes unchanged. */
KTEST(kptr, results_not_written_to_readonly_pages)
{
    uint8_t text_before[64], ro_before[64];
    const uint8_t *text = (const uint8_t *)(uintptr_t)raw3;
    memcpy(text_before, text, sizeof(text_before));
    memcpy(ro_before, rodata_target, sizeof(ro_before));
    KT_STATUS(raw3(SYS_TASK_INFO, 0, (uintptr_t)text, 0), MICA_EFAULT);
    KT_STATUS(raw3(SYS_MEM_INFO, (uintptr_t)text, 0, 0), MICA_EFAULT);
    KT_STATUS(raw3(SYS_TASK_INFO, 0, (uintptr_t)rodata_target, 0), MICA_EFAULT);
    KT_STATUS(raw3(SYS_MEM_INFO, (uintptr_t)rodata_target, 0, 0), MICA_EFAULT);
    KT_EQ(memcmp(text_before, text, sizeof(text_before)), 0);
    KT_EQ(memcmp(ro_before, rodata_target, sizeof(ro_before)), 0);
}

/* Attack: a peer creates threads whose code or stack is in the kernel half
 * or the non-canonical hole (entered with IRETQ, such a thread would run
 * kernel code or fault in ring 0), or with a misaligned stack; then more
 * threads than a task may have. Must: MICA_EINVAL for each bad one, then
 * MICA_ENOMEM past the limit, and the peer lives on. */
KTEST(kptr, thread_create_kernel_or_noncanonical_refused)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_do(p, CMD_THREAD_BAD, 0, 0, 0, 0, &r));
    KT_PEER_STEPS(r);
    KT_CMP(r.w[3], >=, 1); /* it made the threads it was allowed */
    KT_OK(peer_do(p, CMD_PING, 0, 0, 0, 0, NULL));
}
