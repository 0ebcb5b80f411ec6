/* spec §6: notifications — no-senders, send-once, dead-name, port-deleted, port-destroyed; exact layouts. */
#include "ipctest.h"

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t h;
    NDR_record_t NDR;
    uint32_t value;                                   /* name or mscount */
    mach_msg_security_trailer_t trailer;
} notify_msg_t;
#pragma pack(pop)

/* Receives a notification with a SENDER trailer; checks the common header fields. */
static mach_msg_return_t receive_notification(mach_port_t port, notify_msg_t *m, mach_msg_id_t id,
                                              mach_msg_size_t size)
{
    memset(m, 0xA5, sizeof(*m));
    mach_msg_return_t mr = t_recv(port, m, sizeof(*m), MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SENDER), 0);
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    EXPECT_EQ(m->h.msgh_id, id);
    EXPECT_EQ(m->h.msgh_size, size);
    EXPECT_EQ(m->h.msgh_remote_port, MACH_PORT_NULL);
    EXPECT_EQ(m->h.msgh_local_port, port);
    EXPECT_EQ(m->h.msgh_bits & ~MACH_MSGH_BITS_COMPLEX, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
    const uint32_t *trailer = (const uint32_t *)((const char *)m + size);
    EXPECT_EQ(trailer[3], 0);                         /* kernel sender token {0,1} */
    EXPECT_EQ(trailer[4], 1);
    if (size == 36) {
        EXPECT_EQ(m->NDR.int_rep, 1);
    }
    return mr;
}

static void no_senders_fires_when_the_last_send_right_goes(void)
{
    mach_port_t r = t_port(), n = t_port(), prev = 0xFFFF;
    mach_port_insert_right(TASK, r, r, MACH_MSG_TYPE_MAKE_SEND);
    EXPECT_EQ(mach_port_request_notification(TASK, r, MACH_NOTIFY_NO_SENDERS, 1, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                             &prev), KERN_SUCCESS);
    EXPECT_EQ(prev, MACH_PORT_NULL);
    EXPECT_EQ(t_status(r).mps_nsrequest, 1);
    notify_msg_t m;
    EXPECT_EQ(t_recv(n, &m, sizeof(m), 0, 0), MACH_RCV_TIMED_OUT);
    EXPECT_EQ(mach_port_deallocate(TASK, r), KERN_SUCCESS);
    REQUIRE_EQ(receive_notification(n, &m, MACH_NOTIFY_NO_SENDERS, 36), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.value, 1);                            /* mscount */
    EXPECT_EQ(t_status(r).mps_nsrequest, 0);          /* consumed */
    t_destroy(r);
    t_destroy(n);
}

static void no_senders_fires_immediately(void)
{
    mach_port_t r = t_port(), n = t_port(), prev;
    mach_port_set_mscount(TASK, r, 3);
    EXPECT_EQ(mach_port_request_notification(TASK, r, MACH_NOTIFY_NO_SENDERS, 3, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                             &prev), KERN_SUCCESS);
    notify_msg_t m;
    REQUIRE_EQ(receive_notification(n, &m, MACH_NOTIFY_NO_SENDERS, 36), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.value, 3);
    EXPECT_EQ(t_status(r).mps_nsrequest, 0);          /* stays unregistered */
    /* sync > mscount: registered instead */
    EXPECT_EQ(mach_port_request_notification(TASK, r, MACH_NOTIFY_NO_SENDERS, 4, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                             &prev), KERN_SUCCESS);
    EXPECT_EQ(t_status(r).mps_nsrequest, 1);
    EXPECT_EQ(t_recv(n, &m, sizeof(m), 0, 0), MACH_RCV_TIMED_OUT);
    /* cancelling returns the previous send-once right */
    EXPECT_EQ(mach_port_request_notification(TASK, r, MACH_NOTIFY_NO_SENDERS, 0, MACH_PORT_NULL,
                                             MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev), KERN_SUCCESS);
    EXPECT_TRUE(MACH_PORT_VALID(prev));
    EXPECT_EQ(t_type(prev), MACH_PORT_TYPE_SEND_ONCE);
    mach_port_deallocate(TASK, prev);
    REQUIRE_EQ(receive_notification(n, &m, MACH_NOTIFY_SEND_ONCE, 24), MACH_MSG_SUCCESS);
    t_destroy(r);
    t_destroy(n);
}

