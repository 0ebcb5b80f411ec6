/* MIG client stubs of subsystem mach 2000: tasks and virtual memory (spec §7). */
#include <mach/mach_interface.h>
#include "mig_call.h"

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t Head;
} empty_request_t;

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
#pragma pack(pop)

_Static_assert(sizeof(vm_allocate_request_t) == 52, "spec §7: vm_allocate request");
_Static_assert(sizeof(vm_allocate_reply_t) == 44, "spec §7: vm_allocate reply");
_Static_assert(sizeof(vm_deallocate_request_t) == 48, "spec §7: vm_deallocate request");

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
