/*
 * C side of process start-up (spec §10): the initial stack holds argc, argv[]
 * and its NULL, envp[] and its NULL, then the auxv.  main's return ends the task.
 */
#include <stdint.h>
#include <stdlib.h>
#include <mach/mach_init.h>

int main(int argc, char **argv, char **envp);

__attribute__((noreturn, used)) void _start_c(uint64_t *sp);

void _start_c(uint64_t *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    char **p = envp;
    while (*p != 0)
        p++;
    mach_init((const uint64_t *)(p + 1));
    exit(main(argc, argv, envp));
}
