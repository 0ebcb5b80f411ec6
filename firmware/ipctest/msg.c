/* spec §2.3, §2.5, §2.6, §4: mach_msg header, sizes, options, trailers, seqnos, queue limits, pseudo-receive. */
#include "ipctest.h"

static mach_msg_return_t send_raw(mach_msg_header_t *h, mach_msg_option_t option, mach_msg_size_t size)
{
    return mach_msg(h, MACH_SEND_MSG | option, size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static void simple_message_round_trip(void)
{
    mach_port_t r = t_port();
    t_msg_t m = {.h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0), .msgh_size = 999,
                       .msgh_remote_port = r, .msgh_id = 1234}};
    uint32_t *inline_data = (uint32_t *)(&m.h + 1);
    inline_data[0] = 0x11223344;
    inline_data[1] = 0x55667788;
    REQUIRE_EQ(send_raw(&m.h, 0, 32), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_poll(r, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
    EXPECT_EQ(m.h.msgh_size, 32);                     /* send_size, not the header field */
    EXPECT_EQ(m.h.msgh_remote_port, MACH_PORT_NULL);
    EXPECT_EQ(m.h.msgh_local_port, r);
    EXPECT_EQ(m.h.msgh_voucher_port, 0);
    EXPECT_EQ(m.h.msgh_id, 1234);
    EXPECT_EQ(inline_data[0], 0x11223344);
    EXPECT_EQ(inline_data[1], 0x55667788);
    uint32_t *trailer = (uint32_t *)((char *)&m + 32);
    EXPECT_EQ(trailer[0], MACH_MSG_TRAILER_FORMAT_0);
    EXPECT_EQ(trailer[1], 8);
    t_destroy(r);
}

static void send_size_rules(void)
{
    mach_port_t r = t_port();
    t_msg_t m = {.h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0), .msgh_remote_port = r}};
    EXPECT_EQ(send_raw(&m.h, 0, 20), MACH_SEND_MSG_TOO_SMALL);
    EXPECT_EQ(send_raw(&m.h, 0, 26), MACH_SEND_MSG_TOO_SMALL);
    m.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    EXPECT_EQ(send_raw(&m.h, 0, 24), MACH_SEND_MSG_TOO_SMALL);
    m.body.msgh_descriptor_count = 2;                 /* the second descriptor overruns the body */
    m.d[0].port = (mach_msg_port_descriptor_t){.disposition = MACH_MSG_TYPE_COPY_SEND,
                                               .type = MACH_MSG_PORT_DESCRIPTOR};
    EXPECT_EQ(send_raw(&m.h, 0, 40), MACH_SEND_MSG_TOO_SMALL);
    m.h.msgh_bits &= ~MACH_MSGH_BITS_COMPLEX;
    EXPECT_EQ(send_raw(&m.h, 0, 48u << 20), MACH_SEND_TOO_LARGE);
    EXPECT_EQ(t_count(r), 0);
    EXPECT_EQ(t_status(r).mps_mscount, 1);            /* only the overrun reached the header rights, */
    EXPECT_EQ(t_status(r).mps_srights, 0);            /* which were destroyed with the message */
    t_destroy(r);
}

