/* Corpus: benchmark-style floating point and vector kernels (nbody, matrix
 * multiply, dot products, reductions, conversions, mixed precision). */
#include <stdint.h>
struct body { double x, y, z, vx, vy, vz, m; };
void nbody_advance(struct body *b, int n, double dt) {
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            b[i].vx -= dx * b[j].m * mag; b[i].vy -= dy * b[j].m * mag; b[i].vz -= dz * b[j].m * mag;
            b[j].vx += dx * b[i].m * mag; b[j].vy += dy * b[i].m * mag; b[j].vz += dz * b[i].m * mag;
        }
    for (int i = 0; i < n; i++) { b[i].x += dt * b[i].vx; b[i].y += dt * b[i].vy; b[i].z += dt * b[i].vz; }
}
double nbody_energy(const struct body *b, int n) {
    double e = 0;
    for (int i = 0; i < n; i++) {
        e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < n; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            e -= b[i].m * b[j].m / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}
void matmul(int n, const double *a, const double *b, double *c) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) { double s = 0; for (int k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j]; c[i * n + j] = s; }
}
void matmulf(const float *a, const float *b, float *restrict c) {
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) { float s = 0; for (int k = 0; k < 8; k++) s += a[i * 8 + k] * b[k * 8 + j]; c[i * 8 + j] = s; }
}
void matmul_ikj(int n, const float *restrict a, const float *restrict b, float *restrict c) {
    for (int i = 0; i < n; i++) for (int k = 0; k < n; k++) { float r = a[i * n + k]; for (int j = 0; j < n; j++) c[i * n + j] += r * b[k * n + j]; }
}
float dotf(const float *a, const float *b, int n) { float s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }
double dot_fast(const double *a, const double *b, int n) { double s0 = 0, s1 = 0; for (int i = 0; i + 1 < n; i += 2) { s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; } return s0 + s1; }
void daxpy(double *restrict y, const double *restrict x, double a, int n) { for (int i = 0; i < n; i++) y[i] += a * x[i]; }
void vdiv(double *restrict d, const double *restrict a, const double *restrict b, int n) { for (int i = 0; i < n; i++) d[i] = a[i] / b[i]; }
void vsqrtf(float *restrict d, const float *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = __builtin_sqrtf(a[i]); }
void vabsneg(float *restrict d, const float *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = -__builtin_fabsf(a[i]); }
void vminmaxf(float *restrict d, const float *restrict a, const float *restrict b, int n) { for (int i = 0; i < n; i++) d[i] = __builtin_fmaxf(a[i], b[i]) - __builtin_fminf(a[i], b[i]); }
void vcmpf(int *restrict d, const float *restrict a, const float *restrict b, int n) { for (int i = 0; i < n; i++) d[i] = a[i] < b[i] ? 1 : (a[i] == b[i] ? 2 : 3); }
void vselectd(double *restrict d, const double *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = a[i] > 0.0 ? a[i] : 0.0; }
void vcvt_fi(int *restrict d, const float *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = (int)a[i]; }
void vcvt_if(float *restrict d, const int *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = (float)a[i]; }
void vcvt_ud(double *restrict d, const unsigned long *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = (double)a[i]; }
void vcvt_du(unsigned long *restrict d, const double *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = (unsigned long)a[i]; }
void vnarrowd(float *restrict d, const double *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = (float)a[i]; }
void vwidenf(double *restrict d, const float *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = a[i]; }
void vrint(double *restrict d, const double *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = __builtin_floor(a[i]) + __builtin_ceil(a[i]) + __builtin_trunc(a[i]) + __builtin_round(a[i]); }
void vfma(float *restrict d, const float *restrict a, const float *restrict b, int n) { for (int i = 0; i < n; i++) d[i] = __builtin_fmaf(a[i], b[i], d[i]) - a[i] * 3.0f; }
float fsumf(const float *a, int n) { float s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
double maxd(const double *a, int n) { double m = -1e300; for (int i = 0; i < n; i++) m = a[i] > m ? a[i] : m; return m; }
double poly_horner(double x, const double *c, int n) { double r = 0; for (int i = n - 1; i >= 0; i--) r = r * x + c[i]; return r; }
float ffix(float x) { return __builtin_roundf(x) + __builtin_rintf(x) + __builtin_nearbyintf(x); }
long lround_(double x) { return __builtin_lround(x) + __builtin_lfloor(x) + __builtin_lceil(x); }
int f_to_i_fixed(float x) { return (int)(x * 65536.0f); }
float fixed_to_f(int x) { return x / 65536.0f; }
double fnm(double a, double b, double c) { return -(a * b) - c; }
double fnm2(double a, double b, double c) { return -(a * b) + c + -__builtin_fma(a, b, c); }
float fhalfadd(_Float16 a, _Float16 b) { return (float)(a + b); }
_Float16 fhalf(float a) { return (_Float16)a; }
int fcmp_set(double a, double b, double c) { return (a < b && b <= c) || a != c; }
double fcsel_chain(double a, double b, int k) { return k > 3 ? (a < b ? a : b) : (a >= b ? a - b : b - a); }
float fconst(float x) { return x * 0.1f + 1e10f - 2.5e-8f; }
double mandel(double cr, double ci) { double zr = 0, zi = 0; int k = 0; while (k < 100 && zr * zr + zi * zi < 4.0) { double t = zr * zr - zi * zi + cr; zi = 2 * zr * zi + ci; zr = t; k++; } return k; }
