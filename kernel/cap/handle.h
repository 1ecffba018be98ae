/*
 * Capabilities: a per-task table of handles. A handle names one kernel
 * object with rights and a badge; a task can only reach objects through the
 * handles it holds. Handle 0 is never valid.
 */
#ifndef MICA_CAP_HANDLE_H
#define MICA_CAP_HANDLE_H

#include <mica/abi.h>
#include <stdint.h>

#define HANDLES_PER_TASK 64

struct handle {
    enum mica_object_type type;
    uint32_t rights;
    uint64_t badge;
    void *object;
};

struct handle_table {
    struct handle slot[HANDLES_PER_TASK];
};

/* Looks a handle up and checks its type and rights. Returns the object or
 * NULL with *err set (MICA_EBADH, MICA_ETYPE, MICA_ERIGHTS). */
void *handle_get(struct handle_table *t, uint64_t h, enum mica_object_type type,
                 uint32_t rights, struct handle *out, int *err);
/* Installs a handle; returns its number or MICA_ENOMEM when the table is full. */
int64_t handle_install(struct handle_table *t, struct handle h);
/* The first free slot of the table, or MICA_ENOMEM when it is full. */
int64_t handle_free_slot(const struct handle_table *t);
/* Installs at a fixed slot (boot handles); fails if it is taken. */
int handle_install_at(struct handle_table *t, uint64_t slot, struct handle h);
int handle_close(struct handle_table *t, uint64_t h);

#endif
