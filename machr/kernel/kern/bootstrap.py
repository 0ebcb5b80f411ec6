"""The first task: rights, stack, argv and auxv exactly as spec §10 says.

Rights are inserted in a fixed order so their names are deterministic:
host_priv, device master, bootstrap, task self, thread self (§10.1).  The
stack is 8 MiB below the top of the user range, laid out SysV style:
argc, argv[], NULL, envp[] (empty), NULL, auxv pairs, AT_NULL; strings above.
"""

from __future__ import annotations

import struct

from machr.kernel.ipc.ipc_port import ipc_port_make_send
from machr.kernel.kern.copy import copyout
from machr.kernel.mach import special_ports as sp
from machr.kernel.mach.kern_return import KERN_SUCCESS
from machr.kernel.mach.vm_types import VM_PROT_DEFAULT

STACK_SIZE = 8 << 20
STACK_TOP = {"x86_64": 0x7FFFFFFFF000, "aarch64": 0xFFFFFFFFF000}


def bootstrap_task_setup(kernel, task, thread, image, argv_head: list[str], root_name: str) -> None:
    """Give `task` its ports, stack and registers (spec §10).  `argv_head` = [prog, -flags]."""
    from machr.kernel.kern.bootstrap_server import bootstrap_port_for

    insert = kernel.send_right_name
    host_priv = insert(task, kernel.host.priv_port)
    device_master = insert(task, kernel.devices.master_port)
    bootstrap = bootstrap_port_for(kernel)
    bootstrap_name = insert(task, bootstrap)
    task_self = insert(task, task.port)
    thread_self = insert(task, thread.port)
    task.special_ports.update({sp.TASK_HOST_PORT: ipc_port_make_send(kernel.host.port),
                               sp.TASK_BOOTSTRAP_PORT: ipc_port_make_send(bootstrap)})

    top = STACK_TOP[kernel.arch]
    kr, _ = task.map.enter(top - STACK_SIZE, STACK_SIZE, anywhere=False, protection=VM_PROT_DEFAULT,
                           name="stack")
    if kr != KERN_SUCCESS:
        raise MemoryError(f"cannot map the initial stack (kern_return {kr})")
    argv = argv_head + [str(host_priv), str(device_master), root_name]
    auxv = [(sp.AT_PHDR, image.phdr_addr), (sp.AT_PHENT, image.phent), (sp.AT_PHNUM, image.phnum),
            (sp.AT_PAGESZ, 4096), (sp.AT_ENTRY, image.entry),
            (sp.AT_MACHR_TASK_SELF, task_self), (sp.AT_MACHR_THREAD_SELF, thread_self),
            (sp.AT_MACHR_HOST_PRIV, host_priv), (sp.AT_MACHR_DEVICE_MASTER, device_master),
            (sp.AT_MACHR_BOOTSTRAP, bootstrap_name), (sp.AT_NULL, 0)]
    sp_addr = stack_build(task, top, argv, auxv)
    kernel.isa.abi.init_user_thread(thread.R, image.entry, sp_addr)


def stack_build(task, top: int, argv: list[str], auxv: list[tuple[int, int]]) -> int:
    """Write the SysV initial stack below `top`; returns the 16-aligned sp (→ argc)."""
    strings = b""
    offsets = []
    for arg in argv:
        offsets.append(len(strings))
        strings += arg.encode() + b"\0"
    str_base = (top - len(strings) - 16) & ~15
    ptrs = [str_base + o for o in offsets]
    words = [len(argv), *ptrs, 0, 0]                  # argc, argv[], NULL, envp[] = {} NULL
    for key, value in auxv:
        words += [key, value]
    vec = struct.pack(f"<{len(words)}Q", *words)
    sp_addr = (str_base - len(vec)) & ~15
    copyout(task, str_base, strings)
    copyout(task, sp_addr, vec)
    return sp_addr
