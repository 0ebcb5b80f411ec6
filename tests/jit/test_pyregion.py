"""Python regions (tier 1): the interpreter's state at every exit, boundary and fault.

The loops are hand-assembled (tests/jit/machine.py's bare machine) so that a
region forms after PYHOT iterations and its flag liveness matters: flags set
by one block are dead in the block after it (sunk to the exits), a memory
access comes after the flags are killed, and the loop has an edge that
leaves the region.
"""

import struct

import pytest

from machr.isa.aarch64 import ISA as ARM
from machr.isa.x86_64 import ISA as X86
from machr.jit import pyregion
from machr.jit.simplify import simplify_statements
from machr.machine.exits import ACCESS_READ, EXIT_PAGE_FAULT, EXIT_QUANTUM, EXIT_UNDEFINED
from tests.jit.machine import CODE, DATA, bare_engine

# Sum words from DATA while counting; the low bit of each word picks one of two paths; stop at `end` (ud2 / udf),
# or fault past the data page when `end` lies beyond it.
LOOPS = {
    "x86_64": (X86, bytes.fromhex("4801c1" "8b13" "f6c201" "7403" "4801d0" "4883c304" "4c39c3" "75ea" "0f0b"),
               lambda end: {"rbx": DATA, "r8": end, "rax": 1}),
    "aarch64": (ARM, struct.pack("<9I", 0xab000063, 0xb9400022, 0x7200005f, 0x54000040, 0x8b020000, 0x91001021,
                                 0xeb08003f, 0x54ffff21, 0),
                lambda end: {"x1": DATA, "x8": end, "x0": 1}),
}
WORDS = struct.pack("<1024I", *[(i * 2654435761) & 0xFFFFFFFF for i in range(1024)])


def machine(arch, tier, end):
    isa, code, regs = LOOPS[arch]
    engine, R, pmap = bare_engine(isa, code, regs(end), tier)
    engine.mmu.store(DATA, WORDS)
    return engine, R, pmap


def state(ex, R):
    return (ex.reason, ex.pc, ex.addr, ex.access, ex.retired, list(R))


def run_to_end(arch, data):
    """The exit states of the interpreter and tier 1 running the loop over `data`, and the tier-1 engine."""
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = machine(arch, tier, data)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    return ends, engine


def quanta(engine, R, pmap, n):
    """The states after 700 instructions (the region has formed), then after budgets of 1..n."""
    return [state(engine.run(R, pmap, 700), R)] + [state(engine.run(R, pmap, budget), R) for budget in range(1, n + 1)]


@pytest.mark.parametrize("arch", sorted(LOOPS))
def test_loop_runs_in_a_region_to_the_interpreters_end(arch):
    ends, engine = run_to_end(arch, DATA + 0xFF0)
    assert ends["interp"][0] == EXIT_UNDEFINED
    assert ends["tier1"] == ends["interp"]
    assert engine.stats.pyregions == 1 and engine.stats.pyregion_insns > 3000


@pytest.mark.parametrize("arch", sorted(LOOPS))
def test_every_quantum_ends_at_the_interpreters_boundary(arch):
    """Budgets of 1..60 after the region formed: every block end is an exit once, with every flag exact."""
    runs = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = machine(arch, tier, DATA + 0xFF0)
        runs[tier] = quanta(engine, R, pmap, 60)
    assert engine.stats.pyregions == 1 and engine.stats.pyregion_entries > 60
    assert all(s[0] == EXIT_QUANTUM for s in runs["interp"])
    for k, (a, b) in enumerate(zip(runs["interp"], runs["tier1"], strict=True)):
        assert a == b, f"exit {k} differs"


@pytest.mark.parametrize("arch", sorted(LOOPS))
def test_fault_in_the_middle_of_a_region_is_precise(arch):
    ends, engine = run_to_end(arch, DATA + 0x2000)
    assert ends["interp"][:4] == (EXIT_PAGE_FAULT, CODE + (3 if arch == "x86_64" else 4), DATA + 0x1000, ACCESS_READ)
    assert ends["tier1"] == ends["interp"]
    assert engine.stats.pyregion_insns > 3000


@pytest.mark.parametrize("arch", sorted(LOOPS))
def test_trace_sees_every_boundary_of_a_running_region(arch):
    traces = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = machine(arch, tier, DATA + 0xFF0)
        seen = []
        engine.trace = lambda R, clock, seen=seen: seen.append((clock, tuple(R)))
        engine.run(R, pmap, 1 << 20)
        traces[tier] = seen
    assert len(traces["interp"]) > 1000
    assert traces["tier1"] == traces["interp"]
    assert engine.stats.pyregion_insns > 3000


# x86: count 3000 times by 1, patch the loop's immediate to 5 (a store into the code page), count again, ud2.
SMC = bytes.fromhex("b9b80b0000" "83c001" "ffc9" "75f9" "85db" "750b" "ffc3" "c605eeffffff05" "ebe5" "0f0b")


