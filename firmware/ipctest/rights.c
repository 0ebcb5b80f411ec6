/* spec §3: rights in transit — every disposition in header and body, copyout name reuse, destroy paths. */
#include "ipctest.h"

/* Sends one port descriptor (name, disp) to the fresh port `carrier` and receives it: received name and type. */
static mach_msg_return_t carry(mach_port_t carrier, mach_port_name_t name, mach_msg_type_name_t disp,
                               mach_port_name_t *got, uint8_t *got_type)
{
    *got = 0;
    *got_type = 0;
    mach_msg_return_t mr = t_send_port(carrier, name, disp);
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    t_msg_t m;
    mr = t_poll(carrier, &m);
    *got = m.d[0].port.name;
    *got_type = m.d[0].port.disposition;
    return mr;
}

static void move_send_takes_a_uref(void)
{
    mach_port_t c = t_port(), r = t_port_send();
    mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_SEND, 1);
    REQUIRE_EQ(t_send_port(c, r, MACH_MSG_TYPE_MOVE_SEND), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), 1);
    t_msg_t m;
    EXPECT_EQ(t_poll(c, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.d[0].port.name, r);                 /* copyout reuses the name, urefs +1 */
    EXPECT_EQ(m.d[0].port.disposition, MACH_MSG_TYPE_PORT_SEND);
    EXPECT_EQ(m.d[0].port.pad1, 0);
    EXPECT_EQ(m.d[0].port.pad2, 0);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), 2);
    t_destroy(r);
    t_destroy(c);
}

static void move_send_last_uref_frees_the_name(void)
{
    mach_port_t c = t_port(), r = t_port();
    mach_port_t s;
    mach_msg_type_name_t type;
    REQUIRE_EQ(mach_port_extract_right(TASK, r, MACH_MSG_TYPE_MAKE_SEND, &s, &type), KERN_SUCCESS);
    EXPECT_EQ(type, MACH_MSG_TYPE_PORT_SEND);
    EXPECT_EQ(s, r);
    EXPECT_EQ(t_type(r), MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND);
    REQUIRE_EQ(t_send_port(c, r, MACH_MSG_TYPE_MOVE_SEND), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_type(r), MACH_PORT_TYPE_RECEIVE);
    EXPECT_EQ(t_status(r).mps_srights, 1);          /* in transit */
    t_msg_t m;
    EXPECT_EQ(t_poll(c, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_type(r), MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND);
    t_destroy(r);
    t_destroy(c);
}

static void copy_send_keeps_the_uref(void)
{
    mach_port_t c = t_port(), r = t_port_send();
    mach_port_name_t got;
    uint8_t type;
    REQUIRE_EQ(carry(c, r, MACH_MSG_TYPE_COPY_SEND, &got, &type), MACH_MSG_SUCCESS);
    EXPECT_EQ(got, r);
    EXPECT_EQ(type, MACH_MSG_TYPE_PORT_SEND);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), 2);
    t_destroy(r);
    t_destroy(c);
}

static void make_send_counts_mscount(void)
{
    mach_port_t c = t_port(), r = t_port();
    mach_port_name_t got;
    uint8_t type;
    REQUIRE_EQ(carry(c, r, MACH_MSG_TYPE_MAKE_SEND, &got, &type), MACH_MSG_SUCCESS);
    EXPECT_EQ(got, r);
    EXPECT_EQ(type, MACH_MSG_TYPE_PORT_SEND);
    EXPECT_EQ(t_status(r).mps_mscount, 1);
    EXPECT_EQ(t_status(r).mps_srights, 1);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), 1);
    t_destroy(r);
    t_destroy(c);
}

