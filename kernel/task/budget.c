/*
 * Kernel memory budgets (budget.h). A budget counts frames, task slots and
 * thread slots; `used` includes what the task's children were given, so a
 * parent's `limit` bounds its whole subtree.
 *
 * Entry points: budget_root, budget_carve, budget_charge, budget_uncharge,
 * budget_release.
 */
#include "task/budget.h"

#include "object/object.h"
#include "task/task.h"

bool budget_charge(struct task *t, enum budget_kind kind, uint64_t n)
{
    struct budget *b = &t->budget;
    if (b->used[kind] > b->limit[kind] || n > b->limit[kind] - b->used[kind])
        return false;
    b->used[kind] += n;
    return true;
}

void budget_uncharge(struct task *t, enum budget_kind kind, uint64_t n)
{
    struct budget *b = &t->budget;
    b->used[kind] = n < b->used[kind] ? b->used[kind] - n : 0;
}

void budget_root(struct task *t, uint64_t frames, uint64_t tasks, uint64_t threads,
                 uint64_t objects, uint64_t pages)
{
    t->budget.limit[BUDGET_OBJECTS] = objects;
    t->budget.limit[BUDGET_PAGES] = pages;
    t->budget.limit[BUDGET_FRAMES] = frames;
    t->budget.limit[BUDGET_TASKS] = tasks;
    t->budget.limit[BUDGET_THREADS] = threads;
    t->budget.parent = 0;
}

/* The memory-server pages a task has not given to its children. */
static uint64_t pages_left(const struct task *t)
{
    const struct budget *b = &t->budget;
    return b->limit[BUDGET_PAGES] > b->used[BUDGET_PAGES]
               ? b->limit[BUDGET_PAGES] - b->used[BUDGET_PAGES]
               : 0;
}

/* A field of a wanted budget, or its default when 0. */
static uint64_t wanted(uint64_t v, uint64_t dflt)
{
    return v ? v : dflt;
}

int budget_carve(struct task *parent, struct task *child, const struct mica_budget *want)
{
    struct mica_budget none = {0};
    if (!want)
        want = &none;
    uint64_t limit[BUDGET_KINDS] = {
        [BUDGET_FRAMES] = wanted(want->frames, MICA_BUDGET_DEFAULT_FRAMES),
        [BUDGET_TASKS] = want->tasks,
        [BUDGET_THREADS] = wanted(want->threads, MICA_BUDGET_DEFAULT_THREADS),
        [BUDGET_OBJECTS] = wanted(want->objects, MICA_BUDGET_DEFAULT_OBJECTS),
        [BUDGET_PAGES] = wanted(want->pages, pages_left(parent) / 2),
    };
    /* The child's own slot is part of what it is given. */
    uint64_t take[BUDGET_KINDS] = {limit[0], limit[1] + 1, limit[2], limit[3], limit[4]};
    for (int k = 0; k < BUDGET_KINDS; k++) {
        if (!budget_charge(parent, (enum budget_kind)k, take[k])) {
            while (k-- > 0)
                budget_uncharge(parent, (enum budget_kind)k, take[k]);
            return MICA_ENOMEM;
        }
    }
    child->budget = (struct budget){.parent = parent->id};
    for (int k = 0; k < BUDGET_KINDS; k++)
        child->budget.limit[k] = limit[k];
    return MICA_OK;
}

void budget_release(struct task *t)
{
    struct task *parent = t->budget.parent ? task_by_id(t->budget.parent) : NULL;
    for (unsigned i = 0; i < MAX_TASKS; i++) {
        struct task *c = task_by_index(i);
        if (!c)
            break;
        if (c == t || c->dead || c->budget.parent != t->id)
            continue;
        /* c's budget was part of t's; t's parent held all of t's. */
        c->budget.parent = parent ? parent->id : 0;
        if (parent)
            for (int k = 0; k < BUDGET_KINDS; k++)
                parent->budget.used[k] +=
                    c->budget.limit[k] + (k == BUDGET_TASKS ? 1 : 0);
    }
    if (parent)
        for (int k = 0; k < BUDGET_KINDS; k++)
            budget_uncharge(parent, (enum budget_kind)k,
                            t->budget.limit[k] + (k == BUDGET_TASKS ? 1 : 0));
    /* Objects t paid for that others still hold keep their slots. */
    uint64_t held = object_task_gone(t->id, parent);
    if (parent)
        parent->budget.used[BUDGET_OBJECTS] += held;
    t->budget = (struct budget){0};
}
