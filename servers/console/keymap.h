/*
 * The US keyboard layout as a table from scan code set 1 make codes to
 * characters, for the PS/2 driver (ps2.c). Set 1 is what the i8042 hands
 * over with translation on, its default since the PC/AT, whatever set the
 * keyboard itself speaks.
 */
#ifndef MICA_CONSOLE_KEYMAP_H
#define MICA_CONSOLE_KEYMAP_H

/* Make codes 0x00..0x39: the main block of the keyboard, Esc to the space
 * bar. Keys past it (F keys, keypad, locks) type nothing here. */
#define KEYMAP_CODES 0x3a

/* The character each key types without and with shift, 0 for none (the
 * modifier keys themselves, Esc, Ctrl, Alt). Caps lock is applied by the
 * driver, to letters only. */
extern const char keymap_plain[KEYMAP_CODES];
extern const char keymap_shift[KEYMAP_CODES];

#endif
