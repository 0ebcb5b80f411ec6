"""SSE/SSE2 forms: xmm moves, packed-integer lane ops, scalar double/single arithmetic.

xmm registers are 128-bit ints.  Lane-wise work is done by the helpers in
`machr.isa.x86_64.helpers` (one readable function per operation); scalar
float forms replace the low lane and keep the rest of the destination.
Rounding is MXCSR's default (nearest-even); MXCSR status flags are not modelled.
"""

from __future__ import annotations

from typing import Callable

from machr.isa.x86_64.emit import M64, M128, Emit

FORMS: dict[str, Callable[[Emit], None]] = {}
_LOW = {64: M64, 32: 0xFFFFFFFF}


def _form(*names: str):
    def register(fn):
        for n in names:
            FORMS[n] = fn
        return fn
    return register


def _read(e: Emit, op: tuple, bits: int) -> str:
    """An xmm operand, or `bits` of memory (the form's access width, not capstone's text)."""
    if op[0] == "m":
        return e.let(f"ld{bits}({e.address(op)})")
    return e.read(op)


def _merge_low(e: Emit, dst: tuple, value: str, bits: int) -> None:
    """Replace the low `bits` of xmm `dst`, keeping the rest."""
    d = f"xmm{dst[1]}"
    e(f"{d} = ({d} & {M128 ^ _LOW[bits]:#x}) | {value}")


@_form("movx")
def move128(e: Emit) -> None:
    dst, src = e.ops
    e.write(dst, _read(e, src, 128))


@_form("movd")
def move_gpr(e: Emit) -> None:
    """movd/movq between a general register (or memory) and the low lane (zeroing the rest)."""
    dst, src = e.ops
    bits = e.bits(src if dst[0] == "x" else dst)
    if dst[0] == "x":
        e.write(dst, e.read(src))
    else:
        e.write(dst, f"{e.read(src)} & {_LOW[bits]:#x}")


@_form("movq")
def move_low64(e: Emit) -> None:
    """movq xmm, xmm/m64 (upper lane zeroed) and movq/movlpd m64, xmm."""
    dst, src = e.ops
    v = _read(e, src, 64)
    e.write(dst, f"{v} & {M64:#x}" if src[0] == "x" else v)


@_form("movsd", "movss")
def move_scalar(e: Emit) -> None:
    """movsd/movss: a load zeroes the upper lanes, a register move merges, a store writes the lane."""
    dst, src = e.ops
    bits = 64 if e.insn.form == "movsd" else 32
    if src[0] == "m":
        e.write(dst, _read(e, src, bits))
    elif dst[0] == "m":
        e.write(dst, f"{e.read(src)} & {_LOW[bits]:#x}")
    else:
        _merge_low(e, dst, f"({e.read(src)} & {_LOW[bits]:#x})", bits)


@_form("movhlps", "movlhps", "movlpd", "movhpd", "movhpd_st")
def move_half(e: Emit) -> None:
    dst, src = e.ops
    name = e.insn.form
    if name == "movhpd_st":
        e.write(dst, f"{e.read(src)} >> 64")
        return
    v = _read(e, src, 64)
    d = f"xmm{dst[1]}"
    if name == "movhlps":
        e(f"{d} = ({d} & {M128 ^ M64:#x}) | ({v} >> 64)")
    elif name == "movlpd":
        e(f"{d} = ({d} & {M128 ^ M64:#x}) | {v}")
    else:                     # movlhps / movhpd: the high lane from the source's low 64 bits
        e(f"{d} = ({d} & {M64:#x}) | (({v} & {M64:#x}) << 64)")


@_form("pxor", "por", "pand", "pandn")
def logic(e: Emit) -> None:
    """pxor/por/pand/pandn and the bitwise-identical xorps/orps/andps/andnps (pd too)."""
    dst, src = e.ops
    s = _read(e, src, 128)
    d = f"xmm{dst[1]}"
    expr = {"pxor": f"{d} ^ {s}", "por": f"{d} | {s}", "pand": f"{d} & {s}",
            "pandn": f"({d} ^ {M128:#x}) & {s}"}[e.insn.form]
    e(f"{d} = {expr}")


# Lane-wise binary ops: form -> (helper, lane bits).
_LANES = {
    "paddb": ("_padd", 8), "paddw": ("_padd", 16), "paddd": ("_padd", 32), "paddq": ("_padd", 64),
    "psubb": ("_psub", 8), "psubw": ("_psub", 16), "psubd": ("_psub", 32), "psubq": ("_psub", 64),
    "pcmpeqb": ("_pcmpeq", 8), "pcmpeqw": ("_pcmpeq", 16), "pcmpeqd": ("_pcmpeq", 32),
    "pcmpgtb": ("_pcmpgt", 8), "pcmpgtw": ("_pcmpgt", 16), "pcmpgtd": ("_pcmpgt", 32),
    "pminub": ("_pminu", 8), "pmaxub": ("_pmaxu", 8), "pminsw": ("_pmins", 16), "pmaxsw": ("_pmaxs", 16),
    "pmullw": ("_pmullw", 16), "pmuludq": ("_pmuludq", 64),
    "packsswb": ("_packss", 16), "packssdw": ("_packss", 32), "packuswb": ("_packus", 16),
    "punpcklbw": ("_punpckl", 8), "punpcklwd": ("_punpckl", 16), "punpckldq": ("_punpckl", 32),
    "punpcklqdq": ("_punpckl", 64), "punpckhbw": ("_punpckh", 8), "punpckhwd": ("_punpckh", 16),
    "punpckhdq": ("_punpckh", 32), "punpckhqdq": ("_punpckh", 64),
}


