/*
 * Milestone M2: a message carrying a port descriptor and OOL memory goes from
 * one thread to another, and the receiver uses the received right to reply.
 */
#include "ipctest.h"

#define M2_BYTES 10000

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t reply_to;
    mach_msg_ool_descriptor_t data;
    uint32_t count;
    char trailer[MAX_TRAILER_SIZE];
} m2_request_t;

typedef struct {
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_ool_descriptor_t data;
    uint32_t sum;
    uint32_t right_type;
    char trailer[MAX_TRAILER_SIZE];
} m2_reply_t;
#pragma pack(pop)

struct m2_server {
    mach_port_t service;
    mach_port_t done;
};

static uint32_t checksum(const unsigned char *p, uint32_t n)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum = sum * 31 + p[i];
    return sum;
}

/* Receives one request and answers on the send right it carried, with the data reversed out of line. */
static void m2_serve(void *arg)
{
    struct m2_server *server = arg;
    m2_request_t req;
    mach_msg_return_t mr = t_recv(server->service, &req, sizeof(req), 0, 2000);
    if (mr != MACH_MSG_SUCCESS) {
        t_send(server->done, MACH_MSG_TYPE_MAKE_SEND, 0, 0, mr, 0, 0);
        return;
    }
    const unsigned char *in = (const unsigned char *)(uintptr_t)req.data.address;
    vm_address_t out = t_alloc(M2_BYTES);
    for (uint32_t i = 0; i < req.data.size; i++)
        ((unsigned char *)out)[i] = in[req.data.size - 1 - i];
    m2_reply_t rep = {
        .h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0) | MACH_MSGH_BITS_COMPLEX,
              .msgh_remote_port = req.reply_to.name, .msgh_id = req.h.msgh_id + 100},
        .body = {1},
        .data = {.address = out, .deallocate = 1, .copy = MACH_MSG_VIRTUAL_COPY, .type = MACH_MSG_OOL_DESCRIPTOR,
                 .size = req.data.size},
        .sum = checksum(in, req.data.size) ^ req.count,
        .right_type = t_type(req.reply_to.name) | req.reply_to.disposition,
    };
    vm_deallocate(TASK, req.data.address, req.data.size);
    mr = mach_msg(&rep.h, MACH_SEND_MSG, offsetof(m2_reply_t, trailer), 0, 0, 0, 0);
    t_send(server->done, MACH_MSG_TYPE_MAKE_SEND, 0, 0, mr, 0, 0);
}

static void port_and_ool_between_threads(void)
{
    struct m2_server server = {.service = t_port(), .done = t_port()};
    mach_port_t reply = t_port(), th;
    REQUIRE_EQ(thread_spawn(m2_serve, &server, &th), KERN_SUCCESS);
    vm_address_t data = t_alloc(M2_BYTES);
    for (uint32_t i = 0, x = 7; i < M2_BYTES; i++)
        ((unsigned char *)data)[i] = (unsigned char)((x = x * 1664525u + 1013904223u) >> 24);
    uint32_t want = checksum((const unsigned char *)data, M2_BYTES) ^ 42;
    m2_request_t req = {
        .h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX,
              .msgh_remote_port = server.service, .msgh_id = 2000},
        .body = {2},
        .reply_to = {.name = reply, .disposition = MACH_MSG_TYPE_MAKE_SEND, .type = MACH_MSG_PORT_DESCRIPTOR},
        .data = {.address = data, .copy = MACH_MSG_PHYSICAL_COPY, .type = MACH_MSG_OOL_DESCRIPTOR,
                 .size = M2_BYTES},
        .count = 42,
    };
    REQUIRE_EQ(mach_msg(&req.h, MACH_SEND_MSG, offsetof(m2_request_t, trailer), 0, 0, 0, 0), MACH_MSG_SUCCESS);
    m2_reply_t rep;
    REQUIRE_EQ(t_recv(reply, &rep, sizeof(rep), 0, 2000), MACH_MSG_SUCCESS);
    EXPECT_EQ(rep.h.msgh_id, 2100);
    EXPECT_EQ(rep.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND) | MACH_MSGH_BITS_COMPLEX);
    EXPECT_EQ(rep.h.msgh_local_port, reply);
    EXPECT_EQ(rep.sum, want);
    /* the server held the right under our own name (one space): send + receive, type 17 */
    EXPECT_EQ(rep.right_type, MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE | MACH_MSG_TYPE_PORT_SEND);
    EXPECT_EQ(rep.data.size, M2_BYTES);
    EXPECT_EQ(rep.data.address & PAGE_MASK, 0);
    const unsigned char *back = (const unsigned char *)(uintptr_t)rep.data.address;
    int same = 1;
    for (uint32_t i = 0; i < M2_BYTES; i++)
        same &= back[i] == ((const unsigned char *)data)[M2_BYTES - 1 - i];
    EXPECT_EQ(same, 1);
    t_msg_t m;
    EXPECT_EQ(t_recv(server.done, &m, sizeof(m), 0, 2000), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_id, MACH_MSG_SUCCESS);
    EXPECT_EQ(t_type(reply), MACH_PORT_TYPE_RECEIVE);  /* the server's MOVE_SEND used the right up */
    EXPECT_EQ(t_status(reply).mps_srights, 0);
    vm_deallocate(TASK, rep.data.address, M2_BYTES);
    vm_deallocate(TASK, data, M2_BYTES);
    mach_port_deallocate(TASK, th);
    t_destroy(reply);
    t_destroy(server.service);
    t_destroy(server.done);
}

CHECK_SUITE(ipc_m2_suite, "ipc_m2", CHECK_CASE(port_and_ool_between_threads));
