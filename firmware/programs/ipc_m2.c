/* The ipc_m2 suite of ipctest/ as a program: one line per case, then "N passed, M failed". */
#include "../ipctest/ipctest.h"

int main(void)
{
    const check_suite_t *suites[] = {&ipc_m2_suite};
    check_main(suites, 1);
}
