"""Functions the aarch64 semantics' statements call (they go into `ISA.globals`).

Plain integer code, one job each, so that a later numba tier can compile them
as they are.  Bit-level operations with no short Python expression live here.
"""

from __future__ import annotations

from machr.isa.dual import jitable, u64
from machr.isa.intarith import M64
from machr.machine.exits import EXIT_ALIGN, MemFault


def check_align(addr: int, size: int, access: int) -> int:
    """`addr` if naturally aligned for a `size`-byte atomic access, else an alignment fault."""
    if addr & (size - 1):
        raise MemFault(addr, access, EXIT_ALIGN)
    return addr


def clz(v: int, width: int) -> int:
    """Leading zero bits of a `width`-bit value."""
    n = 0
    bit = 1 << (width - 1)
    while n < width and not v & bit:
        n += 1
        bit >>= 1
    return n


def rbit(v: int, width: int) -> int:
    out = 0
    for _ in range(width):
        out = (out << 1) | (v & 1)
        v >>= 1
    return out


def rev_bytes(v: int, width: int, container: int) -> int:
    """Reverse the bytes inside each `container`-bit chunk of a `width`-bit value (rev16/rev32/rev)."""
    out = 0
    for base in range(0, width, container):
        chunk = (v >> base) & ((1 << container) - 1)
        rev = 0
        for _ in range(container // 8):
            rev = (rev << 8) | (chunk & 0xFF)
            chunk >>= 8
        out |= rev << base
    return out


@jitable
def sdiv(a: int, b: int, width: int) -> int:
    """Signed division of `width`-bit values truncating toward zero; x/0 = 0 (A64 never traps); result masked.

    INT_MIN / -1 is INT_MIN (the magnitude 2**(width-1) wraps back).  Written
    in unsigned arithmetic so that tier 2 runs it too (machr.isa.dual).
    """
    width = u64(width)
    if b == 0:
        return u64(0)
    m = u64(M64) >> (u64(64) - width)
    top = width - u64(1)
    neg_a, neg_b = a >> top, b >> top
    q = ((u64(0) - a) & m if neg_a else a) // ((u64(0) - b) & m if neg_b else b)
    return u64((u64(0) - q) & m if neg_a != neg_b else q)
