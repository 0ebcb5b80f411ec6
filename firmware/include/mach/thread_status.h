/* Thread state flavors and their sizes in 4-byte words (spec §9). */
#ifndef _MACH_THREAD_STATUS_H_
#define _MACH_THREAD_STATUS_H_

#define x86_THREAD_STATE64          4
#define x86_THREAD_STATE64_COUNT    42
#define x86_FLOAT_STATE64           5
#define x86_FLOAT_STATE64_COUNT     131
#define x86_EXCEPTION_STATE64       6
#define x86_EXCEPTION_STATE64_COUNT 4

#define ARM_THREAD_STATE64          6
#define ARM_THREAD_STATE64_COUNT    68
#define ARM_EXCEPTION_STATE64       7
#define ARM_EXCEPTION_STATE64_COUNT 4
#define ARM_NEON_STATE64            17
#define ARM_NEON_STATE64_COUNT      132

#endif
