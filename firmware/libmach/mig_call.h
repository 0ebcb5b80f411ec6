/*
 * The parts every hand-written MIG client stub shares (spec §7): sending the
 * request with a send-once reply right, receiving the reply on the same
 * buffer and the reply checks MIG-generated clients make.
 */
#ifndef _LIBMACH_MIG_CALL_H_
#define _LIBMACH_MIG_CALL_H_

#include <mach/mig_errors.h>

/* spec §7: request bits: remote COPY_SEND, local MAKE_SEND_ONCE (0x1513). */
#define MIG_REQUEST_BITS MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE)

#pragma pack(push, 4)
/* A request with no body (routines with no inputs). */
typedef struct {
    mach_msg_header_t Head;
} empty_request_t;

/* The reply of every routine whose only output is a send right. */
typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_port_descriptor_t port;
} port_reply_t;
#pragma pack(pop)

/* A message buffer big enough for a request, its reply and the largest trailer. */
#define MIG_BUFFER(Request, Reply)                              \
    union {                                                     \
        Request In;                                             \
        Reply Out;                                              \
        mig_reply_error_t Error;                                \
        char room[sizeof(Reply) + MAX_TRAILER_SIZE];            \
    }

mach_msg_return_t mig_call(mach_msg_header_t *msg, mach_port_t target, mach_msg_id_t id,
                           mach_msg_bits_t complex, mach_msg_size_t send_size, mach_msg_size_t rcv_size);
kern_return_t mig_check_simple(const mach_msg_header_t *reply, mach_msg_size_t min_size,
                               mach_msg_size_t max_size);
kern_return_t mig_check_complex(const mach_msg_header_t *reply, mach_msg_size_t size,
                                mach_msg_size_t descriptors);
/* The most u32 words mig_call_words passes either way. */
#define MIG_WORDS_MAX 24
kern_return_t mig_call_words(mach_port_t target, mach_msg_id_t id, const uint32_t *in, unsigned nin,
                             uint32_t *out, unsigned min_out, unsigned max_out, unsigned *nout);
/* The reply port variable of the calling thread (libmach/thread.c). */
mach_port_t *mig_reply_port_slot(void);
kern_return_t mig_check_port(const mach_msg_port_descriptor_t *port, mach_msg_type_name_t disposition);

#endif
