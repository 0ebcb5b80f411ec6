/* Corpus for the decoder/semantics tests: the kinds of code the firmware's
 * libc, libmach and benchmarks make gcc -O2 emit. */
#include <stdarg.h>
#include <stdint.h>
typedef unsigned long size_t;

void *memcpy(void *d, const void *s, size_t n) { char *dd = d; const char *ss = s; while (n--) *dd++ = *ss++; return d; }
void *memset(void *d, int c, size_t n) { unsigned char *p = d; while (n--) *p++ = (unsigned char)c; return d; }
int memcmp(const void *a, const void *b, size_t n) { const unsigned char *x = a, *y = b; for (; n; n--, x++, y++) if (*x != *y) return *x - *y; return 0; }
size_t strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
int strcmp(const char *a, const char *b) { while (*a && *a == *b) a++, b++; return (unsigned char)*a - (unsigned char)*b; }
char *strchr(const char *s, int c) { for (;; s++) { if (*s == (char)c) return (char *)s; if (!*s) return 0; } }
char *strcpy(char *d, const char *s) { char *r = d; while ((*d++ = *s++)); return r; }

static char *utoa(char *end, unsigned long v, unsigned base, int upper) {
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    *--end = 0;
    do { *--end = dig[v % base]; v /= base; } while (v);
    return end;
}

int vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap) {
    size_t n = 0; char tmp[32];
    for (; *fmt; fmt++) {
        if (*fmt != '%') { if (n + 1 < cap) buf[n] = *fmt; n++; continue; }
        int lng = 0, width = 0, zero = 0; fmt++;
        if (*fmt == '0') { zero = 1; fmt++; }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') { lng++; fmt++; }
        const char *s = tmp; long sv; unsigned long uv;
        switch (*fmt) {
        case 'd': sv = lng ? va_arg(ap, long) : va_arg(ap, int);
            if (sv < 0) { s = utoa(tmp + 32, -(unsigned long)sv, 10, 0); *(char *)--s = '-'; }
            else s = utoa(tmp + 32, sv, 10, 0); break;
        case 'u': uv = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned); s = utoa(tmp + 32, uv, 10, 0); break;
        case 'x': uv = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned); s = utoa(tmp + 32, uv, 16, 0); break;
        case 'X': uv = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned); s = utoa(tmp + 32, uv, 16, 1); break;
        case 'p': uv = (unsigned long)va_arg(ap, void *); s = utoa(tmp + 32, uv, 16, 0); break;
        case 'c': tmp[0] = (char)va_arg(ap, int); tmp[1] = 0; break;
        case 's': s = va_arg(ap, const char *); if (!s) s = "(null)"; break;
        case 'f': { double d = va_arg(ap, double); long ip = (long)d; s = utoa(tmp + 32, ip < 0 ? -ip : ip, 10, 0);
            (void)(d - (double)ip); break; }
        default: tmp[0] = *fmt; tmp[1] = 0; break;
        }
        int len = (int)strlen(s);
        for (; width > len; width--) { if (n + 1 < cap) buf[n] = zero ? '0' : ' '; n++; }
        for (; *s; s++) { if (n + 1 < cap) buf[n] = *s; n++; }
    }
    if (cap) buf[n < cap ? n : cap - 1] = 0;
    return (int)n;
}

int snprintf(char *buf, size_t cap, const char *fmt, ...) { va_list ap; va_start(ap, fmt); int r = vsnprintf(buf, cap, fmt, ap); va_end(ap); return r; }

