/*
 * The kernel's object model (object.c). Every object a task can create —
 * endpoints, notifications, reply objects — begins with a struct kobject:
 * how many references name it and whose budget pays for its slot. A reference is a
 * handle in some task's table or a pointer the kernel keeps (a pager, a
 * death watch, an IRQ or log binding); each takes object_ref and gives
 * object_unref, so no kernel pointer outlives its object. The slot is
 * freed with the last reference, and only then is the payer's budget given
 * back: an object passed to another task keeps costing its creator, so a
 * task cannot drain a pool by handing objects out.
 *
 * The kernel's own objects (the boot capabilities: devices, RAM, the log,
 * the system object) are static and never freed; their handles are
 * references all the same, counted nowhere because nothing ends them.
 * Task handles name a task slot together with the task's id (the badge),
 * so a handle to a dead task fails its id check (MICA_EDEAD) instead of
 * being counted.
 *
 *   object_ref, object_unref   every reference taken and given back
 *   object_charge              a new object's slot, against a budget
 *   object_task_gone           a payer died: its live objects' cost moves
 *                              to the budget that held its own
 */
#ifndef MICA_OBJECT_OBJECT_H
#define MICA_OBJECT_OBJECT_H

#include <mica/abi.h>
#include <stdbool.h>
#include <stdint.h>

struct task;

struct kobject {
    uint32_t refs;  /* handles and kernel pointers naming it; 0: slot free */
    uint32_t payer; /* task id whose budget holds the slot; 0: the kernel */
};

/* Whether objects of this type are counted (created by tasks, freed). */
bool object_counted(enum mica_object_type type);
void object_ref(enum mica_object_type type, void *object);
void object_unref(enum mica_object_type type, void *object);
/* A new object that got no reference after all (its creator's table was
 * full): freed, its budget given back. */
void object_discard(enum mica_object_type type, void *object);

/* Charges a new object's slot to t's budget (t NULL: the kernel pays).
 * false, nothing charged, when the budget has no object left. */
bool object_charge(struct kobject *o, struct task *t);

/* Task `dead` died: the objects it paid for that still live are paid for
 * by `heir` from now on (NULL: the kernel); returns how many. */
uint64_t object_task_gone(uint32_t dead, struct task *heir);

#endif
