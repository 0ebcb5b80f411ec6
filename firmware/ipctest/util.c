/* Helpers shared by the IPC test suites (ipctest.h). */
#include "ipctest.h"

mach_port_t t_port(void)
{
    mach_port_t name = MACH_PORT_NULL;
    mach_port_allocate(TASK, MACH_PORT_RIGHT_RECEIVE, &name);
    return name;
}

mach_port_t t_port_send(void)
{
    mach_port_t name = t_port();
    mach_port_insert_right(TASK, name, name, MACH_MSG_TYPE_MAKE_SEND);
    return name;
}

mach_port_t t_sonce(mach_port_t port)
{
    mach_port_t so = MACH_PORT_NULL;
    mach_msg_type_name_t type;
    mach_port_extract_right(TASK, port, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &type);
    return so;
}

mach_port_t t_set(void)
{
    mach_port_t name = MACH_PORT_NULL;
    mach_port_allocate(TASK, MACH_PORT_RIGHT_PORT_SET, &name);
    return name;
}

uint32_t t_type(mach_port_name_t name)
{
    mach_port_type_t type;
    kern_return_t kr = mach_port_type(TASK, name, &type);
    return kr == KERN_SUCCESS ? type : T_ERR(kr);
}

uint32_t t_refs(mach_port_name_t name, mach_port_right_t right)
{
    mach_port_urefs_t refs;
    kern_return_t kr = mach_port_get_refs(TASK, name, right, &refs);
    return kr == KERN_SUCCESS ? refs : T_ERR(kr);
}

mach_port_status_t t_status(mach_port_name_t name)
{
    mach_port_status_t status;
    if (mach_port_get_receive_status(TASK, name, &status) != KERN_SUCCESS)
        memset(&status, 0xFF, sizeof(status));
    return status;
}

uint32_t t_count(mach_port_name_t name)
{
    return t_status(name).mps_msgcount;
}

void t_destroy(mach_port_name_t name)
{
    mach_port_destroy(TASK, name);
}

mach_msg_return_t t_send(mach_port_t dest, mach_msg_type_name_t dest_disp, mach_port_t reply,
                         mach_msg_type_name_t reply_disp, mach_msg_id_t id, mach_msg_option_t option,
                         mach_msg_timeout_t timeout)
{
    mach_msg_header_t h = {
        .msgh_bits = MACH_MSGH_BITS(dest_disp, reply_disp),
        .msgh_size = sizeof(h),
        .msgh_remote_port = dest,
        .msgh_local_port = reply,
        .msgh_id = id,
    };
    return mach_msg(&h, MACH_SEND_MSG | option, sizeof(h), 0, MACH_PORT_NULL, timeout, MACH_PORT_NULL);
}

mach_msg_return_t t_send_port(mach_port_t dest, mach_port_name_t name, mach_msg_type_name_t disp)
{
    t_port_msg_t m = {
        .h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX,
              .msgh_size = sizeof(m), .msgh_remote_port = dest, .msgh_id = 1},
        .body = {1},
        .port = {.name = name, .disposition = (uint8_t)disp, .type = MACH_MSG_PORT_DESCRIPTOR},
    };
    return mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

mach_msg_return_t t_recv(mach_port_t port, void *msg, mach_msg_size_t size, mach_msg_option_t option,
                         mach_msg_timeout_t timeout)
{
    return mach_msg((mach_msg_header_t *)msg, MACH_RCV_MSG | MACH_RCV_TIMEOUT | option, 0, size, port, timeout,
                    MACH_PORT_NULL);
}

mach_msg_return_t t_poll(mach_port_t port, t_msg_t *msg)
{
    memset(msg, 0xA5, sizeof(*msg));
    return t_recv(port, msg, sizeof(*msg), 0, 0);
}

void t_sleep(mach_msg_timeout_t ms)
{
    mach_port_t port = t_port();
    t_msg_t m;
    t_recv(port, &m, sizeof(m), 0, ms);
    t_destroy(port);
}

vm_address_t t_alloc(vm_size_t size)
{
    vm_address_t addr = 0;
    return vm_allocate(TASK, &addr, size, TRUE) == KERN_SUCCESS ? addr : 0;
}
