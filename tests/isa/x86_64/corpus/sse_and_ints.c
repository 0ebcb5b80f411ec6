/* Code shapes gcc -O2 turns into SSE2 and less common integer instructions; compiled at test time. */
typedef unsigned long u64;
typedef long i64;

double dsum(const double *a, int n) { double s = 0; for (int i = 0; i < n; i++) s += a[i] * 1.5; return s; }
float fscale(float x, int k) { return x / (float)k + (float)(x < 0 ? -x : x); }
double conv(i64 v, unsigned u) { return (double)v + (double)u; }
i64 trunc_d(double d) { return (i64)d; }
int cmpd(double a, double b) { return a < b ? -1 : a > b ? 1 : 0; }
float d2f(double d) { return (float)d; }
double fminmax(double a, double b) { return (a < b ? a : b) + (a > b ? a : b); }
u64 divmod(u64 a, u64 b, i64 c, i64 d) { return a / b + a % b + (u64)(c / d) + (u64)(c % d); }
int ctz(u64 x) { return __builtin_ctzll(x); }
int clz(u64 x) { return __builtin_clzll(x); }
u64 bswap(u64 x) { return __builtin_bswap64(x); }
u64 rot(u64 x, int k) { return (x << k) | (x >> (64 - k)); }
void clear(char *p) { for (int i = 0; i < 64; i++) p[i] = 0; }
int count_eq(const unsigned char *s, int n, unsigned char c) { int k = 0; for (int i = 0; i < n; i++) k += s[i] == c; return k; }
void add_arrays(int *restrict a, const int *restrict b, int n) { for (int i = 0; i < n; i++) a[i] += b[i]; }
short widen(signed char c, short s) { return (short)(c * s); }
int sw(int x) { switch (x) { case 0: return 3; case 1: return 7; case 2: return 11; case 3: return 13; case 4: return 17; default: return -1; } }
long cas(long *p, long o, long n) { return __sync_val_compare_and_swap(p, o, n); }
long fadd(long *p) { return __sync_fetch_and_add(p, 5); }
i64 mulh(i64 a, i64 b) { return (i64)(((__int128)a * b) >> 64); }
