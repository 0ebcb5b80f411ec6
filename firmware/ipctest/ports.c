/* spec §7: the mach_port_* routines, their errors, and the MIG checks of the server. */
#include "ipctest.h"

static void allocate_and_deallocate_errors(void)
{
    mach_port_t name;
    EXPECT_EQ(mach_port_allocate(TASK, MACH_PORT_RIGHT_SEND, &name), KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_allocate(TASK, MACH_PORT_RIGHT_SEND_ONCE, &name), KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_allocate(TASK, 7, &name), KERN_INVALID_VALUE);
    mach_port_t r = t_port(), s = t_set();
    EXPECT_EQ(mach_port_deallocate(TASK, r), KERN_INVALID_RIGHT);
    EXPECT_EQ(mach_port_deallocate(TASK, s), KERN_INVALID_RIGHT);
    EXPECT_EQ(mach_port_deallocate(TASK, 0x7FFF0001), KERN_INVALID_NAME);
    EXPECT_EQ(mach_port_destroy(TASK, 0x7FFF0001), KERN_INVALID_NAME);
    EXPECT_EQ(t_refs(s, MACH_PORT_RIGHT_PORT_SET), 1);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_DEAD_NAME), 0);
    EXPECT_EQ(t_refs(r, 9), T_ERR(KERN_INVALID_VALUE));
    EXPECT_EQ(mach_port_destroy(TASK, r), KERN_SUCCESS);
    EXPECT_EQ(mach_port_destroy(TASK, s), KERN_SUCCESS);
    EXPECT_EQ(t_type(s), T_ERR(KERN_INVALID_NAME));
}

