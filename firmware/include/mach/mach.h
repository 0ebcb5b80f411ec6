/* Everything a machr guest needs to talk to the kernel. */
#ifndef _MACH_MACH_H_
#define _MACH_MACH_H_

#include <mach/std_types.h>
#include <mach/kern_return.h>
#include <mach/port.h>
#include <mach/message.h>
#include <mach/ndr.h>
#include <mach/mig_errors.h>
#include <mach/notify.h>
#include <mach/mach_traps.h>
#include <mach/mach_init.h>
#include <mach/mach_interface.h>
#include <mach/task_special_ports.h>
#include <mach/exception_types.h>
#include <mach/thread_status.h>

#endif
