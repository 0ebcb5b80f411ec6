/*
 * mach_msg: header, descriptors, trailers, options and return codes
 * (spec §2.3-§2.6, §3, §4).  Structures are packed to 4 bytes because the
 * spec places u64 fields at 4-aligned offsets (descriptors start at 28).
 */
#ifndef _MACH_MESSAGE_H_
#define _MACH_MESSAGE_H_

#include <stddef.h>
#include <stdint.h>
#include <mach/kern_return.h>
#include <mach/port.h>

typedef uint32_t mach_msg_bits_t;
typedef uint32_t mach_msg_size_t;
typedef int32_t mach_msg_id_t;
typedef uint32_t mach_msg_timeout_t;       /* milliseconds */
typedef uint32_t mach_msg_type_name_t;
typedef uint32_t mach_msg_type_number_t;
typedef uint32_t mach_msg_descriptor_type_t;
typedef uint32_t mach_msg_copy_options_t;
typedef int32_t mach_msg_option_t;
typedef kern_return_t mach_msg_return_t;

#define MACH_MSG_TIMEOUT_NONE 0u

/* --- header bits (spec §2.3 [chosen: XNU 5-bit fields]) --- */
#define MACH_MSGH_BITS_ZERO             0u
#define MACH_MSGH_BITS_REMOTE_MASK      0x0000001Fu
#define MACH_MSGH_BITS_LOCAL_MASK       0x00001F00u
#define MACH_MSGH_BITS_VOUCHER_MASK     0x001F0000u
#define MACH_MSGH_BITS_COMPLEX          0x80000000u
#define MACH_MSGH_BITS_USER             0x801F1F1Fu
#define MACH_MSGH_BITS(remote, local)   ((mach_msg_bits_t)((remote) | ((local) << 8)))
#define MACH_MSGH_BITS_REMOTE(bits)     ((bits) & MACH_MSGH_BITS_REMOTE_MASK)
#define MACH_MSGH_BITS_LOCAL(bits)      (((bits) & MACH_MSGH_BITS_LOCAL_MASK) >> 8)

/* --- dispositions and received types (spec §3) --- */
#define MACH_MSG_TYPE_PORT_NAME         15
#define MACH_MSG_TYPE_MOVE_RECEIVE      16
#define MACH_MSG_TYPE_MOVE_SEND         17
#define MACH_MSG_TYPE_MOVE_SEND_ONCE    18
#define MACH_MSG_TYPE_COPY_SEND         19
#define MACH_MSG_TYPE_MAKE_SEND         20
#define MACH_MSG_TYPE_MAKE_SEND_ONCE    21
#define MACH_MSG_TYPE_COPY_RECEIVE      22
#define MACH_MSG_TYPE_PORT_RECEIVE      MACH_MSG_TYPE_MOVE_RECEIVE
#define MACH_MSG_TYPE_PORT_SEND         MACH_MSG_TYPE_MOVE_SEND
#define MACH_MSG_TYPE_PORT_SEND_ONCE    MACH_MSG_TYPE_MOVE_SEND_ONCE
#define MACH_MSG_TYPE_POLYMORPHIC       ((mach_msg_type_name_t)-1)

/* --- descriptor types and copy options (spec §2.4) --- */
#define MACH_MSG_PORT_DESCRIPTOR            0
#define MACH_MSG_OOL_DESCRIPTOR             1
#define MACH_MSG_OOL_PORTS_DESCRIPTOR       2
#define MACH_MSG_OOL_VOLATILE_DESCRIPTOR    3

#define MACH_MSG_PHYSICAL_COPY  0
#define MACH_MSG_VIRTUAL_COPY   1
#define MACH_MSG_ALLOCATE       2
#define MACH_MSG_OVERWRITE      3

#pragma pack(push, 4)

