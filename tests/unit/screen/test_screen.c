/*
 * Host unit test for the screen text renderer (libc-mini/src/screen.c) and
 * its font (font8x16.c). Renders into malloc'd framebuffers surrounded by
 * guard zones and checks cell contents, pixel values for every supported
 * bpp with non-standard channel positions, cursor control characters,
 * wrapping, scrolling, rejection of bad geometry, and that no byte outside
 * the framebuffer (or in a row's padding) is ever written.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mica/font.h"
#include "mica/screen.h"

static int failures;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);     \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

#define CHECK_EQ(a, b)                                                                   \
    do {                                                                                 \
        unsigned long long a_ = (unsigned long long)(a);                                 \
        unsigned long long b_ = (unsigned long long)(b);                                 \
        if (a_ != b_) {                                                                  \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (0x%llx != 0x%llx)\n",     \
                    __FILE__, __LINE__, #a, #b, a_, b_);                                 \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

/* ---- guarded framebuffers ------------------------------------------- */

#define GUARD  256
#define POISON 0xA5
#define MARKER 0x5A

struct fb {
    uint8_t *mem;  /* GUARD + size + GUARD bytes */
    uint8_t *base; /* mem + GUARD */
    size_t size;   /* pitch * lines */
    uint32_t pitch;
    uint32_t used; /* bytes of each line the renderer may write */
    uint32_t lines;
};

static void fb_alloc(struct fb *f, uint32_t pitch, uint32_t used, uint32_t lines)
{
    f->size = (size_t)pitch * lines;
    f->mem = malloc(f->size + 2 * GUARD);
    if (f->mem == NULL) {
        perror("malloc");
        exit(2);
    }
    memset(f->mem, POISON, f->size + 2 * GUARD);
    f->base = f->mem + GUARD;
    f->pitch = pitch;
    f->used = used;
    f->lines = lines;
}

static void fb_free(struct fb *f)
{
    free(f->mem);
}

/* Guard zones and the padding at the end of every line must be untouched. */
static int fb_intact(const struct fb *f)
{
    for (size_t i = 0; i < GUARD; i++) {
        if (f->mem[i] != POISON || f->base[f->size + i] != POISON)
            return 0;
    }
    for (uint32_t l = 0; l < f->lines; l++) {
        for (uint32_t b = f->used; b < f->pitch; b++) {
            if (f->base[(size_t)l * f->pitch + b] != POISON)
                return 0;
        }
    }
    return 1;
}

/* ---- text mode ------------------------------------------------------- */

static uint8_t cell_char(const struct fb *f, uint32_t col, uint32_t row)
{
    return f->base[(size_t)row * f->pitch + col * 2];
}

static uint8_t cell_attr(const struct fb *f, uint32_t col, uint32_t row)
{
    return f->base[(size_t)row * f->pitch + col * 2 + 1];
}

/* Row `row` reads `text` followed by blanks, all with attribute attr. */
static int text_row_is(const struct fb *f, uint32_t cols, uint32_t row, const char *text,
                       uint8_t attr)
{
    size_t n = strlen(text);
    for (uint32_t c = 0; c < cols; c++) {
        uint8_t want = c < n ? (uint8_t)text[c] : ' ';
        if (cell_char(f, c, row) != want || cell_attr(f, c, row) != attr)
            return 0;
    }
    return 1;
}

static void puts_screen(struct screen *s, const char *text)
{
    screen_write(s, text, strlen(text));
}

