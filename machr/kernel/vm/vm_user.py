"""The vm_* RPCs on a task port (spec §7 mach 2000 subsystem, VM rules)."""

from __future__ import annotations

from machr.kernel.ipc.mig import BOOL, I32, OOL, P17, U32, U64, mig_routine
from machr.kernel.kern.copy import CopyError, copyin, kernel_write
from machr.kernel.mach.kern_return import (
    KERN_INVALID_ADDRESS,
    KERN_INVALID_ARGUMENT,
    KERN_NO_SPACE,
    KERN_SUCCESS,
)
from machr.kernel.mach.vm_types import VM_INHERIT_NONE, VM_PROT_ALL
from machr.kernel.vm.vm_map import round_page, trunc_page

U64_MAX = (1 << 64) - 1


def _range(address: int, size: int) -> tuple[int, int] | None:
    """[start, end) rounded outward, or None if it wraps."""
    if address + size > U64_MAX:
        return None
    return trunc_page(address), round_page(address + size)


@mig_routine(2021, "vm_allocate", target="task", ins=[("address", U64), ("size", U64), ("anywhere", BOOL)],
             outs=[("address", U64)])
def vm_allocate(task, address: int, size: int, anywhere: int):
    if size == 0:
        return (0,)
    r = _range(address, size)
    if r is None:
        return KERN_INVALID_ARGUMENT
    start, end = r
    kr, addr = task.map.enter(start if not anywhere else 0, end - start, bool(anywhere), name="vm_allocate")
    return (addr,) if kr == KERN_SUCCESS else kr


@mig_routine(2023, "vm_deallocate", target="task", ins=[("address", U64), ("size", U64)])
def vm_deallocate(task, address: int, size: int):
    r = _range(address, size)
    if r is None:
        return KERN_INVALID_ARGUMENT
    return task.map.remove(*r)


@mig_routine(2024, "vm_protect", target="task",
             ins=[("address", U64), ("size", U64), ("set_max", BOOL), ("prot", I32)])
def vm_protect(task, address: int, size: int, set_max: int, prot: int):
    r = _range(address, size)
    if r is None or prot & ~VM_PROT_ALL:
        return KERN_INVALID_ARGUMENT
    return task.map.protect(r[0], r[1], bool(set_max), prot)


@mig_routine(2025, "vm_inherit", target="task", ins=[("address", U64), ("size", U64), ("inherit", U32)])
def vm_inherit(task, address: int, size: int, inherit: int):
    r = _range(address, size)
    if r is None or inherit > VM_INHERIT_NONE:
        return KERN_INVALID_ARGUMENT
    return task.map.inherit(r[0], r[1], inherit)


@mig_routine(2026, "vm_read", target="task", ins=[("address", U64), ("size", U64)], outs=[("data", OOL)])
def vm_read(task, address: int, size: int):
    """Exactly the bytes asked (spec §7); unreadable → KERN_INVALID_ADDRESS."""
    try:
        return (copyin(task, address, size),)
    except CopyError:
        return KERN_INVALID_ADDRESS


@mig_routine(2027, "vm_write", target="task", ins=[("address", U64), ("data", OOL)])
def vm_write(task, address: int, data: bytes):
    a = address
    while a < address + len(data):
        e = task.map.lookup(a)
        if e is None:
            return KERN_INVALID_ADDRESS
        a = e.end
    try:
        kernel_write(task, address, data)
    except CopyError:
        return KERN_INVALID_ADDRESS
    return KERN_SUCCESS


@mig_routine(2029, "vm_region", target="task", ins=[("address", U64)],
             outs=[("address", U64), ("size", U64), ("protection", I32), ("max_protection", I32),
                   ("inheritance", U32), ("is_shared", BOOL), ("object_name", P17), ("offset", U64)])
def vm_region(task, address: int):
    """The region containing `address` or the next one; none → KERN_NO_SPACE."""
    for e in task.map.entries:
        if e.end > address:
            return (e.start, e.end - e.start, e.protection, e.max_protection, e.inheritance, 0, None, e.offset)
    return KERN_NO_SPACE
