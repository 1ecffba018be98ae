/*
 * The hooks generic kernel code calls into the architecture. Generic code
 * includes this header only, never an x86 header; arch/x86_64/ implements
 * every function declared here.
 */
#ifndef MICA_KERNEL_ARCH_H
#define MICA_KERNEL_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pmm;

/* Boot facts the arch entry code gathered before C ran. */
struct arch_boot {
    uint64_t info_phys;                          /* Multiboot2 boot information */
    uint64_t kernel_phys_start, kernel_phys_end; /* whole image incl. boot code */
};
void arch_boot_facts(struct arch_boot *out);

/* Early serial console (COM1). Safe to call at any time, even in a panic. */
void arch_serial_write(const char *s, size_t len);

/* Descriptor tables, exception vectors, CPU feature bits (NX, SMEP, SMAP). */
void arch_cpu_init(void);

/*
 * Replaces the boot page tables: kernel image W^X with 4 KiB pages, the boot
 * stack guard page unmapped, every byte below `phys_top` (and at least the
 * first 4 GiB, which holds the boot information, modules and MMIO) in the
 * physical map. Page-table frames come from `pmm`.
 */
void arch_paging_init(struct pmm *pmm, uint64_t phys_top);

/* Kernel virtual address of a physical address (through the physical map). */
void *phys_to_virt(uint64_t phys);

/* Calibrates the TSC and the local APIC timer, starts the periodic tick. */
void arch_timer_init(void);
uint64_t arch_ms_since_boot(void); /* from the first kernel instruction */
uint64_t arch_timer_ticks(void);
uint64_t arch_timestamp(void); /* the CPU's time stamp counter */

/* Prints a frame-pointer backtrace starting at the caller. */
void arch_backtrace_here(void);

/* Interrupts on, halt until the next one, forever. */
__attribute__((noreturn)) void arch_idle_loop(void);
/* Interrupts off, halt for good. */
__attribute__((noreturn)) void arch_halt(void);

/* A few unpredictable bits (the TSC), for the stack guard. */
uint64_t arch_entropy(void);

/* Ends QEMU through the isa-debug-exit device (no effect elsewhere). */
void arch_qemu_exit(uint32_t code);
/* Powers the machine off (ACPI S5 when the tables were understood, else
 * QEMU's exit device), or
 * resets it (8042 pulse, then a triple fault). Never returns. */
__attribute__((noreturn)) void arch_poweroff(void);
/* Finds the ACPI S5 (soft off) registers from the RSDP, if there is one. */
void arch_acpi_init(const void *rsdp, size_t rsdp_len);
__attribute__((noreturn)) void arch_reset(void);

/* ---- Address spaces. A vm is named by the physical address of its root. */
#define VM_WRITE 1u
#define VM_EXEC  2u
#define VM_USER  4u
uint64_t arch_vm_create(struct pmm *pmm); /* kernel half shared; 0 when out of frames */
int arch_vm_map(struct pmm *pmm, uint64_t vm, uint64_t va, uint64_t pa, unsigned flags);
/* Page-table frames arch_vm_map would take for va (0 when they exist). */
unsigned arch_vm_tables_to_map(uint64_t vm, uint64_t va);
/* Unmaps and returns the frame mapped at va, or 0 if none. */
uint64_t arch_vm_unmap(uint64_t vm, uint64_t va);
/* Physical address mapped at va (page aligned), or 0 if none. */
uint64_t arch_vm_lookup(uint64_t vm, uint64_t va);
/* Frees every page table of vm and the root, and every user frame for which
 * `keep` is NULL or returns false (frames owned elsewhere stay allocated). */
void arch_vm_destroy(struct pmm *pmm, uint64_t vm, bool (*keep)(uint64_t pa));
void arch_vm_switch(uint64_t vm);
/* Pages of vm's user half that are writable and executable at once. */
uint64_t arch_vm_count_wx(uint64_t vm);

/* ---- Threads. The saved register state of a thread that entered the
 * kernel (interrupt, exception or syscall) is a struct trap_frame at the top
 * of its kernel stack; generic code reaches it through these accessors. */
struct trap_frame;
struct mica_msg;
/* Prepares a new kernel stack so that switching to it enters user mode at
 * entry with the given stack pointer and rdi = arg. Returns the saved rsp. */
uint64_t arch_thread_prepare(uint64_t kstack_top, uint64_t entry, uint64_t user_rsp,
                             uint64_t arg);
/* Saves callee-saved state on the current stack into *old_rsp and resumes
 * the thread whose saved stack pointer is new_rsp. */
void arch_switch(uint64_t *old_rsp, uint64_t new_rsp);
/* FPU/SSE register state of a user thread: a 16-byte aligned area. */
#define ARCH_FPU_AREA 512
void arch_fpu_init(void *area);
/* The thread owning `load` runs next (NULL: a kernel-only thread); its
 * state is brought in on first use. `save` is the previous thread's area. */
void arch_fpu_switch(void *save, const void *load);
/* The thread owning `area` is gone: its state need not be saved. */
void arch_fpu_forget(void *area);
/* The thread owning `area` is to run on CPU `cpu` from now on: no other
 * CPU's registers may keep its state. */
void arch_fpu_migrate(void *area, unsigned cpu);

