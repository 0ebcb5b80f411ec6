/* Capabilities: a task names only the rights in its own space (forged names, other tasks' names, stale generations). */
#include "ipctest.h"

/* Every way of using `name` that needs a right fails with the spec's error. */
static void expect_no_right(mach_port_name_t name)
{
    t_msg_t m;
    EXPECT_EQ(t_type(name), T_ERR(KERN_INVALID_NAME));
    EXPECT_EQ(t_send(name, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, 0, 0), MACH_SEND_INVALID_DEST);
    EXPECT_EQ(t_send(name, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, 0, 0), MACH_SEND_INVALID_DEST);
    EXPECT_EQ(t_poll(name, &m), MACH_RCV_INVALID_NAME);
    EXPECT_EQ(mach_port_deallocate(TASK, name), KERN_INVALID_NAME);
    EXPECT_EQ(mach_port_mod_refs(TASK, name, MACH_PORT_RIGHT_SEND, 1), KERN_INVALID_NAME);
    mach_port_t r = t_port(), p;
    mach_msg_type_name_t type;
    EXPECT_EQ(t_send_port(r, name, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_RIGHT);
    EXPECT_EQ(t_send_port(r, name, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_SEND_INVALID_RIGHT);
    EXPECT_EQ(t_send(r, MACH_MSG_TYPE_MAKE_SEND, name, MACH_MSG_TYPE_MAKE_SEND_ONCE, 1, 0, 0),
              MACH_SEND_INVALID_REPLY);
    EXPECT_EQ(mach_port_extract_right(TASK, name, MACH_MSG_TYPE_COPY_SEND, &p, &type), KERN_INVALID_NAME);
    EXPECT_EQ(t_count(r), 0);
    t_destroy(r);
}

static void forged_names(void)
{
    uint32_t x = 12345, tried = 0;
    while (tried < 16) {
        x = x * 1103515245u + 12345u;
        mach_port_name_t name = x ^ (x >> 7);
        if (!MACH_PORT_VALID(name) || t_type(name) != T_ERR(KERN_INVALID_NAME))
            continue;
        tried++;
        expect_no_right(name);
        if (check_case_failed())
            return;
    }
}

static void stale_generations(void)
{
    mach_port_t a = t_port();
    t_destroy(a);
    mach_port_t b = t_port();
    expect_no_right(a);
    for (uint32_t gen = 1; gen < 4; gen++) {
        mach_port_name_t other = (b & ~0xFFu) | ((b + gen) & 0xFF);
        if (t_type(other) == T_ERR(KERN_INVALID_NAME))
            expect_no_right(other);
    }
    EXPECT_EQ(t_type(b), MACH_PORT_TYPE_RECEIVE);
    t_destroy(b);
    /* our own kernel ports under a forged generation */
    mach_port_name_t self = TASK;
    expect_no_right((self & ~0xFFu) | ((self + 0x80) & 0xFF));
}

static void other_tasks_names(void)
{
    mach_port_t child, r = t_port();
    REQUIRE_EQ(task_create(TASK, FALSE, &child), KERN_SUCCESS);
    REQUIRE_EQ(mach_port_allocate_name(child, MACH_PORT_RIGHT_RECEIVE, 0x00777701), KERN_SUCCESS);
    REQUIRE_EQ(mach_port_insert_right(child, 0x00777702, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    mach_port_type_t type;
    EXPECT_EQ(mach_port_type(child, 0x00777702, &type), KERN_SUCCESS);
    EXPECT_EQ(type, MACH_PORT_TYPE_SEND);
    expect_no_right(0x00777701);                      /* the child's names mean nothing here */
    expect_no_right(0x00777702);
    EXPECT_EQ(mach_port_type(child, r, &type), KERN_INVALID_NAME);   /* nor ours there */
    /* the right itself can come back, under this space's name for the port */
    mach_port_t got;
    mach_msg_type_name_t got_type;
    EXPECT_EQ(mach_port_extract_right(child, 0x00777702, MACH_MSG_TYPE_MOVE_SEND, &got, &got_type), KERN_SUCCESS);
    EXPECT_EQ(got, r);
    EXPECT_EQ(got_type, MACH_MSG_TYPE_PORT_SEND);
    EXPECT_EQ(mach_port_type(child, 0x00777702, &type), KERN_INVALID_NAME);
    EXPECT_EQ(task_terminate(child), KERN_SUCCESS);
    EXPECT_EQ(t_type(child), MACH_PORT_TYPE_DEAD_NAME);
    mach_port_deallocate(TASK, child);
    t_destroy(r);
}

CHECK_SUITE(ipc_caps_suite, "ipc_caps", CHECK_CASE(forged_names), CHECK_CASE(stale_generations),
            CHECK_CASE(other_tasks_names));