static void test_text_basic(void)
{
    struct fb f;
    struct screen s;
    /* 10 x 4 cells, 4 bytes of padding per row. */
    fb_alloc(&f, 24, 20, 4);
    CHECK_EQ(screen_init_text(&s, f.base, 10, 4, 24), 0);
    CHECK_EQ(s.kind, SCREEN_TEXT);
    CHECK_EQ(s.cols, 10);
    CHECK_EQ(s.rows, 4);
    for (uint32_t r = 0; r < 4; r++)
        CHECK(text_row_is(&f, 10, r, "", 0x07)); /* light grey on black */
    CHECK(fb_intact(&f));

    puts_screen(&s, "Hi");
    CHECK_EQ(cell_char(&f, 0, 0), 'H');
    CHECK_EQ(cell_char(&f, 1, 0), 'i');
    CHECK_EQ(cell_attr(&f, 0, 0), 0x07);
    CHECK_EQ(s.col, 2);
    CHECK_EQ(s.row, 0);

    screen_set_colour(&s, SCREEN_YELLOW, SCREEN_BLUE);
    puts_screen(&s, "X");
    CHECK_EQ(cell_char(&f, 2, 0), 'X');
    CHECK_EQ(cell_attr(&f, 2, 0), 0x1E); /* VGA: bg 1 in bits 4-7, fg 14 in 0-3 */
    CHECK_EQ(cell_attr(&f, 1, 0), 0x07); /* earlier cells keep their colour */

    /* Placeholder for bytes without a glyph: '?' in inverted colours. */
    screen_set_colour(&s, SCREEN_LIGHT_GREY, SCREEN_BLACK);
    puts_screen(&s, "\x01\x7f\xff");
    for (uint32_t c = 3; c < 6; c++) {
        CHECK_EQ(cell_char(&f, c, 0), '?');
        CHECK_EQ(cell_attr(&f, c, 0), 0x70);
    }
    /* Colours are taken modulo 16. */
    screen_set_colour(&s, (enum screen_colour)0x1F, (enum screen_colour)0x24);
    CHECK_EQ(s.fg, SCREEN_WHITE);
    CHECK_EQ(s.bg, SCREEN_RED);
    CHECK_EQ(s.attr, 0x4F);
    puts_screen(&s, "\x02");
    CHECK_EQ(cell_attr(&f, 6, 0), 0x74); /* fg bright bit dropped: no blink */

    /* screen_clear uses the current background and homes the cursor. */
    screen_clear(&s);
    CHECK_EQ(s.col, 0);
    CHECK_EQ(s.row, 0);
    for (uint32_t r = 0; r < 4; r++)
        CHECK(text_row_is(&f, 10, r, "", 0x4F));
    CHECK(fb_intact(&f));
    fb_free(&f);
}

static void test_text_controls(void)
{
    struct fb f;
    struct screen s;
    fb_alloc(&f, 20, 20, 4);
    CHECK_EQ(screen_init_text(&s, f.base, 10, 4, 20), 0);

    /* \b moves back and erases; \r returns to column 0; \n to the next line. */
    puts_screen(&s, "abc\b");
    CHECK_EQ(s.col, 2);
    CHECK_EQ(cell_char(&f, 2, 0), ' ');
    puts_screen(&s, "d");
    CHECK(text_row_is(&f, 10, 0, "abd", 0x07));
    puts_screen(&s, "\rZ");
    CHECK(text_row_is(&f, 10, 0, "Zbd", 0x07));
    puts_screen(&s, "\nq");
    CHECK_EQ(s.row, 1);
    CHECK_EQ(s.col, 1);
    CHECK_EQ(cell_char(&f, 0, 1), 'q');
    /* \b at the start of a line stays there. */
    puts_screen(&s, "\r\b\b");
    CHECK_EQ(s.row, 1);
    CHECK_EQ(s.col, 0);
    CHECK_EQ(cell_char(&f, 0, 1), 'q'); /* only a real step back erases */

    /* \t goes to the next multiple of 8 without drawing. */
    screen_clear(&s);
    puts_screen(&s, "a\tb");
    CHECK(text_row_is(&f, 10, 0, "a       b", 0x07));
    CHECK_EQ(s.col, 9);
    puts_screen(&s, "\r\t");
    CHECK_EQ(s.col, 8);
    /* A tab stop past the edge: the next character wraps. */
    puts_screen(&s, "\t");
    CHECK_EQ(s.row, 0);
    puts_screen(&s, "T");
    CHECK_EQ(s.row, 1);
    CHECK_EQ(s.col, 1);
    CHECK_EQ(cell_char(&f, 0, 1), 'T');

    /* Wrapping at the right edge. */
    screen_clear(&s);
    puts_screen(&s, "0123456789K");
    CHECK(text_row_is(&f, 10, 0, "0123456789", 0x07));
    CHECK(text_row_is(&f, 10, 1, "K", 0x07));
    CHECK_EQ(s.row, 1);
    CHECK_EQ(s.col, 1);
    /* A full line followed by \n does not leave an empty line. */
    screen_clear(&s);
    puts_screen(&s, "0123456789\nK");
    CHECK(text_row_is(&f, 10, 0, "0123456789", 0x07));
    CHECK(text_row_is(&f, 10, 1, "K", 0x07));
    /* \b right after filling a line erases its last cell. */
    screen_clear(&s);
    puts_screen(&s, "0123456789\b");
    CHECK(text_row_is(&f, 10, 0, "012345678", 0x07));
    CHECK_EQ(s.row, 0);
    CHECK_EQ(s.col, 9);
    CHECK(fb_intact(&f));
    fb_free(&f);
}

