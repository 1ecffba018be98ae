/*
 * shell: the interactive prompt on the console. It waits for "console" to
 * be registered, then loops: print SHELL_PROMPT, read a line, run the
 * command named by its first word. Commands are one table of name, help
 * text and function; each function gets the rest of the line after the
 * command and its one separating space, exactly as typed.
 */
#include <mica/console.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdio.h>
#include <string.h>

#include "protocol.h"

/* Bound on the task scan, well above the kernel's task table. */
#define TASK_SCAN_MAX 256
#define PAGE_KIB      4

struct command {
    const char *name;
    const char *help;
    void (*run)(const char *args);
};

static void cmd_help(const char *args);

static const char *state_name(uint32_t state)
{
    switch (state) {
    case MICA_TASK_RUNNING:
        return "running";
    case MICA_TASK_BLOCKED:
        return "blocked";
    case MICA_TASK_DEAD:
        return "dead";
    }
    return "?";
}

/* Calls visit for every task, in the kernel's order; false if the scan
 * ended with an error rather than MICA_ENOENT (it is then reported). */
static int for_each_task(void (*visit)(const struct mica_task_info *, void *), void *ctx)
{
    for (uint32_t i = 0; i < TASK_SCAN_MAX; i++) {
        struct mica_task_info ti;
        long st = mica_task_info(i, &ti);
        if (st == MICA_ENOENT)
            return 1;
        if (st != MICA_OK) {
            printf("shell: task info failed: %s\n", mica_status_name(st));
            return 0;
        }
        ti.name[sizeof(ti.name) - 1] = '\0';
        visit(&ti, ctx);
    }
    return 1;
}

static void print_task(const struct mica_task_info *ti, void *ctx)
{
    printf("%4u %-16s %-8s %4u %6llu\n", ti->id, ti->name, state_name(ti->state),
           ti->priority, (unsigned long long)ti->pages);
}

static void cmd_ps(const char *args)
{
    printf("%4s %-16s %-8s %4s %6s\n", "ID", "NAME", "STATE", "PRI", "PAGES");
    for_each_task(print_task, NULL);
}

static void print_task_mem(const struct mica_task_info *ti, void *ctx)
{
    unsigned long long kib = (unsigned long long)ti->pages * PAGE_KIB;
    *(unsigned long long *)ctx += kib;
    printf("%-16s %8llu KiB\n", ti->name, kib);
}

static void cmd_mem(const char *args)
{
    unsigned long long total = 0;
    if (for_each_task(print_task_mem, &total))
        printf("%-16s %8llu KiB\n", "total", total);
}

static void cmd_uptime(const char *args)
{
    uint64_t ms = mica_clock_ms();
    printf("up %llu.%03llu s\n", (unsigned long long)(ms / 1000),
           (unsigned long long)(ms % 1000));
}

static void cmd_echo(const char *args)
{
    puts(args);
}

static void power(const char *what, uint32_t op)
{
    long st = ns_system(op);
    printf("shell: %s failed: %s\n", what, mica_status_name(st));
}

static void cmd_reboot(const char *args)
{
    power("reboot", MICA_SYSTEM_RESET);
}

static void cmd_halt(const char *args)
{
    power("halt", MICA_SYSTEM_POWEROFF);
}

static const struct command commands[] = {
    {"help", "list the commands", cmd_help},
    {"echo", "print the rest of the line", cmd_echo},
    {"ps", "list tasks: id, name, state, priority, pages", cmd_ps},
    {"mem", "memory of each task and the total", cmd_mem},
    {"uptime", "time since boot", cmd_uptime},
    {"reboot", "reset the machine", cmd_reboot},
    {"halt", "power the machine off", cmd_halt},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void cmd_help(const char *args)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-8s %s\n", commands[i].name, commands[i].help);
}

/* Splits line into the command word and the rest after its one separating
 * space; runs it or says it is unknown. */
static void run_line(char *line)
{
    while (*line == ' ')
        line++;
    if (!*line)
        return;
    char *args = strchr(line, ' ');
    if (args)
        *args++ = '\0';
    else
        args = line + strlen(line);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(line, commands[i].name) == 0) {
            commands[i].run(args);
            return;
        }
    }
    printf("shell: unknown command: %s\n", line);
}

/* The console registers after the shell may have started. */
static void wait_for_console(void)
{
    long st;
    while ((st = console_open()) != MICA_OK) {
        if (st != MICA_ENOENT)
            printf("shell: console lookup failed: %s\n", mica_status_name(st));
        mica_sleep_ms(SHELL_RETRY_MS);
    }
}

int main(void)
{
    char line[SHELL_LINE_MAX + 1];

    wait_for_console();
    ns_ready();
    for (;;) {
        printf("%s", SHELL_PROMPT);
        long n = console_read(line, sizeof(line));
        if (n < 0) {
            printf("shell: read failed: %s\n", mica_status_name(n));
            mica_sleep_ms(SHELL_RETRY_MS);
            continue;
        }
        run_line(line);
    }
}