static void send_once_rights_get_new_names(void)
{
    mach_port_t c = t_port(), r = t_port();
    mach_port_name_t got;
    uint8_t type;
    REQUIRE_EQ(carry(c, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &got, &type), MACH_MSG_SUCCESS);
    EXPECT_TRUE(MACH_PORT_VALID(got) && got != r);
    EXPECT_EQ(type, MACH_MSG_TYPE_PORT_SEND_ONCE);
    EXPECT_EQ(t_type(got), MACH_PORT_TYPE_SEND_ONCE);
    EXPECT_EQ(t_status(r).mps_sorights, 1);
    mach_port_name_t got2;
    REQUIRE_EQ(carry(c, got, MACH_MSG_TYPE_MOVE_SEND_ONCE, &got2, &type), MACH_MSG_SUCCESS);
    EXPECT_EQ(type, MACH_MSG_TYPE_PORT_SEND_ONCE);
    EXPECT_EQ(t_type(got2), MACH_PORT_TYPE_SEND_ONCE);
    if (got2 != got)
        EXPECT_EQ(t_type(got), T_ERR(KERN_INVALID_NAME));
    EXPECT_EQ(t_status(r).mps_sorights, 1);
    mach_port_deallocate(TASK, got2);
    t_destroy(r);
    t_destroy(c);
}

