"""Kernel-generated notifications (CMU `ipc_notify`, spec §6).

Each is a kmsg the kernel sends to a send-once right it was given; it is
queued regardless of the queue limit.  Sending consumes that send-once right;
if its port is dead the right is simply released.
"""

from __future__ import annotations

import struct

from machr.kernel.ipc.ipc_port import IpcPort
from machr.kernel.mach.message import MACH_MSG_TYPE_PORT_RECEIVE, MACH_MSG_TYPE_PORT_SEND_ONCE
from machr.kernel.mach.mig_errors import NDR_RECORD
from machr.kernel.mach.notify import (
    MACH_NOTIFY_DEAD_NAME,
    MACH_NOTIFY_NO_SENDERS,
    MACH_NOTIFY_PORT_DELETED,
    MACH_NOTIFY_PORT_DESTROYED,
    MACH_NOTIFY_SEND_ONCE,
)


def _send(notify: IpcPort, msgid: int, inline: bytes = b"", descs: list = ()) -> None:
    from machr.kernel.ipc.ipc_kmsg import ipc_kmsg_build
    from machr.kernel.ipc.ipc_mqueue import ipc_kmsg_send_kernel

    ipc_kmsg_send_kernel(ipc_kmsg_build(msgid, notify, MACH_MSG_TYPE_PORT_SEND_ONCE, descs, inline))


def ipc_notify_port_deleted(notify: IpcPort, name: int) -> None:
    """65: `name` lost its last right while the port lives.  Consumes `notify`."""
    _send(notify, MACH_NOTIFY_PORT_DELETED, NDR_RECORD + struct.pack("<I", name))


def ipc_notify_port_destroyed(notify: IpcPort, port: IpcPort) -> None:
    """69: the receive right of `port` (already cleared) goes to the requester.  Consumes both."""
    from machr.kernel.ipc.ipc_kmsg import PortDesc

    _send(notify, MACH_NOTIFY_PORT_DESTROYED, descs=[PortDesc(port, MACH_MSG_TYPE_PORT_RECEIVE)])


def ipc_notify_no_senders(notify: IpcPort, mscount: int) -> None:
    """70: the port's send rights dropped to 0.  Consumes `notify`."""
    _send(notify, MACH_NOTIFY_NO_SENDERS, NDR_RECORD + struct.pack("<I", mscount & 0xFFFFFFFF))


def ipc_notify_send_once(port: IpcPort) -> None:
    """71: a send-once right to `port` is destroyed unused.  Consumes it."""
    _send(port, MACH_NOTIFY_SEND_ONCE)


def ipc_notify_dead_name(notify: IpcPort, name: int) -> None:
    """72: the port named `name` died.  Consumes `notify`."""
    _send(notify, MACH_NOTIFY_DEAD_NAME, NDR_RECORD + struct.pack("<I", name))