static void test_text_scroll(void)
{
    struct fb f;
    struct screen s;
    for (int padded = 0; padded < 2; padded++) {
        uint32_t pitch = padded ? 26 : 20;
        fb_alloc(&f, pitch, 20, 4);
        CHECK_EQ(screen_init_text(&s, f.base, 10, 4, pitch), 0);
        puts_screen(&s, "r0\nr1\nr2\nr3");
        CHECK(text_row_is(&f, 10, 0, "r0", 0x07));
        CHECK(text_row_is(&f, 10, 3, "r3", 0x07));
        screen_set_colour(&s, SCREEN_GREEN, SCREEN_BLUE);
        puts_screen(&s, "\n");
        /* Top line gone, the rest moved up, last line blank (new colour). */
        CHECK(text_row_is(&f, 10, 0, "r1", 0x07));
        CHECK(text_row_is(&f, 10, 1, "r2", 0x07));
        CHECK(text_row_is(&f, 10, 2, "r3", 0x07));
        CHECK(text_row_is(&f, 10, 3, "", 0x12));
        CHECK_EQ(s.row, 3);
        CHECK_EQ(s.col, 0);
        /* Scrolling by wrapping off the bottom-right corner. */
        puts_screen(&s, "abcdefghijXY");
        CHECK(text_row_is(&f, 10, 1, "r3", 0x07));
        CHECK(text_row_is(&f, 10, 2, "abcdefghij", 0x12));
        CHECK(text_row_is(&f, 10, 3, "XY", 0x12));
        CHECK(fb_intact(&f));
        fb_free(&f);
    }

    /* A single-row screen scrolls by blanking its only row. */
    fb_alloc(&f, 6, 6, 1);
    CHECK_EQ(screen_init_text(&s, f.base, 3, 1, 6), 0);
    puts_screen(&s, "abcd");
    CHECK(text_row_is(&f, 3, 0, "d", 0x07));
    CHECK(fb_intact(&f));
    fb_free(&f);
}

/* ---- RGB ------------------------------------------------------------- */

struct format {
    uint8_t bpp, rpos, rsize, gpos, gsize, bpos, bsize;
};

static const uint8_t palette[16][3] = {
    {0x00, 0x00, 0x00}, {0x00, 0x00, 0xAA}, {0x00, 0xAA, 0x00}, {0x00, 0xAA, 0xAA},
    {0xAA, 0x00, 0x00}, {0xAA, 0x00, 0xAA}, {0xAA, 0x55, 0x00}, {0xAA, 0xAA, 0xAA},
    {0x55, 0x55, 0x55}, {0x55, 0x55, 0xFF}, {0x55, 0xFF, 0x55}, {0x55, 0xFF, 0xFF},
    {0xFF, 0x55, 0x55}, {0xFF, 0x55, 0xFF}, {0xFF, 0xFF, 0x55}, {0xFF, 0xFF, 0xFF},
};

static uint32_t scale(uint8_t c, uint8_t size)
{
    uint64_t max = (1ULL << size) - 1;
    return (uint32_t)((c * max + 127) / 255);
}

static uint32_t expect_pixel(const struct format *fmt, enum screen_colour c)
{
    return scale(palette[c][0], fmt->rsize) << fmt->rpos |
           scale(palette[c][1], fmt->gsize) << fmt->gpos |
           scale(palette[c][2], fmt->bsize) << fmt->bpos;
}

static unsigned bytes_pp(const struct format *fmt)
{
    return (fmt->bpp + 7u) / 8u;
}

