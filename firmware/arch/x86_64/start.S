/*
 * Process entry (spec §10): rsp is 16-aligned and points at argc, followed by
 * argv[], envp[] and the auxv.  Hands that pointer to _start_c with a clean
 * frame chain and the stack aligned as the C ABI expects at a call.
 */
    .section .text._start, "ax"
    .globl _start
    .type _start, @function
_start:
    xor %ebp, %ebp
    mov %rsp, %rdi
    and $-16, %rsp
    call _start_c
    ud2                         /* _start_c never returns */
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