def test_store_into_the_code_of_a_running_region_is_seen():
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = bare_engine(X86, SMC, {}, tier)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    assert ends["interp"][0] == EXIT_UNDEFINED and ends["interp"][5][0] == 3000 + 3000 * 5
    assert ends["tier1"] == ends["interp"]
    assert engine.stats.pyregions >= 2 and engine.stats.invalidations > 0


def test_a_region_counts_its_blocks_for_tier_2():
    engine, R, pmap = machine("x86_64", "tier1", DATA + 0xFF0)
    engine.run(R, pmap, 1 << 20)
    cache = next(iter(engine.caches.values()))
    loop = cache[CODE]
    assert loop.pyregion is not None and not loop.pyregion.counts_hits
    assert loop.hits == pyregion.PYHOT                        # tier 1 only: counted until the region formed
    region = pyregion.compile_region(X86, loop.pyregion.blocks, engine.env, counts_hits=True)
    R[X86.pc_slot] = CODE
    R[3] = DATA                                               # rbx: the walk starts again
    n, e, _, hits = region.fn(R, 100, 0)
    assert e is None and sum(b.ninsns * h for b, h in zip(region.blocks, hits, strict=True)) == n


def test_static_successors():
    assert pyregion.static_successors([["_npc = 0x10 if zf else 0x20"]], 8) == (frozenset({0x10, 0x20}), True)
    assert pyregion.static_successors([["rax = 1"]], 8) == (frozenset({8}), False)
    assert pyregion.static_successors([["_t0 = ld64(rsp)", "_npc = _t0"]], 8) == (None, False)
    assert pyregion.static_successors([["if rcx:\n    _npc = 0x30"]], 8) == (frozenset({0x30, 8}), False)


def test_simplify_drops_masks_that_cannot_change_the_value():
    widths = {"rax": 64, "rdx": 64, "zf": 1}
    out = simplify_statements(["rdx = (rax & 0xffffffff)", "rdx = (((rdx & 0xffffffff) << 13) & 0xffffffff)",
                               "_t = ((rdx & 0xffffffff) & 0x3f) & 0xffffffff", "zf = int(_t == 0)",
                               "x = (rax - 1) & 0xff", "y = ld32(rax) & 0", "z = (rdx + 1 + 0) + 2"], widths)
    assert out == ["rdx = rax & 0xffffffff", "rdx = rdx << 13 & 0xffffffff", "_t = rdx & 63", "zf = _t == 0",
                   "x = rax - 1 & 255", "y = ld32(rax) & 0", "z = rdx + 3"]
    assert widths["_t"] == 6 and widths["zf"] == 1 and "x" in widths and "y" in widths


@pytest.mark.parametrize("arch", sorted(LOOPS))
def test_a_block_whose_every_successor_is_outside_leaves_its_flags(arch):
    """A region of the loop head alone: it always leaves after the block, so no flag of it may be sunk."""
    isa = LOOPS[arch][0]
    engine, R, pmap = machine(arch, "tier1", DATA + 0xFF0)
    engine.run(R, pmap, 1000)
    head = next(iter(engine.caches.values()))[CODE]
    region = pyregion.compile_region(isa, [head], engine.env, counts_hits=False)
    R[isa.pc_slot] = CODE
    expect = R[:]
    assert head.fn(expect) is None
    n, e, _, _ = region.fn(R, 1 << 20, 0)
    assert (n, e) == (head.ninsns, None) and list(R) == list(expect)


# --- widths known across blocks ------------------------------------------------------------------------------------
# x3 / rcx is 32 bits on every path of the loop (the block at `even` may drop its mask); x7 / rdi is 32 bits on one
# path and 64 on the other (shifted left by 40), and the loop head, where the paths join, reads its low half
# (lsr w6, w7 / mov edx, edi): a width taken from one path only would leak the high bits into x0 / rax.
WIDTHS = {
    "x86_64": (X86, bytes.fromhex("89fac1ea044801d083c10701cf49f7c001000000740448c1e72889cac1ea044801d049ffc049ffc9"
                                  "75d60f0b"), 0x1A, "rcx", lambda n: {"r9": n, "rcx": 0xFFFFFFF0}),
    "aarch64": (ARM, bytes.fromhex("e67c04530000068b631c0011e700030b9f0040f240000054e75c58d3667c04530000068b840400"
                                   "91a50400f1a1feff5400000000"), 0x1C, "x3", lambda n: {"x5": n, "x3": 0xFFFFFFF0}),
}


def _widths_machine(arch, tier, iterations):
    isa, code, _, _, regs = WIDTHS[arch]
    return bare_engine(isa, code, regs(iterations), tier)


