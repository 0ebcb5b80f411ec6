"""The `mach_msg` and `mach_reply_port` traps (spec §2.2, §4).

`mach_msg_trap` returns the mach_msg_return_t, or None when the thread
blocked: the result then comes from a continuation that calls
`thread.set_trap_result`.  A call is a `MachMsgCall` that carries its
arguments from the send phase through any waits into the receive phase.
"""

from __future__ import annotations

import struct
from typing import Any

from machr.kernel.ipc.ipc_kmsg import (
    ipc_kmsg_check_size,
    ipc_kmsg_copyin,
    ipc_kmsg_copyout,
    ipc_kmsg_copyout_pseudo,
    ipc_kmsg_destroy,
    ipc_kmsg_trailer,
)
from machr.kernel.ipc.ipc_mqueue import (
    IpcWait,
    ipc_mqueue_deliver,
    ipc_mqueue_dequeue,
    ipc_mqueue_select,
    sched,
)
from machr.kernel.ipc.ipc_port import IpcPort
from machr.kernel.ipc.ipc_pset import IpcPset
from machr.kernel.ipc.ipc_right import ipc_right_copyout
from machr.kernel.kern.copy import CopyError
from machr.kernel.mach.message import (
    GET_RCV_ELEMENTS,
    GET_RCV_TRAILER_TYPE,
    MACH_MSG_HEADER_SIZE,
    MACH_MSG_MASK,
    MACH_MSG_SUCCESS,
    MACH_MSG_TRAILER_SIZES,
    MACH_MSG_TYPE_PORT_RECEIVE,
    MACH_MSGH_BITS,
    MACH_MSGH_BITS_COMPLEX,
    MACH_RCV_HEADER_ERROR,
    MACH_RCV_IN_SET,
    MACH_RCV_INTERRUPTED,
    MACH_RCV_INVALID_ARGUMENTS,
    MACH_RCV_INVALID_DATA,
    MACH_RCV_INVALID_NAME,
    MACH_RCV_INVALID_TRAILER,
    MACH_RCV_LARGE,
    MACH_RCV_LARGE_IDENTITY,
    MACH_RCV_MSG,
    MACH_RCV_OVERWRITE,
    MACH_RCV_PORT_DIED,
    MACH_RCV_TIMED_OUT,
    MACH_RCV_TIMEOUT,
    MACH_RCV_TOO_LARGE,
    MACH_SEND_INTERRUPTED,
    MACH_SEND_INVALID_DATA,
    MACH_SEND_INVALID_OPTIONS,
    MACH_SEND_KERNEL_ONLY,
    MACH_SEND_MSG,
    MACH_SEND_TIMED_OUT,
    MACH_SEND_TIMEOUT,
)
from machr.kernel.mach.port import MACH_PORT_NULL, MACH_PORT_TYPE_PORT_SET, MACH_PORT_TYPE_RECEIVE


class MachMsgCall:
    """One mach_msg call in progress (its arguments and the wait it is in, if any)."""

    __slots__ = (
        "deadline",
        "msg_addr",
        "option",
        "rcv_name",
        "rcv_size",
        "send_size",
        "thread",
        "timeout",
        "wait",
    )

    def __init__(self, thread: Any, msg_addr: int, option: int, send_size: int, rcv_size: int,
                 rcv_name: int, timeout: int):
        self.thread, self.msg_addr, self.option = thread, msg_addr, option
        self.send_size, self.rcv_size, self.rcv_name = send_size, rcv_size, rcv_name
        self.timeout = timeout
        self.deadline: int | None = None
        self.wait: IpcWait | None = None

    def deadline_for(self, option_bit: int) -> int | None:
        """The virtual-ms deadline of this phase, fixed when it first blocks."""
        if not self.option & option_bit:
            return None
        if self.deadline is None:
            self.deadline = sched().clock_ms() + self.timeout
        return self.deadline


def mach_msg_trap(thread: Any, msg_addr: int, option: int, send_size: int, rcv_size: int,
                  rcv_name: int, timeout: int) -> int | None:
    """mach_msg_trap (−25): send and/or receive per `option` (spec §4).

    Returns: the mach_msg_return_t, or None if the thread blocked (the
    continuation sets the result).  A send error returns without receiving.
    """
    call = MachMsgCall(thread, msg_addr, option & 0xFFFFFFFF, send_size & 0xFFFFFFFF,
                       rcv_size & 0xFFFFFFFF, rcv_name & 0xFFFFFFFF, timeout & 0xFFFFFFFF)
    if call.option & MACH_SEND_MSG:
        mr = _send(call)
        if mr is None or mr != MACH_MSG_SUCCESS:
            return mr
    if call.option & MACH_RCV_MSG:
        return _receive(call)
    return MACH_MSG_SUCCESS


def mach_reply_port(thread: Any) -> int:
    """mach_reply_port (−26): a new receive right in the caller's space; 0 on shortage."""
    space = thread.task.space
    kr, name = ipc_right_copyout(space, IpcPort(), MACH_MSG_TYPE_PORT_RECEIVE)
    return name if kr == MACH_MSG_SUCCESS else MACH_PORT_NULL


# --- send -----------------------------------------------------------------

