"""Kernel messages (CMU `ipc_kmsg`): a message in transit, with its rights taken out of the sender.

`ipc_kmsg_copyin` turns a user buffer into a kmsg (spec §2.3, §2.4, §2.6, §3),
`ipc_kmsg_copyout` turns a kmsg into the bytes a receiver sees (reversed header
bits, rewritten descriptors), `ipc_kmsg_copyout_pseudo` hands it back to a
sender whose send timed out (spec §4), `ipc_kmsg_destroy` releases everything
it carries.  The bytes of a kmsg keep the user's layout; only the header and
the descriptors are rewritten on the way out.
"""

from __future__ import annotations

import itertools
import struct
from typing import Any

from machr.kernel.ipc.ipc_port import IpcPort, ipc_port_release_send, ipc_port_release_sonce
from machr.kernel.ipc.ipc_right import (
    ipc_object_destroy,
    ipc_right_copyin,
    ipc_right_copyin_check,
    ipc_right_copyout,
)
from machr.kernel.ipc.ipc_space import IpcSpace
from machr.kernel.kern.copy import CopyError
from machr.kernel.mach.kern_return import KERN_SUCCESS
from machr.kernel.mach.message import (
    AUDIT_TOKEN_TASK_ID_INDEX,
    KERNEL_SECURITY_TOKEN,
    MACH_MSG_DESCRIPTORS_OFFSET,
    MACH_MSG_HEADER_SIZE,
    MACH_MSG_IPC_SPACE,
    MACH_MSG_OOL_DESCRIPTOR,
    MACH_MSG_OOL_DESCRIPTOR_SIZE,
    MACH_MSG_OOL_PORTS_COUNT_MAX,
    MACH_MSG_OOL_PORTS_DESCRIPTOR,
    MACH_MSG_PHYSICAL_COPY,
    MACH_MSG_PORT_DESCRIPTOR,
    MACH_MSG_PORT_DESCRIPTOR_SIZE,
    MACH_MSG_SIZE_MAX,
    MACH_MSG_SUCCESS,
    MACH_MSG_TRAILER_SIZES,
    MACH_MSG_TYPE_MOVE_SEND,
    MACH_MSG_TYPE_MOVE_SEND_ONCE,
    MACH_MSG_TYPE_PORT_ANY,
    MACH_MSG_TYPE_PORT_ANY_SEND,
    MACH_MSG_TYPE_PORT_SEND,
    MACH_MSG_TYPE_PORT_SEND_ONCE,
    MACH_MSG_VIRTUAL_COPY,
    MACH_MSG_VM_SPACE,
    MACH_MSGH_BITS,
    MACH_MSGH_BITS_COMPLEX,
    MACH_MSGH_BITS_USER,
    MACH_MSGH_BITS_VOUCHER_MASK,
    MACH_RCV_BODY_ERROR,
    MACH_RCV_HEADER_ERROR,
    MACH_SEND_INVALID_DEST,
    MACH_SEND_INVALID_HEADER,
    MACH_SEND_INVALID_MEMORY,
    MACH_SEND_INVALID_REPLY,
    MACH_SEND_INVALID_RIGHT,
    MACH_SEND_INVALID_TYPE,
    MACH_SEND_INVALID_VOUCHER,
    MACH_SEND_MSG_TOO_SMALL,
    MACH_SEND_TOO_LARGE,
    USER_SECURITY_TOKEN,
)
from machr.kernel.mach.port import MACH_PORT_DEAD, MACH_PORT_NULL, MACH_PORT_TYPE_DEAD_NAME
from machr.kernel.mach.vm_types import round_page, trunc_page

_HEADER = struct.Struct("<IIIIIi")
_stamps = itertools.count()


class PortDesc:
    """A port descriptor in transit: one right (`port`: IpcPort, IP_DEAD or None)."""

    __slots__ = ("offset", "port", "rtype")

    def __init__(self, port: Any, rtype: int, offset: int = 0):
        self.offset, self.port, self.rtype = offset, port, rtype


class OolDesc:
    """An out-of-line memory descriptor in transit: the bytes, copied at send time."""

    __slots__ = ("copy", "data", "offset")

    def __init__(self, data: bytes, copy: int = MACH_MSG_VIRTUAL_COPY, offset: int = 0):
        self.offset, self.data, self.copy = offset, data, copy


