/* MIG client stubs of subsystem mach_port 3200 (spec §7). */
#include <mach/mach_interface.h>
#include "mig_call.h"

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_port_descriptor_t poly;
    NDR_record_t NDR;
    mach_port_name_t name;
} insert_right_request_t;

typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_port_descriptor_t notify;
    NDR_record_t NDR;
    mach_port_name_t name;
    mach_msg_id_t msgid;
    mach_port_mscount_t sync;
} request_notification_request_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    mach_port_name_t name;
    uint32_t value;
} name_value_request_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    mach_port_name_t name;
} name_request_t;

typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_ool_descriptor_t members;
    NDR_record_t NDR;
    mach_msg_type_number_t membersCnt;
} get_set_status_reply_t;

typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_ool_descriptor_t names;
    mach_msg_ool_descriptor_t types;
    NDR_record_t NDR;
    mach_msg_type_number_t namesCnt;
    mach_msg_type_number_t typesCnt;
} names_reply_t;
#pragma pack(pop)

_Static_assert(sizeof(insert_right_request_t) == 52, "spec §7: mach_port_insert_right request");
_Static_assert(sizeof(request_notification_request_t) == 60, "spec §7: request_notification request");
_Static_assert(sizeof(port_reply_t) == 40, "spec §7: one-port reply");
_Static_assert(sizeof(get_set_status_reply_t) == 56, "spec §7: mach_port_get_set_status reply");
_Static_assert(sizeof(names_reply_t) == 76, "spec §7: mach_port_names reply");

/* 3204: right (36); reply name (40). */
kern_return_t mach_port_allocate(mach_port_t task, mach_port_right_t right, mach_port_name_t *name)
{
    return mig_call_words(task, 3204, &right, 1, name, 1, 1, 0);
}

/* 3203: right, name (40); reply RetCode (36). */
kern_return_t mach_port_allocate_name(mach_port_t task, mach_port_right_t right, mach_port_name_t name)
{
    uint32_t in[2] = {right, name};
    return mig_call_words(task, 3203, in, 2, 0, 0, 0, 0);
}

/* 3201: name (36); reply ptype (40). */
kern_return_t mach_port_type(mach_port_t task, mach_port_name_t name, mach_port_type_t *ptype)
{
    return mig_call_words(task, 3201, &name, 1, ptype, 1, 1, 0);
}

/* 3202: old_name, new_name (40); reply RetCode (36). */
kern_return_t mach_port_rename(mach_port_t task, mach_port_name_t old_name, mach_port_name_t new_name)
{
    uint32_t in[2] = {old_name, new_name};
    return mig_call_words(task, 3202, in, 2, 0, 0, 0, 0);
}

/* 3205: name (36); reply RetCode (36). */
kern_return_t mach_port_destroy(mach_port_t task, mach_port_name_t name)
{
    return mig_call_words(task, 3205, &name, 1, 0, 0, 0, 0);
}

/* 3206: name (36); reply RetCode (36). */
kern_return_t mach_port_deallocate(mach_port_t task, mach_port_name_t name)
{
    return mig_call_words(task, 3206, &name, 1, 0, 0, 0, 0);
}

/* 3207: name, right (40); reply refs (40). */
kern_return_t mach_port_get_refs(mach_port_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_urefs_t *refs)
{
    uint32_t in[2] = {name, right};
    return mig_call_words(task, 3207, in, 2, refs, 1, 1, 0);
}

/* 3208: name, right, delta (44); reply RetCode (36). */
kern_return_t mach_port_mod_refs(mach_port_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_delta_t delta)
{
    uint32_t in[3] = {name, right, (uint32_t)delta};
    return mig_call_words(task, 3208, in, 3, 0, 0, 0, 0);
}

