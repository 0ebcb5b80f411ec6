/* Every IPC suite, for init's `test ipc` (its own file so one-suite programs link only theirs). */
#include "ipctest.h"

const check_suite_t *const ipc_all_suites[] = {
    &ipc_names_suite, &ipc_rights_suite, &ipc_msg_suite, &ipc_complex_suite, &ipc_ports_suite,
    &ipc_sets_suite, &ipc_notify_suite, &ipc_block_suite, &ipc_m2_suite, &ipc_caps_suite,
};
const int ipc_all_suites_count = sizeof(ipc_all_suites) / sizeof(ipc_all_suites[0]);
