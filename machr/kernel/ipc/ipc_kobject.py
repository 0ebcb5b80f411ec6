"""Kernel objects behind ports (CMU `ipc_kobject`): delivery of requests to kernel ports.

A message sent to a port whose receive right the kernel holds (see
`ipc_port_alloc_kernel`) is served at once by the MIG registry (spec §7); its
reply goes to the request's reply right like any kernel-sent message.
"""

from __future__ import annotations

from typing import Any

from machr.kernel.ipc import mach_port  # noqa: F401  (registers the mach_port_* routines)
from machr.kernel.ipc.ipc_kmsg import IpcKmsg


def ipc_kobject_server(kmsg: IpcKmsg, thread: Any = None) -> IpcKmsg | None:
    """Serve a request to a kernel port sent by `thread` (None: by the kernel).

    Consumes: the request.  Returns: the reply kmsg, or None.
    """
    from machr.kernel.ipc.mig import mig_server

    return mig_server(kmsg, thread)


def ipc_kobject_deliver(kmsg: IpcKmsg, thread: Any = None) -> None:
    """Serve `kmsg` and send its reply, if any."""
    from machr.kernel.ipc.ipc_mqueue import ipc_kmsg_send_kernel

    reply = ipc_kobject_server(kmsg, thread)
    if reply is not None:
        ipc_kmsg_send_kernel(reply)
