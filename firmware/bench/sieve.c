/*
 * Sieve of Eratosthenes over a byte array, repeated: byte stores with a
 * stride, then a counting pass.  Full size about 1e8 guest instructions.
 */
#include "bench.h"

#define MAX_LIMIT 1000000

static uint8_t composite[MAX_LIMIT + 1];

__attribute__((noinline)) static uint32_t sieve(uint32_t limit)
{
    memset(composite, 0, limit + 1);
    for (uint32_t i = 2; i * i <= limit; i++)
        if (!composite[i])
            for (uint32_t j = i * i; j <= limit; j += i)
                composite[j] = 1;
    uint32_t count = 0;
    for (uint32_t i = 2; i <= limit; i++)
        count += !composite[i];
    return count;
}

int main(int argc, char **argv)
{
    int small = bench_small(argc, argv);
    uint32_t limit = small ? 20000 : MAX_LIMIT;
    uint32_t rounds = small ? 2 : 7;
    uint64_t checksum = 0;
    for (uint32_t r = 0; r < rounds; r++)
        checksum = checksum * 1000003 + sieve(limit - r);
    bench_report("sieve", checksum);
    return 0;
}
