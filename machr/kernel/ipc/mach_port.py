"""The `mach_port_*` routines (spec §7, ids 3200–3220), served on task ports.

Each needs only the target task's space.  Registered with the MIG machinery at
import; a target that is not a task gets KERN_INVALID_TASK.
"""

from __future__ import annotations

import struct
from typing import Any

from machr.kernel.ipc import ipc_notify
from machr.kernel.ipc.ipc_entry import IpcEntry
from machr.kernel.ipc.ipc_mqueue import ipc_mqueue_admit_senders
from machr.kernel.ipc.ipc_port import IP_DEAD, IpcPort
from machr.kernel.ipc.ipc_pset import ipc_pset_add, ipc_pset_remove
from machr.kernel.ipc.ipc_right import (
    ipc_right_alloc_pset,
    ipc_right_copyin,
    ipc_right_dealloc,
    ipc_right_delta,
    ipc_right_destroy,
)
from machr.kernel.ipc.ipc_space import IpcSpace
from machr.kernel.ipc.mig import CAP, I32, OOLWORDS, P18, P21, PANY, PRES, U32, VARWORDS, WORDS, mig_routine
from machr.kernel.mach import msgids
from machr.kernel.mach.kern_return import (
    KERN_FAILURE,
    KERN_INVALID_ARGUMENT,
    KERN_INVALID_CAPABILITY,
    KERN_INVALID_NAME,
    KERN_INVALID_RIGHT,
    KERN_INVALID_TASK,
    KERN_INVALID_VALUE,
    KERN_NAME_EXISTS,
    KERN_NO_SPACE,
    KERN_NOT_IN_SET,
    KERN_RIGHT_EXISTS,
    KERN_SUCCESS,
    KERN_UREFS_OVERFLOW,
)
from machr.kernel.mach.message import (
    MACH_MSG_TYPE_MAKE_SEND_ONCE,
    MACH_MSG_TYPE_MOVE_RECEIVE,
    MACH_MSG_TYPE_PORT_RECEIVE,
    MACH_MSG_TYPE_PORT_SEND,
    MACH_MSG_TYPE_PORT_SEND_ONCE,
)
from machr.kernel.mach.notify import MACH_NOTIFY_DEAD_NAME, MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_PORT_DESTROYED
from machr.kernel.mach.port import (
    MACH_PORT_DEAD,
    MACH_PORT_DNREQUESTS_SIZE,
    MACH_PORT_LIMITS_INFO,
    MACH_PORT_NULL,
    MACH_PORT_QLIMIT_MAX,
    MACH_PORT_RECEIVE_STATUS,
    MACH_PORT_RECEIVE_STATUS_COUNT,
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


def _routine(msgid: int, name: str, ins: list = (), outs: list = ()):
    return mig_routine(msgid, name, target="task", ins=ins, outs=outs, bad_target=KERN_INVALID_TASK)


def _valid(name: int) -> bool:
    return name not in (MACH_PORT_NULL, MACH_PORT_DEAD)


def _lookup(space: IpcSpace, name: int) -> IpcEntry | None:
    return space.lookup(name) if _valid(name) else None


def _receive_port(space: IpcSpace, name: int) -> tuple[int, IpcPort | None]:
    entry = _lookup(space, name)
    if entry is None:
        return KERN_INVALID_NAME, None
    if not entry.type & MACH_PORT_TYPE_RECEIVE:
        return KERN_INVALID_RIGHT, None
    return KERN_SUCCESS, entry.object


@_routine(msgids.MACH_PORT_NAMES, "mach_port_names", outs=[("names", OOLWORDS), ("types", OOLWORDS)])
def mach_port_names(task: Any) -> tuple:
    space = task.space
    entries = [space.lookup(name) for name in sorted(space.entries)]
    return (struct.pack(f"<{len(entries)}I", *(e.name for e in entries)),
            struct.pack(f"<{len(entries)}I", *(e.port_type() for e in entries)))


@_routine(msgids.MACH_PORT_TYPE_ID, "mach_port_type", ins=[("name", U32)], outs=[("ptype", U32)])
def mach_port_type(task: Any, name: int) -> int | tuple:
    entry = _lookup(task.space, name)
    return KERN_INVALID_NAME if entry is None else (entry.port_type(),)


@_routine(msgids.MACH_PORT_RENAME, "mach_port_rename", ins=[("old_name", U32), ("new_name", U32)])
def mach_port_rename(task: Any, old_name: int, new_name: int) -> int:
    space = task.space
    if not _valid(new_name):
        return KERN_INVALID_VALUE
    entry = _lookup(space, old_name)
    if entry is None:
        return KERN_INVALID_NAME
    if new_name in space.entries:
        return KERN_NAME_EXISTS
    space.entry_rename(entry, new_name)
    if entry.type & MACH_PORT_TYPE_RECEIVE:
        entry.object.receiver_name = new_name
    if entry.type & MACH_PORT_TYPE_PORT_SET:
        entry.object.name = new_name
    return KERN_SUCCESS


def _allocate(space: IpcSpace, right: int, name: int | None) -> tuple[int, int]:
    if right not in (MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_PORT_SET, MACH_PORT_RIGHT_DEAD_NAME):
        return KERN_INVALID_VALUE, 0
    if name is not None and name in space.entries:
        return KERN_NAME_EXISTS, 0
    if right == MACH_PORT_RIGHT_PORT_SET:
        return ipc_right_alloc_pset(space, name)
    entry = space.entry_alloc() if name is None else space.entry_alloc_name(name)
    if entry is None:
        return KERN_NO_SPACE, 0
    if right == MACH_PORT_RIGHT_DEAD_NAME:
        entry.type, entry.urefs = MACH_PORT_TYPE_DEAD_NAME, 1
    else:
        port = IpcPort()
        entry.type, entry.object = MACH_PORT_TYPE_RECEIVE, port
        space.reverse[port] = entry
        port.receiver, port.receiver_name = space, entry.name
    return KERN_SUCCESS, entry.name


@_routine(msgids.MACH_PORT_ALLOCATE_NAME, "mach_port_allocate_name", ins=[("right", U32), ("name", U32)])
def mach_port_allocate_name(task: Any, right: int, name: int) -> int:
    if not _valid(name):
        return KERN_INVALID_VALUE
    return _allocate(task.space, right, name)[0]


@_routine(msgids.MACH_PORT_ALLOCATE, "mach_port_allocate", ins=[("right", U32)], outs=[("name", U32)])
def mach_port_allocate(task: Any, right: int) -> int | tuple:
    kr, name = _allocate(task.space, right, None)
    return kr if kr != KERN_SUCCESS else (name,)


@_routine(msgids.MACH_PORT_DESTROY, "mach_port_destroy", ins=[("name", U32)])
def mach_port_destroy(task: Any, name: int) -> int:
    entry = _lookup(task.space, name)
    return KERN_INVALID_NAME if entry is None else ipc_right_destroy(task.space, entry)


@_routine(msgids.MACH_PORT_DEALLOCATE, "mach_port_deallocate", ins=[("name", U32)])
def mach_port_deallocate(task: Any, name: int) -> int:
    entry = _lookup(task.space, name)
    return KERN_INVALID_NAME if entry is None else ipc_right_dealloc(task.space, entry)


_RIGHT_TYPE = {
    MACH_PORT_RIGHT_SEND: MACH_PORT_TYPE_SEND,
    MACH_PORT_RIGHT_RECEIVE: MACH_PORT_TYPE_RECEIVE,
    MACH_PORT_RIGHT_SEND_ONCE: MACH_PORT_TYPE_SEND_ONCE,
    MACH_PORT_RIGHT_PORT_SET: MACH_PORT_TYPE_PORT_SET,
    MACH_PORT_RIGHT_DEAD_NAME: MACH_PORT_TYPE_DEAD_NAME,
}


@_routine(msgids.MACH_PORT_GET_REFS, "mach_port_get_refs", ins=[("name", U32), ("right", U32)],
          outs=[("refs", U32)])
def mach_port_get_refs(task: Any, name: int, right: int) -> int | tuple:
    bit = _RIGHT_TYPE.get(right)
    if bit is None:
        return KERN_INVALID_VALUE
    entry = _lookup(task.space, name)
    if entry is None:
        return KERN_INVALID_NAME
    if not entry.type & bit:
        return (0,)
    return (entry.urefs if bit & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DEAD_NAME) else 1,)


