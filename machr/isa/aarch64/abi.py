"""The kernel-facing aarch64 ABI: traps, thread states, exceptions, initial state.

Spec references: §2.1 trap convention, §7 host_info cpu type, §8 exception
codes, §9 thread-state flavours and layouts, §10.3 initial registers.
"""

from __future__ import annotations

from typing import Callable

from machr.isa.aarch64 import state as S
from machr.isa.aarch64.sysregs import FPCR_MASK, FPSR_MASK
from machr.machine import exits

CPU_TYPE = 0x0100000C          # CPU_TYPE_ARM64 (spec §7)
CPU_SUBTYPE = 0

ARM_THREAD_STATE64 = 6
ARM_EXCEPTION_STATE64 = 7
ARM_NEON_STATE64 = 17
THREAD_STATE_FLAVOR = ARM_THREAD_STATE64
STATE_FLAVORS: dict[int, int] = {ARM_THREAD_STATE64: 68, ARM_EXCEPTION_STATE64: 4, ARM_NEON_STATE64: 132}

EXC_BAD_ACCESS = 1
EXC_BAD_INSTRUCTION = 2
EXC_BREAKPOINT = 6
EXC_ARM_UNDEFINED = 1
EXC_ARM_BREAKPOINT = 1
EXC_ARM_DA_ALIGN = 0x101

TRAP_NUMBER_REG = 16           # x16 holds the trap number (spec §2.1)
ARG_REGS = 9                   # x0..x8 carry trap arguments 1..9
CALL_ARG_REGS = 8              # x0..x7 carry C arguments
M64 = (1 << 64) - 1


def trap_number(R) -> int:
    """x16's low 32 bits, signed (spec §2.1)."""
    n = int(R[S.X0 + TRAP_NUMBER_REG]) & 0xFFFFFFFF
    return n - (1 << 32) if n >> 31 else n


def trap_arg(R, i: int, read_u64: Callable[[int], int]) -> int:
    """Argument i (0-based) of a trap: x0..x8; memory is never needed on aarch64."""
    if not 0 <= i < ARG_REGS:
        raise IndexError(f"trap argument {i}")
    return int(R[S.X0 + i])


def set_trap_result(R, kr: int) -> None:
    """x0 = the 32-bit result sign-extended; NZCV kept (spec §2.1)."""
    kr &= 0xFFFFFFFF
    R[S.X0] = kr | (0xFFFFFFFF00000000 if kr >> 31 else 0)


def init_user_thread(R, entry: int, sp: int) -> None:
    """Spec §10.3: pc = entry, sp, every other register 0, NZCV 0, FPCR 0."""
    for i in range(S.NREGS):
        R[i] = 0
    R[S.PC_SLOT] = entry & M64
    R[S.SP_SLOT] = sp & M64


def get_pc(R) -> int:
    return int(R[S.PC_SLOT])


def set_pc(R, v: int) -> None:
    R[S.PC_SLOT] = v & M64


def get_sp(R) -> int:
    return int(R[S.SP_SLOT])


def set_sp(R, v: int) -> None:
    R[S.SP_SLOT] = v & M64


def set_arg(R, i: int, v: int) -> None:
    """C calling convention argument i (x0..x7)."""
    if not 0 <= i < CALL_ARG_REGS:
        raise IndexError(f"argument {i}")
    R[S.X0 + i] = v & M64


def _cpsr(R) -> int:
    return sum(int(R[S.NF_SLOT + i]) << (31 - i) for i in range(4))


def _u64_words(values) -> list[int]:
    out = []
    for v in values:
        out += [v & 0xFFFFFFFF, (v >> 32) & 0xFFFFFFFF]
    return out


def _words_u64(words: list[int], n: int) -> list[int]:
    return [(words[2 * i] & 0xFFFFFFFF) | (words[2 * i + 1] & 0xFFFFFFFF) << 32 for i in range(n)]


def get_thread_state(R, flavor: int) -> list[int] | None:
    """The flavor's u32 words (spec §9 layouts), None for an unknown flavor."""
    if flavor == ARM_THREAD_STATE64:
        regs = [int(R[S.X0 + i]) for i in range(31)] + [int(R[S.SP_SLOT]), int(R[S.PC_SLOT])]
        return _u64_words(regs) + [_cpsr(R), 0]
    if flavor == ARM_EXCEPTION_STATE64:
        return [0, 0, 0, 0]     # far, esr, exception: machr reports faults through exception messages
    if flavor == ARM_NEON_STATE64:
        vregs = [int(R[S.Q0_SLOT + i]) for i in range(64)]
        return _u64_words(vregs) + [int(R[S.FPSR_SLOT]) & 0xFFFFFFFF, int(R[S.FPCR_SLOT]) & 0xFFFFFFFF, 0, 0]
    return None


def set_thread_state(R, flavor: int, words: list[int]) -> bool:
    """Apply a flavor's words; False on an unknown flavor or a short count (spec §9).

    Only NZCV of cpsr is settable; the exception state is read-only (accepted, ignored).
    """
    count = STATE_FLAVORS.get(flavor)
    if count is None or len(words) < count:
        return False
    if flavor == ARM_THREAD_STATE64:
        regs = _words_u64(words, 33)
        for i in range(31):
            R[S.X0 + i] = regs[i]
        R[S.SP_SLOT], R[S.PC_SLOT] = regs[31], regs[32]
        cpsr = words[66]
        for i in range(4):
            R[S.NF_SLOT + i] = (cpsr >> (31 - i)) & 1
    elif flavor == ARM_NEON_STATE64:
        for i, v in enumerate(_words_u64(words, 64)):
            R[S.Q0_SLOT + i] = v
        R[S.FPSR_SLOT] = words[128] & FPSR_MASK
        R[S.FPCR_SLOT] = words[129] & FPCR_MASK
    return True


def exception_from_exit(exit: exits.Exit) -> tuple[int, int, int]:
    """(EXC type, code0, code1) for a non-memory exit (spec §8)."""
    if exit.reason == exits.EXIT_BREAKPOINT:
        return EXC_BREAKPOINT, EXC_ARM_BREAKPOINT, exit.pc
    if exit.reason == exits.EXIT_ALIGN:
        return EXC_BAD_ACCESS, EXC_ARM_DA_ALIGN, exit.addr
    if exit.reason == exits.EXIT_UNDEFINED:
        word = int.from_bytes(exit.insn_bytes[:4], "little") if len(exit.insn_bytes) >= 4 else exit.code
        return EXC_BAD_INSTRUCTION, EXC_ARM_UNDEFINED, word
    raise ValueError(f"no aarch64 exception for exit {exit.describe()}")
