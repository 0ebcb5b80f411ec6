"""Exception delivery (spec §8; CMU `exception()`, OSF exception ports).

The faulting thread blocks while the kernel sends `exception_raise*` to the
thread's exception port for the type, then the task's.  The reply right is
a kernel send-once right to a per-delivery reply port (kotype
"exception_reply"), so the handler's reply arrives through the ordinary MIG
machinery: `KERN_SUCCESS` resumes the thread (after applying the returned
state for the STATE behaviours); another RetCode, a dead handler port or a
lost reply right tries the next level; `MIG_NO_REPLY` leaves the thread to
the handler.  With no level left the task is terminated and the kernel prints
one line (CMU `exception_no_server`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from machr.kernel.ipc.ipc_kmsg import PortDesc, ipc_kmsg_build
from machr.kernel.ipc.ipc_mqueue import ipc_kmsg_send_kernel
from machr.kernel.ipc.ipc_port import (IpcPort, ipc_port_alloc_kernel, ipc_port_copy_send,
                                       ipc_port_dealloc_kernel, ipc_port_make_send, ipc_port_make_sonce)
from machr.kernel.ipc.mig import I32, VARWORDS, mig_routine
from machr.kernel.kern.sched_prim import thread_block, thread_go
from machr.kernel.mach import exception_types as et
from machr.kernel.mach.kern_return import KERN_FAILURE, KERN_SUCCESS
from machr.kernel.mach.message import MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND_ONCE
from machr.kernel.mach.mig_errors import MIG_NO_REPLY, NDR_RECORD
from machr.kernel.mach.notify import MACH_NOTIFY_SEND_ONCE
from machr.kernel.mach.thread_status import THREAD_STATE_MAX

EXC_NAMES = {v: k for k, v in vars(et).items()
             if k.startswith("EXC_") and not k.startswith(("EXC_MASK", "EXC_I386", "EXC_ARM", "EXC_TYPES"))
             and isinstance(v, int)}

# behaviour → request id (32-bit codes); MACH_EXCEPTION_CODES adds 4 (2405–2407)
RAISE_IDS = {et.EXCEPTION_DEFAULT: 2401, et.EXCEPTION_STATE: 2402, et.EXCEPTION_STATE_IDENTITY: 2403}


def exception_describe(exc: int, code: int, subcode: int) -> str:
    return f"{EXC_NAMES.get(exc, f'exception {exc}')} code={code:#x} subcode={subcode:#x}"


@dataclass(eq=False)
class ExceptionDelivery:
    """One exception on its way up the levels (thread port, then task port)."""

    thread: Any
    exc: int
    codes: tuple[int, int]
    level: int = 0
    behavior: int = 0
    flavor: int = 0
    reply_port: IpcPort | None = None


def exception_triage(thread, exc: int, code: int, subcode: int) -> None:
    """Raise `exc` for `thread` (its pc is already the reported pc, spec §8 table)."""
    delivery = ExceptionDelivery(thread, exc, (code, subcode))
    thread_block(thread, _exception_resume)
    thread.abort_hook = lambda: _exception_finish(delivery, resume=True)
    _exception_try_next(delivery)


def _exception_resume(thread) -> None:
    """Continuation of a thread whose exception was handled: its state is already in place."""


def _exception_try_next(d: ExceptionDelivery) -> None:
    thread = d.thread
    levels = (thread.exception_ports, thread.task.exception_ports)
    while d.level < len(levels):
        entry = levels[d.level].get(d.exc)
        d.level += 1
        if entry is None:
            continue
        port, behavior, flavor = entry
        if not isinstance(port, IpcPort) or not port.active:
            continue
        d.behavior, d.flavor = behavior, flavor
        _exception_send(d, port)
        return
    task = thread.task
    _exception_finish(d, resume=False)
    task.kernel.log(f"task {task.task_id} ({task.name}): unhandled {exception_describe(d.exc, *d.codes)} "
                    f"pc={thread.pc:#x}")
    task.kernel.task_terminate(task, f"exception {EXC_NAMES.get(d.exc, d.exc)}")


def _exception_send(d: ExceptionDelivery, port: IpcPort) -> None:
    """Build exception_raise(_state)(_identity) per spec §8 and send it to `port`."""
    thread = d.thread
    wide = bool(d.behavior & et.MACH_EXCEPTION_CODES)
    behavior = d.behavior & ~et.MACH_EXCEPTION_CODES
    msgid = RAISE_IDS[behavior] + (4 if wide else 0)
    codes = struct.pack("<2q", *(_signed(c, 64) for c in d.codes)) if wide else struct.pack(
        "<2i", *(_signed(c & 0xFFFFFFFF, 32) for c in d.codes))
    inline = NDR_RECORD + struct.pack("<iI", d.exc, 2) + codes
    if behavior != et.EXCEPTION_DEFAULT:
        words = thread.kernel.isa.abi.get_thread_state(thread.R, d.flavor) or []
        inline += struct.pack(f"<iI{len(words)}I", d.flavor, len(words), *words)
    descs = []
    if behavior != et.EXCEPTION_STATE:
        descs = [PortDesc(ipc_port_make_send(thread.port), MACH_MSG_TYPE_PORT_SEND),
                 PortDesc(ipc_port_make_send(thread.task.port), MACH_MSG_TYPE_PORT_SEND)]
    d.reply_port = ipc_port_alloc_kernel(d, "exception_reply")
    ipc_kmsg_send_kernel(ipc_kmsg_build(msgid, ipc_port_copy_send(port), MACH_MSG_TYPE_PORT_SEND, descs, inline,
                                        ipc_port_make_sonce(d.reply_port), MACH_MSG_TYPE_PORT_SEND_ONCE))


def _signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def _exception_finish(d: ExceptionDelivery, resume: bool) -> None:
    """Retire the reply port; resume the thread if asked."""
    port, d.reply_port = d.reply_port, None
    if port is not None:
        ipc_port_dealloc_kernel(port)    # a late reply now goes to a dead port and is destroyed
    d.level = 99
    if resume:
        d.thread.abort_hook = None
        thread_go(d.thread)


def _exception_reply(d: ExceptionDelivery, retcode: int, state: tuple | None = None, flavor: int = 0) -> None:
    if d.reply_port is None:             # already finished (abort, or a duplicate reply)
        return
    thread = d.thread
    if retcode == KERN_SUCCESS:
        if state is not None and not thread.kernel.isa.abi.set_thread_state(thread.R, flavor, list(state)):
            retcode = KERN_FAILURE        # a bad state counts as a failed reply: try the next level
        else:
            _exception_finish(d, resume=True)
            return
    if retcode == MIG_NO_REPLY:
        _exception_finish(d, resume=False)   # the handler resumes, aborts or kills the thread itself
        return
    port, d.reply_port = d.reply_port, None
    ipc_port_dealloc_kernel(port)
    _exception_try_next(d)


def _register_replies() -> None:
    """The handler's replies (2501–2507) are requests to our reply port, served like any RPC."""
    for base in (2501, 2505):
        mig_routine(base, "exception_raise_reply", target="exception_reply", ins=[("RetCode", I32)],
                    simple=True)(lambda d, retcode: _exception_reply(d, retcode) or KERN_SUCCESS)
        for msgid in (base + 1, base + 2):
            mig_routine(msgid, "exception_raise_state_reply", target="exception_reply",
                        ins=[("RetCode", I32), ("flavor", I32), ("new_state", VARWORDS(THREAD_STATE_MAX))],
                        simple=True)(
                lambda d, retcode, flavor, state: _exception_reply(d, retcode, state, flavor) or KERN_SUCCESS)


_register_replies()


@mig_routine(MACH_NOTIFY_SEND_ONCE, "send_once_notification", target="exception_reply", simple=True)
def _reply_right_lost(d: ExceptionDelivery):
    """The handler destroyed its reply right without answering: try the next level."""
    _exception_reply(d, KERN_FAILURE)
    return KERN_SUCCESS
