"""The MIG server machinery for kernel-held ports (spec §7).

Routines are declared, not hand-parsed:

    @mig_routine(2021, "vm_allocate", target="task",
                 ins=[("address", U64), ("size", U64), ("anywhere", BOOL)],
                 outs=[("address", U64)])
    def vm_allocate(task, address, size, anywhere): ...

The declaration gives the request layout (descriptors for port/OOL inputs in
argument order; then, if any inline input exists, the NDR record and the
inline inputs, each OOL input adding its u32 count at its position), and the
reply layout (simple: NDR, RetCode, outputs; complex: descriptors, then NDR
and inline outputs only if any, no RetCode; failures: the 36-byte
mig_reply_error_t).

Handler convention:
- called as `handler(target_object, *inputs)` with inputs in declaration
  order: ints for scalars (BOOL as 0/1), `bytes` for CHARS/OOL/VARBYTES,
  tuples of u32 for WORDS/VARWORDS, the capacity for CAP, an `IpcPort`
  (or None / IP_DEAD) for a port input, `(port, result_type)` for PANY, a
  list of ports for OOLPORTS.  On success the handler owns the rights and
  memory it was given; on failure the request is destroyed for it.
- returns an int kern_return (allowed only when the routine has no outputs
  or the value is not KERN_SUCCESS), or a tuple of the outputs on success.
  Port outputs are `IpcPort` (None → MACH_PORT_NULL): for P17 and
  OOLPORTS(17) the kernel makes a send right from the receive right it
  holds (make-send); for P18 (HELD) the handler hands over a right it holds;
  PRES outputs are `(port, result_type)` pairs holding the right.  OOL
  outputs are `bytes`.  VARWORDS/VARBYTES outputs are sequences trimmed to
  their length.
- returning MIG_NO_REPLY sends nothing; a handler that answers later takes
  the reply right with `mig_current().take_reply()` first.
- simpleroutines (`simple=True`) never reply.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from machr.kernel.ipc.ipc_kmsg import (
    IpcKmsg,
    OolDesc,
    OolPortsDesc,
    PortDesc,
    ipc_kmsg_build,
    ipc_kmsg_consume_dest,
    ipc_kmsg_destroy,
)
from machr.kernel.ipc.ipc_port import IpcPort, ipc_port_make_send
from machr.kernel.mach.kern_return import KERN_FAILURE, KERN_INVALID_ARGUMENT, KERN_SUCCESS
from machr.kernel.mach.message import (
    MACH_MSG_DESCRIPTORS_OFFSET,
    MACH_MSG_HEADER_SIZE,
    MACH_MSG_OOL_DESCRIPTOR_SIZE,
    MACH_MSG_PORT_DESCRIPTOR_SIZE,
    MACH_MSG_TYPE_PORT_RECEIVE,
    MACH_MSG_TYPE_PORT_SEND,
    MACH_MSG_TYPE_PORT_SEND_ONCE,
    MACH_MSG_VIRTUAL_COPY,
)
from machr.kernel.mach.mig_errors import (
    MIG_BAD_ARGUMENTS,
    MIG_BAD_ID,
    MIG_NO_REPLY,
    MIG_REPLY_ID_OFFSET,
    MIG_TYPE_ERROR,
    NDR_RECORD,
    NDR_SIZE,
)


class Field:
    """One argument kind.  `kind` ∈ scalar, fixed, var, cap, port, ool, oolports."""

    __slots__ = ("count", "elem", "fmt", "kind", "make", "rtypes", "size")

    def __init__(self, kind: str, fmt: str = "", size: int = 0, elem: int = 0, count: int = 0,
                 rtypes: tuple = (), make: bool = False):
        self.kind, self.fmt, self.size, self.elem, self.count = kind, fmt, size, elem, count
        self.rtypes, self.make = rtypes, make

    @property
    def descriptor(self) -> bool:
        return self.kind in ("port", "ool", "oolports")


I32 = Field("scalar", "<i", 4)
U32 = Field("scalar", "<I", 4)
BOOL = Field("scalar", "<I", 4)
U64 = Field("scalar", "<Q", 8)
I64 = Field("scalar", "<q", 8)
CAP = Field("cap", "<I", 4)
OOL = Field("ool", elem=1)
# An OOL array of u32 (names, types, set members): its Cnt counts elements, not bytes (MIG
# `array[] of mach_port_name_t`; spec §7 "Cnt (bytes or names)").
OOLWORDS = Field("ool", elem=4)


def CHARS(n: int) -> Field:
    """char[n], fixed size (e.g. device names, kernel version)."""
    return Field("fixed", size=n, elem=1, count=n)


def WORDS(n: int) -> Field:
    """w[n]: n u32 words, fixed size."""
    return Field("fixed", size=4 * n, elem=4, count=n)


def VARWORDS(maximum: int) -> Field:
    """w[≤max]: u32 count then that many words; later fields move up (spec §7)."""
    return Field("var", elem=4, count=maximum)


def VARBYTES(maximum: int) -> Field:
    """b[≤max]: u32 count then the bytes padded to 4."""
    return Field("var", elem=1, count=maximum)


def PORT(*rtypes: int) -> Field:
    """A port input arriving with one of the result types `rtypes`."""
    return Field("port", rtypes=rtypes)


def OOLPORTS(rtype: int, make: bool = True) -> Field:
    """Out-of-line port array of result type `rtype` (+Cnt)."""
    return Field("oolports", rtypes=(rtype,), make=make)


P19 = PORT(MACH_MSG_TYPE_PORT_SEND)
P21 = PORT(MACH_MSG_TYPE_PORT_SEND_ONCE)
PANY = PORT(MACH_MSG_TYPE_PORT_RECEIVE, MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND_ONCE)
P17 = Field("port", rtypes=(MACH_MSG_TYPE_PORT_SEND,), make=True)
P18 = Field("port", rtypes=(MACH_MSG_TYPE_PORT_SEND_ONCE,))
PRES = Field("port", rtypes=())


class MigRoutine:
    """A declared routine: id, target kotypes, inputs, outputs, handler."""

    __slots__ = ("bad_target", "handler", "ins", "msgid", "name", "outs", "simple", "targets")

    def __init__(self, msgid: int, name: str, targets: tuple, ins: list, outs: list, simple: bool,
                 bad_target: int, handler: Callable):
        self.msgid, self.name, self.targets = msgid, name, targets
        self.ins, self.outs, self.simple, self.bad_target = ins, outs, simple, bad_target
        self.handler = handler

    @property
    def complex_reply(self) -> bool:
        return any(f.descriptor for _, f in self.outs)


mig_routines: dict[int, MigRoutine] = {}


def mig_routine(msgid: int, name: str, target: str | tuple, ins: list = (), outs: list = (),
                simple: bool = False, bad_target: int = KERN_INVALID_ARGUMENT) -> Callable:
    """Register the decorated function as the kernel's server for `msgid` (see module doc)."""
    targets = (target,) if isinstance(target, str) else tuple(target)

    def register(handler: Callable) -> Callable:
        mig_routines[msgid] = MigRoutine(msgid, name, targets, list(ins), list(outs), simple, bad_target,
                                         handler)
        return handler

    return register