/* 3210 set_qlimit, 3211 set_mscount, 3218 set_seqno: name, value (40); reply RetCode (36). */
kern_return_t mach_port_set_value(mach_port_t task, mach_msg_id_t id, mach_port_name_t name, uint32_t value)
{
    uint32_t in[2] = {name, value};
    return mig_call_words(task, id, in, 2, 0, 0, 0, 0);
}

/* 3213: member, after (40); reply RetCode (36). */
kern_return_t mach_port_move_member(mach_port_t task, mach_port_name_t member, mach_port_name_t after)
{
    uint32_t in[2] = {member, after};
    return mig_call_words(task, 3213, in, 2, 0, 0, 0, 0);
}

/* 3217: name (36); reply status w[10] (76). */
kern_return_t mach_port_get_receive_status(mach_port_t task, mach_port_name_t name, mach_port_status_t *status)
{
    return mig_call_words(task, 3217, &name, 1, (uint32_t *)status, 10, 10, 0);
}

/* 3219: name, flavor, capacity (44); reply count + words (40 + 4n). */
kern_return_t mach_port_get_attributes(mach_port_t task, mach_port_name_t name, int32_t flavor, uint32_t *info,
                                       mach_msg_type_number_t *count)
{
    uint32_t in[3] = {name, (uint32_t)flavor, *count}, out[18];
    unsigned n;
    kern_return_t kr = mig_call_words(task, 3219, in, 3, out, 1, 18, &n);
    if (kr != KERN_SUCCESS)
        return kr;
    if (out[0] != n - 1 || out[0] > *count)
        return MIG_TYPE_ERROR;
    for (unsigned i = 0; i < out[0]; i++)
        info[i] = out[i + 1];
    *count = out[0];
    return KERN_SUCCESS;
}

/* 3220: name, flavor, count + words (44 + 4n); reply RetCode (36). */
kern_return_t mach_port_set_attributes(mach_port_t task, mach_port_name_t name, int32_t flavor,
                                       const uint32_t *info, mach_msg_type_number_t count)
{
    uint32_t in[20] = {name, (uint32_t)flavor, count};
    if (count > 17)
        return MIG_ARRAY_TOO_LARGE;
    for (unsigned i = 0; i < count; i++)
        in[3 + i] = info[i];
    return mig_call_words(task, 3220, in, 3 + count, 0, 0, 0, 0);
}

