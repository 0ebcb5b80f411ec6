/*
 * Integer matrix multiply C = A x B (32-bit elements, 64-bit accumulators),
 * repeated with the result fed back: a triple loop of loads, multiplies and
 * strided accesses.  Full size about 1e8 guest instructions.
 */
#include "bench.h"

/* Scalar code on both architectures: the figure is for the integer pipeline, not SSE2/NEON lanes. */
#pragma GCC optimize("no-tree-vectorize")

#define MAX_N 96

static uint32_t a[MAX_N][MAX_N], b[MAX_N][MAX_N];
static uint64_t c[MAX_N][MAX_N];

__attribute__((noinline)) static void matmul(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            uint64_t acc = 0;
            for (uint32_t k = 0; k < n; k++)
                acc += (uint64_t)a[i][k] * b[k][j];
            c[i][j] = acc;
        }
}

int main(int argc, char **argv)
{
    int small = bench_small(argc, argv);
    uint32_t n = small ? 20 : MAX_N;
    uint32_t rounds = small ? 3 : 28;
    uint32_t seed = 3;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            seed = seed * 1103515245u + 12345u;
            a[i][j] = seed >> 12;
            b[i][j] = (seed >> 4) & 0xFFFF;
        }
    uint64_t checksum = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        matmul(n);
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t j = 0; j < n; j++) {
                checksum = checksum * 131 + c[i][j];
                a[i][j] = (uint32_t)c[i][j] ^ (uint32_t)(c[i][j] >> 32);
            }
    }
    bench_report("matmul", checksum);
    return 0;
}
