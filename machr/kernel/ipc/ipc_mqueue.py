"""Message queues (CMU `ipc_mqueue`): enqueue, dequeue, blocked senders and waiting receivers.

A thread never waits on the Python stack: a waiting send or receive is an
`IpcWait` on the port (or set) plus a continuation given to `thread_block`;
whoever ends the wait (a message, a dequeue, a timer, thread_abort, the port's
death) stores the result in the wait and makes the thread runnable.
"""

from __future__ import annotations

from typing import Any

from machr.kernel.ipc.ipc_kmsg import IpcKmsg, ipc_kmsg_carried_receive_rights, ipc_kmsg_destroy
from machr.kernel.ipc.ipc_port import IpcPort
from machr.kernel.ipc.ipc_pset import IpcPset
from machr.kernel.mach.message import MACH_MSG_SUCCESS, MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_RCV_PORT_DIED


def sched() -> Any:
    """The scheduler primitives (machr.kernel.kern.sched_prim), imported when first needed."""
    from machr.kernel.kern import sched_prim

    return sched_prim


class IpcWait:
    """One blocked send (with its `kmsg`) or receive (on `obj`, a port or set).

    `result` is None for "a message may be there, look again", else the
    mach_msg_return_t the wait ended with.
    """

    __slots__ = ("kmsg", "obj", "result", "thread", "timer")

    def __init__(self, thread: Any, obj: Any, kmsg: IpcKmsg | None = None):
        self.thread, self.obj, self.kmsg = thread, obj, kmsg
        self.result: int | None = None
        self.timer = None

    def start(self, queue: list, deadline_ms: int | None, timeout_result: int, abort_result: int) -> None:
        """Join `queue`; a deadline or thread_abort ends the wait with the given results."""
        queue.append(self)
        if deadline_ms is not None:
            self.timer = sched().timer_enter(deadline_ms, lambda: self.end(queue, timeout_result))
        self.thread.abort_hook = lambda: self.end(queue, abort_result)

    def end(self, queue: list, result: int | None) -> None:
        """Leave `queue` (if still there) with `result` and make the thread runnable."""
        if self in queue:
            queue.remove(self)
        self.wake(result)

    def wake(self, result: int | None) -> None:
        if self.timer is not None:
            sched().timer_cancel(self.timer)
            self.timer = None
        self.thread.abort_hook = None
        self.result = result
        sched().thread_go(self.thread)


def ipc_mqueue_enqueue(port: IpcPort, kmsg: IpcKmsg) -> None:
    """Queue `kmsg` on `port` (no limit check) and wake one waiting receiver."""
    kmsg.stamp_now()
    for carried in ipc_kmsg_carried_receive_rights(kmsg):
        carried.destination = port
    port.messages.append(kmsg)
    ipc_mqueue_wakeup_receiver(port)


def ipc_mqueue_wakeup_receiver(port: IpcPort) -> None:
    """Wake the first receive waiting on the port, or on its set."""
    for queue in (port.receivers, port.pset.receivers if port.pset is not None else []):
        if queue:
            queue.pop(0).wake(None)
            return


def ipc_mqueue_fail_receivers(obj: IpcPort | IpcPset) -> None:
    """The port or set went away from its space: every waiting receive gets RCV_PORT_DIED."""
    waits, obj.receivers = obj.receivers, []
    for wait in waits:
        wait.wake(MACH_RCV_PORT_DIED)


def ipc_mqueue_release_senders(port: IpcPort) -> None:
    """The port died: blocked senders succeed and their messages are destroyed (spec §4)."""
    waits, port.senders = port.senders, []
    for wait in waits:
        kmsg, wait.kmsg = wait.kmsg, None
        ipc_kmsg_destroy(kmsg)
        wait.wake(MACH_MSG_SUCCESS)


def ipc_mqueue_admit_senders(port: IpcPort) -> None:
    """Move blocked senders' messages in while the queue has room (after a dequeue or qlimit change)."""
    while port.senders and len(port.messages) < port.qlimit:
        wait = port.senders.pop(0)
        kmsg, wait.kmsg = wait.kmsg, None
        ipc_mqueue_enqueue(port, kmsg)
        wait.wake(MACH_MSG_SUCCESS)


def ipc_mqueue_dequeue(port: IpcPort) -> tuple[IpcKmsg, int]:
    """Take the oldest message.  Returns: (kmsg, seqno of this dequeue)."""
    kmsg = port.messages.popleft()
    seqno = port.seqno
    port.seqno = (port.seqno + 1) & 0xFFFFFFFF
    ipc_mqueue_admit_senders(port)
    return kmsg, seqno


def ipc_mqueue_select(obj: IpcPort | IpcPset) -> IpcPort | None:
    """The port whose message a receive on `obj` takes: a set serves its oldest message first."""
    if isinstance(obj, IpcPort):
        return obj if obj.messages else None
    ready = [p for p in obj.members if p.messages]
    return min(ready, key=lambda p: p.messages[0].stamp) if ready else None


def _circular(kmsg: IpcKmsg, dest: IpcPort) -> bool:
    """Whether the message carries the receive right of its own destination chain (CMU)."""
    carried = ipc_kmsg_carried_receive_rights(kmsg)
    if not carried:
        return False
    seen = set()
    port: IpcPort | None = dest
    while port is not None and port not in seen:
        if port in carried:
            return True
        seen.add(port)
        port = port.destination if port.receiver is None else None
    return False


def ipc_mqueue_deliver(kmsg: IpcKmsg, full_ok: bool, thread: Any = None) -> bool:
    """Deliver a copied-in kmsg to its destination unless it must wait for room.

    Consumes: the kmsg when it returns True (queued, served by the kernel, or
    destroyed because the port is dead or the message circular — the send
    still succeeds, spec §4); `thread` is the sender MIG handlers see.  Returns False, kmsg untouched, when the queue is
    full and the message may not bypass the limit.
    """
    from machr.kernel.ipc.ipc_kobject import ipc_kobject_deliver
    from machr.kernel.ipc.ipc_space import ipc_space_kernel

    port = kmsg.remote
    if not isinstance(port, IpcPort) or not port.active or _circular(kmsg, port):
        ipc_kmsg_destroy(kmsg)
        return True
    if port.receiver is ipc_space_kernel:
        ipc_kobject_deliver(kmsg, thread)
        return True
    bypass = full_ok or kmsg.remote_type == MACH_MSG_TYPE_PORT_SEND_ONCE
    if not bypass and (len(port.messages) >= port.qlimit or port.senders):
        return False
    ipc_mqueue_enqueue(port, kmsg)
    return True


def ipc_kmsg_send_kernel(kmsg: IpcKmsg) -> None:
    """Send a kernel-built kmsg: never blocks, the queue limit does not apply.  Consumes it."""
    ipc_mqueue_deliver(kmsg, full_ok=True)
