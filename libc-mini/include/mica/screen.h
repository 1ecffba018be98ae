/*
 * A text renderer for the screen GRUB describes in its Multiboot2 framebuffer
 * tag (Multiboot2 spec §3.6.12): either EGA text mode (type 2, cells of a
 * character byte and an attribute byte) or a linear RGB framebuffer (type 1,
 * 15/16, 24 or 32 bits per pixel, drawn with the built-in 8x16 font from
 * mica/font.h). Used by the kernel's early console and the console server.
 *
 * The init functions validate the geometry, so a garbled or hostile tag
 * yields -1 instead of a renderer that writes out of bounds: every write
 * stays within base .. base + pitch * height (text: pitch * rows).
 * Nothing here calls the C library; it builds freestanding and on the host.
 */
#ifndef MICA_SCREEN_H
#define MICA_SCREEN_H

#include <stddef.h>
#include <stdint.h>

enum screen_kind { SCREEN_NONE, SCREEN_TEXT, SCREEN_RGB };

/* The 16 colours of the VGA text-mode attribute nibble, in its order, so
 * that a colour's value is its VGA attribute value. */
enum screen_colour {
    SCREEN_BLACK,
    SCREEN_BLUE,
    SCREEN_GREEN,
    SCREEN_CYAN,
    SCREEN_RED,
    SCREEN_MAGENTA,
    SCREEN_BROWN,
    SCREEN_LIGHT_GREY,
    SCREEN_DARK_GREY,
    SCREEN_LIGHT_BLUE,
    SCREEN_LIGHT_GREEN,
    SCREEN_LIGHT_CYAN,
    SCREEN_LIGHT_RED,
    SCREEN_LIGHT_MAGENTA,
    SCREEN_YELLOW,
    SCREEN_WHITE,
};

struct screen {
    enum screen_kind kind;
    volatile uint8_t *base;
    uint32_t pitch;  /* bytes from one row (text: cell row) to the next */
    uint32_t width;  /* RGB: pixels; text: cells */
    uint32_t height; /* RGB: pixels; text: cells */
    uint8_t bpp;     /* RGB: 15, 16, 24 or 32; text: 16 */
    uint8_t bytes_pp;
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
    uint32_t cols, rows; /* character cells */
    uint32_t col, row;   /* cursor; col == cols means "wrap before the next char" */
    enum screen_colour fg, bg;
    uint8_t attr;                /* text: VGA attribute for fg/bg */
    uint32_t fg_pixel, bg_pixel; /* RGB: fg/bg as pixel values */
};

/* EGA text mode (Multiboot2 framebuffer type 2): cols x rows cells of two
 * bytes, pitch bytes per row. Clears the screen. 0 on success, -1 if the
 * geometry is nonsense (then s->kind is SCREEN_NONE and drawing does nothing). */
int screen_init_text(struct screen *s, volatile void *base, uint32_t cols, uint32_t rows,
                     uint32_t pitch);

/* Linear RGB framebuffer (Multiboot2 framebuffer type 1): width x height
 * pixels, pitch bytes per row, bpp 15, 16, 24 or 32; each channel is
 * `size` bits at bit `pos` of the little-endian pixel value. Clears the
 * screen. 0 on success, -1 if the geometry is nonsense. */
int screen_init_rgb(struct screen *s, volatile void *base, uint32_t width,
                    uint32_t height, uint32_t pitch, uint8_t bpp, uint8_t rpos,
                    uint8_t rsize, uint8_t gpos, uint8_t gsize, uint8_t bpos,
                    uint8_t bsize);

/* Fills the whole screen with the background colour; cursor to the top left. */
void screen_clear(struct screen *s);

/* Draws c at the cursor and advances it, wrapping at the right edge and
 * scrolling at the bottom. '\n' goes to the start of the next line, '\r' to
 * the start of this one, '\b' moves back one cell (not past the start of
 * the line) and erases it, '\t' moves to the next multiple of 8. Other
 * bytes outside 0x20..0x7E draw a placeholder. */
void screen_putc(struct screen *s, char c);
void screen_write(struct screen *s, const char *text, size_t len);

/* Colours for text drawn from now on (and for cleared/scrolled-in areas). */
void screen_set_colour(struct screen *s, enum screen_colour fg, enum screen_colour bg);

#endif
