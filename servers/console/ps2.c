/*
 * PS/2 keyboard driver: the i8042 controller at ports 0x60 (data) and 0x64
 * (status on read, command on write), its keyboard on IRQ 1. At start the
 * keyboard port is enabled with its interrupt and scan code translation,
 * so that whatever set the keyboard speaks, bytes arrive in set 1. Bytes
 * are read while status bit 0 says the output buffer is full and turned
 * into characters with the US table of keymap.c, tracking shift and caps
 * lock. Keys behind an 0xE0 or 0xE1 prefix (arrows, keypad Enter, right
 * Ctrl and Alt, Pause) and all key releases but shift's are dropped.
 */
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>

#include "io.h"
#include "keymap.h"
#include "ps2.h"

#define PS2_DATA    0x60
#define PS2_STATUS  0x64 /* read */
#define PS2_COMMAND 0x64 /* write */

/* Status register bits. */
#define ST_OUT_FULL 0x01 /* a byte waits at 0x60 for us */
#define ST_IN_FULL  0x02 /* the controller has not taken our last byte yet */
#define ST_AUX      0x20 /* the waiting byte is from the mouse port */

/* Controller commands and configuration byte bits. */
#define CMD_READ_CONFIG   0x20
#define CMD_WRITE_CONFIG  0x60
#define CMD_DISABLE_PORT1 0xad
#define CMD_ENABLE_PORT1  0xae
#define CFG_PORT1_IRQ     0x01 /* raise IRQ 1 when a keyboard byte arrives */
#define CFG_PORT1_OFF     0x10 /* keyboard clock disabled */
#define CFG_TRANSLATE     0x40 /* translate to scan code set 1 */

/* Set 1 codes: bit 7 set marks a release ("break") of the key in bits
 * 0..6; 0xE0 prefixes one code of the keys the AT keyboard added, 0xE1
 * prefixes two (only Pause sends it, twice). */
#define SC_BREAK    0x80
#define SC_EXT      0xe0
#define SC_EXT2     0xe1
#define SC_LSHIFT   0x2a
#define SC_RSHIFT   0x36
#define SC_CAPSLOCK 0x3a

/* Polls of the status register before a command step gives up: a missing
 * or wedged controller must not hang the console. */
#define WAIT_SPINS 100000
/* Bytes taken per ps2_getc at most: on a machine without an i8042 the
 * status port floats at 0xff and claims a byte forever. */
#define DRAIN_MAX 64
/* Stale bytes dropped before the controller is configured; its buffer
 * is one byte, plus what the keyboard queued behind it. */
#define FLUSH_MAX 32

static uint64_t irq_handle;
static bool ready;
static bool lshift, rshift, caps, caps_held;
static unsigned skip; /* bytes of a prefixed sequence still to drop */

static bool wait_status(uint8_t mask, bool set)
{
    for (int i = 0; i < WAIT_SPINS; i++)
        if (!!(inb(PS2_STATUS) & mask) == set)
            return true;
    return false;
}

static long command(uint8_t cmd)
{
    if (!wait_status(ST_IN_FULL, false))
        return MICA_ETIMEOUT;
    outb(PS2_COMMAND, cmd);
    return MICA_OK;
}

static void flush(void)
{
    for (int i = 0; i < FLUSH_MAX && (inb(PS2_STATUS) & ST_OUT_FULL); i++)
        inb(PS2_DATA);
}

/* Enables the keyboard port with its interrupt and translation. The port
 * is off while the configuration byte is read, so that a key pressed
 * meanwhile cannot be taken for it. */
static long setup_controller(void)
{
    long st;
    /* No controller: the bus floats and every bit reads as one. */
    if (inb(PS2_STATUS) == 0xff)
        return MICA_ENOENT;
    if ((st = command(CMD_DISABLE_PORT1)) != MICA_OK)
        return st;
    flush();
    if ((st = command(CMD_READ_CONFIG)) != MICA_OK)
        return st;
    if (!wait_status(ST_OUT_FULL, true))
        return MICA_ETIMEOUT;
    uint8_t cfg = inb(PS2_DATA);
    cfg = (uint8_t)((cfg | CFG_PORT1_IRQ | CFG_TRANSLATE) & ~CFG_PORT1_OFF);
    if ((st = command(CMD_WRITE_CONFIG)) != MICA_OK)
        return st;
    if (!wait_status(ST_IN_FULL, false))
        return MICA_ETIMEOUT;
    outb(PS2_DATA, cfg);
    return command(CMD_ENABLE_PORT1);
}

long ps2_init(uint64_t ntf, uint64_t bits, const char **step)
{
    uint64_t io;
    long st;

    *step = "boot_cap_ps2";
    if ((st = ns_boot_cap(NS_CAP_PS2, &io)) != MICA_OK)
        return st;
    *step = "ioport_enable";
    if ((st = mica_ioport_enable(io)) != MICA_OK)
        return st;
    *step = "controller";
    if ((st = setup_controller()) != MICA_OK)
        return st;
    *step = "boot_cap_irq1";
    if ((st = ns_boot_cap(NS_CAP_IRQ1, &irq_handle)) != MICA_OK)
        return st;
    *step = "irq_bind";
    if ((st = mica_irq_bind(irq_handle, ntf, bits)) != MICA_OK)
        return st;
    ready = true;
    return MICA_OK;
}

/* Shift or caps lock changed: tracks it and returns true. Caps lock
 * toggles on the press only, not on its typematic repeats. */
static bool modifier(uint8_t key, bool released)
{
    switch (key) {
    case SC_LSHIFT:
        lshift = !released;
        return true;
    case SC_RSHIFT:
        rshift = !released;
        return true;
    case SC_CAPSLOCK:
        if (!released && !caps_held)
            caps = !caps;
        caps_held = !released;
        return true;
    }
    return false;
}

/* The character a set 1 byte types, or -1 if it types none. */
static int translate(uint8_t code)
{
    if (skip) {
        skip--;
        return -1;
    }
    if (code == SC_EXT || code == SC_EXT2) {
        skip = code == SC_EXT ? 1 : 2;
        return -1;
    }
    uint8_t key = code & ~SC_BREAK;
    bool released = code & SC_BREAK;
    if (modifier(key, released) || released || key >= KEYMAP_CODES)
        return -1;
    bool shift = lshift || rshift;
    char c = shift ? keymap_shift[key] : keymap_plain[key];
    /* Caps lock inverts shift for letters only, as on a PC. */
    if (caps && c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    else if (caps && c >= 'A' && c <= 'Z')
        c = (char)(c - 'A' + 'a');
    return c ? (unsigned char)c : -1;
}

int ps2_getc(void)
{
    if (!ready)
        return -1;
    for (int i = 0; i < DRAIN_MAX; i++) {
        uint8_t status = inb(PS2_STATUS);
        if (!(status & ST_OUT_FULL))
            return -1;
        uint8_t code = inb(PS2_DATA);
        /* A mouse byte is read only to free the buffer. */
        if (status & ST_AUX)
            continue;
        int c = translate(code);
        if (c >= 0)
            return c;
    }
    return -1;
}

void ps2_irq_ack(void)
{
    if (ready)
        mica_irq_ack(irq_handle);
}
