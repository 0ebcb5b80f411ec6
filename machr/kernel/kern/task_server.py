"""Task and thread RPCs on their kernel ports (spec §7 mach 2000 subsystem, exception ports 2680/2681)."""

from __future__ import annotations

import struct

from machr.kernel.ipc.ipc_port import IpcPort, ipc_port_copy_send, ipc_port_make_send, ipc_port_release_send
from machr.kernel.ipc.mig import (BOOL, CAP, I32, OOLPORTS, P17, P19, PRES, U32, VARWORDS, mig_current,
                                  mig_routine)
from machr.kernel.kern.sched_prim import TH_HALTED, TH_RUN, TH_STOPPED, TH_WAIT, processor
from machr.kernel.mach import exception_types as et
from machr.kernel.mach import special_ports as sp
from machr.kernel.mach import thread_status as ts
from machr.kernel.mach.kern_return import (KERN_FAILURE, KERN_INVALID_ARGUMENT, KERN_RESOURCE_SHORTAGE,
                                           KERN_SUCCESS)
from machr.kernel.mach.message import MACH_MSG_TYPE_PORT_SEND

STATE_MAX = ts.THREAD_STATE_MAX


# --- tasks ------------------------------------------------------------------

@mig_routine(2007, "task_create", target="task", ins=[("inherit_memory", BOOL)], outs=[("child", P17)])
def task_create(parent, inherit_memory: int):
    """A new task: no threads, empty IPC space, memory per inheritance, special/exception ports inherited."""
    kernel = parent.kernel
    try:
        child = kernel.task_create(f"{parent.name}'")
    except MemoryError:
        return KERN_RESOURCE_SHORTAGE
    if inherit_memory and not child.map.fork_from(parent.map):
        kernel.task_terminate(child)
        return KERN_RESOURCE_SHORTAGE
    for which in (sp.TASK_HOST_PORT, sp.TASK_BOOTSTRAP_PORT):
        if which in parent.special_ports:
            child.special_ports[which] = ipc_port_copy_send(parent.special_ports[which])
    child.exception_ports = {exc: (ipc_port_copy_send(port), behavior, flavor)
                             for exc, (port, behavior, flavor) in parent.exception_ports.items()}
    return (child.port,)


@mig_routine(2008, "task_terminate", target="task")
def task_terminate(task):
    task.kernel.task_terminate(task)
    return KERN_SUCCESS


@mig_routine(2056, "task_suspend", target="task")
def task_suspend(task):
    task.suspend_count += 1
    for t in task.threads:
        thread_hold(t)
    return KERN_SUCCESS


@mig_routine(2057, "task_resume", target="task")
def task_resume(task):
    if task.suspend_count == 0:
        return KERN_FAILURE
    task.suspend_count -= 1
    for t in task.threads:
        thread_release(t)
    return KERN_SUCCESS


@mig_routine(2011, "task_threads", target="task", outs=[("threads", OOLPORTS(MACH_MSG_TYPE_PORT_SEND))])
def task_threads(task):
    return ([t.port for t in task.threads if t.state != TH_HALTED],)


@mig_routine(2012, "task_info", target="task", ins=[("flavor", I32), ("count", CAP)],
             outs=[("info", VARWORDS(STATE_MAX))])
def task_info(task, flavor: int, count: int):
    if flavor == ts.MACH_TASK_BASIC_INFO and count >= ts.MACH_TASK_BASIC_INFO_COUNT:
        vsize = task.map.virtual_size()
        rsize = task.map.pmap.resident * 4096
        words = struct.unpack("<6I", struct.pack("<3Q", vsize, rsize, rsize))
        return (list(words) + [0, 0, 0, 0, 0, task.suspend_count],)
    if flavor == ts.TASK_THREAD_TIMES_INFO and count >= ts.TASK_THREAD_TIMES_INFO_COUNT:
        return ([0, 0, 0, 0],)
    return KERN_INVALID_ARGUMENT


TASK_SPECIAL = (sp.TASK_KERNEL_PORT, sp.TASK_HOST_PORT, sp.TASK_BOOTSTRAP_PORT)


@mig_routine(2058, "task_get_special_port", target="task", ins=[("which", I32)], outs=[("port", PRES)])
def task_get_special_port(task, which: int):
    if which not in TASK_SPECIAL:
        return KERN_INVALID_ARGUMENT
    return (special_port_get(task.special_ports, which, task.port),)