class OolPortsDesc:
    """An out-of-line ports descriptor in transit: rights sharing one result type."""

    __slots__ = ("copy", "offset", "ports", "rtype")

    def __init__(self, ports: list, rtype: int, copy: int = MACH_MSG_PHYSICAL_COPY, offset: int = 0):
        self.offset, self.ports, self.rtype, self.copy = offset, ports, rtype, copy


DESCRIPTOR_SIZES = {
    MACH_MSG_PORT_DESCRIPTOR: MACH_MSG_PORT_DESCRIPTOR_SIZE,
    MACH_MSG_OOL_DESCRIPTOR: MACH_MSG_OOL_DESCRIPTOR_SIZE,
    MACH_MSG_OOL_PORTS_DESCRIPTOR: MACH_MSG_OOL_DESCRIPTOR_SIZE,
}


class IpcKmsg:
    """A message in transit.

    `data` is the whole message (header included, `len(data)` = msgh_size);
    `remote`/`local` hold the header rights with their result types; `descs`
    the body's rights and memory in descriptor order.  `sender_id` is the
    sending task's id, or None for a kernel-sent message (spec §2.5 tokens).
    """

    __slots__ = ("data", "descs", "local", "local_type", "remote", "remote_type", "sender_id", "stamp")

    def __init__(self, data: bytearray, remote: Any, remote_type: int, local: Any = None,
                 local_type: int = 0, descs: list | None = None, sender_id: int | None = None):
        self.data = data
        self.remote, self.remote_type = remote, remote_type
        self.local, self.local_type = local, local_type
        self.descs = descs if descs is not None else []
        self.sender_id = sender_id
        self.stamp = 0

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def msgid(self) -> int:
        return struct.unpack_from("<i", self.data, 20)[0]

    @property
    def complex(self) -> bool:
        return bool(struct.unpack_from("<I", self.data, 0)[0] & MACH_MSGH_BITS_COMPLEX)

    def stamp_now(self) -> None:
        """Order of arrival across ports (a port set serves the oldest first)."""
        self.stamp = next(_stamps)

    def __repr__(self) -> str:
        return f"IpcKmsg(id={self.msgid}, size={self.size}, remote={self.remote!r})"


def ipc_kmsg_check_size(send_size: int, complex_: bool | None = None) -> int:
    """The §2.6 size checks that need no message bytes (complex_=None: bits not read yet)."""
    if send_size < MACH_MSG_HEADER_SIZE or send_size % 4:
        return MACH_SEND_MSG_TOO_SMALL
    if send_size > MACH_MSG_SIZE_MAX:
        return MACH_SEND_TOO_LARGE
    if complex_ and send_size < MACH_MSG_DESCRIPTORS_OFFSET:
        return MACH_SEND_MSG_TOO_SMALL
    return MACH_MSG_SUCCESS


def ipc_kmsg_copyin(task: Any, buf: bytes) -> tuple[int, IpcKmsg | None]:
    """Make a kmsg of the user message `buf` (exactly send_size bytes) from `task`.

    Header stage (spec §2.3): bad sizes, bits, voucher, destination or reply
    → the error with nothing consumed.  Body stage (§2.4): a bad descriptor,
    missing right or unreadable OOL region → the error with the whole message
    destroyed (header rights too).
    Returns: (MACH_MSG_SUCCESS, kmsg) or (error, None).
    """
    space = task.space
    bits, _, remote_name, local_name, voucher, _ = _HEADER.unpack_from(buf, 0)
    mr = ipc_kmsg_check_size(len(buf), bool(bits & MACH_MSGH_BITS_COMPLEX))
    if mr:
        return mr, None
    if bits & ~MACH_MSGH_BITS_USER:
        return MACH_SEND_INVALID_HEADER, None
    if bits & MACH_MSGH_BITS_VOUCHER_MASK or voucher:
        return MACH_SEND_INVALID_VOUCHER, None
    mr, header = _copyin_header(space, bits, remote_name, local_name)
    if mr:
        return mr, None
    remote, remote_type, local, local_type = header
    kmsg = IpcKmsg(bytearray(buf), remote, remote_type, local, local_type, sender_id=task.task_id)
    if bits & MACH_MSGH_BITS_COMPLEX:
        mr = _copyin_body(task, kmsg)
        if mr:
            ipc_kmsg_destroy(kmsg)
            return mr, None
    return MACH_MSG_SUCCESS, kmsg


