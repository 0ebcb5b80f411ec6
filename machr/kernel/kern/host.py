"""The host: its unprivileged and privileged ports and the mach_host routines (spec §7)."""

from __future__ import annotations

import struct
import time

from machr.kernel.ipc.ipc_port import ipc_port_alloc_kernel
from machr.kernel.ipc.mig import CAP, CHARS, I32, VARWORDS, WORDS, mig_routine
from machr.kernel.mach.kern_return import KERN_FAILURE, KERN_INVALID_ARGUMENT, KERN_SUCCESS
from machr.kernel.mach.thread_status import (
    HOST_BASIC_INFO,
    HOST_BASIC_INFO_COUNT,
    HOST_BASIC_INFO_OLD_COUNT,
    THREAD_STATE_MAX,
)

RB_HALT = 0x8             # CMU <sys/reboot.h>; any other option reboots, which for us also halts
# machr convention: bits 8–15 of the options are the machine's exit status (what `machr run` exits
# with), so a guest test program can report failure: host_reboot(host_priv, RB_HALT | (1 << 8)).
RB_STATUS_SHIFT = 8
KERNEL_VERSION_SIZE = 512


class Host:
    """The host object; `port` gives info, `priv_port` (only via bootstrap) control."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.port = ipc_port_alloc_kernel(self, "host")
        self.priv_port = ipc_port_alloc_kernel(self, "host_priv")


@mig_routine(2619, "host_kernel_version", target=("host", "host_priv"), outs=[("version", CHARS(512))])
def host_kernel_version(host: Host):
    return (host.kernel.version.encode()[:KERNEL_VERSION_SIZE - 1],)


@mig_routine(2634, "host_get_time", target=("host", "host_priv"), outs=[("time", WORDS(2))])
def host_get_time(host: Host):
    """Wall clock (spec §7: host_get_time = wall clock), as time_value_t {sec, usec}."""
    now = time.time()
    return ((int(now) & 0xFFFFFFFF, int((now % 1) * 1e6)),)


@mig_routine(2638, "host_info", target=("host", "host_priv"), ins=[("flavor", I32), ("count", CAP)],
             outs=[("info", VARWORDS(THREAD_STATE_MAX))])
def host_info(host: Host, flavor: int, count: int):
    if flavor != HOST_BASIC_INFO:
        return KERN_INVALID_ARGUMENT
    if count < HOST_BASIC_INFO_OLD_COUNT:
        return KERN_FAILURE
    k = host.kernel
    mem = k.mem.size
    words = [1, 1, min(mem, 0xFFFFFFFF), k.isa.abi.CPU_TYPE, k.isa.abi.CPU_SUBTYPE, 0, 1, 1, 1, 1]
    words += list(struct.unpack("<2I", struct.pack("<Q", mem)))
    n = HOST_BASIC_INFO_COUNT if count >= HOST_BASIC_INFO_COUNT else HOST_BASIC_INFO_OLD_COUNT
    return (words[:n],)


@mig_routine(2635, "host_reboot", target="host_priv", ins=[("options", I32)], bad_target=22)
def host_reboot(host: Host, options: int):
    """Halt the machine; the CLI exits with the status in bits 8–15 of `options`."""
    status = (options >> RB_STATUS_SHIFT) & 0xFF
    reason = "halted by host_reboot" if options & RB_HALT else "rebooted by host_reboot"
    host.kernel.halt(status, reason + (f" with status {status}" if status else ""))
    return KERN_SUCCESS
