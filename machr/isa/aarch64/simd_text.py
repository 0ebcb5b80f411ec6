"""Formatters (validity + capstone text) for the FP and Advanced SIMD forms.

Implemented so far: the bit-exact moves gcc uses for copies and clears
(fmov register / immediate / general register / vector immediate, movi / mvni).  The other FP
and SIMD forms of the encoding table raise DecodeError (UNDEFINED) until
their semantics exist.
"""

from __future__ import annotations

import struct

from machr.isa.aarch64 import encoding as enc
from machr.isa.aarch64.text import imm, reg
from machr.isa.base import DecodeError

FP_REG = {0: "s", 1: "d"}           # ftype → scalar register letter (half precision not implemented)


def _undefined(f) -> DecodeError:
    return DecodeError(f"not implemented {f['word']:#010x}")


def fmt_fp_dp1(f, pc):
    if f["opcode"] != 0 or f["ftype"] not in FP_REG:
        raise _undefined(f)
    r = FP_REG[f["ftype"]]
    f["bits"] = 32 << f["ftype"]
    return "fmov", f"{r}{f['rd']}, {r}{f['rn']}", False


def fmt_fp_imm(f, pc):
    if f["ftype"] not in FP_REG:
        raise _undefined(f)
    bits = enc.vfp_expand_imm(f["imm8"], f["ftype"])
    f["value"] = bits
    value = struct.unpack("<d", bits.to_bytes(8, "little"))[0] if f["ftype"] else \
        struct.unpack("<f", bits.to_bytes(4, "little"))[0]
    return "fmov", f"{FP_REG[f['ftype']]}{f['rd']}, #{value:.8f}", False


def fmt_fp_int(f, pc):
    sf, ftype, rmode, opcode = f["sf"], f["ftype"], f["rmode"], f["opcode"]
    if rmode != 0 or opcode not in (6, 7) or ftype not in FP_REG or sf != ftype:
        raise _undefined(f)
    r = FP_REG[ftype]
    if opcode == 6:
        return "fmov", f"{reg(f['rd'], sf)}, {r}{f['rn']}", False
    return "fmov", f"{r}{f['rd']}, {reg(f['rn'], sf)}", False


def fmt_simd_modimm(f, pc):
    q, op, cmode = f["q"], f["op"], f["cmode"]
    imm8 = f["abc"] << 5 | f["defgh"]
    if cmode == 14 and op == 1:
        f["imm"] = enc.simd_expand_imm(op, cmode, imm8)
        f["imm"] |= f["imm"] << 64 if q else 0
        low = f["imm"] & enc.MASK64
        # capstone's spelling: zero as 16 digits, else byte pairs with only a zero top byte dropped
        shown = f"#0x{low:0{16 if low >> 56 else 14}x}" if low else "#0000000000000000"
        return "movi", (f"v{f['rd']}.2d, {shown}" if q else f"d{f['rd']}, {shown}"), False
    if cmode == 14 and op == 0:
        f["imm"] = imm8 * int("01" * (16 if q else 8), 16)
        return "movi", f"v{f['rd']}.{16 if q else 8}b, {imm(imm8)}", False
    if cmode == 15 and (op == 0 or q):                  # fmov vector, immediate
        value = enc.simd_expand_imm(op, cmode, imm8)
        f["imm"] = value | (value << 64 if q else 0)
        lanes = f"{2 if op else (4 if q else 2)}{'d' if op else 's'}"
        scalar = enc.vfp_expand_imm(imm8, op)
        number = struct.unpack("<d" if op else "<f", scalar.to_bytes(8 if op else 4, "little"))[0]
        return "fmov", f"v{f['rd']}.{lanes}, #{number:.8f}", False
    if cmode & 9 == 0:                                  # 32-bit lanes, shifted: movi / mvni
        value = enc.simd_expand_imm(0, cmode, imm8)
        if op:
            value ^= enc.MASK64
        f["imm"] = value | (value << 64 if q else 0)
        shift = 8 * (cmode >> 1)
        text = f"v{f['rd']}.{4 if q else 2}s, {imm(imm8)}" + (f", lsl #{shift}" if shift else "")
        return ("mvni" if op else "movi"), text, False
    raise _undefined(f)


SIMD_FORMATTERS: dict = {name[4:]: fn for name, fn in globals().items() if name.startswith("fmt_")}
