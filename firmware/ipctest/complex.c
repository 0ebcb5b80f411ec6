/* spec §2.4: complex messages — OOL memory (physical/virtual, deallocate, fresh page-aligned memory), OOL ports. */
#include "ipctest.h"

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_ool_descriptor_t ool[2];
    uint32_t tail;
    char trailer[MAX_TRAILER_SIZE];
} ool_msg_t;
#pragma pack(pop)

static mach_msg_return_t send_ool(mach_port_t dest, mach_port_t reply, const void *a, uint32_t size, uint8_t copy,
                                  uint8_t dealloc, uint8_t type, uint32_t ndesc)
{
    ool_msg_t m = {
        .h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, reply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0)
                           | MACH_MSGH_BITS_COMPLEX,
              .msgh_remote_port = dest, .msgh_local_port = reply, .msgh_id = 400},
        .body = {ndesc},
        .tail = 0xFEEDFACE,
    };
    for (uint32_t i = 0; i < ndesc; i++)
        m.ool[i] = (mach_msg_ool_descriptor_t){.address = (uint64_t)(uintptr_t)a, .deallocate = dealloc,
                                               .copy = copy, .pad1 = 0x77, .type = type, .size = size};
    mach_msg_size_t send_size = 28 + 16 * ndesc;
    *(uint32_t *)((char *)&m + send_size) = 0xFEEDFACE;
    return mach_msg(&m.h, MACH_SEND_MSG, send_size + 4, 0, 0, 0, 0);
}

static void ool_memory_arrives_in_fresh_pages(void)
{
    mach_port_t r = t_port();
    static char text[5000];
    uint32_t x = 1;                                   /* a recurrence: gcc does not vectorize it */
    for (int i = 0; i < (int)sizeof(text); i++)
        text[i] = (char)((x = x * 1103515245u + 12345u) >> 16);
    char first = text[3];
    REQUIRE_EQ(send_ool(r, 0, text + 3, 4500, MACH_MSG_PHYSICAL_COPY, 0, MACH_MSG_OOL_DESCRIPTOR, 2), 0);
    text[3] = 0;                                      /* a copy was taken at send time */
    ool_msg_t m;
    REQUIRE_EQ(t_recv(r, &m, sizeof(m), 0, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND) | MACH_MSGH_BITS_COMPLEX);
    EXPECT_EQ(m.h.msgh_size, 64);
    EXPECT_EQ(m.body.msgh_descriptor_count, 2);
    EXPECT_EQ(m.tail, 0xFEEDFACE);
    for (int d = 0; d < 2; d++) {
        const char *got = (const char *)(uintptr_t)m.ool[d].address;
        EXPECT_TRUE(got != 0 && got != text + 3);
        EXPECT_EQ(m.ool[d].address & PAGE_MASK, 0);
        EXPECT_EQ(m.ool[d].size, 4500);
        EXPECT_EQ(m.ool[d].copy, MACH_MSG_PHYSICAL_COPY);
        EXPECT_EQ(m.ool[d].deallocate, 0);
        EXPECT_EQ(m.ool[d].pad1, 0);
        EXPECT_EQ(m.ool[d].type, MACH_MSG_OOL_DESCRIPTOR);
        EXPECT_EQ(got[0], first);
        EXPECT_EQ(memcmp(got + 1, text + 4, 4499), 0);
        EXPECT_EQ(vm_deallocate(TASK, m.ool[d].address, 4500), KERN_SUCCESS);
    }
    EXPECT_TRUE(m.ool[0].address != m.ool[1].address);
    t_destroy(r);
}