typedef struct {
    mach_msg_bits_t msgh_bits;
    mach_msg_size_t msgh_size;
    mach_port_t msgh_remote_port;
    mach_port_t msgh_local_port;
    mach_port_name_t msgh_voucher_port;     /* must be 0 (was CMU msgh_seqno) */
    mach_msg_id_t msgh_id;
} mach_msg_header_t;

typedef struct {
    mach_msg_size_t msgh_descriptor_count;
} mach_msg_body_t;

typedef struct {
    mach_port_t name;
    uint32_t pad1;
    uint16_t pad2;
    uint8_t disposition;
    uint8_t type;                           /* MACH_MSG_PORT_DESCRIPTOR */
} mach_msg_port_descriptor_t;

typedef struct {
    uint64_t address;
    uint8_t deallocate;
    uint8_t copy;
    uint8_t pad1;
    uint8_t type;                           /* MACH_MSG_OOL_DESCRIPTOR */
    mach_msg_size_t size;
} mach_msg_ool_descriptor_t;

typedef struct {
    uint64_t address;
    uint8_t deallocate;
    uint8_t copy;
    uint8_t disposition;
    uint8_t type;                           /* MACH_MSG_OOL_PORTS_DESCRIPTOR */
    mach_msg_size_t count;
} mach_msg_ool_ports_descriptor_t;

/* Every descriptor carries its type byte at offset 11. */
typedef union {
    mach_msg_port_descriptor_t port;
    mach_msg_ool_descriptor_t out_of_line;
    mach_msg_ool_ports_descriptor_t ool_ports;
} mach_msg_descriptor_t;

/* --- trailers (spec §2.5) --- */
typedef uint32_t mach_msg_trailer_type_t;
typedef uint32_t mach_msg_trailer_size_t;

typedef struct {
    mach_msg_trailer_type_t msgh_trailer_type;
    mach_msg_trailer_size_t msgh_trailer_size;
} mach_msg_trailer_t;

typedef struct {
    mach_msg_trailer_type_t msgh_trailer_type;
    mach_msg_trailer_size_t msgh_trailer_size;
    mach_port_seqno_t msgh_seqno;
} mach_msg_seqno_trailer_t;

typedef struct {
    uint32_t val[2];
} security_token_t;

typedef struct {
    mach_msg_trailer_type_t msgh_trailer_type;
    mach_msg_trailer_size_t msgh_trailer_size;
    mach_port_seqno_t msgh_seqno;
    security_token_t msgh_sender;
} mach_msg_security_trailer_t;

typedef mach_msg_security_trailer_t mach_msg_format_0_trailer_t;

#pragma pack(pop)

#define MACH_MSG_TRAILER_FORMAT_0       0
#define MACH_RCV_TRAILER_NULL           0
#define MACH_RCV_TRAILER_SEQNO          1
#define MACH_RCV_TRAILER_SENDER         2
#define MACH_RCV_TRAILER_AUDIT          3
#define MACH_RCV_TRAILER_CTX            4
#define MACH_RCV_TRAILER_TYPE(t)        (((t) & 0xF) << 28)
#define MACH_RCV_TRAILER_ELEMENTS(n)    (((n) & 0xF) << 24)
#define MACH_RCV_TRAILER_MASK           0xFF000000
#define MACH_MSG_TRAILER_MINIMUM_SIZE   8
#define MAX_TRAILER_SIZE                68  /* spec §2.5: elements 5-8 */

_Static_assert(sizeof(mach_msg_header_t) == 24, "spec §2.3");
_Static_assert(sizeof(mach_msg_port_descriptor_t) == 12, "spec §2.4");
_Static_assert(sizeof(mach_msg_ool_descriptor_t) == 16, "spec §2.4");
_Static_assert(sizeof(mach_msg_ool_ports_descriptor_t) == 16, "spec §2.4");
_Static_assert(offsetof(mach_msg_port_descriptor_t, disposition) == 10, "spec §2.4");
_Static_assert(offsetof(mach_msg_ool_descriptor_t, type) == 11, "spec §2.4");
_Static_assert(offsetof(mach_msg_ool_descriptor_t, size) == 12, "spec §2.4");
_Static_assert(sizeof(mach_msg_format_0_trailer_t) == 20, "spec §2.5");

