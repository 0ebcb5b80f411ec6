/*
 * Shared by the CPU benchmark workloads (machr bench): the size switch and
 * the checksum line.  `machr run --flags small ELF` passes argv[1] = "-small",
 * which selects the test size (about 1/200 of the full run) so lockstep tests
 * can run every workload in every tier.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline int bench_small(int argc, char **argv)
{
    return argc > 1 && strcmp(argv[1], "-small") == 0;
}

/* One line the bench harness and the tests compare across tiers and architectures. */
static inline void bench_report(const char *name, uint64_t checksum)
{
    printf("%s checksum 0x%016llx\n", name, (unsigned long long)checksum);
}

#endif