static void move_receive_resets_mscount_and_seqno(void)
{
    mach_port_t c = t_port(), r = t_port_send();
    mach_port_set_seqno(TASK, r, 5);
    mach_port_set_mscount(TASK, r, 9);
    REQUIRE_EQ(t_send_port(c, r, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_type(r), MACH_PORT_TYPE_SEND);        /* send urefs stay under the name */
    EXPECT_EQ(t_send(r, MACH_MSG_TYPE_COPY_SEND, 0, 0, 77, 0, 0), MACH_MSG_SUCCESS);
    t_msg_t m;
    EXPECT_EQ(t_poll(c, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.d[0].port.name, r);                   /* receive takes the send-right name */
    EXPECT_EQ(m.d[0].port.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
    EXPECT_EQ(t_type(r), MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND);
    mach_port_status_t st = t_status(r);
    EXPECT_EQ(st.mps_seqno, 0);
    EXPECT_EQ(st.mps_mscount, 0);
    EXPECT_EQ(st.mps_msgcount, 1);                    /* sent while in transit: still queued */
    t_destroy(r);
    t_destroy(c);
}

static void move_receive_without_send_gets_new_name(void)
{
    mach_port_t c = t_port(), r = t_port();
    mach_port_name_t got;
    uint8_t type;
    REQUIRE_EQ(carry(c, r, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &type), MACH_MSG_SUCCESS);
    EXPECT_EQ(type, MACH_MSG_TYPE_PORT_RECEIVE);
    EXPECT_EQ(t_type(got), MACH_PORT_TYPE_RECEIVE);
    if (got != r)
        EXPECT_EQ(t_type(r), T_ERR(KERN_INVALID_NAME));
    t_destroy(got);
    t_destroy(c);
}

static void null_and_dead_names_pass_through(void)
{
    mach_port_t c = t_port(), d;
    mach_port_name_t got;
    uint8_t type;
    static const uint8_t disps[] = {MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MOVE_SEND,
                                    MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_MSG_TYPE_COPY_SEND,
                                    MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE};
    static const uint8_t results[] = {16, 17, 18, 17, 17, 18};
    for (unsigned i = 0; i < sizeof(disps); i++) {
        EXPECT_EQ(carry(c, MACH_PORT_NULL, disps[i], &got, &type), MACH_MSG_SUCCESS);
        EXPECT_EQ(got, MACH_PORT_NULL);
        EXPECT_EQ(type, results[i]);
    }
    mach_port_allocate(TASK, MACH_PORT_RIGHT_DEAD_NAME, &d);
    mach_port_mod_refs(TASK, d, MACH_PORT_RIGHT_DEAD_NAME, 1);
    EXPECT_EQ(carry(c, d, MACH_MSG_TYPE_COPY_SEND, &got, &type), MACH_MSG_SUCCESS);
    EXPECT_EQ(got, MACH_PORT_DEAD);
    EXPECT_EQ(type, MACH_MSG_TYPE_PORT_SEND);
    EXPECT_EQ(t_refs(d, MACH_PORT_RIGHT_DEAD_NAME), 2);
    EXPECT_EQ(carry(c, d, MACH_MSG_TYPE_MOVE_SEND, &got, &type), MACH_MSG_SUCCESS);
    EXPECT_EQ(got, MACH_PORT_DEAD);
    EXPECT_EQ(carry(c, d, MACH_MSG_TYPE_MOVE_SEND_ONCE, &got, &type), MACH_MSG_SUCCESS);
    EXPECT_EQ(got, MACH_PORT_DEAD);
    EXPECT_EQ(type, MACH_MSG_TYPE_PORT_SEND_ONCE);
    EXPECT_EQ(t_type(d), T_ERR(KERN_INVALID_NAME));   /* both urefs moved */
    EXPECT_EQ(carry(c, d, MACH_MSG_TYPE_MAKE_SEND, &got, &type), MACH_SEND_INVALID_RIGHT);
    t_destroy(c);
}

static void invalid_dispositions(void)
{
    mach_port_t c = t_port(), r = t_port_send();
    EXPECT_EQ(t_send_port(c, r, MACH_MSG_TYPE_PORT_NAME), MACH_SEND_INVALID_TYPE);
    EXPECT_EQ(t_send_port(c, r, MACH_MSG_TYPE_COPY_RECEIVE), MACH_SEND_INVALID_TYPE);
    EXPECT_EQ(t_send_port(c, r, 24), MACH_SEND_INVALID_TYPE);
    EXPECT_EQ(t_send(c, MACH_MSG_TYPE_MOVE_RECEIVE, 0, 0, 1, 0, 0), MACH_SEND_INVALID_HEADER);
    EXPECT_EQ(t_send(c, MACH_MSG_TYPE_COPY_RECEIVE, 0, 0, 1, 0, 0), MACH_SEND_INVALID_HEADER);
    EXPECT_EQ(t_send(c, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_PORT_NAME, 1, 0, 0), MACH_SEND_INVALID_HEADER);
    EXPECT_EQ(t_send(c, MACH_MSG_TYPE_MAKE_SEND, r, 0, 1, 0, 0), MACH_SEND_INVALID_HEADER);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), 1);
    EXPECT_EQ(t_count(c), 0);
    t_destroy(r);
    t_destroy(c);
}

static void header_errors_consume_nothing(void)
{
    mach_port_t c = t_port_send(), q = t_port();
    mach_port_t so = t_sonce(q);
    EXPECT_EQ(t_send(0x7FFF0001, MACH_MSG_TYPE_MOVE_SEND, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 1, 0, 0),
              MACH_SEND_INVALID_DEST);
    EXPECT_EQ(t_type(so), MACH_PORT_TYPE_SEND_ONCE);
    EXPECT_EQ(t_send(c, MACH_MSG_TYPE_MOVE_SEND, 0x7FFF0001, MACH_MSG_TYPE_MOVE_SEND_ONCE, 1, 0, 0),
              MACH_SEND_INVALID_REPLY);
    EXPECT_EQ(t_refs(c, MACH_PORT_RIGHT_SEND), 1);    /* header rights are handled atomically */
    EXPECT_EQ(t_send(c, MACH_MSG_TYPE_MOVE_SEND, c, MACH_MSG_TYPE_MOVE_SEND_ONCE, 1, 0, 0),
              MACH_SEND_INVALID_REPLY);
    EXPECT_EQ(t_send(so, MACH_MSG_TYPE_MOVE_SEND, 0, 0, 1, 0, 0), MACH_SEND_INVALID_DEST);
    EXPECT_EQ(t_send(c, MACH_MSG_TYPE_MAKE_SEND_ONCE, so, MACH_MSG_TYPE_MOVE_SEND, 1, 0, 0),
              MACH_SEND_INVALID_REPLY);
    EXPECT_EQ(t_refs(c, MACH_PORT_RIGHT_SEND), 1);
    EXPECT_EQ(t_type(so), MACH_PORT_TYPE_SEND_ONCE);
    EXPECT_EQ(t_count(c), 0);
    EXPECT_EQ(t_count(q), 0);
    mach_port_deallocate(TASK, so);
    t_destroy(c);
    t_destroy(q);
}

static void header_dispositions_as_received(void)
{
    mach_port_t c = t_port_send(), q = t_port();
    t_msg_t m;
    /* MOVE_SEND of the last uref as destination, MAKE_SEND as reply: reply arrives as a send right */
    REQUIRE_EQ(t_send(c, MACH_MSG_TYPE_MOVE_SEND, q, MACH_MSG_TYPE_MAKE_SEND, 5, 0, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_type(c), MACH_PORT_TYPE_RECEIVE);
    EXPECT_EQ(t_poll(c, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_bits, MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND));
    EXPECT_EQ(m.h.msgh_remote_port, q);
    EXPECT_EQ(m.h.msgh_local_port, c);
    EXPECT_EQ(t_refs(q, MACH_PORT_RIGHT_SEND), 1);
    EXPECT_EQ(t_status(c).mps_srights, 0);            /* delivery consumed the destination right */
    /* send-once destination: received local type 18 */
    mach_port_t so = t_sonce(c);
    REQUIRE_EQ(t_send(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, q, MACH_MSG_TYPE_COPY_SEND, 6, 0, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_type(so), T_ERR(KERN_INVALID_NAME));
    EXPECT_EQ(t_poll(c, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_bits, MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND_ONCE));
    EXPECT_EQ(t_refs(q, MACH_PORT_RIGHT_SEND), 2);
    EXPECT_EQ(t_status(c).mps_sorights, 0);
    t_destroy(c);
    t_destroy(q);
}

static void body_error_destroys_the_message(void)
{
    mach_port_t c = t_port(), q = t_port(), r = t_port_send();
    mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_SEND, 1);
#pragma pack(push, 4)
    struct {
        mach_msg_header_t h;
        mach_msg_body_t body;
        mach_msg_port_descriptor_t p[2];
    } two = {
        .h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE)
                           | MACH_MSGH_BITS_COMPLEX,
              .msgh_remote_port = c, .msgh_local_port = q, .msgh_id = 9},
        .body = {2},
        .p = {{.name = r, .disposition = MACH_MSG_TYPE_MOVE_SEND, .type = MACH_MSG_PORT_DESCRIPTOR},
              {.name = 0x7FFF0001, .disposition = MACH_MSG_TYPE_COPY_SEND, .type = MACH_MSG_PORT_DESCRIPTOR}},
    };
#pragma pack(pop)
    EXPECT_EQ(mach_msg(&two.h, MACH_SEND_MSG, sizeof(two), 0, 0, 0, 0), MACH_SEND_INVALID_RIGHT);
    t_msg_t m;
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), 1);    /* the moved uref was destroyed with the message */
    EXPECT_EQ(t_count(c), 0);
    EXPECT_EQ(t_status(c).mps_srights, 0);
    /* the destroyed send-once reply right yields a send-once notification (spec §4) */
    EXPECT_EQ(t_poll(q, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
    EXPECT_EQ(m.h.msgh_size, 24);
    EXPECT_EQ(m.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
    t_destroy(r);
    t_destroy(c);
    t_destroy(q);
}

CHECK_SUITE(ipc_rights_suite, "ipc_rights",
            CHECK_CASE(move_send_takes_a_uref), CHECK_CASE(move_send_last_uref_frees_the_name),
            CHECK_CASE(copy_send_keeps_the_uref), CHECK_CASE(make_send_counts_mscount),
            CHECK_CASE(send_once_rights_get_new_names), CHECK_CASE(move_receive_resets_mscount_and_seqno),
            CHECK_CASE(move_receive_without_send_gets_new_name), CHECK_CASE(null_and_dead_names_pass_through),
            CHECK_CASE(invalid_dispositions), CHECK_CASE(header_errors_consume_nothing),
            CHECK_CASE(header_dispositions_as_received), CHECK_CASE(body_error_destroys_the_message));
