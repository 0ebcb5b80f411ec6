"""The kernel-facing x86-64 ABI: trap convention, thread states, exceptions (spec §2.1, §8, §9, §10.3)."""

from __future__ import annotations

import struct

from machr.isa.x86_64.state import (FCW_SLOT, FLAG_BITS, FS_BASE_SLOT, GS_BASE_SLOT, MXCSR_SLOT, PC_SLOT,
                                    XMM_SLOT, rflags, set_rflags)
from machr.machine.exits import (EXIT_ARITH, EXIT_BREAKPOINT, EXIT_GP, EXIT_UNDEFINED, Exit)

CPU_TYPE = 0x01000007            # spec §7 host_info: CPU_TYPE_X86_64
CPU_SUBTYPE = 3                  # CPU_SUBTYPE_X86_64_ALL

x86_THREAD_STATE64 = 4
x86_FLOAT_STATE64 = 5
x86_EXCEPTION_STATE64 = 6
THREAD_STATE_FLAVOR = x86_THREAD_STATE64
STATE_FLAVORS: dict[int, int] = {x86_THREAD_STATE64: 42, x86_FLOAT_STATE64: 131, x86_EXCEPTION_STATE64: 4}

# spec §8 exception types and codes
EXC_BAD_ACCESS, EXC_BAD_INSTRUCTION, EXC_ARITHMETIC, EXC_BREAKPOINT = 1, 2, 3, 6
EXC_I386_INVOP, EXC_I386_DIV, EXC_I386_BPT, EXC_I386_GPFLT = 1, 1, 2, 13

INITIAL_FCW = 0x037F
INITIAL_MXCSR = 0x1F80
USER_CS = 0x2B                   # spec §9: cs reads 0x2B
_RFLAGS_SETTABLE = sum(1 << b for b in FLAG_BITS.values()) | 1 << 8     # CF PF AF ZF SF TF DF OF
_M64 = 0xFFFFFFFFFFFFFFFF

_ARG_REGS = (7, 6, 2, 10, 8, 9)            # trap args 1-6: rdi rsi rdx r10 r8 r9 (spec §2.1)
_CALL_ARG_REGS = (7, 6, 2, 1, 8, 9)        # SysV C arguments: rdi rsi rdx rcx r8 r9
# x86_THREAD_STATE64 order (spec §9): rax rbx rcx rdx rdi rsi rbp rsp r8-r15 rip rflags cs fs gs
_THREAD_STATE_REGS = (0, 3, 1, 2, 7, 6, 5, 4) + tuple(range(8, 16))


def trap_number(R) -> int:
    """rax as a signed 64-bit number (spec §2.1)."""
    v = R[0]
    return v - (1 << 64) if v >> 63 else v


def trap_arg(R, i: int, read_u64) -> int:
    """Argument i (0-based) of a trap: 6 registers, then [rsp+8], [rsp+16], [rsp+24] (may raise MemFault)."""
    if i < 6:
        return R[_ARG_REGS[i]]
    return read_u64((R[4] + 8 * (i - 5)) & _M64)


def set_trap_result(R, kr: int) -> None:
    """rax = the 32-bit result sign-extended."""
    kr &= 0xFFFFFFFF
    R[0] = kr | (0xFFFFFFFF00000000 if kr >> 31 else 0)


def init_user_thread(R, entry: int, sp: int) -> None:
    """spec §10.3: everything 0 but pc, sp, rflags 0x202, FCW 0x037F, MXCSR 0x1F80."""
    for i in range(len(R)):
        R[i] = 0
    R[PC_SLOT] = entry
    R[4] = sp
    R[FCW_SLOT] = INITIAL_FCW
    R[MXCSR_SLOT] = INITIAL_MXCSR


def get_pc(R) -> int:
    return R[PC_SLOT]


def set_pc(R, v: int) -> None:
    R[PC_SLOT] = v & _M64


def get_sp(R) -> int:
    return R[4]


def set_sp(R, v: int) -> None:
    R[4] = v & _M64


def set_arg(R, i: int, v: int) -> None:
    """C argument i (0-based) of a function a thread starts in."""
    R[_CALL_ARG_REGS[i]] = v & _M64


def _u64_words(values: list[int]) -> list[int]:
    return [w for v in values for w in (v & 0xFFFFFFFF, v >> 32)]


def _fxsave_image(R) -> bytes:
    """The 524-byte x86_FLOAT_STATE64 (spec §9): u32[2] reserved, the FXSAVE image, u32 reserved."""
    img = bytearray(524)
    struct.pack_into("<H", img, 8, R[FCW_SLOT])
    struct.pack_into("<II", img, 8 + 24, R[MXCSR_SLOT], 0xFFFF)     # mxcsr, mxcsr_mask
    for n in range(16):
        struct.pack_into("<QQ", img, 8 + 160 + 16 * n, R[XMM_SLOT + 2 * n], R[XMM_SLOT + 2 * n + 1])
    return bytes(img)


def get_thread_state(R, flavor: int) -> list[int] | None:
    """The state of `flavor` as u32 words, or None for a flavor this architecture lacks."""
    if flavor == x86_THREAD_STATE64:
        regs = [R[i] for i in _THREAD_STATE_REGS]
        return _u64_words(regs + [R[PC_SLOT], rflags(R), USER_CS, R[FS_BASE_SLOT], R[GS_BASE_SLOT]])
    if flavor == x86_FLOAT_STATE64:
        return list(struct.unpack("<131I", _fxsave_image(R)))
    if flavor == x86_EXCEPTION_STATE64:
        return [0, 0, 0, 0]
    return None


def set_thread_state(R, flavor: int, words: list[int]) -> bool:
    """Apply a state (False for an unknown flavor or too few words); only settable bits change."""
    count = STATE_FLAVORS.get(flavor)
    if count is None or len(words) < count:
        return False
    if flavor == x86_THREAD_STATE64:
        v = [words[2 * i] | words[2 * i + 1] << 32 for i in range(21)]
        for i, reg in enumerate(_THREAD_STATE_REGS):
            R[reg] = v[i]
        R[PC_SLOT] = v[16]
        set_rflags(R, v[17] & _RFLAGS_SETTABLE)
        R[FS_BASE_SLOT], R[GS_BASE_SLOT] = v[19], v[20]          # v[18] = cs: ignored (spec §9)
    elif flavor == x86_FLOAT_STATE64:
        img = struct.pack("<131I", *(w & 0xFFFFFFFF for w in words[:131]))
        R[FCW_SLOT] = struct.unpack_from("<H", img, 8)[0]
        R[MXCSR_SLOT] = struct.unpack_from("<I", img, 8 + 24)[0] & 0xFFFF
        for n in range(16):
            R[XMM_SLOT + 2 * n], R[XMM_SLOT + 2 * n + 1] = struct.unpack_from("<QQ", img, 8 + 160 + 16 * n)
    return True


def exception_from_exit(exit: Exit) -> tuple[int, int, int]:
    """(EXC_type, code0, code1) for an exit the CPU raised (spec §8; page faults are the kernel's)."""
    if exit.reason == EXIT_UNDEFINED:
        return EXC_BAD_INSTRUCTION, EXC_I386_INVOP, 0
    if exit.reason == EXIT_BREAKPOINT:
        return EXC_BREAKPOINT, EXC_I386_BPT, 0
    if exit.reason == EXIT_ARITH:
        return EXC_ARITHMETIC, EXC_I386_DIV, 0
    if exit.reason == EXIT_GP:
        return EXC_BAD_ACCESS, EXC_I386_GPFLT, exit.code
    raise ValueError(f"exit reason {exit.reason} is not an x86_64 CPU exception")
