"""The kernel-facing x86-64 ABI (spec §2.1, §8, §9, §10.3)."""

from __future__ import annotations

from array import array

import pytest

from machr.isa.x86_64 import ISA, abi
from machr.isa.x86_64.state import FCW_SLOT, MXCSR_SLOT, NREGS, PC_SLOT, XMM_SLOT, rflags
from machr.machine.exits import (EXIT_ARITH, EXIT_BREAKPOINT, EXIT_GP, EXIT_UNDEFINED, EXIT_PAGE_FAULT,
                                 Exit, MemFault)


def regs() -> array:
    return array("Q", [0] * NREGS)


def test_isa_object_is_consistent():
    assert ISA.nregs == NREGS and ISA.pc_slot == PC_SLOT and ISA.max_insn_len == 15
    assert set(ISA.flag_vars) == {"cf", "pf", "af", "zf", "sf", "of", "df"}
    assert {"rax", "r15", "fs_base", "gs_base", "xmm15", "mxcsr", "fcw"} <= set(ISA.state_vars)


def test_xmm_state_var_loads_and_stores_128_bits():
    R = regs()
    var = ISA.state_vars["xmm3"]
    v = (0x0123456789ABCDEF << 64) | 0xFEDCBA9876543210
    exec(var.store.format(v="v"), {"R": R, "v": v})
    assert (R[XMM_SLOT + 6], R[XMM_SLOT + 7]) == (0xFEDCBA9876543210, 0x0123456789ABCDEF)
    assert eval(var.load, {"R": R}) == v


def test_init_user_thread():
    R = regs()
    for i in range(NREGS):
        R[i] = 0x55
    abi.init_user_thread(R, 0x401000, 0x7FFFFFFFE000)
    assert abi.get_pc(R) == 0x401000 and abi.get_sp(R) == 0x7FFFFFFFE000
    assert rflags(R) == 0x202
    assert (R[FCW_SLOT], R[MXCSR_SLOT]) == (0x037F, 0x1F80)
    assert [R[i] for i in range(16) if i != 4] == [0] * 15


def test_trap_number_args_and_result():
    R = regs()
    R[0] = 0xFFFFFFFFFFFFFFE7
    for slot, v in zip((7, 6, 2, 10, 8, 9), range(1, 7), strict=True):
        R[slot] = v
    R[4] = 0x1000
    stack = {0x1008: 70, 0x1010: 80, 0x1018: 90}
    assert abi.trap_number(R) == -25
    assert [abi.trap_arg(R, i, stack.__getitem__) for i in range(9)] == [1, 2, 3, 4, 5, 6, 70, 80, 90]

    def unreadable(addr):
        raise MemFault(addr, 1)

    with pytest.raises(MemFault):
        abi.trap_arg(R, 6, unreadable)
    abi.set_trap_result(R, -301)
    assert R[0] == (1 << 64) - 301
    abi.set_trap_result(R, 0x10000003)
    assert R[0] == 0x10000003


def test_thread_state_round_trip():
    R = regs()
    for i in range(16):
        R[i] = 0x1111111111111111 * (i + 1) & (1 << 64) - 1
    abi.set_pc(R, 0x401234)
    R[24], R[25] = 0x7000, 0x8000
    words = abi.get_thread_state(R, abi.x86_THREAD_STATE64)
    assert len(words) == 42
    assert words[0] | words[1] << 32 == R[0]           # rax first
    assert words[2] | words[3] << 32 == R[3]           # then rbx
    assert words[36] | words[37] << 32 == 0x2B         # cs
    R2 = regs()
    assert abi.set_thread_state(R2, abi.x86_THREAD_STATE64, words)
    assert list(R2) == list(R)


def test_thread_state_settable_bits_and_errors():
    R = regs()
    words = [0] * 42
    words[34] = 0xFFFFFFFF                             # rflags: only CF PF AF ZF SF TF DF OF stick
    assert abi.set_thread_state(R, abi.x86_THREAD_STATE64, words)
    assert rflags(R) == 0x202 | 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800
    assert not abi.set_thread_state(R, abi.x86_THREAD_STATE64, words[:41])
    assert not abi.set_thread_state(R, 99, words)
    assert abi.get_thread_state(R, 99) is None


def test_float_state_round_trip():
    R = regs()
    abi.init_user_thread(R, 0, 0)
    R[XMM_SLOT + 4], R[XMM_SLOT + 5] = 0x1234, 0x5678            # xmm2
    words = abi.get_thread_state(R, abi.x86_FLOAT_STATE64)
    assert len(words) == 131
    assert words[2] & 0xFFFF == 0x037F                            # fcw @8
    assert words[8] == 0x1F80                                     # mxcsr @32
    assert (words[(8 + 160 + 32) // 4], words[(8 + 160 + 40) // 4]) == (0x1234, 0x5678)
    R2 = regs()
    assert abi.set_thread_state(R2, abi.x86_FLOAT_STATE64, words)
    assert list(R2) == list(R)


@pytest.mark.parametrize("reason, expected", [
    (EXIT_UNDEFINED, (2, 1, 0)), (EXIT_BREAKPOINT, (6, 2, 0)), (EXIT_ARITH, (3, 1, 0)), (EXIT_GP, (1, 13, 0x10))])
def test_exception_from_exit(reason, expected):
    assert abi.exception_from_exit(Exit(reason, code=0x10)) == expected


def test_exception_from_exit_rejects_kernel_exits():
    with pytest.raises(ValueError):
        abi.exception_from_exit(Exit(EXIT_PAGE_FAULT))
