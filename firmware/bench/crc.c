/*
 * Bitwise CRC-32 (reflected, polynomial 0xEDB88320) over a 4 KiB buffer,
 * repeated: a tight loop of shifts, masks and a data-dependent xor.
 * Full size about 1e8 guest instructions.
 */
#include "bench.h"

#define BUF_SIZE 4096

static uint8_t buf[BUF_SIZE];

__attribute__((noinline)) static uint32_t crc32(const uint8_t *p, uint32_t n, uint32_t crc)
{
    for (uint32_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return crc;
}

int main(int argc, char **argv)
{
    uint32_t rounds = bench_small(argc, argv) ? 2 : 450;
    uint32_t seed = 1;
    for (int i = 0; i < BUF_SIZE; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (uint8_t)(seed >> 16);
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t r = 0; r < rounds; r++)
        crc = crc32(buf, BUF_SIZE, crc);
    bench_report("crc", ~crc);
    return 0;
}