class MigRequest:
    """The request being served: its kmsg and the sending thread (None if kernel-sent)."""

    __slots__ = ("kmsg", "thread")

    def __init__(self, kmsg: IpcKmsg, thread: Any):
        self.kmsg, self.thread = kmsg, thread

    def take_reply(self) -> tuple[Any, int] | None:
        """Take the reply right out of the request: (port, result type), or None if there is none."""
        port, rtype = self.kmsg.local, self.kmsg.local_type
        self.kmsg.local, self.kmsg.local_type = None, 0
        return (port, rtype) if isinstance(port, IpcPort) else None


_current: list[MigRequest] = []


def mig_current() -> MigRequest:
    """The request the running handler serves."""
    return _current[-1]


class _BadRequest(Exception):
    def __init__(self, code: int):
        self.code = code


def _parse_request(routine: MigRoutine, kmsg: IpcKmsg) -> list:
    """The handler's inputs, or _BadRequest(MIG_BAD_ARGUMENTS / MIG_TYPE_ERROR)."""
    data = kmsg.data
    size = len(data)
    descs = [f for _, f in routine.ins if f.descriptor]
    inline = [f for _, f in routine.ins if not f.descriptor]
    if kmsg.complex != bool(descs):
        raise _BadRequest(MIG_BAD_ARGUMENTS)
    off = MACH_MSG_HEADER_SIZE
    if descs:
        (count,) = struct.unpack_from("<I", data, off) if size >= MACH_MSG_DESCRIPTORS_OFFSET else (-1,)
        if count != len(descs) or len(kmsg.descs) != len(descs):
            raise _BadRequest(MIG_BAD_ARGUMENTS)
        for field, desc in zip(descs, kmsg.descs, strict=True):
            _check_descriptor(field, desc)
        off = kmsg.descs[-1].offset + (MACH_MSG_PORT_DESCRIPTOR_SIZE if isinstance(kmsg.descs[-1], PortDesc)
                                       else MACH_MSG_OOL_DESCRIPTOR_SIZE)
    if inline or any(f.kind in ("ool", "oolports") for f in descs):
        off += NDR_SIZE
    values = []
    desc_iter = iter(kmsg.descs)
    for _, field in routine.ins:
        if field.descriptor:
            desc = next(desc_iter)
            if field.kind == "port":
                values.append((desc.port, desc.rtype) if len(field.rtypes) > 1 else desc.port)
                continue
            off = _need(data, off, 4)  # the Cnt that shadows the descriptor
            values.append(desc.data if field.kind == "ool" else list(desc.ports))
            continue
        if field.kind in ("scalar", "cap"):
            off = _need(data, off, field.size)
            value = struct.unpack_from(field.fmt, data, off - field.size)[0]
            values.append(value if field is not BOOL else int(value != 0))
        elif field.kind == "fixed":
            off = _need(data, off, field.size)
            values.append(_elements(data, off - field.size, field, field.count))
        else:
            off = _need(data, off, 4)
            (count,) = struct.unpack_from("<I", data, off - 4)
            if count > field.count:
                raise _BadRequest(MIG_BAD_ARGUMENTS)
            nbytes = (count * field.elem + 3) & ~3
            off = _need(data, off, nbytes)
            values.append(_elements(data, off - nbytes, field, count))
    if off != size:
        raise _BadRequest(MIG_BAD_ARGUMENTS)
    return values


