/*
 * Handle tables: lookup with type and rights checks, install, close.
 * Every check happens before anything changes.
 */
#include "cap/handle.h"

#include "object/object.h"

#include <stddef.h>

void *handle_get(struct handle_table *t, uint64_t h, enum mica_object_type type,
                 uint32_t rights, struct handle *out, int *err)
{
    if (h == 0 || h >= HANDLES_PER_TASK || t->slot[h].type == MICA_OBJ_NONE) {
        *err = MICA_EBADH;
        return NULL;
    }
    const struct handle *s = &t->slot[h];
    if (s->type != type) {
        *err = MICA_ETYPE;
        return NULL;
    }
    if ((s->rights & rights) != rights) {
        *err = MICA_ERIGHTS;
        return NULL;
    }
    if (out)
        *out = *s;
    *err = MICA_OK;
    return s->object;
}

int64_t handle_free_slot(const struct handle_table *t)
{
    for (unsigned i = 1; i < HANDLES_PER_TASK; i++)
        if (t->slot[i].type == MICA_OBJ_NONE)
            return i;
    return MICA_ENOMEM;
}

int64_t handle_install(struct handle_table *t, struct handle h)
{
    int64_t i = handle_free_slot(t);
    if (i < 0)
        return i;
    t->slot[i] = h;
    object_ref(h.type, h.object);
    return i;
}

int handle_close(struct handle_table *t, uint64_t h)
{
    if (h == 0 || h >= HANDLES_PER_TASK || t->slot[h].type == MICA_OBJ_NONE)
        return MICA_EBADH;
    struct handle old = t->slot[h];
    t->slot[h] = (struct handle){0};
    object_unref(old.type, old.object);
    return MICA_OK;
}

int handle_install_at(struct handle_table *t, uint64_t slot, struct handle h)
{
    if (slot == 0 || slot >= HANDLES_PER_TASK || t->slot[slot].type != MICA_OBJ_NONE)
        return MICA_EBUSY;
    t->slot[slot] = h;
    object_ref(h.type, h.object);
    return MICA_OK;
}
