"""A name in an IPC space and the rights it denotes (CMU `ipc_entry`)."""

from __future__ import annotations

from typing import Any

from machr.kernel.mach.port import MACH_PORT_TYPE_DNREQUEST

# Marks an entry whose dead-name request already fired when its port died: the
# entry earns one extra uref when it is turned into a dead name (spec §6).
DNREQUEST_FIRED = "fired"


class IpcEntry:
    """One name: `type` holds MACH_PORT_TYPE_* right bits, `object` the port or set.

    `dnrequest` is the send-once port that receives this name's dead-name or
    port-deleted notification, DNREQUEST_FIRED, or None.  `slot` is the table
    index of a kernel-chosen name (None for user-chosen names).
    """

    __slots__ = ("dnrequest", "name", "object", "slot", "type", "urefs")

    def __init__(self, name: int, slot: int | None = None):
        self.name = name
        self.type = 0
        self.urefs = 0
        self.object: Any = None
        self.dnrequest: Any = None
        self.slot = slot

    def port_type(self) -> int:
        """The mach_port_type_t user code sees (DNREQUEST bit while a request is pending)."""
        return self.type | (MACH_PORT_TYPE_DNREQUEST if self.dnrequest is not None else 0)

    def __repr__(self) -> str:
        return f"IpcEntry({self.name:#x}, type={self.type:#x}, urefs={self.urefs})"
