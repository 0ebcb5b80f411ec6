/*
 * Threads of the calling task (spec §7 thread_create_running, §9 thread
 * states): thread_spawn runs fn(arg) on a fresh stack in a new thread, which
 * terminates itself when fn returns.  Each spawned thread has its own MIG
 * reply port (one receive right cannot serve two threads waiting at once);
 * the slot a thread runs in is found from its stack pointer.
 */
#include <string.h>
#include <mach/mach_init.h>
#include <mach/mach_interface.h>
#include <mach/mach_traps.h>
#include <mach/thread_status.h>

#define SPAWN_SLOTS 8
#define SPAWN_STACK_SIZE (64 * 1024)

struct spawn_slot {
    vm_address_t stack;             /* 0 until first used; kept for the next thread */
    volatile int busy;
    mach_port_t reply_port;         /* this slot's MIG reply port, kept like the stack */
    void (*fn)(void *);
    void *arg;
    mach_msg_header_t exit_msg;     /* thread_terminate(self), sent without a reply port */
};

static struct spawn_slot slots[SPAWN_SLOTS];
static mach_port_t main_reply_port;

mach_port_t *mig_reply_port_slot(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    for (int i = 0; i < SPAWN_SLOTS; i++)
        if (slots[i].stack != 0 && sp - slots[i].stack < SPAWN_STACK_SIZE)
            return &slots[i].reply_port;
    return &main_reply_port;
}

__attribute__((noreturn)) static void thread_start(struct spawn_slot *slot)
{
    slot->fn(slot->arg);
    /* spec §7: a request without a reply port gets no reply; the right from thread_self_trap moves. */
    slot->exit_msg = (mach_msg_header_t){
        .msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0),
        .msgh_size = sizeof(mach_msg_header_t),
        .msgh_remote_port = thread_self_trap(),
        .msgh_id = 2016,
    };
    slot->busy = 0;     /* from here on only the trap's return address is on the stack */
    for (;;)
        mach_msg_trap(&slot->exit_msg, MACH_SEND_MSG, sizeof(slot->exit_msg), 0, MACH_PORT_NULL, 0, 0);
}

kern_return_t thread_spawn(void (*fn)(void *), void *arg, mach_port_t *thread)
{
    struct spawn_slot *slot = 0;
    for (int i = 0; i < SPAWN_SLOTS && slot == 0; i++)
        if (!slots[i].busy)
            slot = &slots[i];
    if (slot == 0)
        return KERN_RESOURCE_SHORTAGE;
    if (slot->stack == 0) {
        kern_return_t kr = vm_allocate(mach_task_self(), &slot->stack, SPAWN_STACK_SIZE, TRUE);
        if (kr != KERN_SUCCESS)
            return kr;
    }
    slot->fn = fn;
    slot->arg = arg;
    slot->busy = 1;
    uint64_t top = slot->stack + SPAWN_STACK_SIZE;
#if defined(__x86_64__)
    /* rax rbx rcx rdx rdi rsi rbp rsp r8-r15 rip rflags cs fs gs (spec §9) */
    uint64_t regs[x86_THREAD_STATE64_COUNT / 2];
    memset(regs, 0, sizeof(regs));
    regs[4] = (uint64_t)(uintptr_t)slot;               /* rdi: first argument */
    regs[7] = top - 8;                                 /* rsp as just after a call */
    regs[16] = (uint64_t)(uintptr_t)thread_start;      /* rip */
    regs[17] = 0x202;                                  /* rflags */
    int flavor = x86_THREAD_STATE64;
#else
    /* x0-x28 fp lr sp pc, cpsr u32 + pad u32 (spec §9) */
    uint64_t regs[ARM_THREAD_STATE64_COUNT / 2];
    memset(regs, 0, sizeof(regs));
    regs[0] = (uint64_t)(uintptr_t)slot;               /* x0: first argument */
    regs[31] = top;                                    /* sp */
    regs[32] = (uint64_t)(uintptr_t)thread_start;      /* pc */
    int flavor = ARM_THREAD_STATE64;
#endif
    kern_return_t kr = thread_create_running(mach_task_self(), flavor, (const natural_t *)regs,
                                             sizeof(regs) / (sizeof(natural_t)), thread);
    if (kr != KERN_SUCCESS)
        slot->busy = 0;
    return kr;
}
