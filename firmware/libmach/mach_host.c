/* MIG client stubs of subsystem mach_host 2600 (spec §7). */
#include <string.h>
#include <mach/mach_interface.h>
#include "mig_call.h"

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    kern_return_t RetCode;
    kernel_version_t version;
} host_kernel_version_reply_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    int32_t options;
} host_reboot_request_t;
#pragma pack(pop)

_Static_assert(sizeof(host_kernel_version_reply_t) == 548, "spec §7: host_kernel_version reply");
_Static_assert(sizeof(host_reboot_request_t) == 36, "spec §7: host_reboot request");

/* 2619: header only (24); reply RetCode, char[512] NUL-terminated (548). */
kern_return_t host_kernel_version(mach_port_t host, kernel_version_t version)
{
    MIG_BUFFER(empty_request_t, host_kernel_version_reply_t) m;
    mach_msg_return_t mr = mig_call(&m.In.Head, host, 2619, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    kern_return_t kr = mig_check_simple(&m.Out.Head, sizeof(m.Out), sizeof(m.Out));
    if (kr == KERN_SUCCESS) {
        memcpy(version, m.Out.version, sizeof(kernel_version_t));
        version[sizeof(kernel_version_t) - 1] = '\0';
    }
    return kr;
}

/* 2635 on host_priv: NDR, options i32 (36); reply RetCode (36). */
kern_return_t host_reboot(mach_port_t host_priv, int options)
{
    MIG_BUFFER(host_reboot_request_t, mig_reply_error_t) m;
    m.In.NDR = NDR_record;
    m.In.options = options;
    mach_msg_return_t mr = mig_call(&m.In.Head, host_priv, 2635, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return mig_check_simple(&m.Out.Head, sizeof(m.Out), sizeof(m.Out));
}
