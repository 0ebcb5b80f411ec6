/* Task and thread special port numbers (spec §10). */
#ifndef _MACH_TASK_SPECIAL_PORTS_H_
#define _MACH_TASK_SPECIAL_PORTS_H_

#define TASK_KERNEL_PORT    1
#define TASK_HOST_PORT      2
#define TASK_BOOTSTRAP_PORT 4
#define THREAD_KERNEL_PORT  1

#endif
