"""The physical page pool (Mach `vm_page`): which frames are free, and who holds the rest.

Frame 0 is never handed out (a null physical address is then always a bug).
Frames come back zeroed only when asked (`vm_page_grab(zero=True)`), the
demand-zero path; page-table frames are always zeroed.
"""

from __future__ import annotations

from machr.machine.memory import PhysicalMemory


class VmPagePool:
    """Free list of physical frames over one `PhysicalMemory`."""

    def __init__(self, mem: PhysicalMemory):
        self.mem = mem
        self.free = list(range(mem.nframes - 1, 0, -1))   # pop() hands out low frames first
        self.total = mem.nframes - 1

    def grab(self, zero: bool = True) -> int | None:
        """A free frame, or None on shortage (the caller decides: KERN_RESOURCE_SHORTAGE)."""
        if not self.free:
            return None
        frame = self.free.pop()
        if zero:
            self.mem.zero_frame(frame)
        return frame

    def release(self, frame: int) -> None:
        self.free.append(frame)

    @property
    def free_count(self) -> int:
        return len(self.free)
