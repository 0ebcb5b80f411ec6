"""vm_object: the memory behind a mapping.

An anonymous object is zero-filled on demand: a page that was never touched
has no frame, and `vm_fault` grabs a zeroed one the first time it is
needed.  Objects are reference counted by the map entries that use them;
the last reference returns every resident frame to the pool.
"""

from __future__ import annotations

from machr.kernel.vm.vm_page import VmPagePool


class VmObject:
    """Resident pages by page index within the object."""

    __slots__ = ("pages", "pool", "ref_count", "size")

    def __init__(self, pool: VmPagePool, size: int):
        self.pool = pool
        self.size = size
        self.pages: dict[int, int] = {}        # page index → physical frame
        self.ref_count = 1

    def page_lookup(self, index: int) -> int | None:
        return self.pages.get(index)

    def page_zero_fill(self, index: int) -> int | None:
        """Demand-zero: a fresh zeroed frame for page `index` (None on shortage)."""
        frame = self.pool.grab(zero=True)
        if frame is not None:
            self.pages[index] = frame
        return frame

    def page_free_range(self, first: int, last: int) -> None:
        """Release the resident frames of pages [first, last)."""
        for index in [i for i in self.pages if first <= i < last]:
            self.pool.release(self.pages.pop(index))

    def reference(self) -> None:
        self.ref_count += 1

    def deallocate(self) -> None:
        """Drop one reference; the last one frees every resident frame."""
        self.ref_count -= 1
        if self.ref_count == 0:
            for frame in self.pages.values():
                self.pool.release(frame)
            self.pages.clear()
