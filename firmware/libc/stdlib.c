/* Number parsing and exit. */
#include <console.h>
#include <stdlib.h>
#include <mach/mach_init.h>
#include <mach/mach_interface.h>
#include <sys/reboot.h>

/* Accepts base 0 (prefix 0x → 16, 0 → 8, else 10) or 2..16, after optional spaces and '+'. */
unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    if (*s == '+')
        s++;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = s[0] == '0' ? 8 : 10;
    }
    unsigned long value = 0;
    for (;; s++) {
        int digit;
        if (*s >= '0' && *s <= '9')
            digit = *s - '0';
        else if (*s >= 'a' && *s <= 'z')
            digit = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'Z')
            digit = *s - 'A' + 10;
        else
            break;
        if (digit >= base)
            break;
        value = value * (unsigned long)base + (unsigned long)digit;
    }
    if (end != 0)
        *end = (char *)s;
    return value;
}

int atoi(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    int negative = *s == '-';
    if (negative)
        s++;
    int value = (int)strtoul(s, 0, 10);
    return negative ? -value : value;
}

/*
 * Mach tasks have no exit status.  machr convention (spec-level, kern/host.py):
 * a task holding host_priv reports a failure by halting the machine with
 * host_reboot(RB_HALT | status << 8), which `machr run` exits with.
 */
void exit(int status)
{
    console_flush();
    if (status != 0 && mach_host_priv() != MACH_PORT_NULL)
        host_reboot(mach_host_priv(), RB_HALT | ((status & 0xFF) << 8));
    task_terminate(mach_task_self());
    /* Unreachable: the kernel does not return from terminating the caller's task. */
    for (;;)
        __builtin_trap();
}
