/*
 * The console's screen: the framebuffer or EGA text memory that GRUB set
 * up (Multiboot2 spec §3.6.12), which init hands over as NS_CAP_SCREEN. It
 * is mapped whole at SCREEN_VA in our own space and drawn with libc-mini's
 * text renderer (mica/screen.h). Mapping its first page makes the kernel
 * stop drawing there, so from then on the screen shows only what clients
 * write and what the line editor echoes.
 *
 * The geometry comes from the kernel, which copied it from the boot
 * loader: it is checked against the frames actually mapped before anything
 * is drawn, on top of the renderer's own checks.
 */
#include <mica/ns.h>
#include <mica/screen.h>
#include <mica/syscall.h>
#include <stdbool.h>

#include "display.h"

/* A private address for the mapping, far from the image at 0x400000 and
 * from the stack and IPC buffer at the top of the user half. */
#define SCREEN_VA 0x0000000200000000ull
#define PAGE      4096ull
/* 64 MiB: more than a 4K screen at 32 bits per pixel needs, so a larger
 * object means a garbled description rather than a real screen. */
#define SCREEN_FRAMES_MAX 16384ull

/* Multiboot2 framebuffer types, as SYS_RAM_INFO reports them. */
#define KIND_RGB      1
#define KIND_EGA_TEXT 2

static struct screen screen;
static bool ready;

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
    return MICA_OK;
}

void display_write(const char *s, size_t n)
{
    if (ready)
        screen_write(&screen, s, n);
}
