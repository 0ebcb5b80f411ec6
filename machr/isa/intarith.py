"""Integer multiply-high and 128-by-64 division, written once for every tier (both ISAs call them).

A 64x64 product and a 128-bit dividend do not fit numba's uint64, so these
work on 32-bit halves: every intermediate is below 2**64 or is wanted
modulo 2**64 (then masked with `M64`, which numba's wrapping uint64 needs
not but a Python int does).  They are `@jitable` (machr.isa.dual): the
interpreter and tier 1 run them as they are, tier 2 compiles the same code.
Every literal goes through `u64` so that numba types nothing as a signed
int (uint64 mixed with int64 becomes a float).  The Python tiers compute
the multiply-high in Python's unbounded ints instead (`@python_version`):
one multiplication where the 32-bit halves cost a dozen operations and
calls; tests/isa/test_intarith.py holds both to the same definition.
"""

from __future__ import annotations

from machr.isa.dual import jitable, python_version, u64

M64 = 0xFFFFFFFFFFFFFFFF


@jitable
def umulh64(a: int, b: int) -> int:
    """The high 64 bits of the unsigned 128-bit product a * b (x86 `mul` rdx, aarch64 `umulh`)."""
    m32 = u64(0xFFFFFFFF)
    a0, a1, b0, b1 = a & m32, a >> u64(32), b & m32, b >> u64(32)
    p01, p10 = a0 * b1, a1 * b0                      # each < 2**64
    mid = ((a0 * b0) >> u64(32)) + (p01 & m32) + (p10 & m32)     # < 3 * 2**32
    return u64(a1 * b1 + (p01 >> u64(32)) + (p10 >> u64(32)) + (mid >> u64(32)))


@jitable
def smulh64(a: int, b: int) -> int:
    """The high 64 bits of the signed product of two's complement a and b (x86 `imul` rdx, `smulh`).

    As signed values a = a_u - 2**64 [a < 0], so the product's high half is
    the unsigned one minus b where a < 0 and minus a where b < 0 (mod 2**64).
    """
    h = umulh64(a, b)
    if a >> u64(63):
        h = (h - b) & u64(M64)
    if b >> u64(63):
        h = (h - a) & u64(M64)
    return u64(h)


@python_version(umulh64)
def _umulh64_int(a: int, b: int) -> int:
    return (a * b) >> 64


@python_version(smulh64)
def _smulh64_int(a: int, b: int) -> int:
    return ((a - (a >> 63 << 64)) * (b - (b >> 63 << 64)) >> 64) & M64


@jitable
def udiv128(hi: int, lo: int, d: int) -> tuple[int, int]:
    """(quotient, remainder) of the 128-bit hi:lo by d, for hi < d (so the quotient fits 64 bits).

    Knuth's algorithm D with 32-bit digits (Hacker's Delight, `divlu`): d is
    normalised so its top bit is set, each quotient digit estimated from the
    top two digits and corrected at most twice.
    """
    if hi == 0:
        return u64(lo // d), u64(lo % d)
    m32, b = u64(0xFFFFFFFF), u64(1 << 32)
    s = u64(0)
    while not (d << s) >> u64(63):                  # leading zeros of d (d != 0: hi < d)
        s += u64(1)
    v = (d << s) & u64(M64)
    vn1, vn0 = v >> u64(32), v & m32
    un32 = (hi << s) & u64(M64)
    if s:
        un32 |= lo >> (u64(64) - s)
    un10 = (lo << s) & u64(M64)
    un1, un0 = un10 >> u64(32), un10 & m32
    q1 = _quotient_digit(un32, un1, vn1, vn0)
    un21 = (un32 * b + un1 - q1 * v) & u64(M64)
    q0 = _quotient_digit(un21, un0, vn1, vn0)
    r = ((un21 * b + un0 - q0 * v) & u64(M64)) >> s
    return u64(q1 * b + q0), u64(r)


@jitable
def _quotient_digit(un: int, un_low: int, vn1: int, vn0: int) -> int:
    """One 32-bit digit of (un:un_low) / (vn1:vn0): estimated from the top digits, corrected (at most twice).

    The products stay below 2**64: q * vn0 is only formed once q < 2**32,
    b * rhat only while rhat < 2**32.
    """
    b = u64(1 << 32)
    q = un // vn1
    rhat = un - q * vn1
    while q >= b or q * vn0 > b * rhat + un_low:
        q -= u64(1)
        rhat += vn1
        if rhat >= b:
            break
    return u64(q)
