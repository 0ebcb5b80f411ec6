/* MIG client stubs of subsystem device 2800 (spec §7 "Devices"). */
#include <string.h>
#include <device/device.h>
#include "mig_call.h"

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    dev_mode_t mode;
    dev_name_t name;
} device_open_request_t;

typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_port_descriptor_t device;
} device_open_reply_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    dev_mode_t mode;
    recnum_t recnum;
    mach_msg_type_number_t dataCnt;
    char data[IO_INBAND_MAX];
} device_write_inband_request_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    kern_return_t RetCode;
    int32_t written;
} device_write_inband_reply_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    dev_mode_t mode;
    recnum_t recnum;
    int32_t wanted;
} device_read_inband_request_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    kern_return_t RetCode;
    mach_msg_type_number_t dataCnt;
    char data[IO_INBAND_MAX];
} device_read_inband_reply_t;
#pragma pack(pop)

_Static_assert(sizeof(device_open_request_t) == 164, "spec §7: device_open request");
_Static_assert(sizeof(device_open_reply_t) == 40, "spec §7: device_open reply");
_Static_assert(sizeof(device_write_inband_request_t) == 44 + IO_INBAND_MAX, "spec §7: device_write_inband");
_Static_assert(sizeof(device_write_inband_reply_t) == 40, "spec §7: device_write_inband reply");
_Static_assert(sizeof(device_read_inband_request_t) == 44, "spec §7: device_read_inband request");
_Static_assert(sizeof(device_read_inband_reply_t) == 40 + IO_INBAND_MAX, "spec §7: device_read_inband reply");

/* spec §2.6: MIG pads variable inline data to 4 bytes. */
static mach_msg_size_t round4(mach_msg_size_t n)
{
    return (n + 3) & ~3u;
}

/* 2800: NDR, mode u32, name char[128] zero-padded (164); reply COMPLEX, 1 port descriptor (17) (40). */
kern_return_t device_open(mach_port_t master, dev_mode_t mode, const char *name, mach_port_t *device)
{
    MIG_BUFFER(device_open_request_t, device_open_reply_t) m;
    m.In.NDR = NDR_record;
    m.In.mode = mode;
    strncpy(m.In.name, name, sizeof(m.In.name) - 1);
    m.In.name[sizeof(m.In.name) - 1] = '\0';
    mach_msg_return_t mr = mig_call(&m.In.Head, master, 2800, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    kern_return_t kr = mig_check_complex(&m.Out.Head, sizeof(m.Out), 1);
    if (kr == KERN_SUCCESS)
        kr = mig_check_port(&m.Out.device, MACH_MSG_TYPE_PORT_SEND);
    if (kr == KERN_SUCCESS)
        *device = m.Out.device.name;
    return kr;
}

/* 2801: header only (24); reply RetCode (36). */
kern_return_t device_close(mach_port_t device)
{
    MIG_BUFFER(empty_request_t, mig_reply_error_t) m;
    mach_msg_return_t mr = mig_call(&m.In.Head, device, 2801, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return mig_check_simple(&m.Out.Head, sizeof(m.Out), sizeof(m.Out));
}

/*
 * 2803: NDR, mode u32, recnum u32, dataCnt u32, data padded to 4 (44 + n);
 * reply RetCode, written i32 (40).  At most IO_INBAND_MAX bytes per call.
 */
kern_return_t device_write_inband(mach_port_t device, dev_mode_t mode, recnum_t recnum,
                                  const void *data, mach_msg_type_number_t count, int32_t *written)
{
    MIG_BUFFER(device_write_inband_request_t, device_write_inband_reply_t) m;
    if (count > IO_INBAND_MAX)
        return MIG_ARRAY_TOO_LARGE;
    m.In.NDR = NDR_record;
    m.In.mode = mode;
    m.In.recnum = recnum;
    m.In.dataCnt = count;
    memcpy(m.In.data, data, count);
    memset(m.In.data + count, 0, round4(count) - count);
    mach_msg_size_t send_size = sizeof(m.In) - IO_INBAND_MAX + round4(count);
    mach_msg_return_t mr = mig_call(&m.In.Head, device, 2803, 0, send_size, sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    kern_return_t kr = mig_check_simple(&m.Out.Head, sizeof(m.Out), sizeof(m.Out));
    if (kr == KERN_SUCCESS)
        *written = m.Out.written;
    return kr;
}

/*
 * 2805: NDR, mode u32, recnum u32, wanted i32 (44); reply RetCode, dataCnt
 * u32, data padded to 4 (40 + n).  `data` must hold `wanted` bytes.
 */
kern_return_t device_read_inband(mach_port_t device, dev_mode_t mode, recnum_t recnum, int32_t wanted,
                                 void *data, mach_msg_type_number_t *count)
{
    MIG_BUFFER(device_read_inband_request_t, device_read_inband_reply_t) m;
    m.In.NDR = NDR_record;
    m.In.mode = mode;
    m.In.recnum = recnum;
    m.In.wanted = wanted;
    mach_msg_return_t mr = mig_call(&m.In.Head, device, 2805, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    mach_msg_size_t fixed = sizeof(m.Out) - IO_INBAND_MAX;
    kern_return_t kr = mig_check_simple(&m.Out.Head, fixed, sizeof(m.Out));
    if (kr != KERN_SUCCESS)
        return kr;
    mach_msg_type_number_t n = m.Out.dataCnt;
    if (n > IO_INBAND_MAX || m.Out.Head.msgh_size != fixed + round4(n))
        return MIG_TYPE_ERROR;
    if (wanted < 0 || n > (mach_msg_type_number_t)wanted)
        return MIG_ARRAY_TOO_LARGE;
    memcpy(data, m.Out.data, n);
    *count = n;
    return KERN_SUCCESS;
}
