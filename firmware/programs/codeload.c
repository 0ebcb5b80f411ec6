/*
 * Code loaded after start: machine code copied into a vm_allocate'd page and
 * called in a hot loop, so every tier (interpreter, tier-1 blocks, tier-2
 * regions) must notice when that code changes under it:
 *   1. f1(x) = x + 1 copied into a fresh page made executable with vm_protect;
 *   2. f2(x) = 3x + 7 stored over f1 in place (a store to a code page);
 *   3. the page deallocated and allocated again at the same address (backed by
 *      a new frame), f1 copied back: a stale f2 translation would show;
 *   4. the page protected read-only, not executable, and the same loop run in a
 *      second thread: its first call must raise EXC_BAD_ACCESS
 *      (KERN_PROTECTION_FAILURE at the page, spec §8), which this thread
 *      catches on a task exception port; it makes the page executable again and
 *      replies KERN_SUCCESS, and the loop finishes with f1's sum.
 * Each step's sum is compared with the same loop over a C function.  Prints one
 * line per step, then `codeload ok`, or `codeload BAD` and exit status 1.
 */
#include <mach/mach.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALLS 20000             /* 20 tier-2 hotness thresholds (1000 dispatches) per step */
#define PAGE 4096
#define DONE_ID 0xc0de          /* the looping thread's "finished" message */

typedef uint64_t (*leaf_fn)(uint64_t);

#if defined(__x86_64__)
static const uint8_t f1_code[] = {0x48, 0x8d, 0x47, 0x01, 0xc3};          /* lea rax, [rdi + 1]; ret */
static const uint8_t f2_code[] = {0x48, 0x8d, 0x44, 0x7f, 0x07, 0xc3};    /* lea rax, [rdi + rdi*2 + 7]; ret */
#define THREAD_FLAVOR x86_THREAD_STATE64
#elif defined(__aarch64__)
static const uint32_t f1_code[] = {0x91000400, 0xd65f03c0};               /* add x0, x0, #1; ret */
static const uint32_t f2_code[] = {0x8b000401, 0x91001c20, 0xd65f03c0};   /* add x1, x0, x0, lsl #1; add x0, x1, #7; ret */
#define THREAD_FLAVOR ARM_THREAD_STATE64
#else
#error "unknown architecture"
#endif

__attribute__((noinline)) static uint64_t c_f1(uint64_t x)
{
    return x + 1;
}

__attribute__((noinline)) static uint64_t c_f2(uint64_t x)
{
    return 3 * x + 7;
}

/* The hot loop: CALLS calls through a pointer the compiler cannot see through. */
__attribute__((noinline)) static uint64_t run(leaf_fn fn)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < CALLS; i++)
        sum += fn(i);
    return sum;
}

static int failures;

/*
 * Make code just stored at [start, end) visible to instruction fetch.  x86: nothing to do
 * (__builtin___clear_cache emits nothing).  aarch64: machr's CTR_EL0 has IDC and DIC set
 * (machr/isa/aarch64/sysregs.py), so no DC CVAU / IC IVAU by address is needed, only DSB ISH
 * then ISB.  libgcc's __aarch64_sync_cache_range, which __builtin___clear_cache calls, does just
 * that after reading CTR_EL0, but it also links the DC CVAU / IC IVAU loops, which machr's
 * decoder leaves UNDEFINED (and the firmware must decode throughout); a CTR_EL0 that asks for
 * them counts as a failure here instead.
 */
static void sync_code(char *start, char *end)
{
#if defined(__aarch64__)
    uint64_t ctr;
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    if (!(ctr >> 28 & 1) || !(ctr >> 29 & 1)) {
        printf("codeload: CTR_EL0 0x%lx asks for DC CVAU / IC IVAU\n", (unsigned long)ctr);
        failures++;
    }
    (void)start;
    (void)end;
    __asm__ volatile("dsb ish\n\tisb" ::: "memory");
#else
    __builtin___clear_cache(start, end);
#endif
}

/* Copy `code` to `page` and make it visible to instruction fetch. */
static void load(vm_address_t page, const void *code, size_t size)
{
    memcpy((void *)page, code, size);
    sync_code((char *)page, (char *)page + size);
}

static void step(const char *what, uint64_t sum, uint64_t expected)
{
    printf("codeload: %s: sum %lu, expected %lu\n", what, (unsigned long)sum, (unsigned long)expected);
    failures += sum != expected;
}

