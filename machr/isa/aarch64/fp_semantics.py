"""Semantics of the scalar floating-point forms (see semantics.py for conventions).

The arithmetic is in `fp.py` (helpers in `ISA.globals`; binary64 + - * /
try `fp_host`'s fast paths first, in every tier): each operation returns
``(bits, exceptions)``; the statements write the bits to the destination
and OR the exceptions into ``fpsr``.  A scalar write of an
h/s/d register zeroes the rest of the vector register (ARM ARM V[] writes).
"""

from __future__ import annotations

from machr.isa.aarch64 import fp
from machr.isa.aarch64.exprs import COND_EXPR, rd_reg, wr_reg

# the rounding a conversion or frint names (x and i: FPCR.RMode)
ROUNDING = {"n": str(fp.RN), "p": str(fp.RP), "m": str(fp.RM), "z": str(fp.RZ), "a": str(fp.RA),
            "x": "fp_rmode(fpcr)", "i": "fp_rmode(fpcr)"}


def lane_mask(esize: int) -> int:
    return (1 << esize) - 1


def sign_bit(esize: int) -> int:
    return 1 << (esize - 1)


def lanes_op(rd: int, fn: str, esize: int, n: int, operands, *args, osize: int = 0, post: str = "") -> list[str]:
    """q<rd> = fn over `n` lanes of the operand vectors (`post` is appended to the result expression).

    A scalar operation (one lane) calls `fn` on the low lanes directly, as
    `fp_map` would: tier 2 can run such a call (`Isa.numba_guarded`), not `fp_map`.
    """
    if n == 1:
        lanes = "".join(f"({o}) & {lane_mask(esize):#x}, " for o in operands)
        call = f"{fn}({lanes}{esize}, fpcr{''.join(f', {a}' for a in args)})"
    else:
        extra = "".join(f", {a}" for a in args) + (f", osize={osize}" if osize else "")
        call = f"fp_map({fn}, {esize}, {n}, fpcr, ({''.join(o + ', ' for o in operands)}){extra})"
    return [f"_tr = {call}", f"q{rd} = _tr[0]{post}", "fpsr |= _tr[1]"]


def t_fp_dp1(f, insn):
    esize, op, rd, rn = f["esize"], f["op"], f["rd"], f["rn"]
    src = f"(q{rn} & {lane_mask(esize):#x})"
    if op in ("fmov", "fabs", "fneg"):
        expr = {"fmov": src, "fabs": f"q{rn} & {lane_mask(esize - 1):#x}", "fneg": f"{src} ^ {sign_bit(esize):#x}"}[op]
        return [f"q{rd} = {expr}"]
    if op == "fsqrt":
        return lanes_op(rd, "fp_sqrt", esize, 1, [f"q{rn}"])
    if op == "fcvt":
        return lanes_op(rd, "fp_convert", esize, 1, [f"q{rn}"], f["to"], osize=f["to"])
    return lanes_op(rd, "fp_round_int", esize, 1, [f"q{rn}"], ROUNDING[op[-1]], int(op == "frintx"))


DP2_CALLS = {"fmul": ("fp_mul",), "fdiv": ("fp_div",), "fadd": ("fp_add",), "fsub": ("fp_sub",),
             "fmax": ("fp_minmax", 1, 0), "fmin": ("fp_minmax", 0, 0), "fmaxnm": ("fp_minmax", 1, 1),
             "fminnm": ("fp_minmax", 0, 1), "fnmul": ("fp_mul",)}


def t_fp_dp2(f, insn):
    esize, op = f["esize"], f["op"]
    fn, *args = DP2_CALLS[op]
    post = f" ^ {sign_bit(esize):#x}" if op == "fnmul" else ""      # FPNeg of the product, NaN included
    return lanes_op(f["rd"], fn, esize, 1, [f"q{f['rn']}", f"q{f['rm']}"], *args, post=post)


def t_fp_dp3(f, insn):
    """fmadd a+n*m; fmsub a-n*m; fnmadd -a-n*m; fnmsub -a+n*m: operands negated bitwise (FPNeg) first."""
    esize = f["esize"]
    neg = f"{sign_bit(esize):#x}"
    addend = f"q{f['ra']} ^ {neg}" if f["o1"] else f"q{f['ra']}"
    mult = f"q{f['rn']} ^ {neg}" if f["o0"] != f["o1"] else f"q{f['rn']}"
    return lanes_op(f["rd"], "fp_muladd", esize, 1, [addend, mult, f"q{f['rm']}"])


def compare(esize: int, a: str, b: str, signal: int) -> list[str]:
    return [f"_tr = fp_compare({a} & {lane_mask(esize):#x}, {b} & {lane_mask(esize):#x}, {esize}, fpcr, {signal})"]


def nzcv_from(expr: str) -> list[str]:
    return [f"nf = {expr} >> 3", f"zf = {expr} >> 2 & 1", f"cf = {expr} >> 1 & 1", f"vf = {expr} & 1"]


def t_fp_cmp(f, insn):
    second = "0" if f["opc"] & 1 else f"q{f['rm']}"
    return compare(f["esize"], f"q{f['rn']}", second, f["opc"] >> 1) + nzcv_from("_tr[0]") + ["fpsr |= _tr[1]"]


def t_fp_ccmp(f, insn):
    cmp = compare(f["esize"], f"q{f['rn']}", f"q{f['rm']}", f["op"])[0].removeprefix("_tr = ")
    return [f"_tr = {cmp} if {COND_EXPR[f['cond']]} else ({f['nzcv']}, 0)"] + nzcv_from("_tr[0]") + ["fpsr |= _tr[1]"]


def t_fp_csel(f, insn):
    return [f"q{f['rd']} = (q{f['rn']} if {COND_EXPR[f['cond']]} else q{f['rm']}) & {lane_mask(f['esize']):#x}"]


def t_fp_imm(f, insn):
    return [f"q{f['rd']} = {f['value']:#x}"]


def t_fp_int(f, insn):
    op, rd, rn, sf = f["op"], f["rd"], f["rn"], f["sf"]
    if op == "fmov_top":                     # fmov x, v.d[1] / fmov v.d[1], x (the low half stays)
        if f["opcode"] == 6:
            return wr_reg(rd, f"q{rn} >> 64")
        return [f"q{rd} = (q{rd} & {lane_mask(64):#x}) | ({rd_reg(rn)} << 64)"]
    if op == "fmov":                         # bits move unchanged, zero-extended on both sides
        if f["opcode"] == 6:
            return wr_reg(rd, f"q{rn} & {lane_mask(f['esize']):#x}")
        return [f"q{rd} = {rd_reg(rn, sf)} & {lane_mask(f['esize']):#x}"]
    return t_fp_fixed(f, insn)


def t_fp_fixed(f, insn):
    op, rd, rn, sf, esize = f["op"], f["rd"], f["rn"], f["sf"], f["esize"]
    width = 64 if sf else 32
    if op.endswith("cvtf"):
        return [f"_tr = fixed_to_fp({rd_reg(rn, sf)}, {width}, {f['unsigned']}, {f['fbits']}, {esize}, fpcr)",
                f"q{rd} = _tr[0]", "fpsr |= _tr[1]"]
    call = (f"fp_to_fixed(q{rn} & {lane_mask(esize):#x}, {esize}, fpcr, {f['fbits']}, {width}, "
            f"{f['unsigned']}, {ROUNDING[f['round']]})")
    return [f"_tr = {call}"] + wr_reg(rd, "_tr[0]") + ["fpsr |= _tr[1]"]


FP_SEMANTICS: dict = {name[2:]: fn for name, fn in globals().items() if name.startswith("t_")}