@_routine(msgids.MACH_PORT_MOD_REFS, "mach_port_mod_refs", ins=[("name", U32), ("right", U32), ("delta", I32)])
def mach_port_mod_refs(task: Any, name: int, right: int, delta: int) -> int:
    if right not in _RIGHT_TYPE:
        return KERN_INVALID_VALUE
    entry = _lookup(task.space, name)
    return KERN_INVALID_NAME if entry is None else ipc_right_delta(task.space, entry, right, delta)


def _set_port_value(attr: str, limit: int | None = None):
    def handler(task: Any, name: int, value: int) -> int:
        kr, port = _receive_port(task.space, name)
        if kr != KERN_SUCCESS:
            return kr
        if limit is not None and value > limit:
            return KERN_INVALID_VALUE
        setattr(port, attr, value)
        ipc_mqueue_admit_senders(port)
        return KERN_SUCCESS
    return handler


_VALUE_INS = [("name", U32), ("value", U32)]
mach_port_set_qlimit = _routine(msgids.MACH_PORT_SET_QLIMIT, "mach_port_set_qlimit", _VALUE_INS)(
    _set_port_value("qlimit", MACH_PORT_QLIMIT_MAX))
mach_port_set_mscount = _routine(msgids.MACH_PORT_SET_MSCOUNT, "mach_port_set_mscount", _VALUE_INS)(
    _set_port_value("mscount"))
