/*
 * Mach trap stubs (spec §2.1): trap number in x16, arguments in x0-x8,
 * `svc #0x80` as XNU does (the kernel ignores the immediate).
 */
#define TRAP(name, number)      \
    .section .text.name, "ax";  \
    .globl name;                \
    .type name, %function;      \
    .p2align 2;                 \
name:                           \
    mov x16, number;            \
    svc #0x80;                  \
    ret;                        \
    .size name, . - name

TRAP(mach_msg_trap, -25)
TRAP(mach_reply_port, -26)
TRAP(thread_self_trap, -27)
TRAP(task_self_trap, -28)
TRAP(host_self_trap, -29)
TRAP(mach_print, -30)
TRAP(swtch, -60)

    .section .note.GNU-stack, "", %progbits
