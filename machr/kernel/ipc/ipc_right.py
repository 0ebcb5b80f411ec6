"""Rights under a name: copyin/copyout per disposition, deallocate, destroy, delta (CMU `ipc_right`).

Every function leaves the space unchanged when it returns an error.  In-transit
rights are plain values: an `IpcPort`, `IP_DEAD` or None (MACH_PORT_NULL),
together with a result type 16/17/18 (MACH_MSG_TYPE_PORT_*).
"""

from __future__ import annotations

from typing import Any

from machr.kernel.ipc import ipc_notify
from machr.kernel.ipc.ipc_entry import DNREQUEST_FIRED, IpcEntry
from machr.kernel.ipc.ipc_port import (
    IP_DEAD,
    IpcPort,
    ipc_port_clear_receiver,
    ipc_port_destroy,
    ipc_port_release_send,
    ipc_port_release_sonce,
)
from machr.kernel.ipc.ipc_pset import IpcPset, ipc_pset_destroy
from machr.kernel.ipc.ipc_space import IpcSpace
from machr.kernel.mach.kern_return import (
    KERN_INVALID_NAME,
    KERN_INVALID_RIGHT,
    KERN_INVALID_VALUE,
    KERN_NO_SPACE,
    KERN_SUCCESS,
    KERN_UREFS_OVERFLOW,
)
from machr.kernel.mach.message import (
    MACH_MSG_TYPE_COPY_SEND,
    MACH_MSG_TYPE_MAKE_SEND,
    MACH_MSG_TYPE_MAKE_SEND_ONCE,
    MACH_MSG_TYPE_MOVE_RECEIVE,
    MACH_MSG_TYPE_MOVE_SEND,
    MACH_MSG_TYPE_MOVE_SEND_ONCE,
    MACH_MSG_TYPE_PORT_RECEIVE,
    MACH_MSG_TYPE_PORT_SEND,
    MACH_MSG_TYPE_PORT_SEND_ONCE,
)
from machr.kernel.mach.port import (
    MACH_PORT_DEAD,
    MACH_PORT_NULL,
    MACH_PORT_RIGHT_DEAD_NAME,
    MACH_PORT_RIGHT_PORT_SET,
    MACH_PORT_RIGHT_RECEIVE,
    MACH_PORT_RIGHT_SEND,
    MACH_PORT_RIGHT_SEND_ONCE,
    MACH_PORT_TYPE_DEAD_NAME,
    MACH_PORT_TYPE_PORT_SET,
    MACH_PORT_TYPE_RECEIVE,
    MACH_PORT_TYPE_SEND,
    MACH_PORT_TYPE_SEND_ONCE,
    MACH_PORT_UREFS_MAX,
)

# disposition → result type the receiver sees (spec §3)
DISPOSITION_RESULT = {
    MACH_MSG_TYPE_MOVE_RECEIVE: MACH_MSG_TYPE_PORT_RECEIVE,
    MACH_MSG_TYPE_MOVE_SEND: MACH_MSG_TYPE_PORT_SEND,
    MACH_MSG_TYPE_MOVE_SEND_ONCE: MACH_MSG_TYPE_PORT_SEND_ONCE,
    MACH_MSG_TYPE_COPY_SEND: MACH_MSG_TYPE_PORT_SEND,
    MACH_MSG_TYPE_MAKE_SEND: MACH_MSG_TYPE_PORT_SEND,
    MACH_MSG_TYPE_MAKE_SEND_ONCE: MACH_MSG_TYPE_PORT_SEND_ONCE,
}


def ipc_right_name_free(space: IpcSpace, entry: IpcEntry) -> None:
    """Free a name that holds no right any more.

    A pending dead-name request is cancelled and receives port-deleted (spec §3, CMU).
    """
    notify = entry.dnrequest
    port = entry.object
    if isinstance(port, IpcPort):
        port.dnrequests.pop(entry, None)
    entry.dnrequest = None
    space.entry_dealloc(entry)
    if notify is not None and notify is not DNREQUEST_FIRED:
        ipc_notify.ipc_notify_port_deleted(notify, entry.name)