mach_port_set_seqno = _routine(msgids.MACH_PORT_SET_SEQNO, "mach_port_set_seqno", _VALUE_INS)(
    _set_port_value("seqno"))


@_routine(msgids.MACH_PORT_GET_SET_STATUS, "mach_port_get_set_status", ins=[("name", U32)],
          outs=[("members", OOLWORDS)])
def mach_port_get_set_status(task: Any, name: int) -> int | tuple:
    entry = _lookup(task.space, name)
    if entry is None:
        return KERN_INVALID_NAME
    if not entry.type & MACH_PORT_TYPE_PORT_SET:
        return KERN_INVALID_RIGHT
    names = [p.receiver_name for p in entry.object.members]
    return (struct.pack(f"<{len(names)}I", *names),)


@_routine(msgids.MACH_PORT_MOVE_MEMBER, "mach_port_move_member", ins=[("member", U32), ("after", U32)])
def mach_port_move_member(task: Any, member: int, after: int) -> int:
    space = task.space
    kr, port = _receive_port(space, member)
    if kr != KERN_SUCCESS:
        return kr
    pset = None
    if after != MACH_PORT_NULL:
        entry = _lookup(space, after)
        if entry is None:
            return KERN_INVALID_NAME
        if not entry.type & MACH_PORT_TYPE_PORT_SET:
            return KERN_INVALID_RIGHT
        pset = entry.object
    elif port.pset is None:
        return KERN_NOT_IN_SET
    if port.pset is not pset:
        ipc_pset_remove(port)
        if pset is not None:
            ipc_pset_add(pset, port)
    return KERN_SUCCESS


@_routine(msgids.MACH_PORT_REQUEST_NOTIFICATION, "mach_port_request_notification",
          ins=[("name", U32), ("msgid", I32), ("sync", U32), ("notify", P21)], outs=[("previous", P18)])