def _copyin_header(space: IpcSpace, bits: int, dest_name: int, reply_name: int) -> tuple[int, tuple]:
    """Copy in the header rights atomically: check both, then take both (spec §2.3)."""
    dest_disp, reply_disp = bits & 0x1F, (bits >> 8) & 0x1F
    if not MACH_MSG_TYPE_PORT_ANY_SEND(dest_disp):
        return MACH_SEND_INVALID_HEADER, ()
    if reply_disp == 0 and reply_name != MACH_PORT_NULL:
        return MACH_SEND_INVALID_HEADER, ()
    if reply_disp and not MACH_MSG_TYPE_PORT_ANY_SEND(reply_disp):
        return MACH_SEND_INVALID_HEADER, ()
    if dest_name in (MACH_PORT_NULL, MACH_PORT_DEAD):
        return MACH_SEND_INVALID_DEST, ()
    dest_entry = space.lookup(dest_name)
    if (dest_entry is None or dest_entry.type & MACH_PORT_TYPE_DEAD_NAME
            or not ipc_right_copyin_check(space, dest_name, dest_disp)):
        return MACH_SEND_INVALID_DEST, ()
    if reply_disp and not ipc_right_copyin_check(space, reply_name, reply_disp):
        return MACH_SEND_INVALID_REPLY, ()
    if reply_disp and reply_name == dest_name:
        moves = sum(d in (MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE) for d in (dest_disp, reply_disp))
        if moves > dest_entry.urefs:
            return MACH_SEND_INVALID_REPLY, ()
    # Rights that consume urefs are taken last, so a COPY/MAKE of the same name still finds it.
    steps = [("dest", dest_name, dest_disp)]
    if reply_disp:
        steps.append(("reply", reply_name, reply_disp))
    steps.sort(key=lambda s: s[2] in (MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE))
    got = {"reply": (None, 0)}
    for which, name, disp in steps:
        kr, port, rtype = ipc_right_copyin(space, name, disp)
        assert kr == KERN_SUCCESS, "checked above"
        got[which] = (port, rtype)
    return MACH_MSG_SUCCESS, got["dest"] + got["reply"]


def _copyin_body(task: Any, kmsg: IpcKmsg) -> int:
    """Copy in the descriptors (spec §2.4); on error the caller destroys the kmsg."""
    data = kmsg.data
    size = len(data)
    (count,) = struct.unpack_from("<I", data, MACH_MSG_HEADER_SIZE)
    off = MACH_MSG_DESCRIPTORS_OFFSET
    for _ in range(count):
        if off + 12 > size:
            return MACH_SEND_MSG_TOO_SMALL
        dtype = data[off + 11]
        dsize = DESCRIPTOR_SIZES.get(dtype)
        if dsize is None:
            return MACH_SEND_INVALID_TYPE
        if off + dsize > size:
            return MACH_SEND_MSG_TOO_SMALL
        if dtype == MACH_MSG_PORT_DESCRIPTOR:
            mr = _copyin_port(task.space, kmsg, off)
        elif dtype == MACH_MSG_OOL_DESCRIPTOR:
            mr = _copyin_ool(task, kmsg, off)
        else:
            mr = _copyin_ool_ports(task, kmsg, off)
        if mr:
            return mr
        off += dsize
    return MACH_MSG_SUCCESS


def _copyin_port(space: IpcSpace, kmsg: IpcKmsg, off: int) -> int:
    (name,) = struct.unpack_from("<I", kmsg.data, off)
    disp = kmsg.data[off + 10]
    if not MACH_MSG_TYPE_PORT_ANY(disp):
        return MACH_SEND_INVALID_TYPE
    kr, port, rtype = ipc_right_copyin(space, name, disp)
    if kr != KERN_SUCCESS:
        return MACH_SEND_INVALID_RIGHT
    kmsg.descs.append(PortDesc(port, rtype, off))
    return MACH_MSG_SUCCESS


def _copyin_ool(task: Any, kmsg: IpcKmsg, off: int) -> int:
    addr, dealloc, copy, _, _, size = struct.unpack_from("<QBBBBI", kmsg.data, off)
    if copy not in (MACH_MSG_PHYSICAL_COPY, MACH_MSG_VIRTUAL_COPY):
        return MACH_SEND_INVALID_TYPE
    data = b""
    if size:
        try:
            data = task.copyin(addr, size)
        except CopyError:
            return MACH_SEND_INVALID_MEMORY
        if dealloc:
            _deallocate_region(task, addr, size)
    kmsg.descs.append(OolDesc(data, copy, off))
    return MACH_MSG_SUCCESS


