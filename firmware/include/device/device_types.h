/* Device modes, errors and names (spec §5, §7 "Devices"). */
#ifndef _DEVICE_DEVICE_TYPES_H_
#define _DEVICE_DEVICE_TYPES_H_

#include <stdint.h>

typedef uint32_t dev_mode_t;
typedef uint32_t recnum_t;
typedef char dev_name_t[128];               /* spec §7 [chosen: CMU char[128]] */

#define D_READ      1
#define D_WRITE     2
#define D_NODELAY   4
#define D_NOWAIT    8

#define IO_INBAND_MAX 128                   /* inband data limit per call */

#define D_IO_ERROR          2500
#define D_WOULD_BLOCK       2501
#define D_NO_SUCH_DEVICE    2502
#define D_ALREADY_OPEN      2503
#define D_DEVICE_DOWN       2504
#define D_INVALID_OPERATION 2505
#define D_INVALID_RECNUM    2506
#define D_INVALID_SIZE      2507
#define D_NO_MEMORY         2508
#define D_READ_ONLY         2509

#endif