def _drop_send_bit(space: IpcSpace, entry: IpcEntry) -> None:
    """The entry stops holding a send right (srights unchanged: the caller moves or releases it)."""
    entry.type &= ~MACH_PORT_TYPE_SEND
    entry.urefs = 0
    if not entry.type & MACH_PORT_TYPE_RECEIVE:
        ipc_right_name_free(space, entry)


def _drop_receive_bit(space: IpcSpace, entry: IpcEntry) -> None:
    """The entry stops holding the receive right; a remaining send right keeps the name."""
    entry.type &= ~MACH_PORT_TYPE_RECEIVE
    if not entry.type & MACH_PORT_TYPE_SEND:
        ipc_right_name_free(space, entry)


def ipc_right_copyin_check(space: IpcSpace, name: int, disposition: int) -> bool:
    """Whether `name` holds what `disposition` needs (spec §3), without changing anything."""
    if name in (MACH_PORT_NULL, MACH_PORT_DEAD):
        return True
    entry = space.lookup(name)
    if entry is None:
        return False
    t = entry.type
    if disposition in (MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE):
        return bool(t & MACH_PORT_TYPE_RECEIVE)
    if disposition in (MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_COPY_SEND):
        return bool(t & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DEAD_NAME))
    if disposition == MACH_MSG_TYPE_MOVE_SEND_ONCE:
        return bool(t & (MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_DEAD_NAME))
    return False


def ipc_right_copyin(space: IpcSpace, name: int, disposition: int) -> tuple[int, Any, int]:
    """Take the right `disposition` asks of `name` out of `space` for a message.

    Consumes: one uref (MOVE_SEND; the name is freed at 0), the send-once right
    (MOVE_SEND_ONCE), one dead-name uref (MOVE_* on a dead name), the receive
    right (MOVE_RECEIVE: the port leaves its set, mscount/seqno := 0, the
    no-senders request is destroyed).
    Returns: (KERN_SUCCESS, port | IP_DEAD | None, result type).  Names NULL
    and DEAD pass through as None / IP_DEAD.
    Errors: KERN_INVALID_NAME (no such name), KERN_INVALID_RIGHT (wrong right);
    the space is then unchanged.
    """
    result = DISPOSITION_RESULT.get(disposition)
    if result is None:
        return KERN_INVALID_RIGHT, None, 0
    if name == MACH_PORT_NULL:
        return KERN_SUCCESS, None, result
    if name == MACH_PORT_DEAD:
        return KERN_SUCCESS, IP_DEAD, result
    entry = space.lookup(name)
    if entry is None:
        return KERN_INVALID_NAME, None, 0
    if not ipc_right_copyin_check(space, name, disposition):
        return KERN_INVALID_RIGHT, None, 0
    port = entry.object
    if entry.type & MACH_PORT_TYPE_DEAD_NAME:
        if disposition != MACH_MSG_TYPE_COPY_SEND:
            _dead_name_release(space, entry)
        return KERN_SUCCESS, IP_DEAD, result
    if disposition == MACH_MSG_TYPE_MOVE_SEND:
        if entry.urefs > 1:
            entry.urefs -= 1
            port.srights += 1
        else:
            _drop_send_bit(space, entry)
    elif disposition == MACH_MSG_TYPE_COPY_SEND:
        port.srights += 1
    elif disposition == MACH_MSG_TYPE_MOVE_SEND_ONCE:
        ipc_right_name_free(space, entry)
    elif disposition == MACH_MSG_TYPE_MAKE_SEND:
        port.mscount += 1
        port.srights += 1
    elif disposition == MACH_MSG_TYPE_MAKE_SEND_ONCE:
        port.sorights += 1
    else:  # MOVE_RECEIVE
        _drop_receive_bit(space, entry)
        ipc_port_clear_receiver(port)
        nsrequest, port.nsrequest = port.nsrequest, None
        if nsrequest is not None:
            ipc_notify.ipc_notify_send_once(nsrequest)
    return KERN_SUCCESS, port, result


