/*
 * The console device as the firmware libc uses it: opened on first use
 * through the device master port (device "console"), falling back to the
 * mach_print trap for output when there is no device master.
 */
#ifndef _CONSOLE_H_
#define _CONSOLE_H_

#include <stddef.h>

/* Sends buffered output now (the prompt has no newline to trigger it). */
void console_flush(void);

/*
 * Reads one line (the kernel's console returns a line per read and does not
 * echo) into `buf` without its line terminator, NUL-terminated and cut to
 * `size` - 1 bytes.  Returns its length, or -1 at end of input or on error.
 */
long console_getline(char *buf, size_t size);

#endif
