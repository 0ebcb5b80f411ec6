"""Fast paths for the scalar double-precision operations of `fp.py`, in host float64, for every tier.

`fp.py` computes every operation exactly in integers and rounds once, for
every FPCR mode and with every FPSR flag right; numba cannot run that (its
ints are 64-bit).  In the default mode — round to nearest even, no
flush-to-zero, no default NaN (FPCR.RMode = FZ = DN = 0; FZ16 and AHP do
not touch binary64) — IEEE binary64 arithmetic of the host gives the same
result bits, and the flags follow from it: IOC for an invalid operation
(infinity - infinity, 0 * infinity, 0/0 and infinity/infinity give the
default NaN), DZC for a finite / 0, OFC|IXC for an infinity out of finite
operands, IXC when the rounded result differs from the exact one, which an
error-free transformation computes exactly (2Sum for + and -, Dekker's
product for * and the remainder of /).  UFC would need tininess before
rounding: a sum is exact when tiny (so never UFC), and products and
quotients near the subnormal range are left to `fp.py`.

Each returns (ok, bits, exceptions) as `Isa.numba_guarded` asks: not ok —
another mode, a NaN operand (the NaN rules are `fp.py`'s), or an operand
or result where the error-free transformation could overflow or underflow —
sends the instruction from tier 2 to the Python tiers, which call the same
fast path first and `fp.py` when it declines (machr.isa.dual.fast_first):
about five times faster there than `fp.py` alone.  So the common case of
each operation is tested first with as few calls as it can (CPython pays
per call; numba inlines them anyway).  tests/isa/aarch64/test_fp_host.py
holds them to `fp.py` bit for bit, tests/isa/test_dual.py the Python tiers'
combination.
"""

from __future__ import annotations

import math
import sys

from machr.isa.aarch64 import fp
from machr.isa.aarch64.fp import DZC, FPCR_DN, FPCR_FZ, FPCR_RMODE_SHIFT, IOC, IXC, OFC
from machr.isa.dual import JITABLE, binary64_function, fast_first, from_double, jitable, python_guarded, to_double, u64

_OTHER_MODES = FPCR_DN | FPCR_FZ | (3 << FPCR_RMODE_SHIFT)
_DEFAULT_NAN = 0x7FF8000000000000
_SPLIT = 134217729.0                 # 2**27 + 1: Veltkamp's splitter for 53-bit significands
_TINY = 2.0 ** -900                  # below: the product's error term may not be representable
_HUGE = 2.0 ** 995                   # above: splitting may overflow
_NORMAL = 2.0 ** -1022
_SIGN = 1 << 63


@jitable
def _covered(a: float, b: float, esize: int, fpcr: int) -> bool:
    """binary64 operands in the default mode, neither a NaN."""
    return esize == 64 and fpcr & _OTHER_MODES == 0 and a == a and b == b


@jitable
def _result(ok: bool, r: float, exc: int) -> tuple[bool, int, int]:
    return ok, u64(from_double(r)), u64(exc)


@jitable
def _sum_edge(a: float, b: float, esize: int, fpcr: int) -> tuple[bool, int, int]:
    """a + b where `fp_add_host` cannot use 2Sum: another mode or a NaN (declined), an infinity, a huge operand."""
    if not _covered(a, b, esize, fpcr):
        return False, u64(0), u64(0)
    s = a + b
    if s != s:
        return True, u64(_DEFAULT_NAN), u64(IOC)            # inf - inf
    if math.isinf(s):
        return _result(True, s, 0 if math.isinf(a) or math.isinf(b) else OFC | IXC)
    return _result(False, s, 0)                               # a huge operand: 2Sum could overflow


@jitable
def _exact_product(a: float, b: float, p: float) -> bool:
    """Is p (= a*b rounded) the exact product?  Dekker: a*b - p from the 26-bit halves of a and b."""
    c = _SPLIT * a
    ah = c - (c - a)
    al = a - ah
    c = _SPLIT * b
    bh = c - (c - b)
    bl = b - bh
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl == 0.0


@jitable
def _dekker_safe(a: float, b: float, p: float) -> bool:
    """Operands and product in the range where `_exact_product` is exact (False for zeros, infinities, NaNs)."""
    return (_NORMAL <= abs(a) < _HUGE and _NORMAL <= abs(b) < _HUGE
            and _TINY <= abs(p) < _HUGE)


