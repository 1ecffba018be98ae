/*
 * The screen text renderer: draws characters on the framebuffer described by
 * the Multiboot2 framebuffer tag (spec §3.6.12), either EGA text mode (type 2)
 * or a linear RGB framebuffer (type 1) using the built-in 8x16 font. It keeps
 * a cursor, wraps, scrolls and handles \n \r \b \t (see mica/screen.h).
 *
 * Safety: the init functions reject any geometry that is inconsistent, so
 * that afterwards every cell and pixel the renderer addresses lies inside
 * base .. base + pitch * height. The framebuffer is device memory, hence
 * volatile, and the copy/fill loops are written here rather than taken from
 * the C library (which must not be relied on by this file).
 */
#include "mica/screen.h"
#include "mica/font.h"

/* The standard VGA/CGA 16-colour palette as 8-bit R, G, B, indexed by
 * enum screen_colour (which follows the VGA attribute nibble order). */
static const uint8_t palette[16][3] = {
    {0x00, 0x00, 0x00}, /* black */
    {0x00, 0x00, 0xAA}, /* blue */
    {0x00, 0xAA, 0x00}, /* green */
    {0x00, 0xAA, 0xAA}, /* cyan */
    {0xAA, 0x00, 0x00}, /* red */
    {0xAA, 0x00, 0xAA}, /* magenta */
    {0xAA, 0x55, 0x00}, /* brown */
    {0xAA, 0xAA, 0xAA}, /* light grey */
    {0x55, 0x55, 0x55}, /* dark grey */
    {0x55, 0x55, 0xFF}, /* light blue */
    {0x55, 0xFF, 0x55}, /* light green */
    {0x55, 0xFF, 0xFF}, /* light cyan */
    {0xFF, 0x55, 0x55}, /* light red */
    {0xFF, 0x55, 0xFF}, /* light magenta */
    {0xFF, 0xFF, 0x55}, /* yellow */
    {0xFF, 0xFF, 0xFF}, /* white */
};

/* Checks that [base, base + size) does not wrap around the address space. */
static int span_fits(volatile void *base, uint64_t size)
{
    uintptr_t b = (uintptr_t)base;
    if (size > (uint64_t)UINTPTR_MAX)
        return 0;
    return b <= UINTPTR_MAX - (uintptr_t)size;
}

/* ---- volatile memory helpers ---------------------------------------- */

/* Forward copy of n bytes from src to dst with dst < src (scrolling moves
 * rows up, so a forward copy is correct even when the ranges overlap).
 * Uses 64-bit accesses when both pointers share the same alignment. */
static void vcopy_down(volatile uint8_t *dst, const volatile uint8_t *src, size_t n)
{
    if ((((uintptr_t)dst ^ (uintptr_t)src) & 7) == 0) {
        while (n > 0 && ((uintptr_t)dst & 7) != 0) {
            *dst++ = *src++;
            n--;
        }
        volatile uint64_t *d8 = (volatile uint64_t *)dst;
        const volatile uint64_t *s8 = (const volatile uint64_t *)src;
        while (n >= 8) {
            *d8++ = *s8++;
            n -= 8;
        }
        dst = (volatile uint8_t *)d8;
        src = (const volatile uint8_t *)s8;
    }
    while (n > 0) {
        *dst++ = *src++;
        n--;
    }
}

/* Stores one pixel value at p, little-endian (x86; §3.6.12 gives channel
 * positions as bit offsets within the pixel value). */
