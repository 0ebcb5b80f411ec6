/* The smallest guest: one line of output, then main returns (task_terminate). */
#include <stdio.h>

int main(void)
{
    printf("hello from %s\n", MACHR_ARCH);
    return 0;
}
