/*
 * host_reboot() options.  Mach took these from 4.3BSD <sys/reboot.h>; CMU and
 * GNU Mach document RB_HALT as "for host_reboot(): don't reboot, just halt".
 */
#ifndef _SYS_REBOOT_H_
#define _SYS_REBOOT_H_

#define RB_AUTOBOOT 0x00
#define RB_ASKNAME  0x01
#define RB_SINGLE   0x02
#define RB_KDB      0x04
#define RB_HALT     0x08

#endif
