"""The x86-64 register array: which u64 slot of R holds which state variable.

Layout (NREGS = 60): 0–15 rax…r15 in encoding order, 16 rip, 17–23 the flags
cf pf af zf sf of df (0/1 each, so dead flag writes can be dropped), 24/25
fs_base/gs_base, 26 mxcsr, 27 fcw (x87 control word, kept only for thread
state), 28–59 xmm0…xmm15 as lo/hi u64 pairs (loaded as one 128-bit int).
"""

from __future__ import annotations

from machr.isa.base import StateVar
from machr.isa.x86_64.operands import REG_NAMES

GPRS = REG_NAMES[64]
FLAGS = ("cf", "pf", "af", "zf", "sf", "of", "df")
FLAG_BITS = {"cf": 0, "pf": 2, "af": 4, "zf": 6, "sf": 7, "df": 10, "of": 11}   # positions in rflags

PC_SLOT = 16
FLAG_SLOT = {f: 17 + i for i, f in enumerate(FLAGS)}
FS_BASE_SLOT, GS_BASE_SLOT, MXCSR_SLOT, FCW_SLOT = 24, 25, 26, 27
XMM_SLOT = 28                       # xmm n: lo at XMM_SLOT + 2n, hi at XMM_SLOT + 2n + 1
NREGS = XMM_SLOT + 32


def _scalar(name: str, slot: int) -> StateVar:
    return StateVar(name, f"R[{slot}]", f"R[{slot}] = {{v}}")


def _xmm(n: int) -> StateVar:
    lo = XMM_SLOT + 2 * n
    return StateVar(f"xmm{n}", f"(R[{lo}] | R[{lo + 1}] << 64)",
                    f"R[{lo}] = {{v}} & 0xFFFFFFFFFFFFFFFF; R[{lo + 1}] = {{v}} >> 64")


STATE_VARS: dict[str, StateVar] = {
    **{name: _scalar(name, i) for i, name in enumerate(GPRS)},
    **{f: _scalar(f, slot) for f, slot in FLAG_SLOT.items()},
    "fs_base": _scalar("fs_base", FS_BASE_SLOT),
    "gs_base": _scalar("gs_base", GS_BASE_SLOT),
    "mxcsr": _scalar("mxcsr", MXCSR_SLOT),
    "fcw": _scalar("fcw", FCW_SLOT),
    **{f"xmm{n}": _xmm(n) for n in range(16)},
}
FLAG_VARS = frozenset(FLAGS)


def rflags(R) -> int:
    """The rflags image of the flag slots (bit 1 always set, IF set: user mode)."""
    return 0x202 | sum(R[FLAG_SLOT[f]] << bit for f, bit in FLAG_BITS.items())


def set_rflags(R, value: int) -> None:
    """Store the settable flags (CF PF AF ZF SF DF OF) of an rflags image."""
    for f, bit in FLAG_BITS.items():
        R[FLAG_SLOT[f]] = value >> bit & 1
