/* mach_msg(): the trap, retried after an abort unless the caller opted out (spec §4, CMU libmach). */
#include <mach/mach_traps.h>

mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option,
                           mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                           mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                           mach_port_name_t notify)
{
    mach_msg_return_t mr = mach_msg_trap(msg, option, send_size, rcv_size, rcv_name, timeout, notify);
    if (mr == MACH_MSG_SUCCESS)
        return mr;
    /* An interrupted send was pseudo-received into `msg`, so sending it again is the same send. */
    if ((option & MACH_SEND_INTERRUPT) == 0)
        while (mr == MACH_SEND_INTERRUPTED)
            mr = mach_msg_trap(msg, option, send_size, rcv_size, rcv_name, timeout, notify);
    /* The send part already happened: only the receive is repeated. */
    if ((option & MACH_RCV_INTERRUPT) == 0)
        while (mr == MACH_RCV_INTERRUPTED)
            mr = mach_msg_trap(msg, option & ~MACH_SEND_MSG, 0, rcv_size, rcv_name, timeout, notify);
    return mr;
}