static void send_once_notification(void)
{
    mach_port_t r = t_port(), so = t_sonce(r);
    EXPECT_EQ(mach_port_deallocate(TASK, so), KERN_SUCCESS);
    notify_msg_t m;
    REQUIRE_EQ(receive_notification(r, &m, MACH_NOTIFY_SEND_ONCE, 24), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_status(r).mps_sorights, 0);
    t_destroy(r);
}

static void dead_name_adds_a_uref(void)
{
    mach_port_t r = t_port(), n = t_port(), prev;
    mach_port_t so = t_sonce(r);
    EXPECT_EQ(mach_port_request_notification(TASK, so, MACH_NOTIFY_DEAD_NAME, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                             &prev), KERN_SUCCESS);
    EXPECT_EQ(t_type(so), MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_DNREQUEST);
    t_destroy(r);
    notify_msg_t m;
    REQUIRE_EQ(receive_notification(n, &m, MACH_NOTIFY_DEAD_NAME, 36), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.value, so);
    EXPECT_EQ(t_type(so), MACH_PORT_TYPE_DEAD_NAME);
    EXPECT_EQ(t_refs(so, MACH_PORT_RIGHT_DEAD_NAME), 2);
    /* on an already dead name: sync != 0 fires at once (+1 uref), sync == 0 is refused */
    EXPECT_EQ(mach_port_request_notification(TASK, so, MACH_NOTIFY_DEAD_NAME, 1, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                             &prev), KERN_SUCCESS);
    EXPECT_EQ(prev, MACH_PORT_NULL);
    REQUIRE_EQ(receive_notification(n, &m, MACH_NOTIFY_DEAD_NAME, 36), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.value, so);
    EXPECT_EQ(t_refs(so, MACH_PORT_RIGHT_DEAD_NAME), 3);
    EXPECT_EQ(mach_port_request_notification(TASK, so, MACH_NOTIFY_DEAD_NAME, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                             &prev), KERN_INVALID_ARGUMENT);
    mach_port_mod_refs(TASK, so, MACH_PORT_RIGHT_DEAD_NAME, -3);
    EXPECT_EQ(t_type(so), T_ERR(KERN_INVALID_NAME));
    t_destroy(n);
}

static void port_deleted_when_the_name_goes_first(void)
{
    mach_port_t r = t_port(), n = t_port(), prev;
    mach_port_t so = t_sonce(r);
    mach_port_request_notification(TASK, so, MACH_NOTIFY_DEAD_NAME, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
    EXPECT_EQ(mach_port_deallocate(TASK, so), KERN_SUCCESS);
    notify_msg_t m;
    REQUIRE_EQ(receive_notification(n, &m, MACH_NOTIFY_PORT_DELETED, 36), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.value, so);
    REQUIRE_EQ(receive_notification(r, &m, MACH_NOTIFY_SEND_ONCE, 24), MACH_MSG_SUCCESS);
    t_destroy(r);
    t_destroy(n);
}

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
    char trailer[MAX_TRAILER_SIZE];
} destroyed_msg_t;
#pragma pack(pop)