static void mod_refs_rules(void)
{
    mach_port_t r = t_port(), so = t_sonce(r);
    EXPECT_EQ(mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_RECEIVE, 1), KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_RECEIVE, -2), KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_RECEIVE, 0), KERN_SUCCESS);
    EXPECT_EQ(mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_SEND, 1), KERN_INVALID_RIGHT);
    EXPECT_EQ(mach_port_mod_refs(TASK, so, MACH_PORT_RIGHT_SEND_ONCE, 1), KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_mod_refs(TASK, so, MACH_PORT_RIGHT_SEND_ONCE, -1), KERN_SUCCESS);
    EXPECT_EQ(t_type(so), T_ERR(KERN_INVALID_NAME));
    t_msg_t m;
    EXPECT_EQ(t_poll(r, &m), MACH_MSG_SUCCESS);       /* the send-once right died unused */
    EXPECT_EQ(m.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
    EXPECT_EQ(mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    EXPECT_EQ(t_type(r), T_ERR(KERN_INVALID_NAME));
}

static void receive_status_fields(void)
{
    mach_port_t r = t_port(), s = t_set(), q = t_port();
    mach_port_t so = t_sonce(r), prev;
    mach_port_insert_right(TASK, r, r, MACH_MSG_TYPE_MAKE_SEND);
    mach_port_move_member(TASK, r, s);
    t_send(r, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, 0, 0);
    mach_port_request_notification(TASK, r, MACH_NOTIFY_NO_SENDERS, 0, q, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
    mach_port_status_t st = t_status(r);
    EXPECT_EQ(st.mps_pset, s);
    EXPECT_EQ(st.mps_seqno, 0);
    EXPECT_EQ(st.mps_mscount, 1);
    EXPECT_EQ(st.mps_qlimit, MACH_PORT_QLIMIT_DEFAULT);
    EXPECT_EQ(st.mps_msgcount, 1);
    EXPECT_EQ(st.mps_sorights, 1);
    EXPECT_EQ(st.mps_srights, 1);
    EXPECT_EQ(st.mps_pdrequest, 0);
    EXPECT_EQ(st.mps_nsrequest, 1);
    EXPECT_EQ(st.mps_flags, 0);
    EXPECT_EQ(mach_port_set_mscount(TASK, r, 7), KERN_SUCCESS);
    EXPECT_EQ(t_status(r).mps_mscount, 7);
    EXPECT_EQ(mach_port_get_receive_status(TASK, so, &st), KERN_INVALID_RIGHT);
    EXPECT_EQ(mach_port_get_receive_status(TASK, 0x7FFF0001, &st), KERN_INVALID_NAME);
    mach_port_deallocate(TASK, so);
    t_destroy(r);
    t_destroy(s);
    t_destroy(q);
}

static void attributes(void)
{
    mach_port_t r = t_port();
    uint32_t info[17];
    mach_msg_type_number_t n = 17;
    EXPECT_EQ(mach_port_get_attributes(TASK, r, MACH_PORT_LIMITS_INFO, info, &n), KERN_SUCCESS);
    EXPECT_EQ(n, 1);
    EXPECT_EQ(info[0], MACH_PORT_QLIMIT_DEFAULT);
    uint32_t limit = 9;
    EXPECT_EQ(mach_port_set_attributes(TASK, r, MACH_PORT_LIMITS_INFO, &limit, 1), KERN_SUCCESS);
    EXPECT_EQ(t_status(r).mps_qlimit, 9);
    limit = 1025;
    EXPECT_EQ(mach_port_set_attributes(TASK, r, MACH_PORT_LIMITS_INFO, &limit, 1), KERN_INVALID_VALUE);
    n = 17;
    EXPECT_EQ(mach_port_get_attributes(TASK, r, MACH_PORT_RECEIVE_STATUS, info, &n), KERN_SUCCESS);
    EXPECT_EQ(n, 10);
    EXPECT_EQ(info[3], 9);
    n = 17;
    EXPECT_EQ(mach_port_get_attributes(TASK, r, MACH_PORT_DNREQUESTS_SIZE, info, &n), KERN_SUCCESS);
    EXPECT_EQ(n, 1);
    n = 17;
    EXPECT_EQ(mach_port_get_attributes(TASK, r, 99, info, &n), KERN_INVALID_ARGUMENT);
    EXPECT_EQ(mach_port_get_attributes(TASK, 0x7FFF0001, MACH_PORT_LIMITS_INFO, info, &n), KERN_INVALID_NAME);
    t_destroy(r);
}

static void insert_right_rules(void)
{
    mach_port_t r = t_port(), other = t_port(), so = t_sonce(r);
    EXPECT_EQ(mach_port_insert_right(TASK, 0x00ABCDEF, r, MACH_MSG_TYPE_MAKE_SEND), KERN_RIGHT_EXISTS);
    /* a send-once right never reuses a name, so this one collides with `other` */
    EXPECT_EQ(mach_port_insert_right(TASK, other, r, MACH_MSG_TYPE_MAKE_SEND_ONCE), KERN_NAME_EXISTS);
    EXPECT_EQ(mach_port_insert_right(TASK, 0x00ABCDEF, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND),
              KERN_INVALID_CAPABILITY);
    EXPECT_EQ(mach_port_insert_right(TASK, MACH_PORT_NULL, r, MACH_MSG_TYPE_MAKE_SEND), KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_insert_right(TASK, r, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    EXPECT_EQ(mach_port_insert_right(TASK, r, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), 2);
    /* a send-once right under a new user-chosen name */
    EXPECT_EQ(mach_port_insert_right(TASK, 0x00ABCDEF, so, MACH_MSG_TYPE_MOVE_SEND_ONCE), KERN_SUCCESS);
    EXPECT_EQ(t_type(0x00ABCDEF), MACH_PORT_TYPE_SEND_ONCE);
    EXPECT_EQ(t_type(so), T_ERR(KERN_INVALID_NAME));
    mach_port_deallocate(TASK, 0x00ABCDEF);
    t_destroy(r);
    t_destroy(other);
}

static void extract_right_dispositions(void)
{
    mach_port_t r = t_port_send(), p;
    mach_msg_type_name_t type;
    EXPECT_EQ(mach_port_extract_right(TASK, r, MACH_MSG_TYPE_PORT_NAME, &p, &type), KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_extract_right(TASK, r, MACH_MSG_TYPE_COPY_RECEIVE, &p, &type), KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_extract_right(TASK, 0x7FFF0001, MACH_MSG_TYPE_COPY_SEND, &p, &type), KERN_INVALID_NAME);
    EXPECT_EQ(mach_port_extract_right(TASK, r, MACH_MSG_TYPE_MOVE_SEND_ONCE, &p, &type), KERN_INVALID_RIGHT);
    EXPECT_EQ(mach_port_extract_right(TASK, r, MACH_MSG_TYPE_COPY_SEND, &p, &type), KERN_SUCCESS);
    EXPECT_EQ(type, MACH_MSG_TYPE_PORT_SEND);
    EXPECT_EQ(p, r);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), 2);
    EXPECT_EQ(mach_port_extract_right(TASK, r, MACH_MSG_TYPE_MOVE_RECEIVE, &p, &type), KERN_SUCCESS);
    EXPECT_EQ(type, MACH_MSG_TYPE_PORT_RECEIVE);
    EXPECT_EQ(p, r);
    EXPECT_EQ(t_type(r), MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND);
    EXPECT_EQ(t_status(r).mps_mscount, 0);            /* the receive right moved (mscount reset) */
    t_destroy(r);
}

/* Sends raw bytes to the task port and returns the RetCode of the 36-byte error reply. */
static kern_return_t raw_request(mach_msg_bits_t extra_bits, mach_msg_id_t id, const void *body, uint32_t body_size)
{
    t_msg_t m;
    mach_port_t reply = t_port();
    m.h = (mach_msg_header_t){.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE)
                                           | extra_bits,
                              .msgh_remote_port = TASK, .msgh_local_port = reply, .msgh_id = id};
    memcpy(&m.h + 1, body, body_size);
    mach_msg_return_t mr = mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, 24 + body_size,
                                    sizeof(m), reply, 0, 0);
    t_destroy(reply);
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    if (m.h.msgh_id != id + 100 || m.h.msgh_size != 36 || m.h.msgh_bits != MACH_MSGH_BITS(0, 18))
        return MIG_REPLY_MISMATCH;
    return ((mig_reply_error_t *)&m)->RetCode;
}