def _send(call: MachMsgCall) -> int | None:
    task = call.thread.task
    if call.option & MACH_SEND_KERNEL_ONLY:
        return MACH_SEND_INVALID_OPTIONS
    mr = ipc_kmsg_check_size(call.send_size)
    if mr:
        return mr
    try:
        buf = task.copyin(call.msg_addr, call.send_size)
    except CopyError:
        return MACH_SEND_INVALID_DATA
    mr, kmsg = ipc_kmsg_copyin(task, buf)
    if mr:
        return mr
    if ipc_mqueue_deliver(kmsg, full_ok=False, thread=call.thread):
        return MACH_MSG_SUCCESS
    if call.option & MACH_SEND_TIMEOUT and call.timeout == 0:
        return _pseudo_receive(call, kmsg, MACH_SEND_TIMED_OUT)
    wait = call.wait = IpcWait(call.thread, kmsg.remote, kmsg)
    wait.start(kmsg.remote.senders, call.deadline_for(MACH_SEND_TIMEOUT), MACH_SEND_TIMED_OUT,
               MACH_SEND_INTERRUPTED)
    sched().thread_block(call.thread, lambda thread: _send_continue(call))
    return None


def _send_continue(call: MachMsgCall) -> None:
    wait, call.wait = call.wait, None
    mr = wait.result
    if mr != MACH_MSG_SUCCESS:
        mr = _pseudo_receive(call, wait.kmsg, mr)
    elif call.option & MACH_RCV_MSG:
        call.deadline = None
        mr = _receive(call)
    if mr is not None:
        call.thread.set_trap_result(mr)


def _pseudo_receive(call: MachMsgCall, kmsg: Any, mr: int) -> int:
    """spec §4: a send that timed out or was interrupted gives everything back to the sender."""
    bits, data = ipc_kmsg_copyout_pseudo(kmsg, call.thread.task)
    try:
        call.thread.task.copyout(call.msg_addr, data)
    except CopyError:
        pass        # the rights and memory are the sender's again either way; only the names in its buffer are lost
    return mr | bits


# --- receive --------------------------------------------------------------

def _receive(call: MachMsgCall) -> int | None:
    option = call.option
    if option & MACH_RCV_OVERWRITE:
        return MACH_RCV_INVALID_ARGUMENTS
    if GET_RCV_TRAILER_TYPE(option) != 0 or GET_RCV_ELEMENTS(option) >= len(MACH_MSG_TRAILER_SIZES):
        return MACH_RCV_INVALID_TRAILER
    entry = call.thread.task.space.lookup(call.rcv_name)
    if entry is None:
        return MACH_RCV_INVALID_NAME
    if entry.type & MACH_PORT_TYPE_RECEIVE:
        if entry.object.pset is not None:
            return MACH_RCV_IN_SET
    elif not entry.type & MACH_PORT_TYPE_PORT_SET:
        return MACH_RCV_INVALID_NAME
    return _receive_from(call, entry.object)


def _still_ours(call: MachMsgCall, obj: IpcPort | IpcPset) -> bool:
    space = call.thread.task.space
    if isinstance(obj, IpcPset):
        return obj.active and obj.space is space
    return obj.active and obj.receiver is space


def _receive_from(call: MachMsgCall, obj: IpcPort | IpcPset) -> int | None:
    port = ipc_mqueue_select(obj)
    if port is None:
        deadline = call.deadline_for(MACH_RCV_TIMEOUT)
        if deadline is not None and sched().clock_ms() >= deadline:
            return MACH_RCV_TIMED_OUT
        wait = call.wait = IpcWait(call.thread, obj)
        wait.start(obj.receivers, deadline, MACH_RCV_TIMED_OUT, MACH_RCV_INTERRUPTED)
        sched().thread_block(call.thread, lambda thread: _receive_continue(call))
        return None
    return _receive_message(call, port)


def _receive_continue(call: MachMsgCall) -> None:
    wait, call.wait = call.wait, None
    mr = wait.result
    if mr is None:
        mr = _receive_from(call, wait.obj) if _still_ours(call, wait.obj) else MACH_RCV_PORT_DIED
    if mr is not None:
        call.thread.set_trap_result(mr)


def _receive_message(call: MachMsgCall, port: IpcPort) -> int:
    """Take the head of `port` into the caller's space and buffer (spec §2.5, §4 too-large rules)."""
    task = call.thread.task
    elements = GET_RCV_ELEMENTS(call.option)
    trailer_size = MACH_MSG_TRAILER_SIZES[elements]
    kmsg = port.messages[0]
    if call.rcv_size < kmsg.size + trailer_size:
        return _receive_too_large(call, port, kmsg)
    try:
        task.copyout(call.msg_addr, bytes(kmsg.size + trailer_size))
    except CopyError:
        ipc_kmsg_destroy(ipc_mqueue_dequeue(port)[0])
        return MACH_RCV_INVALID_DATA
    kmsg, seqno = ipc_mqueue_dequeue(port)
    mr, data = ipc_kmsg_copyout(kmsg, task)
    if mr & ~MACH_MSG_MASK != MACH_RCV_HEADER_ERROR:  # a header error returns the header alone
        data += ipc_kmsg_trailer(kmsg, seqno, elements)
    task.copyout(call.msg_addr, data)
    return mr


def _receive_too_large(call: MachMsgCall, port: IpcPort, kmsg: Any) -> int:
    task = call.thread.task
    try:
        if call.option & MACH_RCV_LARGE:
            task.copyout(call.msg_addr + 4, struct.pack("<I", kmsg.size))
            if call.option & MACH_RCV_LARGE_IDENTITY:
                task.copyout(call.msg_addr + 12, struct.pack("<I", port.receiver_name))
            return MACH_RCV_TOO_LARGE
        ipc_mqueue_dequeue(port)
        bits = (MACH_MSGH_BITS_COMPLEX if kmsg.complex else 0) | MACH_MSGH_BITS(0, kmsg.remote_type)
        header = struct.pack("<IIIIIi", bits, kmsg.size, 0, port.receiver_name, 0, kmsg.msgid)
        ipc_kmsg_destroy(kmsg)
        task.copyout(call.msg_addr, header[:MACH_MSG_HEADER_SIZE])
    except CopyError:
        return MACH_RCV_INVALID_DATA
    return MACH_RCV_TOO_LARGE
