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


# A region's float-resident registers (resident_floats / resident_view): their locals hold floats
MEM_BLOCK = [["_t1 = ld64(rsi)", "xmm3_lo = _t1", "xmm3_hi = 0"],                         # movsd xmm3, [rsi]
             ["_t2 = ld64(rdi)", "_t3 = _fadd(xmm1_lo, (_t2 & 0xffffffffffffffff), 64)", "xmm1_lo = _t3"],
             ["xmm0_lo = xmm3_lo", "xmm0_hi = xmm3_hi"],
             ["_t0 = _fmul(xmm0_lo, xmm2_lo, 64)", "xmm0_lo = _t0"],
             ["st64(rdi, xmm0_lo)"],
             ["rax = xmm1_lo >> 63"],                                                      # its bits, read
             ["xmm5_lo = _fdiv(xmm0_lo, xmm1_lo, 64)"],
             ["xmm2_lo = rbx"],                                                            # movq xmm2, rbx
             ["xmm1_lo = 0", "xmm1_hi = 0"],                                               # xorpd
             ["xmm4_lo = _fsub(xmm2_lo, xmm5_lo, 64)"]]
MEM_REGS = REGS + ("rax",)


def run_resident(per_insn, regs, resident, memory):
    """`per_insn` as a region runs it: `resident` loaded as floats and stored back as bits; the memory it leaves."""
    from machr.isa.dual import bits_as_float, float_as_bits
    mem = dict(memory)
    env = dict(X86.globals, ld64=mem.__getitem__, st64=mem.__setitem__, xmm1_hi=7, xmm3_hi=5,
               **{r: bits_as_float(v) if r in resident else v for r, v in regs.items()})
    exec(text(per_insn), env)
    return {r: float_as_bits(env[r]) if r in resident else env[r] for r in MEM_REGS}, mem


def test_resident_registers_hold_floats_and_keep_every_bit():
    from machr.jit.pyfloat import resident_floats

    resident = resident_floats(_halves(X86), [MEM_BLOCK])
    assert resident == {"xmm0_lo", "xmm1_lo", "xmm2_lo", "xmm3_lo", "xmm4_lo", "xmm5_lo"}
    ours = float_shadows(X86, MEM_BLOCK, resident)
    flat = [s for stmts in ours for s in stmts]
    assert "_t1 = _d(ld64(rsi))" in flat and "_t2 = _d(ld64(rdi))" in flat    # loads straight into floats
    assert "st64(rdi, _q(xmm0_lo))" in flat and "rax = _q(xmm1_lo) >> 63" in flat and "xmm1_lo = 0.0" in flat
    assert not any("_SQ[0]" in s or "_SD[0]" in s for s in flat)      # no operation writes bits
    rng = random.Random(7)
    for _ in range(3000):
        pick = lambda: rng.choice((rng.choice(EDGES), rng.getrandbits(64), from_double(rng.uniform(-9, 9))))  # noqa: E731
        regs = {r: pick() for r in REGS} | {"rax": 0, "rbx": pick(), "rsi": 8, "rdi": 16}
        memory = {8: pick(), 16: pick()}
        assert run_resident(ours, regs, resident, memory) == run_resident(MEM_BLOCK, regs, frozenset(), memory), \
            {k: hex(v) for k, v in regs.items()}


def test_registers_used_as_bits_or_written_in_compound_statements_stay_ints():
    from machr.jit.pyfloat import resident_floats

    block = [["xmm1_lo = _fadd(xmm1_lo, xmm2_lo, 64)"],
             ["rax = xmm2_lo & 1", "rbx = xmm2_lo >> 1"],                      # xmm2: two uses as bits, one as float
             ["if rcx:\n    xmm1_lo = 0"],                                       # xmm1: a compound write
             ["xmm3_lo = _fmul(xmm3_lo, xmm3_lo, 64)"],
             ["xmm3_lo |= 1"]]                                                   # an augmented one
    assert resident_floats(_halves(X86), [block]) == frozenset()
    assert resident_floats(_halves(X86), [block[:1] + block[3:4]]) == {"xmm1_lo", "xmm2_lo", "xmm3_lo"}


def _halves(isa):
    from machr.jit.region import halves_view
    return halves_view(isa)


def test_aarch64_resident_registers_give_fp_py_bits_and_flags():
    from machr.isa.aarch64 import ISA as ARM
    from machr.isa.aarch64.fp import FPCR_FZ
    from machr.isa.dual import bits_as_float, float_as_bits
    from machr.jit.pyfloat import resident_floats

    resident = resident_floats(_halves(ARM), [ARM_BLOCK])
    assert resident == {"q0_lo", "q1_lo", "q2_lo", "q3_lo", "q4_lo"}
    ours = float_shadows(ARM, ARM_BLOCK, resident)
    rng = random.Random(8)
    edges = EDGES + (0x5FF0000000000000, 0x2000000000000000, 0x0010000000000000, 0x0010000000000001)
    for _ in range(3000):
        pick = lambda: rng.choice((rng.choice(edges), rng.getrandbits(64), from_double(rng.uniform(-9, 9))))  # noqa: E731
        regs = {r: pick() for r in ARM_REGS[:-1]}
        regs.update(fpsr=rng.choice((0, 0x10)), fpcr=rng.choice((0, 0, 0, FPCR_FZ, 1 << 22)))
        want = dict(ARM.globals, **regs)
        got = dict(ARM.globals, **{r: bits_as_float(v) if r in resident else v for r, v in regs.items()})
        exec(text(ARM_BLOCK), want)
        exec(text(ours), got)
        assert [float_as_bits(got[r]) if r in resident else got[r] for r in ARM_REGS] == \
            [want[r] for r in ARM_REGS], {k: hex(v) for k, v in regs.items()}