@jitable
def fp_add_host(x: int, y: int, esize: int, fpcr: int) -> tuple[bool, int, int]:
    """The common case comes first and calls as little as it can (the Python tiers pay per call).

    Below `_HUGE` in magnitude (no NaN, no infinity) 2Sum cannot overflow;
    the rest is `_sum_edge`'s.
    """
    a, b = to_double(x), to_double(y)
    if esize == 64 and fpcr & _OTHER_MODES == 0 and abs(a) < _HUGE and abs(b) < _HUGE:
        s = a + b
        bb = s - a                                            # 2Sum: s + err == a + b exactly
        err = (a - (s - bb)) + (b - bb)
        return True, u64(from_double(s)), u64(IXC if err != 0.0 else 0)
    return _sum_edge(a, b, esize, fpcr)


@jitable
def fp_sub_host(x: int, y: int, esize: int, fpcr: int) -> tuple[bool, int, int]:
    """x + (-y), -y by its sign bit: exact, and a NaN (whose sign fp.py keeps) is declined either way."""
    return fp_add_host(x, y ^ u64(_SIGN), esize, fpcr)


@jitable
def fp_mul_host(x: int, y: int, esize: int, fpcr: int) -> tuple[bool, int, int]:
    """The common case (`_dekker_safe`) first, as in `fp_add_host`; the rest in `_mul_edge`."""
    a, b = to_double(x), to_double(y)
    p = a * b
    if esize == 64 and fpcr & _OTHER_MODES == 0 and _dekker_safe(a, b, p):
        return True, u64(from_double(p)), u64(0 if _exact_product(a, b, p) else IXC)
    return _mul_edge(a, b, p, esize, fpcr)


@jitable
def _mul_edge(a: float, b: float, p: float, esize: int, fpcr: int) -> tuple[bool, int, int]:
    """p = a * b outside `_dekker_safe`: zeros, infinities, or declined (another mode, a NaN, the range)."""
    if not _covered(a, b, esize, fpcr):
        return False, u64(0), u64(0)
    if p != p:
        return True, u64(_DEFAULT_NAN), u64(IOC)            # 0 * inf
    if math.isinf(a) or math.isinf(b) or a == 0.0 or b == 0.0:
        return _result(True, p, 0)
    if math.isinf(p):
        return _result(True, p, OFC | IXC)
    return _result(False, p, 0)


@jitable
def fp_div_host(x: int, y: int, esize: int, fpcr: int) -> tuple[bool, int, int]:
    """The common case first, as in `fp_add_host`: q = a/b is exact iff q*b == a exactly; the rest in `_div_edge`.

    `_dekker_safe(q, b, p)` also rules out a zero, infinite or NaN dividend (q would be one).
    """
    a, b = to_double(x), to_double(y)
    if esize == 64 and fpcr & _OTHER_MODES == 0 and _NORMAL <= abs(b) < _HUGE:
        q = a / b
        p = q * b                   # when q is exact, fl(q*b) == a too
        if _dekker_safe(q, b, p):
            return True, u64(from_double(q)), u64(0 if p == a and _exact_product(q, b, p) else IXC)
    return _div_edge(a, b, esize, fpcr)


@jitable
def _div_edge(a: float, b: float, esize: int, fpcr: int) -> tuple[bool, int, int]:
    """a / b outside `fp_div_host`'s common case: zeros, infinities, or declined (another mode, a NaN, the range)."""
    if not _covered(a, b, esize, fpcr):
        return False, u64(0), u64(0)
    if b == 0.0:
        if a == 0.0:
            return True, u64(_DEFAULT_NAN), u64(IOC)        # 0/0
        sign = (a < 0.0) != (math.copysign(1.0, b) < 0.0)
        return _result(True, -math.inf if sign else math.inf, 0 if math.isinf(a) else DZC)
    q = a / b
    if q != q:
        return True, u64(_DEFAULT_NAN), u64(IOC)            # inf/inf
    if math.isinf(a) or math.isinf(b) or a == 0.0:
        return _result(True, q, 0)
    if math.isinf(q):
        return _result(True, q, OFC | IXC)
    return _result(False, q, 0)


