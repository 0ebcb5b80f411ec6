"""IPC spaces (CMU `ipc_space`): a task's names for rights.

Kernel-chosen names are `(index << 8) | generation` (spec §1): the lowest free
slot index is reused and its generation advances by one (mod 256) on every
reuse, so a stale name misses.  User-chosen names live in the same dict and
never occupy a slot; a slot whose next name collides with one is skipped.
"""

from __future__ import annotations

import heapq
from typing import Any

from machr.kernel.ipc.ipc_entry import DNREQUEST_FIRED, IpcEntry
from machr.kernel.ipc.ipc_port import IpcPort
from machr.kernel.mach.port import (
    MACH_PORT_DEAD,
    MACH_PORT_GEN_MASK,
    MACH_PORT_INDEX_MAX,
    MACH_PORT_INDEX_SHIFT,
    MACH_PORT_TYPE_DEAD_NAME,
    MACH_PORT_TYPE_RECEIVE,
    MACH_PORT_TYPE_SEND,
    MACH_PORT_TYPE_SEND_ONCE,
    MACH_PORT_UREFS_MAX,
)

IPC_SPACE_ENTRIES_MAX = 1 << 16


class IpcSpace:
    """The name space of one task (`task` is None for the kernel's space).

    `entries` maps names to entries; `reverse` maps a port to the entry that
    holds its send and/or receive right (spec §3: they share one name).
    """

    __slots__ = ("_free", "_gens", "_next_slot", "active", "entries", "max_entries", "reverse", "task")

    def __init__(self, task: Any, max_entries: int = IPC_SPACE_ENTRIES_MAX):
        self.task = task
        self.active = True
        self.entries: dict[int, IpcEntry] = {}
        self.reverse: dict[IpcPort, IpcEntry] = {}
        self.max_entries = max_entries
        self._gens: dict[int, int] = {}
        self._free: list[int] = []
        self._next_slot = 1

    def __repr__(self) -> str:
        return f"IpcSpace(task={getattr(self.task, 'task_id', None)}, entries={len(self.entries)})"

    def full(self) -> bool:
        return not self.active or len(self.entries) >= self.max_entries

    def entry_alloc(self) -> IpcEntry | None:
        """A new empty entry under a kernel-chosen name; None when the space is full."""
        if self.full():
            return None
        while True:
            if self._free:
                slot = heapq.heappop(self._free)
            elif self._next_slot <= MACH_PORT_INDEX_MAX:
                slot = self._next_slot
                self._next_slot += 1
            else:
                return None
            gen = self._gens.get(slot, 0)
            for _ in range(MACH_PORT_GEN_MASK + 1):
                name = (slot << MACH_PORT_INDEX_SHIFT) | gen
                if name != MACH_PORT_DEAD and name not in self.entries:
                    self._gens[slot] = gen
                    entry = IpcEntry(name, slot)
                    self.entries[name] = entry
                    return entry
                gen = (gen + 1) & MACH_PORT_GEN_MASK
            # every generation of this slot is a user-chosen name: leave it

    def entry_alloc_name(self, name: int) -> IpcEntry | None:
        """A new empty entry under the user-chosen `name` (the caller checked it is free)."""
        if self.full():
            return None
        entry = IpcEntry(name)
        self.entries[name] = entry
        return entry

    def entry_dealloc(self, entry: IpcEntry) -> None:
        """Free the name; a kernel slot comes back with its next generation."""
        del self.entries[entry.name]
        if isinstance(entry.object, IpcPort) and self.reverse.get(entry.object) is entry:
            del self.reverse[entry.object]
        entry.type = 0
        entry.object = None
        if entry.slot is not None:
            self._gens[entry.slot] = (self._gens[entry.slot] + 1) & MACH_PORT_GEN_MASK
            heapq.heappush(self._free, entry.slot)

    def entry_rename(self, entry: IpcEntry, name: int) -> None:
        """Move `entry` to the free user-chosen `name`; its old kernel slot is released."""
        del self.entries[entry.name]
        if entry.slot is not None:
            self._gens[entry.slot] = (self._gens[entry.slot] + 1) & MACH_PORT_GEN_MASK
            heapq.heappush(self._free, entry.slot)
        entry.name, entry.slot = name, None
        self.entries[name] = entry

    def lookup(self, name: int) -> IpcEntry | None:
        """The entry for `name` with its rights made current (CMU ipc_right_check), or None."""
        entry = self.entries.get(name)
        if entry is not None:
            ipc_right_check(self, entry)
        return entry


def ipc_right_check(space: IpcSpace, entry: IpcEntry) -> bool:
    """Turn a send or send-once entry whose port died into a dead name.

    Same urefs (send-once: 1), plus one if its dead-name request fired (spec §3).
    Returns: True if the entry changed.
    """
    port = entry.object
    if not isinstance(port, IpcPort) or port.active:
        return False
    if not entry.type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE):
        return False
    if space.reverse.get(port) is entry:
        del space.reverse[port]
    urefs = 1 if entry.type & MACH_PORT_TYPE_SEND_ONCE else entry.urefs
    if entry.dnrequest is DNREQUEST_FIRED:
        urefs = min(urefs + 1, MACH_PORT_UREFS_MAX)
    entry.type = MACH_PORT_TYPE_DEAD_NAME
    entry.urefs = urefs
    entry.object = None
    entry.dnrequest = None
    return True


def ipc_space_insert_send(space: IpcSpace, port: IpcPort) -> int:
    """Give `space` a send right the caller holds (e.g. from ipc_port_make_send).

    Consumes: that send right.  Returns: the name (existing name for the port
    gets +1 uref), MACH_PORT_DEAD for a dead port, or 0 when the space is full
    (the right is then released).
    """
    from machr.kernel.ipc.ipc_right import ipc_right_copyout_or_release
    from machr.kernel.mach.message import MACH_MSG_TYPE_PORT_SEND

    return ipc_right_copyout_or_release(space, port, MACH_MSG_TYPE_PORT_SEND)


def ipc_space_destroy(space: IpcSpace) -> None:
    """Tear down a dying task's space: every right it holds is released exactly once.

    Send rights drop (no-senders may fire), send-once rights are destroyed
    (send-once notifications), receive rights and sets are destroyed (ports die
    or go to their port-destroyed requester), pending dead-name requests get
    port-deleted.  Afterwards the space accepts no rights.
    """
    from machr.kernel.ipc.ipc_right import ipc_right_destroy

    if not space.active:
        return
    space.active = False
    # Receive rights first, so the space's own send rights to them are already dead.
    order = sorted(space.entries.values(), key=lambda e: not e.type & MACH_PORT_TYPE_RECEIVE)
    for entry in order:
        if entry.name in space.entries:
            ipc_right_check(space, entry)
            ipc_right_destroy(space, entry)


ipc_space_kernel = IpcSpace(None)
