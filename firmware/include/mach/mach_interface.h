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
kern_return_t vm_protect(mach_port_t task, vm_address_t address, vm_size_t size, boolean_t set_maximum,
                         vm_prot_t new_protection);
kern_return_t thread_terminate(mach_port_t thread);
kern_return_t thread_abort(mach_port_t thread);

/*
 * libmach/thread.c: runs fn(arg) in a new thread of this task (thread_create_running with
 * a 64 KiB stack and the arch's §9 thread state); the thread terminates itself when fn returns.
 * At most 8 spawned threads at once.  *thread gets a send right to the new thread.
 */
kern_return_t thread_spawn(void (*fn)(void *), void *arg, mach_port_t *thread);

/* mach_host 2600 */
typedef char kernel_version_t[512];
kern_return_t host_kernel_version(mach_port_t host, kernel_version_t version);
kern_return_t host_reboot(mach_port_t host_priv, int options);

/* mach_port 3200 */
/* spec §7 mach_port_get_receive_status / MACH_PORT_RECEIVE_STATUS (10 words [chosen: XNU form]). */
typedef struct {
    mach_port_name_t mps_pset;
    mach_port_seqno_t mps_seqno;
    mach_port_mscount_t mps_mscount;
    natural_t mps_qlimit;
    natural_t mps_msgcount;
    natural_t mps_sorights;
    boolean_t mps_srights;
    boolean_t mps_pdrequest;
    boolean_t mps_nsrequest;
    natural_t mps_flags;
} mach_port_status_t;

#define MACH_PORT_LIMITS_INFO       1
#define MACH_PORT_RECEIVE_STATUS    2
#define MACH_PORT_DNREQUESTS_SIZE   3

kern_return_t mach_port_names(mach_port_t task, mach_port_name_t **names, mach_msg_type_number_t *names_count,
                              mach_port_type_t **types, mach_msg_type_number_t *types_count);
kern_return_t mach_port_type(mach_port_t task, mach_port_name_t name, mach_port_type_t *ptype);
kern_return_t mach_port_rename(mach_port_t task, mach_port_name_t old_name, mach_port_name_t new_name);
kern_return_t mach_port_allocate_name(mach_port_t task, mach_port_right_t right, mach_port_name_t name);
kern_return_t mach_port_allocate(mach_port_t task, mach_port_right_t right, mach_port_name_t *name);
kern_return_t mach_port_destroy(mach_port_t task, mach_port_name_t name);
kern_return_t mach_port_deallocate(mach_port_t task, mach_port_name_t name);
kern_return_t mach_port_get_refs(mach_port_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_urefs_t *refs);
kern_return_t mach_port_mod_refs(mach_port_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_delta_t delta);
/* 3210 set_qlimit, 3211 set_mscount, 3218 set_seqno share one layout. */
kern_return_t mach_port_set_value(mach_port_t task, mach_msg_id_t id, mach_port_name_t name, uint32_t value);
#define mach_port_set_qlimit(task, name, v) mach_port_set_value(task, 3210, name, v)
#define mach_port_set_mscount(task, name, v) mach_port_set_value(task, 3211, name, v)
#define mach_port_set_seqno(task, name, v) mach_port_set_value(task, 3218, name, v)
kern_return_t mach_port_get_set_status(mach_port_t task, mach_port_name_t name, mach_port_name_t **members,
                                       mach_msg_type_number_t *count);
kern_return_t mach_port_move_member(mach_port_t task, mach_port_name_t member, mach_port_name_t after);
kern_return_t mach_port_request_notification(mach_port_t task, mach_port_name_t name, mach_msg_id_t msgid,
                                             mach_port_mscount_t sync, mach_port_t notify,
                                             mach_msg_type_name_t notify_disposition, mach_port_t *previous);
kern_return_t mach_port_insert_right(mach_port_t task, mach_port_name_t name, mach_port_t poly,
                                     mach_msg_type_name_t poly_disposition);
kern_return_t mach_port_extract_right(mach_port_t task, mach_port_name_t name, mach_msg_type_name_t disposition,
                                      mach_port_t *poly, mach_msg_type_name_t *poly_type);
kern_return_t mach_port_get_receive_status(mach_port_t task, mach_port_name_t name, mach_port_status_t *status);
kern_return_t mach_port_get_attributes(mach_port_t task, mach_port_name_t name, int32_t flavor, uint32_t *info,
                                       mach_msg_type_number_t *count);
kern_return_t mach_port_set_attributes(mach_port_t task, mach_port_name_t name, int32_t flavor,
                                       const uint32_t *info, mach_msg_type_number_t count);

#endif
