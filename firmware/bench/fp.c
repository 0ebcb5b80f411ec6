/*
 * Floating point: a damped spring system integrated with explicit Euler
 * steps in double precision (multiply, add, compare, int conversion).  The
 * checksum is taken from the bits of the result, which IEEE-754 makes the
 * same on every architecture.  Full size about 1e8 guest instructions.
 */
#include "bench.h"

/* No fused multiply-add (aarch64 would contract a*b+c): one result on both architectures. */
#pragma GCC optimize("fp-contract=off")

#define MAX_BODIES 64

static double pos[MAX_BODIES], vel[MAX_BODIES];

__attribute__((noinline)) static void step(uint32_t n, double dt)
{
    for (uint32_t i = 0; i < n; i++) {
        double left = i ? pos[i - 1] : 0.0;
        double right = i + 1 < n ? pos[i + 1] : 0.0;
        double force = (left + right - 2.0 * pos[i]) * 0.5 - 0.01 * vel[i];
        vel[i] += force * dt;
        pos[i] += vel[i] * dt;
    }
}

int main(int argc, char **argv)
{
    uint32_t steps = bench_small(argc, argv) ? 250 : 50000;
    uint32_t seed = 5;
    for (int i = 0; i < MAX_BODIES; i++) {       /* serial dependency: scalar code, no packed converts */
        seed = seed * 1103515245u + 12345u;
        pos[i] = (double)(seed >> 20) / 256.0 - 2048.0;
        vel[i] = 0.0;
    }
    for (uint32_t s = 0; s < steps; s++)
        step(MAX_BODIES, 0.01);
    uint64_t checksum = 0;
    for (int i = 0; i < MAX_BODIES; i++) {
        uint64_t bits;
        memcpy(&bits, &pos[i], sizeof bits);
        checksum = checksum * 3 + bits + (uint64_t)(int64_t)(vel[i] * 1000.0);
    }
    bench_report("fp", checksum);
    return 0;
}
