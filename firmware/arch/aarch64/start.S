/*
 * Process entry (spec §10): sp is 16-aligned and points at argc, followed by
 * argv[], envp[] and the auxv.  Hands that pointer to _start_c with an empty
 * frame chain.
 */
    .section .text._start, "ax"
    .globl _start
    .type _start, %function
    .p2align 2
_start:
    mov x29, #0
    mov x30, #0
    mov x0, sp
    bl _start_c
    udf #0                      /* _start_c never returns */
    .size _start, . - _start

    .section .note.GNU-stack, "", %progbits