static uint32_t read_pixel(const struct fb *f, const struct format *fmt, uint32_t x,
                           uint32_t y)
{
    const uint8_t *p = f->base + (size_t)y * f->pitch + (size_t)x * bytes_pp(fmt);
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes_pp(fmt); i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* The cell at (col, row) shows glyph g in colours fg on bg. */
static int cell_shows(const struct fb *f, const struct format *fmt, uint32_t col,
                      uint32_t row, const uint8_t *g, uint32_t fg, uint32_t bg)
{
    for (uint32_t y = 0; y < 16; y++) {
        for (uint32_t x = 0; x < 8; x++) {
            uint32_t want = (g[y] & (0x80 >> x)) ? fg : bg;
            if (read_pixel(f, fmt, col * 8 + x, row * 16 + y) != want)
                return 0;
        }
    }
    return 1;
}

static int init_fmt(struct screen *s, struct fb *f, const struct format *fmt,
                    uint32_t width, uint32_t height)
{
    return screen_init_rgb(s, f->base, width, height, f->pitch, fmt->bpp, fmt->rpos,
                           fmt->rsize, fmt->gpos, fmt->gsize, fmt->bpos, fmt->bsize);
}

static const struct format formats[] = {
    {32, 0, 8, 8, 8, 16, 8},     /* BGRX-swapped: red in the low byte */
    {32, 20, 10, 10, 10, 0, 10}, /* 10-bit channels */
    {24, 0, 8, 8, 8, 16, 8},     /* red first in memory */
    {24, 16, 8, 8, 8, 0, 8},     /* the usual BGR byte order */
    {16, 0, 5, 5, 6, 11, 5},     /* 5:6:5 with blue on top */
    {16, 11, 5, 5, 6, 0, 5},     /* the usual 5:6:5 */
    {15, 0, 5, 5, 5, 10, 5},     /* 5:5:5, blue on top */
    {15, 10, 5, 5, 5, 0, 5},     /* the usual 5:5:5 */
};

static void test_rgb_values(void)
{
    /* Hand-computed pixel values, independent of the scale() above. */
    const struct format *bgrx = &formats[0], *x2r10 = &formats[1], *b565 = &formats[4];
    const struct format *r555 = &formats[7];
    CHECK_EQ(expect_pixel(bgrx, SCREEN_BROWN), 0x0055AA);
    CHECK_EQ(expect_pixel(x2r10, SCREEN_WHITE), 0x3FFFFFFF);
    CHECK_EQ(expect_pixel(b565, SCREEN_LIGHT_GREY), 0xAD55); /* 21<<11 | 42<<5 | 21 */
    CHECK_EQ(expect_pixel(r555, SCREEN_LIGHT_RED), 0x7D4A);  /* 31<<10 | 10<<5 | 10 */

    struct fb f;
    struct screen s;
    fb_alloc(&f, 16 * 2, 16 * 2, 16);
    CHECK_EQ(init_fmt(&s, &f, b565, 16, 16), 0);
    screen_set_colour(&s, SCREEN_LIGHT_GREY, SCREEN_BLUE);
    screen_putc(&s, '|'); /* a vertical bar: pixel (3, 8) is ink, (0, 8) is not */
    CHECK_EQ(read_pixel(&f, b565, 3, 8), 0xAD55);
    CHECK_EQ(read_pixel(&f, b565, 0, 8), 0xA800); /* blue 0xAA -> 21 at bit 11 */
    CHECK_EQ(s.fg_pixel, 0xAD55);
    CHECK(fb_intact(&f));
    fb_free(&f);
}

static void test_rgb_format(const struct format *fmt, uint32_t extra_pitch)
{
    /* 5 x 3 cells plus a 3-pixel right margin and 5-pixel bottom margin. */
    const uint32_t width = 5 * 8 + 3, height = 3 * 16 + 5;
    const uint32_t used = width * bytes_pp(fmt);
    struct fb f;
    struct screen s;
    fb_alloc(&f, used + extra_pitch, used, height);
    CHECK_EQ(init_fmt(&s, &f, fmt, width, height), 0);
    CHECK_EQ(s.cols, 5);
    CHECK_EQ(s.rows, 3);

    /* Cleared to black: every pixel, margins included. */
    int all_black = 1;
    for (uint32_t y = 0; y < height; y++)
        for (uint32_t x = 0; x < width; x++)
            all_black &= read_pixel(&f, fmt, x, y) == 0;
    CHECK(all_black);
    CHECK(fb_intact(&f));
    /* Clearing with another background fills every pixel with it. */
    uint32_t brown = expect_pixel(fmt, SCREEN_BROWN);
    screen_set_colour(&s, SCREEN_WHITE, SCREEN_BROWN);
    screen_clear(&s);
    int all_brown = 1;
    for (uint32_t y = 0; y < height; y++)
        for (uint32_t x = 0; x < width; x++)
            all_brown &= read_pixel(&f, fmt, x, y) == brown;
    CHECK(all_brown);
    screen_set_colour(&s, SCREEN_LIGHT_GREY, SCREEN_BLACK);
    screen_clear(&s);

    uint32_t white = expect_pixel(fmt, SCREEN_WHITE),
             blue = expect_pixel(fmt, SCREEN_BLUE);
    uint32_t red = expect_pixel(fmt, SCREEN_LIGHT_RED),
             grey = expect_pixel(fmt, SCREEN_DARK_GREY);
    screen_set_colour(&s, SCREEN_WHITE, SCREEN_BLUE);
    CHECK_EQ(s.fg_pixel, white);
    CHECK_EQ(s.bg_pixel, blue);
    puts_screen(&s, "A\x80");
    CHECK(cell_shows(&f, fmt, 0, 0, font8x16_glyph('A'), white, blue));
    CHECK(cell_shows(&f, fmt, 1, 0, font8x16_glyphs[FONT_PLACEHOLDER], white, blue));
    /* Untouched cell next to them is still black. */
    CHECK(cell_shows(&f, fmt, 2, 0, font8x16_glyph(' '), 0, 0));

    screen_set_colour(&s, SCREEN_LIGHT_RED, SCREEN_DARK_GREY);
    puts_screen(&s, "\ngq\tZ"); /* \t from column 2 goes to column 8 = past the edge */
    CHECK(cell_shows(&f, fmt, 0, 1, font8x16_glyph('g'), red, grey));
    CHECK(cell_shows(&f, fmt, 1, 1, font8x16_glyph('q'), red, grey));
    CHECK(cell_shows(&f, fmt, 0, 2, font8x16_glyph('Z'), red, grey));
    CHECK_EQ(s.row, 2);
    CHECK_EQ(s.col, 1);

    /* \b erases with the current background. */
    puts_screen(&s, "\b");
    CHECK(cell_shows(&f, fmt, 0, 2, font8x16_glyph(' '), red, grey));

    /* Mark a bottom-margin pixel (below the last whole cell row): scrolling
     * moves cell rows only. */
    uint8_t *margin = f.base + (size_t)(height - 1) * f.pitch;
    margin[0] = MARKER;

    /* Scroll: row 1 moves to row 0, row 2 to 1, last row blank in the
     * current background. */
    screen_set_colour(&s, SCREEN_WHITE, SCREEN_BLACK);
    puts_screen(&s, "#");
    screen_set_colour(&s, SCREEN_WHITE, SCREEN_BROWN);
    puts_screen(&s, "\n");
    screen_set_colour(&s, SCREEN_WHITE, SCREEN_BLACK);
    CHECK(cell_shows(&f, fmt, 0, 0, font8x16_glyph('g'), red, grey));
    CHECK(cell_shows(&f, fmt, 1, 0, font8x16_glyph('q'), red, grey));
    CHECK(cell_shows(&f, fmt, 0, 1, font8x16_glyph('#'), white, 0));
    int last_blank = 1;
    for (uint32_t y = 32; y < 48; y++)
        for (uint32_t x = 0; x < width; x++)
            last_blank &= read_pixel(&f, fmt, x, y) == brown;
    CHECK(last_blank);
    CHECK_EQ(margin[0], MARKER);
    CHECK_EQ(s.row, 2);
    CHECK_EQ(s.col, 0);

    /* Wrap across the whole screen a few times. */
    for (int i = 0; i < 40; i++)
        screen_putc(&s, (char)('a' + i % 26));
    /* 40 chars from (0, 2) fill 8 rows of 5, scrolling 7 times: the last row
     * holds chars 35..39, 'j'..'n', and the cursor waits to wrap. */
    CHECK(cell_shows(&f, fmt, 4, 2, font8x16_glyph('n'), white, 0));
    CHECK(cell_shows(&f, fmt, 0, 2, font8x16_glyph('j'), white, 0));
    CHECK_EQ(s.col, 5);
    CHECK_EQ(margin[0], MARKER);
    CHECK(fb_intact(&f));
    fb_free(&f);
}

static void test_rgb(void)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        /* Tight pitch, 8-byte-aligned padding and an odd pitch that leaves
         * rows (and so 16/32-bit pixels) misaligned. */
        test_rgb_format(&formats[i], 0);
        test_rgb_format(&formats[i], 8);
        test_rgb_format(&formats[i], 7);
    }
}

