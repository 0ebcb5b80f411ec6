"""Copying between kernel and user memory (Mach's copyin/copyout).

User addresses are translated through the task's page tables with the
user's permissions; a page that is not resident is faulted in by `vm_fault`
as a user access would be.  An address no fault can satisfy raises
`CopyError`, which each caller turns into the error code the spec gives for
its case (e.g. MACH_SEND_INVALID_DATA).  `kernel_write` is the loader's and
vm_write's path: it ignores protection, as the kernel's own mapping would.
"""

from __future__ import annotations

from machr.kernel.mach.kern_return import KERN_SUCCESS
from machr.kernel.vm.vm_fault import vm_fault, vm_fault_page
from machr.machine.exits import ACCESS_READ, ACCESS_WRITE, MemFault
from machr.machine.memory import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE


class CopyError(Exception):
    """A user address the kernel was asked to read or write is not accessible."""

    def __init__(self, addr: int, write: bool):
        super().__init__(f"bad user address {addr:#x} ({'write' if write else 'read'})")
        self.addr = addr
        self.write = write


def _user_pa(task, va: int, access: int) -> int:
    mmu = task.kernel.mmu
    root = task.map.pmap.root
    try:
        return mmu.walk(root, va, access)
    except MemFault:
        if vm_fault(task.map, va, access) != KERN_SUCCESS:
            raise CopyError(va, access == ACCESS_WRITE) from None
    try:
        return mmu.walk(root, va, access)
    except MemFault:
        raise CopyError(va, access == ACCESS_WRITE) from None


def _pieces(addr: int, n: int):
    """(va, offset in data, length) per page of [addr, addr+n)."""
    if addr < 0 or addr + n > 1 << 64:
        raise CopyError(addr, False)
    off = 0
    while off < n:
        va = addr + off
        chunk = min(n - off, PAGE_SIZE - (va & PAGE_MASK))
        yield va, off, chunk
        off += chunk


def copyin(task, addr: int, n: int) -> bytes:
    """Read `n` bytes of user memory of `task` at `addr`."""
    buf = task.kernel.mem.buf
    out = bytearray()
    for va, _, chunk in _pieces(addr, n):
        pa = _user_pa(task, va, ACCESS_READ)
        out += buf[pa:pa + chunk]
    return bytes(out)


def copyout(task, addr: int, data: bytes) -> None:
    """Write `data` to user memory of `task` at `addr`; all pages are checked first."""
    targets = [(_user_pa(task, va, ACCESS_WRITE), off, chunk) for va, off, chunk in _pieces(addr, len(data))]
    _write_frames(task.kernel, targets, data)


def kernel_write(task, addr: int, data: bytes) -> None:
    """Write into `task`'s memory regardless of protection (loader, vm_write)."""
    targets = []
    for va, off, chunk in _pieces(addr, len(data)):
        frame = vm_fault_page(task.map, va)
        if frame is None:
            raise CopyError(va, True)
        targets.append(((frame << PAGE_SHIFT) | (va & PAGE_MASK), off, chunk))
    _write_frames(task.kernel, targets, data)


def _write_frames(kernel, targets, data: bytes) -> None:
    mmu, buf = kernel.mmu, kernel.mem.buf
    for pa, off, chunk in targets:
        frame = pa >> PAGE_SHIFT
        if mmu.code_frames[frame]:
            mmu.code_frames[frame] = 0
            mmu.on_code_write(frame)
        buf[pa:pa + chunk] = data[off:off + chunk]
