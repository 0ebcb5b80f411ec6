"""The trap table (Mach's `syscall_sw`): trap number → kernel function and argument count.

Arguments are read with the ISA's calling convention (spec §2.1); an
unreadable stack argument fails the trap with KERN_INVALID_ARGUMENT before
it is performed.  A handler returns the trap's result, or None when the
thread blocked (its continuation sets the result later).
"""

from __future__ import annotations

from machr.kernel.ipc.ipc_space import ipc_space_insert_send
from machr.kernel.kern.copy import CopyError, copyin
from machr.kernel.kern.sched_prim import processor
from machr.kernel.mach import traps
from machr.kernel.mach.exception_types import EXC_SYSCALL
from machr.kernel.mach.kern_return import KERN_INVALID_ARGUMENT, KERN_SUCCESS
from machr.machine.exits import MemFault

MACH_PRINT_MAX = 4096


def mach_msg_trap(thread, msg, option, send_size, rcv_size, rcv_name, timeout, _notify):
    from machr.kernel.ipc.mach_msg import mach_msg_trap as ipc_mach_msg_trap

    m32 = 0xFFFFFFFF       # spec §2.1: 32-bit arguments use the low half of the register
    return ipc_mach_msg_trap(thread, msg, option & m32, send_size & m32, rcv_size & m32, rcv_name & m32,
                             timeout & m32)


def mach_reply_port(thread):
    from machr.kernel.ipc.mach_msg import mach_reply_port as ipc_mach_reply_port

    return ipc_mach_reply_port(thread)


def thread_self_trap(thread):
    """A send right to the thread's self port (its kernel port unless thread_set_special_port changed it)."""
    from machr.kernel.kern.task_server import special_port_get

    return ipc_space_insert_send(thread.task.space, special_port_get(thread.special_ports, 1, thread.port)[0])


def task_self_trap(thread):
    from machr.kernel.kern.task_server import special_port_get

    task = thread.task
    return ipc_space_insert_send(task.space, special_port_get(task.special_ports, 1, task.port)[0])


def host_self_trap(thread):
    return thread.kernel.send_right_name(thread.task, thread.kernel.host.port)


def mach_print(thread, addr):
    """Debug output (GNU Mach): a NUL-terminated string to the kernel console."""
    out = bytearray()
    try:
        while len(out) < MACH_PRINT_MAX:
            chunk = copyin(thread.task, addr + len(out), 64 - ((addr + len(out)) & 63))
            end = chunk.find(0)
            if end >= 0:
                out += chunk[:end]
                break
            out += chunk
    except CopyError:
        return KERN_INVALID_ARGUMENT
    thread.kernel.console.write(bytes(out))
    return KERN_SUCCESS


def swtch(thread):
    """Yield the processor; True if others were runnable (CMU)."""
    others = bool(processor().runq)
    thread.kernel.yield_requested = True
    return int(others)


def swtch_pri(thread, _pri):
    return swtch(thread)


def thread_switch(thread, _name, _option, _time):
    swtch(thread)
    return KERN_SUCCESS


SYSCALL_TABLE = {
    traps.MACH_MSG_TRAP: (mach_msg_trap, 7),
    traps.MACH_REPLY_PORT: (mach_reply_port, 0),
    traps.THREAD_SELF_TRAP: (thread_self_trap, 0),
    traps.TASK_SELF_TRAP: (task_self_trap, 0),
    traps.HOST_SELF_TRAP: (host_self_trap, 0),
    traps.MACH_PRINT: (mach_print, 1),
    traps.SWTCH_PRI: (swtch_pri, 1),
    traps.SWTCH: (swtch, 0),
    traps.THREAD_SWITCH: (thread_switch, 3),
}


def syscall_dispatch(thread) -> None:
    """Perform the trap `thread` just executed and store its result (spec §2.1/§2.2)."""
    kernel = thread.kernel
    abi = kernel.isa.abi
    number = abi.trap_number(thread.R)
    if number >= 0:
        from machr.kernel.kern.exception import exception_triage

        exception_triage(thread, EXC_SYSCALL, number, 0)
        return
    entry = SYSCALL_TABLE.get(number)
    if entry is None:
        thread.set_trap_result(KERN_INVALID_ARGUMENT)      # CMU kern_invalid
        return
    fn, nargs = entry
    task = thread.task

    def read_u64(addr: int) -> int:
        try:
            return int.from_bytes(copyin(task, addr, 8), "little")
        except CopyError:
            raise MemFault(addr, 1) from None

    try:
        args = [abi.trap_arg(thread.R, i, read_u64) for i in range(nargs)]
    except MemFault:
        thread.set_trap_result(KERN_INVALID_ARGUMENT)
        return
    result = fn(thread, *args)
    if result is not None:
        thread.set_trap_result(result)
