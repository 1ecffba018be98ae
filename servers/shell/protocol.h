/*
 * The shell serves no requests: it registers no name and owns no endpoint.
 * It is a client of the name service (mica/ns.h) and of the console
 * (mica/console.h). This header holds what defines its user interface.
 */
#ifndef MICA_SHELL_PROTOCOL_H
#define MICA_SHELL_PROTOCOL_H

#include <mica/console.h>

#define SHELL_PROMPT   "mica> "
#define SHELL_LINE_MAX CON_LINE_MAX

/* Pause between lookups while the console has not registered yet. */
#define SHELL_RETRY_MS 10

#endif
