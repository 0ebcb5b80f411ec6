/* Request/reply machinery shared by the MIG client stubs (spec §7). */
#include <mach/mach_init.h>
#include <mach/mach_interface.h>
#include <mach/mach_traps.h>
#include <mach/notify.h>
#include "mig_call.h"

const NDR_record_t NDR_record = {0, 0, 0, 0, 1, 0, 0, 0};

mach_port_t mig_get_reply_port(void)
{
    mach_port_t *reply_port = mig_reply_port_slot();
    if (*reply_port == MACH_PORT_NULL)
        *reply_port = mach_reply_port();
    return *reply_port;
}

/*
 * Forgets the reply port after a failed RPC: a stale reply or a send-once
 * notification may still arrive on it.  The next RPC gets a fresh one from
 * mach_reply_port(), and the old receive right is destroyed with it.
 */
void mig_dealloc_reply_port(void)
{
    mach_port_t *reply_port = mig_reply_port_slot();
    mach_port_t stale = *reply_port;
    *reply_port = MACH_PORT_NULL;
    if (stale != MACH_PORT_NULL)
        mach_port_mod_refs(mach_task_self(), stale, MACH_PORT_RIGHT_RECEIVE, -1);
}

/* spec §4: these send errors leave every right with the caller, the reply right included. */
static int reply_port_untouched(mach_msg_return_t mr)
{
    switch (mr) {
    case MACH_SEND_INVALID_DATA:
    case MACH_SEND_INVALID_DEST:
    case MACH_SEND_INVALID_VOUCHER:
    case MACH_SEND_MSG_TOO_SMALL:
    case MACH_SEND_NO_BUFFER:
    case MACH_SEND_TOO_LARGE:
    case MACH_SEND_INVALID_HEADER:
    case MACH_SEND_INVALID_OPTIONS:
        return 1;
    default:
        return 0;
    }
}

/*
 * Fills the header of the request in `msg`, sends it to `target` and
 * receives the reply into the same buffer (`rcv_size` bytes).  Returns the
 * mach_msg error, MIG_SERVER_DIED / MIG_REPLY_MISMATCH for a reply with the
 * wrong id, else MACH_MSG_SUCCESS; the caller then checks the reply's shape.
 */
mach_msg_return_t mig_call(mach_msg_header_t *msg, mach_port_t target, mach_msg_id_t id,
                           mach_msg_bits_t complex, mach_msg_size_t send_size, mach_msg_size_t rcv_size)
{
    mach_port_t reply = mig_get_reply_port();
    msg->msgh_bits = MIG_REQUEST_BITS | complex;
    msg->msgh_size = send_size;
    msg->msgh_remote_port = target;
    msg->msgh_local_port = reply;
    msg->msgh_voucher_port = MACH_PORT_NULL;
    msg->msgh_id = id;
    mach_msg_return_t mr = mach_msg(msg, MACH_SEND_MSG | MACH_RCV_MSG, send_size, rcv_size, reply,
                                    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS) {
        if (!reply_port_untouched(mr))
            mig_dealloc_reply_port();
        return mr;
    }
    if (msg->msgh_id != id + MIG_REPLY_ID_OFFSET)
        return msg->msgh_id == MACH_NOTIFY_SEND_ONCE ? MIG_SERVER_DIED : MIG_REPLY_MISMATCH;
    return MACH_MSG_SUCCESS;
}

/* The RetCode of a 36-byte error reply, or MIG_TYPE_ERROR for any other unexpected shape. */
static kern_return_t mig_error_reply(const mach_msg_header_t *reply)
{
    const mig_reply_error_t *error = (const mig_reply_error_t *)reply;
    if (!(reply->msgh_bits & MACH_MSGH_BITS_COMPLEX) && reply->msgh_size == sizeof(mig_reply_error_t)
        && error->RetCode != KERN_SUCCESS)
        return error->RetCode;
    return MIG_TYPE_ERROR;
}

/* A simple reply (header, NDR, RetCode, outputs) of `min_size`..`max_size` bytes: returns its RetCode. */
kern_return_t mig_check_simple(const mach_msg_header_t *reply, mach_msg_size_t min_size,
                               mach_msg_size_t max_size)
{
    if ((reply->msgh_bits & MACH_MSGH_BITS_COMPLEX) || reply->msgh_size < min_size
        || reply->msgh_size > max_size)
        return mig_error_reply(reply);
    return ((const mig_reply_error_t *)reply)->RetCode;
}

/* spec §7: a complex reply has no RetCode; a simple one in its place must carry an error. */
kern_return_t mig_check_complex(const mach_msg_header_t *reply, mach_msg_size_t size,
                                mach_msg_size_t descriptors)
{
    const mach_msg_body_t *body = (const mach_msg_body_t *)(reply + 1);
    if (!(reply->msgh_bits & MACH_MSGH_BITS_COMPLEX))
        return mig_error_reply(reply);
    if (reply->msgh_size != size || body->msgh_descriptor_count != descriptors)
        return MIG_TYPE_ERROR;
    return KERN_SUCCESS;
}

kern_return_t mig_check_port(const mach_msg_port_descriptor_t *port, mach_msg_type_name_t disposition)
{
    if (port->type != MACH_MSG_PORT_DESCRIPTOR || port->disposition != disposition)
        return MIG_TYPE_ERROR;
    return KERN_SUCCESS;
}

/*
 * A routine whose inline inputs are `nin` u32 words (after the NDR record; no
 * NDR when there are none) and whose simple reply is RetCode plus `min_out` to
 * `max_out` u32 words.  Stores the words and, if `nout` is given, their number.
 */
kern_return_t mig_call_words(mach_port_t target, mach_msg_id_t id, const uint32_t *in, unsigned nin,
                             uint32_t *out, unsigned min_out, unsigned max_out, unsigned *nout)
{
#pragma pack(push, 4)
    union {
        struct {
            mach_msg_header_t Head;
            NDR_record_t NDR;
            uint32_t words[MIG_WORDS_MAX];
        } In;
        struct {
            mig_reply_error_t Head;
            uint32_t words[MIG_WORDS_MAX];
        } Out;
        char room[sizeof(mig_reply_error_t) + 4 * MIG_WORDS_MAX + MAX_TRAILER_SIZE];
    } m;
#pragma pack(pop)
    if (nin > MIG_WORDS_MAX || max_out > MIG_WORDS_MAX)
        return MIG_ARRAY_TOO_LARGE;
    m.In.NDR = NDR_record;
    for (unsigned i = 0; i < nin; i++)
        m.In.words[i] = in[i];
    mach_msg_size_t send_size = nin ? sizeof(mach_msg_header_t) + sizeof(NDR_record_t) + 4 * nin
                                    : sizeof(mach_msg_header_t);
    mach_msg_return_t mr = mig_call(&m.In.Head, target, id, 0, send_size, sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    kern_return_t kr = mig_check_simple(&m.Out.Head.Head, sizeof(mig_reply_error_t) + 4 * min_out,
                                        sizeof(mig_reply_error_t) + 4 * max_out);
    if (kr != KERN_SUCCESS)
        return kr;
    unsigned n = (m.Out.Head.Head.msgh_size - sizeof(mig_reply_error_t)) / 4;
    for (unsigned i = 0; i < n; i++)
        out[i] = m.Out.words[i];
    if (nout != 0)
        *nout = n;
    return KERN_SUCCESS;
}