# -- on Python floats: tier 1's inline form and the Python tiers' versions -----------------------
# fp_add … fp_div in binary64 as tier 1 writes them inline (Isa.python_float_ops; machr.jit.pyfloat): `{r}`
# from the floats `{a}`, `{b}`, with IXC added to `fpsr` — worked out only while it is clear: FPSR's flags are
# cumulative, so once set there is nothing to learn — and declined (`_fok` false; the helper then runs on the
# bits) wherever the `fp_<op>_host` above declines.  The same common cases with the same answers, written for
# CPython: range tests as chained comparisons (false for a NaN), no calls but Dekker's product.  The Python
# tiers' versions (`python_guarded`) are made from the same text, with `fpsr` starting clear.

_CONSTANTS = {"OTHER": _OTHER_MODES, "IXC": IXC, "H": repr(_HUGE), "N": repr(_NORMAL), "T": repr(_TINY),
              "MAX": repr(sys.float_info.max)}
_SUM = """_fok = not fpcr & {OTHER} and -{H} < {{a}} < {H} and -{H} < {{b}} < {H}
if _fok:
    {{r}} = {{a}} {op} {{b}}
    if not fpsr & {IXC}:
        _fe = {{r}} - {{a}}
        if ({{a}} - ({{r}} - _fe)) + ({sign}{{b}} - _fe) != 0.0:
            fpsr |= {IXC}"""
PYTHON_FLOAT_OPS = {
    "fp_add": _SUM.format(op="+", sign="", **_CONSTANTS),
    "fp_sub": _SUM.format(op="-", sign="-", **_CONSTANTS),        # 2Sum of a and -b
    "fp_mul": """_fok = not fpcr & {OTHER} and {N} <= abs({{a}}) < {H} and {N} <= abs({{b}}) < {H}
if _fok:
    {{r}} = {{a}} * {{b}}
    _fok = {T} <= abs({{r}}) < {H}
    if _fok and not fpsr & {IXC} and not _exact_product({{a}}, {{b}}, {{r}}):
        fpsr |= {IXC}""".format(**_CONSTANTS),
    "fp_div": """_fok = not fpcr & {OTHER} and {N} <= abs({{b}}) < {H}
if _fok:
    {{r}} = {{a}} / {{b}}
    _fp = {{r}} * {{b}}
    _fok = {N} <= abs({{r}}) < {H} and {T} <= abs(_fp) < {H}
    if _fok and not fpsr & {IXC} and not (_fp == {{a}} and _exact_product({{r}}, {{b}}, _fp)):
        fpsr |= {IXC}""".format(**_CONSTANTS),
}
PYTHON_FLOAT_GLOBALS = {"_exact_product": _exact_product}      # what the templates call

# The quick forms (Isa.python_float_quick): in the default mode with IXC already set, a sum or product is the
# host's wherever it is finite (so were its operands, and it did not overflow) and, for a product, above the
# least normal (so its exact value was not tiny: Arm detects tininess before rounding, and a value below
# 2**-1022 cannot round past it).  Inexactness is then the only flag it could raise, and it is set.  The mode
# holds while FPSR only gains flags and FPCR is not written.
PYTHON_FLOAT_QUICK = (f"not fpcr & {_OTHER_MODES} and fpsr & {IXC}", {
    "fp_add": ("{a} + {b}", "-{MAX} <= {{r}} <= {MAX}".format(**_CONSTANTS)),
    "fp_sub": ("{a} - {b}", "-{MAX} <= {{r}} <= {MAX}".format(**_CONSTANTS)),
    "fp_mul": ("{a} * {b}", "{N} < abs({{r}}) <= {MAX}".format(**_CONSTANTS)),
})


for _op in ("add", "sub", "mul", "div"):          # the Python tiers' versions, made from the same text
    python_guarded(JITABLE[f"fp_{_op}_host"])(binary64_function(
        f"fp_{_op}", "x, y, esize, fpcr", PYTHON_FLOAT_OPS[f"fp_{_op}"], "_SQ[2], fpsr", "_declined(x, y, esize, fpcr)",
        {"_declined": fast_first(JITABLE[f"fp_{_op}_host"], getattr(fp, f"fp_{_op}")), **PYTHON_FLOAT_GLOBALS},
        setup="fpsr = 0"))
del _op
