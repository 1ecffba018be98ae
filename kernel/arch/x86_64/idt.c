/*
 * The IDT: 256 interrupt gates pointing at the stubs of isr.S. Interrupt
 * gates (not trap gates) so that IF is clear on entry (SDM Vol. 3A §6.12.1.3).
 * #DF, NMI, #MC and #DB switch to their own IST stacks (#DB: isr.S,
 * isr_debug).
 */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate, SDM Vol. 3A §6.14.1");

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */

extern char isr_stubs[];
static struct idt_gate idt[ISR_VECTORS];

static void set_gate(int vec, uint8_t ist)
{
    uint64_t addr = (uint64_t)isr_stubs + (uint64_t)vec * ISR_STUB_SIZE;
    idt[vec] = (struct idt_gate){
        .offset_lo = addr & 0xffff,
        .selector = SEL_KCODE,
        .ist = ist,
        .type_attr = GATE_INTERRUPT,
        .offset_mid = (addr >> 16) & 0xffff,
        .offset_hi = addr >> 32,
    };
}

void idt_init(void)
{
    for (int v = 0; v < ISR_VECTORS; v++)
        set_gate(v, 0);
    set_gate(VEC_NMI, IST_NMI);
    set_gate(VEC_DF, IST_DOUBLE_FAULT);
    set_gate(18, IST_MACHINE_CHECK);
    set_gate(VEC_DB, IST_DEBUG);

    idt_load();
}

void idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" : : "m"(ptr));
}
