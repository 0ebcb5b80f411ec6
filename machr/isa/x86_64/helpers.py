"""Functions and tables the x86-64 statements call (they become `ISA.globals`).

Kept here rather than inlined where an operation is a loop over lanes, an
IEEE-754 rule, or a table: the statements stay a line each, and each rule is
written once.
"""

from __future__ import annotations

import ctypes
import math
import struct

import numpy as np

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


def _pshufd(_d: int, s: int, imm: int) -> int:
    xs = _split(s, 32)
    return _join([xs[(imm >> (2 * i)) & 3] for i in range(4)], 32)


def _shufps(d: int, s: int, imm: int) -> int:
    xd, xs = _split(d, 32), _split(s, 32)
    return _join([xd[imm & 3], xd[(imm >> 2) & 3], xs[(imm >> 4) & 3], xs[(imm >> 6) & 3]], 32)


def _shufpd(d: int, s: int, imm: int) -> int:
    return _join([_split(d, 64)[imm & 1], _split(s, 64)[(imm >> 1) & 1]], 64)


# -- scalar IEEE-754 (SSE rules: first-operand NaN propagation, default NaN, indefinite integer) ---
_FMT = {64: ("<d", "<Q"), 32: ("<f", "<I")}
_QUIET = {64: 1 << 51, 32: 1 << 22}
_DEFAULT_NAN = {64: 0xFFF8000000000000, 32: 0xFFC00000}
_EXP = {64: 0x7FF0000000000000, 32: 0x7F800000}


def _is_nan(v: int, bits: int) -> bool:
    e = _EXP[bits]
    return v & e == e and v & (_QUIET[bits] * 2 - 1) != 0


def _to_float(v: int, bits: int) -> float:
    f, i = _FMT[bits]
    return struct.unpack(f, struct.pack(i, v))[0]


def _from_float(x: float, bits: int) -> int:
    """Bits of x rounded (nearest-even) to the format; NaN from an invalid op is the default NaN."""
    if math.isnan(x):
        return _DEFAULT_NAN[bits]
    if bits == 32:
        x = ctypes.c_float(x).value
    f, i = _FMT[bits]
    return struct.unpack(i, struct.pack(f, x))[0]


def _propagate(a: int, b: int, bits: int) -> int:
    return (a if _is_nan(a, bits) else b) | _QUIET[bits]


def _divide(x: float, y: float) -> float:
    if y == 0.0:
        if x == 0.0:
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


_OPS = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y, "div": _divide}


def _arith(op: str, a: int, b: int, bits: int) -> int:
    if _is_nan(a, bits) or _is_nan(b, bits):
        return _propagate(a, b, bits)
    return _from_float(_OPS[op](_to_float(a, bits), _to_float(b, bits)), bits)


def _fadd(a: int, b: int, bits: int) -> int:
    return _arith("add", a, b, bits)


def _fsub(a: int, b: int, bits: int) -> int:
    return _arith("sub", a, b, bits)


def _fmul(a: int, b: int, bits: int) -> int:
    return _arith("mul", a, b, bits)


def _fdiv(a: int, b: int, bits: int) -> int:
    return _arith("div", a, b, bits)


def _fmin(a: int, b: int, bits: int) -> int:
    """minsd/minss: the second operand unless the first is strictly less (NaN and ±0 pick the second)."""
    if _is_nan(a, bits) or _is_nan(b, bits):
        return b
    return a if _to_float(a, bits) < _to_float(b, bits) else b


def _fmax(a: int, b: int, bits: int) -> int:
    if _is_nan(a, bits) or _is_nan(b, bits):
        return b
    return a if _to_float(a, bits) > _to_float(b, bits) else b


def _fsqrt(_a: int, b: int, bits: int) -> int:
    if _is_nan(b, bits):
        return b | _QUIET[bits]
    x = _to_float(b, bits)
    return _from_float(math.sqrt(x) if x >= 0 else math.nan, bits)


def _fcompare(a: int, b: int, bits: int) -> int:
    """0 less, 1 greater, 2 equal, 3 unordered."""
    if _is_nan(a, bits) or _is_nan(b, bits):
        return 3
    x, y = _to_float(a, bits), _to_float(b, bits)
    return 0 if x < y else 1 if x > y else 2


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
        payload = v & (_QUIET[from_bits] * 2 - 1)
        payload = payload << 29 if to_bits == 64 else payload >> 29
        return sign << (to_bits - 1) | _EXP[to_bits] | _QUIET[to_bits] | payload
    return _from_float(_to_float(v, from_bits), to_bits)


GLOBALS = {name: value for name, value in globals().items() if name.startswith("_") and not name.startswith("__")}

# The numba tier reads the parity table as a uint64 array (a tuple of Python ints does not type there).
NUMBA_GLOBALS = {"_PARITY": np.array(_PARITY, dtype=np.uint64)}
