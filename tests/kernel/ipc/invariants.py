"""The right-accounting invariant (spec §3, CMU counts), shared by the stateful test and the fuzz check.

Every send right is counted once per space entry holding SEND, once per right
in transit (queued messages, blocked senders' messages) and once per right the
kernel holds for a notification request; send-once rights likewise.
"""

from __future__ import annotations

from machr.kernel.ipc.ipc_kmsg import OolPortsDesc, PortDesc
from machr.kernel.ipc.ipc_port import IpcPort
from machr.kernel.mach.port import MACH_PORT_TYPE_DEAD_NAME, MACH_PORT_TYPE_SEND, MACH_PORT_TYPE_SEND_ONCE


def ipc_check_rights(spaces, ports) -> None:
    """Assert the counts of `ports` (the ports all of whose rights live in `spaces` or in transit)."""
    ports = list(ports)
    srights = {p: 0 for p in ports}
    sorights = {p: 0 for p in ports}

    def count(port, rtype):
        if isinstance(port, IpcPort) and port in srights:
            if rtype == 17:
                srights[port] += 1
            elif rtype == 18:
                sorights[port] += 1

    for space in spaces:
        for name, entry in list(space.entries.items()):
            space.lookup(name)
            assert entry.name == name
            if entry.type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DEAD_NAME):
                assert 1 <= entry.urefs <= 0xFFFF, entry
            if entry.type & MACH_PORT_TYPE_SEND:
                assert space.reverse[entry.object] is entry
                count(entry.object, 17)
            if entry.type & MACH_PORT_TYPE_SEND_ONCE:
                count(entry.object, 18)
    for port in ports:
        for queued in (port.messages, [w.kmsg for w in port.senders]):
            for kmsg in queued:
                count(kmsg.remote, kmsg.remote_type)
                count(kmsg.local, kmsg.local_type)
                for desc in kmsg.descs:
                    if isinstance(desc, PortDesc):
                        count(desc.port, desc.rtype)
                    elif isinstance(desc, OolPortsDesc):
                        for p in desc.ports:
                            count(p, desc.rtype)
        for holder in (port.nsrequest, port.pdrequest, *port.dnrequests.values()):
            count(holder, 18)
    for port in ports:
        if port.active:
            assert port.srights == srights[port], port
            assert port.sorights == sorights[port], port
            # no-senders fires exactly when the last send right dies
            assert port.nsrequest is None or port.srights > 0


def ipc_check_kernel(kernel) -> int:
    """ipc_check_rights over a booted kernel's task spaces and the user ports they reach.

    User ports are those whose receive right a task holds or that a queued
    message carries; kernel ports are left out (kernel tables hold rights to
    them).  Returns: the number of ports checked.
    """
    from machr.kernel.ipc.ipc_space import ipc_space_kernel

    spaces = [task.space for task in kernel.tasks if task.space.active]
    seen: set = set()
    todo = [entry.object for space in spaces for entry in space.entries.values()
            if isinstance(entry.object, IpcPort)]
    while todo:
        port = todo.pop()
        if port in seen or port.receiver is ipc_space_kernel:
            continue
        seen.add(port)
        for kmsg in list(port.messages) + [w.kmsg for w in port.senders]:
            todo += [p for p in (kmsg.remote, kmsg.local) if isinstance(p, IpcPort)]
            for desc in kmsg.descs:
                if isinstance(desc, PortDesc) and isinstance(desc.port, IpcPort):
                    todo.append(desc.port)
                elif isinstance(desc, OolPortsDesc):
                    todo += [p for p in desc.ports if isinstance(p, IpcPort)]
    ipc_check_rights(spaces, seen)
    return len(seen)
