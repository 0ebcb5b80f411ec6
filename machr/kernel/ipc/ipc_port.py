"""Ports (CMU `ipc_port`): the receive right's queue and the counts of its send rights.

Right accounting follows CMU: `srights` counts send rights wherever they are —
one per space entry holding SEND (whatever its urefs), one per right in transit
or held by the kernel.  `sorights` counts send-once rights the same way.  When
`srights` falls to 0 a registered no-senders request fires (spec §6).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from machr.kernel.ipc.ipc_entry import DNREQUEST_FIRED
from machr.kernel.mach.port import MACH_PORT_QLIMIT_DEFAULT


class _DeadPort:
    """The in-transit value of a right whose port is dead (user name MACH_PORT_DEAD)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "IP_DEAD"


IP_DEAD = _DeadPort()


class IpcPort:
    """A Mach port.

    `receiver` is the space holding the receive right (`ipc_space_kernel` for
    kernel ports) or None while the receive right is in transit, in which case
    `destination` is the port the carrying message was sent to.
    """

    __slots__ = (
        "active",
        "destination",
        "dnrequests",
        "kobject",
        "kotype",
        "messages",
        "mscount",
        "nsrequest",
        "pdrequest",
        "pset",
        "qlimit",
        "receiver",
        "receiver_name",
        "receivers",
        "senders",
        "seqno",
        "sorights",
        "srights",
    )

    def __init__(self, kobject: Any = None, kotype: str | None = None):
        self.active = True
        self.receiver = None
        self.receiver_name = 0
        self.destination: IpcPort | None = None
        self.pset = None
        self.srights = 0
        self.sorights = 0
        self.mscount = 0
        self.seqno = 0
        self.qlimit = MACH_PORT_QLIMIT_DEFAULT
        self.messages: deque = deque()
        self.receivers: list = []
        self.senders: list = []
        self.nsrequest: IpcPort | None = None
        self.pdrequest: IpcPort | None = None
        self.dnrequests: dict = {}
        self.kobject = kobject
        self.kotype = kotype

    def __repr__(self) -> str:
        state = "" if self.active else " dead"
        kind = f" {self.kotype}" if self.kotype else ""
        return f"IpcPort({self.receiver_name:#x}{kind}{state} s={self.srights} so={self.sorights})"


def ipc_port_make_send(port: IpcPort) -> IpcPort:
    """Make a send right from the receive right (MAKE_SEND): mscount and srights +1.

    Returns: the port, now carrying one more send right the caller holds.
    """
    if port.active:
        port.mscount += 1
        port.srights += 1
    return port


def ipc_port_copy_send(port: Any) -> Any:
    """Copy a send right the caller holds (COPY_SEND): srights +1.  NULL/DEAD pass through."""
    if isinstance(port, IpcPort) and port.active:
        port.srights += 1
    return port


def ipc_port_make_sonce(port: IpcPort) -> IpcPort:
    """Make a send-once right from the receive right (MAKE_SEND_ONCE): sorights +1."""
    if port.active:
        port.sorights += 1
    return port


def ipc_port_release_send(port: Any) -> None:
    """Release one send right the caller holds.

    Consumes: the right.  When the last send right goes and a no-senders
    request is registered, the request is consumed and the notification sent.
    """
    if not isinstance(port, IpcPort) or not port.active:
        return
    port.srights -= 1
    if port.srights == 0 and port.nsrequest is not None:
        nsrequest, port.nsrequest = port.nsrequest, None
        from machr.kernel.ipc import ipc_notify

        ipc_notify.ipc_notify_no_senders(nsrequest, port.mscount)


def ipc_port_release_sonce(port: Any) -> None:
    """Account for a send-once right that was used (its message delivered): sorights −1."""
    if isinstance(port, IpcPort) and port.active:
        port.sorights -= 1


def ipc_port_clear_receiver(port: IpcPort) -> None:
    """Detach the receive right from its space for a move or destruction.

    The port leaves its set, waiting receivers get RCV_PORT_DIED, and (spec §3)
    mscount and seqno restart at 0.
    """
    from machr.kernel.ipc import ipc_mqueue, ipc_pset

    ipc_pset.ipc_pset_remove(port)
    port.receiver = None
    port.receiver_name = 0
    port.mscount = 0
    port.seqno = 0
    ipc_mqueue.ipc_mqueue_fail_receivers(port)


def ipc_port_destroy(port: IpcPort) -> None:
    """Destroy a receive right that no space holds any more (already cleared).

    With a port-destroyed request the port survives: the receive right goes to
    the requester in a notification (spec §6).  Otherwise the port dies: blocked
    senders succeed with their messages destroyed, the no-senders request is
    destroyed (send-once notification), queued messages are destroyed, and every
    registered name gets a dead-name notification.
    """
    from machr.kernel.ipc import ipc_kmsg, ipc_mqueue, ipc_notify

    if port.receiver is not None:
        ipc_port_clear_receiver(port)
    if port.pdrequest is not None:
        pdrequest, port.pdrequest = port.pdrequest, None
        ipc_notify.ipc_notify_port_destroyed(pdrequest, port)
        return
    port.active = False
    nsrequest, port.nsrequest = port.nsrequest, None
    if nsrequest is not None:
        ipc_notify.ipc_notify_send_once(nsrequest)
    ipc_mqueue.ipc_mqueue_release_senders(port)
    while port.messages:
        ipc_kmsg.ipc_kmsg_destroy(port.messages.popleft())
    requests, port.dnrequests = port.dnrequests, {}
    for entry, notify in requests.items():
        entry.dnrequest = DNREQUEST_FIRED
        ipc_notify.ipc_notify_dead_name(notify, entry.name)


def ipc_port_alloc_kernel(kobject: Any, kotype: str) -> IpcPort:
    """A port whose receive right the kernel holds, standing for `kobject`.

    Messages sent to it are served by `ipc_kobject_server` (spec §7).
    """
    from machr.kernel.ipc.ipc_space import ipc_space_kernel

    port = IpcPort(kobject, kotype)
    port.receiver = ipc_space_kernel
    return port


def ipc_port_dealloc_kernel(port: IpcPort) -> None:
    """Destroy a kernel port (its object is going away): senders see it die."""
    port.kobject = None
    ipc_port_destroy(port)

