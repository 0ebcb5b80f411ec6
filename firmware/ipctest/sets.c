/* spec §3, §4, §7: port sets — membership, receiving from a set, MACH_RCV_IN_SET, destroying sets and members. */
#include "ipctest.h"

static void members_and_status(void)
{
    mach_port_t s = t_set(), a = t_port(), b = t_port();
    EXPECT_EQ(t_type(s), MACH_PORT_TYPE_PORT_SET);
    EXPECT_EQ(mach_port_move_member(TASK, a, s), KERN_SUCCESS);
    EXPECT_EQ(mach_port_move_member(TASK, b, s), KERN_SUCCESS);
    mach_port_name_t *members;
    mach_msg_type_number_t n;
    REQUIRE_EQ(mach_port_get_set_status(TASK, s, &members, &n), KERN_SUCCESS);
    EXPECT_EQ(n, 2);
    EXPECT_TRUE((members[0] == a && members[1] == b) || (members[0] == b && members[1] == a));
    vm_deallocate(TASK, (vm_address_t)members, 8);
    EXPECT_EQ(t_status(a).mps_pset, s);
    EXPECT_EQ(mach_port_get_set_status(TASK, a, &members, &n), KERN_INVALID_RIGHT);
    EXPECT_EQ(mach_port_get_set_status(TASK, 0x7FFF0001, &members, &n), KERN_INVALID_NAME);
    EXPECT_EQ(mach_port_move_member(TASK, a, MACH_PORT_NULL), KERN_SUCCESS);
    EXPECT_EQ(mach_port_move_member(TASK, a, MACH_PORT_NULL), KERN_NOT_IN_SET);
    EXPECT_EQ(t_status(a).mps_pset, 0);
    EXPECT_EQ(mach_port_move_member(TASK, a, b), KERN_INVALID_RIGHT);
    EXPECT_EQ(mach_port_move_member(TASK, s, s), KERN_INVALID_RIGHT);
    EXPECT_EQ(mach_port_move_member(TASK, a, 0x7FFF0001), KERN_INVALID_NAME);
    REQUIRE_EQ(mach_port_get_set_status(TASK, s, &members, &n), KERN_SUCCESS);
    EXPECT_EQ(n, 1);
    EXPECT_EQ(members[0], b);
    vm_deallocate(TASK, (vm_address_t)members, 4);
    t_destroy(a);
    t_destroy(b);
    t_destroy(s);
}

static void receive_from_a_set(void)
{
    mach_port_t s = t_set(), a = t_port(), b = t_port();
    mach_port_move_member(TASK, a, s);
    mach_port_move_member(TASK, b, s);
    t_send(b, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, 0, 0);
    t_send(a, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 2, 0, 0);
    t_send(b, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 3, 0, 0);
    t_msg_t m;
    EXPECT_EQ(t_poll(a, &m), MACH_RCV_IN_SET);
    for (int i = 1; i <= 3; i++) {
        EXPECT_EQ(t_recv(s, &m, sizeof(m), MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), 0), MACH_MSG_SUCCESS);
        EXPECT_EQ(m.h.msgh_id, i);                    /* oldest first across the members */
        EXPECT_EQ(m.h.msgh_local_port, i == 2 ? a : b);
        EXPECT_EQ(((uint32_t *)&m)[8], i == 3 ? 1 : 0);   /* each port's own seqno */
    }
    EXPECT_EQ(t_poll(s, &m), MACH_RCV_TIMED_OUT);
    /* RCV_LARGE_IDENTITY names the member */
    t_send(b, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 4, 0, 0);
    EXPECT_EQ(t_recv(s, &m, 24, MACH_RCV_LARGE | MACH_RCV_LARGE_IDENTITY, 0), MACH_RCV_TOO_LARGE);
    EXPECT_EQ(m.h.msgh_local_port, b);
    EXPECT_EQ(t_poll(s, &m), MACH_MSG_SUCCESS);
    t_destroy(a);
    t_destroy(b);
    t_destroy(s);
}

static void queued_messages_follow_a_port_into_a_set(void)
{
    mach_port_t s = t_set(), t = t_set(), a = t_port();
    t_send(a, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 8, 0, 0);
    EXPECT_EQ(mach_port_move_member(TASK, a, s), KERN_SUCCESS);
    EXPECT_EQ(mach_port_move_member(TASK, a, t), KERN_SUCCESS);       /* moves from s to t */
    t_msg_t m;
    EXPECT_EQ(t_poll(s, &m), MACH_RCV_TIMED_OUT);
    EXPECT_EQ(t_poll(t, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_id, 8);
    t_destroy(a);
    t_destroy(s);
    t_destroy(t);
}

static void destroying_set_or_member(void)
{
    mach_port_t s = t_set(), a = t_port(), b = t_port();
    mach_port_move_member(TASK, a, s);
    mach_port_move_member(TASK, b, s);
    t_destroy(a);
    mach_port_name_t *members;
    mach_msg_type_number_t n;
    REQUIRE_EQ(mach_port_get_set_status(TASK, s, &members, &n), KERN_SUCCESS);
    EXPECT_EQ(n, 1);
    vm_deallocate(TASK, (vm_address_t)members, 4);
    t_send(b, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, 0, 0);
    EXPECT_EQ(mach_port_mod_refs(TASK, s, MACH_PORT_RIGHT_PORT_SET, -1), KERN_SUCCESS);
    EXPECT_EQ(t_type(s), T_ERR(KERN_INVALID_NAME));
    EXPECT_EQ(t_status(b).mps_pset, 0);               /* the member survives its set */
    t_msg_t m;
    EXPECT_EQ(t_poll(b, &m), MACH_MSG_SUCCESS);
    t_destroy(b);
}

static void moving_a_member_out_by_message(void)
{
    mach_port_t s = t_set(), a = t_port(), c = t_port();
    mach_port_move_member(TASK, a, s);
    REQUIRE_EQ(t_send_port(c, a, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_MSG_SUCCESS);
    mach_port_name_t *members;
    mach_msg_type_number_t n = 99;
    REQUIRE_EQ(mach_port_get_set_status(TASK, s, &members, &n), KERN_SUCCESS);
    EXPECT_EQ(n, 0);                                  /* MOVE_RECEIVE: the port left its set */
    t_msg_t m;
    REQUIRE_EQ(t_poll(c, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_status(m.d[0].port.name).mps_pset, 0);
    t_destroy(m.d[0].port.name);
    t_destroy(c);
    t_destroy(s);
}

CHECK_SUITE(ipc_sets_suite, "ipc_sets",
            CHECK_CASE(members_and_status), CHECK_CASE(receive_from_a_set),
            CHECK_CASE(queued_messages_follow_a_port_into_a_set), CHECK_CASE(destroying_set_or_member),
            CHECK_CASE(moving_a_member_out_by_message));
