/* MIG client stubs for the device subsystem 2800 (spec §7). */
#ifndef _DEVICE_DEVICE_H_
#define _DEVICE_DEVICE_H_

#include <device/device_types.h>
#include <mach/message.h>

kern_return_t device_open(mach_port_t master, dev_mode_t mode, const char *name, mach_port_t *device);
kern_return_t device_close(mach_port_t device);
kern_return_t device_write_inband(mach_port_t device, dev_mode_t mode, recnum_t recnum,
                                  const void *data, mach_msg_type_number_t count, int32_t *written);
kern_return_t device_read_inband(mach_port_t device, dev_mode_t mode, recnum_t recnum, int32_t wanted,
                                 void *data, mach_msg_type_number_t *count);

#endif