@mig_routine(2059, "task_set_special_port", target="task", ins=[("which", I32), ("port", P19)])
def task_set_special_port(task, which: int, port):
    if which not in TASK_SPECIAL:
        return KERN_INVALID_ARGUMENT
    special_port_set(task.special_ports, which, port)
    return KERN_SUCCESS


@mig_routine(2681, "task_set_exception_ports", target="task",
             ins=[("mask", U32), ("port", P19), ("behavior", I32), ("flavor", I32)])
def task_set_exception_ports(task, mask: int, port, behavior: int, flavor: int):
    return _set_exception_ports(task, task.exception_ports, mask, port, behavior, flavor)


# --- threads ----------------------------------------------------------------

@mig_routine(2061, "thread_create", target="task", outs=[("thread", P17)])
def thread_create(task):
    """A suspended thread (suspend count 1) with zeroed state (spec §7)."""
    if not task.active:
        return KERN_FAILURE
    thread = task.kernel.thread_create(task)
    task.kernel.isa.abi.init_user_thread(thread.R, 0, 0)
    thread.suspend_count = 1
    thread.state = TH_RUN
    return (thread.port,)


@mig_routine(2096, "thread_create_running", target="task",
             ins=[("flavor", I32), ("new_state", VARWORDS(STATE_MAX))], outs=[("thread", P17)])
def thread_create_running(task, flavor: int, state):
    """thread_create + thread_set_state + thread_resume (OSF)."""
    abi = task.kernel.isa.abi
    if not task.active:
        return KERN_FAILURE
    if flavor not in abi.STATE_FLAVORS or len(state) < abi.STATE_FLAVORS[flavor]:
        return KERN_INVALID_ARGUMENT
    thread = task.kernel.thread_create(task)
    abi.init_user_thread(thread.R, 0, 0)
    if not abi.set_thread_state(thread.R, flavor, list(state)):
        task.kernel.thread_terminate(thread)
        return KERN_INVALID_ARGUMENT
    thread.suspend_count = task.suspend_count
    thread.state = TH_RUN
    processor().setrun(thread)
    return (thread.port,)


@mig_routine(2016, "thread_terminate", target="thread")
def thread_terminate(thread):
    thread.kernel.thread_terminate(thread)
    return KERN_SUCCESS


@mig_routine(2062, "thread_suspend", target="thread")
def thread_suspend(thread):
    thread_hold(thread)
    return KERN_SUCCESS


@mig_routine(2063, "thread_resume", target="thread")
def thread_resume(thread):
    if thread.suspend_count == 0:
        return KERN_FAILURE
    thread_release(thread)
    return KERN_SUCCESS


@mig_routine(2064, "thread_abort", target="thread")
def thread_abort(thread):
    """A blocked mach_msg returns *_INTERRUPTED; a pending exception RPC is abandoned."""
    hook, thread.abort_hook = thread.abort_hook, None
    if hook is not None:
        hook()
    return KERN_SUCCESS


@mig_routine(2072, "thread_abort_safely", target="thread")
def thread_abort_safely(thread):
    """Every point where a machr thread can wait is a clean point: as thread_abort."""
    return thread_abort(thread)


@mig_routine(2017, "thread_get_state", target="thread", ins=[("flavor", I32), ("count", CAP)],
             outs=[("old_state", VARWORDS(STATE_MAX))])
def thread_get_state(thread, flavor: int, count: int):
    if _is_caller(thread):
        return KERN_INVALID_ARGUMENT
    words = thread.kernel.isa.abi.get_thread_state(thread.R, flavor)
    if words is None or count < len(words):
        return KERN_INVALID_ARGUMENT
    return (words,)


@mig_routine(2018, "thread_set_state", target="thread",
             ins=[("flavor", I32), ("new_state", VARWORDS(STATE_MAX))])
def thread_set_state(thread, flavor: int, state):
    if _is_caller(thread) or not thread.kernel.isa.abi.set_thread_state(thread.R, flavor, list(state)):
        return KERN_INVALID_ARGUMENT
    return KERN_SUCCESS


@mig_routine(2019, "thread_info", target="thread", ins=[("flavor", I32), ("count", CAP)],
             outs=[("info", VARWORDS(STATE_MAX))])