static void mig_server_checks(void)
{
    uint32_t body[8] = {0, 0x00000001, MACH_PORT_RIGHT_RECEIVE, 0, 0, 0, 0, 0};
    EXPECT_EQ(raw_request(0, 3299, body, 12), MIG_BAD_ID);
    EXPECT_EQ(raw_request(0, 3209, body, 12), MIG_BAD_ID);
    EXPECT_EQ(raw_request(0, 3204, body, 16), MIG_BAD_ARGUMENTS);     /* one word too many */
    EXPECT_EQ(raw_request(0, 3204, body, 8), MIG_BAD_ARGUMENTS);      /* NDR but no right */
    /* insert_right without COMPLEX, then with an OOL descriptor in place of the port */
    EXPECT_EQ(raw_request(0, 3215, body, 28), MIG_BAD_ARGUMENTS);
    uint32_t none[4] = {0, 0, 0x00000001, 0x00ABCDEF};                  /* COMPLEX without descriptors */
    EXPECT_EQ(raw_request(MACH_MSGH_BITS_COMPLEX, 3215, none, 16), MIG_BAD_ARGUMENTS);
    uint32_t ool[10] = {1, 0, 0, 0x01000000, 0, 0, 1, 0, 0x12340000, 0};
    EXPECT_EQ(raw_request(MACH_MSGH_BITS_COMPLEX, 3215, ool, 32), MIG_TYPE_ERROR);
    /* wrong kind of target: mach_port_type on the host port */
    mach_port_type_t type;
    EXPECT_EQ(mach_port_type(mach_host_self(), 0x7FFF0001, &type), KERN_INVALID_TASK);
}

CHECK_SUITE(ipc_ports_suite, "ipc_ports",
            CHECK_CASE(allocate_and_deallocate_errors), CHECK_CASE(mod_refs_rules), CHECK_CASE(receive_status_fields),
            CHECK_CASE(attributes), CHECK_CASE(insert_right_rules), CHECK_CASE(extract_right_dispositions),
            CHECK_CASE(mig_server_checks));
