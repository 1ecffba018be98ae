/*
 * System call dispatch (syscall.c): the arch's syscall entry calls
 * syscall_dispatch with the saved user registers.
 */
#ifndef MICA_SYSCALL_SYSCALL_H
#define MICA_SYSCALL_SYSCALL_H

struct trap_frame;

void syscall_dispatch(struct trap_frame *f);
void syscall_dispatch_locked(struct trap_frame *f);

#endif
