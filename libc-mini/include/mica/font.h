/*
 * The built-in 8x16 bitmap font used by the screen text renderer
 * (mica/screen.h) on linear RGB framebuffers. It covers printable ASCII
 * 0x20..0x7E plus one placeholder glyph drawn for every other byte. Each
 * glyph is FONT_HEIGHT bytes, one per pixel row from top to bottom; bit 7
 * of a row byte is the leftmost pixel, a set bit is ink (foreground).
 */
#ifndef MICA_FONT_H
#define MICA_FONT_H

#include <stdint.h>

#define FONT_WIDTH  8
#define FONT_HEIGHT 16
#define FONT_FIRST  0x20 /* first byte with a glyph: space */
#define FONT_LAST   0x7E /* last byte with a glyph: '~' */
/* Index of the placeholder glyph in font8x16_glyphs. */
#define FONT_PLACEHOLDER (FONT_LAST - FONT_FIRST + 1)

extern const uint8_t font8x16_glyphs[FONT_PLACEHOLDER + 1][FONT_HEIGHT];

/* The glyph for byte c: its own for 0x20..0x7E, the placeholder otherwise. */
const uint8_t *font8x16_glyph(unsigned char c);

#endif
