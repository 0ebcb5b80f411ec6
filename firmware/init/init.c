/*
 * init: the first task.  Prints a banner with the kernel version, then reads
 * console lines and runs each as a command until halt or end of input.
 */
#include <check.h>
#include <console.h>
#include <stdio.h>
#include <string.h>
#include <mach/mach.h>
#include <sys/reboot.h>
#include "../ipctest/ipctest.h"

#define MAX_ARGS 32

struct command {
    const char *name;
    const char *help;
    void (*run)(int argc, char **argv);
};

static void print_kernel_version(void)
{
    kernel_version_t version;
    kern_return_t kr = host_kernel_version(mach_host_self(), version);
    if (kr != KERN_SUCCESS) {
        printf("host_kernel_version failed: 0x%x\n", kr);
        return;
    }
    size_t n = strlen(version);
    while (n != 0 && version[n - 1] == '\n')
        version[--n] = '\0';
    printf("%s\n", version);
}

static void cmd_help(int argc, char **argv);

static void cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf(i == 1 ? "%s" : " %s", argv[i]);
    putchar('\n');
}

static void cmd_uname(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    print_kernel_version();
}

static void cmd_halt(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    puts("halting");
    console_flush();
    kern_return_t kr = host_reboot(mach_host_priv(), RB_HALT);
    printf("halt failed: 0x%x\n", kr);
}

/* `test ipc [suite]`: the guest IPC suites (ipctest/), all or the one named (e.g. ipc_msg). */
static void cmd_test(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "ipc") != 0) {
        puts("usage: test ipc [suite]");
        return;
    }
    if (argc < 3) {
        check_run(ipc_all_suites, ipc_all_suites_count);
        return;
    }
    for (int i = 0; i < ipc_all_suites_count; i++) {
        if (strcmp(argv[2], ipc_all_suites[i]->name) == 0) {
            check_run(&ipc_all_suites[i], 1);
            return;
        }
    }
    printf("no suite %s\n", argv[2]);
}

static const struct command commands[] = {
    {"help", "list the commands", cmd_help},
    {"echo", "print the arguments", cmd_echo},
    {"uname", "print the kernel version", cmd_uname},
    {"test", "run the guest test suites (test ipc [suite])", cmd_test},
    {"halt", "halt the machine", cmd_halt},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-6s %s\n", commands[i].name, commands[i].help);
}

/* Splits `line` in place at spaces and tabs and runs the command it names. */
static void run_line(char *line)
{
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    char *save;
    for (char *word = strtok_r(line, " \t", &save); word != 0 && argc < MAX_ARGS;
         word = strtok_r(0, " \t", &save))
        argv[argc++] = word;
    argv[argc] = 0;
    if (argc == 0)
        return;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[0], commands[i].name) == 0) {
            commands[i].run(argc, argv);
            return;
        }
    }
    printf("unknown command: %s\n", argv[0]);
}

int main(void)
{
    printf("machr init (%s) — Mach 3 personality\n", MACHR_ARCH);
    print_kernel_version();
    char line[256];
    for (;;) {
        printf("machr# ");
        if (console_getline(line, sizeof(line)) < 0)
            return 0;
        run_line(line);
    }
}
