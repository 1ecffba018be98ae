/*
 * The console's screen: the framebuffer or EGA text memory that GRUB set
 * up (Multiboot2 spec §3.6.12), which init hands over as NS_CAP_SCREEN. It
 * is mapped whole at SCREEN_VA in our own space and drawn with libc-mini's
 * text renderer (mica/screen.h). Mapping its first page makes the kernel
 * stop drawing there; from then on the console draws everything, the
 * kernel log included (kernel_log.c).
 *
 * The geometry comes from the kernel, which copied it from the boot
 * loader: it is checked against the frames actually mapped before anything
 * is drawn, on top of the renderer's own checks.
 *
 * In EGA text mode the hardware cursor follows the text: the VGA CRTC's
 * cursor location registers (index 0x0e high byte, 0x0f low byte, in
 * cells from the top left) and its cursor start and end scan lines
 * (0x0a, 0x0b; bit 5 of 0x0a hides the cursor), reached through the
 * index port 0x3d4 and the data port 0x3d5 (IBM VGA Technical Reference,
 * "CRT Controller Registers"). Without those ports the screen still
 * works, with the cursor wherever the BIOS left it.
 */
#include <mica/ns.h>
#include <mica/screen.h>
#include <mica/syscall.h>
#include <stdbool.h>

#include "display.h"
#include "io.h"

/* A private address for the mapping, far from the image at 0x400000 and
 * from the stack and IPC buffer at the top of the user half. */
#define SCREEN_VA 0x0000000200000000ull
#define PAGE      MICA_PAGE_SIZE
/* 64 MiB: more than a 4K screen at 32 bits per pixel needs, so a larger
 * object means a garbled description rather than a real screen. */
#define SCREEN_FRAMES_MAX 16384ull

/* Multiboot2 framebuffer types, as SYS_RAM_INFO reports them. */
#define KIND_RGB      1
#define KIND_EGA_TEXT 2

#define CRTC_INDEX        0x3d4
#define CRTC_DATA         0x3d5
#define CRTC_CURSOR_START 0x0a
#define CRTC_CURSOR_END   0x0b
#define CRTC_CURSOR_HIGH  0x0e
#define CRTC_CURSOR_LOW   0x0f
#define CURSOR_HIDDEN     0x20
/* An underline in the last two scan lines of a 16-line cell. */
#define CURSOR_FIRST_LINE 14
#define CURSOR_LAST_LINE  15

static struct screen screen;
static bool ready;
static bool crtc; /* the text cursor's ports are ours */

/* MICA_OK when the described screen lies within the frames of the object,
 * so that no draw can reach past the mapping. */
static long check_geometry(const struct mica_ram_info *ri)
{
    if (ri->kind != KIND_RGB && ri->kind != KIND_EGA_TEXT)
        return MICA_EINVAL;
    if (ri->frames == 0 || ri->frames > SCREEN_FRAMES_MAX || ri->offset >= PAGE)
        return MICA_ERANGE;
    uint64_t need = (uint64_t)ri->offset + (uint64_t)ri->pitch * ri->height;
    return need <= ri->frames * PAGE ? MICA_OK : MICA_ERANGE;
}

static long map_all(uint64_t handle, uint64_t frames)
{
    for (uint64_t i = 0; i < frames; i++) {
        long st =
            mica_map(MICA_HANDLE_SELF, SCREEN_VA + i * PAGE, handle, i, MICA_MAP_WRITE);
        if (st != MICA_OK)
            return st;
    }
    return MICA_OK;
}

static int start_renderer(const struct mica_ram_info *ri)
{
    volatile uint8_t *base = (volatile uint8_t *)(uintptr_t)SCREEN_VA + ri->offset;
    if (ri->kind == KIND_EGA_TEXT)
        return screen_init_text(&screen, base, ri->width, ri->height, ri->pitch);
    return screen_init_rgb(&screen, base, ri->width, ri->height, ri->pitch, ri->bpp,
                           ri->red_pos, ri->red_size, ri->green_pos, ri->green_size,
                           ri->blue_pos, ri->blue_size);
}

static void crtc_write(uint8_t reg, uint8_t v)
{
    outb(CRTC_INDEX, reg);
    outb(CRTC_DATA, v);
}

static uint8_t crtc_read(uint8_t reg)
{
    outb(CRTC_INDEX, reg);
    return inb(CRTC_DATA);
}

/* Takes the CRTC ports and shows an underline cursor; false without them. */
static bool cursor_init(void)
{
    uint64_t io;
    if (ns_boot_cap(NS_CAP_CRTC, &io) != MICA_OK || mica_ioport_enable(io) != MICA_OK)
        return false;
    uint8_t start = crtc_read(CRTC_CURSOR_START) & 0xc0; /* CURSOR_HIDDEN off */
    crtc_write(CRTC_CURSOR_START, start | CURSOR_FIRST_LINE);
    uint8_t end = crtc_read(CRTC_CURSOR_END) & 0xe0;
    crtc_write(CRTC_CURSOR_END, end | CURSOR_LAST_LINE);
    return true;
}

static void cursor_follow(void)
{
    uint32_t col = screen.col < screen.cols ? screen.col : screen.cols - 1;
    uint32_t at = screen.row * screen.cols + col;
    crtc_write(CRTC_CURSOR_HIGH, (uint8_t)(at >> 8));
    crtc_write(CRTC_CURSOR_LOW, (uint8_t)at);
}

long display_init(const char **step)
{
    uint64_t handle;
    struct mica_ram_info ri;
    long st;

    *step = "boot_cap_screen";
    if ((st = ns_boot_cap(NS_CAP_SCREEN, &handle)) != MICA_OK)
        return st;
    *step = "ram_info";
    if ((st = mica_ram_info(handle, &ri)) != MICA_OK)
        return st;
    *step = "geometry";
    if ((st = check_geometry(&ri)) != MICA_OK)
        return st;
    *step = "map";
    if ((st = map_all(handle, ri.frames)) != MICA_OK)
        return st;
    *step = "renderer";
    if (start_renderer(&ri) != 0)
        return MICA_EINVAL;
    ready = true;
    if (ri.kind == KIND_EGA_TEXT && (crtc = cursor_init()))
        cursor_follow();
    return MICA_OK;
}

void display_write(const char *s, size_t n)
{
    if (!ready)
        return;
    screen_write(&screen, s, n);
    if (crtc)
        cursor_follow();
}
