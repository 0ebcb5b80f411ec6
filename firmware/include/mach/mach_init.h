/*
 * The task's well-known port names, picked up once at start-up from the
 * machr auxv keys (spec §10) so that no call needs a trap to find them.
 */
#ifndef _MACH_MACH_INIT_H_
#define _MACH_MACH_INIT_H_

#include <stdint.h>
#include <mach/port.h>

/* spec §10: auxv keys whose values are port names in the new task. */
#define AT_NULL                 0
#define AT_PHDR                 3
#define AT_PHENT                4
#define AT_PHNUM                5
#define AT_PAGESZ               6
#define AT_ENTRY                9
#define AT_MACHR_TASK_SELF       0x4D01
#define AT_MACHR_THREAD_SELF     0x4D02
#define AT_MACHR_HOST_PRIV       0x4D03
#define AT_MACHR_DEVICE_MASTER   0x4D04
#define AT_MACHR_BOOTSTRAP       0x4D05

/* Reads the auxv (pairs of u64 key, value ending with AT_NULL). */
void mach_init(const uint64_t *auxv);

mach_port_t mach_task_self(void);
mach_port_t mach_thread_self(void);
mach_port_t mach_host_self(void);       /* unprivileged host port */
mach_port_t mach_host_priv(void);       /* MACH_PORT_NULL unless given */
mach_port_t mach_device_master(void);   /* MACH_PORT_NULL unless given */
mach_port_t mach_bootstrap_port(void);

/* The per-thread MIG reply port (a single thread for now). */
mach_port_t mig_get_reply_port(void);
void mig_dealloc_reply_port(void);

#endif