@pytest.mark.parametrize("arch", sorted(WIDTHS))
def test_widths_that_differ_by_path_are_joined(arch):
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = _widths_machine(arch, tier, 3000)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    assert ends["interp"][0] == EXIT_UNDEFINED
    assert ends["tier1"] == ends["interp"]
    region = engine.pyregions[0]
    assert engine.stats.pyregion_insns > 20000 and "while not (" in region.source    # some width is assumed


@pytest.mark.parametrize("arch", sorted(WIDTHS))
def test_a_region_entered_where_an_assumed_width_does_not_hold_runs_the_general_form(arch):
    """Stop the loop at `even` once the region runs, make x3 / rcx 64 bits wide there, and go on: as the interpreter."""
    isa, _, even, wide, _ = WIDTHS[arch]
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = _widths_machine(arch, tier, 3000)
        ex = engine.run(R, pmap, 1500)
        while R[isa.pc_slot] != CODE + even:
            ex = engine.run(R, pmap, 1)
            assert ex.reason == EXIT_QUANTUM
        exec(isa.state_vars[wide].store.format(v="0x123456789abcdef"), {"R": R})
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    assert ends["interp"][0] == EXIT_UNDEFINED
    assert ends["tier1"] == ends["interp"]
    region = engine.pyregions[0]
    assert f"_pc == {CODE + even:#x} and" in region.source and f"{wide} < 0x100000000" in region.source


# x7 is 32 bits where the loop branches back to its head, and 64 bits where it jumps back through a register (br x9):
# the blocks after a computed jump may be any, so the head may assume nothing of x7.
COMPUTED = bytes.fromhex("e67c04530000068be70400119f0040f284040091a0000054e75c58d3a50400f18000005420011fd6a50400f1"
                         "a1feff5400000000")


def test_widths_after_a_computed_jump_are_joined_into_every_block():
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = bare_engine(ARM, COMPUTED, {"x5": 3000, "x9": CODE}, tier)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    assert ends["interp"][0] == EXIT_UNDEFINED
    assert ends["tier1"] == ends["interp"]
    assert engine.stats.pyregion_insns > 20000


# --- flags left to the next block ----------------------------------------------------------------------------------
# `subs x4, x4, #3; b.hi q` (`sub r9, 3; ja q`) sets flags the loop reads only in that branch; the next block that
# assigns flags (adds / add) comes after a load, so a fault at the load must see the flags of the subtraction, which
# the region computes only then.  The fall-through block in between assigns no flag (aarch64) or all of them (x86).
DEFERS = {
    "x86_64": (X86, bytes.fromhex("4983e90377044983c1648b134883c3044801d04c39c375e80f0b"), 0xA,
               lambda end: {"rbx": DATA, "r8": end, "r9": 1000}),
    "aarch64": (ARM, bytes.fromhex("840c00f14800005484900191220040b921100091000002ab3f0008eb21ffff5400000000"), 0xC,
                lambda end: {"x1": DATA, "x8": end, "x4": 1000}),
}


def _defers_machine(arch, tier, end):
    isa, code, _, regs = DEFERS[arch]
    engine, R, pmap = bare_engine(isa, code, regs(end), tier)
    engine.mmu.store(DATA, WORDS)
    return engine, R, pmap


@pytest.mark.parametrize("arch", sorted(DEFERS))
def test_flags_left_to_the_next_block_are_exact_at_a_fault_there(arch):
    load = DEFERS[arch][2]
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = _defers_machine(arch, tier, DATA + 0x2000)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    assert ends["interp"][:4] == (EXIT_PAGE_FAULT, CODE + load, DATA + 0x1000, ACCESS_READ)
    assert ends["tier1"] == ends["interp"]
    region = engine.pyregions[0]
    assert engine.stats.pyregion_insns > 3000 and "_fl = " in region.source


@pytest.mark.parametrize("arch", sorted(DEFERS))
def test_flags_left_to_the_next_block_are_exact_at_every_boundary(arch):
    runs = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = _defers_machine(arch, tier, DATA + 0xFF0)
        states = quanta(engine, R, pmap, 39)
        seen = []
        engine.trace = lambda R, clock, seen=seen: seen.append((clock, tuple(R)))
        states.append(state(engine.run(R, pmap, 1 << 20), R))
        runs[tier] = (states, seen)
    assert runs["interp"][0][-1][0] == EXIT_UNDEFINED and len(runs["interp"][1]) > 500
    assert runs["tier1"] == runs["interp"]
    assert engine.stats.pyregion_entries > 40


@pytest.mark.parametrize("arch", sorted(LOOPS))
def test_a_region_defers_the_flags_its_loop_does_not_read(arch):
    """The loops of LOOPS read only the flag of the test that picks a path: the others are computed at exits only."""
    engine, R, pmap = machine(arch, "tier1", DATA + 0xFF0)
    engine.run(R, pmap, 1 << 20)
    src = engine.pyregions[0].source
    loop = src[src.index("while True:"):src.index("except")]
    assert "_fl = " in loop and ("cf = " not in loop if arch == "x86_64" else "vf = " not in loop)
