/*
 * shell: the interactive prompt on the console. It waits for "console" to
 * be registered, then loops: print SHELL_PROMPT, read a line, run the
 * command named by its first word. Commands are one table of name, help
 * text and function; each function gets the rest of the line after the
 * command and its one separating space, exactly as typed.
 */
#include <mica/console.h>
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "protocol.h"

/* Bound on the task scan, well above the kernel's task table. */
#define TASK_SCAN_MAX 256
#define PAGE_KIB      4
/* `cpus`: bound on the CPU scan (the bits of a CPU mask, MICA_CPUS_ALL,
 * and some), and the interval the load is taken over. */
#define CPU_SCAN_MAX   16
#define LOAD_SAMPLE_MS 200

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

/* The CPU of each thread, in slot order: "0" for a task of one thread,
 * "0,1*" for two, a star on those running at this instant; "-" for none
 * (a dead task). */
static void thread_cpus(const struct mica_task_info *ti, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned k = 0; k < sizeof(ti->thread_cpu) && n < size; k++) {
        if (ti->thread_cpu[k] == MICA_CPU_NONE)
            continue;
        int w = snprintf(out + n, size - n, "%s%u%s", n ? "," : "", ti->thread_cpu[k],
                         ti->threads_running & (1u << k) ? "*" : "");
        n += w > 0 ? (size_t)w : 0;
    }
    if (!out[0])
        snprintf(out, size, "-");
}

/* The CPU list comes last: it is the one column of varying width. */
static void print_task(const struct mica_task_info *ti, void *ctx)
{
    char cpus[48];
    thread_cpus(ti, cpus, sizeof(cpus));
    printf("%4u %-16s %-8s %4u %6llu %7llu/%-6llu %s\n", ti->id, ti->name,
           state_name(ti->state), ti->priority, (unsigned long long)ti->pages,
           (unsigned long long)ti->kernel_frames, (unsigned long long)ti->kernel_limit,
           cpus);
}

/* The CPUs the kernel started, read twice LOAD_SAMPLE_MS apart: the load
 * is the share of the timer ticks between the two that found the CPU
 * busy, so it says what the CPU does now, not since boot. (The shell
 * itself sleeps in between.) */
static void cmd_cpus(const char *args)
{
    (void)args;
    struct mica_cpu_info before[CPU_SCAN_MAX], after;
    uint32_t n = 0;
    while (n < CPU_SCAN_MAX && mica_cpu_info(n, &before[n]) == MICA_OK)
        n++;
    mica_sleep_ms(LOAD_SAMPLE_MS);
    printf("cpu  apic  state   tasks  load (%u ms)\n", LOAD_SAMPLE_MS);
    for (uint32_t i = 0; i < n && mica_cpu_info(i, &after) == MICA_OK; i++) {
        printf("%3u  %4u  %-6s  %-5s  ", after.id, after.apic,
               after.state == MICA_CPU_ONLINE ? "online" : "?",
               after.runs_tasks ? "yes" : "no");
        uint64_t ticks = after.ticks - before[i].ticks;
        uint64_t idle = after.idle_ticks - before[i].idle_ticks;
        if (after.runs_tasks && ticks && idle <= ticks)
            printf("load=%llu%%\n", (unsigned long long)((ticks - idle) * 100 / ticks));
        else
            printf("-\n");
    }
}

static void cmd_ps(const char *args)
{
    printf("%4s %-16s %-8s %4s %6s %-14s %s\n", "ID", "NAME", "STATE", "PRI", "PAGES",
           "KFRAMES/BUDGET", "CPU");
    for_each_task(print_task, NULL);
}

/* One figure of `mem`: a label, then the amount in KiB, then a note. */
static void mem_line(const char *label, uint64_t kib, const char *note)
{
    printf("%-28s %9llu KiB%s%s\n", label, (unsigned long long)kib, *note ? "  " : "",
           note);
}

struct mem_scan {
    int memory_up;       /* the memory server answered MEM_STATS */
    uint64_t memory;     /* the memory server through our control handle:
                            others' use (MEM_TASK_USE) is asked there */
    uint64_t mapped_kib; /* pages all tasks have mapped */
};

/* A task's figures: pages it has mapped (kernel), and the frames the
 * memory server gave it, for tasks that hold any. */