def thread_info(thread, flavor: int, count: int):
    if flavor != ts.THREAD_BASIC_INFO or count < ts.THREAD_BASIC_INFO_COUNT:
        return KERN_INVALID_ARGUMENT
    if thread.state == TH_HALTED:
        run_state = ts.TH_STATE_HALTED
    elif thread.suspend_count:
        run_state = ts.TH_STATE_STOPPED
    elif thread.state == TH_WAIT:
        run_state = ts.TH_STATE_WAITING
    else:
        run_state = ts.TH_STATE_RUNNING
    return ([0, 0, 0, 0, 0, 0, run_state, 0, thread.suspend_count, 0],)


@mig_routine(2067, "thread_get_special_port", target="thread", ins=[("which", I32)], outs=[("port", PRES)])
def thread_get_special_port(thread, which: int):
    if which != sp.THREAD_KERNEL_PORT:
        return KERN_INVALID_ARGUMENT
    return (special_port_get(thread.special_ports, which, thread.port),)


@mig_routine(2068, "thread_set_special_port", target="thread", ins=[("which", I32), ("port", P19)])
def thread_set_special_port(thread, which: int, port):
    if which != sp.THREAD_KERNEL_PORT:
        return KERN_INVALID_ARGUMENT
    special_port_set(thread.special_ports, which, port)
    return KERN_SUCCESS


@mig_routine(2680, "thread_set_exception_ports", target="thread",
             ins=[("mask", U32), ("port", P19), ("behavior", I32), ("flavor", I32)])
def thread_set_exception_ports(thread, mask: int, port, behavior: int, flavor: int):
    return _set_exception_ports(thread.task, thread.exception_ports, mask, port, behavior, flavor)


# --- helpers ----------------------------------------------------------------

def thread_hold(thread) -> None:
    thread.suspend_count += 1


def thread_release(thread) -> None:
    """Drop one suspension; at zero a runnable thread goes back on the run queue."""
    thread.suspend_count -= 1
    if thread.suspend_count == 0 and thread.state in (TH_RUN, TH_STOPPED):
        thread.state = TH_RUN
        processor().setrun(thread)


def _is_caller(thread) -> bool:
    """spec §7: thread_get/set_state on the calling thread → KERN_INVALID_ARGUMENT."""
    return mig_current().thread is thread


def special_port_get(table: dict, which: int, kernel_port):
    """A new send right for special port `which` as (port, MACH_MSG_TYPE_PORT_SEND).

    The table holds counted send rights; an unset self port means the
    object's own kernel port (CMU itk_sself).
    """
    port = table.get(which)
    if port is None:
        if which != 1:            # TASK_KERNEL_PORT / THREAD_KERNEL_PORT
            return (None, MACH_MSG_TYPE_PORT_SEND)
        return (ipc_port_make_send(kernel_port), MACH_MSG_TYPE_PORT_SEND)
    return (ipc_port_copy_send(port), MACH_MSG_TYPE_PORT_SEND)


def special_port_set(table: dict, which: int, port) -> None:
    """Store the send right `port` (consumed; None clears), releasing the one it replaces."""
    old = table.pop(which, None)
    if isinstance(old, IpcPort):
        ipc_port_release_send(old)
    if isinstance(port, IpcPort):
        table[which] = port


def _set_exception_ports(task, table: dict, mask: int, port, behavior: int, flavor: int):
    """(thread|task)_set_exception_ports: one send right per exception type in `mask` (port 0 clears)."""
    abi = task.kernel.isa.abi
    behavior &= 0xFFFFFFFF                  # an i32 on the wire; MACH_EXCEPTION_CODES is its sign bit
    base = behavior & ~et.MACH_EXCEPTION_CODES
    bad = (mask & ~et.EXC_MASK_ALL or base not in (et.EXCEPTION_DEFAULT, et.EXCEPTION_STATE,
                                                    et.EXCEPTION_STATE_IDENTITY)
           or (base != et.EXCEPTION_DEFAULT and flavor not in abi.STATE_FLAVORS))
    if bad:
        if isinstance(port, IpcPort):
            ipc_port_release_send(port)
        return KERN_INVALID_ARGUMENT
    for exc in range(1, et.EXC_TYPES_COUNT):
        if mask & (1 << exc):
            old = table.pop(exc, None)
            if old is not None and isinstance(old[0], IpcPort):
                ipc_port_release_send(old[0])
            if isinstance(port, IpcPort):
                table[exc] = (ipc_port_copy_send(port), behavior, flavor)
    if isinstance(port, IpcPort):
        ipc_port_release_send(port)
    return KERN_SUCCESS
