/*
 * Console I/O over the device server (spec §7 "Devices"): output collects in
 * a buffer of one inband message and is written at a newline, when full, or
 * on console_flush(); input is read a line per device_read_inband.
 */
#include <console.h>
#include <stdio.h>
#include <string.h>
#include <device/device.h>
#include <mach/mach_init.h>
#include <mach/mach_traps.h>

static mach_port_t console_port;
static int console_opened;              /* open attempted (it is not retried) */
static char out_buf[IO_INBAND_MAX];
static size_t out_len;

static mach_port_t console_device(void)
{
    if (!console_opened) {
        console_opened = 1;
        mach_port_t master = mach_device_master();
        if (master == MACH_PORT_NULL || device_open(master, D_READ | D_WRITE, "console", &console_port) != KERN_SUCCESS)
            console_port = MACH_PORT_NULL;
    }
    return console_port;
}

/* Without a console device, output goes to the kernel's debug print trap (spec §2.2, optional). */
static void print_by_trap(const char *data, size_t n)
{
    char text[IO_INBAND_MAX + 1];
    memcpy(text, data, n);
    text[n] = '\0';
    mach_print(text);
}

void console_flush(void)
{
    mach_port_t device = console_device();
    const char *p = out_buf;
    size_t n = out_len;
    out_len = 0;
    if (device == MACH_PORT_NULL) {
        if (n != 0)
            print_by_trap(p, n);
        return;
    }
    while (n != 0) {
        int32_t written = 0;
        if (device_write_inband(device, 0, 0, p, (mach_msg_type_number_t)n, &written) != KERN_SUCCESS
            || written <= 0)
            return;
        if ((size_t)written > n)
            written = (int32_t)n;
        p += written;
        n -= (size_t)written;
    }
}

int putchar(int c)
{
    out_buf[out_len++] = (char)c;
    if (c == '\n' || out_len == sizeof(out_buf))
        console_flush();
    return (unsigned char)c;
}

int puts(const char *s)
{
    while (*s)
        putchar((unsigned char)*s++);
    putchar('\n');
    return 0;
}

long console_getline(char *buf, size_t size)
{
    mach_port_t device = console_device();
    size_t len = 0;
    console_flush();
    if (device == MACH_PORT_NULL || size == 0)
        return -1;
    for (;;) {
        char chunk[IO_INBAND_MAX];
        mach_msg_type_number_t n = 0;
        if (device_read_inband(device, 0, 0, sizeof(chunk), chunk, &n) != KERN_SUCCESS || n == 0) {
            if (len == 0)
                return -1;
            break;
        }
        size_t keep = n < size - 1 - len ? n : size - 1 - len;
        memcpy(buf + len, chunk, keep);
        len += keep;
        /* One read is one line; only a line longer than a read continues in the next. */
        if (chunk[n - 1] == '\n' || n < sizeof(chunk))
            break;
    }
    while (len != 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    buf[len] = '\0';
    return (long)len;
}