static void put_pixel(const struct screen *s, volatile uint8_t *p, uint32_t v)
{
    switch (s->bytes_pp) {
    case 4:
        if (((uintptr_t)p & 3) == 0) {
            *(volatile uint32_t *)p = v;
            return;
        }
        break;
    case 2:
        if (((uintptr_t)p & 1) == 0) {
            *(volatile uint16_t *)p = (uint16_t)v;
            return;
        }
        break;
    default:
        break;
    }
    for (uint8_t i = 0; i < s->bytes_pp; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Fills n pixels starting at p with v. */
/* Zeroes len bytes, with 64-bit stores where aligned. */
static void zero_bytes(volatile uint8_t *p, size_t len)
{
    for (; len > 0 && ((uintptr_t)p & 7) != 0; len--)
        *p++ = 0;
    volatile uint64_t *p8 = (volatile uint64_t *)p;
    for (; len >= 8; len -= 8)
        *p8++ = 0;
    for (p = (volatile uint8_t *)p8; len > 0; len--)
        *p++ = 0;
}

static void fill_pixels(const struct screen *s, volatile uint8_t *p, uint32_t n,
                        uint32_t v)
{
    if (v == 0) {
        /* Black is all-zero bytes at every depth (the common clear). */
        zero_bytes(p, (size_t)n * s->bytes_pp);
        return;
    }
    if (s->bytes_pp == 4 && ((uintptr_t)p & 3) == 0) {
        volatile uint32_t *p4 = (volatile uint32_t *)p;
        while (n > 0 && ((uintptr_t)p4 & 7) != 0) {
            *p4++ = v;
            n--;
        }
        volatile uint64_t *p8 = (volatile uint64_t *)p4;
        uint64_t v2 = ((uint64_t)v << 32) | v;
        for (; n >= 2; n -= 2)
            *p8++ = v2;
        p4 = (volatile uint32_t *)p8;
        if (n > 0)
            *p4 = v;
        return;
    }
    for (; n > 0; n--, p += s->bytes_pp)
        put_pixel(s, p, v);
}

/* ---- colours --------------------------------------------------------- */

/* Scales an 8-bit intensity to a channel of `size` bits (1..32), rounded. */
static uint32_t scale_channel(uint8_t c, uint8_t size)
{
    uint64_t max = (1ULL << size) - 1;
    return (uint32_t)((c * max + 127) / 255);
}

static uint32_t colour_pixel(const struct screen *s, enum screen_colour c)
{
    const uint8_t *rgb = palette[c & 15];
    return (scale_channel(rgb[0], s->red_size) << s->red_pos) |
           (scale_channel(rgb[1], s->green_size) << s->green_pos) |
           (scale_channel(rgb[2], s->blue_size) << s->blue_pos);
}

void screen_set_colour(struct screen *s, enum screen_colour fg, enum screen_colour bg)
{
    if (s == NULL)
        return;
    s->fg = (enum screen_colour)(fg & 15);
    s->bg = (enum screen_colour)(bg & 15);
    /* VGA attribute byte: foreground in bits 0-3, background in bits 4-7
     * (bit 7 is blink rather than bright background unless the attribute
     * controller's blink enable is cleared). */
    s->attr = (uint8_t)((s->bg << 4) | s->fg);
    if (s->kind == SCREEN_RGB) {
        s->fg_pixel = colour_pixel(s, s->fg);
        s->bg_pixel = colour_pixel(s, s->bg);
    }
}

/* ---- init ------------------------------------------------------------ */

static void reset(struct screen *s)
{
    volatile uint8_t *p = (volatile uint8_t *)s;
    for (size_t i = 0; i < sizeof *s; i++)
        p[i] = 0;
    s->kind = SCREEN_NONE;
}

int screen_init_text(struct screen *s, volatile void *base, uint32_t cols, uint32_t rows,
                     uint32_t pitch)
{
    if (s == NULL)
        return -1;
    reset(s);
    /* §3.6.12: for EGA text, width and height are in characters and each
     * character is 2 bytes (code point, then attribute). */
    if (base == NULL || cols == 0 || rows == 0)
        return -1;
    if ((uint64_t)pitch < (uint64_t)cols * 2)
        return -1;
    if (!span_fits(base, (uint64_t)pitch * rows))
        return -1;
    s->kind = SCREEN_TEXT;
    s->base = (volatile uint8_t *)base;
    s->pitch = pitch;
    s->width = cols;
    s->height = rows;
    s->bpp = 16;
    s->bytes_pp = 2;
    s->cols = cols;
    s->rows = rows;
    screen_set_colour(s, SCREEN_LIGHT_GREY, SCREEN_BLACK);
    screen_clear(s);
    return 0;
}

/* A channel must be 1..32 bits wide and lie within the pixel. */
static int channel_ok(uint8_t pos, uint8_t size, uint8_t bpp, uint64_t *used)
{
    if (size == 0 || (uint32_t)pos + size > bpp)
        return 0;
    uint64_t mask = ((1ULL << size) - 1) << pos;
    if (*used & mask)
        return 0; /* overlaps another channel */
    *used |= mask;
    return 1;
}

int screen_init_rgb(struct screen *s, volatile void *base, uint32_t width,
                    uint32_t height, uint32_t pitch, uint8_t bpp, uint8_t rpos,
                    uint8_t rsize, uint8_t gpos, uint8_t gsize, uint8_t bpos,
                    uint8_t bsize)
{
    if (s == NULL)
        return -1;
    reset(s);
    if (base == NULL)
        return -1;
    /* 15 bpp pixels occupy 2 bytes, like 16 bpp. */
    if (bpp != 15 && bpp != 16 && bpp != 24 && bpp != 32)
        return -1;
    uint8_t bytes_pp = (uint8_t)((bpp + 7) / 8);
    /* At least one whole character cell. */
    if (width < FONT_WIDTH || height < FONT_HEIGHT)
        return -1;
    if ((uint64_t)pitch < (uint64_t)width * bytes_pp)
        return -1;
    if (!span_fits(base, (uint64_t)pitch * height))
        return -1;
    uint64_t used = 0;
    if (!channel_ok(rpos, rsize, bpp, &used) || !channel_ok(gpos, gsize, bpp, &used) ||
        !channel_ok(bpos, bsize, bpp, &used))
        return -1;
    s->kind = SCREEN_RGB;
    s->base = (volatile uint8_t *)base;
    s->pitch = pitch;
    s->width = width;
    s->height = height;
    s->bpp = bpp;
    s->bytes_pp = bytes_pp;
    s->red_pos = rpos;
    s->red_size = rsize;
    s->green_pos = gpos;
    s->green_size = gsize;
    s->blue_pos = bpos;
    s->blue_size = bsize;
    s->cols = width / FONT_WIDTH;
    s->rows = height / FONT_HEIGHT;
    screen_set_colour(s, SCREEN_LIGHT_GREY, SCREEN_BLACK);
    screen_clear(s);
    return 0;
}

/* ---- drawing --------------------------------------------------------- */

static int printable(unsigned char c)
{
    return c >= FONT_FIRST && c <= FONT_LAST;
}

/* Draws byte c in the cell at (col, row) with the current colours. */
static void draw_cell(struct screen *s, uint32_t col, uint32_t row, unsigned char c)
{
    if (col >= s->cols || row >= s->rows)
        return;
    if (s->kind == SCREEN_TEXT) {
        volatile uint8_t *p = s->base + (size_t)row * s->pitch + (size_t)col * 2;
        if (printable(c)) {
            p[0] = c;
            p[1] = s->attr;
        } else {
            /* The hardware font is whatever the card has loaded (code page
             * 437 by default), so the placeholder is a '?' in inverted
             * colours; the foreground's bright bit is dropped so that it
             * cannot turn into the blink bit. */
            p[0] = '?';
            p[1] = (uint8_t)(((s->attr & 0x07) << 4) | (s->attr >> 4));
        }
        return;
    }
    const uint8_t *glyph = font8x16_glyph(c);
    volatile uint8_t *line = s->base + (size_t)row * FONT_HEIGHT * s->pitch +
                             (size_t)col * FONT_WIDTH * s->bytes_pp;
    for (uint32_t y = 0; y < FONT_HEIGHT; y++, line += s->pitch) {
        uint8_t bits = glyph[y];
        volatile uint8_t *p = line;
        for (uint32_t x = 0; x < FONT_WIDTH; x++, p += s->bytes_pp)
            put_pixel(s, p, (bits & (0x80u >> x)) ? s->fg_pixel : s->bg_pixel);
    }
}

/* Fills cell rows [first, first + n) with blanks in the background colour;
 * in RGB mode all pixel rows of those cells, across the full width. */
static void blank_rows(struct screen *s, uint32_t first, uint32_t n)
{
    if (s->kind == SCREEN_TEXT) {
        for (uint32_t r = first; r < first + n; r++) {
            volatile uint8_t *p = s->base + (size_t)r * s->pitch;
            for (uint32_t c = 0; c < s->cols; c++, p += 2) {
                p[0] = ' ';
                p[1] = s->attr;
            }
        }
        return;
    }
    for (uint32_t y = first * FONT_HEIGHT; y < (first + n) * FONT_HEIGHT; y++)
        fill_pixels(s, s->base + (size_t)y * s->pitch, s->width, s->bg_pixel);
}

void screen_clear(struct screen *s)
{
    if (s == NULL || s->kind == SCREEN_NONE)
        return;
    if (s->kind == SCREEN_TEXT) {
        blank_rows(s, 0, s->rows);
    } else {
        /* Every pixel row, including those below the last whole cell row. */
        for (uint32_t y = 0; y < s->height; y++)
            fill_pixels(s, s->base + (size_t)y * s->pitch, s->width, s->bg_pixel);
    }
    s->col = 0;
    s->row = 0;
}

/* Moves everything up one cell row and blanks the bottom one. */
static void scroll(struct screen *s)
{
    /* Lines to move: cell rows (text) or pixel rows (RGB), each `len` bytes. */
    uint32_t step = s->kind == SCREEN_TEXT ? 1 : FONT_HEIGHT;
    size_t lines = (size_t)(s->rows - 1) * step;
    size_t len =
        s->kind == SCREEN_TEXT ? (size_t)s->cols * 2 : (size_t)s->width * s->bytes_pp;
    size_t shift = (size_t)step * s->pitch;
    if (lines > 0) {
        if (len == s->pitch) {
            /* No padding between lines: one contiguous move. */
            vcopy_down(s->base, s->base + shift, lines * len);
        } else {
            for (size_t i = 0; i < lines; i++) {
                volatile uint8_t *dst = s->base + i * s->pitch;
                vcopy_down(dst, dst + shift, len);
            }
        }
    }
    blank_rows(s, s->rows - 1, 1);
}

static void newline(struct screen *s)
{
    s->col = 0;
    if (s->row + 1 < s->rows)
        s->row++;
    else
        scroll(s);
}

void screen_putc(struct screen *s, char ch)
{
    if (s == NULL || s->kind == SCREEN_NONE)
        return;
    unsigned char c = (unsigned char)ch;
    switch (c) {
    case '\n':
        newline(s);
        return;
    case '\r':
        s->col = 0;
        return;
    case '\b':
        if (s->col > 0) {
            s->col--; /* from the pending-wrap position this is the last cell */
            draw_cell(s, s->col, s->row, ' ');
        }
        return;
    case '\t': {
        if (s->col >= s->cols)
            newline(s);
        uint32_t next = (s->col + 8) & ~7u;
        /* A stop past the edge leaves the cursor in the pending-wrap state. */
        s->col = next < s->cols ? next : s->cols;
        return;
    }
    default:
        break;
    }
    /* Wrapping is deferred until a character actually needs the next line,
     * so a line of exactly `cols` characters followed by '\n' does not
     * leave an empty line behind. */
    if (s->col >= s->cols)
        newline(s);
    draw_cell(s, s->col, s->row, c);
    s->col++;
}

void screen_write(struct screen *s, const char *text, size_t len)
{
    if (text == NULL)
        return;
    for (size_t i = 0; i < len; i++)
        screen_putc(s, text[i]);
}
