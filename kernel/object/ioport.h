/*
 * I/O port objects (ioport.c): a range of ports a handle names, which a
 * driver enables for itself.
 */
#ifndef MICA_OBJECT_IOPORT_H
#define MICA_OBJECT_IOPORT_H

struct task;

struct ioports {
    unsigned base, count;
};

/* A port range object for a boot capability; NULL when the pool is full. */
struct ioports *ioports_create(unsigned base, unsigned count);
/* Allows the ports of io to task t, the one running: MICA_OK, or
 * MICA_ENOMEM when every permission map is taken. */
int ioports_enable(struct task *t, const struct ioports *io);

#endif
