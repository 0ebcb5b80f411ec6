/* spec §1, §3: port names — index/generation, NULL/DEAD, urefs limits, dead names, reuse. */
#include "ipctest.h"

static void allocate_gives_index_and_generation(void)
{
    mach_port_t a = t_port();
    EXPECT_TRUE(MACH_PORT_VALID(a));
    EXPECT_TRUE((a >> 8) >= 1);                 /* 24-bit slot index ≥ 1 */
    EXPECT_EQ(t_type(a), MACH_PORT_TYPE_RECEIVE);
    EXPECT_EQ(t_refs(a, MACH_PORT_RIGHT_RECEIVE), 1);
    EXPECT_EQ(t_refs(a, MACH_PORT_RIGHT_SEND), 0);
    t_destroy(a);
}

static void reuse_advances_generation(void)
{
    mach_port_t a = t_port();
    t_destroy(a);
    mach_port_t b = t_port();
    EXPECT_TRUE(b != a);
    if ((b >> 8) == (a >> 8))
        EXPECT_EQ(b & 0xFF, (a + 1) & 0xFF);    /* [chosen] CMU step +1 mod 256 */
    EXPECT_EQ(t_type(a), T_ERR(KERN_INVALID_NAME));
    EXPECT_EQ(t_send(a, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, 0, 0), MACH_SEND_INVALID_DEST);
    t_destroy(b);
}

static void null_and_dead_are_not_names(void)
{
    EXPECT_EQ(t_type(MACH_PORT_NULL), T_ERR(KERN_INVALID_NAME));
    EXPECT_EQ(t_type(MACH_PORT_DEAD), T_ERR(KERN_INVALID_NAME));
    EXPECT_EQ(mach_port_allocate_name(TASK, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_NULL), KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_allocate_name(TASK, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_DEAD), KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_deallocate(TASK, MACH_PORT_NULL), KERN_INVALID_NAME);
}

static void user_chosen_names(void)
{
    mach_port_t name = 0x12345678;
    REQUIRE_EQ(mach_port_allocate_name(TASK, MACH_PORT_RIGHT_RECEIVE, name), KERN_SUCCESS);
    EXPECT_EQ(t_type(name), MACH_PORT_TYPE_RECEIVE);
    EXPECT_EQ(mach_port_allocate_name(TASK, MACH_PORT_RIGHT_PORT_SET, name), KERN_NAME_EXISTS);
    EXPECT_EQ(mach_port_allocate_name(TASK, MACH_PORT_RIGHT_SEND, 0x12345679), KERN_INVALID_VALUE);
    EXPECT_EQ(t_send(name, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 7, 0, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_count(name), 1);
    t_destroy(name);
    EXPECT_EQ(t_type(name), T_ERR(KERN_INVALID_NAME));
}

static void send_and_receive_share_a_name(void)
{
    mach_port_t r = t_port();
    EXPECT_EQ(mach_port_insert_right(TASK, r, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    EXPECT_EQ(t_type(r), MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), 1);
    mach_port_t so = t_sonce(r);
    EXPECT_TRUE(MACH_PORT_VALID(so) && so != r);
    EXPECT_EQ(t_type(so), MACH_PORT_TYPE_SEND_ONCE);
    EXPECT_EQ(t_refs(so, MACH_PORT_RIGHT_SEND_ONCE), 1);
    mach_port_t so2 = t_sonce(r);
    EXPECT_TRUE(so2 != so && so2 != r);         /* each send-once right has its own name */
    mach_port_deallocate(TASK, so);
    mach_port_deallocate(TASK, so2);
    t_destroy(r);
}

static void urefs_limits(void)
{
    mach_port_t r = t_port_send();
    EXPECT_EQ(mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_SEND, 0xFFFE), KERN_SUCCESS);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), MACH_PORT_UREFS_MAX);
    EXPECT_EQ(mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_SEND, 1), KERN_UREFS_OVERFLOW);
    EXPECT_EQ(mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_SEND, -0x10000), KERN_INVALID_VALUE);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), MACH_PORT_UREFS_MAX);
    /* copyout of one more send right pegs at the maximum instead of failing (spec §3) */
    EXPECT_EQ(t_send_port(r, r, MACH_MSG_TYPE_COPY_SEND), MACH_MSG_SUCCESS);
    t_msg_t m;
    EXPECT_EQ(t_poll(r, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.d[0].port.name, r);
    EXPECT_EQ(t_refs(r, MACH_PORT_RIGHT_SEND), MACH_PORT_UREFS_MAX);
    EXPECT_EQ(mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_SEND, -0xFFFF), KERN_SUCCESS);
    EXPECT_EQ(t_type(r), MACH_PORT_TYPE_RECEIVE);
    t_destroy(r);
}