static int check_kr(const char *what, kern_return_t kr)
{
    if (kr != KERN_SUCCESS) {
        printf("codeload: %s failed: 0x%x\n", what, kr);
        failures++;
    }
    return kr == KERN_SUCCESS;
}

#pragma pack(push, 4)
/* spec §7 2681 task_set_exception_ports: mask, port (descriptor), behavior, flavor (60 bytes). */
typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_port_descriptor_t port;
    NDR_record_t NDR;
    uint32_t mask;
    int32_t behavior;
    int32_t flavor;
} set_exception_ports_request_t;

/* spec §8 2405 mach_exception_raise: thread, task, exception, code i64[2] (84 bytes). */
typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_port_descriptor_t thread;
    mach_msg_port_descriptor_t task;
    NDR_record_t NDR;
    int32_t exception;
    mach_msg_type_number_t codeCnt;
    int64_t code[2];
} exception_raise_request_t;
#pragma pack(pop)

_Static_assert(sizeof(set_exception_ports_request_t) == 60, "spec §7: task_set_exception_ports request");
_Static_assert(sizeof(exception_raise_request_t) == 84, "spec §8: mach_exception_raise request");

/* task_set_exception_ports with a send right made from the receive right `port` (MACH_PORT_NULL clears). */
static kern_return_t set_exception_port(uint32_t mask, mach_port_t port)
{
    union {
        set_exception_ports_request_t In;
        mig_reply_error_t Out;
        char room[256];
    } m;
    mach_port_t reply = mig_get_reply_port();
    m.In.Head = (mach_msg_header_t){
        .msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | MACH_MSGH_BITS_COMPLEX,
        .msgh_size = sizeof(m.In), .msgh_remote_port = mach_task_self(), .msgh_local_port = reply, .msgh_id = 2681};
    m.In.msgh_body.msgh_descriptor_count = 1;
    m.In.port = (mach_msg_port_descriptor_t){
        .name = port, .disposition = MACH_MSG_TYPE_MAKE_SEND, .type = MACH_MSG_PORT_DESCRIPTOR};
    m.In.NDR = NDR_record;
    m.In.mask = mask;
    m.In.behavior = (int32_t)(EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES);     /* 64-bit codes */
    m.In.flavor = THREAD_FLAVOR;
    mach_msg_return_t mr = mach_msg(&m.In.Head, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(m.In), sizeof(m), reply,
                                    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    if (m.Out.Head.msgh_id != 2681 + MIG_REPLY_ID_OFFSET || m.Out.Head.msgh_size != sizeof(m.Out))
        return MIG_REPLY_MISMATCH;
    return m.Out.RetCode;
}

struct looper {
    leaf_fn fn;
    mach_port_t done;           /* receive right of the main thread; the looper sends DONE_ID to it */
    uint64_t sum;
};

/* Runs the hot loop in its own thread, then tells the main thread. */
static void looper_main(void *arg)
{
    struct looper *l = arg;
    l->sum = run(l->fn);
    mach_msg_header_t h = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0), .msgh_size = sizeof(h),
                           .msgh_remote_port = l->done, .msgh_id = DONE_ID};
    mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/*
 * Step 4: the page is not executable; a looper thread's first call faults.
 * Catch the exception, check it, make the page executable and resume the looper.
 */
