"""Physical memory: one byte array seen three ways.

The storage is a `bytearray`; `np` is a numpy uint8 view of the same bytes
(for the kernel's bulk copies and for numba-compiled code), `m64` a u64
memoryview (aligned page-table entries).  Python-side translated code reads
through `struct` on the bytearray, which is several times faster than numpy
scalar indexing; all three views alias one buffer, so nothing is copied.
"""

from __future__ import annotations

import numpy as np

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = PAGE_SIZE - 1


class PhysicalMemory:
    """`size` bytes of little-endian physical memory, page-granular."""

    def __init__(self, size: int):
        if size < 16 * PAGE_SIZE or size % PAGE_SIZE:
            raise ValueError(f"physical memory size {size} must be a multiple of 4096 and ≥ 64 KiB")
        self.size = size
        self.nframes = size >> PAGE_SHIFT
        self.buf = bytearray(size)
        self.np = np.frombuffer(self.buf, dtype=np.uint8)
        self.m64 = memoryview(self.buf).cast("Q")

    def read(self, pa: int, n: int) -> bytes:
        return bytes(self.buf[pa:pa + n])

    def write(self, pa: int, data: bytes) -> None:
        self.buf[pa:pa + len(data)] = data

    def zero_frame(self, frame: int) -> None:
        base = frame << PAGE_SHIFT
        self.np[base:base + PAGE_SIZE] = 0

    def copy_frame(self, dst: int, src: int) -> None:
        self.np[dst << PAGE_SHIFT:(dst + 1) << PAGE_SHIFT] = self.np[src << PAGE_SHIFT:(src + 1) << PAGE_SHIFT]


def parse_size(text: str) -> int:
    """'64M', '1G', '65536' → bytes (the --mem option)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.strip().upper().removesuffix("B")
    if t and t[-1] in units:
        return int(t[:-1]) * units[t[-1]]
    return int(t)
