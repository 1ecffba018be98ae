/*
 * Port I/O for the console's drivers (COM1 and the i8042). The kernel lets
 * these instructions through only for the ranges a handle has enabled with
 * SYS_IOPORT_ENABLE; any other port faults and ends the task.
 */
#ifndef MICA_CONSOLE_IO_H
#define MICA_CONSOLE_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

#endif
