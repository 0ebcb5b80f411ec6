"""The aarch64 register array layout and its state variables.

Slot order: x0–x30, sp, pc, the four NZCV flags (one slot each, 0/1, so dead
flag stores can be dropped), fpcr, fpsr, tpidr (TPIDR_EL0), the exclusive
monitor (see semantics: address, value and size of the last load-exclusive;
size 0 = open), then q0–q31 as lo/hi u64 pairs.
"""

from __future__ import annotations

from machr.isa.base import StateVar

X0 = 0
SP_SLOT = 31
PC_SLOT = 32
FLAG_NAMES = ("nf", "zf", "cf", "vf")
NF_SLOT = 33                      # nf zf cf vf in 33..36
FPCR_SLOT = 37
FPSR_SLOT = 38
TPIDR_SLOT = 39
EXCL_SLOTS = {"excl_addr": 40, "excl_val": 41, "excl_size": 42}
Q0_SLOT = 43                      # q<i> lo at 43 + 2i, hi at 44 + 2i
NREGS = Q0_SLOT + 64


def _u64(name: str, slot: int) -> StateVar:
    return StateVar(name, f"R[{slot}]", f"R[{slot}] = {{v}}")


def _q(i: int) -> StateVar:
    lo = Q0_SLOT + 2 * i
    return StateVar(f"q{i}", f"(R[{lo}] | (R[{lo + 1}] << 64))",
                    f"R[{lo}] = {{v}} & 0xFFFFFFFFFFFFFFFF; R[{lo + 1}] = {{v}} >> 64")


def _build() -> dict[str, StateVar]:
    out = {f"x{i}": _u64(f"x{i}", X0 + i) for i in range(31)}
    out["sp"] = _u64("sp", SP_SLOT)
    for i, name in enumerate(FLAG_NAMES):
        out[name] = _u64(name, NF_SLOT + i)
    out["fpcr"] = _u64("fpcr", FPCR_SLOT)
    out["fpsr"] = _u64("fpsr", FPSR_SLOT)
    out["tpidr"] = _u64("tpidr", TPIDR_SLOT)
    for name, slot in EXCL_SLOTS.items():
        out[name] = _u64(name, slot)
    for i in range(32):
        out[f"q{i}"] = _q(i)
    return out


STATE_VARS: dict[str, StateVar] = _build()
FLAG_VARS = frozenset(FLAG_NAMES)