/* ---- rejection of nonsense ------------------------------------------ */

static void test_reject(void)
{
    struct fb f;
    struct screen s;
    fb_alloc(&f, 4096, 4096, 64);
    void *b = f.base;
    void *top = (void *)(UINTPTR_MAX - 1023); /* never written: init must fail */

    CHECK_EQ(screen_init_text(&s, NULL, 80, 25, 160), -1);
    CHECK_EQ(s.kind, SCREEN_NONE);
    CHECK_EQ(screen_init_text(&s, b, 0, 25, 160), -1);
    CHECK_EQ(screen_init_text(&s, b, 80, 0, 160), -1);
    CHECK_EQ(screen_init_text(&s, b, 80, 25, 159), -1);
    CHECK_EQ(screen_init_text(&s, b, 0x80000000u, 1, 0), -1); /* cols * 2 overflows */
    CHECK_EQ(screen_init_text(&s, top, 80, 25, 160), -1); /* wraps the address space */
    CHECK_EQ(screen_init_text(NULL, b, 80, 25, 160), -1);

    /* Valid baseline, then one thing wrong at a time. */
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 256, 32, 16, 8, 8, 8, 0, 8), 0);
    CHECK_EQ(screen_init_rgb(&s, NULL, 64, 32, 256, 32, 16, 8, 8, 8, 0, 8), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 0, 32, 256, 32, 16, 8, 8, 8, 0, 8), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 64, 0, 256, 32, 16, 8, 8, 8, 0, 8), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 7, 32, 256, 32, 16, 8, 8, 8, 0, 8),
             -1); /* < 1 cell */
    CHECK_EQ(screen_init_rgb(&s, b, 64, 15, 256, 32, 16, 8, 8, 8, 0, 8),
             -1); /* < 1 cell */
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 255, 32, 16, 8, 8, 8, 0, 8), -1); /* pitch */
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 191, 24, 16, 8, 8, 8, 0, 8), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 127, 16, 11, 5, 5, 6, 0, 5), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 0x40000000u, 32, 0, 32, 16, 8, 8, 8, 0, 8), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 0xFFFFFFFFu, 32, 0xFFFFFFFFu, 32, 16, 8, 8, 8, 0, 8),
             -1);
    CHECK_EQ(screen_init_rgb(&s, top, 64, 32, 256, 32, 16, 8, 8, 8, 0, 8), -1);
    static const uint8_t bad_bpp[] = {0, 1, 4, 8, 14, 17, 23, 25, 31, 33, 64, 255};
    for (size_t i = 0; i < sizeof bad_bpp; i++)
        CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 256, bad_bpp[i], 0, 1, 1, 1, 2, 1), -1);
    /* Channels beyond bpp, empty, or overlapping. */
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 256, 32, 25, 8, 8, 8, 0, 8), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 256, 32, 16, 8, 8, 8, 0, 0), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 256, 32, 16, 8, 12, 8, 0, 8), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 256, 32, 255, 255, 8, 8, 0, 8), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 256, 24, 24, 8, 8, 8, 0, 8), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 128, 16, 11, 5, 5, 6, 0, 6), -1);
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 128, 15, 10, 6, 5, 5, 0, 5), -1); /* bit 15 */
    CHECK_EQ(screen_init_rgb(&s, b, 64, 32, 128, 15, 10, 5, 5, 5, 0, 5), 0);
    CHECK_EQ(screen_init_rgb(NULL, b, 64, 32, 256, 32, 16, 8, 8, 8, 0, 8), -1);

    /* A screen whose init failed ignores drawing instead of crashing. */
    CHECK_EQ(screen_init_text(&s, NULL, 80, 25, 160), -1);
    puts_screen(&s, "nothing\n");
    screen_clear(&s);
    screen_set_colour(&s, SCREEN_WHITE, SCREEN_BLUE);
    puts_screen(&s, "still nothing\n");
    CHECK_EQ(s.kind, SCREEN_NONE);
    fb_free(&f);
}

