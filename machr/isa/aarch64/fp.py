"""IEEE 754 arithmetic as the A64 FP instructions define it (ARM ARM shared/functions/float).

Every function takes and returns raw bit patterns (plain ints) of an
`esize`-bit format — 16 (half), 32 (single) or 64 (double) — and returns
``(bits, exceptions)`` where `exceptions` holds FPSR cumulative bits
(IOC DZC OFC UFC IXC IDC) the caller ORs into ``fpsr``.  Nothing here looks
at the state variables; the FPCR value is passed in.

Why exact integer arithmetic instead of host floats: the result of an
operation is computed *exactly* (a sign, an integer mantissa and a binary
exponent; division and square root carry a sticky bit for their remainder)
and rounded once, by `fp_round`, which is the ARM ARM's FPRoundBase.  That
gives, with one code path for every format: all four FPCR.RMode modes plus
the ties-away and to-odd roundings the conversions need, flush-to-zero
(FPCR.FZ/FZ16) as Arm defines it, and exact IXC/UFC/OFC flags — Arm detects
tininess *before* rounding, which a host float result cannot tell us, and
host floats have no inexact flag at all.  Because nothing is rounded twice,
the double-rounding question of computing binary32 via binary64 never
arises, fused multiply-add included.
"""

from __future__ import annotations

import math

# FPSR cumulative exception bits
IOC, DZC, OFC, UFC, IXC, IDC = 1, 2, 4, 8, 16, 128
# FPCR fields
FPCR_FZ16, FPCR_RMODE_SHIFT, FPCR_FZ, FPCR_DN = 1 << 19, 22, 1 << 24, 1 << 25
# rounding modes: FPCR.RMode values, then the ones only instructions select
RN, RP, RM, RZ, RA, RO = 0, 1, 2, 3, 4, 5

FORMATS = {16: (5, 10), 32: (8, 23), 64: (11, 52)}     # esize -> (exponent bits, fraction bits)

# kinds of an unpacked operand
ZERO, FINITE, INF, QNAN, SNAN = range(5)


def fp_unpack(bits: int, esize: int, fpcr: int) -> tuple[int, int, int, int, int]:
    """(kind, sign, mantissa, exponent, exceptions): a finite value is mantissa * 2**exponent.

    FPUnpack: with FPCR.FZ (FZ16 for half precision) a denormal operand reads
    as zero; single/double raise IDC for it then, half precision does not.
    """
    ebits, fbits = FORMATS[esize]
    sign = bits >> (esize - 1) & 1
    exp = bits >> fbits & ((1 << ebits) - 1)
    frac = bits & ((1 << fbits) - 1)
    bias = (1 << (ebits - 1)) - 1
    if exp == 0:
        if frac == 0:
            return ZERO, sign, 0, 0, 0
        if esize == 16 and fpcr & FPCR_FZ16:
            return ZERO, sign, 0, 0, 0
        if esize != 16 and fpcr & FPCR_FZ:
            return ZERO, sign, 0, 0, IDC
        return FINITE, sign, frac, 1 - bias - fbits, 0
    if exp == (1 << ebits) - 1:
        if frac == 0:
            return INF, sign, 0, 0, 0
        return (QNAN if frac >> (fbits - 1) else SNAN), sign, 0, 0, 0
    return FINITE, sign, frac | (1 << fbits), exp - bias - fbits, 0


def fp_rmode(fpcr: int) -> int:
    return fpcr >> FPCR_RMODE_SHIFT & 3


def fp_inf(sign: int, esize: int) -> int:
    ebits, fbits = FORMATS[esize]
    return (sign << (esize - 1)) | (((1 << ebits) - 1) << fbits)


def fp_zero(sign: int, esize: int) -> int:
    return sign << (esize - 1)


def fp_default_nan(esize: int) -> int:
    _, fbits = FORMATS[esize]
    return fp_inf(0, esize) | (1 << (fbits - 1))


def fp_max_normal(sign: int, esize: int) -> int:
    return fp_inf(sign, esize) - 1


def round_up(sign: int, lsb: int, half: int, sticky: int, rmode: int) -> bool:
    """Whether truncating to the kept bits must add one unit (`half` = the first dropped bit)."""
    if rmode == RN:
        return bool(half and (sticky or lsb))
    if rmode == RA:
        return bool(half)
    if rmode == RP:
        return not sign and bool(half or sticky)
    if rmode == RM:
        return bool(sign) and bool(half or sticky)
    return False                                  # RZ (RO is handled by the caller)