def _dead_name_release(space: IpcSpace, entry: IpcEntry) -> None:
    entry.urefs -= 1
    if entry.urefs == 0:
        ipc_right_name_free(space, entry)


def ipc_right_copyout(space: IpcSpace, port: Any, rtype: int) -> tuple[int, int]:
    """Put an in-transit right into `space` (spec §3 copyout).

    Consumes: the right, on success.  A send right reuses the space's name for
    the port (urefs +1, pegged at MACH_PORT_UREFS_MAX); a send-once right
    always gets a new name; a receive right takes the send-right name if any.
    Rights of dead ports become MACH_PORT_DEAD (right released).
    Returns: (KERN_SUCCESS, name) or (KERN_NO_SPACE, 0) with the right untouched.
    """
    if port is None:
        return KERN_SUCCESS, MACH_PORT_NULL
    if port is IP_DEAD:
        return KERN_SUCCESS, MACH_PORT_DEAD
    if not port.active:
        return KERN_SUCCESS, MACH_PORT_DEAD
    if rtype == MACH_MSG_TYPE_PORT_SEND_ONCE:
        entry = space.entry_alloc()
        if entry is None:
            return KERN_NO_SPACE, 0
        entry.type = MACH_PORT_TYPE_SEND_ONCE
        entry.urefs = 1
        entry.object = port
        return KERN_SUCCESS, entry.name
    entry = space.reverse.get(port)
    if entry is None:
        entry = space.entry_alloc()
        if entry is None:
            return KERN_NO_SPACE, 0
        entry.object = port
        space.reverse[port] = entry
    if rtype == MACH_MSG_TYPE_PORT_SEND:
        if entry.type & MACH_PORT_TYPE_SEND:
            port.srights -= 1  # merged into the entry's right (never the last one)
            entry.urefs = min(entry.urefs + 1, MACH_PORT_UREFS_MAX)
        else:
            entry.type |= MACH_PORT_TYPE_SEND
            entry.urefs = 1
    else:
        entry.type |= MACH_PORT_TYPE_RECEIVE
        port.receiver = space
        port.receiver_name = entry.name
        port.destination = None
    return KERN_SUCCESS, entry.name


def ipc_right_copyout_or_release(space: IpcSpace, port: Any, rtype: int) -> int:
    """ipc_right_copyout that destroys the right on failure.  Returns: the name or 0."""
    kr, name = ipc_right_copyout(space, port, rtype)
    if kr != KERN_SUCCESS:
        ipc_object_destroy(port, rtype)
    return name


def ipc_object_destroy(port: Any, rtype: int) -> None:
    """Destroy an in-transit right (CMU ipc_object_destroy).

    Send: released (no-senders may fire).  Send-once: destroyed unused, so its
    port gets a send-once notification.  Receive: the port is destroyed.
    """
    if not isinstance(port, IpcPort):
        return
    if rtype == MACH_MSG_TYPE_PORT_SEND:
        ipc_port_release_send(port)
    elif rtype == MACH_MSG_TYPE_PORT_SEND_ONCE:
        if port.active:                 # spec §6: only while the port lives
            ipc_notify.ipc_notify_send_once(port)
        else:
            ipc_port_release_sonce(port)
    elif rtype == MACH_MSG_TYPE_PORT_RECEIVE:
        port.destination = None
        ipc_port_destroy(port)


def ipc_right_dealloc(space: IpcSpace, entry: IpcEntry) -> int:
    """Drop one uref of a send, send-once or dead-name right (mach_port_deallocate).

    Errors: KERN_INVALID_RIGHT for receive rights and port sets.
    """
    port = entry.object
    if entry.type & MACH_PORT_TYPE_SEND_ONCE:
        ipc_right_name_free(space, entry)
        ipc_notify.ipc_notify_send_once(port)
    elif entry.type & MACH_PORT_TYPE_SEND:
        entry.urefs -= 1
        if entry.urefs == 0:
            _drop_send_bit(space, entry)
            ipc_port_release_send(port)
    elif entry.type & MACH_PORT_TYPE_DEAD_NAME:
        _dead_name_release(space, entry)
    else:
        return KERN_INVALID_RIGHT
    return KERN_SUCCESS


