"""Exits in the middle of a translated block leave exactly the interpreter's state."""

import pytest

from machr.isa.aarch64 import ISA as ARM
from machr.isa.x86_64 import ISA as X86
from machr.machine.exits import ACCESS_READ, EXIT_PAGE_FAULT, EXIT_UNDEFINED
from tests.jit.machine import CODE, DATA, bare_engine

# Flag-setting arithmetic, then a faulting access to an unmapped page, then more writes.
# FAULT_AT is the offset of the faulting instruction.
PROGRAMS = {
    "x86_64": (X86, bytes.fromhex(
        "4801d8"          # add rax, rbx      (sets every flag)
        "4883e103"        # and rcx, 3        (sets every flag)
        "01042500007000"  # add [0x700000], eax  (sets flags itself; unmapped: faults)
        "4831c0"          # xor rax, rax
        "c3"), 7, {"rax": 0xFFFFFFFFFFFFFFFF, "rbx": 2, "rcx": 0x7F, "rsp": DATA + 0x800}),
    "aarch64": (ARM, bytes.fromhex(
        "000001ab"        # adds x0, x0, x1
        "21040092"        # and x1, x1, #3
        "c20040f9"        # ldr x2, [x6]      (x6 unmapped: faults)
        "e0031faa"        # mov x0, xzr
        "c0035fd6"), 8, {"x0": 0xFFFFFFFFFFFFFFFF, "x1": 2, "x6": 0x700000, "sp": DATA + 0x800}),
}


def run_tier(isa, code, regs, tier):
    engine, R, pmap = bare_engine(isa, code, regs, tier)
    ex = engine.run(R, pmap, 10_000)
    return ex, list(R)


@pytest.mark.parametrize("arch", sorted(PROGRAMS))
def test_fault_mid_block_is_precise(arch):
    isa, code, fault_at, regs = PROGRAMS[arch]
    ex_i, r_i = run_tier(isa, code, regs, "interp")
    ex_j, r_j = run_tier(isa, code, regs, "jit")
    assert (ex_i.reason, ex_i.addr, ex_i.access, ex_i.retired) == (EXIT_PAGE_FAULT, 0x700000, ACCESS_READ, 2)
    assert (ex_j.reason, ex_j.addr, ex_j.access, ex_j.retired, ex_j.pc) == (
        ex_i.reason, ex_i.addr, ex_i.access, ex_i.retired, ex_i.pc)
    assert r_j == r_i
    assert isa.abi.get_pc(r_i) == CODE + fault_at


@pytest.mark.parametrize("arch", sorted(PROGRAMS))
def test_undefined_instruction_mid_block(arch):
    isa, code, fault_at, regs = PROGRAMS[arch]
    bad = code[:fault_at] + (b"\x0f\x0b" if arch == "x86_64" else b"\x00\x00\x00\x00")
    ex_i, r_i = run_tier(isa, bad, regs, "interp")
    ex_j, r_j = run_tier(isa, bad, regs, "jit")
    assert ex_i.reason == ex_j.reason == EXIT_UNDEFINED
    assert ex_i.pc == ex_j.pc == CODE + len(bad) - (2 if arch == "x86_64" else 4)
    assert r_i == r_j