/* 3215: COMPLEX, body 1, port descriptor (poly, caller's disposition), NDR, name u32 (52); reply RetCode (36). */
kern_return_t mach_port_insert_right(mach_port_t task, mach_port_name_t name, mach_port_t poly,
                                     mach_msg_type_name_t poly_disposition)
{
    MIG_BUFFER(insert_right_request_t, mig_reply_error_t) m;
    m.In.msgh_body.msgh_descriptor_count = 1;
    m.In.poly = (mach_msg_port_descriptor_t){
        .name = poly, .disposition = (uint8_t)poly_disposition, .type = MACH_MSG_PORT_DESCRIPTOR};
    m.In.NDR = NDR_record;
    m.In.name = name;
    mach_msg_return_t mr = mig_call(&m.In.Head, task, 3215, MACH_MSGH_BITS_COMPLEX, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return mig_check_simple(&m.Out.Head, sizeof(m.Out), sizeof(m.Out));
}

/* A complex reply of one port descriptor: its name, and its type if `type` is given (else it must be `want`). */
static kern_return_t take_port(const port_reply_t *reply, mach_msg_type_name_t want, mach_port_t *port,
                               mach_msg_type_name_t *type)
{
    kern_return_t kr = mig_check_complex(&reply->Head, sizeof(*reply), 1);
    if (kr == KERN_SUCCESS && type == 0)
        kr = mig_check_port(&reply->port, want);
    if (kr == KERN_SUCCESS && reply->port.type != MACH_MSG_PORT_DESCRIPTOR)
        kr = MIG_TYPE_ERROR;
    if (kr != KERN_SUCCESS)
        return kr;
    *port = reply->port.name;
    if (type != 0)
        *type = reply->port.disposition;
    return KERN_SUCCESS;
}

/* 3214: COMPLEX, port descriptor (notify), NDR, name, msgid, sync (60); reply previous:P18 (40). */
kern_return_t mach_port_request_notification(mach_port_t task, mach_port_name_t name, mach_msg_id_t msgid,
                                             mach_port_mscount_t sync, mach_port_t notify,
                                             mach_msg_type_name_t notify_disposition, mach_port_t *previous)
{
    MIG_BUFFER(request_notification_request_t, port_reply_t) m;
    m.In.msgh_body.msgh_descriptor_count = 1;
    m.In.notify = (mach_msg_port_descriptor_t){
        .name = notify, .disposition = (uint8_t)notify_disposition, .type = MACH_MSG_PORT_DESCRIPTOR};
    m.In.NDR = NDR_record;
    m.In.name = name;
    m.In.msgid = msgid;
    m.In.sync = sync;
    mach_msg_return_t mr = mig_call(&m.In.Head, task, 3214, MACH_MSGH_BITS_COMPLEX, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return take_port(&m.Out, MACH_MSG_TYPE_PORT_SEND_ONCE, previous, 0);
}

/* 3216: name, disp (40); reply poly:Pres (40). */
kern_return_t mach_port_extract_right(mach_port_t task, mach_port_name_t name, mach_msg_type_name_t disposition,
                                      mach_port_t *poly, mach_msg_type_name_t *poly_type)
{
    MIG_BUFFER(name_value_request_t, port_reply_t) m;
    m.In.NDR = NDR_record;
    m.In.name = name;
    m.In.value = disposition;
    mach_msg_return_t mr = mig_call(&m.In.Head, task, 3216, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return take_port(&m.Out, 0, poly, poly_type);
}

/* An OOL reply array of u32: checks the descriptor against its count and hands over the memory. */
static kern_return_t take_ool_words(const mach_msg_ool_descriptor_t *d, mach_msg_type_number_t cnt,
                                    uint32_t **words, mach_msg_type_number_t *count)
{
    if (d->type != MACH_MSG_OOL_DESCRIPTOR || d->size != cnt * 4)
        return MIG_TYPE_ERROR;
    *words = (uint32_t *)(uintptr_t)d->address;
    *count = cnt;
    return KERN_SUCCESS;
}

/* 3212: name (36); reply members:OOL (56). */
kern_return_t mach_port_get_set_status(mach_port_t task, mach_port_name_t name, mach_port_name_t **members,
                                       mach_msg_type_number_t *count)
{
    MIG_BUFFER(name_request_t, get_set_status_reply_t) m;
    m.In.NDR = NDR_record;
    m.In.name = name;
    mach_msg_return_t mr = mig_call(&m.In.Head, task, 3212, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    kern_return_t kr = mig_check_complex(&m.Out.Head, sizeof(m.Out), 1);
    return kr != KERN_SUCCESS ? kr : take_ool_words(&m.Out.members, m.Out.membersCnt, members, count);
}

/* 3200: header only (24); reply names:OOL, types:OOL (76). */
kern_return_t mach_port_names(mach_port_t task, mach_port_name_t **names, mach_msg_type_number_t *names_count,
                              mach_port_type_t **types, mach_msg_type_number_t *types_count)
{
    MIG_BUFFER(mach_msg_header_t, names_reply_t) m;
    mach_msg_return_t mr = mig_call(&m.In, task, 3200, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    kern_return_t kr = mig_check_complex(&m.Out.Head, sizeof(m.Out), 2);
    if (kr == KERN_SUCCESS)
        kr = take_ool_words(&m.Out.names, m.Out.namesCnt, names, names_count);
    if (kr == KERN_SUCCESS)
        kr = take_ool_words(&m.Out.types, m.Out.typesCnt, types, types_count);
    return kr;
}
