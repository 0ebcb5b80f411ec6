"""Expression text the semantics modules share: register reads/writes, sign extension, conditions."""

from __future__ import annotations

from machr.isa.aarch64 import encoding as enc
from machr.isa.aarch64.text import CONDS

M64 = enc.MASK64
SP = 32


def mask(sf) -> int:
    return M64 if sf else 0xFFFFFFFF


def width(sf) -> int:
    return 64 if sf else 32


def rd_reg(n: int, sf=1) -> str:
    """Expression reading register n at 64 or 32 bits."""
    if n == 31:
        return "0"
    name = "sp" if n == SP else f"x{n}"
    return name if sf else f"({name} & 0xFFFFFFFF)"


def wr_reg(n: int, expr: str, sf=1) -> list[str]:
    """Statement(s) writing `expr` (any int) to register n, masked to the width (32-bit zero-extends)."""
    if n == 31:
        return []
    return [f"{'sp' if n == SP else f'x{n}'} = ({expr}) & {mask(sf):#x}"]


def wr_result(n: int) -> list[str]:
    """`wr_reg` of `_tr`, an operation's result already within its width (32-bit: zero-extended as it is)."""
    if n == 31:
        return []
    return [f"{'sp' if n == SP else f'x{n}'} = _tr"]


def sext(expr: str, bits: int) -> str:
    """Signed value of a `bits`-bit unsigned expression."""
    half = 1 << (bits - 1)
    return f"((({expr}) ^ {half:#x}) - {half:#x})"


COND_EXPR = (
    "zf == 1", "zf == 0", "cf == 1", "cf == 0", "nf == 1", "nf == 0", "vf == 1", "vf == 0",
    "(cf == 1 and zf == 0)", "(cf == 0 or zf == 1)", "nf == vf", "nf != vf",
    "(zf == 0 and nf == vf)", "(zf == 1 or nf != vf)", "True", "True",
)
assert len(COND_EXPR) == len(CONDS)