def _copyin_ool_ports(task: Any, kmsg: IpcKmsg, off: int) -> int:
    addr, dealloc, copy, disp, _, count = struct.unpack_from("<QBBBBI", kmsg.data, off)
    if not MACH_MSG_TYPE_PORT_ANY(disp):
        return MACH_SEND_INVALID_TYPE
    if count > MACH_MSG_OOL_PORTS_COUNT_MAX:
        return MACH_SEND_TOO_LARGE
    names: tuple = ()
    if count:
        try:
            names = struct.unpack(f"<{count}I", task.copyin(addr, 4 * count))
        except CopyError:
            return MACH_SEND_INVALID_MEMORY
    desc = OolPortsDesc([], 0, copy, off)
    for name in names:
        if not ipc_right_copyin_check(task.space, name, disp):
            _destroy_desc(desc)
            return MACH_SEND_INVALID_RIGHT
        _, port, desc.rtype = ipc_right_copyin(task.space, name, disp)
        desc.ports.append(port)
    if count and dealloc:
        _deallocate_region(task, addr, 4 * count)
    kmsg.descs.append(desc)
    return MACH_MSG_SUCCESS


def _deallocate_region(task: Any, addr: int, size: int) -> None:
    """spec §2.4: `deallocate` frees the sender's pages covering the region."""
    start = trunc_page(addr)
    task.vm_deallocate(start, round_page(addr + size) - start)


def _destroy_desc(desc: Any) -> None:
    if isinstance(desc, PortDesc):
        ipc_object_destroy(desc.port, desc.rtype)
    elif isinstance(desc, OolPortsDesc):
        for port in desc.ports:
            ipc_object_destroy(port, desc.rtype)
        desc.ports = []


def ipc_kmsg_destroy(kmsg: IpcKmsg) -> None:
    """Destroy a kmsg and every right it carries (CMU ipc_kmsg_destroy).

    The destination right is destroyed like any other: a send-once destination
    yields a send-once notification to its (live) port.
    """
    remote, kmsg.remote = kmsg.remote, None
    local, kmsg.local = kmsg.local, None
    ipc_object_destroy(remote, kmsg.remote_type)
    ipc_object_destroy(local, kmsg.local_type)
    descs, kmsg.descs = kmsg.descs, []
    for desc in descs:
        _destroy_desc(desc)


def ipc_kmsg_consume_dest(kmsg: IpcKmsg) -> None:
    """Delivery uses up the destination right (spec §2.3): release it without notification."""
    remote, kmsg.remote = kmsg.remote, None
    if kmsg.remote_type == MACH_MSG_TYPE_PORT_SEND_ONCE:
        ipc_port_release_sonce(remote)
    else:
        ipc_port_release_send(remote)


def ipc_kmsg_copyout(kmsg: IpcKmsg, task: Any) -> tuple[int, bytes]:
    """Deliver `kmsg` into `task`'s space: the bytes the receiver sees, trailer excluded.

    Consumes: the kmsg.  The destination right is used up; the reply right and
    the body's rights get names in the receiver's space, OOL data fresh memory.
    Returns: (MACH_MSG_SUCCESS, bytes), (MACH_RCV_BODY_ERROR | bits, bytes)
    with failed items as name 0 / address 0 size 0, or
    (MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE, header) when the reply right
    cannot be named: everything is destroyed, reply name 0.
    """
    port = kmsg.remote
    local_name = port.receiver_name if isinstance(port, IpcPort) else MACH_PORT_NULL
    dest_type = kmsg.remote_type
    ipc_kmsg_consume_dest(kmsg)
    kr, reply_name = ipc_right_copyout(task.space, kmsg.local, kmsg.local_type)
    if kr != KERN_SUCCESS:
        ipc_kmsg_destroy(kmsg)
        _write_header(kmsg, 0, dest_type, 0, local_name)
        return MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE, bytes(kmsg.data[:MACH_MSG_HEADER_SIZE])
    reply_type = kmsg.local_type if kmsg.local_type else 0
    kmsg.local = None
    _write_header(kmsg, reply_type, dest_type, reply_name, local_name)
    mr = _copyout_body(kmsg, task)
    return mr, bytes(kmsg.data)


