/* Request/reply machinery shared by the MIG client stubs (spec §7). */
#include <mach/mach_init.h>
#include <mach/mach_interface.h>
#include <mach/mach_traps.h>
#include <mach/notify.h>
#include "mig_call.h"

const NDR_record_t NDR_record = {0, 0, 0, 0, 1, 0, 0, 0};

static mach_port_t reply_port;

mach_port_t mig_get_reply_port(void)
{
    if (reply_port == MACH_PORT_NULL)
        reply_port = mach_reply_port();
    return reply_port;
}

/*
 * Forgets the reply port after a failed RPC: a stale reply or a send-once
 * notification may still arrive on it.  The next RPC gets a fresh one from
 * mach_reply_port(), and the old receive right is destroyed with it.
 */
void mig_dealloc_reply_port(void)
{
    mach_port_t stale = reply_port;
    reply_port = MACH_PORT_NULL;
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