/* ---- random stress: never out of bounds ----------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void test_random(void)
{
    for (int round = 0; round < 300; round++) {
        struct fb f;
        struct screen s;
        int text = rnd(3) == 0;
        const struct format *fmt = &formats[rnd(sizeof formats / sizeof formats[0])];
        uint32_t w, h, used;
        if (text) {
            w = 1 + rnd(20);
            h = 1 + rnd(6);
            used = w * 2;
        } else {
            w = 8 + rnd(60);
            h = 16 + rnd(60);
            used = w * bytes_pp(fmt);
        }
        fb_alloc(&f, used + rnd(12), used, h);
        int rc = text ? screen_init_text(&s, f.base, w, h, f.pitch)
                      : init_fmt(&s, &f, fmt, w, h);
        CHECK_EQ(rc, 0);
        for (int i = 0; i < 600; i++) {
            uint32_t r = rnd(100);
            if (r < 3)
                screen_set_colour(&s, (enum screen_colour)rnd(256),
                                  (enum screen_colour)rnd(256));
            else if (r < 4)
                screen_clear(&s);
            else if (r < 20)
                screen_putc(&s, "\n\r\b\t"[rnd(4)]);
            else
                screen_putc(&s, (char)rnd(256));
            if (s.col > s.cols || s.row >= s.rows) {
                CHECK(!"cursor out of range");
                break;
            }
        }
        CHECK(fb_intact(&f));
        fb_free(&f);
    }
}

/* ---- the font itself ----------------------------------------------- */

