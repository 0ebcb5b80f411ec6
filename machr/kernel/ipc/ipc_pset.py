"""Port sets (CMU `ipc_pset`): a receive point gathering the messages of member ports."""

from __future__ import annotations


class IpcPset:
    """A port set held by exactly one space under `name`.

    `members` keeps insertion order so set status and receives are deterministic;
    `receivers` holds the receive calls waiting on the set.
    """

    __slots__ = ("active", "members", "name", "receivers", "space")

    def __init__(self, space, name: int):
        self.active = True
        self.space = space
        self.name = name
        self.members: dict = {}
        self.receivers: list = []

    def __repr__(self) -> str:
        return f"IpcPset({self.name:#x}, members={len(self.members)})"


def ipc_pset_add(pset: IpcPset, port) -> None:
    """Make `port` a member of `pset` (the caller checked it is in no set)."""
    pset.members[port] = None
    port.pset = pset
    from machr.kernel.ipc import ipc_mqueue

    if port.messages:
        ipc_mqueue.ipc_mqueue_wakeup_receiver(port)


def ipc_pset_remove(port) -> None:
    """Take `port` out of its set, if any."""
    pset = port.pset
    if pset is not None:
        del pset.members[port]
        port.pset = None


def ipc_pset_destroy(pset: IpcPset) -> None:
    """Destroy a set whose name is gone: members leave it, waiting receivers get RCV_PORT_DIED."""
    from machr.kernel.ipc import ipc_mqueue

    pset.active = False
    for port in list(pset.members):
        port.pset = None
    pset.members.clear()
    ipc_mqueue.ipc_mqueue_fail_receivers(pset)
