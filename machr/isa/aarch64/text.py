"""Capstone-style operand text shared by the integer and SIMD formatters."""

from __future__ import annotations

CONDS = ("eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv")
SHIFTS = ("lsl", "lsr", "asr", "ror")


def reg(n: int, sf: int | bool = 1) -> str:
    """General register n (31 = zero register, 32 = stack pointer) at 64 or 32 bits."""
    if n == 32:
        return "sp" if sf else "wsp"
    if n == 31:
        return "xzr" if sf else "wzr"
    return f"{'x' if sf else 'w'}{n}"


def imm(v: int) -> str:
    """An immediate as capstone prints it: decimal up to 9, hex beyond, sign in front."""
    if v < 0:
        return f"#-{-v:#x}" if v < -9 else f"#-{-v}"
    return f"#{v:#x}" if v > 9 else f"#{v}"


def mem(rn: int, offset: int) -> str:
    """`[xn]` or `[xn, #off]` (the caller appends `!` for pre-index)."""
    return f"[{reg(rn)}, {imm(offset)}]" if offset else f"[{reg(rn)}]"


def shift_text(shift: int, amount: int) -> str:
    """`, lsl #3` for a shifted register operand, empty for lsl #0."""
    if shift == 0 and amount == 0:
        return ""
    return f", {SHIFTS[shift]} #{amount}"
