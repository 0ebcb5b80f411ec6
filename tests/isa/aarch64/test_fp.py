"""Pinned floating-point cases: the rules the ARM ARM states and a host FPU would get wrong.

Each case runs through our semantics and through Unicorn; both must give
the expected register value and FPSR (the random differential tests in
test_semantics.py cover the rest).
"""

from __future__ import annotations

import pytest

from machr.isa.aarch64 import ISA
from tests.isa.harness import FlatMemory, run_insn

from .unicorn_ref import CODE, Reference

IOC, DZC, OFC, UFC, IXC, IDC = 1, 2, 4, 8, 16, 128
FZ, DN = 1 << 24, 1 << 25
RZ, RM = 3 << 22, 2 << 22

CASES = [
    # (why, instruction word, fpcr, {register: value}, register checked, expected value, expected fpsr)
    ("fmadd single rounds once: a*b+c is just above a binary32 tie, which rounding via binary64 loses",
     0x1F020C20, 0, {"q1": 0x3F800800, "q2": 0x3F800800, "q3": 0x1C800000}, "q0", 0x3F801001, IXC),
    ("tininess is detected before rounding: the product rounds up to the smallest normal, UFC still set",
     0x1E220820, 0, {"q1": 0x3F7FFFFF, "q2": 0x00800000}, "q0", 0x00800000, UFC | IXC),
    ("flush-to-zero: a tiny result becomes +0 with UFC only", 0x1E220820, FZ,
     {"q1": 0x3F000000, "q2": 0x00800000}, "q0", 0, UFC),
    ("flush-to-zero: a denormal operand reads as zero and raises IDC", 0x1E222820, FZ,
     {"q1": 0x00000001, "q2": 0x80000000}, "q0", 0, IDC),
    ("overflow rounding toward zero gives the largest finite number", 0x1E220820, RZ,
     {"q1": 0x7F000000, "q2": 0x40000000}, "q0", 0x7F7FFFFF, OFC | IXC),
    ("x - x is -0 when rounding toward minus infinity", 0x1E623820, RM,
     {"q1": 0x3FF0000000000000, "q2": 0x3FF0000000000000}, "q0", 0x8000000000000000, 0),
    ("fmadd: the addend's NaN wins over the multiplicands' (FPProcessNaNs3 order)", 0x1F420C20, 0,
     {"q1": 0x7FF8000000000001, "q2": 0x3FF0000000000000, "q3": 0x7FF8000000000003}, "q0", 0x7FF8000000000003, 0),
    ("fmadd: inf * 0 + qNaN is the default NaN with IOC", 0x1F420C20, 0,
     {"q1": 0x7FF0000000000000, "q2": 0, "q3": 0xFFF8000000000005}, "q0", 0x7FF8000000000000, IOC),
    ("a signalling NaN is quietened and propagated with IOC", 0x1E222820, 0,
     {"q1": 0x3F800000, "q2": 0xFF800001}, "q0", 0xFFC00001, IOC),
    ("FPCR.DN: NaN results are the default NaN", 0x1E222820, DN,
     {"q1": 0x3F800000, "q2": 0xFFC00001}, "q0", 0x7FC00000, 0),
    ("fcvtzs saturates with IOC, not IXC", 0x1E780020, 0, {"q1": 0x41F0000000000001}, "x0", 0x7FFFFFFF, IOC),
    ("fcvtzs of a NaN is 0 with IOC", 0x1E780020, 0, {"q1": 0x7FF8000000000000}, "x0", 0, IOC),
    ("fcvt d->s keeps the NaN's sign and top payload bits", 0x1E624020, 0,
     {"q1": 0xFFF4000000000000}, "q0", 0xFFE00000, IOC),
    ("vector lanes raise their exceptions together", 0x6E22DC20, 0,
     {"q1": 0x7F000000_00000000_3F800000_00800000, "q2": 0x40000000_7FC00000_3F800000_3F000000},
     "q0", 0x7F800000_7FC00000_3F800000_00400000, OFC | IXC),
]


@pytest.fixture(scope="module")
def ref():
    return Reference(seed=2)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_pinned_fp_case(ref, case):
    _, word, fpcr, regs, out, value, fpsr = case
    state = {name: 0 for name in ISA.state_vars}
    state.update(regs, fpcr=fpcr, fpsr=0)
    insn = ISA.decode(word.to_bytes(4, "little"), CODE)
    ours, _, exit_ = run_insn(ISA, insn, state, FlatMemory())
    assert exit_ is None
    assert (ours[out], ours["fpsr"]) == (value, fpsr), f"{insn}: {ours[out]:#x} fpsr {ours['fpsr']:#x}"
    assert ref.compare(word.to_bytes(4, "little"), state) == []
