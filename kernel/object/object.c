/*
 * Reference counts and budgets of the kernel's objects (object.h).
 */
#include "object/object.h"

#include "object/endpoint.h"
#include "object/notification.h"
#include "object/reply.h"
#include "task/budget.h"
#include "task/task.h"

static struct kobject *header(enum mica_object_type type, void *object)
{
    if (type == MICA_OBJ_ENDPOINT)
        return &((struct endpoint *)object)->obj;
    if (type == MICA_OBJ_NOTIFICATION)
        return &((struct notification *)object)->obj;
    if (type == MICA_OBJ_REPLY)
        return &((struct reply *)object)->obj;
    return NULL;
}

bool object_counted(enum mica_object_type type)
{
    return type == MICA_OBJ_ENDPOINT || type == MICA_OBJ_NOTIFICATION ||
           type == MICA_OBJ_REPLY;
}

void object_ref(enum mica_object_type type, void *object)
{
    struct kobject *o = header(type, object);
    if (o)
        o->refs++;
}

void object_unref(enum mica_object_type type, void *object)
{
    struct kobject *o = header(type, object);
    if (!o || --o->refs != 0)
        return;
    struct task *payer = o->payer ? task_by_id(o->payer) : NULL;
    if (payer)
        budget_uncharge(payer, BUDGET_OBJECTS, 1);
    o->payer = 0;
    if (type == MICA_OBJ_ENDPOINT)
        endpoint_release(object);
    else if (type == MICA_OBJ_NOTIFICATION)
        notification_release(object);
    else
        reply_release(object);
}

void object_discard(enum mica_object_type type, void *object)
{
    object_ref(type, object);
    object_unref(type, object);
}

bool object_charge(struct kobject *o, struct task *t)
{
    if (t && !budget_charge(t, BUDGET_OBJECTS, 1))
        return false;
    o->payer = t ? t->id : 0;
    return true;
}

static uint64_t move_payer(struct kobject *o, uint32_t dead, uint32_t heir)
{
    if (o->refs == 0 || o->payer != dead)
        return 0;
    o->payer = heir;
    return 1;
}

uint64_t object_task_gone(uint32_t dead, struct task *heir)
{
    uint32_t to = heir ? heir->id : 0;
    uint64_t n = 0;
    for (unsigned i = 0; i < MAX_ENDPOINTS; i++)
        n += move_payer(&endpoint_at(i)->obj, dead, to);
    for (unsigned i = 0; i < MAX_NOTIFICATIONS; i++)
        n += move_payer(&notification_at(i)->obj, dead, to);
    for (unsigned i = 0; i < MAX_REPLIES; i++)
        n += move_payer(&reply_at(i)->obj, dead, to);
    return n;
}
