/* Heap, number parsing and exit of the firmware libc. */
#ifndef _STDLIB_H_
#define _STDLIB_H_

#include <stddef.h>

void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);

int atoi(const char *s);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);

/* Flushes the console and terminates the task; a nonzero status halts the machine with it (host_priv). */
__attribute__((noreturn)) void exit(int status);

#endif
