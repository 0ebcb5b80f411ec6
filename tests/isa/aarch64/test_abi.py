"""The kernel-facing ABI: trap convention, thread states, initial state, exceptions (spec §2.1, §8–§10)."""

from __future__ import annotations

import random
from array import array

from machr.isa.aarch64 import ISA
from machr.isa.aarch64 import abi
from machr.isa.aarch64 import state as S
from machr.machine.exits import EXIT_ALIGN, EXIT_BREAKPOINT, EXIT_UNDEFINED, Exit


def regs(seed: int = 0) -> array:
    rnd = random.Random(seed)
    R = array("Q", (rnd.getrandbits(64) for _ in range(S.NREGS)))
    for i in range(4):
        R[S.NF_SLOT + i] = rnd.getrandbits(1)
    return R


def test_layout_matches_isa():
    assert (ISA.nregs, ISA.pc_slot, ISA.max_insn_len) == (S.NREGS, S.PC_SLOT, 4)
    R = regs()
    for var in ISA.state_vars.values():         # every load expression reads, every store writes
        v = eval(var.load, {"R": R})
        exec(var.store.format(v=repr(v)), {"R": R})
    assert ISA.flag_vars == {"nf", "zf", "cf", "vf"}


def test_trap_number_is_signed_low_half_of_x16():
    R = regs()
    R[16] = 0xABCD_0000_FFFF_FFE7
    assert abi.trap_number(R) == -25
    R[16] = 5
    assert abi.trap_number(R) == 5


def test_trap_args_are_x0_to_x8():
    R = regs()
    assert [abi.trap_arg(R, i, None) for i in range(9)] == [R[i] for i in range(9)]


def test_trap_result_sign_extends_and_keeps_flags():
    R = regs()
    flags = list(R[S.NF_SLOT:S.NF_SLOT + 4])
    abi.set_trap_result(R, -3)
    assert R[0] == 0xFFFF_FFFF_FFFF_FFFD and list(R[S.NF_SLOT:S.NF_SLOT + 4]) == flags
    abi.set_trap_result(R, 0x10000003)
    assert R[0] == 0x10000003


def test_init_user_thread():
    R = regs()
    abi.init_user_thread(R, 0x400123, 0xFFFFFFFFE000)
    assert (abi.get_pc(R), abi.get_sp(R)) == (0x400123, 0xFFFFFFFFE000)
    others = [R[i] for i in range(S.NREGS) if i not in (S.PC_SLOT, S.SP_SLOT)]
    assert others == [0] * (S.NREGS - 2)                       # NZCV 0, FPCR 0 (spec §9)


def test_pc_sp_args():
    R = regs()
    abi.set_pc(R, 0x1234)
    abi.set_sp(R, 0x8000)
    for i in range(8):
        abi.set_arg(R, i, 100 + i)
    assert (abi.get_pc(R), abi.get_sp(R), list(R[0:8])) == (0x1234, 0x8000, list(range(100, 108)))


def test_thread_state_layout_and_round_trip():
    R = regs(1)
    words = abi.get_thread_state(R, abi.ARM_THREAD_STATE64)
    assert len(words) == abi.STATE_FLAVORS[abi.ARM_THREAD_STATE64] == 68
    assert words[0] | words[1] << 32 == R[0]
    assert words[62] | words[63] << 32 == R[S.SP_SLOT] and words[64] | words[65] << 32 == R[S.PC_SLOT]
    assert words[66] == sum(R[S.NF_SLOT + i] << (31 - i) for i in range(4)) and words[67] == 0
    R2 = regs(2)
    assert abi.set_thread_state(R2, abi.ARM_THREAD_STATE64, words)
    assert abi.get_thread_state(R2, abi.ARM_THREAD_STATE64) == words


def test_only_nzcv_of_cpsr_is_settable():
    R = regs()
    words = abi.get_thread_state(R, abi.ARM_THREAD_STATE64)
    words[66] = 0xFFFF_FFFF
    abi.set_thread_state(R, abi.ARM_THREAD_STATE64, words)
    assert abi.get_thread_state(R, abi.ARM_THREAD_STATE64)[66] == 0xF000_0000


def test_neon_state_round_trip_and_masks():
    R = regs(3)
    words = abi.get_thread_state(R, abi.ARM_NEON_STATE64)
    assert len(words) == 132
    q5 = R[S.Q0_SLOT + 10] | R[S.Q0_SLOT + 11] << 64
    assert sum(words[20 + i] << (32 * i) for i in range(4)) == q5
    words[128], words[129] = 0xFFFF_FFFF, 0xFFFF_FFFF
    R2 = regs(4)
    assert abi.set_thread_state(R2, abi.ARM_NEON_STATE64, words)
    got = abi.get_thread_state(R2, abi.ARM_NEON_STATE64)
    assert got[:128] == words[:128] and (got[128], got[129]) == (0xF800009F, 0x07FF9F00)


def test_bad_flavor_and_short_count():
    R = regs()
    assert abi.get_thread_state(R, 99) is None
    assert not abi.set_thread_state(R, 99, [0] * 200)
    assert not abi.set_thread_state(R, abi.ARM_THREAD_STATE64, [0] * 67)
    assert abi.THREAD_STATE_FLAVOR == abi.ARM_THREAD_STATE64 and (abi.CPU_TYPE, abi.CPU_SUBTYPE) == (0x0100000C, 0)


def test_exceptions_from_exits():
    assert abi.exception_from_exit(Exit(EXIT_BREAKPOINT, pc=0x4000, code=0x3E8)) == (6, 1, 0x4000)
    assert abi.exception_from_exit(Exit(EXIT_UNDEFINED, pc=0x4000, insn_bytes=b"\x00\x00\xad\xde")) == \
        (2, 1, 0xDEAD0000)
    assert abi.exception_from_exit(Exit(EXIT_ALIGN, pc=0x4000, addr=0x1003)) == (1, 0x101, 0x1003)
