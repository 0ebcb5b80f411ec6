/* Executes an undefined instruction: the kernel must raise EXC_BAD_INSTRUCTION and, unhandled, kill the task. */
#include <console.h>
#include <stdio.h>

int main(void)
{
    puts("undef: executing an undefined instruction");
    console_flush();
#if defined(__x86_64__)
    __asm__ volatile("ud2");
#elif defined(__aarch64__)
    __asm__ volatile("udf #0");
#endif
    puts("undef: still alive");
    return 1;
}