static void header_bits_and_options(void)
{
    mach_port_t r = t_port();
    mach_msg_header_t h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | 0x40000000,
                           .msgh_remote_port = r};
    EXPECT_EQ(send_raw(&h, 0, 24), MACH_SEND_INVALID_HEADER);
    h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | (MACH_MSG_TYPE_COPY_SEND << 16);
    EXPECT_EQ(send_raw(&h, 0, 24), MACH_SEND_INVALID_VOUCHER);
    h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
    h.msgh_voucher_port = r;
    EXPECT_EQ(send_raw(&h, 0, 24), MACH_SEND_INVALID_VOUCHER);
    h.msgh_voucher_port = 0;
    EXPECT_EQ(send_raw(&h, MACH_SEND_ALWAYS, 24), MACH_SEND_INVALID_OPTIONS);
    EXPECT_EQ(send_raw(&h, MACH_SEND_TRAILER, 24), MACH_SEND_INVALID_OPTIONS);
    EXPECT_EQ(send_raw(&h, MACH_SEND_NOTIFY | 0x0800, 24), MACH_MSG_SUCCESS);     /* ignored bits */
    EXPECT_EQ(mach_msg((mach_msg_header_t *)8, MACH_SEND_MSG, 24, 0, 0, 0, 0), MACH_SEND_INVALID_DATA);
    h.msgh_remote_port = MACH_PORT_NULL;
    EXPECT_EQ(send_raw(&h, 0, 24), MACH_SEND_INVALID_DEST);
    h.msgh_remote_port = MACH_PORT_DEAD;
    EXPECT_EQ(send_raw(&h, 0, 24), MACH_SEND_INVALID_DEST);
    /* a send error returns without receiving */
    EXPECT_EQ(mach_msg(&h, MACH_SEND_MSG | MACH_RCV_MSG, 24, 24, r, 0, 0), MACH_SEND_INVALID_DEST);
    EXPECT_EQ(t_count(r), 1);
    t_msg_t m;
    EXPECT_EQ(t_recv(r, &m, sizeof(m), MACH_RCV_OVERWRITE, 0), MACH_RCV_INVALID_ARGUMENTS);
    EXPECT_EQ(t_count(r), 1);                         /* nothing dequeued */
    t_destroy(r);
}

static void receive_errors(void)
{
    mach_port_t r = t_port_send(), so = t_sonce(r), s = t_set(), d;
    mach_port_allocate(TASK, MACH_PORT_RIGHT_DEAD_NAME, &d);
    t_msg_t m;
    EXPECT_EQ(t_poll(r, &m), MACH_RCV_TIMED_OUT);
    EXPECT_EQ(t_recv(r, &m, sizeof(m), 0, 3), MACH_RCV_TIMED_OUT);
    EXPECT_EQ(t_poll(s, &m), MACH_RCV_TIMED_OUT);
    EXPECT_EQ(t_poll(so, &m), MACH_RCV_INVALID_NAME);
    EXPECT_EQ(t_poll(d, &m), MACH_RCV_INVALID_NAME);
    EXPECT_EQ(t_poll(0x7FFF0001, &m), MACH_RCV_INVALID_NAME);
    EXPECT_EQ(t_poll(MACH_PORT_NULL, &m), MACH_RCV_INVALID_NAME);
    mach_port_deallocate(TASK, r);                    /* drop the send uref: r is receive only */
    EXPECT_EQ(t_recv(r, &m, sizeof(m), MACH_RCV_TRAILER_ELEMENTS(9), 0), MACH_RCV_INVALID_TRAILER);
    EXPECT_EQ(t_recv(r, &m, sizeof(m), MACH_RCV_TRAILER_TYPE(1), 0), MACH_RCV_INVALID_TRAILER);
    mach_port_deallocate(TASK, so);
    mach_port_deallocate(TASK, d);
    t_destroy(s);
    t_destroy(r);
}

static void trailers_by_elements(void)
{
    static const uint32_t sizes[] = {8, 12, 20, 52, 60, 68, 68, 68, 68};
    mach_port_t r = t_port();
    for (uint32_t n = 0; n < 9; n++) {
        REQUIRE_EQ(t_send(r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, (mach_msg_id_t)n, 0, 0), MACH_MSG_SUCCESS);
        t_msg_t m;
        memset(&m, 0xA5, sizeof(m));
        /* too small for header + trailer: too large, stays queued */
        EXPECT_EQ(t_recv(r, &m, 24 + sizes[n] - 4, MACH_RCV_LARGE | MACH_RCV_TRAILER_ELEMENTS(n), 0),
                  MACH_RCV_TOO_LARGE);
        EXPECT_EQ(m.h.msgh_size, 24);
        REQUIRE_EQ(t_recv(r, &m, 24 + sizes[n], MACH_RCV_TRAILER_ELEMENTS(n), 0), MACH_MSG_SUCCESS);
        uint32_t *t = (uint32_t *)((char *)&m + 24);
        EXPECT_EQ(t[0], 0);
        EXPECT_EQ(t[1], sizes[n]);
        if (n >= 1)
            EXPECT_EQ(t[2], n);                       /* seqno: one dequeue per message */
        if (n >= 2) {
            EXPECT_EQ(t[3], 0);                       /* [chosen] task sender token {0,0} */
            EXPECT_EQ(t[4], 0);
        }
        if (n >= 3) {
            for (int i = 0; i < 8; i++)
                if (i != 5)
                    EXPECT_EQ(t[5 + i], 0);
            EXPECT_TRUE(t[5 + 5] != 0);               /* audit val[5] = task id */
        }
        if (n >= 4) {
            EXPECT_EQ(t[13], 0);                      /* context u64 */
            EXPECT_EQ(t[14], 0);
        }
        if (n >= 5) {
            EXPECT_EQ(t[15], 0);
            EXPECT_EQ(t[16], 0);
        }
        EXPECT_EQ(*(uint32_t *)((char *)t + sizes[n]), 0xA5A5A5A5);   /* nothing past the trailer */
    }
    t_destroy(r);
}

