/*
 * In-task IPC check: sends itself a complex message (a MAKE_SEND port
 * descriptor for the destination port plus inline data) with one mach_msg
 * SEND|RCV, then compares every field that arrives with spec §2.3-§2.5 and §3.
 */
#include <stdio.h>
#include <string.h>
#include <mach/mach.h>

#define PING_ID 4242
#define PING_MAGIC 0x50494e47u

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t header;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
    uint32_t magic;
    char text[16];
} ping_msg_t;
#pragma pack(pop)

_Static_assert(sizeof(ping_msg_t) == 60, "24 header + 4 body + 12 descriptor + 20 inline");

typedef union {
    ping_msg_t msg;
    char room[sizeof(ping_msg_t) + MAX_TRAILER_SIZE];
} ping_buffer_t;

static int failures;

static void expect(const char *what, uint64_t got, uint64_t want)
{
    if (got != want) {
        printf("ipcping: %s is 0x%lx, expected 0x%lx\n", what, (unsigned long)got, (unsigned long)want);
        failures++;
    }
}

static void check_received(const ping_buffer_t *buf, mach_port_t port)
{
    const ping_msg_t *m = &buf->msg;
    const mach_msg_trailer_t *trailer = (const mach_msg_trailer_t *)(buf->room + sizeof(ping_msg_t));
    expect("msgh_bits", m->header.msgh_bits,
           MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
    expect("msgh_size", m->header.msgh_size, sizeof(ping_msg_t));
    expect("msgh_remote_port", m->header.msgh_remote_port, MACH_PORT_NULL);
    expect("msgh_local_port", m->header.msgh_local_port, port);
    expect("msgh_voucher_port", m->header.msgh_voucher_port, 0);
    expect("msgh_id", (uint32_t)m->header.msgh_id, PING_ID);
    expect("descriptor count", m->body.msgh_descriptor_count, 1);
    expect("descriptor name", m->port.name, port);
    expect("descriptor pad1", m->port.pad1, 0);
    expect("descriptor pad2", m->port.pad2, 0);
    expect("descriptor disposition", m->port.disposition, MACH_MSG_TYPE_PORT_SEND);
    expect("descriptor type", m->port.type, MACH_MSG_PORT_DESCRIPTOR);
    expect("magic", m->magic, PING_MAGIC);
    expect("text", memcmp(m->text, "ping over mach", 15), 0);
    expect("trailer type", trailer->msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
    expect("trailer size", trailer->msgh_trailer_size, MACH_MSG_TRAILER_MINIMUM_SIZE);
}

int main(void)
{
    mach_port_t task = mach_task_self();
    mach_port_t port;
    kern_return_t kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &port);
    if (kr != KERN_SUCCESS) {
        printf("ipcping: mach_port_allocate failed: 0x%x\n", kr);
        return 1;
    }

    ping_buffer_t buf;
    memset(&buf, 0, sizeof(buf));
    buf.msg.header.msgh_bits = MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
    buf.msg.header.msgh_size = sizeof(ping_msg_t);
    buf.msg.header.msgh_remote_port = port;
    buf.msg.header.msgh_id = PING_ID;
    buf.msg.body.msgh_descriptor_count = 1;
    buf.msg.port.name = port;
    buf.msg.port.disposition = MACH_MSG_TYPE_MAKE_SEND;
    buf.msg.port.type = MACH_MSG_PORT_DESCRIPTOR;
    buf.msg.magic = PING_MAGIC;
    strcpy(buf.msg.text, "ping over mach");

    mach_msg_return_t mr = mach_msg(&buf.msg.header, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(ping_msg_t),
                                    sizeof(buf), port, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS) {
        printf("ipcping: mach_msg failed: 0x%x\n", mr);
        return 1;
    }
    check_received(&buf, port);

    /* spec §3: the header's send right was consumed by delivery; the descriptor's remains. */
    mach_port_urefs_t refs = 0;
    expect("get_refs result", (uint32_t)mach_port_get_refs(task, port, MACH_PORT_RIGHT_SEND, &refs), 0);
    expect("send urefs", refs, 1);
    expect("deallocate send", (uint32_t)mach_port_deallocate(task, port), 0);
    expect("destroy receive", (uint32_t)mach_port_mod_refs(task, port, MACH_PORT_RIGHT_RECEIVE, -1), 0);

    if (failures == 0)
        puts("ipcping ok");
    else
        printf("ipcping: %d differences\n", failures);
    return 0;
}
