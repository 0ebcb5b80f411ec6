/*
 * Formatted output of the firmware libc.  Output goes to the console device,
 * buffered and flushed at each newline or by console_flush().  Formats: %d %i
 * %u %x %X %p %s %c %% with l/ll/z sizes, field width, '0' padding and '-'.
 */
#ifndef _STDIO_H_
#define _STDIO_H_

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

int printf(const char *restrict fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *restrict fmt, va_list ap);
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap);
int putchar(int c);
int puts(const char *s);

#endif