static void seqno_counts_dequeues(void)
{
    mach_port_t r = t_port();
    t_msg_t m;
    for (int i = 0; i < 3; i++)
        t_send(r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 100 + i, 0, 0);
    for (int i = 0; i < 3; i++) {
        EXPECT_EQ(t_recv(r, &m, sizeof(m), MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), 0),
                  MACH_MSG_SUCCESS);
        EXPECT_EQ(m.h.msgh_id, 100 + i);              /* FIFO */
        EXPECT_EQ(((uint32_t *)&m)[8], (uint32_t)i);
    }
    EXPECT_EQ(mach_port_set_seqno(TASK, r, 41), KERN_SUCCESS);
    t_send(r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 7, 0, 0);
    EXPECT_EQ(t_recv(r, &m, sizeof(m), MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(((uint32_t *)&m)[8], 41);
    EXPECT_EQ(t_status(r).mps_seqno, 42);
    t_destroy(r);
}

static void too_large_with_and_without_rcv_large(void)
{
    mach_port_t r = t_port(), q = t_port();
    t_msg_t m = {.h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
                       .msgh_remote_port = r, .msgh_local_port = q, .msgh_id = 55}};
    REQUIRE_EQ(send_raw(&m.h, 0, 64), MACH_MSG_SUCCESS);
    memset(&m, 0, sizeof(m));
    EXPECT_EQ(t_recv(r, &m, 40, MACH_RCV_LARGE, 0), MACH_RCV_TOO_LARGE);
    EXPECT_EQ(m.h.msgh_size, 64);
    EXPECT_EQ(m.h.msgh_local_port, 0);                /* only offset 4 written */
    EXPECT_EQ(t_recv(r, &m, 40, MACH_RCV_LARGE | MACH_RCV_LARGE_IDENTITY, 0), MACH_RCV_TOO_LARGE);
    EXPECT_EQ(m.h.msgh_local_port, r);
    EXPECT_EQ(t_count(r), 1);
    memset(&m, 0xA5, sizeof(m));
    EXPECT_EQ(t_recv(r, &m, 40, 0, 0), MACH_RCV_TOO_LARGE);
    EXPECT_EQ(m.h.msgh_size, 64);
    EXPECT_EQ(m.h.msgh_local_port, r);
    EXPECT_EQ(m.h.msgh_remote_port, 0);
    EXPECT_EQ(m.h.msgh_id, 55);
    EXPECT_EQ(t_count(r), 0);                         /* dequeued and destroyed */
    EXPECT_EQ(t_poll(q, &m), MACH_MSG_SUCCESS);       /* its send-once reply right died unused */
    EXPECT_EQ(m.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
    t_destroy(r);
    t_destroy(q);
}

static void queue_limit_and_send_timeout(void)
{
    mach_port_t r = t_port();
    EXPECT_EQ(mach_port_set_qlimit(TASK, r, 1), KERN_SUCCESS);
    EXPECT_EQ(t_send(r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, MACH_SEND_TIMEOUT, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_send(r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 2, MACH_SEND_TIMEOUT, 0), MACH_SEND_TIMED_OUT);
    EXPECT_EQ(t_send(r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 3, MACH_SEND_TIMEOUT, 5), MACH_SEND_TIMED_OUT);
    /* send-once rights bypass the limit */
    EXPECT_EQ(t_send(r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 0, 0, 4, MACH_SEND_TIMEOUT, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_count(r), 2);
    t_msg_t m;
    EXPECT_EQ(t_poll(r, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_id, 1);
    EXPECT_EQ(t_poll(r, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_id, 4);
    EXPECT_EQ(mach_port_set_qlimit(TASK, r, 1025), KERN_INVALID_VALUE);
    t_destroy(r);
}

static void pseudo_receive_gives_rights_back(void)
{
    mach_port_t r = t_port(), q = t_port(), x = t_port_send();
    mach_port_set_qlimit(TASK, r, 1);
    t_send(r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, 0, 0);
    t_port_msg_t m = {
        .h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE)
                           | MACH_MSGH_BITS_COMPLEX,
              .msgh_remote_port = r, .msgh_local_port = q, .msgh_id = 2},
        .body = {1},
        .port = {.name = x, .disposition = MACH_MSG_TYPE_MOVE_SEND, .type = MACH_MSG_PORT_DESCRIPTOR},
    };
    REQUIRE_EQ(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0, 0, 0, 0), MACH_SEND_TIMED_OUT);
    /* copied back as if received, remote and local not swapped */
    EXPECT_EQ(m.h.msgh_bits, MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND_ONCE)
                             | MACH_MSGH_BITS_COMPLEX);
    EXPECT_EQ(m.h.msgh_remote_port, r);
    EXPECT_EQ(t_type(r), MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND);
    EXPECT_TRUE(MACH_PORT_VALID(m.h.msgh_local_port) && m.h.msgh_local_port != q);
    EXPECT_EQ(t_type(m.h.msgh_local_port), MACH_PORT_TYPE_SEND_ONCE);
    EXPECT_EQ(m.port.name, x);
    EXPECT_EQ(m.port.disposition, MACH_MSG_TYPE_PORT_SEND);
    EXPECT_EQ(t_refs(x, MACH_PORT_RIGHT_SEND), 1);
    EXPECT_EQ(t_count(r), 1);
    mach_port_deallocate(TASK, m.h.msgh_local_port);
    t_destroy(r);
    t_destroy(q);
    t_destroy(x);
}

static void unwritable_receive_buffer(void)
{
    mach_port_t r = t_port();
    vm_address_t page = t_alloc(PAGE_SIZE);
    REQUIRE_EQ(vm_protect(TASK, page, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_SUCCESS);
    t_send(r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, 0, 0);
    EXPECT_EQ(t_recv(r, (void *)page, 256, 0, 0), MACH_RCV_INVALID_DATA);
    EXPECT_EQ(t_count(r), 0);                         /* dequeued and destroyed */
    vm_deallocate(TASK, page, PAGE_SIZE);
    t_destroy(r);
}

static void send_and_receive_in_one_call(void)
{
    mach_port_t r = t_port();
    t_msg_t m = {.h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
                       .msgh_remote_port = r, .msgh_local_port = r, .msgh_id = 3}};
    REQUIRE_EQ(mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, 24, sizeof(m), r, 0, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_bits, MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND));
    EXPECT_EQ(m.h.msgh_local_port, r);
    mach_port_t so = m.h.msgh_remote_port;
    EXPECT_EQ(t_type(so), MACH_PORT_TYPE_SEND_ONCE);
    /* answering through the reply right */
    EXPECT_EQ(t_send(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 103, 0, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_poll(r, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_id, 103);
    EXPECT_EQ(m.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
    t_destroy(r);
}

CHECK_SUITE(ipc_msg_suite, "ipc_msg",
            CHECK_CASE(simple_message_round_trip), CHECK_CASE(send_size_rules), CHECK_CASE(header_bits_and_options),
            CHECK_CASE(receive_errors), CHECK_CASE(trailers_by_elements), CHECK_CASE(seqno_counts_dequeues),
            CHECK_CASE(too_large_with_and_without_rcv_large), CHECK_CASE(queue_limit_and_send_timeout),
            CHECK_CASE(pseudo_receive_gives_rights_back), CHECK_CASE(unwritable_receive_buffer),
            CHECK_CASE(send_and_receive_in_one_call));
