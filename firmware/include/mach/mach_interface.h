/*
 * Hand-written MIG client stubs for the kernel's RPCs (spec §7).  Each
 * returns the mach_msg error, a MIG_* error for a malformed reply, or the
 * server's RetCode.
 */
#ifndef _MACH_MACH_INTERFACE_H_
#define _MACH_MACH_INTERFACE_H_

#include <mach/message.h>
#include <mach/std_types.h>

/* spec §9: the largest thread state in words (CMU). */
#define THREAD_STATE_MAX 1024

/* mach 2000: tasks, threads and virtual memory */
kern_return_t task_create(mach_port_t parent, boolean_t inherit_memory, mach_port_t *child);
kern_return_t task_terminate(mach_port_t task);
kern_return_t thread_create_running(mach_port_t task, int32_t flavor, const natural_t *state,
                                    mach_msg_type_number_t count, mach_port_t *thread);
kern_return_t vm_write(mach_port_t task, vm_address_t address, const void *data, mach_msg_type_number_t count);
kern_return_t vm_allocate(mach_port_t task, vm_address_t *address, vm_size_t size, boolean_t anywhere);
kern_return_t vm_deallocate(mach_port_t task, vm_address_t address, vm_size_t size);

/* mach_host 2600 */
typedef char kernel_version_t[512];
kern_return_t host_kernel_version(mach_port_t host, kernel_version_t version);
kern_return_t host_reboot(mach_port_t host_priv, int options);

/* mach_port 3200 */
kern_return_t mach_port_allocate(mach_port_t task, mach_port_right_t right, mach_port_name_t *name);
kern_return_t mach_port_deallocate(mach_port_t task, mach_port_name_t name);
kern_return_t mach_port_get_refs(mach_port_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_urefs_t *refs);
kern_return_t mach_port_mod_refs(mach_port_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_delta_t delta);
kern_return_t mach_port_insert_right(mach_port_t task, mach_port_name_t name, mach_port_t poly,
                                     mach_msg_type_name_t poly_disposition);

#endif