def ipc_kmsg_copyout_pseudo(kmsg: IpcKmsg, task: Any) -> tuple[int, bytes]:
    """Give a message that could not be sent back to its sender (spec §4 pseudo-receive).

    Every right and region is copied out into the sender as if received, but
    remote and local are not swapped; no trailer.  Returns: (error bits, bytes).
    """
    dest_type, reply_type = kmsg.remote_type, kmsg.local_type
    kr1, dest_name = ipc_right_copyout(task.space, kmsg.remote, dest_type)
    kr2, reply_name = ipc_right_copyout(task.space, kmsg.local, reply_type)
    mr = MACH_MSG_SUCCESS
    for kr, port, rtype in ((kr1, kmsg.remote, dest_type), (kr2, kmsg.local, reply_type)):
        if kr != KERN_SUCCESS:
            ipc_object_destroy(port, rtype)
            mr |= MACH_MSG_IPC_SPACE
    kmsg.remote = kmsg.local = None
    bits = struct.unpack_from("<I", kmsg.data, 0)[0] & MACH_MSGH_BITS_COMPLEX
    struct.pack_into("<III", kmsg.data, 0, bits | MACH_MSGH_BITS(dest_type, reply_type),
                     len(kmsg.data), dest_name if kr1 == KERN_SUCCESS else 0)
    struct.pack_into("<I", kmsg.data, 12, reply_name if kr2 == KERN_SUCCESS else 0)
    body = _copyout_body(kmsg, task)
    return mr | (body & ~MACH_RCV_BODY_ERROR), bytes(kmsg.data)


def _write_header(kmsg: IpcKmsg, reply_type: int, dest_type: int, remote_name: int, local_name: int) -> None:
    """spec §2.3 received header: reversed bits, reply name as remote, receive name as local."""
    bits = struct.unpack_from("<I", kmsg.data, 0)[0] & MACH_MSGH_BITS_COMPLEX
    struct.pack_into("<IIIII", kmsg.data, 0, bits | MACH_MSGH_BITS(reply_type, dest_type),
                     len(kmsg.data), remote_name, local_name, 0)


def _copyout_body(kmsg: IpcKmsg, task: Any) -> int:
    """Rewrite each descriptor for the receiver.  Returns MACH_RCV_BODY_ERROR | bits, or 0."""
    mr = 0
    space, data = task.space, kmsg.data
    descs, kmsg.descs = kmsg.descs, []
    for desc in descs:
        off = desc.offset
        if isinstance(desc, PortDesc):
            kr, name = ipc_right_copyout(space, desc.port, desc.rtype)
            if kr != KERN_SUCCESS:
                ipc_object_destroy(desc.port, desc.rtype)
                mr |= MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE
            struct.pack_into("<IIHBB", data, off, name, 0, 0, desc.rtype, MACH_MSG_PORT_DESCRIPTOR)
        elif isinstance(desc, OolDesc):
            addr, size = _copyout_region(task, desc.data)
            if addr is None:
                mr |= MACH_RCV_BODY_ERROR | MACH_MSG_VM_SPACE
                addr, size = 0, 0
            struct.pack_into("<QBBBBI", data, off, addr, desc.copy == MACH_MSG_VIRTUAL_COPY, desc.copy, 0,
                             MACH_MSG_OOL_DESCRIPTOR, size)
        else:
            names = []
            for port in desc.ports:
                kr, name = ipc_right_copyout(space, port, desc.rtype)
                if kr != KERN_SUCCESS:
                    ipc_object_destroy(port, desc.rtype)
                    mr |= MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE
                names.append(name)
            addr, _ = _copyout_region(task, struct.pack(f"<{len(names)}I", *names))
            count = len(names)
            if addr is None:
                for name in names:
                    _forget_name(space, name, desc.rtype)
                mr |= MACH_RCV_BODY_ERROR | MACH_MSG_VM_SPACE
                addr, count = 0, 0
            struct.pack_into("<QBBBBI", data, off, addr, desc.copy == MACH_MSG_VIRTUAL_COPY, desc.copy,
                             desc.rtype, MACH_MSG_OOL_PORTS_DESCRIPTOR, count)
    return mr


def _copyout_region(task: Any, payload: bytes) -> tuple[int | None, int]:
    """Fresh page-aligned memory in `task` holding `payload` (spec §2.4); (None, 0) on shortage."""
    if not payload:
        return 0, 0
    size = round_page(len(payload))
    addr = task.vm_allocate_anywhere(size)
    if addr is None:
        return None, 0
    try:
        task.copyout(addr, payload)
    except CopyError:
        task.vm_deallocate(addr, size)
        return None, 0
    return addr, len(payload)


