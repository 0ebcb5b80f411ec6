/*
 * The task's well-known port names (spec §10).  The kernel passes them in the
 * auxv; a task started some other way (task_create children that were not
 * given an auxv) falls back to the self traps for the ones traps can supply.
 */
#include <mach/mach_init.h>
#include <mach/mach_traps.h>

static mach_port_t task_self_name;
static mach_port_t thread_self_name;
static mach_port_t host_self_name;
static mach_port_t host_priv_name;
static mach_port_t device_master_name;
static mach_port_t bootstrap_name;

void mach_init(const uint64_t *auxv)
{
    for (; auxv != 0 && auxv[0] != AT_NULL; auxv += 2) {
        mach_port_t name = (mach_port_t)auxv[1];
        switch (auxv[0]) {
        case AT_MACHR_TASK_SELF: task_self_name = name; break;
        case AT_MACHR_THREAD_SELF: thread_self_name = name; break;
        case AT_MACHR_HOST_PRIV: host_priv_name = name; break;
        case AT_MACHR_DEVICE_MASTER: device_master_name = name; break;
        case AT_MACHR_BOOTSTRAP: bootstrap_name = name; break;
        default: break;
        }
    }
    if (task_self_name == MACH_PORT_NULL)
        task_self_name = task_self_trap();
    if (thread_self_name == MACH_PORT_NULL)
        thread_self_name = thread_self_trap();
}

mach_port_t mach_task_self(void)
{
    return task_self_name;
}

mach_port_t mach_thread_self(void)
{
    return thread_self_name;
}

/* Fetched on first use: only programs that ask the host anything need it. */
mach_port_t mach_host_self(void)
{
    if (host_self_name == MACH_PORT_NULL)
        host_self_name = host_self_trap();
    return host_self_name;
}

mach_port_t mach_host_priv(void)
{
    return host_priv_name;
}

mach_port_t mach_device_master(void)
{
    return device_master_name;
}

mach_port_t mach_bootstrap_port(void)
{
    return bootstrap_name;
}