@_form(*_LANES)
def lanes(e: Emit) -> None:
    dst, src = e.ops
    helper, lane = _LANES[e.insn.form]
    s = _read(e, src, 128)
    e(f"xmm{dst[1]} = {helper}(xmm{dst[1]}, {s}, {lane})")


# Shifts by immediate: form -> (helper, lane bits); psrldq/pslldq shift whole bytes.
_SHIFTS = {"psrlw": ("_psrl", 16), "psrld": ("_psrl", 32), "psrlq": ("_psrl", 64),
           "psllw": ("_psll", 16), "pslld": ("_psll", 32), "psllq": ("_psll", 64),
           "psraw": ("_psra", 16), "psrad": ("_psra", 32)}


@_form(*_SHIFTS, "psrldq", "pslldq")
def shift_imm(e: Emit) -> None:
    dst, imm = e.ops
    d = f"xmm{dst[1]}"
    c = imm[1]
    if e.insn.form == "psrldq":
        e(f"{d} = {d} >> {8 * min(c, 16)}")
    elif e.insn.form == "pslldq":
        e(f"{d} = ({d} << {8 * min(c, 16)}) & {M128:#x}")
    else:
        helper, lane = _SHIFTS[e.insn.form]
        e(f"{d} = {helper}({d}, {c}, {lane})")


@_form("pmovmskb")
def pmovmskb(e: Emit) -> None:
    dst, src = e.ops
    e.write(dst, f"_pmovmskb({e.read(src)})")


@_form("pshufd", "shufps", "shufpd")
def shuffle(e: Emit) -> None:
    dst, src, imm = e.ops
    s = _read(e, src, 128)
    d = f"xmm{dst[1]}"
    first = s if e.insn.form == "pshufd" else d
    e(f"{d} = _{e.insn.form}({first}, {s}, {imm[1]})")


# -- scalar floating point ---------------------------------------------------------------------

_ARITH = ("add", "sub", "mul", "div", "min", "max", "sqrt")


@_form(*(f"{op}{t}" for op in _ARITH for t in ("sd", "ss")))
def scalar_arith(e: Emit) -> None:
    """addsd … sqrtss: the low lane op the helper `_f<op>` does in IEEE double or single."""
    dst, src = e.ops
    name = e.insn.form
    bits = 64 if name.endswith("sd") else 32
    s = _read(e, src, bits)
    low = _LOW[bits]
    t = e.let(f"_f{name[:-2]}(xmm{dst[1]} & {low:#x}, {s} & {low:#x}, {bits})")
    _merge_low(e, dst, t, bits)


@_form("cvtsi2sd", "cvtsi2ss")
def int_to_float(e: Emit) -> None:
    dst, src = e.ops
    bits = 64 if e.insn.form.endswith("sd") else 32
    t = e.let(f"_int_to_float({e.read(src)}, {e.bits(src)}, {bits})")
    _merge_low(e, dst, t, bits)


@_form("cvttsd2si", "cvttss2si", "cvtsd2si", "cvtss2si")
def float_to_int(e: Emit) -> None:
    """cvt(t)s?2si: out-of-range and NaN give the "integer indefinite" 1 << (size-1)."""
    dst, src = e.ops
    fbits = 64 if "sd" in e.insn.form else 32
    truncate = e.insn.form.startswith("cvtt")
    s = _read(e, src, fbits)
    e.write(dst, f"_float_to_int({s} & {_LOW[fbits]:#x}, {fbits}, {e.bits(dst)}, {truncate})")


@_form("cvtsd2ss", "cvtss2sd")
def float_convert(e: Emit) -> None:
    dst, src = e.ops
    from_bits, to_bits = (64, 32) if e.insn.form == "cvtsd2ss" else (32, 64)
    s = _read(e, src, from_bits)
    t = e.let(f"_float_convert({s} & {_LOW[from_bits]:#x}, {from_bits}, {to_bits})")
    _merge_low(e, dst, t, to_bits)


@_form("ucomisd", "ucomiss")
def compare(e: Emit) -> None:
    """(u)comis[sd]: ZF PF CF = unordered 111, less 001, equal 100, greater 000; OF SF AF = 0."""
    dst, src = e.ops
    bits = 64 if e.insn.form == "ucomisd" else 32
    s = _read(e, src, bits)
    r = e.let(f"_fcompare(xmm{dst[1]} & {_LOW[bits]:#x}, {s} & {_LOW[bits]:#x}, {bits})")
    e(f"zf = int({r} >= 2)")       # _fcompare: 0 less, 1 greater, 2 equal, 3 unordered
    e(f"pf = int({r} == 3)")
    e(f"cf = int({r} == 0 or {r} == 3)")
    for flag in ("of", "sf", "af"):
        e(f"{flag} = 0")