long sdiv(long a, long b) { return b ? a / b : 0; }
unsigned long umod(unsigned long a, unsigned long b) { return a % b; }
int smod32(int a, int b) { return a % b; }
unsigned long mulhi(unsigned long a, unsigned long b) { return (unsigned long)(((unsigned __int128)a * b) >> 64); }
long smulhi(long a, long b) { return (long)(((__int128)a * b) >> 64); }
long smull(int a, int b) { return (long)a * b; }
unsigned long umaddl(unsigned a, unsigned b, unsigned long c) { return (unsigned long)a * b + c; }
int clz(unsigned long x) { return __builtin_clzl(x); }
int ctz(unsigned x) { return __builtin_ctz(x); }
int popc(unsigned long x) { return __builtin_popcountl(x); }
int clrsb(long x) { return __builtin_clrsbl(x); }
uint32_t bswap32(uint32_t x) { return __builtin_bswap32(x); }
uint64_t bswap64(uint64_t x) { return __builtin_bswap64(x); }
uint16_t bswap16(uint16_t x) { return __builtin_bswap16(x); }
uint64_t rotl(uint64_t x, int s) { return (x << (s & 63)) | (x >> (-s & 63)); }
uint32_t rotr32(uint32_t x, int s) { return (x >> (s & 31)) | (x << (-s & 31)); }
uint64_t bits(uint64_t x) { return (x >> 7) & 0x3ff; }
int64_t sbits(int64_t x) { return (x << 10) >> 40; }
uint64_t insert(uint64_t x, uint64_t y) { return (x & ~0xff00ull) | ((y & 0xff) << 8); }
uint64_t extr(uint64_t a, uint64_t b) { return (a << 13) | (b >> 51); }
int sel(int a, int b, int c) { return a > b ? c : c + 1; }
long csneg(long a, long b) { return a < b ? -a : b; }
long csinv(long a, long b) { return a == b ? ~a : b; }
int ccmp(int a, int b) { return a == 3 && b > 7; }
int ccmn(long a, long b) { return a == -3 || b < -7; }
int8_t sx8(int8_t *p, int i) { return p[i]; }
int16_t sx16(int16_t *p, long i) { return p[i] + 1; }
long sx32(int32_t *p, int i) { return p[i]; }
uint64_t ldu(uint8_t *p) { return p[3] | (uint64_t)p[1000] << 8; }
void st_all(uint8_t *b, uint16_t *h, uint32_t *w, uint64_t *d, int i) { b[i] = 1; h[i] = 2; w[i] = 3; d[i] = 4; b[4000] = 5; h[-3] = 6; }
struct pair { long a, b; };
struct big { long v[8]; };
void copy_big(struct big *d, const struct big *s) { *d = *s; }
void clear_big(struct big *d) { *d = (struct big){0}; }
long sum_pairs(struct pair *p, int n) { long s = 0; for (int i = 0; i < n; i++) s += p[i].a * p[i].b; return s; }
int jump(int x, int y) {
    switch (x) { case 0: return y + 1; case 1: return y * 3; case 2: return y - 7; case 3: return y ^ 5;
    case 4: return y << 2; case 5: return y / 3; case 6: return y & 9; default: return 0; }
}
static long counter;
long atomic_inc(void) { return __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST); }
int cas(int *p, int o, int n) { return __atomic_compare_exchange_n(p, &o, n, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE); }
long xchg(long *p, long v) { return __atomic_exchange_n(p, v, __ATOMIC_ACQUIRE); }
int ld_acq(int *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
void st_rel(long *p, long v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
void fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
unsigned char fetch_or8(unsigned char *p, unsigned char v) { return __atomic_fetch_or(p, v, __ATOMIC_RELAXED); }
short fetch_and16(short *p, short v) { return __atomic_fetch_and(p, v, __ATOMIC_RELEASE); }
long fetch_sub(long *p, long v) { return __atomic_sub_fetch(p, v, __ATOMIC_SEQ_CST); }
static __thread int tls_var;
int tls_get(void) { return ++tls_var; }
uint64_t rdcnt(void) { uint64_t v; __asm__ volatile("mrs %0, cntvct_el0" : "=r"(v)); return v; }
uint64_t rdfrq(void) { uint64_t v; __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v)); return v; }
void svc_call(long n) { register long x16 __asm__("x16") = n; __asm__ volatile("svc #0x80" : : "r"(x16) : "memory"); }
void brk_now(void) { __builtin_trap(); }
void spin_wait(void) { __asm__ volatile("yield\n wfi\n wfe\n isb\n dsb sy\n dmb ish\n nop"); }
