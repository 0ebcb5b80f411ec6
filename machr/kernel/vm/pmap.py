"""pmap: the machine-dependent layer that writes the architecture's page tables.

A pmap owns a tree of page-table frames in physical memory, in the format
of `isa.paging` (the same module the MMU walks with).  The machine-
independent VM (vm_map, vm_fault) calls `pmap_enter`/`pmap_remove`/
`pmap_protect`; each of these invalidates the TLB where hardware would need
it, and tells the JIT when executable mappings change.
"""

from __future__ import annotations

from machr.kernel.mach.vm_types import VM_PROT_EXECUTE, VM_PROT_WRITE
from machr.kernel.vm.vm_page import VmPagePool
from machr.machine.memory import PAGE_SHIFT, PAGE_SIZE


class Pmap:
    """One address space's page tables."""

    def __init__(self, paging, pool: VmPagePool, on_change=None):
        self.paging = paging
        self.pool = pool
        root = pool.grab(zero=True)
        if root is None:
            raise MemoryError("no frame for a page-table root")
        self.root_frame = root
        self.root = root << PAGE_SHIFT
        self.table_frames = [root]
        self.on_change = on_change      # callable(pmap, start, end): TLB/JIT maintenance
        self.resident = 0

    def _leaf_slot(self, va: int, create: bool) -> int | None:
        """Physical address of the level-3 entry for `va` (creating tables if asked)."""
        pg, m64 = self.paging, self.pool.mem.m64
        table = self.root
        for level in range(pg.LEVELS - 1):
            ea = table + pg.index(va, level) * 8
            e = m64[ea >> 3]
            if not pg.is_valid(e, level):
                if not create:
                    return None
                frame = self.pool.grab(zero=True)
                if frame is None:
                    raise MemoryError("no frame for a page table")
                self.table_frames.append(frame)
                e = pg.make_table(frame << PAGE_SHIFT)
                m64[ea >> 3] = e
            table = pg.entry_pa(e)
        return table + pg.index(va, pg.LEVELS - 1) * 8

    def enter(self, va: int, frame: int, prot: int) -> None:
        """Map page `va` → `frame` with `prot` (VM_PROT_*), replacing any old mapping."""
        slot = self._leaf_slot(va, create=True)
        m64 = self.pool.mem.m64
        if not self.paging.is_valid(m64[slot >> 3], 3):
            self.resident += 1
        m64[slot >> 3] = self.paging.make_page(frame << PAGE_SHIFT, bool(prot & VM_PROT_WRITE),
                                               bool(prot & VM_PROT_EXECUTE))
        self._changed(va, va + PAGE_SIZE)

    def extract(self, va: int) -> int | None:
        """Frame mapped at `va`, or None."""
        slot = self._leaf_slot(va, create=False)
        if slot is None:
            return None
        e = self.pool.mem.m64[slot >> 3]
        return self.paging.entry_pa(e) >> PAGE_SHIFT if self.paging.is_valid(e, 3) else None

    def remove(self, start: int, end: int) -> None:
        """Unmap [start, end) (page aligned)."""
        m64 = self.pool.mem.m64
        for va in range(start, end, PAGE_SIZE):
            slot = self._leaf_slot(va, create=False)
            if slot is not None and self.paging.is_valid(m64[slot >> 3], 3):
                m64[slot >> 3] = 0
                self.resident -= 1
        self._changed(start, end)

    def protect(self, start: int, end: int, prot: int) -> None:
        """Lower the protection of the resident pages in [start, end)."""
        m64 = self.pool.mem.m64
        for va in range(start, end, PAGE_SIZE):
            slot = self._leaf_slot(va, create=False)
            if slot is None:
                continue
            e = m64[slot >> 3]
            if self.paging.is_valid(e, 3):
                m64[slot >> 3] = self.paging.make_page(self.paging.entry_pa(e), bool(prot & VM_PROT_WRITE),
                                                       bool(prot & VM_PROT_EXECUTE))
        self._changed(start, end)

    def destroy(self) -> None:
        """Free every page-table frame (mapped frames belong to their vm_objects)."""
        self._changed(0, 1 << 48)
        for frame in self.table_frames:
            self.pool.release(frame)
        self.table_frames = []
        self.root = -1

    def _changed(self, start: int, end: int) -> None:
        if self.on_change is not None:
            self.on_change(self, start, end)
