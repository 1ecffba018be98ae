/*
 * Attacks affinity: SYS_THREAD_AFFINITY names a thread by its slot in the
 * caller's own task, never another task's. Every slot number past the
 * task's eight, every empty slot of ours, and masks with no online CPU or
 * bits past the eight the kernel keeps must be refused (MICA_EINVAL), and
 * nothing else in the system may move: the kernel's thread pool is 128
 * threads, so a kernel that took the number as an index into it (or past
 * the task's array) would pin some other task's thread.
 */
#include <mica/syscall.h>

#include "secsuite.h"

KTEST(affinity, only_own_threads_and_real_cpus)
{
    struct mica_task_info me;
    KT_ASSERT(mica_task_find(mica_self_id(), &me));
    for (uint64_t k = 0; k < 8; k++)
        if (me.thread_cpu[k] == MICA_CPU_NONE)
            KT_STATUS(mica_thread_affinity(k, MICA_CPUS_ALL), MICA_EINVAL);
    static const uint64_t past[] = {
        8, 9, 31, 64, 127, 128, 1000, 1ull << 32, UINT64_MAX - 1};
    for (unsigned i = 0; i < sizeof(past) / sizeof(past[0]); i++)
        KT_STATUS(mica_thread_affinity(past[i], MICA_CPUS_ALL), MICA_EINVAL);
    unsigned cpus = 0;
    struct mica_cpu_info c;
    while (cpus < 8 && mica_cpu_info(cpus, &c) == MICA_OK)
        cpus++;
    KT_STATUS(mica_thread_affinity(MICA_THREAD_SELF, 0), MICA_EINVAL);
    KT_STATUS(mica_thread_affinity(MICA_THREAD_SELF, 0x100), MICA_EINVAL);
    KT_STATUS(mica_thread_affinity(MICA_THREAD_SELF, UINT64_MAX), MICA_EINVAL);
    if (cpus < 8)
        KT_STATUS(mica_thread_affinity(MICA_THREAD_SELF, 0xffu & ~((1u << cpus) - 1)),
                  MICA_EINVAL);
    /* Our own thread may be pinned, and is where it was told. */
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, 1));
    KT_ASSERT(mica_task_find(mica_self_id(), &me));
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, MICA_CPUS_ALL));
}
