"""Operand access and flag rules as statement text, shared by every semantic form.

`Emit` collects the statements of one instruction.  Reads return expressions
(registers, constants, or a temporary holding a load); writes append the
assignment that merges a partial register or stores to memory.  The ordering
rule of `machr.isa.base` (every load and store before any state variable is
assigned) is kept by the forms: they read, compute into temporaries, then
store memory, then assign registers, then flags.
"""

from __future__ import annotations

from machr.isa.base import Insn
from machr.isa.x86_64.operands import RIP, RIZ, mask
from machr.isa.x86_64.state import GPRS

M64 = 0xFFFFFFFFFFFFFFFF
M128 = (1 << 128) - 1

# Condition codes 0..15 (SDM "EFLAGS condition codes") as 0/1 expressions.
_CONDITIONS = ("of", "of ^ 1", "cf", "cf ^ 1", "zf", "zf ^ 1", "(cf | zf)", "(cf | zf) ^ 1",
               "sf", "sf ^ 1", "pf", "pf ^ 1", "(sf ^ of)", "(sf ^ of) ^ 1",
               "(zf | (sf ^ of))", "(zf | (sf ^ of)) ^ 1")


def condition(cc: int) -> str:
    return _CONDITIONS[cc]


def sext(expr: str, bits: int) -> str:
    """Signed value of an unsigned `bits`-wide expression (a Python int, may be negative)."""
    s = 1 << (bits - 1)
    return f"(({expr} ^ {s:#x}) - {s:#x})"


class Emit:
    """The statements of one instruction, with temporaries and its memory address."""

    def __init__(self, insn: Insn):
        self.insn = insn
        self.ops: tuple = insn.fields["ops"]
        self.osz: int = insn.fields["osz"]
        self.out: list[str] = []
        self._n = 0
        self._ea: str | None = None

    def __call__(self, stmt: str) -> None:
        self.out.append(stmt)

    def let(self, expr: str) -> str:
        """A fresh temporary holding `expr`."""
        t = f"_t{self._n}"
        self._n += 1
        self.out.append(f"{t} = {expr}")
        return t

    # -- memory -----------------------------------------------------------------
    def address(self, op: tuple, segment: bool = True) -> str:
        """The effective address of memory operand `op` (a name or constant, computed once)."""
        if self._ea is None:
            self._ea = self._address(op, segment)
        return self._ea

    def _address(self, op: tuple, segment: bool) -> str:
        _, _, base, index, scale, disp, seg = op
        amask = 0xFFFFFFFF if self.insn.fields["a32"] else M64
        regs = []
        if base == RIP:
            disp += self.insn.pc + self.insn.length
        elif base >= 0:
            regs.append(GPRS[base])
        if index >= 0 and index != RIZ:
            regs.append(GPRS[index] if scale == 1 else f"{GPRS[index]} * {scale}")
        if not regs:
            expr = hex(disp & amask)
        elif len(regs) == 1 and not disp and amask == M64:
            expr = regs[0]
        else:
            offset = f" + {disp:#x}" if disp > 0 else f" - {-disp:#x}" if disp < 0 else ""
            expr = f"({' + '.join(regs)}{offset}) & {amask:#x}"
        if segment and seg in ("fs", "gs"):
            expr = f"(({expr}) + {seg}_base) & {M64:#x}"
        return expr if expr.isidentifier() or expr.startswith("0x") or expr == "0" else self.let(expr)

    # -- operands ---------------------------------------------------------------
    def read(self, op: tuple) -> str:
        kind = op[0]
        if kind == "r":
            return GPRS[op[1]] if op[2] == 64 else f"({GPRS[op[1]]} & {mask(op[2]):#x})"
        if kind == "h":
            return f"(({GPRS[op[1]]} >> 8) & 0xFF)"
        if kind == "i":
            return hex(op[1])
        if kind == "x":
            return f"xmm{op[1]}"
        return self.let(f"ld{op[1]}({self.address(op)})")

    def write(self, op: tuple, value: str) -> None:
        """Assign `value` (already masked to the operand's width) to `op`."""
        kind = op[0]
        if kind == "m":
            self(f"st{op[1]}({self.address(op)}, {value})")
        elif kind == "x":
            self(f"xmm{op[1]} = {value}")
        elif kind == "h":
            r = GPRS[op[1]]
            self(f"{r} = ({r} & 0xFFFFFFFFFFFF00FF) | (({value}) << 8)")
        elif op[2] >= 32:                      # 32-bit writes zero-extend (SDM 3.4.1.1)
            self(f"{GPRS[op[1]]} = {value}")
        else:
            r = GPRS[op[1]]
            self(f"{r} = ({r} & {M64 ^ mask(op[2]):#x}) | ({value})")

    def bits(self, op: tuple) -> int:
        """Width of a general operand."""
        return op[1] if op[0] == "m" else 8 if op[0] == "h" else op[2]

    # -- flags (SDM appendix A "EFLAGS cross-reference") ------------------------------
    def szp(self, r: str, bits: int) -> None:
        self(f"zf = int({r} == 0)")
        self(f"sf = {r} >> {bits - 1}")
        self(f"pf = _PARITY[{r} & 0xFF]")

    def flags_add(self, a: str, b: str, r: str, bits: int, carry_in: bool = False, cf: bool = True) -> None:
        if cf:
            self(f"cf = int({r} < {a} or (cf == 1 and {r} == {a}))" if carry_in else f"cf = int({r} < {a})")
        self(f"of = ((({a} ^ {r}) & ({b} ^ {r})) >> {bits - 1}) & 1")
        self(f"af = (({a} ^ {b} ^ {r}) >> 4) & 1")
        self.szp(r, bits)

    def flags_sub(self, a: str, b: str, r: str, bits: int, borrow_in: bool = False, cf: bool = True) -> None:
        if cf:
            self(f"cf = int({a} < {b} or (cf == 1 and {a} == {b}))" if borrow_in else f"cf = int({a} < {b})")
        self(f"of = ((({a} ^ {b}) & ({a} ^ {r})) >> {bits - 1}) & 1")
        self(f"af = (({a} ^ {b} ^ {r}) >> 4) & 1")
        self.szp(r, bits)

    def flags_logic(self, r: str, bits: int) -> None:
        self("cf = 0")
        self("of = 0")
        self("af = 0")     # architecturally undefined; 0 as current hardware and QEMU
        self.szp(r, bits)

    def flags_if(self, counted: str, flag: str, expr: str) -> None:
        """Set `flag` to `expr` unless the runtime count `counted` is 0 (flags then unaffected)."""
        self(f"{flag} = {expr} if {counted} else {flag}")
