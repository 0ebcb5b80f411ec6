/* Corpus: floating point and the vector loops gcc -O2 auto-vectorises. */
#include <stdint.h>
double fadd(double a, double b) { return a + b; }
double fma_(double a, double b, double c) { return __builtin_fma(a, b, c); }
double poly(double x) { return ((x * 3.5 - 1.25) * x + 0.5) / (x + 2.0); }
float fpoly(float x) { return (x * 3.5f - 1.25f) * x - x / 7.0f; }
double fsqrt_(double x) { return __builtin_sqrt(x); }
double fabs_(double x) { return __builtin_fabs(x); }
double fneg(double x) { return -x; }
float f_of_d(double x) { return (float)x; }
double d_of_f(float x) { return x; }
long d_to_l(double x) { return (long)x; }
unsigned long d_to_ul(double x) { return (unsigned long)x; }
int f_to_i(float x) { return (int)x; }
unsigned f_to_u(float x) { return (unsigned)x; }
double l_to_d(long x) { return (double)x; }
double ul_to_d(unsigned long x) { return (double)x; }
float i_to_f(int x) { return (float)x; }
float u_to_f(unsigned x) { return (float)x; }
int fcmp_lt(double a, double b) { return a < b; }
int fcmp_eq(float a, float b) { return a == b; }
int fcmp_un(double a, double b) { return __builtin_isunordered(a, b); }
double fsel(double a, double b) { return a > b ? a : b; }
double fmax_(double a, double b) { return __builtin_fmax(a, b); }
double fmin_(double a, double b) { return __builtin_fmin(a, b); }
double zero_d(void) { return 0.0; }
double one_d(void) { return 1.0; }
double const_d(void) { return 3.14159; }
double bits2d(uint64_t x) { double d; __builtin_memcpy(&d, &x, 8); return d; }
uint64_t d2bits(double d) { uint64_t x; __builtin_memcpy(&x, &d, 8); return x; }
double round_(double x) { return __builtin_round(x); }
double floor_(double x) { return __builtin_floor(x); }
double trunc_(double x) { return __builtin_trunc(x); }
double ceil_(double x) { return __builtin_ceil(x); }
unsigned fpcr_get(void) { unsigned long v; __asm__ volatile("mrs %0, fpcr" : "=r"(v)); return v; }
void fpsr_clr(void) { __asm__ volatile("msr fpsr, xzr"); }
double dot(const double *a, const double *b, int n) { double s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }
void saxpy(float *y, const float *x, float a, int n) { for (int i = 0; i < n; i++) y[i] += a * x[i]; }
void vadd32(int *d, const int *a, const int *b, int n) { for (int i = 0; i < n; i++) d[i] = a[i] + b[i]; }
void vsub64(long *d, const long *a, const long *b, int n) { for (int i = 0; i < n; i++) d[i] = a[i] - b[i]; }
void vmul16(short *d, const short *a, const short *b, int n) { for (int i = 0; i < n; i++) d[i] = a[i] * b[i]; }
int vsum(const int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
unsigned vsum8(const unsigned char *a, int n) { unsigned s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
long vsumw(const int *a, int n) { long s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
int vmax(const int *a, int n) { int m = 0; for (int i = 0; i < n; i++) m = a[i] > m ? a[i] : m; return m; }
unsigned vminu(const unsigned *a, int n) { unsigned m = ~0u; for (int i = 0; i < n; i++) m = a[i] < m ? a[i] : m; return m; }
int vcount(const char *s, int n, char c) { int k = 0; for (int i = 0; i < n; i++) k += s[i] == c; return k; }
void vlogic(unsigned *d, const unsigned *a, const unsigned *b, int n) { for (int i = 0; i < n; i++) d[i] = (a[i] & b[i]) ^ ~(a[i] | 7) ; }
void vshift(unsigned *d, const unsigned *a, int n) { for (int i = 0; i < n; i++) d[i] = (a[i] << 3) + (a[i] >> 5); }
void vsshift(int *d, const int *a, int n) { for (int i = 0; i < n; i++) d[i] = a[i] >> 2; }
void vwiden(int *d, const short *a, int n) { for (int i = 0; i < n; i++) d[i] = a[i]; }
void vwidenu(unsigned *d, const unsigned char *a, int n) { for (int i = 0; i < n; i++) d[i] = a[i]; }
void vnarrow(unsigned char *d, const unsigned *a, int n) { for (int i = 0; i < n; i++) d[i] = (unsigned char)a[i]; }
void vfill(int *d, int v, int n) { for (int i = 0; i < n; i++) d[i] = v; }
void vfilli(long *d, int n) { for (int i = 0; i < n; i++) d[i] = 0x0101010101010101; }
void vclamp(int *d, int n) { for (int i = 0; i < n; i++) d[i] = d[i] < 0 ? 0 : d[i]; }
void vcmpsel(int *d, const int *a, const int *b, int n) { for (int i = 0; i < n; i++) d[i] = a[i] > b[i] ? a[i] : -1; }
void vabs(int *d, int n) { for (int i = 0; i < n; i++) d[i] = d[i] < 0 ? -d[i] : d[i]; }
void vrev(int *d, const int *a, int n) { for (int i = 0; i < n; i++) d[i] = a[n - 1 - i]; }
void vfmul(double *d, const double *a, int n) { for (int i = 0; i < n; i++) d[i] = a[i] * 2.5 + 1.0; }
void vconvert(double *d, const int *a, int n) { for (int i = 0; i < n; i++) d[i] = a[i]; }
void vinterleave(int *d, const int *a, const int *b, int n) { for (int i = 0; i < n; i++) { d[2 * i] = a[i]; d[2 * i + 1] = b[i]; } }
void vdeint(int *a, int *b, const int *s, int n) { for (int i = 0; i < n; i++) { a[i] = s[2 * i]; b[i] = s[2 * i + 1]; } }
void vbytes(unsigned char *d, const unsigned char *a, int n) { for (int i = 0; i < n; i++) d[i] = a[i] + 3; }
struct vec4 { float x, y, z, w; };
struct vec4 v4add(struct vec4 a, struct vec4 b) { return (struct vec4){a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w}; }
void arr_init(unsigned *a) { for (int i = 0; i < 16; i++) a[i] = i * 3; }
int mix(double d, float f, int i, long l) { return (int)(d * f) + i * (int)l; }
