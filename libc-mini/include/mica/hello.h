/*
 * mica/hello.h - the example server of docs/servers.md: its protocol.
 *
 *   HELLO_GREET  no fields. Reply payload = a greeting with its NUL.
 */
#ifndef MICA_LIBC_HELLO_H
#define MICA_LIBC_HELLO_H

#include <mica/abi.h>

enum hello_label {
    HELLO_GREET = MICA_LABELS_HELLO, /* a label range of its own */
};

#endif
