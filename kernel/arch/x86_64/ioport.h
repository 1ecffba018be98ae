/*
 * I/O permission bitmaps (ioport.c): one bit per port, 0 = allowed, in the
 * layout the TSS holds (SDM Vol. 1 §19.5.2).
 */
#ifndef MICA_ARCH_X86_64_IOPORT_H
#define MICA_ARCH_X86_64_IOPORT_H

#include <stdint.h>

#define IO_PORTS 65536

struct arch_io_bitmap {
    uint8_t bits[IO_PORTS / 8];
};

#endif
