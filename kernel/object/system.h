/*
 * The system object (system.c): the authority to stop or reset the
 * machine, and to start and watch tasks (init's).
 */
#ifndef MICA_OBJECT_SYSTEM_H
#define MICA_OBJECT_SYSTEM_H

#include <stdint.h>

/* The one system object; handles name it by address. */
void *system_object(void);
/* Powers off or resets (MICA_SYSTEM_*): never returns for those; returns
 * MICA_EINVAL for any other op. */
int system_power(uint64_t op);

#endif