def mach_port_request_notification(task: Any, name: int, msgid: int, sync: int, notify: Any) -> int | tuple:
    """spec §6: register `notify` (a send-once right; None cancels); reply with the previous one."""
    if notify is IP_DEAD:
        return KERN_INVALID_CAPABILITY
    if msgid not in (MACH_NOTIFY_PORT_DESTROYED, MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_DEAD_NAME):
        return KERN_INVALID_VALUE
    space = task.space
    entry = _lookup(space, name)
    if entry is None:
        return KERN_INVALID_NAME
    if msgid == MACH_NOTIFY_DEAD_NAME:
        return _request_dead_name(space, entry, sync, notify)
    if not entry.type & MACH_PORT_TYPE_RECEIVE:
        return KERN_INVALID_RIGHT
    port = entry.object
    if msgid == MACH_NOTIFY_PORT_DESTROYED:
        if sync != 0:
            return KERN_INVALID_VALUE
        previous, port.pdrequest = port.pdrequest, notify
        return (previous,)
    previous, port.nsrequest = port.nsrequest, None
    if notify is not None and port.srights == 0 and sync <= port.mscount:
        ipc_notify.ipc_notify_no_senders(notify, port.mscount)
    else:
        port.nsrequest = notify
    return (previous,)


def _request_dead_name(space: IpcSpace, entry: IpcEntry, sync: int, notify: Any) -> int | tuple:
    if entry.type & MACH_PORT_TYPE_DEAD_NAME:
        if notify is None:
            return (None,)
        if sync == 0:
            return KERN_INVALID_ARGUMENT
        if entry.urefs >= MACH_PORT_UREFS_MAX:
            return KERN_UREFS_OVERFLOW
        entry.urefs += 1
        ipc_notify.ipc_notify_dead_name(notify, entry.name)
        return (None,)
    if not entry.type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_RECEIVE):
        return KERN_INVALID_RIGHT
    port = entry.object
    previous = entry.dnrequest
    port.dnrequests.pop(entry, None)
    entry.dnrequest = notify
    if notify is not None:
        port.dnrequests[entry] = notify
    return (previous,)


@_routine(msgids.MACH_PORT_INSERT_RIGHT, "mach_port_insert_right", ins=[("name", U32), ("poly", PANY)])
def mach_port_insert_right(task: Any, name: int, poly: tuple) -> int:
    """Put the right `poly` into the space under `name`, as if received there (spec §7)."""
    port, rtype = poly
    space = task.space
    if not _valid(name):
        return KERN_INVALID_VALUE
    if not isinstance(port, IpcPort):
        return KERN_INVALID_CAPABILITY
    entry = space.entries.get(name)
    # spec §3: a send-once right always gets a name of its own, so only send and
    # receive rights collide with the name the port already has here.
    held = space.reverse.get(port) if rtype != MACH_MSG_TYPE_PORT_SEND_ONCE else None
    if held is not None and held is not entry:
        return KERN_RIGHT_EXISTS
    if entry is None:
        if not port.active:
            return KERN_INVALID_CAPABILITY
        if space.entry_alloc_name(name) is None:
            return KERN_NO_SPACE
        entry = space.entries[name]
        entry.object = port
        if rtype != MACH_MSG_TYPE_PORT_SEND_ONCE:
            space.reverse[port] = entry
        return _insert_into(space, entry, port, rtype)
    if entry.object is not port or rtype == MACH_MSG_TYPE_PORT_SEND_ONCE:
        return KERN_NAME_EXISTS
    if rtype == MACH_MSG_TYPE_PORT_SEND and entry.type & MACH_PORT_TYPE_SEND and entry.urefs >= MACH_PORT_UREFS_MAX:
        return KERN_UREFS_OVERFLOW
    if rtype == MACH_MSG_TYPE_PORT_RECEIVE and entry.type & MACH_PORT_TYPE_RECEIVE:
        return KERN_RIGHT_EXISTS
    return _insert_into(space, entry, port, rtype)


