"""Formatters (validity + capstone text) for the scalar floating-point forms.

Each records in the fields what its semantics need: ``esize`` (16/32/64 for
ftype 3/0/1) and the operation's name.  Half precision (FEAT_FP16) is
decoded like the others; ftype 2 is unallocated.
"""

from __future__ import annotations

import struct

from machr.isa.aarch64 import encoding as enc
from machr.isa.aarch64.text import CONDS, imm, reg
from machr.isa.base import DecodeError

FTYPE_SIZE = {0: 32, 1: 64, 3: 16}
SIZE_LETTER = {16: "h", 32: "s", 64: "d"}


def _undefined(f) -> DecodeError:
    return DecodeError(f"unallocated {f['word']:#010x}")


def fp_esize(f, key: str = "ftype") -> int:
    """Element size of the ftype field (recorded as f['esize']); DecodeError for ftype 2."""
    esize = FTYPE_SIZE.get(f[key])
    if esize is None:
        raise _undefined(f)
    f["esize"] = esize
    return esize


def freg(n: int, esize: int) -> str:
    return f"{SIZE_LETTER[esize]}{n}"


def fp_number(bits: int, esize: int) -> str:
    """An FP immediate as capstone prints it (eight decimals)."""
    fmt = {16: "<e", 32: "<f", 64: "<d"}[esize]
    return f"#{struct.unpack(fmt, bits.to_bytes(esize // 8, 'little'))[0]:.8f}"


# fp_dp1 opcode -> name; fcvt (4, 5, 7) picks the destination size
DP1 = {0: "fmov", 1: "fabs", 2: "fneg", 3: "fsqrt", 4: "fcvt", 5: "fcvt", 7: "fcvt",
       8: "frintn", 9: "frintp", 10: "frintm", 11: "frintz", 12: "frinta", 14: "frintx", 15: "frinti"}
FCVT_TO = {4: 32, 5: 64, 7: 16}


def fmt_fp_dp1(f, pc):
    esize, opcode = fp_esize(f), f["opcode"]
    name = DP1.get(opcode)
    if name is None or FCVT_TO.get(opcode) == esize:
        raise _undefined(f)
    f["op"] = name
    f["to"] = FCVT_TO.get(opcode, esize)
    return name, f"{freg(f['rd'], f['to'])}, {freg(f['rn'], esize)}", False


DP2 = ("fmul", "fdiv", "fadd", "fsub", "fmax", "fmin", "fmaxnm", "fminnm", "fnmul")


def fmt_fp_dp2(f, pc):
    esize = fp_esize(f)
    if f["opcode"] >= len(DP2):
        raise _undefined(f)
    f["op"] = DP2[f["opcode"]]
    return f["op"], ", ".join(freg(f[r], esize) for r in ("rd", "rn", "rm")), False


def fmt_fp_dp3(f, pc):
    esize = fp_esize(f)
    name = (("fmadd", "fmsub"), ("fnmadd", "fnmsub"))[f["o1"]][f["o0"]]
    return name, ", ".join(freg(f[r], esize) for r in ("rd", "rn", "rm", "ra")), False


def fmt_fp_cmp(f, pc):
    esize = fp_esize(f)
    name = "fcmpe" if f["opc"] & 2 else "fcmp"
    second = "#0.0" if f["opc"] & 1 else freg(f["rm"], esize)
    return name, f"{freg(f['rn'], esize)}, {second}", False


def fmt_fp_ccmp(f, pc):
    esize = fp_esize(f)
    return ("fccmpe" if f["op"] else "fccmp"), \
        f"{freg(f['rn'], esize)}, {freg(f['rm'], esize)}, {imm(f['nzcv'])}, {CONDS[f['cond']]}", False


def fmt_fp_csel(f, pc):
    esize = fp_esize(f)
    regs = ", ".join(freg(f[r], esize) for r in ("rd", "rn", "rm"))
    return "fcsel", f"{regs}, {CONDS[f['cond']]}", False


def fmt_fp_imm(f, pc):
    esize = fp_esize(f)
    if f["word"] >> 5 & 0x1F:                    # imm5 must be zero
        raise _undefined(f)
    f["value"] = enc.vfp_expand_imm(f["imm8"], esize)
    return "fmov", f"{freg(f['rd'], esize)}, {fp_number(f['value'], esize)}", False


# fp_int: (rmode, opcode) -> name; the conversions record their rounding ('n' 'p' 'm' 'z' 'a')
CVT_NAMES = {(0, 0): "fcvtns", (0, 1): "fcvtnu", (0, 4): "fcvtas", (0, 5): "fcvtau",
             (1, 0): "fcvtps", (1, 1): "fcvtpu", (2, 0): "fcvtms", (2, 1): "fcvtmu",
             (3, 0): "fcvtzs", (3, 1): "fcvtzu", (0, 2): "scvtf", (0, 3): "ucvtf"}


def fmt_fp_int(f, pc):
    sf, rmode, opcode = f["sf"], f["rmode"], f["opcode"]
    if f["ftype"] == 2 and sf and rmode == 1 and opcode in (6, 7):      # fmov to/from the top half
        f["esize"], f["op"] = 64, "fmov_top"
        if opcode == 6:
            return "fmov", f"{reg(f['rd'])}, v{f['rn']}.d[1]", False
        return "fmov", f"v{f['rd']}.d[1], {reg(f['rn'])}", False
    esize = fp_esize(f)
    if opcode in (6, 7):
        if rmode or (esize == 64) != bool(sf) and esize != 16:
            raise _undefined(f)
        f["op"] = "fmov"
        if opcode == 6:
            return "fmov", f"{reg(f['rd'], sf)}, {freg(f['rn'], esize)}", False
        return "fmov", f"{freg(f['rd'], esize)}, {reg(f['rn'], sf)}", False
    name = CVT_NAMES.get((rmode, opcode))
    if name is None:
        raise _undefined(f)
    return _conversion(f, name, 0)


def fmt_fp_fixed(f, pc):
    sf, scale = f["sf"], f["scale"]
    name = {(0, 2): "scvtf", (0, 3): "ucvtf", (3, 0): "fcvtzs", (3, 1): "fcvtzu"}.get((f["rmode"], f["opcode"]))
    if name is None or (not sf and scale < 32):
        raise _undefined(f)
    fp_esize(f)
    return _conversion(f, name, 64 - scale)


def _conversion(f, name: str, fbits: int):
    """Text and fields of scvtf/ucvtf (GPR → FP) and fcvt<r><s|u> (FP → GPR)."""
    f.update(op=name, fbits=fbits, unsigned=int(name[-1] == "u" or name == "ucvtf"))
    esize, sf = f["esize"], f["sf"]
    tail = f", {imm(fbits)}" if fbits else ""
    if name.endswith("cvtf"):
        return name, f"{freg(f['rd'], esize)}, {reg(f['rn'], sf)}{tail}", False
    f["round"] = name[4]
    return name, f"{reg(f['rd'], sf)}, {freg(f['rn'], esize)}{tail}", False


FP_FORMATTERS: dict = {name[4:]: fn for name, fn in globals().items() if name.startswith("fmt_")}