static void test_font(void)
{
    /* Every printable glyph but the space has ink; column 7 is empty except
     * in '_' (which joins up); all glyphs are distinct. */
    for (int c = FONT_FIRST; c <= FONT_LAST; c++) {
        const uint8_t *g = font8x16_glyph((unsigned char)c);
        CHECK(g == font8x16_glyphs[c - FONT_FIRST]);
        int ink = 0, col7 = 0;
        for (int y = 0; y < FONT_HEIGHT; y++) {
            ink |= g[y];
            col7 |= g[y] & 1;
        }
        CHECK(c == ' ' ? ink == 0 : ink != 0);
        CHECK(c == '_' || col7 == 0);
        for (int d = FONT_FIRST; d < c; d++)
            CHECK(memcmp(g, font8x16_glyph((unsigned char)d), FONT_HEIGHT) != 0);
    }
    CHECK(font8x16_glyph(0) == font8x16_glyphs[FONT_PLACEHOLDER]);
    CHECK(font8x16_glyph(0x1F) == font8x16_glyphs[FONT_PLACEHOLDER]);
    CHECK(font8x16_glyph(0x7F) == font8x16_glyphs[FONT_PLACEHOLDER]);
    CHECK(font8x16_glyph(0xFF) == font8x16_glyphs[FONT_PLACEHOLDER]);
    /* Spot checks of the bitmap layout (bit 7 = leftmost pixel). */
    CHECK_EQ(font8x16_glyph('H')[7], 0xFE); /* the bar: XXXXXXX. */
    CHECK_EQ(font8x16_glyph('H')[2], 0xC6); /* XX...XX. */
    CHECK_EQ(font8x16_glyph('_')[14], 0xFF);
    CHECK_EQ(font8x16_glyph('.')[12], 0x18);
}

int main(void)
{
    test_font();
    test_text_basic();
    test_text_controls();
    test_text_scroll();
    test_rgb_values();
    test_rgb();
    test_reject();
    test_random();
    if (failures) {
        fprintf(stderr, "test_screen: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_screen: all checks passed\n");
    return 0;
}