static void virtual_copy_and_deallocate(void)
{
    mach_port_t r = t_port();
    vm_address_t region = t_alloc(2 * PAGE_SIZE);
    REQUIRE_EQ(region != 0, 1);
    memset((void *)region, 0x5A, 2 * PAGE_SIZE);
    REQUIRE_EQ(send_ool(r, 0, (void *)(region + 100), PAGE_SIZE, MACH_MSG_VIRTUAL_COPY, 1,
                        MACH_MSG_OOL_DESCRIPTOR, 1), 0);
    /* the sender's pages covering the region are gone: both pages */
    EXPECT_EQ(vm_protect(TASK, region, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS);
    EXPECT_EQ(vm_protect(TASK, region + PAGE_SIZE, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS);
    ool_msg_t m;
    REQUIRE_EQ(t_recv(r, &m, sizeof(m), 0, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.ool[0].copy, MACH_MSG_VIRTUAL_COPY);
    EXPECT_EQ(m.ool[0].deallocate, 1);                /* deallocate = (copy == VIRTUAL) */
    EXPECT_EQ(m.ool[0].size, PAGE_SIZE);
    EXPECT_EQ(((unsigned char *)(uintptr_t)m.ool[0].address)[PAGE_SIZE - 1], 0x5A);
    vm_deallocate(TASK, m.ool[0].address, PAGE_SIZE);
    t_destroy(r);
}

static void null_region(void)
{
    mach_port_t r = t_port();
    REQUIRE_EQ(send_ool(r, 0, (void *)0x1234, 0, MACH_MSG_PHYSICAL_COPY, 1, MACH_MSG_OOL_DESCRIPTOR, 1), 0);
    ool_msg_t m;
    REQUIRE_EQ(t_recv(r, &m, sizeof(m), 0, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.ool[0].address, 0);
    EXPECT_EQ(m.ool[0].size, 0);
    t_destroy(r);
}

static void bad_descriptors_destroy_the_message(void)
{
    mach_port_t r = t_port(), q = t_port();
    static char buf[16];
    t_msg_t m;
    EXPECT_EQ(send_ool(r, q, buf, 16, MACH_MSG_ALLOCATE, 0, MACH_MSG_OOL_DESCRIPTOR, 1), MACH_SEND_INVALID_TYPE);
    EXPECT_EQ(send_ool(r, q, buf, 16, MACH_MSG_OVERWRITE, 0, MACH_MSG_OOL_DESCRIPTOR, 1), MACH_SEND_INVALID_TYPE);
    EXPECT_EQ(send_ool(r, q, buf, 16, 0, 0, MACH_MSG_OOL_VOLATILE_DESCRIPTOR, 1), MACH_SEND_INVALID_TYPE);
    EXPECT_EQ(send_ool(r, q, buf, 16, 0, 0, 4, 1), MACH_SEND_INVALID_TYPE);
    EXPECT_EQ(send_ool(r, q, (void *)0x10, 16, 0, 0, MACH_MSG_OOL_DESCRIPTOR, 1), MACH_SEND_INVALID_MEMORY);
    EXPECT_EQ(t_count(r), 0);
    /* each destroyed message's send-once reply right: a send-once notification */
    for (int i = 0; i < 5; i++) {
        EXPECT_EQ(t_poll(q, &m), MACH_MSG_SUCCESS);
        EXPECT_EQ(m.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
    }
    EXPECT_EQ(t_poll(q, &m), MACH_RCV_TIMED_OUT);
    EXPECT_EQ(t_status(r).mps_srights, 0);
    t_destroy(r);
    t_destroy(q);
}

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_ool_ports_descriptor_t ports;
    char trailer[MAX_TRAILER_SIZE];
} ool_ports_msg_t;
#pragma pack(pop)

static mach_msg_return_t send_ool_ports(mach_port_t dest, mach_port_name_t *names, uint32_t count, uint8_t disp,
                                        uint8_t dealloc)
{
    ool_ports_msg_t m = {
        .h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX,
              .msgh_remote_port = dest, .msgh_id = 401},
        .body = {1},
        .ports = {.address = (uint64_t)(uintptr_t)names, .deallocate = dealloc, .copy = MACH_MSG_PHYSICAL_COPY,
                  .disposition = disp, .type = MACH_MSG_OOL_PORTS_DESCRIPTOR, .count = count},
    };
    return mach_msg(&m.h, MACH_SEND_MSG, 44, 0, 0, 0, 0);
}

static void ool_port_arrays(void)
{
    mach_port_t r = t_port(), a = t_port_send(), b = t_port_send(), d;
    mach_port_allocate(TASK, MACH_PORT_RIGHT_DEAD_NAME, &d);
    mach_port_name_t names[4] = {a, MACH_PORT_NULL, d, b};
    REQUIRE_EQ(send_ool_ports(r, names, 4, MACH_MSG_TYPE_COPY_SEND, 0), MACH_MSG_SUCCESS);
    ool_ports_msg_t m;
    REQUIRE_EQ(t_recv(r, &m, sizeof(m), 0, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.ports.type, MACH_MSG_OOL_PORTS_DESCRIPTOR);
    EXPECT_EQ(m.ports.disposition, MACH_MSG_TYPE_PORT_SEND);
    EXPECT_EQ(m.ports.count, 4);
    EXPECT_EQ(m.ports.address & PAGE_MASK, 0);
    const mach_port_name_t *got = (const mach_port_name_t *)(uintptr_t)m.ports.address;
    EXPECT_EQ(got[0], a);
    EXPECT_EQ(got[1], MACH_PORT_NULL);
    EXPECT_EQ(got[2], MACH_PORT_DEAD);
    EXPECT_EQ(got[3], b);
    EXPECT_EQ(t_refs(a, MACH_PORT_RIGHT_SEND), 2);
    EXPECT_EQ(t_refs(d, MACH_PORT_RIGHT_DEAD_NAME), 1);
    vm_deallocate(TASK, m.ports.address, 16);
    /* a name not held fails the whole array and the message */
    names[1] = 0x7FFF0001;
    EXPECT_EQ(send_ool_ports(r, names, 4, MACH_MSG_TYPE_COPY_SEND, 0), MACH_SEND_INVALID_RIGHT);
    EXPECT_EQ(t_refs(a, MACH_PORT_RIGHT_SEND), 2);
    EXPECT_EQ(send_ool_ports(r, (mach_port_name_t *)0x10, 4, MACH_MSG_TYPE_COPY_SEND, 0), MACH_SEND_INVALID_MEMORY);
    EXPECT_EQ(send_ool_ports(r, names, 4, MACH_MSG_TYPE_PORT_NAME, 0), MACH_SEND_INVALID_TYPE);
    EXPECT_EQ(t_count(r), 0);
    /* MAKE_SEND_ONCE array: new names, type 18 */
    mach_port_name_t twice[2] = {a, a};
    REQUIRE_EQ(send_ool_ports(r, twice, 2, MACH_MSG_TYPE_MAKE_SEND_ONCE, 0), MACH_MSG_SUCCESS);
    REQUIRE_EQ(t_recv(r, &m, sizeof(m), 0, 0), MACH_MSG_SUCCESS);
    got = (const mach_port_name_t *)(uintptr_t)m.ports.address;
    EXPECT_EQ(m.ports.disposition, MACH_MSG_TYPE_PORT_SEND_ONCE);
    EXPECT_TRUE(got[0] != got[1] && got[0] != a);
    EXPECT_EQ(t_type(got[0]), MACH_PORT_TYPE_SEND_ONCE);
    mach_port_deallocate(TASK, got[0]);
    mach_port_deallocate(TASK, got[1]);
    vm_deallocate(TASK, m.ports.address, 8);
    t_destroy(a);
    t_destroy(b);
    mach_port_deallocate(TASK, d);
    t_destroy(r);
}

static void ool_ports_moving_receive_rights(void)
{
    mach_port_t r = t_port(), a = t_port();
    vm_address_t page = t_alloc(PAGE_SIZE);
    mach_port_name_t *names = (mach_port_name_t *)page;
    names[0] = a;
    REQUIRE_EQ(send_ool_ports(r, names, 1, MACH_MSG_TYPE_MOVE_RECEIVE, 1), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_type(a), T_ERR(KERN_INVALID_NAME));
    EXPECT_EQ(vm_protect(TASK, page, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS);
    ool_ports_msg_t m;
    REQUIRE_EQ(t_recv(r, &m, sizeof(m), 0, 0), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.ports.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
    mach_port_name_t got = *(const mach_port_name_t *)(uintptr_t)m.ports.address;
    EXPECT_EQ(t_type(got), MACH_PORT_TYPE_RECEIVE);
    t_destroy(got);
    vm_deallocate(TASK, m.ports.address, 4);
    t_destroy(r);
}

CHECK_SUITE(ipc_complex_suite, "ipc_complex",
            CHECK_CASE(ool_memory_arrives_in_fresh_pages), CHECK_CASE(virtual_copy_and_deallocate),
            CHECK_CASE(null_region), CHECK_CASE(bad_descriptors_destroy_the_message), CHECK_CASE(ool_port_arrays),
            CHECK_CASE(ool_ports_moving_receive_rights));