static void dead_names(void)
{
    mach_port_t d;
    REQUIRE_EQ(mach_port_allocate(TASK, MACH_PORT_RIGHT_DEAD_NAME, &d), KERN_SUCCESS);
    EXPECT_EQ(t_type(d), MACH_PORT_TYPE_DEAD_NAME);
    EXPECT_EQ(t_refs(d, MACH_PORT_RIGHT_DEAD_NAME), 1);
    EXPECT_EQ(mach_port_mod_refs(TASK, d, MACH_PORT_RIGHT_DEAD_NAME, 2), KERN_SUCCESS);
    EXPECT_EQ(mach_port_deallocate(TASK, d), KERN_SUCCESS);
    EXPECT_EQ(t_refs(d, MACH_PORT_RIGHT_DEAD_NAME), 2);
    EXPECT_EQ(mach_port_mod_refs(TASK, d, MACH_PORT_RIGHT_DEAD_NAME, -2), KERN_SUCCESS);
    EXPECT_EQ(t_type(d), T_ERR(KERN_INVALID_NAME));
    EXPECT_EQ(t_send(d, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, 0, 0), MACH_SEND_INVALID_DEST);
}

static void send_once_becomes_dead_name(void)
{
    mach_port_t r = t_port();
    mach_port_t so = t_sonce(r);
    EXPECT_EQ(mach_port_mod_refs(TASK, r, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    EXPECT_EQ(t_type(r), T_ERR(KERN_INVALID_NAME));
    EXPECT_EQ(t_type(so), MACH_PORT_TYPE_DEAD_NAME);
    EXPECT_EQ(t_refs(so, MACH_PORT_RIGHT_DEAD_NAME), 1);
    EXPECT_EQ(t_send(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 1, 0, 0), MACH_SEND_INVALID_DEST);
    EXPECT_EQ(mach_port_deallocate(TASK, so), KERN_SUCCESS);
    EXPECT_EQ(t_type(so), T_ERR(KERN_INVALID_NAME));
}

static void rename_moves_every_right(void)
{
    mach_port_t r = t_port_send(), other = t_port();
    mach_port_t to = 0x00C0FFEE;
    REQUIRE_EQ(mach_port_rename(TASK, r, to), KERN_SUCCESS);
    EXPECT_EQ(t_type(r), T_ERR(KERN_INVALID_NAME));
    EXPECT_EQ(t_type(to), MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND);
    EXPECT_EQ(mach_port_rename(TASK, to, other), KERN_NAME_EXISTS);
    EXPECT_EQ(mach_port_rename(TASK, to, MACH_PORT_NULL), KERN_INVALID_VALUE);
    EXPECT_EQ(mach_port_rename(TASK, r, 0x00C0FFEF), KERN_INVALID_NAME);
    EXPECT_EQ(t_send(to, MACH_MSG_TYPE_COPY_SEND, 0, 0, 3, 0, 0), MACH_MSG_SUCCESS);
    t_msg_t m;
    EXPECT_EQ(t_poll(to, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_local_port, to);
    t_destroy(to);
    t_destroy(other);
}

static void names_lists_every_name(void)
{
    mach_port_t r = t_port_send(), s = t_set(), so = t_sonce(r);
    mach_port_name_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t n, nt;
    REQUIRE_EQ(mach_port_names(TASK, &names, &n, &types, &nt), KERN_SUCCESS);
    EXPECT_EQ(n, nt);
    EXPECT_EQ(((uintptr_t)names) & PAGE_MASK, 0);
    uint32_t seen = 0;
    for (unsigned i = 0; i < n; i++) {
        if (names[i] == r) {
            seen |= 1;
            EXPECT_EQ(types[i], MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND);
        } else if (names[i] == s) {
            seen |= 2;
            EXPECT_EQ(types[i], MACH_PORT_TYPE_PORT_SET);
        } else if (names[i] == so) {
            seen |= 4;
            EXPECT_EQ(types[i], MACH_PORT_TYPE_SEND_ONCE);
        }
    }
    EXPECT_EQ(seen, 7);
    vm_deallocate(TASK, (vm_address_t)names, n * 4);
    vm_deallocate(TASK, (vm_address_t)types, n * 4);
    mach_port_deallocate(TASK, so);
    t_destroy(r);
    t_destroy(s);
}

CHECK_SUITE(ipc_names_suite, "ipc_names",
            CHECK_CASE(allocate_gives_index_and_generation), CHECK_CASE(reuse_advances_generation),
            CHECK_CASE(null_and_dead_are_not_names), CHECK_CASE(user_chosen_names),
            CHECK_CASE(send_and_receive_share_a_name), CHECK_CASE(urefs_limits), CHECK_CASE(dead_names),
            CHECK_CASE(send_once_becomes_dead_name), CHECK_CASE(rename_moves_every_right),
            CHECK_CASE(names_lists_every_name));