static void print_task_mem(const struct mica_task_info *ti, void *ctx)
{
    struct mem_scan *scan = ctx;
    uint64_t kib = ti->pages * PAGE_KIB;
    scan->mapped_kib += kib;
    char label[64];
    snprintf(label, sizeof(label), "task %s mapped", ti->name);
    mem_line(label, kib, "");
    uint64_t frames;
    if (scan->memory_up && scan->memory && ti->state != MICA_TASK_DEAD &&
        mem_task_use_via(scan->memory, ti->id, &frames) == MICA_OK && frames) {
        snprintf(label, sizeof(label), "task %s frames", ti->name);
        mem_line(label, frames * PAGE_KIB, "from the memory server");
    }
}

/* All figures in KiB, one per line: the kernel's, the memory server's,
 * each task's, and last the total that tasks have mapped (that line's
 * form, `total <n> KiB`, is what scripts look for). */
static void cmd_mem(const char *args)
{
    struct mica_mem_info mi;
    long st = mica_mem_info(&mi);
    if (st == MICA_OK) {
        mem_line("kernel usable", mi.total_kib, "RAM found at boot");
        mem_line("kernel held", mi.kernel_kib, "image, tables, stacks, objects");
    } else {
        printf("shell: kernel memory info failed: %s\n", mica_status_name(st));
    }

    struct mem_scan scan = {0, 0, 0};
    if (!shell_control || ns_lookup_via(shell_control, "memory", &scan.memory) != MICA_OK)
        scan.memory = 0;
    struct mem_stats ms;
    st = mem_stats(&ms);
    if (st == MICA_OK) {
        scan.memory_up = 1;
        mem_line("memory total", ms.total_frames * PAGE_KIB, "RAM the server manages");
        mem_line("memory free", ms.free_frames * PAGE_KIB, "");
    } else {
        printf("shell: memory server stats failed: %s\n", mica_status_name(st));
    }

    if (for_each_task(print_task_mem, &scan))
        mem_line("total", scan.mapped_kib, "mapped by all tasks");
    if (scan.memory)
        mica_handle_close(scan.memory);
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

/* init's endpoint with the control bit (NS_CAP_CONTROL): power off and
 * crash requests go through it; 0 when init gave none. */
uint64_t shell_control; /* commands.h */

static void power(const char *what, uint32_t op)
{
    long st = shell_control ? ns_system_via(shell_control, op) : MICA_ERIGHTS;
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
    {"ps", "list tasks: id, name, state, priority, pages, kernel frames, CPUs", cmd_ps},
    {"cpus", "list the CPUs: APIC id, whether they run tasks, load over 200 ms",
     cmd_cpus},
    {"mem", "memory in KiB: kernel, memory server, each task, total", cmd_mem},
    {"uptime", "time since boot", cmd_uptime},
    {"reboot", "reset the machine", cmd_reboot},
    {"halt", "power the machine off", cmd_halt},
    {"crash", "crash <server>: make a server fault on purpose", cmd_crash},
    {"fuzz", "fuzz <seed> <calls> [workers]: hostile syscalls from a fresh task",
     cmd_fuzz},
    {"bench", "run the benchmarks", cmd_bench},
    {"tests", "run the in-guest test suite", cmd_tests},
    {"run", "run <program>: start an on-demand program in the background", cmd_run},
    {"kill", "kill <id|program>: end a program started with run", cmd_kill},
    {"trace", "trace on|off|dump: the kernel's IPC flight recorder", cmd_trace},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void cmd_help(const char *args)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-8s %s\n", commands[i].name, commands[i].help);
}

size_t shell_word(const char *s, char *out, size_t size)
{
    while (*s == ' ')
        s++;
    size_t n = strcspn(s, " ");
    if (n == 0 || n >= size)
        return 0;
    memcpy(out, s, n);
    out[n] = '\0';
    return n;
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
    if (ns_boot_cap(NS_CAP_CONTROL, &shell_control) != MICA_OK)
        shell_control = 0;
    /* The keyboard is ours: the console's input capability. */
    long in = shell_control ? console_input_open(shell_control) : MICA_ERIGHTS;
    if (in != MICA_OK)
        printf("shell: no keyboard: %s\n", mica_status_name(in));
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