/* Starts the other CPUs (after the timer and ACPI); each joins the
 * scheduler once init runs (arch_smp_release). */
void arch_smp_init(void);
void arch_smp_release(void);
/* This CPU (0 = the boot CPU .. arch_cpu_count()-1), and how many run. */
unsigned arch_cpu_id(void);
unsigned arch_cpu_count(void);
/* The thread CPU i runs (NULL before it has one). */
struct thread *arch_cpu_current(unsigned i);
/* This CPU's scheduler state, for the fast paths. */
void arch_set_cpu_local(void *sched);
/* Makes CPU i look at its run queues (an interrupt); no-op for this one. */
void arch_cpu_wake(unsigned i);
/* Returns once CPU i (not this one) is out of user mode; it takes the
 * kernel lock before it leaves the kernel again. The caller holds it. */
void arch_cpu_leave_user(unsigned i);
/* Serves what the kernel lock's holder asked of this CPU (TLB and FPU
 * flushes); called while spinning for the lock. */
void arch_cpu_poll(void);
void arch_cpu_relax(void); /* a spin-wait hint */
/* CPU i as the arch started it: false past the last. */
struct mica_cpu_info;
bool arch_cpu_describe(unsigned i, struct mica_cpu_info *out);
/* The most CPUs the kernel brings up. */
#define ARCH_MAX_CPUS 8

/* Top of guarded kernel stack number i (0 .. ARCH_MAX_KSTACKS-1). */
#define ARCH_MAX_KSTACKS 128
uint64_t arch_kstack_top(unsigned i);

/* Kernel stack used on the next entry from user mode. */
void arch_set_kernel_stack(uint64_t top);
/* The thread this CPU runs (per-CPU, where the syscall entry finds it). */
struct thread;
struct thread *arch_current(void);
void arch_set_current(struct thread *t);
/* A kernel context for arch_switch that leaves for user mode through the
 * trap frame below kstack_top (for a thread that has no other: it blocked
 * in the IPC fast path). */
uint64_t arch_resume_sp(uint64_t kstack_top);
/* The syscalls that have a fast path (a bit per number). */
#define ARCH_FASTPATH_SYSCALLS                                                           \
    ((1ull << SYS_CALL) | (1ull << SYS_REPLY_RECV) | (1ull << SYS_YIELD) |               \
     (1ull << SYS_NOTIFY_SIGNAL) | (1ull << SYS_NOTIFY_WAIT))
/* Whether the syscall entry tries the IPC fast path (on at boot). */
void arch_fastpath_set(int on);

size_t arch_trap_frame_size(void);
void arch_thread_set_arg2(struct trap_frame *f, uint64_t v);  /* rsi at entry */
uint64_t arch_syscall_arg(const struct trap_frame *f, int i); /* 0..5, 6 = r12 */
uint64_t arch_syscall_number(const struct trap_frame *f);
void arch_syscall_set_status(struct trap_frame *f, int64_t status);
/* A second result, for the calls that return two (rdi on x86_64). */
void arch_syscall_set_second(struct trap_frame *f, uint64_t value);
int64_t arch_syscall_status(const struct trap_frame *f);
void arch_msg_from_frame(const struct trap_frame *f, struct mica_msg *m);
void arch_msg_to_frame(struct trap_frame *f, uint64_t badge, const struct mica_msg *m);

/* Copies between kernel and user memory; fail (return -1) instead of
 * faulting on an unmapped, kernel-half or non-canonical user address. */
int arch_copy_from_user(void *dst, uint64_t user_src, size_t n);
int arch_copy_to_user(uint64_t user_dst, const void *src, size_t n);
/* Whether [addr, addr + n) lies in the user half, without wrapping. */
bool arch_user_range(uint64_t addr, uint64_t n);

/* ---- Device interrupts and I/O ports for user-space drivers. */
#define ARCH_IRQ_LINES 16 /* device interrupt lines 0 .. ARCH_IRQ_LINES-1 */
void arch_irq_unmask(unsigned irq);
void arch_irq_mask(unsigned irq);

/* I/O permission maps: ARCH_IO_BITMAPS of them, held by the arch (the
 * size of one is the arch's business). A map allows no port until told. */
#define ARCH_IO_BITMAPS 4
struct arch_io_bitmap;
struct arch_io_bitmap *arch_io_bitmap(unsigned i); /* i < ARCH_IO_BITMAPS */
void arch_io_clear(struct arch_io_bitmap *map);
/* Allows ports [base, base+n) in map. */
void arch_io_allow(struct arch_io_bitmap *map, unsigned base, unsigned n);
/* The map of the task about to run in user mode; NULL: no ports. */
void arch_io_load(const struct arch_io_bitmap *map);

/* The devices of the machine that init holds as boot capabilities
 * (abi.h, MICA_BOOT_CAP_*): port ranges and interrupt lines. */
enum arch_device_kind { ARCH_DEVICE_PORTS, ARCH_DEVICE_IRQ };
struct arch_boot_device {
    unsigned slot; /* MICA_BOOT_CAP_* */
    enum arch_device_kind kind;
    unsigned base, count; /* ports [base, base+count), or IRQ line `base` */
};
const struct arch_boot_device *arch_boot_devices(size_t *count);

#endif
