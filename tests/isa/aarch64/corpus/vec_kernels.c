/* Corpus: integer vector loops gcc -O2/-O3 vectorises (memcpy/memset/strlen
 * style, CRC, sorting networks, histograms, byte shuffles, widening maths). */
#include <stdint.h>
typedef unsigned long size_t;
void copy_bytes(unsigned char *restrict d, const unsigned char *restrict s, size_t n) { for (size_t i = 0; i < n; i++) d[i] = s[i]; }
void copy_words(uint64_t *restrict d, const uint64_t *restrict s, size_t n) { for (size_t i = 0; i < n; i++) d[i] = s[i]; }
void set_bytes(unsigned char *d, unsigned char c, size_t n) { for (size_t i = 0; i < n; i++) d[i] = c; }
size_t count_nonzero(const unsigned char *s, size_t n) { size_t k = 0; for (size_t i = 0; i < n; i++) k += s[i] != 0; return k; }
int find_byte(const unsigned char *s, size_t n, unsigned char c) { int r = -1; for (size_t i = 0; i < n; i++) if (s[i] == c && r < 0) r = (int)i; return r; }
uint32_t crc32_sw(const unsigned char *p, size_t n) {
    uint32_t c = ~0u;
    for (size_t i = 0; i < n; i++) { c ^= p[i]; for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1)); }
    return ~c;
}
uint32_t adler32(const unsigned char *p, size_t n) { uint32_t a = 1, b = 0; for (size_t i = 0; i < n; i++) { a = (a + p[i]) % 65521; b = (b + a) % 65521; } return (b << 16) | a; }
void histogram(uint32_t *restrict h, const unsigned char *restrict p, size_t n) { for (size_t i = 0; i < n; i++) h[p[i]]++; }
void sort4(int *a) { for (int i = 0; i < 4; i++) for (int j = 0; j < 3 - i; j++) { int x = a[j], y = a[j + 1]; a[j] = x < y ? x : y; a[j + 1] = x < y ? y : x; } }
void minmax_pairs(int *restrict lo, int *restrict hi, const int *restrict a, const int *restrict b, int n) { for (int i = 0; i < n; i++) { lo[i] = a[i] < b[i] ? a[i] : b[i]; hi[i] = a[i] < b[i] ? b[i] : a[i]; } }
void insertion_sort(int *a, int n) { for (int i = 1; i < n; i++) { int x = a[i], j = i - 1; while (j >= 0 && a[j] > x) { a[j + 1] = a[j]; j--; } a[j + 1] = x; } }
void u8_add_sat(unsigned char *restrict d, const unsigned char *restrict a, int n) { for (int i = 0; i < n; i++) { unsigned v = d[i] + a[i]; d[i] = v > 255 ? 255 : v; } }
void widen_mul(int *restrict d, const short *restrict a, const short *restrict b, int n) { for (int i = 0; i < n; i++) d[i] = a[i] * b[i]; }
void widen_mul_u(uint64_t *restrict d, const uint32_t *restrict a, const uint32_t *restrict b, int n) { for (int i = 0; i < n; i++) d[i] = (uint64_t)a[i] * b[i]; }
long sum_widen(const short *a, int n) { long s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
unsigned sum_bytes(const unsigned char *a, int n) { unsigned s = 0; for (int i = 0; i < n; i++) s += a[i] * 2 + 1; return s; }
int popcount_arr(const uint64_t *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += __builtin_popcountl(a[i]); return s; }
int popcount1(unsigned long x) { return __builtin_popcountl(x); }
void shuffle_rev(unsigned char *restrict d, const unsigned char *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = s[n - 1 - i]; }
void rgb_to_gray(unsigned char *restrict g, const unsigned char *restrict rgb, int n) { for (int i = 0; i < n; i++) g[i] = (rgb[3 * i] * 77 + rgb[3 * i + 1] * 150 + rgb[3 * i + 2] * 29) >> 8; }
void split4(int *restrict a, int *restrict b, int *restrict c, int *restrict d, const int *restrict s, int n) { for (int i = 0; i < n; i++) { a[i] = s[4 * i]; b[i] = s[4 * i + 1]; c[i] = s[4 * i + 2]; d[i] = s[4 * i + 3]; } }
void join3(short *restrict d, const short *restrict a, const short *restrict b, const short *restrict c, int n) { for (int i = 0; i < n; i++) { d[3 * i] = a[i]; d[3 * i + 1] = b[i]; d[3 * i + 2] = c[i]; } }
void avg_u8(unsigned char *restrict d, const unsigned char *restrict a, const unsigned char *restrict b, int n) { for (int i = 0; i < n; i++) d[i] = (a[i] + b[i] + 1) >> 1; }
void absdiff(int *restrict d, const int *restrict a, const int *restrict b, int n) { for (int i = 0; i < n; i++) { int x = a[i] - b[i]; d[i] = x < 0 ? -x : x; } }
void mask_bits(uint32_t *restrict d, const uint32_t *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = (a[i] & 0xFF00FF) | ((a[i] >> 8) & 0xFF); }
void shr_narrow(unsigned short *restrict d, const uint32_t *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = a[i] >> 16; }
void sra_acc(int *restrict d, const int *restrict a, int n) { for (int i = 0; i < n; i++) d[i] += a[i] >> 3; }
void shl_var(uint32_t *restrict d, const uint32_t *restrict a, const uint32_t *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = a[i] << (s[i] & 31); }
void mla_loop(int *restrict d, const int *restrict a, const int *restrict b, int n) { for (int i = 0; i < n; i++) d[i] += a[i] * b[i]; }
void bswap_arr(uint32_t *restrict d, const uint32_t *restrict a, int n) { for (int i = 0; i < n; i++) d[i] = __builtin_bswap32(a[i]); }
int all_zero(const uint64_t *a, int n) { uint64_t acc = 0; for (int i = 0; i < n; i++) acc |= a[i]; return acc == 0; }
int64_t dot_i16(const short *a, const short *b, int n) { int64_t s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }
unsigned char max_u8(const unsigned char *a, int n) { unsigned char m = 0; for (int i = 0; i < n; i++) m = a[i] > m ? a[i] : m; return m; }
short min_s16(const short *a, int n) { short m = 32767; for (int i = 0; i < n; i++) m = a[i] < m ? a[i] : m; return m; }
void lane_set(uint32_t *d, uint32_t a, uint32_t b) { for (int i = 0; i < 8; i += 2) { d[i] = a; d[i + 1] = b; } }
void tolower_arr(char *restrict d, const char *restrict s, int n) { for (int i = 0; i < n; i++) { char c = s[i]; d[i] = (c >= 'A' && c <= 'Z') ? c + 32 : c; } }
struct quad { long a, b, c, d; };
void struct_copy(struct quad *restrict d, const struct quad *restrict s) { *d = *s; }
long prefetch_sum(const long *p, long n) { long s = 0; for (long i = 0; i < n; i++) { __builtin_prefetch(p + i + 16); __builtin_prefetch(p - 3 + i, 1, 0); s += p[i]; } return s; }