def _insert_into(space: IpcSpace, entry: IpcEntry, port: IpcPort, rtype: int) -> int:
    """Merge a right into an entry named for `port` (fresh or holding a compatible right)."""
    if rtype == MACH_MSG_TYPE_PORT_SEND_ONCE:
        entry.type, entry.urefs = MACH_PORT_TYPE_SEND_ONCE, 1
    elif rtype == MACH_MSG_TYPE_PORT_SEND:
        if entry.type & MACH_PORT_TYPE_SEND:
            port.srights -= 1
            entry.urefs += 1
        else:
            entry.type |= MACH_PORT_TYPE_SEND
            entry.urefs = 1
    else:
        entry.type |= MACH_PORT_TYPE_RECEIVE
        port.receiver, port.receiver_name, port.destination = space, entry.name, None
    return KERN_SUCCESS


@_routine(msgids.MACH_PORT_EXTRACT_RIGHT, "mach_port_extract_right", ins=[("name", U32), ("disp", U32)],
          outs=[("poly", PRES)])
def mach_port_extract_right(task: Any, name: int, disp: int) -> int | tuple:
    if not MACH_MSG_TYPE_MOVE_RECEIVE <= disp <= MACH_MSG_TYPE_MAKE_SEND_ONCE:
        return KERN_INVALID_VALUE
    if not _valid(name):
        return KERN_INVALID_NAME
    kr, port, rtype = ipc_right_copyin(task.space, name, disp)
    return kr if kr != KERN_SUCCESS else ((port, rtype),)


def mach_port_receive_status(port: IpcPort) -> list[int]:
    """The 10-word status (spec §7): pset, seqno, mscount, qlimit, msgcount, sorights, srights,
    pdrequest, nsrequest, flags.  srights, pdrequest and nsrequest are booleans (CMU/XNU
    `mps_srights`: "do send rights exist?")."""
    return [port.pset.name if port.pset else 0, port.seqno, port.mscount, port.qlimit, len(port.messages),
            port.sorights, port.srights != 0, port.pdrequest is not None, port.nsrequest is not None, 0]


@_routine(msgids.MACH_PORT_GET_RECEIVE_STATUS, "mach_port_get_receive_status", ins=[("name", U32)],
          outs=[("status", WORDS(MACH_PORT_RECEIVE_STATUS_COUNT))])
def mach_port_get_receive_status(task: Any, name: int) -> int | tuple:
    kr, port = _receive_port(task.space, name)
    return kr if kr != KERN_SUCCESS else (mach_port_receive_status(port),)


@_routine(msgids.MACH_PORT_GET_ATTRIBUTES, "mach_port_get_attributes",
          ins=[("name", U32), ("flavor", I32), ("info", CAP)], outs=[("info", VARWORDS(17))])
def mach_port_get_attributes(task: Any, name: int, flavor: int, cap: int) -> int | tuple:
    kr, port = _receive_port(task.space, name)
    if kr != KERN_SUCCESS:
        return kr
    if flavor == MACH_PORT_LIMITS_INFO:
        info = [port.qlimit]
    elif flavor == MACH_PORT_RECEIVE_STATUS:
        info = mach_port_receive_status(port)
    elif flavor == MACH_PORT_DNREQUESTS_SIZE:
        info = [len(port.dnrequests)]
    else:
        return KERN_INVALID_ARGUMENT
    return KERN_FAILURE if cap < len(info) else (info,)


@_routine(msgids.MACH_PORT_SET_ATTRIBUTES, "mach_port_set_attributes",
          ins=[("name", U32), ("flavor", I32), ("info", VARWORDS(17))])
def mach_port_set_attributes(task: Any, name: int, flavor: int, info: tuple) -> int:
    kr, port = _receive_port(task.space, name)
    if kr != KERN_SUCCESS:
        return kr
    if flavor == MACH_PORT_LIMITS_INFO:
        if len(info) < 1:
            return KERN_FAILURE
        if info[0] > MACH_PORT_QLIMIT_MAX:
            return KERN_INVALID_VALUE
        port.qlimit = info[0]
        ipc_mqueue_admit_senders(port)
        return KERN_SUCCESS
    if flavor == MACH_PORT_DNREQUESTS_SIZE:
        return KERN_SUCCESS
    return KERN_INVALID_ARGUMENT
