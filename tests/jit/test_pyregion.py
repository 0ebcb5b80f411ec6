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


@pytest.mark.parametrize("arch", sorted(LOOPS))
def test_loop_runs_in_a_region_to_the_interpreters_end(arch):
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = machine(arch, tier, DATA + 0xFF0)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    assert ends["interp"][0] == EXIT_UNDEFINED
    assert ends["tier1"] == ends["interp"]
    assert engine.stats.pyregions == 1 and engine.stats.pyregion_insns > 3000


@pytest.mark.parametrize("arch", sorted(LOOPS))
def test_every_quantum_ends_at_the_interpreters_boundary(arch):
    """Budgets of 1..60 after the region formed: every block end is an exit once, with every flag exact."""
    runs = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = machine(arch, tier, DATA + 0xFF0)
        states = [state(engine.run(R, pmap, 700), R)]
        states += [state(engine.run(R, pmap, budget), R) for budget in range(1, 61)]
        runs[tier] = states
    assert engine.stats.pyregions == 1 and engine.stats.pyregion_entries > 60
    assert all(s[0] == EXIT_QUANTUM for s in runs["interp"])
    for k, (a, b) in enumerate(zip(runs["interp"], runs["tier1"], strict=True)):
        assert a == b, f"exit {k} differs"


@pytest.mark.parametrize("arch", sorted(LOOPS))
def test_fault_in_the_middle_of_a_region_is_precise(arch):
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = machine(arch, tier, DATA + 0x2000)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
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
