/*
 * printf family.  One formatter writes through a sink, so printf streams to
 * the console without a size limit and snprintf fills a buffer.
 */
#include <stdint.h>
#include <stdio.h>

struct sink {
    void (*put)(struct sink *sink, char c);
    char *buf;          /* snprintf: destination */
    size_t size;        /* snprintf: capacity including the NUL */
    size_t count;       /* characters produced, as printf returns */
};

static void emit(struct sink *sink, char c)
{
    sink->put(sink, c);
    sink->count++;
}

static void emit_padding(struct sink *sink, char c, int n)
{
    for (; n > 0; n--)
        emit(sink, c);
}

/* Writes `digits` (length n, sign or 0x prefix separate) honouring width and flags. */
static void emit_field(struct sink *sink, const char *prefix, const char *digits, int n, int width,
                       int left, int zero)
{
    int prefix_len = 0;
    while (prefix[prefix_len])
        prefix_len++;
    int pad = width - n - prefix_len;
    if (!left && !zero)
        emit_padding(sink, ' ', pad);
    for (const char *p = prefix; *p; p++)
        emit(sink, *p);
    if (!left && zero)
        emit_padding(sink, '0', pad);
    for (int i = 0; i < n; i++)
        emit(sink, digits[i]);
    if (left)
        emit_padding(sink, ' ', pad);
}

/* Formats `value` in `base` into the end of `buf` (24 bytes); returns the first digit. */
static char *format_unsigned(char *end, uint64_t value, unsigned base, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = digits[value % base];
        value /= base;
    } while (value != 0);
    return p;
}

enum size { SIZE_INT, SIZE_LONG, SIZE_LONG_LONG, SIZE_SIZE_T };

static uint64_t next_unsigned(va_list *ap, enum size size)
{
    switch (size) {
    case SIZE_LONG: return va_arg(*ap, unsigned long);
    case SIZE_LONG_LONG: return va_arg(*ap, unsigned long long);
    case SIZE_SIZE_T: return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned int);
    }
}

static int64_t next_signed(va_list *ap, enum size size)
{
    switch (size) {
    case SIZE_LONG: return va_arg(*ap, long);
    case SIZE_LONG_LONG: return va_arg(*ap, long long);
    case SIZE_SIZE_T: return (int64_t)va_arg(*ap, size_t);
    default: return va_arg(*ap, int);
    }
}

static void format(struct sink *sink, const char *fmt, va_list ap_in)
{
    va_list ap;
    va_copy(ap, ap_in);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(sink, *fmt);
            continue;
        }
        const char *spec = fmt++;
        int left = 0, zero = 0, width = 0;
        for (;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '0')
                zero = 1;
            else
                break;
        }
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            width = width * 10 + (*fmt - '0');
        enum size size = SIZE_INT;
        if (*fmt == 'l') {
            size = SIZE_LONG;
            if (*++fmt == 'l') {
                size = SIZE_LONG_LONG;
                fmt++;
            }
        } else if (*fmt == 'z') {
            size = SIZE_SIZE_T;
            fmt++;
        }
        char buf[24];
        char *end = buf + sizeof(buf);
        char *digits;
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = next_signed(&ap, size);
            uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
            digits = format_unsigned(end, magnitude, 10, 0);
            emit_field(sink, v < 0 ? "-" : "", digits, (int)(end - digits), width, left, zero);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            digits = format_unsigned(end, next_unsigned(&ap, size), *fmt == 'u' ? 10 : 16, *fmt == 'X');
            emit_field(sink, "", digits, (int)(end - digits), width, left, zero);
            break;
        case 'p':
            digits = format_unsigned(end, (uintptr_t)va_arg(ap, void *), 16, 0);
            emit_field(sink, "0x", digits, (int)(end - digits), width, left, zero);
            break;
        case 'c':
            buf[0] = (char)va_arg(ap, int);
            emit_field(sink, "", buf, 1, width, left, 0);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == 0)
                s = "(null)";
            int n = 0;
            while (s[n])
                n++;
            emit_field(sink, "", s, n, width, left, 0);
            break;
        }
        case '%':
            emit(sink, '%');
            break;
        default:
            /* Unknown conversion: print it as written, so the mistake is visible. */
            for (; spec <= fmt && *spec; spec++)
                emit(sink, *spec);
            if (*fmt == '\0')
                fmt--;
            break;
        }
    }
    va_end(ap);
}

static void put_console(struct sink *sink, char c)
{
    (void)sink;
    putchar((unsigned char)c);
}

int vprintf(const char *restrict fmt, va_list ap)
{
    struct sink sink = {.put = put_console};
    format(&sink, fmt, ap);
    return (int)sink.count;
}

int printf(const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

static void put_buffer(struct sink *sink, char c)
{
    if (sink->count + 1 < sink->size)
        sink->buf[sink->count] = c;
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
    struct sink sink = {.put = put_buffer, .buf = buf, .size = size};
    format(&sink, fmt, ap);
    if (size != 0)
        buf[sink.count < size ? sink.count : size - 1] = '\0';
    return (int)sink.count;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