static void no_execute_step(vm_address_t page, uint64_t expected)
{
    mach_port_t task = mach_task_self(), port;
    if (!check_kr("mach_port_allocate", mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &port)) ||
        !check_kr("task_set_exception_ports", set_exception_port(1u << EXC_BAD_ACCESS, port)) ||
        !check_kr("vm_protect read-only", vm_protect(task, page, PAGE, FALSE, VM_PROT_READ)))
        return;
    static struct looper looper;
    looper = (struct looper){.fn = (leaf_fn)page, .done = port};
    mach_port_t thread;
    if (!check_kr("thread_spawn", thread_spawn(looper_main, &looper, &thread)))
        return;
    union {
        exception_raise_request_t In;
        mig_reply_error_t Out;
        char room[256];
    } m;
    if (!check_kr("receive", mach_msg(&m.In.Head, MACH_RCV_MSG, 0, sizeof(m), port, MACH_MSG_TIMEOUT_NONE,
                                      MACH_PORT_NULL)))
        return;
    if (m.In.Head.msgh_id == DONE_ID) {
        printf("codeload: no-execute page: the loop ran without an exception\n");
        failures++;
        return;
    }
    int at_page = (uint64_t)m.In.code[1] == page;
    int caught = m.In.Head.msgh_id == 2405 && m.In.exception == EXC_BAD_ACCESS && m.In.codeCnt == 2 &&
                 m.In.code[0] == KERN_PROTECTION_FAILURE && at_page;
    printf("codeload: no-execute page: exception %d, code %d, %s\n", m.In.exception, (int)m.In.code[0],
           at_page ? "at the page" : "elsewhere");
    failures += !caught;
    if (m.In.Head.msgh_id != 2405)
        return;
    mach_port_deallocate(task, m.In.thread.name);
    mach_port_deallocate(task, m.In.task.name);
    check_kr("vm_protect executable", vm_protect(task, page, PAGE, FALSE, VM_PROT_ALL));
    mach_port_t reply_to = m.In.Head.msgh_remote_port;
    m.Out = (mig_reply_error_t){
        .Head = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0), .msgh_size = sizeof(m.Out),
                 .msgh_remote_port = reply_to, .msgh_id = 2405 + MIG_REPLY_ID_OFFSET},
        .NDR = NDR_record, .RetCode = KERN_SUCCESS};
    check_kr("exception reply", mach_msg(&m.Out.Head, MACH_SEND_MSG, sizeof(m.Out), 0, MACH_PORT_NULL,
                                         MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL));
    if (!check_kr("receive", mach_msg(&m.In.Head, MACH_RCV_MSG, 0, sizeof(m), port, MACH_MSG_TIMEOUT_NONE,
                                      MACH_PORT_NULL)))
        return;
    if (m.In.Head.msgh_id != DONE_ID) {
        printf("codeload: a second exception (id %d) instead of the end of the loop\n", m.In.Head.msgh_id);
        failures++;
        return;
    }
    step("executable again, loop resumed", looper.sum, expected);
    check_kr("clearing the exception port", set_exception_port(1u << EXC_BAD_ACCESS, MACH_PORT_NULL));
    mach_port_deallocate(task, thread);
    mach_port_mod_refs(task, port, MACH_PORT_RIGHT_RECEIVE, -1);
}

int main(void)
{
    mach_port_t task = mach_task_self();
    uint64_t expect1 = run(c_f1), expect2 = run(c_f2);
    vm_address_t page = 0;
    if (!check_kr("vm_allocate", vm_allocate(task, &page, PAGE, TRUE)) ||
        !check_kr("vm_protect", vm_protect(task, page, PAGE, FALSE, VM_PROT_ALL)))
        goto out;
    leaf_fn fn = (leaf_fn)page;

    load(page, f1_code, sizeof(f1_code));
    step("f1 loaded", run(fn), expect1);

    load(page, f2_code, sizeof(f2_code));
    step("f2 written over f1", run(fn), expect2);

    /*
     * The page's first touch after the remap must take a new frame, or the store of f1 into the
     * frame that held f2 would retire f2's translations by itself and hide a missing unmap
     * invalidation.  So another fresh page is read first: its zero-fill takes the frame just freed
     * (the kernel's free list is last in, first out).
     */
    vm_address_t again = page, other = 0;
    if (!check_kr("vm_deallocate", vm_deallocate(task, page, PAGE)) ||
        !check_kr("vm_allocate at the same address", vm_allocate(task, &again, PAGE, FALSE)) ||
        !check_kr("vm_allocate", vm_allocate(task, &other, PAGE, TRUE)) ||
        !check_kr("vm_protect", vm_protect(task, page, PAGE, FALSE, VM_PROT_ALL)))
        goto out;
    if (again != page) {
        printf("codeload: vm_allocate at 0x%lx returned 0x%lx\n", (unsigned long)page, (unsigned long)again);
        failures++;
        goto out;
    }
    (void)*(volatile uint8_t *)other;
    load(page, f1_code, sizeof(f1_code));
    step("page remapped, f1 loaded again", run(fn), expect1);
    check_kr("vm_deallocate", vm_deallocate(task, other, PAGE));

    no_execute_step(page, expect1);
out:
    puts(failures ? "codeload BAD" : "codeload ok");
    if (failures)
        exit(1);
    return 0;
}
