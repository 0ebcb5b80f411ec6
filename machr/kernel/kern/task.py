"""Tasks: an address space, an IPC space, threads and the kernel port that names them."""

from __future__ import annotations

from machr.kernel.kern import copy
from machr.kernel.mach.kern_return import KERN_SUCCESS
from machr.kernel.vm.pmap import Pmap
from machr.kernel.vm.vm_map import VmMap, round_page


class Task:
    """A Mach task."""

    def __init__(self, kernel, name: str = ""):
        from machr.kernel.ipc.ipc_space import IpcSpace

        self.kernel = kernel
        self.task_id = next(kernel.task_ids)
        self.name = name
        pmap = Pmap(kernel.isa.paging, kernel.pool, on_change=kernel.pmap_changed)
        self.map = VmMap(pmap, 0x1000, kernel.isa.paging.VA_LIMIT - 0x1000)
        self.space = IpcSpace(self)
        self.threads: list = []
        self.suspend_count = 0
        self.active = True
        self.port = None                      # kernel port (kobject = self)
        self.special_ports: dict[int, object] = {}
        self.exception_ports: dict[int, tuple] = {}
        self.exit_status: str | None = None   # why the task ended, for the kernel's log

    def __repr__(self) -> str:
        return f"<task {self.task_id} {self.name}>"

    # --- the interface machr.kernel.ipc relies on -----------------------------
    def copyin(self, addr: int, n: int) -> bytes:
        return copy.copyin(self, addr, n)

    def copyout(self, addr: int, data: bytes) -> None:
        copy.copyout(self, addr, data)

    def vm_allocate_anywhere(self, size: int) -> int | None:
        kr, addr = self.map.enter(0, round_page(size), anywhere=True)
        return addr if kr == KERN_SUCCESS else None

    def vm_deallocate(self, addr: int, size: int) -> None:
        self.map.remove(addr, addr + size)
