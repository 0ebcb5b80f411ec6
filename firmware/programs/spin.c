/*
 * CPU-bound workload for the MIPS figures: about 2e7 guest instructions of
 * integer arithmetic, loads and stores to a small table and data-dependent
 * branches, with no kernel calls until the checksum is printed.
 */
#include <stdint.h>
#include <stdio.h>

#define ITERATIONS 1000000
#define TABLE_SIZE 64

static uint32_t table[TABLE_SIZE];

/* noinline keeps the loop one function for the instruction count measurements. */
__attribute__((noinline)) static uint32_t spin(uint32_t iterations)
{
    uint32_t x = 0x12345678, sum = 0;
    for (uint32_t i = 0; i < iterations; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint32_t slot = x & (TABLE_SIZE - 1);
        table[slot] += x;
        if (x & 0x100)
            sum += table[(slot + 1) & (TABLE_SIZE - 1)];
        else
            sum ^= x >> 3;
    }
    return sum;
}

int main(void)
{
    printf("spin checksum 0x%08x\n", spin(ITERATIONS));
    return 0;
}
