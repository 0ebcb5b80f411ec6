/* The ipc_complex suite of ipctest/ as a program: one line per case, then "N passed, M failed". */
#include "../ipctest/ipctest.h"

int main(void)
{
    const check_suite_t *suites[] = {&ipc_complex_suite};
    check_main(suites, 1);
}
