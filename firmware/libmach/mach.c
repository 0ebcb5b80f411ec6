/* MIG client stubs of subsystem mach 2000: tasks and virtual memory (spec §7). */
#include <string.h>
#include <mach/mach_interface.h>
#include "mig_call.h"

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    vm_address_t address;
    vm_size_t size;
    boolean_t anywhere;
} vm_allocate_request_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    kern_return_t RetCode;
    vm_address_t address;
} vm_allocate_reply_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    vm_address_t address;
    vm_size_t size;
} vm_deallocate_request_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    boolean_t inherit_memory;
} task_create_request_t;

typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_ool_descriptor_t data;
    NDR_record_t NDR;
    vm_address_t address;
    mach_msg_type_number_t dataCnt;
} vm_write_request_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    int32_t flavor;
    mach_msg_type_number_t stateCnt;
    natural_t state[THREAD_STATE_MAX];
} thread_create_running_request_t;
#pragma pack(pop)

_Static_assert(sizeof(vm_allocate_request_t) == 52, "spec §7: vm_allocate request");
_Static_assert(sizeof(vm_allocate_reply_t) == 44, "spec §7: vm_allocate reply");
_Static_assert(sizeof(vm_deallocate_request_t) == 48, "spec §7: vm_deallocate request");
_Static_assert(sizeof(task_create_request_t) == 36, "spec §7: task_create request");
_Static_assert(sizeof(port_reply_t) == 40, "spec §7: task_create/thread_create_running reply");
_Static_assert(sizeof(vm_write_request_t) == 64, "spec §7: vm_write request");
_Static_assert(sizeof(thread_create_running_request_t) == 40 + 4 * THREAD_STATE_MAX, "spec §7");

/* Checks a reply carrying one send right (disposition 17) and stores its name. */
static kern_return_t take_port_reply(const port_reply_t *reply, mach_port_t *port)
{
    kern_return_t kr = mig_check_complex(&reply->Head, sizeof(*reply), 1);
    if (kr == KERN_SUCCESS)
        kr = mig_check_port(&reply->port, MACH_MSG_TYPE_PORT_SEND);
    if (kr == KERN_SUCCESS)
        *port = reply->port.name;
    return kr;
}

/* 2007: NDR, inherit_memory bool (36); reply COMPLEX, 1 port descriptor (17) (40). */
kern_return_t task_create(mach_port_t parent, boolean_t inherit_memory, mach_port_t *child)
{
    MIG_BUFFER(task_create_request_t, port_reply_t) m;
    m.In.NDR = NDR_record;
    m.In.inherit_memory = inherit_memory;
    mach_msg_return_t mr = mig_call(&m.In.Head, parent, 2007, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return take_port_reply(&m.Out, child);
}

/*
 * 2096: NDR, flavor i32, stateCnt u32, state words (40 + 4n); reply COMPLEX,
 * 1 port descriptor (17) (40).
 */
kern_return_t thread_create_running(mach_port_t task, int32_t flavor, const natural_t *state,
                                    mach_msg_type_number_t count, mach_port_t *thread)
{
    MIG_BUFFER(thread_create_running_request_t, port_reply_t) m;
    if (count > THREAD_STATE_MAX)
        return MIG_ARRAY_TOO_LARGE;
    m.In.NDR = NDR_record;
    m.In.flavor = flavor;
    m.In.stateCnt = count;
    memcpy(m.In.state, state, count * sizeof(natural_t));
    mach_msg_size_t send_size = sizeof(m.In) - sizeof(m.In.state) + count * sizeof(natural_t);
    mach_msg_return_t mr = mig_call(&m.In.Head, task, 2096, 0, send_size, sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return take_port_reply(&m.Out, thread);
}

/*
 * 2027: COMPLEX, 1 OOL descriptor (physical copy), NDR, address u64, dataCnt
 * u32 (64); reply RetCode (36).
 */
kern_return_t vm_write(mach_port_t task, vm_address_t address, const void *data, mach_msg_type_number_t count)
{
    MIG_BUFFER(vm_write_request_t, mig_reply_error_t) m;
    m.In.msgh_body.msgh_descriptor_count = 1;
    m.In.data = (mach_msg_ool_descriptor_t){.address = (uint64_t)(uintptr_t)data,
                                             .copy = MACH_MSG_PHYSICAL_COPY,
                                             .type = MACH_MSG_OOL_DESCRIPTOR,
                                             .size = count};
    m.In.NDR = NDR_record;
    m.In.address = address;
    m.In.dataCnt = count;
    mach_msg_return_t mr = mig_call(&m.In.Head, task, 2027, MACH_MSGH_BITS_COMPLEX, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return mig_check_simple(&m.Out.Head, sizeof(m.Out), sizeof(m.Out));
}

/* 2008: header only; reply RetCode (36).  Terminating oneself never returns. */
kern_return_t task_terminate(mach_port_t task)
{
    MIG_BUFFER(empty_request_t, mig_reply_error_t) m;
    mach_msg_return_t mr = mig_call(&m.In.Head, task, 2008, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return mig_check_simple(&m.Out.Head, sizeof(m.Out), sizeof(m.Out));
}

/* 2021: NDR, address u64, size u64, anywhere (52); reply RetCode, address u64 (44). */
kern_return_t vm_allocate(mach_port_t task, vm_address_t *address, vm_size_t size, boolean_t anywhere)
{
    MIG_BUFFER(vm_allocate_request_t, vm_allocate_reply_t) m;
    m.In.NDR = NDR_record;
    m.In.address = *address;
    m.In.size = size;
    m.In.anywhere = anywhere;
    mach_msg_return_t mr = mig_call(&m.In.Head, task, 2021, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    kern_return_t kr = mig_check_simple(&m.Out.Head, sizeof(m.Out), sizeof(m.Out));
    if (kr == KERN_SUCCESS)
        *address = m.Out.address;
    return kr;
}

/* 2023: NDR, address u64, size u64 (48); reply RetCode (36). */
kern_return_t vm_deallocate(mach_port_t task, vm_address_t address, vm_size_t size)
{
    MIG_BUFFER(vm_deallocate_request_t, mig_reply_error_t) m;
    m.In.NDR = NDR_record;
    m.In.address = address;
    m.In.size = size;
    mach_msg_return_t mr = mig_call(&m.In.Head, task, 2023, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return mig_check_simple(&m.Out.Head, sizeof(m.Out), sizeof(m.Out));
}

/* 2016 thread_terminate, 2062 thread_suspend, 2063 thread_resume, 2064 thread_abort: header only (24); reply (36). */
kern_return_t thread_terminate(mach_port_t thread)
{
    return mig_call_words(thread, 2016, 0, 0, 0, 0, 0, 0);
}

kern_return_t thread_abort(mach_port_t thread)
{
    return mig_call_words(thread, 2064, 0, 0, 0, 0, 0, 0);
}

/* 2024: NDR, address u64, size u64, set_maximum bool, new_protection i32 (56); reply RetCode (36). */
kern_return_t vm_protect(mach_port_t task, vm_address_t address, vm_size_t size, boolean_t set_maximum,
                         vm_prot_t new_protection)
{
    uint32_t in[6] = {(uint32_t)address, (uint32_t)(address >> 32), (uint32_t)size, (uint32_t)(size >> 32),
                      (uint32_t)set_maximum, (uint32_t)new_protection};
    return mig_call_words(task, 2024, in, 6, 0, 0, 0, 0);
}