def fp_round(sign: int, mant: int, exp: int, esize: int, fpcr: int, rmode: int | None = None) -> tuple[int, int]:
    """FPRoundBase: the nearest `esize`-bit value to (-1)**sign * mant * 2**exp (mant > 0).

    UFC when the exact value is tiny (below the smallest normal) *before*
    rounding and the result is inexact; OFC+IXC on overflow, giving infinity
    or the largest finite number as the mode says; IXC when inexact.  With
    FZ (FZ16) a tiny value becomes a signed zero with UFC only.
    """
    ebits, fbits = FORMATS[esize]
    if rmode is None:
        rmode = fp_rmode(fpcr)
    emin = 2 - (1 << (ebits - 1))                 # exponent of the smallest normal
    exponent = mant.bit_length() - 1 + exp        # floor(log2(|value|))
    fz = (fpcr & FPCR_FZ16) if esize == 16 else (fpcr & FPCR_FZ)
    if exponent < emin and fz:
        return fp_zero(sign, esize), UFC
    biased = max(exponent - emin + 1, 0)
    quantum = (emin if biased == 0 else exponent) - fbits   # exponent of the last kept bit
    shift = quantum - exp
    if shift > 0:
        kept = mant >> shift
        half = mant >> (shift - 1) & 1
        sticky = int(mant & ((1 << (shift - 1)) - 1) != 0)
    else:
        kept, half, sticky = mant << -shift, 0, 0
    inexact = half or sticky
    if rmode == RO:                               # round to odd: truncate, then set the lsb if inexact
        kept |= int(bool(inexact))
    elif round_up(sign, kept & 1, half, sticky, rmode):
        kept += 1
    bits = (max(biased - 1, 0) << fbits) + kept   # a carry out of the fraction bumps the exponent
    exc = (UFC if biased == 0 and inexact else 0) | (IXC if inexact else 0)
    if bits >> fbits >= (1 << ebits) - 1:
        to_inf = rmode in (RN, RA) or (rmode == RP and not sign) or (rmode == RM and sign)
        return (fp_inf(sign, esize) if to_inf else fp_max_normal(sign, esize)), OFC | IXC
    return (sign << (esize - 1)) | bits, exc


def fp_value(sign: int, mant: int, exp: int, esize: int, fpcr: int, rmode: int | None = None) -> tuple[int, int]:
    """fp_round, but an exact zero gives a zero whose sign is +, or − when rounding toward −∞ (IEEE 6.3)."""
    if mant == 0:
        return fp_zero(int((rmode if rmode is not None else fp_rmode(fpcr)) == RM), esize), 0
    return fp_round(sign, mant, exp, esize, fpcr, rmode)


def quiet(bits: int, esize: int) -> int:
    return bits | (1 << (FORMATS[esize][1] - 1))


def process_nans(ops: tuple[int, ...], kinds: tuple[int, ...], esize: int, fpcr: int) -> tuple[int, int] | None:
    """FPProcessNaNs(3): the first signalling NaN (IOC), else the first quiet NaN, quietened; None if no NaN.

    With FPCR.DN the result is the default NaN instead.
    """
    exc = IOC if SNAN in kinds else 0
    for want in (SNAN, QNAN):
        for op, kind in zip(ops, kinds, strict=True):
            if kind == want:
                return (fp_default_nan(esize) if fpcr & FPCR_DN else quiet(op, esize)), exc
    return None


def invalid(esize: int) -> tuple[int, int]:
    return fp_default_nan(esize), IOC


def _unpack_all(ops: tuple[int, ...], esize: int, fpcr: int):
    vals = [fp_unpack(op, esize, fpcr) for op in ops]
    exc = 0
    for v in vals:
        exc |= v[4]
    return vals, exc


def _add(a, b, esize, fpcr):
    """FPAdd on unpacked finite-or-zero operands (a, b) = (kind, sign, mant, exp, _)."""
    (_, sa, ma, ea, _), (_, sb, mb, eb, _) = a, b
    e = min(ea, eb) if ma and mb else (ea if ma else eb)
    va = (-1) ** sa * (ma << (ea - e)) if ma else 0
    vb = (-1) ** sb * (mb << (eb - e)) if mb else 0
    total = va + vb
    if total == 0:
        if ma == 0 and mb == 0 and sa == sb:
            return fp_zero(sa, esize), 0
        return fp_value(0, 0, 0, esize, fpcr)
    return fp_round(int(total < 0), abs(total), e, esize, fpcr)


