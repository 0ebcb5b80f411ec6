/* The NDR record that precedes a MIG message's inline data (spec §7). */
#ifndef _MACH_NDR_H_
#define _MACH_NDR_H_

#include <stdint.h>

typedef struct {
    uint8_t mig_vers;
    uint8_t if_vers;
    uint8_t reserved1;
    uint8_t mig_encoding;
    uint8_t int_rep;        /* 1 = little endian */
    uint8_t char_rep;       /* 0 = ASCII */
    uint8_t float_rep;      /* 0 = IEEE */
    uint8_t reserved2;
} NDR_record_t;

_Static_assert(sizeof(NDR_record_t) == 8, "spec §7: the NDR record is 8 bytes");

/* 00 00 00 00 01 00 00 00 */
extern const NDR_record_t NDR_record;

#endif
