/*
 * Mach trap stubs (spec §2.1): trap number in rax as a signed 64-bit value,
 * arguments in rdi rsi rdx r10 r8 r9.  The C ABI passes the 4th argument in
 * rcx, which syscall overwrites, so it moves to r10.  mach_msg_trap's 7th
 * argument (notify) stays at [rsp+8] where the kernel may read it.
 */
#define TRAP(name, number)      \
    .section .text.name, "ax";  \
    .globl name;                \
    .type name, @function;      \
name:                           \
    mov $number, %rax;          \
    mov %rcx, %r10;             \
    syscall;                    \
    ret;                        \
    .size name, . - name

TRAP(mach_msg_trap, -25)
TRAP(mach_reply_port, -26)
TRAP(thread_self_trap, -27)
TRAP(task_self_trap, -28)
TRAP(host_self_trap, -29)
TRAP(mach_print, -30)
TRAP(swtch, -60)

    .section .note.GNU-stack, "", @progbits
