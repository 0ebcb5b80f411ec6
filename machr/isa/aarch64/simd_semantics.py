"""Semantics of the FP and Advanced SIMD forms (see semantics.py for conventions).

Vector registers are the 128-bit state variables q0..q31; a scalar write of
an s/d register zeroes the rest of the vector register (ARM ARM V[] writes).
"""

from __future__ import annotations


def _gpr(n: int, sf) -> str:
    return "0" if n == 31 else (f"x{n}" if sf else f"(x{n} & 0xFFFFFFFF)")


def t_fp_dp1(f, insn):
    return [f"q{f['rd']} = q{f['rn']} & {(1 << f['bits']) - 1:#x}"]


def t_fp_imm(f, insn):
    return [f"q{f['rd']} = {f['value']:#x}"]


def t_fp_int(f, insn):
    sf, rd, rn = f["sf"], f["rd"], f["rn"]
    m = (1 << (64 if sf else 32)) - 1
    if f["opcode"] == 6:
        return [] if rd == 31 else [f"x{rd} = q{rn} & {m:#x}"]
    return [f"q{rd} = {_gpr(rn, sf)}"]


def t_simd_modimm(f, insn):
    return [f"q{f['rd']} = {f['imm']:#x}"]


SIMD_SEMANTICS: dict = {name[2:]: fn for name, fn in globals().items() if name.startswith("t_")}