def fp_add(x: int, y: int, esize: int, fpcr: int) -> tuple[int, int]:
    (a, b), exc = _unpack_all((x, y), esize, fpcr)
    r = process_nans((x, y), (a[0], b[0]), esize, fpcr)
    if r is None:
        if a[0] == INF and b[0] == INF and a[1] != b[1]:
            r = invalid(esize)
        elif INF in (a[0], b[0]):
            r = fp_inf(a[1] if a[0] == INF else b[1], esize), 0
        else:
            r = _add(a, b, esize, fpcr)
    return r[0], r[1] | exc


def fp_sub(x: int, y: int, esize: int, fpcr: int) -> tuple[int, int]:
    """FPSub is FPAdd with the second operand's sign flipped — except for NaN propagation (the NaN keeps its sign)."""
    if fp_unpack(y, esize, 0)[0] >= QNAN:
        return fp_add(x, y, esize, fpcr)
    return fp_add(x, y ^ (1 << (esize - 1)), esize, fpcr)


def fp_mul(x: int, y: int, esize: int, fpcr: int) -> tuple[int, int]:
    (a, b), exc = _unpack_all((x, y), esize, fpcr)
    r = process_nans((x, y), (a[0], b[0]), esize, fpcr)
    sign = a[1] ^ b[1]
    if r is None:
        kinds = {a[0], b[0]}
        if kinds == {INF, ZERO}:
            r = invalid(esize)
        elif INF in kinds:
            r = fp_inf(sign, esize), 0
        elif ZERO in kinds:
            r = fp_zero(sign, esize), 0
        else:
            r = fp_round(sign, a[2] * b[2], a[3] + b[3], esize, fpcr)
    return r[0], r[1] | exc


def fp_div(x: int, y: int, esize: int, fpcr: int) -> tuple[int, int]:
    (a, b), exc = _unpack_all((x, y), esize, fpcr)
    r = process_nans((x, y), (a[0], b[0]), esize, fpcr)
    sign = a[1] ^ b[1]
    if r is None:
        if a[0] == b[0] and a[0] in (INF, ZERO):
            r = invalid(esize)
        elif a[0] == INF or b[0] == ZERO:
            r = fp_inf(sign, esize), (DZC if b[0] == ZERO and a[0] != INF else 0)
        elif a[0] == ZERO or b[0] == INF:
            r = fp_zero(sign, esize), 0
        else:
            # enough quotient bits that the first dropped bit is exact; the remainder is the sticky bit
            k = max(0, FORMATS[esize][1] + 3 + b[2].bit_length() - a[2].bit_length())
            q, rem = divmod(a[2] << k, b[2])
            r = fp_round(sign, (q << 1) | int(rem != 0), a[3] - b[3] - k - 1, esize, fpcr)
    return r[0], r[1] | exc


