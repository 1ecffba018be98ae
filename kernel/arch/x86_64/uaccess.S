/*
 * uaccess_copy(dst, src, n): the only code that touches user memory. It
 * opens SMAP for the copy (stac/clac, SDM Vol. 3A §4.6) and is listed in
 * the fault table: a page fault inside it returns -1 from here instead of
 * panicking (trap.c checks uaccess_fault_at).
 */
    .text
    .global uaccess_copy, uaccess_copy_start, uaccess_copy_end, uaccess_fixup
uaccess_copy:
    movq %rdx, %rcx
uaccess_copy_start:
    testb $1, smap_enabled(%rip)
    jz 1f
    stac
1:  rep movsb
uaccess_copy_end:
    testb $1, smap_enabled(%rip)
    jz 2f
    clac
2:  xorl %eax, %eax
    ret
uaccess_fixup:
    testb $1, smap_enabled(%rip)
    jz 3f
    clac
3:  movq $-1, %rax
    ret