def _need(data: bytearray, off: int, n: int) -> int:
    if off + n > len(data):
        raise _BadRequest(MIG_BAD_ARGUMENTS)
    return off + n


def _elements(data: bytearray, off: int, field: Field, count: int) -> Any:
    if field.elem == 1:
        return bytes(data[off:off + count])
    return struct.unpack_from(f"<{count}I", data, off)


def _check_descriptor(field: Field, desc: Any) -> None:
    expected = {"port": PortDesc, "ool": OolDesc, "oolports": OolPortsDesc}[field.kind]
    if not isinstance(desc, expected):
        raise _BadRequest(MIG_TYPE_ERROR)
    if field.kind != "ool" and desc.rtype not in field.rtypes:
        raise _BadRequest(MIG_TYPE_ERROR)


def mig_reply_error(request: IpcKmsg, reply: tuple[Any, int], kr: int) -> IpcKmsg:
    """The 36-byte mig_reply_error_t for `request`, sent on the reply right `reply`."""
    port, rtype = reply
    return ipc_kmsg_build(request.msgid + MIG_REPLY_ID_OFFSET, port, rtype,
                          inline=NDR_RECORD + struct.pack("<i", kr))


def _build_reply(routine: MigRoutine, request: IpcKmsg, reply: tuple[Any, int], outs: tuple) -> IpcKmsg:
    descs, inline = [], bytearray()
    for (_, field), value in zip(routine.outs, outs, strict=True):
        if field.kind == "port":
            if not field.rtypes:
                port, rtype = value
            else:
                port, rtype = value, field.rtypes[0]
                if field.make and isinstance(port, IpcPort):
                    ipc_port_make_send(port)
            descs.append(PortDesc(port, rtype))
        elif field.kind == "ool":
            descs.append(OolDesc(bytes(value), MACH_MSG_VIRTUAL_COPY))
            inline += struct.pack("<I", len(value) // field.elem)
        elif field.kind == "oolports":
            ports = list(value)
            if field.make:
                for port in ports:
                    if isinstance(port, IpcPort):
                        ipc_port_make_send(port)
            descs.append(OolPortsDesc(ports, field.rtypes[0]))
            inline += struct.pack("<I", len(ports))
        elif field.kind == "scalar":
            inline += struct.pack(field.fmt, int(bool(value)) if field is BOOL else value)
        elif field.kind == "fixed":
            inline += _pack_elements(field, value, field.count)
        else:
            inline += struct.pack("<I", len(value)) + _pack_elements(field, value, len(value))
    if routine.complex_reply:
        body = NDR_RECORD + bytes(inline) if inline else b""
    else:
        body = NDR_RECORD + struct.pack("<i", KERN_SUCCESS) + bytes(inline)
    port, rtype = reply
    return ipc_kmsg_build(request.msgid + MIG_REPLY_ID_OFFSET, port, rtype, descs, body)


def _pack_elements(field: Field, value: Any, count: int) -> bytes:
    if field.elem == 1:
        raw = bytes(value)[:count].ljust(count, b"\0")
    else:
        raw = struct.pack(f"<{count}I", *(v & 0xFFFFFFFF for v in list(value)[:count]),
                          *([0] * (count - len(value))))
    return raw + b"\0" * (-len(raw) % 4)


def _output_count_ok(routine: MigRoutine, outs: tuple) -> bool:
    if len(outs) != len(routine.outs):
        return False
    return all(f.kind != "var" or len(v) <= f.count for (_, f), v in zip(routine.outs, outs, strict=True))


def mig_server(kmsg: IpcKmsg, thread: Any = None) -> IpcKmsg | None:
    """Serve a request sent to a kernel port (CMU ipc_kobject_server).

    Consumes: the request (its destination right is used up; on failure its
    rights are destroyed; on success the handler owns them).
    Returns: the reply kmsg for the request's reply right, or None (no reply
    right, simpleroutine, MIG_NO_REPLY).
    """
    target = kmsg.remote
    ipc_kmsg_consume_dest(kmsg)
    routine = mig_routines.get(kmsg.msgid)
    request = MigRequest(kmsg, thread)
    kr, outs = KERN_SUCCESS, ()
    try:
        if routine is None:
            raise _BadRequest(MIG_BAD_ID)
        inputs = _parse_request(routine, kmsg)
        obj = target.kobject if isinstance(target, IpcPort) else None
        if obj is None or target.kotype not in routine.targets:
            raise _BadRequest(routine.bad_target)
        _current.append(request)
        try:
            result = routine.handler(obj, *inputs)
        finally:
            _current.pop()
        if isinstance(result, tuple):
            outs = result
            if not _output_count_ok(routine, outs):
                kr = KERN_FAILURE
        else:
            kr = result
            if kr == KERN_SUCCESS and routine.outs:
                kr = KERN_FAILURE
    except _BadRequest as bad:
        kr = bad.code
    reply = request.take_reply()
    if kr in (KERN_SUCCESS, MIG_NO_REPLY):
        kmsg.descs = []  # the handler owns what it was given
    else:
        ipc_kmsg_destroy(kmsg)
    if reply is None:
        if kr == KERN_SUCCESS:
            _destroy_outputs(routine, outs)
        return None
    if kr == MIG_NO_REPLY or (routine is not None and routine.simple):
        from machr.kernel.ipc.ipc_right import ipc_object_destroy

        ipc_object_destroy(*reply)
        return None
    if kr != KERN_SUCCESS:
        return mig_reply_error(kmsg, reply, kr)
    return _build_reply(routine, kmsg, reply, outs)


def _destroy_outputs(routine: MigRoutine, outs: tuple) -> None:
    """Outputs with nowhere to go: rights the handler handed over are released."""
    from machr.kernel.ipc.ipc_right import ipc_object_destroy

    for (_, field), value in zip(routine.outs, outs, strict=True):
        if field.kind == "port" and not field.make:
            port, rtype = value if not field.rtypes else (value, field.rtypes[0])
            ipc_object_destroy(port, rtype)


__all__ = ["BOOL", "CAP", "CHARS", "I32", "I64", "OOL", "OOLPORTS", "OOLWORDS", "P17", "P18", "P19", "P21", "PANY",
           "PRES", "U32", "U64", "VARBYTES", "VARWORDS", "WORDS", "mig_current", "mig_routine", "mig_server"]


def mig_reply_send(msgid: int, reply: tuple[Any, int], result: tuple | int) -> None:
    """Answer a request taken with `take_reply` earlier (a deferred reply, e.g. a device read).

    `result` is what the handler would have returned: the outputs tuple, or a
    kern_return.  The reply is byte for byte the one an immediate answer gives.
    """
    from types import SimpleNamespace

    from machr.kernel.ipc.ipc_mqueue import ipc_kmsg_send_kernel

    routine = mig_routines[msgid]
    request = SimpleNamespace(msgid=msgid)      # the reply builders only need the request's id
    if isinstance(result, tuple):
        ipc_kmsg_send_kernel(_build_reply(routine, request, reply, result))
    else:
        ipc_kmsg_send_kernel(mig_reply_error(request, reply, result))