def fp_sqrt(x: int, esize: int, fpcr: int) -> tuple[int, int]:
    (a,), exc = _unpack_all((x,), esize, fpcr)
    r = process_nans((x,), (a[0],), esize, fpcr)
    if r is None:
        kind, sign, mant, exp, _ = a
        if kind == ZERO:
            r = fp_zero(sign, esize), 0
        elif sign:
            r = invalid(esize)
        elif kind == INF:
            r = fp_inf(0, esize), 0
        else:
            k = max(0, 2 * (FORMATS[esize][1] + 3) - mant.bit_length())
            k += (exp - k) & 1                    # an even exponent halves exactly
            m = mant << k
            s = math.isqrt(m)
            r = fp_round(0, (s << 1) | int(s * s != m), (exp - k) // 2 - 1, esize, fpcr)
    return r[0], r[1] | exc


def fp_muladd(addend: int, x: int, y: int, esize: int, fpcr: int) -> tuple[int, int]:
    """FPMulAdd: addend + x*y rounded once (fmadd and friends negate operands' bits first)."""
    (c, a, b), exc = _unpack_all((addend, x, y), esize, fpcr)
    r = process_nans((addend, x, y), (c[0], a[0], b[0]), esize, fpcr)
    inf_times_zero = {a[0], b[0]} == {INF, ZERO}
    if c[0] == QNAN and inf_times_zero:
        return fp_default_nan(esize), exc | IOC
    if r is None:
        sign = a[1] ^ b[1]
        if inf_times_zero or (c[0] == INF and INF in (a[0], b[0]) and c[1] != sign):
            r = invalid(esize)
        elif c[0] == INF:
            r = fp_inf(c[1], esize), 0
        elif INF in (a[0], b[0]):
            r = fp_inf(sign, esize), 0
        else:
            zero = ZERO in (a[0], b[0])
            product = (ZERO if zero else FINITE, sign, 0 if zero else a[2] * b[2], a[3] + b[3], 0)
            r = _add(c, product, esize, fpcr)
    return r[0], r[1] | exc


def fp_compare(x: int, y: int, esize: int, fpcr: int, signal: int) -> tuple[int, int]:
    """FPCompare: (NZCV as a 4-bit value, exceptions); unordered is 0b0011, IOC for SNaNs (any NaN if `signal`)."""
    (a, b), exc = _unpack_all((x, y), esize, fpcr)
    if a[0] >= QNAN or b[0] >= QNAN:
        return 0b0011, exc | (IOC if signal or SNAN in (a[0], b[0]) else 0)
    ka, kb = _order_key(x, a, esize), _order_key(y, b, esize)
    return (0b0110 if ka == kb else 0b1000 if ka < kb else 0b0010), exc


def _order_key(bits: int, u, esize: int) -> int:
    """An int ordered like the (non-NaN) value: the encoding is sign-magnitude and monotonic in magnitude."""
    if u[0] == ZERO:
        return 0                                  # ±0 and flushed denormals are equal
    mag = bits & ((1 << (esize - 1)) - 1)
    return -mag if u[1] else mag


def fp_minmax(x: int, y: int, esize: int, fpcr: int, want_max: int, numeric: int) -> tuple[int, int]:
    """FPMax/FPMin; with `numeric` FPMaxNum/FPMinNum: a lone quiet NaN is replaced by the infinity that loses."""
    if numeric:
        kx, ky = fp_unpack(x, esize, 0)[0], fp_unpack(y, esize, 0)[0]
        loser = fp_inf(want_max, esize)
        if kx == QNAN and ky != QNAN:
            x = loser
        elif ky == QNAN and kx != QNAN:
            y = loser
    (a, b), exc = _unpack_all((x, y), esize, fpcr)
    r = process_nans((x, y), (a[0], b[0]), esize, fpcr)
    if r is not None:
        return r[0], r[1] | exc
    if a[0] == ZERO and b[0] == ZERO:
        sign = (a[1] & b[1]) if want_max else (a[1] | b[1])
        return fp_zero(sign, esize), exc
    ka, kb = _order_key(x, a, esize), _order_key(y, b, esize)
    pick = a if (ka > kb if want_max else ka < kb) else b
    return _repack(pick, esize, fpcr, exc)


def _repack(u, esize: int, fpcr: int, exc: int) -> tuple[int, int]:
    """An unpacked operand back to bits (a flushed denormal comes back as zero)."""
    kind, sign, mant, exp, _ = u
    if kind == ZERO:
        return fp_zero(sign, esize), exc
    if kind == INF:
        return fp_inf(sign, esize), exc
    bits, e = fp_round(sign, mant, exp, esize, fpcr)
    return bits, exc | e


def round_to_integer(sign: int, mant: int, exp: int, rmode: int) -> tuple[int, bool]:
    """(integer, inexact): (-1)**sign * mant * 2**exp rounded to an integer (FPRoundInt / FPToFixed)."""
    v = -mant if sign else mant
    if exp >= 0:
        return v << exp, False
    down = v >> -exp                              # floor, for negative values too
    rest = v - (down << -exp)                     # error * 2**-exp, in [0, 2**-exp)
    half = 1 << (-exp - 1)
    up = {RN: rest > half or (rest == half and down & 1), RP: rest != 0, RM: False,
          RZ: rest != 0 and down < 0, RA: rest > half or (rest == half and down >= 0)}[rmode]
    return down + int(up), rest != 0


def fp_round_int(x: int, esize: int, fpcr: int, rmode: int, exact: int) -> tuple[int, int]:
    """FPRoundInt (frint*): the integral value in the same format; IXC only when `exact` (frintx) asks."""
    (a,), exc = _unpack_all((x,), esize, fpcr)
    kind, sign, mant, exp, _ = a
    if kind >= QNAN:
        r = process_nans((x,), (kind,), esize, fpcr)
        return r[0], r[1] | exc
    if kind != FINITE:
        return _repack(a, esize, fpcr, exc)
    n, inexact = round_to_integer(sign, mant, exp, rmode)
    if n == 0:
        bits = fp_zero(sign, esize)
    else:
        bits, _ = fp_round(int(n < 0), abs(n), 0, esize, fpcr, RZ)
    return bits, exc | (IXC if inexact and exact else 0)


def fp_to_fixed(x: int, esize: int, fpcr: int, fbits: int, width: int, unsigned: int, rmode: int) -> tuple[int, int]:
    """FPToFixed (fcvt[nzpma][su], with `fbits` fraction bits): saturating, IOC on NaN or overflow, else IXC if inexact.

    Returns the integer as `width` unsigned bits.
    """
    (a,), exc = _unpack_all((x,), esize, fpcr)
    kind, sign, mant, exp, _ = a
    lo, hi = (0, (1 << width) - 1) if unsigned else (-(1 << (width - 1)), (1 << (width - 1)) - 1)
    if kind >= QNAN:
        return 0, exc | IOC
    if kind == INF:
        return (lo if sign else hi) & ((1 << width) - 1), exc | IOC
    n, inexact = round_to_integer(sign, mant, exp + fbits, rmode) if kind == FINITE else (0, False)
    if not lo <= n <= hi:
        return min(max(n, lo), hi) & ((1 << width) - 1), exc | IOC
    return n & ((1 << width) - 1), exc | (IXC if inexact else 0)


def fixed_to_fp(v: int, width: int, unsigned: int, fbits: int, esize: int, fpcr: int) -> tuple[int, int]:
    """FixedToFP (scvtf/ucvtf): the `width`-bit integer `v` / 2**fbits rounded by FPCR."""
    if not unsigned and v >> (width - 1):
        v -= 1 << width
    if v == 0:
        return 0, 0
    return fp_round(int(v < 0), abs(v), -fbits, esize, fpcr)


def fp_convert(x: int, esize: int, fpcr: int, to: int) -> tuple[int, int]:
    """FPConvert (fcvt) between formats; half precision ignores FZ16 here (FPUnpackCV / FPRoundCV).

    FPCR.AHP (alternative half precision) is not implemented: IEEE half is used.
    """
    cv = fpcr & ~FPCR_FZ16
    (a,), exc = _unpack_all((x,), esize, cv)
    kind, sign, mant, exp, _ = a
    if kind >= QNAN:
        if fpcr & FPCR_DN:
            bits = fp_default_nan(to)
        else:                                     # FPConvertNaN: keep the sign, left-align the payload
            fi, fo = FORMATS[esize][1], FORMATS[to][1]
            payload = (x & ((1 << (fi - 1)) - 1)) << 51 - (fi - 1) >> 51 - (fo - 1)
            bits = quiet(fp_inf(sign, to), to) | payload
        return bits, exc | (IOC if kind == SNAN else 0)
    if kind != FINITE:
        return _repack(a, to, cv, exc)
    bits, e = fp_round(sign, mant, exp, to, cv)
    return bits, exc | e


def fp_map(fn, esize: int, n: int, fpcr: int, vectors: tuple[int, ...], *args, osize: int = 0) -> tuple[int, int]:
    """Apply fn(*lanes, esize, fpcr, *args) -> (bits, exceptions) to `n` lanes of each vector.

    Returns (the packed result, the exceptions of all lanes); result lanes
    are `osize` bits wide (default `esize`).  A scalar op is the one-lane case.
    """
    m = (1 << esize) - 1
    osize = osize or esize
    out = exc = 0
    for i in range(n):
        bits, e = fn(*[v >> (i * esize) & m for v in vectors], esize, fpcr, *args)
        out |= bits << (i * osize)
        exc |= e
    return out, exc


def fp_cmp_mask(x: int, y: int, esize: int, fpcr: int, cond: str) -> tuple[int, int]:
    """fcmeq/fcmge/fcmgt lane: all ones if `x cond y` holds; eq is quiet (IOC for SNaNs), ge/gt signal on any NaN."""
    nzcv, exc = fp_compare(x, y, esize, fpcr, int(cond != "eq"))
    holds = {"eq": nzcv == 0b0110, "ge": nzcv in (0b0110, 0b0010), "gt": nzcv == 0b0010}[cond]
    return ((1 << esize) - 1 if holds else 0), exc


def int_to_fp_lane(v: int, esize: int, fpcr: int, unsigned: int, fbits: int) -> tuple[int, int]:
    """scvtf/ucvtf on a vector lane: the integer has the lane's own width."""
    return fixed_to_fp(v, esize, unsigned, fbits, esize, fpcr)


def fp_reduce(fn, v: int, esize: int, n: int, fpcr: int, *args) -> tuple[int, int]:
    """Reduce(): fmaxv & co. combine the halves recursively, (l0 op l1) op (l2 op l3)."""
    m = (1 << esize) - 1
    level = [v >> (i * esize) & m for i in range(n)]
    exc = 0
    while len(level) > 1:
        nxt = []
        for a, b in zip(level[0::2], level[1::2], strict=True):
            r, e = fn(a, b, esize, fpcr, *args)
            nxt.append(r)
            exc |= e
        level = nxt
    return level[0], exc
