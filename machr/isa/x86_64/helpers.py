"""Functions and tables the x86-64 statements call (they become `ISA.globals`).

Kept here rather than inlined where an operation is a loop over lanes, an
IEEE-754 rule, or a table: the statements stay a line each, and each rule is
written once.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from machr.isa import intarith
from machr.isa.dual import (JITABLE, binary64_function, from_double, from_single, jitable, python_version, to_double,
                             to_single, u64)
from machr.isa.intarith import M64, udiv128

_PARITY = tuple(1 - bin(i).count("1") % 2 for i in range(256))   # PF: even number of set bits


def _ctz(v: int) -> int:
    """Index of the lowest set bit (v != 0)."""
    return (v & -v).bit_length() - 1


def _popcount(v: int) -> int:
    return bin(v).count("1")


def _bswap(v: int, nbytes: int) -> int:
    return int.from_bytes(v.to_bytes(nbytes, "little"), "big")


# -- cpuid: a fixed, documented identity (GenuineIntel leaf layout) ------------------------------
VENDOR = b"machrMachr64"
_LEAF1_EDX = (1 << 0 | 1 << 4 | 1 << 5 | 1 << 8 | 1 << 15 | 1 << 19 | 1 << 23 | 1 << 24 | 1 << 25 | 1 << 26)
#             FPU     TSC      MSR      CX8      CMOV      CLFSH     MMX       FXSR      SSE       SSE2
_LEAF1_ECX = 1 << 23                                   # POPCNT
_LEAF7_EBX = 1 << 0 | 1 << 3                           # FSGSBASE, BMI1 (tzcnt)
_EXT1_ECX = 1 << 0 | 1 << 5                            # LAHF/SAHF in 64-bit mode, LZCNT (ABM)
_EXT1_EDX = 1 << 11 | 1 << 20 | 1 << 29                # SYSCALL, NX, long mode


def _vendor_words() -> tuple[int, int, int]:
    ebx, edx, ecx = struct.unpack("<3I", VENDOR)
    return ebx, edx, ecx


def _cpuid(leaf: int, subleaf: int) -> tuple[int, int, int, int]:
    """(eax, ebx, ecx, edx) for a leaf; unknown leaves read as zeros (like leaves above the max)."""
    if leaf == 0:
        ebx, edx, ecx = _vendor_words()
        return 7, ebx, ecx, edx
    if leaf == 1:
        return 0x000306C3, 0x00010800, _LEAF1_ECX, _LEAF1_EDX     # family 6 model 0x3C; CLFLUSH 64 bytes
    if leaf == 7 and subleaf == 0:
        return 0, _LEAF7_EBX, 0, 0
    if leaf == 0x80000000:
        return 0x80000001, 0, 0, 0
    if leaf == 0x80000001:
        return 0, 0, _EXT1_ECX, _EXT1_EDX
    return 0, 0, 0, 0


# -- division (SDM "DIV", "IDIV": #DE on a zero divisor or a quotient wider than the operand) -----

@jitable
def _div(hi: int, lo: int, d: int, bits: int) -> tuple[int, int, int]:
    """div: (quotient, remainder, ok) of hi:lo (rDX:rAX, or AH:AL) by d, all `bits` wide; ok = 0 is #DE.

    The quotient fits `bits` exactly when hi < d.
    """
    bits = u64(bits)
    if d == 0 or hi >= d:
        return u64(0), u64(0), u64(0)
    if bits == 64:
        q, r = udiv128(hi, lo, d)
        return q, r, u64(1)
    n = (hi << bits) | lo                      # below 2**(2 * bits) <= 2**64
    return u64(n // d), u64(n % d), u64(1)


@jitable
def _idiv(hi: int, lo: int, d: int, bits: int) -> tuple[int, int, int]:
    """idiv: (quotient, remainder, ok) of the signed hi:lo by the signed d, truncating; ok = 0 is #DE.

    Divides the magnitudes (|hi:lo| as two `bits`-wide halves), then signs
    the quotient by the operands' signs and the remainder by the dividend's.
    """
    bits = u64(bits)
    m = u64(M64) >> (u64(64) - bits)
    top = bits - u64(1)
    if d == 0:
        return u64(0), u64(0), u64(0)
    neg_n, neg_d = hi >> top, d >> top
    ad = (u64(0) - d) & m if neg_d else d
    if neg_n:                                   # two's complement negation of hi:lo
        hi = (m - hi + (u64(1) if lo == 0 else u64(0))) & m
        lo = (u64(0) - lo) & m
    if hi >= ad:                                # |quotient| >= 2**bits
        return u64(0), u64(0), u64(0)
    if bits == 64:
        uq, ur = udiv128(hi, lo, ad)
    else:
        n = (hi << bits) | lo
        uq, ur = n // ad, n % ad
    neg_q = neg_n ^ neg_d
    if uq > (m >> u64(1)) + neg_q:               # beyond [-2**(bits-1), 2**(bits-1) - 1]
        return u64(0), u64(0), u64(0)
    q = (u64(0) - uq) & m if neg_q else uq
    r = (u64(0) - ur) & m if neg_n else ur
    return u64(q), u64(r), u64(1)


# -- packed integers (lane-wise over 128-bit ints) ------------------------------------------------

def _split(v: int, lane: int) -> list[int]:
    m = (1 << lane) - 1
    return [(v >> (i * lane)) & m for i in range(128 // lane)]


def _join(values: list[int], lane: int) -> int:
    m = (1 << lane) - 1
    out = 0
    for i, x in enumerate(values):
        out |= (x & m) << (i * lane)
    return out


def _pairs(a: int, b: int, lane: int):
    """Corresponding lanes of a and b."""
    return zip(_split(a, lane), _split(b, lane), strict=True)


def _signed(x: int, lane: int) -> int:
    return x - (1 << lane) if x >> (lane - 1) else x


def _padd(a: int, b: int, lane: int) -> int:
    return _join([x + y for x, y in _pairs(a, b, lane)], lane)


def _psub(a: int, b: int, lane: int) -> int:
    return _join([x - y for x, y in _pairs(a, b, lane)], lane)


def _pcmpeq(a: int, b: int, lane: int) -> int:
    return _join([-1 if x == y else 0 for x, y in _pairs(a, b, lane)], lane)


def _pcmpgt(a: int, b: int, lane: int) -> int:
    return _join([-1 if _signed(x, lane) > _signed(y, lane) else 0
                  for x, y in _pairs(a, b, lane)], lane)


def _pminu(a: int, b: int, lane: int) -> int:
    return _join([min(x, y) for x, y in _pairs(a, b, lane)], lane)


def _pmaxu(a: int, b: int, lane: int) -> int:
    return _join([max(x, y) for x, y in _pairs(a, b, lane)], lane)


def _pmins(a: int, b: int, lane: int) -> int:
    return _join([min(_signed(x, lane), _signed(y, lane)) for x, y in _pairs(a, b, lane)], lane)


def _pmaxs(a: int, b: int, lane: int) -> int:
    return _join([max(_signed(x, lane), _signed(y, lane)) for x, y in _pairs(a, b, lane)], lane)


def _pmullw(a: int, b: int, lane: int) -> int:
    return _join([x * y for x, y in _pairs(a, b, lane)], lane)


def _pmuludq(a: int, b: int, lane: int) -> int:
    """Unsigned 32x32->64 products of the even dwords (lane = 64)."""
    return _join([(x & 0xFFFFFFFF) * (y & 0xFFFFFFFF) for x, y in _pairs(a, b, lane)], lane)


def _pack(a: int, b: int, lane: int, lo: int, hi: int) -> int:
    """Narrow the signed `lane`-bit lanes of a (low half) then b (high half), saturating to [lo, hi]."""
    narrowed = [min(max(_signed(x, lane), lo), hi) for x in _split(a, lane) + _split(b, lane)]
    return _join([x & ((1 << (lane // 2)) - 1) for x in narrowed], lane // 2)


def _packss(a: int, b: int, lane: int) -> int:
    """packsswb / packssdw: signed saturation."""
    half = 1 << (lane // 2 - 1)
    return _pack(a, b, lane, -half, half - 1)


def _packus(a: int, b: int, lane: int) -> int:
    """packuswb: signed words to unsigned bytes."""
    return _pack(a, b, lane, 0, (1 << (lane // 2)) - 1)


def _punpckl(a: int, b: int, lane: int) -> int:
    xs, ys = _split(a, lane), _split(b, lane)
    half = len(xs) // 2
    return _join([v for pair in zip(xs[:half], ys[:half], strict=True) for v in pair], lane)


def _punpckh(a: int, b: int, lane: int) -> int:
    xs, ys = _split(a, lane), _split(b, lane)
    half = len(xs) // 2
    return _join([v for pair in zip(xs[half:], ys[half:], strict=True) for v in pair], lane)


def _psrl(a: int, count: int, lane: int) -> int:
    return 0 if count >= lane else _join([x >> count for x in _split(a, lane)], lane)


def _psll(a: int, count: int, lane: int) -> int:
    return 0 if count >= lane else _join([x << count for x in _split(a, lane)], lane)


def _psra(a: int, count: int, lane: int) -> int:
    return _join([_signed(x, lane) >> min(count, lane - 1) for x in _split(a, lane)], lane)


def _pmovmskb(a: int) -> int:
    return sum(((a >> (8 * i + 7)) & 1) << i for i in range(16))


def _pshufd(d: int, s: int, imm: int) -> int:
    lo, hi = _pshufd_halves(d & 0xFFFFFFFFFFFFFFFF, d >> 64, s & 0xFFFFFFFFFFFFFFFF, s >> 64, imm)
    return lo | hi << 64


@jitable
def _pshufd_halves(_d_lo: int, _d_hi: int, lo: int, hi: int, imm: int) -> tuple[int, int]:
    """_pshufd on 64-bit halves (as tier 2 holds xmm registers): dword i = source dword imm[2i+1:2i]."""
    d0, d1 = _dword(lo, hi, imm & 3), _dword(lo, hi, (imm >> 2) & 3)
    d2, d3 = _dword(lo, hi, (imm >> 4) & 3), _dword(lo, hi, (imm >> 6) & 3)
    return u64(d0 | d1 << 32), u64(d2 | d3 << 32)


@jitable
def _dword(lo: int, hi: int, k: int) -> int:
    """Dword k (0-3) of the 128-bit value hi:lo."""
    return u64(((lo if k < 2 else hi) >> (32 * (k & 1))) & 0xFFFFFFFF)


def _shufps(d: int, s: int, imm: int) -> int:
    xd, xs = _split(d, 32), _split(s, 32)
    return _join([xd[imm & 3], xd[(imm >> 2) & 3], xs[(imm >> 4) & 3], xs[(imm >> 6) & 3]], 32)


def _shufpd(d: int, s: int, imm: int) -> int:
    return _join([_split(d, 64)[imm & 1], _split(s, 64)[(imm >> 1) & 1]], 64)


# -- scalar IEEE-754 (SSE rules: first-operand NaN propagation, default NaN, indefinite integer) ---
# The operations tier 2 runs too are @jitable (machr.isa.dual): they compute in host float64, which is
# IEEE binary64 with round-to-nearest-even in Python and in numba alike (binary32 is rounded once more
# from the double result, exact for + - * / and sqrt), and take only the NaN rules from the bits.

@jitable
def _exp_mask(bits: int) -> int:
    return u64(0x7FF0000000000000) if bits == 64 else u64(0x7F800000)


@jitable
def _quiet_bit(bits: int) -> int:
    return u64(1 << 51) if bits == 64 else u64(1 << 22)


@jitable
def _is_nan(v: int, bits: int) -> bool:
    e = _exp_mask(bits)
    return v & e == e and v & (_quiet_bit(bits) * 2 - 1) != 0


@jitable
def _to_float(v: int, bits: int) -> float:
    return to_double(v) if bits == 64 else to_single(v)


@jitable
def _from_float(x: float, bits: int) -> int:
    """Bits of x rounded (nearest-even) to the format; NaN from an invalid op is the default NaN."""
    if x != x:
        return u64(0xFFF8000000000000) if bits == 64 else u64(0xFFC00000)
    return u64(from_double(x)) if bits == 64 else u64(from_single(x))


@jitable
def _propagate(a: int, b: int, bits: int) -> int:
    return u64((a if _is_nan(a, bits) else b) | _quiet_bit(bits))


@jitable
def _sse_result(r: float, a: int, b: int, bits: int) -> int:
    """Bits of r, the host result of an operation on a and b: a NaN result is the first NaN operand quietened,
    or the default NaN of an invalid operation (no NaN operand).

    Every operation with a NaN operand gives a NaN, so the common case tests one float and reads no bits.
    """
    if r != r and (_is_nan(a, bits) or _is_nan(b, bits)):
        return _propagate(a, b, bits)
    return _from_float(r, bits)


@jitable
def _fadd(a: int, b: int, bits: int) -> int:
    return _sse_result(_to_float(a, bits) + _to_float(b, bits), a, b, bits)


@jitable
def _fsub(a: int, b: int, bits: int) -> int:
    return _sse_result(_to_float(a, bits) - _to_float(b, bits), a, b, bits)


@jitable
def _fmul(a: int, b: int, bits: int) -> int:
    return _sse_result(_to_float(a, bits) * _to_float(b, bits), a, b, bits)


@jitable
def _fdiv(a: int, b: int, bits: int) -> int:
    """x/0 is an infinity (or the default NaN for 0/0), never an exception (masked #Z); Python raises, so not x/y."""
    x, y = _to_float(a, bits), _to_float(b, bits)
    if y == 0.0:
        r = math.nan if x == 0.0 or x != x else math.copysign(math.inf, x) * math.copysign(1.0, y)
        return _sse_result(r, a, b, bits)
    return _sse_result(x / y, a, b, bits)


@jitable
def _fmin(a: int, b: int, bits: int) -> int:
    """minsd/minss: the second operand unless the first is strictly less (NaN and ±0 pick the second)."""
    if _is_nan(a, bits) or _is_nan(b, bits):
        return u64(b)
    return u64(a if _to_float(a, bits) < _to_float(b, bits) else b)


@jitable
def _fmax(a: int, b: int, bits: int) -> int:
    if _is_nan(a, bits) or _is_nan(b, bits):
        return u64(b)
    return u64(a if _to_float(a, bits) > _to_float(b, bits) else b)


@jitable
def _fsqrt(_a: int, b: int, bits: int) -> int:
    if _is_nan(b, bits):
        return u64(b | _quiet_bit(bits))
    x = _to_float(b, bits)
    return _from_float(math.sqrt(x) if x >= 0 else math.nan, bits)


@jitable
def _fcompare(a: int, b: int, bits: int) -> int:
    """0 less, 1 greater, 2 equal, 3 unordered."""
    if _is_nan(a, bits) or _is_nan(b, bits):
        return u64(3)
    x, y = _to_float(a, bits), _to_float(b, bits)
    return u64(0 if x < y else 1 if x > y else 2)


# The binary64 helpers on Python floats, as tier 1 writes them inline (Isa.python_float_ops; machr.jit.pyfloat):
# `{r}` = `{a}` op `{b}`, declined (`_fok` false: the helper runs on the bits) for a NaN result, whose bits
# are SSE's rules and not the host's, and for x/0, which Python raises on.  The Python tiers' versions of the
# helpers (`python_version`) are made from the same text.
PYTHON_FLOAT_OPS = {name: f"{{r}} = {expr}\n_fok = {{r}} == {{r}}" for name, expr in (
    ("_fadd", "{a} + {b}"), ("_fsub", "{a} - {b}"), ("_fmul", "{a} * {b}"), ("_fdiv", "{a} / {b} if {b} else _NAN"))}


for name, template in PYTHON_FLOAT_OPS.items():     # the Python tiers' versions, made from the same text
    python_version(globals()[name])(binary64_function(
        name, "a, b, bits", template, "_SQ[2]", "_exact(a, b, bits)", {"_exact": globals()[name], "_NAN": math.nan}))
del name, template


def _round_to_precision(n: int, precision: int) -> int:
    """n rounded (nearest-even) to `precision` significant bits, so one float conversion is exact."""
    excess = abs(n).bit_length() - precision
    if excess <= 0:
        return n
    m, rest = divmod(abs(n), 1 << excess)
    half = 1 << (excess - 1)
    if rest > half or (rest == half and m & 1):
        m += 1
    return (m << excess) * (1 if n >= 0 else -1)


def _int_to_float(v: int, ibits: int, fbits: int) -> int:
    n = _signed(v, ibits)
    return _from_float(float(_round_to_precision(n, 24 if fbits == 32 else 53)), fbits)


def _float_to_int(v: int, fbits: int, ibits: int, truncate: bool) -> int:
    indefinite = 1 << (ibits - 1)
    if _is_nan(v, fbits):
        return indefinite
    x = _to_float(v, fbits)
    if math.isinf(x):
        return indefinite
    n = int(x) if truncate else round(x)
    if not -indefinite <= n < indefinite:
        return indefinite
    return n & ((1 << ibits) - 1)


def _float_convert(v: int, from_bits: int, to_bits: int) -> int:
    if _is_nan(v, from_bits):
        sign = v >> (from_bits - 1)
        payload = v & (_quiet_bit(from_bits) * 2 - 1)
        payload = payload << 29 if to_bits == 64 else payload >> 29
        return sign << (to_bits - 1) | _exp_mask(to_bits) | _quiet_bit(to_bits) | payload
    return _from_float(_to_float(v, from_bits), to_bits)


GLOBALS = {name: value for name, value in globals().items() if name.startswith("_") and not name.startswith("__")}
GLOBALS.update({name: getattr(intarith, name) for name in ("umulh64", "smulh64")})     # shared with aarch64
# Helpers the statements call that tier 2 can call too (see machr.isa.dual).
NUMBA_FUNCTIONS = frozenset(name for name, value in GLOBALS.items() if callable(value) and JITABLE.get(name) is value)

# The numba tier reads the parity table as a uint64 array (a tuple of Python ints does not type there).
NUMBA_GLOBALS = {"_PARITY": np.array(_PARITY, dtype=np.uint64)}