def ipc_right_destroy(space: IpcSpace, entry: IpcEntry) -> int:
    """Destroy every right under the name (mach_port_destroy, space teardown).

    The name is freed first (a pending dead-name request gets port-deleted),
    then each right is destroyed as if dropped in transit.
    """
    obj, t = entry.object, entry.type
    ipc_right_name_free(space, entry)
    if t & MACH_PORT_TYPE_PORT_SET:
        ipc_pset_destroy(obj)
        return KERN_SUCCESS
    if t & MACH_PORT_TYPE_RECEIVE:
        # destroyed first, so its own send right cannot trigger no-senders
        ipc_port_clear_receiver(obj)
        ipc_port_destroy(obj)
    if t & MACH_PORT_TYPE_SEND:
        ipc_port_release_send(obj)
    if t & MACH_PORT_TYPE_SEND_ONCE:
        ipc_notify.ipc_notify_send_once(obj)
    return KERN_SUCCESS


def ipc_right_delta(space: IpcSpace, entry: IpcEntry, right: int, delta: int) -> int:
    """Change the urefs of one kind of right under the name (mach_port_mod_refs).

    Receive, port-set and send-once rights take delta 0 or −1 only (−1 destroys
    the right).  Send and dead-name urefs move by `delta` within 0…UREFS_MAX;
    reaching 0 releases the right.
    Errors: KERN_INVALID_RIGHT (name lacks that right), KERN_INVALID_VALUE
    (bad delta, below 0), KERN_UREFS_OVERFLOW (above the maximum).
    """
    t = entry.type
    bits = {
        MACH_PORT_RIGHT_SEND: MACH_PORT_TYPE_SEND,
        MACH_PORT_RIGHT_RECEIVE: MACH_PORT_TYPE_RECEIVE,
        MACH_PORT_RIGHT_SEND_ONCE: MACH_PORT_TYPE_SEND_ONCE,
        MACH_PORT_RIGHT_PORT_SET: MACH_PORT_TYPE_PORT_SET,
        MACH_PORT_RIGHT_DEAD_NAME: MACH_PORT_TYPE_DEAD_NAME,
    }.get(right)
    if bits is None:
        return KERN_INVALID_VALUE
    if not t & bits:
        return KERN_INVALID_RIGHT
    if right in (MACH_PORT_RIGHT_SEND, MACH_PORT_RIGHT_DEAD_NAME):
        urefs = entry.urefs + delta
        if urefs < 0:
            return KERN_INVALID_VALUE
        if urefs > MACH_PORT_UREFS_MAX:
            return KERN_UREFS_OVERFLOW
        if urefs == 0 and delta != 0:
            entry.urefs = 1
            return ipc_right_dealloc(space, entry)
        entry.urefs = urefs
        return KERN_SUCCESS
    if delta not in (0, -1):
        return KERN_INVALID_VALUE
    if delta == 0:
        return KERN_SUCCESS
    if right == MACH_PORT_RIGHT_SEND_ONCE:
        return ipc_right_dealloc(space, entry)
    if right == MACH_PORT_RIGHT_PORT_SET:
        return ipc_right_destroy(space, entry)
    # spec §3: a send right left under the name becomes a dead name once the
    # port dies; its dead-name request (if any) fires in ipc_port_destroy.
    port = entry.object
    _drop_receive_bit(space, entry)
    ipc_port_clear_receiver(port)
    ipc_port_destroy(port)
    return KERN_SUCCESS


def ipc_right_alloc_pset(space: IpcSpace, name: int | None = None) -> tuple[int, int]:
    """A new port set under a kernel-chosen or the given name.  Returns (kr, name)."""
    entry = space.entry_alloc() if name is None else space.entry_alloc_name(name)
    if entry is None:
        return KERN_NO_SPACE, 0
    entry.type = MACH_PORT_TYPE_PORT_SET
    entry.object = IpcPset(space, entry.name)
    return KERN_SUCCESS, entry.name
