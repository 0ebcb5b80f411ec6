"""The kernel-served bootstrap port of the first task (spec §10.1).

For init the bootstrap port is a kernel port answering
`bootstrap_privileged_ports` (CMU, 1000000) and `bootstrap_ports` (OSF,
1000001, ledgers and security port 0).
"""

from __future__ import annotations

from machr.kernel.ipc.ipc_port import ipc_port_alloc_kernel
from machr.kernel.ipc.mig import P17, mig_routine


class BootstrapServer:
    def __init__(self, kernel):
        self.kernel = kernel
        self.port = ipc_port_alloc_kernel(self, "bootstrap")


def bootstrap_port_for(kernel):
    """The kernel's bootstrap port (made on first use)."""
    if getattr(kernel, "bootstrap", None) is None:
        kernel.bootstrap = BootstrapServer(kernel)
    return kernel.bootstrap.port


@mig_routine(1000000, "bootstrap_privileged_ports", target="bootstrap",
             outs=[("host_priv", P17), ("device_master", P17)])
def bootstrap_privileged_ports(server: BootstrapServer):
    k = server.kernel
    return (k.host.priv_port, k.devices.master_port)


@mig_routine(1000001, "bootstrap_ports", target="bootstrap",
             outs=[("host_priv", P17), ("device_master", P17), ("wired_ledger", P17),
                   ("paged_ledger", P17), ("security", P17)])
def bootstrap_ports(server: BootstrapServer):
    k = server.kernel
    return (k.host.priv_port, k.devices.master_port, None, None, None)
