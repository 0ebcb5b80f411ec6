/* Notification message ids (spec §6, subsystem notify 64). */
#ifndef _MACH_NOTIFY_H_
#define _MACH_NOTIFY_H_

#define MACH_NOTIFY_FIRST           64
#define MACH_NOTIFY_PORT_DELETED    65
#define MACH_NOTIFY_PORT_DESTROYED  69
#define MACH_NOTIFY_NO_SENDERS      70
#define MACH_NOTIFY_SEND_ONCE       71
#define MACH_NOTIFY_DEAD_NAME       72

#endif
