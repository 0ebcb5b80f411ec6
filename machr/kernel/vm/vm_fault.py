"""vm_fault: resolve a page fault by finding or creating the page and entering it in the pmap."""

from __future__ import annotations

from machr.kernel.mach.kern_return import (
    KERN_INVALID_ADDRESS,
    KERN_PROTECTION_FAILURE,
    KERN_RESOURCE_SHORTAGE,
    KERN_SUCCESS,
)
from machr.kernel.mach.vm_types import VM_PROT_EXECUTE, VM_PROT_READ, VM_PROT_WRITE
from machr.kernel.vm.vm_map import VmMap, trunc_page
from machr.machine.exits import ACCESS_EXEC, ACCESS_WRITE
from machr.machine.memory import PAGE_SHIFT


def access_to_prot(access: int) -> int:
    if access == ACCESS_WRITE:
        return VM_PROT_WRITE
    if access == ACCESS_EXEC:
        return VM_PROT_EXECUTE
    return VM_PROT_READ


def vm_fault(vmap: VmMap, addr: int, access: int) -> int:
    """Make `addr` accessible for `access` if the map allows it.

    Returns KERN_SUCCESS (the pmap now maps the page), KERN_INVALID_ADDRESS
    (no entry), KERN_PROTECTION_FAILURE (the entry forbids the access) or
    KERN_RESOURCE_SHORTAGE (no free frame).  Never blocks (anonymous memory
    only; pager-backed objects come with the external-pager work).
    """
    entry = vmap.lookup(addr)
    if entry is None:
        return KERN_INVALID_ADDRESS
    want = access_to_prot(access)
    if not entry.protection & want:
        return KERN_PROTECTION_FAILURE
    va = trunc_page(addr)
    index = (entry.offset + (va - entry.start)) >> PAGE_SHIFT
    frame = entry.object.page_lookup(index)
    if frame is None:
        frame = entry.object.page_zero_fill(index)
        if frame is None:
            return KERN_RESOURCE_SHORTAGE
    try:
        vmap.pmap.enter(va, frame, entry.protection)
    except MemoryError:                   # no frame for a page table: the page stays in its object
        return KERN_RESOURCE_SHORTAGE
    return KERN_SUCCESS


def vm_fault_page(vmap: VmMap, addr: int) -> int | None:
    """The frame behind `addr` for the kernel's own use (loader, vm_write), ignoring protection.

    Creates the page (zero-filled) if it was never touched; None when no
    entry covers `addr` or memory is exhausted.
    """
    entry = vmap.lookup(addr)
    if entry is None:
        return None
    index = (entry.offset + (trunc_page(addr) - entry.start)) >> PAGE_SHIFT
    frame = entry.object.page_lookup(index)
    if frame is None:
        frame = entry.object.page_zero_fill(index)
    return frame
