/*
 * The kernel console: every byte goes to COM1 and, once attached, to the
 * screen that GRUB's framebuffer tag describes (EGA text or linear RGB,
 * Multiboot2 spec §3.6.12). The console server takes the screen over later;
 * the kernel keeps writing to serial, and panics always reach both.
 */
#include <mica/screen.h>

#include "arch.h"
#include "boot/multiboot2.h"
#include "kernel.h"

static struct screen screen;
static int screen_ready;

/* The boot page tables map the first 4 GiB of physical memory; a
 * framebuffer above that can only be drawn once the final tables map it
 * (kmain calls this again after arch_paging_init). */
#define BOOT_MAPPED_TOP (1ull << 32)

void console_attach_screen(const struct mb2_framebuffer *fb, bool all_mapped)
{
    if (!fb->present || screen_ready)
        return;
    if (!all_mapped && fb->addr + (uint64_t)fb->pitch * fb->height > BOOT_MAPPED_TOP)
        return;
    volatile void *base = phys_to_virt(fb->addr);
    int rc = -1;
    if (fb->type == MB2_FB_EGA_TEXT)
        rc = screen_init_text(&screen, base, fb->width, fb->height, fb->pitch);
    else if (fb->type == MB2_FB_RGB)
        rc = screen_init_rgb(&screen, base, fb->width, fb->height, fb->pitch, fb->bpp,
                             fb->red_pos, fb->red_size, fb->green_pos, fb->green_size,
                             fb->blue_pos, fb->blue_size);
    if (rc == 0) {
        screen_clear(&screen);
        screen_ready = 1;
        kprintf("mica: screen kind=%s width=%u height=%u bpp=%u\n",
                fb->type == MB2_FB_EGA_TEXT ? "text" : "rgb", fb->width, fb->height,
                fb->bpp);
    } else {
        kprintf("mica: screen type=%u %ux%u bpp=%u unusable, serial only\n", fb->type,
                fb->width, fb->height, fb->bpp);
    }
}

static int screen_released;

void console_release_screen(void)
{
    screen_released = 1;
}

void console_reclaim_screen(void)
{
    screen_released = 0;
}

void console_write(const char *s, size_t len)
{
    arch_serial_write(s, len);
    if (screen_ready && !screen_released)
        screen_write(&screen, s, len);
}