def _forget_name(space: IpcSpace, name: int, rtype: int) -> None:
    """Undo a copyout whose carrying array could not be delivered: the right is destroyed."""
    from machr.kernel.ipc.ipc_right import ipc_right_dealloc, ipc_right_destroy

    entry = space.lookup(name) if name not in (MACH_PORT_NULL, MACH_PORT_DEAD) else None
    if entry is None:
        return
    if rtype == MACH_MSG_TYPE_PORT_SEND or rtype == MACH_MSG_TYPE_PORT_SEND_ONCE:
        ipc_right_dealloc(space, entry)
    else:
        ipc_right_destroy(space, entry)


def ipc_kmsg_trailer(kmsg: IpcKmsg, seqno: int, elements: int) -> bytes:
    """The receive trailer for `elements` (spec §2.5): tokens by sender, seqno of the dequeue."""
    size = MACH_MSG_TRAILER_SIZES[elements]
    sender = KERNEL_SECURITY_TOKEN if kmsg.sender_id is None else USER_SECURITY_TOKEN
    audit = [0] * 8
    if kmsg.sender_id is not None:
        audit[AUDIT_TOKEN_TASK_ID_INDEX] = kmsg.sender_id & 0xFFFFFFFF
    full = struct.pack("<III2I8IQiI", 0, size, seqno & 0xFFFFFFFF, *sender, *audit, 0, 0, 0)
    return full[:size]


def ipc_kmsg_build(msgid: int, remote: Any, remote_type: int, descs: list = (), inline: bytes = b"",
                   local: Any = None, local_type: int = 0) -> IpcKmsg:
    """A kernel-sent kmsg (notifications, MIG replies).

    Consumes: the rights given (remote, local, descriptors' ports).  Lays out
    header, then (when `descs`) the body count and the descriptors, then `inline`.
    """
    bits = MACH_MSGH_BITS(remote_type, local_type)
    body = bytearray()
    placed = []
    if descs:
        bits |= MACH_MSGH_BITS_COMPLEX
        body += struct.pack("<I", len(descs))
        for desc in descs:
            desc.offset = MACH_MSG_HEADER_SIZE + len(body)
            if isinstance(desc, PortDesc):
                body += struct.pack("<IIHBB", 0, 0, 0, desc.rtype, MACH_MSG_PORT_DESCRIPTOR)
            elif isinstance(desc, OolDesc):
                body += struct.pack("<QBBBBI", 0, 0, desc.copy, 0, MACH_MSG_OOL_DESCRIPTOR, len(desc.data))
            else:
                body += struct.pack("<QBBBBI", 0, 0, desc.copy, desc.rtype, MACH_MSG_OOL_PORTS_DESCRIPTOR,
                                    len(desc.ports))
            placed.append(desc)
    body += inline
    data = bytearray(_HEADER.pack(bits, MACH_MSG_HEADER_SIZE + len(body), 0, 0, 0, msgid)) + body
    return IpcKmsg(data, remote, remote_type, local, local_type, placed, sender_id=None)


def ipc_kmsg_inline(kmsg: IpcKmsg) -> bytes:
    """The bytes after the header and descriptors (where NDR and inline data sit)."""
    if not kmsg.complex:
        return bytes(kmsg.data[MACH_MSG_HEADER_SIZE:])
    (count,) = struct.unpack_from("<I", kmsg.data, MACH_MSG_HEADER_SIZE)
    off = MACH_MSG_DESCRIPTORS_OFFSET
    for _ in range(count):
        off += DESCRIPTOR_SIZES.get(kmsg.data[off + 11], MACH_MSG_PORT_DESCRIPTOR_SIZE)
    return bytes(kmsg.data[off:])


def ipc_kmsg_carried_receive_rights(kmsg: IpcKmsg) -> list[IpcPort]:
    """Receive rights the message carries (for circularity checks and in-transit bookkeeping)."""
    ports = []
    for desc in kmsg.descs:
        if isinstance(desc, PortDesc) and desc.rtype == 16 and isinstance(desc.port, IpcPort):
            ports.append(desc.port)
        elif isinstance(desc, OolPortsDesc) and desc.rtype == 16:
            ports.extend(p for p in desc.ports if isinstance(p, IpcPort))
    return ports

