/* Stores through a wild pointer: the kernel must raise EXC_BAD_ACCESS (KERN_INVALID_ADDRESS, 0xdead0000). */
#include <stdint.h>
#include <stdio.h>

#define WILD_ADDRESS 0xdead0000u

int main(void)
{
    printf("fault: writing to 0x%x\n", WILD_ADDRESS);
    *(volatile uint32_t *)(uintptr_t)WILD_ADDRESS = 42;
    puts("fault: still alive");
    return 1;
}
