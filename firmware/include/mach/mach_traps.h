/* Mach traps (spec §2.2); the stubs live in arch/<arch>/traps.S. */
#ifndef _MACH_MACH_TRAPS_H_
#define _MACH_MACH_TRAPS_H_

#include <mach/message.h>
#include <mach/std_types.h>

#define MACH_MSG_TRAP               (-25)
#define MACH_REPLY_PORT             (-26)
#define THREAD_SELF_TRAP            (-27)
#define TASK_SELF_TRAP              (-28)
#define HOST_SELF_TRAP              (-29)
#define MACH_PRINT                  (-30)
#define SWTCH                       (-60)

mach_msg_return_t mach_msg_trap(mach_msg_header_t *msg, mach_msg_option_t option,
                                mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                                mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                                mach_port_name_t notify);
mach_port_t mach_reply_port(void);
mach_port_t thread_self_trap(void);
mach_port_t task_self_trap(void);
mach_port_t host_self_trap(void);
kern_return_t mach_print(const char *str);     /* optional in the kernel */
boolean_t swtch(void);                         /* yield; TRUE if others are runnable */

#endif
