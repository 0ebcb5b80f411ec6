/* MIG client stubs of subsystem mach_port 3200 (spec §7). */
#include <mach/mach_interface.h>
#include "mig_call.h"

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    uint32_t value;
} one_word_request_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    mach_port_name_t name;
    uint32_t value;
} two_word_request_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    mach_port_name_t name;
    mach_port_right_t right;
    mach_port_delta_t delta;
} mod_refs_request_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    kern_return_t RetCode;
    uint32_t value;
} one_word_reply_t;

typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_port_descriptor_t poly;
    NDR_record_t NDR;
    mach_port_name_t name;
} insert_right_request_t;
#pragma pack(pop)

/* The buffer of the calls whose reply is RetCode plus one u32. */
typedef union {
    one_word_request_t In1;
    two_word_request_t In2;
    one_word_reply_t Out;
    mig_reply_error_t Error;
    char room[sizeof(one_word_reply_t) + MAX_TRAILER_SIZE];
} one_word_call_t;

_Static_assert(sizeof(one_word_request_t) == 36, "spec §7: mach_port_allocate/deallocate request");
_Static_assert(sizeof(two_word_request_t) == 40, "spec §7: mach_port_get_refs request");
_Static_assert(sizeof(mod_refs_request_t) == 44, "spec §7: mach_port_mod_refs request");
_Static_assert(sizeof(one_word_reply_t) == 40, "spec §7: one-word reply");
_Static_assert(sizeof(insert_right_request_t) == 52, "spec §7: mach_port_insert_right request");

/* Sends a request whose reply is RetCode plus one u32, stored in *value on success. */
static kern_return_t call_one_word_reply(one_word_call_t *m, mach_port_t task, mach_msg_id_t id,
                                         mach_msg_size_t send_size, uint32_t *value)
{
    mach_msg_return_t mr = mig_call(&m->In1.Head, task, id, 0, send_size, sizeof(*m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    kern_return_t kr = mig_check_simple(&m->Out.Head, sizeof(m->Out), sizeof(m->Out));
    if (kr == KERN_SUCCESS)
        *value = m->Out.value;
    return kr;
}

/* 3204: NDR, right u32 (36); reply RetCode, name u32 (40). */
kern_return_t mach_port_allocate(mach_port_t task, mach_port_right_t right, mach_port_name_t *name)
{
    one_word_call_t m;
    m.In1.NDR = NDR_record;
    m.In1.value = right;
    return call_one_word_reply(&m, task, 3204, sizeof(m.In1), name);
}

/* 3206: NDR, name u32 (36); reply RetCode (36). */
kern_return_t mach_port_deallocate(mach_port_t task, mach_port_name_t name)
{
    MIG_BUFFER(one_word_request_t, mig_reply_error_t) m;
    m.In.NDR = NDR_record;
    m.In.value = name;
    mach_msg_return_t mr = mig_call(&m.In.Head, task, 3206, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return mig_check_simple(&m.Out.Head, sizeof(m.Out), sizeof(m.Out));
}

/* 3207: NDR, name u32, right u32 (40); reply RetCode, refs u32 (40). */
kern_return_t mach_port_get_refs(mach_port_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_urefs_t *refs)
{
    one_word_call_t m;
    m.In2.NDR = NDR_record;
    m.In2.name = name;
    m.In2.value = right;
    return call_one_word_reply(&m, task, 3207, sizeof(m.In2), refs);
}

/* 3208: NDR, name u32, right u32, delta i32 (44); reply RetCode (36). */
kern_return_t mach_port_mod_refs(mach_port_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_delta_t delta)
{
    MIG_BUFFER(mod_refs_request_t, mig_reply_error_t) m;
    m.In.NDR = NDR_record;
    m.In.name = name;
    m.In.right = right;
    m.In.delta = delta;
    mach_msg_return_t mr = mig_call(&m.In.Head, task, 3208, 0, sizeof(m.In), sizeof(m));
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return mig_check_simple(&m.Out.Head, sizeof(m.Out), sizeof(m.Out));
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
