"""Tier 1's float shadows (machr.jit.pyfloat): the rewritten block computes the helpers' bits exactly."""

import random
import re

from machr.isa.dual import from_double
from machr.isa.x86_64 import ISA as X86
from machr.jit.pyfloat import float_shadows

# a chain as x86 scalar SSE code leaves it: results feeding operations, copies, a reassigned register, x/0
BLOCK = [["xmm1_lo = _fadd(xmm1_lo, xmm2_lo, 64)"],
         ["xmm0_lo = xmm1_lo", "xmm0_hi = xmm1_hi"],
         ["_t0 = _fmul(xmm0_lo, xmm2_lo, 64)", "xmm0_lo = _t0"],
         ["xmm3_lo = _fdiv(xmm0_lo, xmm4_lo, 64)"],
         ["xmm1_lo = xmm4_lo"],
         ["xmm5_lo = _fsub(xmm1_lo, (xmm3_lo & 0xffffffffffffffff), 64)"],
         ["xmm5_lo = _fdiv(xmm5_lo, xmm5_lo, 64)"]]
REGS = ("xmm0_lo", "xmm1_lo", "xmm2_lo", "xmm3_lo", "xmm4_lo", "xmm5_lo")
EDGES = (0, 1 << 63, 0x3FF0000000000000, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000,
         0xFFF8000000000123, 0x7FF0000000000001, 0x0000000000000001, 0x7FEFFFFFFFFFFFFF)


def text(per_insn) -> str:
    """The block as tier 1 runs it: temporaries are each instruction's own (renamed, as machr.jit.pyregion does)."""
    return "\n".join(re.sub(r"\b(_t\w*)", rf"\1_{k}", s) for k, stmts in enumerate(per_insn) for s in stmts)


def run(per_insn, regs):
    env = dict(X86.globals, **regs, xmm1_hi=7)
    exec(text(per_insn), env)
    return {r: env[r] for r in REGS}


def test_shadows_compute_the_helpers_bits():
    ours = float_shadows(X86, BLOCK)
    rng = random.Random(5)
    for _ in range(3000):
        pick = lambda: rng.choice((rng.choice(EDGES), rng.getrandbits(64), from_double(rng.uniform(-9, 9))))  # noqa: E731
        regs = {r: pick() for r in REGS}
        assert run(ours, regs) == run(BLOCK, regs), {k: hex(v) for k, v in regs.items()}


def test_each_value_is_converted_once_and_results_stay_floats():
    ours = float_shadows(X86, BLOCK)
    assert [len(stmts) for stmts in ours][:4] == [6, 2, 3, 4]       # xmm1, xmm2 in; xmm0 (a copy) reuses; xmm4 in
    assert sum(s.startswith("_SQ[0] = ") for stmts in ours for s in stmts) == 4     # + (xmm3 & mask) once
    assert not any("_fmul(" in s.split("else:")[0] for s in ours[2])     # the helper only for a NaN result


def test_blocks_without_binary64_operations_are_left_alone():
    block = [["xmm1_lo = _fadd(xmm1_lo, xmm2_lo, 32)"], ["rax = rbx"]]
    assert float_shadows(X86, block) == block


# aarch64 after machr.jit.region.python_halves: (bits, FPSR exceptions) from the helper, IXC cumulative in fpsr
ARM_BLOCK = [["_tv = q4_lo & 0xffffffffffffffff", "q0_lo = _tv", "q0_hi = 0"],      # as a load leaves it
             ["_tr = fp_add(q0_lo, q1_lo, 0x40, fpcr)", "q0_lo = _tr[0x0]", "q0_hi = 0", "fpsr |= _tr[1]"],
             ["_tr = fp_mul(q0_lo, q2_lo, 0x40, fpcr)", "q3_lo = _tr[0x0]", "q3_hi = 0", "fpsr |= _tr[1]"],
             ["q4_lo = q3_lo"],
             ["_tr = fp_sub(q4_lo, q1_lo, 0x40, fpcr)", "q1_lo = _tr[0x0]", "q1_hi = 0", "fpsr |= _tr[1]"],
             ["_tr = fp_div(q1_lo, q3_lo, 0x40, fpcr)", "q2_lo = _tr[0x0]", "q2_hi = 0", "fpsr |= _tr[1]"]]
ARM_REGS = ("q0_lo", "q1_lo", "q2_lo", "q3_lo", "q4_lo", "fpsr")


def test_aarch64_shadows_give_fp_py_bits_and_flags():
    from machr.isa.aarch64 import ISA as ARM
    from machr.isa.aarch64.fp import FPCR_FZ

    ours = float_shadows(ARM, ARM_BLOCK)
    assert sum(s.startswith("_SQ[0] = ") for stmts in ours for s in stmts) == 3      # q0, q1, q2 in
    rng = random.Random(6)
    edges = EDGES + (0x5FF0000000000000, 0x2000000000000000, 0x0010000000000000)
    for _ in range(3000):
        pick = lambda: rng.choice((rng.choice(edges), rng.getrandbits(64), from_double(rng.uniform(-9, 9))))  # noqa: E731
        regs = {r: pick() for r in ARM_REGS[:-1]}
        regs.update(fpsr=rng.choice((0, 0x10)), fpcr=rng.choice((0, 0, 0, FPCR_FZ, 1 << 22)))
        want, got = dict(ARM.globals, **regs), dict(ARM.globals, **regs)
        exec(text(ARM_BLOCK), want)
        exec(text(ours), got)
        assert [got[r] for r in ARM_REGS] == [want[r] for r in ARM_REGS], {k: hex(v) for k, v in regs.items()}
