"""vm_map: a task's address space as a sorted list of entries over vm_objects.

Ranges are page-rounded outward by the callers (spec §7 VM).  Entries never
overlap; `vm_map_remove` clips entries at the range ends.  The pmap mirrors
only what has been faulted in.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from machr.kernel.mach.kern_return import (
    KERN_INVALID_ADDRESS,
    KERN_INVALID_ARGUMENT,
    KERN_NO_SPACE,
    KERN_PROTECTION_FAILURE,
    KERN_SUCCESS,
)
from machr.kernel.mach.vm_types import VM_INHERIT_COPY, VM_INHERIT_NONE, VM_INHERIT_SHARE, VM_PROT_ALL, VM_PROT_DEFAULT
from machr.kernel.vm.pmap import Pmap
from machr.kernel.vm.vm_object import VmObject
from machr.machine.memory import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE


def trunc_page(a: int) -> int:
    return a & ~PAGE_MASK


def round_page(a: int) -> int:
    return (a + PAGE_MASK) & ~PAGE_MASK


@dataclass(slots=True)
class VmMapEntry:
    start: int
    end: int
    object: VmObject
    offset: int                 # byte offset of `start` in the object (page aligned)
    protection: int = VM_PROT_DEFAULT
    max_protection: int = VM_PROT_ALL
    inheritance: int = VM_INHERIT_COPY
    name: str = ""              # what the entry holds (ELF segment, stack, …), for DDB and errors


class VmMap:
    """An address space: entries in [min_addr, max_addr) and the pmap behind them."""

    def __init__(self, pmap: Pmap, min_addr: int, max_addr: int):
        self.pmap = pmap
        self.min_addr = min_addr
        self.max_addr = max_addr
        self.entries: list[VmMapEntry] = []
        self.starts: list[int] = []       # entry starts, for bisect

    # --- lookup -------------------------------------------------------------
    def lookup(self, addr: int) -> VmMapEntry | None:
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0 and addr < self.entries[i].end:
            return self.entries[i]
        return None

    def find_space(self, size: int, mask: int = 0, hint: int | None = None) -> int | None:
        """Lowest free range of `size` bytes aligned to mask+1, at or above `hint`."""
        addr = max(self.min_addr, hint or self.min_addr)
        addr = (addr + mask) & ~mask
        for e in self.entries:
            if e.end <= addr:
                continue
            if addr + size <= e.start:
                break
            addr = (e.end + mask) & ~mask
        return addr if addr + size <= self.max_addr else None

    def is_free(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end)
        return not (i > 0 and self.entries[i - 1].end > start)

    # --- changes -------------------------------------------------------------
    def enter(self, addr: int, size: int, anywhere: bool, obj: VmObject | None = None, offset: int = 0,
              protection: int = VM_PROT_DEFAULT, max_protection: int = VM_PROT_ALL,
              inheritance: int = VM_INHERIT_COPY, mask: int = 0, name: str = "") -> tuple[int, int]:
        """vm_map_enter: map `size` bytes (page-rounded) → (kern_return, address).

        Consumes the caller's reference on `obj` on success (a fresh anonymous
        object is made when `obj` is None).
        """
        size = round_page(size)
        if size == 0:
            return KERN_INVALID_ARGUMENT, 0
        if anywhere:
            start = self.find_space(size, mask | PAGE_MASK, addr if addr else None)
            if start is None:
                return KERN_NO_SPACE, 0
        else:
            start = trunc_page(addr)
            if start < self.min_addr or start + size > self.max_addr or not self.is_free(start, start + size):
                return KERN_NO_SPACE, 0
        if obj is None:
            obj = VmObject(self.pmap.pool, size)
        entry = VmMapEntry(start, start + size, obj, offset, protection, max_protection, inheritance, name)
        i = bisect.bisect_left(self.starts, start)
        self.entries.insert(i, entry)
        self.starts.insert(i, start)
        return KERN_SUCCESS, start

    def _clip(self, addr: int) -> None:
        """Split the entry containing `addr` so that an entry starts exactly there."""
        e = self.lookup(addr)
        if e is None or e.start == addr:
            return
        e.object.reference()
        tail = VmMapEntry(addr, e.end, e.object, e.offset + (addr - e.start), e.protection,
                          e.max_protection, e.inheritance, e.name)
        e.end = addr
        i = bisect.bisect_right(self.starts, addr)
        self.entries.insert(i, tail)
        self.starts.insert(i, addr)

    def _range(self, start: int, end: int) -> list[VmMapEntry]:
        self._clip(start)
        self._clip(end)
        return [e for e in self.entries if start <= e.start and e.end <= end]

    def remove(self, start: int, end: int) -> int:
        """vm_map_remove / vm_deallocate: holes are fine (spec §7)."""
        start, end = trunc_page(start), round_page(end)
        if end <= start:
            return KERN_SUCCESS
        for e in self._range(start, end):
            self.pmap.remove(e.start, e.end)
            first = e.offset >> PAGE_SHIFT
            if e.object.ref_count == 1:
                e.object.page_free_range(first, first + ((e.end - e.start) >> PAGE_SHIFT))
            e.object.deallocate()
            i = self.entries.index(e)
            del self.entries[i]
            del self.starts[i]
        return KERN_SUCCESS

    def protect(self, start: int, end: int, set_max: bool, prot: int) -> int:
        """vm_protect: holes → KERN_INVALID_ADDRESS; beyond max → KERN_PROTECTION_FAILURE."""
        start, end = trunc_page(start), round_page(end)
        a = start
        for e in self.entries:
            if e.end <= a or e.start >= end:
                continue
            if e.start > a:
                return KERN_INVALID_ADDRESS
            if not set_max and prot & ~e.max_protection:
                return KERN_PROTECTION_FAILURE
            a = e.end
        if a < end:
            return KERN_INVALID_ADDRESS
        for e in self._range(start, end):
            if set_max:
                e.max_protection = prot
                e.protection &= prot
            else:
                e.protection = prot
            self.pmap.protect(e.start, e.end, e.protection)
        return KERN_SUCCESS

    def fork_from(self, parent: "VmMap") -> bool:
        """task_create(inherit=TRUE): enter `parent`'s entries here by their inheritance.

        SHARE maps the same object; COPY gets a private object holding a copy
        of every resident page (an eager copy: copy-on-write comes with shadow
        objects); NONE leaves a hole.  False on memory shortage.
        """
        for e in parent.entries:
            if e.inheritance == VM_INHERIT_NONE:
                continue
            if e.inheritance == VM_INHERIT_SHARE:
                e.object.reference()
                obj, offset = e.object, e.offset
            else:
                obj, offset = VmObject(self.pmap.pool, e.end - e.start), 0
                first = e.offset >> PAGE_SHIFT
                for index in range((e.end - e.start) >> PAGE_SHIFT):
                    frame = e.object.page_lookup(first + index)
                    if frame is None:
                        continue
                    copy = self.pmap.pool.grab(zero=False)
                    if copy is None:
                        obj.deallocate()
                        return False
                    self.pmap.pool.mem.copy_frame(copy, frame)
                    obj.pages[index] = copy
            self.enter(e.start, e.end - e.start, False, obj, offset, e.protection, e.max_protection,
                       e.inheritance, name=e.name)
        return True

    def inherit(self, start: int, end: int, inheritance: int) -> int:
        """vm_inherit: set the inheritance of [start, end) (holes are skipped)."""
        for e in self._range(trunc_page(start), round_page(end)):
            e.inheritance = inheritance
        return KERN_SUCCESS

    def destroy(self) -> None:
        self.remove(self.min_addr, self.max_addr)
        self.pmap.destroy()

    def virtual_size(self) -> int:
        return sum(e.end - e.start for e in self.entries)


__all__ = ["PAGE_SIZE", "VmMap", "VmMapEntry", "round_page", "trunc_page"]