static void port_destroyed_hands_the_receive_right_over(void)
{
    mach_port_t r = t_port(), n = t_port(), prev;
    mach_port_insert_right(TASK, r, r, MACH_MSG_TYPE_MAKE_SEND);
    mach_port_set_seqno(TASK, r, 4);
    t_send(r, MACH_MSG_TYPE_COPY_SEND, 0, 0, 61, 0, 0);
    EXPECT_EQ(mach_port_request_notification(TASK, r, MACH_NOTIFY_PORT_DESTROYED, 1, n,
                                             MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev), KERN_INVALID_VALUE);
    notify_msg_t failed;                              /* the refused request's send-once right died */
    EXPECT_EQ(receive_notification(n, &failed, MACH_NOTIFY_SEND_ONCE, 24), MACH_MSG_SUCCESS);
    EXPECT_EQ(mach_port_request_notification(TASK, r, MACH_NOTIFY_PORT_DESTROYED, 0, n,
                                             MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev), KERN_SUCCESS);
    EXPECT_EQ(t_status(r).mps_pdrequest, 1);
    EXPECT_EQ(mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    EXPECT_EQ(t_type(r), MACH_PORT_TYPE_SEND);        /* the port survives: the send right stays */
    destroyed_msg_t m;
    REQUIRE_EQ(t_recv(n, &m, sizeof(m), 0, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_id, MACH_NOTIFY_PORT_DESTROYED);
    EXPECT_EQ(m.h.msgh_size, 40);
    EXPECT_EQ(m.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE) | MACH_MSGH_BITS_COMPLEX);
    EXPECT_EQ(m.body.msgh_descriptor_count, 1);
    EXPECT_EQ(m.port.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
    EXPECT_EQ(m.port.name, r);                        /* copyout: receive joins the send-right name */
    mach_port_status_t st = t_status(r);
    EXPECT_EQ(st.mps_seqno, 0);
    EXPECT_EQ(st.mps_mscount, 0);
    EXPECT_EQ(st.mps_pdrequest, 0);
    EXPECT_EQ(st.mps_msgcount, 1);
    t_destroy(r);
    t_destroy(n);
}

static void request_errors(void)
{
    mach_port_t r = t_port(), n = t_port(), prev, d, so = t_sonce(r);
    mach_port_allocate(TASK, MACH_PORT_RIGHT_DEAD_NAME, &d);
    EXPECT_EQ(mach_port_request_notification(TASK, r, 66, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
              KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_request_notification(TASK, r, MACH_NOTIFY_NO_SENDERS, 0, MACH_PORT_DEAD,
                                             MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev), KERN_INVALID_CAPABILITY);
    EXPECT_EQ(mach_port_request_notification(TASK, so, MACH_NOTIFY_PORT_DESTROYED, 0, n,
                                             MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev), KERN_INVALID_RIGHT);
    EXPECT_EQ(mach_port_request_notification(TASK, so, MACH_NOTIFY_NO_SENDERS, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                             &prev), KERN_INVALID_RIGHT);
    EXPECT_EQ(mach_port_request_notification(TASK, 0x7FFF0001, MACH_NOTIFY_DEAD_NAME, 0, n,
                                             MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev), KERN_INVALID_NAME);
    /* the failed requests' send-once rights were destroyed: one send-once notification each */
    notify_msg_t m;
    for (int i = 0; i < 4; i++)
        EXPECT_EQ(receive_notification(n, &m, MACH_NOTIFY_SEND_ONCE, 24), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_recv(n, &m, sizeof(m), 0, 0), MACH_RCV_TIMED_OUT);
    mach_port_deallocate(TASK, so);
    mach_port_deallocate(TASK, d);
    t_destroy(r);
    t_destroy(n);
}

CHECK_SUITE(ipc_notify_suite, "ipc_notify",
            CHECK_CASE(no_senders_fires_when_the_last_send_right_goes), CHECK_CASE(no_senders_fires_immediately),
            CHECK_CASE(send_once_notification), CHECK_CASE(dead_name_adds_a_uref),
            CHECK_CASE(port_deleted_when_the_name_goes_first), CHECK_CASE(port_destroyed_hands_the_receive_right_over),
            CHECK_CASE(request_errors));
