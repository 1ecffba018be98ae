/*
 * Legacy 8259A interrupt controllers for device IRQs (see pic.c).
 */
#ifndef MICA_ARCH_X86_64_PIC_H
#define MICA_ARCH_X86_64_PIC_H

void pic_irq(unsigned line);

#endif