/* --- options (spec §4) --- */
#define MACH_MSG_OPTION_NONE    0x00000000
#define MACH_SEND_MSG           0x00000001
#define MACH_RCV_MSG            0x00000002
#define MACH_RCV_LARGE          0x00000004
#define MACH_RCV_LARGE_IDENTITY 0x00000008
#define MACH_SEND_TIMEOUT       0x00000010
#define MACH_SEND_INTERRUPT     0x00000040
#define MACH_SEND_NOTIFY        0x00000080
#define MACH_RCV_TIMEOUT        0x00000100
#define MACH_RCV_NOTIFY         0x00000200
#define MACH_RCV_INTERRUPT      0x00000400
#define MACH_RCV_OVERWRITE      0x00001000
#define MACH_SEND_ALWAYS        0x00010000
#define MACH_SEND_TRAILER       0x00020000

/* --- return codes (spec §4) --- */
#define MACH_MSG_SUCCESS                0x00000000
#define MACH_MSG_MASK                   0x00003E00
#define MACH_MSG_IPC_SPACE              0x00002000
#define MACH_MSG_VM_SPACE               0x00001000
#define MACH_MSG_IPC_KERNEL             0x00000800
#define MACH_MSG_VM_KERNEL              0x00000400

#define MACH_SEND_IN_PROGRESS           0x10000001
#define MACH_SEND_INVALID_DATA          0x10000002
#define MACH_SEND_INVALID_DEST          0x10000003
#define MACH_SEND_TIMED_OUT             0x10000004
#define MACH_SEND_INVALID_VOUCHER       0x10000005
#define MACH_SEND_INTERRUPTED           0x10000007
#define MACH_SEND_MSG_TOO_SMALL         0x10000008
#define MACH_SEND_INVALID_REPLY         0x10000009
#define MACH_SEND_INVALID_RIGHT         0x1000000A
#define MACH_SEND_INVALID_NOTIFY        0x1000000B
#define MACH_SEND_INVALID_MEMORY        0x1000000C
#define MACH_SEND_NO_BUFFER             0x1000000D
#define MACH_SEND_TOO_LARGE             0x1000000E
#define MACH_SEND_INVALID_TYPE          0x1000000F
#define MACH_SEND_INVALID_HEADER        0x10000010
#define MACH_SEND_INVALID_TRAILER       0x10000011
#define MACH_SEND_INVALID_OPTIONS       0x10000013

#define MACH_RCV_IN_PROGRESS            0x10004001
#define MACH_RCV_INVALID_NAME           0x10004002
#define MACH_RCV_TIMED_OUT              0x10004003
#define MACH_RCV_TOO_LARGE              0x10004004
#define MACH_RCV_INTERRUPTED            0x10004005
#define MACH_RCV_PORT_CHANGED           0x10004006
#define MACH_RCV_INVALID_NOTIFY         0x10004007
#define MACH_RCV_INVALID_DATA           0x10004008
#define MACH_RCV_PORT_DIED              0x10004009
#define MACH_RCV_IN_SET                 0x1000400A
#define MACH_RCV_HEADER_ERROR           0x1000400B
#define MACH_RCV_BODY_ERROR             0x1000400C
#define MACH_RCV_INVALID_TYPE           0x1000400D
#define MACH_RCV_SCATTER_SMALL          0x1000400E
#define MACH_RCV_INVALID_TRAILER        0x1000400F
#define MACH_RCV_IN_PROGRESS_TIMED      0x10004011
#define MACH_RCV_INVALID_ARGUMENTS      0x10004013

/* mach_msg(): the trap plus the library's *_INTERRUPTED retries (spec §4). */
mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option,
                           mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                           mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                           mach_port_name_t notify);

#endif
