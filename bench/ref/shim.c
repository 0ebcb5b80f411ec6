/*
 * Host-Linux stand-in for the firmware libc, just enough for the bench
 * workloads (firmware/bench/*.c) to run under qemu-user as reference rows of
 * `machr bench --reference`: _start, exit and write by Linux system calls,
 * the string functions the workloads call, and a printf for the checksum line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

int main(int argc, char **argv);

#if defined(__x86_64__)
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
#define SYS_WRITE 1
#define SYS_EXIT 60
__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call start_c\n");
#else
static long sys3(long n, long a, long b, long c)
{
    register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
#define SYS_WRITE 64
#define SYS_EXIT 93
__asm__(".globl _start\n_start:\n mov x0, sp\n bl start_c\n");
#endif

__attribute__((noreturn, used)) void start_c(long *sp)
{
    sys3(SYS_EXIT, main((int)sp[0], (char **)(sp + 1)), 0, 0);
    __builtin_unreachable();
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

char *strcpy(char *restrict d, const char *restrict s)
{
    char *r = d;
    while ((*d++ = *s++))
        ;
    return r;
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

/* Only what bench_report prints: %s and %016llx. */
int printf(const char *restrict fmt, ...)
{
    char buf[256];
    size_t n = 0;
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt && n < sizeof buf - 20; fmt++) {
        if (*fmt != '%') {
            buf[n++] = *fmt;
        } else if (fmt[1] == 's') {
            for (const char *s = va_arg(ap, const char *); *s && n < sizeof buf - 20; s++)
                buf[n++] = *s;
            fmt++;
        } else {                                  /* %016llx */
            unsigned long long v = va_arg(ap, unsigned long long);
            for (int i = 15; i >= 0; i--)
                buf[n++] = "0123456789abcdef"[(v >> (4 * i)) & 15];
            fmt += 6;
        }
    }
    va_end(ap);
    sys3(SYS_WRITE, 1, (long)buf, (long)n);
    return (int)n;
}
