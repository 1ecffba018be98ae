/*
 * init's boot capabilities (boot_caps.c).
 */
#ifndef MICA_BOOT_BOOT_CAPS_H
#define MICA_BOOT_BOOT_CAPS_H

struct task;
struct mb2_framebuffer;

/* Gives init its boot capabilities (abi.h documents the slots). */
void boot_caps_grant(struct task *init, const struct mb2_framebuffer *fb);
/* Gives a task a send handle, badged with its id, to init's name service. */
void boot_caps_grant_ns(struct task *t);

#endif
