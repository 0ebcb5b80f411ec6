"""Lane helpers the Advanced SIMD statements call (they go into `ISA.globals`).

A vector is a 128-bit int; lane i of size e is bits [i*e, (i+1)*e).
"""

from __future__ import annotations


def elems(v: int, esize: int, n: int, signed: int = 0) -> list[int]:
    """The first `n` lanes of `v`, unsigned or sign-extended."""
    m = (1 << esize) - 1
    out = [v >> (i * esize) & m for i in range(n)]
    if signed:
        half = 1 << (esize - 1)
        out = [(x ^ half) - half for x in out]
    return out


def pack(lanes, esize: int) -> int:
    """Lanes (any ints, masked to `esize` bits) back into a vector, lane 0 lowest."""
    m = (1 << esize) - 1
    out = 0
    for i, x in enumerate(lanes):
        out |= (x & m) << (i * esize)
    return out


QC = 1 << 27                      # FPSR.QC: a saturating instruction clipped a result


def saturate(lanes, esize: int, signed: int) -> tuple[int, int]:
    """(packed lanes clamped to the `esize`-bit signed/unsigned range, QC if any was clamped)."""
    lo, hi = (-(1 << (esize - 1)), (1 << (esize - 1)) - 1) if signed else (0, (1 << esize) - 1)
    clamped = [min(max(x, lo), hi) for x in lanes]
    return pack(clamped, esize), (QC if clamped != list(lanes) else 0)


def vshl(a: int, b: int) -> int:
    """sshl/ushl lane: shift `a` left by the signed low byte of `b` (right, arithmetic for signed `a`, if negative)."""
    sh = ((b & 0xFF) ^ 0x80) - 0x80
    return a << sh if sh >= 0 else a >> -sh


def deinterleave(data: int, esize: int, selem: int, n: int) -> list[int]:
    """ld2/ld3/ld4: memory holds n structures of `selem` lanes; register r gets lane r of each."""
    m = (1 << esize) - 1
    return [pack([data >> ((j * selem + r) * esize) & m for j in range(n)], esize) for r in range(selem)]


def interleave(regs, esize: int, n: int) -> int:
    """st2/st3/st4: the memory image (as one int) of n structures made of lane j of each register."""
    m = (1 << esize) - 1
    selem = len(regs)
    return pack([regs[r] >> (j * esize) & m for j in range(n) for r in range(selem)], esize)
