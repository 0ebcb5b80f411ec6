/*
 * Shared helpers of the guest IPC test suites (written against the spec,
 * shared/spec/mach-abi.md).  Receives poll (MACH_RCV_TIMEOUT 0) unless a
 * case means to block, so a kernel bug fails a case instead of hanging it.
 */
#ifndef _IPCTEST_H_
#define _IPCTEST_H_

#include <check.h>
#include <string.h>
#include <mach/mach.h>

#define TASK mach_task_self()

/* Every suite (one per area; programs/ipc_<area>.c runs one, init's `test ipc` all). */
extern const check_suite_t ipc_names_suite, ipc_rights_suite, ipc_msg_suite, ipc_complex_suite,
    ipc_ports_suite, ipc_sets_suite, ipc_notify_suite, ipc_block_suite, ipc_m2_suite, ipc_caps_suite;
extern const check_suite_t *const ipc_all_suites[];
extern const int ipc_all_suites_count;

#pragma pack(push, 4)
/* A message with up to 4 descriptors and 64 words of data, plus room for the largest trailer. */
typedef struct {
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_descriptor_t d[4];     /* 16-byte slots: use d[0] alone, or a packed struct for more */
    uint32_t data[64];
    char trailer[MAX_TRAILER_SIZE];
} t_msg_t;

/* What a complex message of one port descriptor looks like (40 bytes). */
typedef struct {
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
} t_port_msg_t;
#pragma pack(pop)

/* Error marks of the value helpers below (never a valid type or count). */
#define T_ERR(kr) (0xEE000000u | (uint32_t)(kr))

mach_port_t t_port(void);                                       /* a new receive right */
mach_port_t t_port_send(void);                                  /* receive + one send uref */
mach_port_t t_sonce(mach_port_t port);                          /* a send-once right to `port` */
mach_port_t t_set(void);                                        /* a new port set */
uint32_t t_type(mach_port_name_t name);                         /* type, or T_ERR(kr) */
uint32_t t_refs(mach_port_name_t name, mach_port_right_t right); /* urefs, or T_ERR(kr) */
mach_port_status_t t_status(mach_port_name_t name);             /* all 0xFF.. on error */
void t_destroy(mach_port_name_t name);

/* Header-only message (24 bytes) to `dest`; option gets MACH_SEND_MSG added. */
mach_msg_return_t t_send(mach_port_t dest, mach_msg_type_name_t dest_disp, mach_port_t reply,
                         mach_msg_type_name_t reply_disp, mach_msg_id_t id, mach_msg_option_t option,
                         mach_msg_timeout_t timeout);
/* Complex message (40 bytes) carrying one port descriptor (name, disp) to `dest` (MAKE_SEND). */
mach_msg_return_t t_send_port(mach_port_t dest, mach_port_name_t name, mach_msg_type_name_t disp);
/* Receive into `msg` (size bytes) with MACH_RCV_MSG | option; MACH_RCV_TIMEOUT with `timeout`. */
mach_msg_return_t t_recv(mach_port_t port, void *msg, mach_msg_size_t size, mach_msg_option_t option,
                         mach_msg_timeout_t timeout);
/* Poll: receive what is queued now (RCV_TIMEOUT 0). */
mach_msg_return_t t_poll(mach_port_t port, t_msg_t *msg);
/* Number of messages queued on the receive right `name`. */
uint32_t t_count(mach_port_name_t name);
/* Let other threads run for about `ms` virtual milliseconds. */
void t_sleep(mach_msg_timeout_t ms);
/* The first and only page of a fresh vm_allocate region of `size` bytes (0 on failure). */
vm_address_t t_alloc(vm_size_t size);

#endif
