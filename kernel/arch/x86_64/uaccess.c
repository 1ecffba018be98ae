/*
 * Checked copies between kernel and user memory. The range must lie in the
 * user half without wrapping; a page that is not mapped (or not accessible)
 * makes the copy fail through uaccess.S's fault fixup.
 */
#include "arch.h"
#include "arch/x86_64/layout.h"

int uaccess_copy(void *dst, const void *src, size_t n);

bool arch_user_range(uint64_t addr, uint64_t n)
{
    return addr + n >= addr && addr + n <= USER_END;
}

static int user_range_ok(uint64_t addr, size_t n)
{
    return addr >= PAGE_SIZE && arch_user_range(addr, n);
}

int arch_copy_from_user(void *dst, uint64_t user_src, size_t n)
{
    if (n == 0)
        return 0;
    if (!user_range_ok(user_src, n))
        return -1;
    return uaccess_copy(dst, (const void *)user_src, n);
}

int arch_copy_to_user(uint64_t user_dst, const void *src, size_t n)
{
    if (n == 0)
        return 0;
    if (!user_range_ok(user_dst, n))
        return -1;
    return uaccess_copy((void *)user_dst, src, n);
}
