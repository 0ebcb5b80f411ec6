/* Port names, rights and types (spec §1, §3). */
#ifndef _MACH_PORT_H_
#define _MACH_PORT_H_

#include <stdint.h>

typedef uint32_t mach_port_name_t;
typedef mach_port_name_t mach_port_t;   /* user-side mach_port_t is a name */
typedef uint32_t mach_port_right_t;
typedef uint32_t mach_port_type_t;
typedef uint32_t mach_port_urefs_t;
typedef int32_t mach_port_delta_t;
typedef uint32_t mach_port_mscount_t;
typedef uint32_t mach_port_seqno_t;

#define MACH_PORT_NULL 0u
#define MACH_PORT_DEAD 0xFFFFFFFFu
#define MACH_PORT_VALID(name) ((name) != MACH_PORT_NULL && (name) != MACH_PORT_DEAD)

#define MACH_PORT_RIGHT_SEND        0
#define MACH_PORT_RIGHT_RECEIVE     1
#define MACH_PORT_RIGHT_SEND_ONCE   2
#define MACH_PORT_RIGHT_PORT_SET    3
#define MACH_PORT_RIGHT_DEAD_NAME   4

#define MACH_PORT_TYPE(right)       (1u << ((right) + 16))
#define MACH_PORT_TYPE_NONE         0u
#define MACH_PORT_TYPE_SEND         0x10000u
#define MACH_PORT_TYPE_RECEIVE      0x20000u
#define MACH_PORT_TYPE_SEND_ONCE    0x40000u
#define MACH_PORT_TYPE_PORT_SET     0x80000u
#define MACH_PORT_TYPE_DEAD_NAME    0x100000u
#define MACH_PORT_TYPE_DNREQUEST    0x80000000u

#define MACH_PORT_UREFS_MAX         0xFFFFu
#define MACH_PORT_QLIMIT_DEFAULT    5
#define MACH_PORT_QLIMIT_MAX        1024

#endif
