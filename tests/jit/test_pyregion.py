"""Python regions (tier 1): the interpreter's state at every exit, boundary and fault.

The loops are hand-assembled (tests/jit/machine.py's bare machine) so that a
region forms after PYHOT iterations and its flag liveness matters: flags set
by one block are dead in the block after it (sunk to the exits), a memory
access comes after the flags are killed, and the loop has an edge that
leaves the region.
"""

import re
import struct

import pytest

from machr.isa.aarch64 import ISA as ARM
from machr.isa.x86_64 import ISA as X86
from machr.jit import pyregion
from machr.jit.simplify import simplify_statements, wrap_as_test
from machr.machine.exits import ACCESS_READ, ACCESS_WRITE, EXIT_PAGE_FAULT, EXIT_QUANTUM, EXIT_UNDEFINED
from machr.kernel.mach.vm_types import VM_PROT_ALL, VM_PROT_DEFAULT
from tests.jit.machine import CODE, DATA, bare_engine

# Sum words from DATA while counting; the low bit of each word picks one of two paths; stop at `end` (ud2 / udf),
# or fault past the data page when `end` lies beyond it.
def loops(x86: str, arm: tuple[int, ...]) -> dict:
    """A loop over the words at DATA on both ISAs: arch -> (isa, code, its registers given where it stops)."""
    return {"x86_64": (X86, bytes.fromhex(x86), lambda end: {"rbx": DATA, "r8": end, "rax": 1}),
            "aarch64": (ARM, struct.pack(f"<{len(arm)}I", *arm), lambda end: {"x1": DATA, "x8": end, "x0": 1})}


LOOPS = loops("4801c1" "8b13" "f6c201" "7403" "4801d0" "4883c304" "4c39c3" "75ea" "0f0b",
              (0xab000063, 0xb9400022, 0x7200005f, 0x54000040, 0x8b020000, 0x91001021, 0xeb08003f, 0x54ffff21, 0))
WORDS = struct.pack("<1024I", *[(i * 2654435761) & 0xFFFFFFFF for i in range(1024)])


def machine(arch, tier, end, programs=None):
    """The bare machine running `programs[arch]` (LOOPS) over WORDS at DATA, stopping at `end`."""
    isa, code, *_, regs = (programs or LOOPS)[arch]
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


def same_quanta(make, n):
    """`quanta` of the machine `make(tier)`, alike in the interpreter and tier 1: (the states, tier 1's engine)."""
    runs = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = make(tier)
        runs[tier] = quanta(engine, R, pmap, n)
    for k, (a, b) in enumerate(zip(runs["interp"], runs["tier1"], strict=True)):
        assert a == b, f"exit {k} differs"
    return runs["interp"], engine


@pytest.mark.parametrize("arch", sorted(LOOPS))
def test_loop_runs_in_a_region_to_the_interpreters_end(arch):
    ends, engine = run_to_end(arch, DATA + 0xFF0)
    assert ends["interp"][0] == EXIT_UNDEFINED
    assert ends["tier1"] == ends["interp"]
    assert engine.stats.pyregions == 1 and engine.stats.pyregion_insns > 3000


@pytest.mark.parametrize("arch", sorted(LOOPS))
def test_every_quantum_ends_at_the_interpreters_boundary(arch):
    """Budgets of 1..60 after the region formed: every block end is an exit once, with every flag exact."""
    states, engine = same_quanta(lambda tier: machine(arch, tier, DATA + 0xFF0), 60)
    assert engine.stats.pyregions == 1 and engine.stats.pyregion_entries > 60
    assert all(s[0] == EXIT_QUANTUM for s in states)


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


# x86: 3000 times `add eax, 1` in a block that loops on itself and stores bl (5) into its data page, but into the
# add's immediate when ecx is 100 (cmove): the last 99 iterations add 5.
SMC_LOOP = bytes.fromhex("b9b80b0000" "83c001" "4989d0" "83f964" "4d0f44c1" "418818" "ffc9" "75ec" "0f0b")


def test_store_into_the_code_of_a_block_that_loops_on_itself_ends_its_loop():
    """The loop's budget is its range; a store that invalidates the region must stop it after that iteration."""
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = bare_engine(X86, SMC_LOOP, {"rbx": 5, "rdx": DATA, "r9": CODE + 7}, tier)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    assert ends["interp"][0] == EXIT_UNDEFINED and ends["interp"][5][0] == 2901 + 99 * 5
    assert ends["tier1"] == ends["interp"]
    assert engine.stats.invalidations > 0 and engine.stats.pyregion_insns > 10_000
    assert "        if _left <= _k:\n" in engine.pyregions[-1].source


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


def test_a_flag_read_ten_instructions_after_its_compare():
    """cmp, eight nops, cmovb: the compare's temporaries (`_t0_1`) are forwarded into the cmovb, whose own are
    `_t0_10`...; the region must run to the interpreter's end (it once read a name made of the two)."""
    body = "90" + "4c39c3" + "90" * 8 + "480f42c3" + "4883c101" + "49ffc9"
    code = bytes.fromhex(body + "75" + format(-(len(body) // 2 + 2) & 0xFF, "02x") + "0f0b")
    out = []
    for tier in ("interp", "tier1"):
        engine, R, pmap = bare_engine(X86, code, {"rbx": 5, "r8": 9, "r9": 3000}, tier)
        out.append(state(engine.run(R, pmap, 1 << 20), R))
    assert out[0] == out[1] and out[0][0] == EXIT_UNDEFINED and engine.stats.pyregion_insns > 20_000


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
    return machine(arch, tier, end, DEFERS)


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


# --- calls and returns inside a region -----------------------------------------------------------------------------
# The loop loads a word and calls f, which adds it to rax / x0 and counts the odd ones in rcx / x3; after the loop,
# f is called once more from a site the region has never run (its return leaves the region), then ud2 / udf.
#   loop: mov edx, [rbx]; call f; add rbx, 4; cmp rbx, r8; jne loop; mov edx, 7; call f; add rax, 1; ud2
#   f:    add rax, rdx; test dl, 1; je 1f; add rcx, 1; 1: ret
CALLS = {
    "x86_64": (X86, bytes.fromhex("8b13e8190000004883c3044c39c375f0ba07000000e8060000004883c0010f0b4801d0f6c201"
                                  "74044883c101c3"), 0x20, lambda end: {"rbx": DATA, "r8": end}),
    "aarch64": (ARM, bytes.fromhex("220040b908000094211000913f0008eb81ffff54e20080520300009400040091000000000000"
                                   "028b4200003663040091c0035fd6"), 0x24, lambda end: {"x1": DATA, "x8": end}),
}


def _calls_machine(arch, tier, end):
    return machine(arch, tier, end, CALLS)


@pytest.mark.parametrize("arch", sorted(CALLS))
def test_a_region_spans_a_call_and_its_return(arch):
    """The loop, f and the return site are one region: it runs from start to end without leaving at call or return."""
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = _calls_machine(arch, tier, DATA + 0xFF0)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    assert ends["interp"][0] == EXIT_UNDEFINED
    assert ends["tier1"] == ends["interp"]
    region = engine.pyregions[-1]
    assert {CODE, CODE + CALLS[arch][2]} <= region.members
    assert engine.stats.pyregion_insns > 5000 and engine.stats.pyregion_entries <= 3


@pytest.mark.parametrize("arch", sorted(CALLS))
def test_a_return_outside_the_region_and_a_fault_leave_it_precisely(arch):
    """Past the data page the load faults inside the region; at the end f returns where the region never ran."""
    for end in (DATA + 0xFF0, DATA + 0x2000):
        ends = {}
        for tier in ("interp", "tier1"):
            engine, R, pmap = _calls_machine(arch, tier, end)
            engine.run(R, pmap, 1000)                         # the region forms
            ex = engine.run(R, pmap, 1 << 20)
            ends[tier] = state(ex, R)
        assert ends["tier1"] == ends["interp"] and engine.stats.pyregion_insns > 5_000    # (engine: tier 1's)
        assert ends["interp"][0] == (EXIT_UNDEFINED if end < DATA + 0x1000 else EXIT_PAGE_FAULT)


@pytest.mark.parametrize("arch", sorted(CALLS))
def test_every_quantum_in_a_region_with_calls_ends_at_the_interpreters_boundary(arch):
    _, engine = same_quanta(lambda tier: _calls_machine(arch, tier, DATA + 0xFF0), 40)
    assert engine.stats.pyregion_entries > 40


def test_a_return_is_followed_by_the_regions_return_sites():
    engine, R, pmap = _calls_machine("x86_64", "tier1", DATA + 0xFF0)
    engine.run(R, pmap, 1 << 20)
    src = engine.pyregions[-1].source
    # f's ret (the pc comes from the stack, straight into `_pc`), the budget test, then the return site of the call
    assert re.search(rf"_pc = ld64\(rsp\)\n\s+rsp = rsp \+ 8\n.*\n\s+if _left <= \d+:\n.*\n.*break\n"
                     rf"\s+if _pc == {CODE + 7:#x}:\n", src)


# --- flags of an instruction that may fault ------------------------------------------------------------------------
# loop: cmp [rbx], ecx; jb skip; lea rax, [rax + 1]; skip: lea rbx, [rbx + 4]; jmp loop — until rbx leaves the page.
# Only the compare assigns flags and only jb reads one: the region defers the others, so the fault at the compare's
# load must report the flags of the compare before it, which the region computes only then.
CMP_MEMORY = bytes.fromhex("390b7204488d4001488d5b04ebf2")


def test_flags_deferred_by_an_instruction_that_faults_are_those_of_its_last_run():
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = bare_engine(X86, CMP_MEMORY, {"rbx": DATA, "rcx": 0x80000000}, tier)
        engine.mmu.store(DATA, WORDS)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    assert ends["interp"][:4] == (EXIT_PAGE_FAULT, CODE, DATA + 0x1000, ACCESS_READ)
    assert ends["tier1"] == ends["interp"]
    loop = engine.pyregions[-1].source.split("while True:")[1]
    assert "_fl = " in loop and "of = " not in loop.split("except")[0]


# --- spans of pages ------------------------------------------------------------------------------------------------
# loop: ldr w2, [x1], #4; add x0, x0, x2; cmp x1, x8; b.ne loop; udf — over three pages at SPAN, then a fourth
# that is not mapped.  mov edx, [rbx + rcx] (x86) sums addresses past 2**64, which wrap into DATA.
WALK = bytes.fromhex("224440b80000028b3f0008eba1ffff5400000000")
WRAP = bytes.fromhex("8b140b4801d04883c1044c39c175f10f0b")
SPAN = 0x700000


def _walk_machine(tier, adjacent, end):
    """WALK over pages SPAN.. whose frames follow each other (`adjacent`) or run backwards, each its own words."""
    engine, R, pmap = bare_engine(ARM, WALK, {"x1": SPAN, "x8": end}, tier)
    frames = sorted(pmap.pool.grab() for _ in range(3))
    for k, frame in enumerate(frames if adjacent else frames[::-1]):
        pmap.enter(SPAN + k * 0x1000, frame, VM_PROT_DEFAULT)
        engine.mmu.store(SPAN + k * 0x1000, WORDS[k * 4:] + WORDS[:k * 4])
    return engine, R, pmap


@pytest.mark.parametrize("adjacent", [True, False])
def test_a_walk_over_pages_reads_each_page_and_faults_past_them(adjacent):
    for end in (SPAN + 0x2800, SPAN + 0x4000):
        ends = {}
        for tier in ("interp", "tier1"):
            engine, R, pmap = _walk_machine(tier, adjacent, end)
            ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
        assert ends["tier1"] == ends["interp"] and engine.stats.pyregion_insns > 5_000    # (engine: tier 1's)
        assert ends["interp"][:3] == ((EXIT_UNDEFINED, CODE + 0x10, 0) if end < SPAN + 0x3000
                                      else (EXIT_PAGE_FAULT, CODE, SPAN + 0x3000))
    span = pyregion._span_finder(engine.mmu.rtag, engine.mmu.base)
    lo, hi, hd = span(SPAN + 0x1004, 0xFFC, {})          # host offsets: `hd` from the addresses
    assert (lo - hd, hi - hd) == ((SPAN, SPAN + 0x2FFC) if adjacent else (SPAN + 0x1000, SPAN + 0x1FFC))
    memo = {}
    assert span(SPAN + 0x3000, 0xFFC, memo) == (1, 0, 0) and span(-8, 0xFFC, memo) == (1, 0, 0) and not memo


def test_an_address_past_2_to_the_64_wraps_in_a_region():
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = bare_engine(X86, WRAP, {"rbx": (1 << 64) - 0x1000, "rcx": DATA + 0x1000,
                                                  "r8": DATA + 0x1000 + 0x800}, tier)
        engine.mmu.store(DATA, WORDS)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    assert ends["interp"][0] == EXIT_UNDEFINED and ends["interp"][5][0] == sum(struct.unpack("<512I", WORDS[:2048]))
    assert ends["tier1"] == ends["interp"]
    assert engine.stats.pyregion_insns > 2000 and "_ma = rbx + rcx\n" in engine.pyregions[-1].source


# add rax, rbx; sub ecx, edx; lea rsi, [rsi + rdi]; dec r9; jnz — and ARM's add x0, x0, x1; sub w2, w2, w3; subs x8;
# b.ne: 64- and 32-bit results that wrap past either end, which the region wraps with a test instead of a mask.
WRAPS = {"x86_64": (X86, bytes.fromhex("4801d829d1488d343e49ffc975f20f0b"),
                    {"rax": 1, "rbx": (1 << 64) - 3, "rcx": 5, "rdx": 7, "rsi": (1 << 64) - 100, "rdi": 1, "r9": 3000}),
         "aarch64": (ARM, bytes.fromhex("0000018b4200034b080500f1a1ffff5400000000"),
                     {"x0": 1, "x1": (1 << 64) - 3, "x2": 5, "x3": 7, "x8": 3000})}


@pytest.mark.parametrize("arch", sorted(WRAPS))
def test_sums_and_differences_that_wrap_are_exact(arch):
    isa, code, regs = WRAPS[arch]
    states, engine = same_quanta(lambda tier: bare_engine(isa, code, regs, tier), 30)
    src = engine.pyregions[-1].source
    assert "&= 0xffffffffffffffff" in src and "< 0: " in src and "+= 0x100000000" in src
    ends = []
    for tier in ("interp", "tier1"):
        engine, R, pmap = bare_engine(isa, code, regs, tier)
        ends.append(state(engine.run(R, pmap, 1 << 20), R))
    assert ends[0] == ends[1] and ends[0][0] == EXIT_UNDEFINED and engine.stats.pyregion_insns > 10_000


def test_wrap_as_test_only_where_the_operands_fit_the_mask():
    assert wrap_as_test("x = a + b + 1 & 0xffffffff", {"a": 33, "b": 32}) == [
        "x = a + b + 1", "if x > 0xffffffff: x &= 0xffffffff"]
    assert wrap_as_test("x = a - 8 & 0xffffffffffffffff", {"a": 64}) == [
        "x = a - 8", "if x < 0: x += 0x10000000000000000"]
    assert wrap_as_test("x = a + 0xfffffffffffffffe & 0xffffffffffffffff", {"a": 64}) == [
        "x = a - 2", "if x < 0: x += 0x10000000000000000"]
    assert wrap_as_test("x = a + (b & 0xffffffff ^ 0xffffffff) + 1 & 0xffffffff", {"a": 32, "b": 64}) == [
        "x = a - (b & 0xffffffff)", "if x < 0: x += 0x100000000"]
    for stmt, widths in (("x = a - b & 0xffffffff", {"a": 64, "b": 32}), ("x = a + b & 0xffffffff", {"a": 32}),
                         ("x = a * b & 0xffffffff", {"a": 8, "b": 8}), ("x = a + b & 0xffff", {"a": 16, "b": 16})):
        assert wrap_as_test(stmt, widths) == [stmt]


def test_a_loads_temporary_copied_into_a_register_is_loaded_into_it():
    """`_t = ld(..)` ... `x = _t` (ldrb with write-back): the load goes into x where nothing between names x."""
    def rows(*stmts):
        return [[(s, k) for k, s in enumerate(stmts)]]

    folded = pyregion._fold_copies(rows("_t0 = ld8(a)", "x1 = a", "x2 = _t0"), [])
    assert folded == [[("x2 = ld8(a)", 0), ("x1 = a", 1)]]
    for block, later in ((rows("_t0 = ld8(a)", "x1 = x2", "x2 = _t0"), []),            # x2 read between
                         (rows("_t0 = ld8(a)", "st8(b, 1)", "x2 = _t0"), []),          # a store between may fault
                         (rows("_t0 = ld8(a)", "x2 = _t0"), ["zf = _t0 == 0"])):       # the flags at an exit read _t0
        assert pyregion._fold_copies(block, later) == block


# loop: push rax; pop rax; add rax, 1; cmp r9, 100; cmove rsp, r10 (0); dec r9; jnz; ud2 — the push after rsp became 0
# stores at -8: an address the region holds unwrapped, which the slow path must wrap (the TLB's empty tags are -1).
PUSH_BELOW_0 = bytes.fromhex("50584883c0014983f964490f44e249ffc975ed0f0b")


def test_a_push_below_address_0_faults_where_the_interpreter_does():
    ends = []
    for tier in ("interp", "tier1"):
        engine, R, pmap = bare_engine(X86, PUSH_BELOW_0, {"r9": 3000, "r10": 0}, tier)
        ends.append(state(engine.run(R, pmap, 1 << 20), R))
    assert ends[0][:4] == (EXIT_PAGE_FAULT, CODE, (1 << 64) - 8, ACCESS_WRITE) and ends[0][5][0] == 2901
    assert ends[1] == ends[0] and engine.stats.pyregion_insns > 10_000
    assert "_ma = rsp - 8\n" in engine.pyregions[-1].source


def test_simplify_folds_an_operation_of_a_value_with_itself():
    out = simplify_statements(["_t = rax & rax", "rax = rax & 0xffffffff ^ rax & 0xffffffff", "y = ld8(a) ^ ld8(a)"],
                              {"rax": 64})
    assert out == ["_t = rax", "rax = 0", "y = ld8(a) ^ ld8(a)"]


def test_every_quantum_in_a_block_that_loops_on_itself_ends_at_the_interpreters_boundary():
    """WALK is one block that branches to itself: it runs in a loop of its own, which must stop at every budget."""
    _, engine = same_quanta(lambda tier: _walk_machine(tier, True, SPAN + 0x2800), 30)
    assert "for _k in range(0, _left, " in engine.pyregions[-1].source


# loop: add dword [0x600010], 1; dec r9; jnz; ud2 — a read-modify-write of a global at a constant address.
ADD_TO_GLOBAL = bytes.fromhex("8304251000600001" "49ffc9" "75f3" "0f0b")


def test_an_access_at_a_constant_address_keeps_its_host_offset_and_is_exact():
    ends = []
    for tier in ("interp", "tier1"):
        engine, R, pmap = bare_engine(X86, ADD_TO_GLOBAL, {"r9": 3000}, tier)
        ends.append((state(engine.run(R, pmap, 1 << 20), R), engine.mmu.load(DATA + 0x10, 4)))
    assert ends[1] == ends[0] and ends[0][1] == (3000).to_bytes(4, "little")
    assert engine.stats.pyregion_insns > 5_000
    assert "if _p0 is not None:" in engine.pyregions[-1].source


# --- loops and compares ---------------------------------------------------------------------------------------------


def test_a_loops_counter_and_its_copied_sum_need_no_wrap_within_the_loops_range():
    body = ["rdx = rdx + 1", "if rdx > 0xffffffffffffffff: rdx &= 0xffffffffffffffff",
            "_t0 = rax", "_t2 = _t0 + 4", "if _t2 > 0xffffffff: _t2 &= 0xffffffff", "rax = _t2",
            "rbx = rbx + 1", "if rbx > 0xffffffffffffffff: rbx &= 0xffffffffffffffff", "rbx = rcx"]
    assert pyregion._induction_wraps(body) == [(1, "rdx", 1, 0xFFFFFFFFFFFFFFFF), (4, "rax", 4, 0xFFFFFFFF)]


def test_a_compares_zero_test_reads_the_operands_sum_and_the_flags_keep_the_difference():
    from machr.isa.aarch64 import ISA as ARM

    per_insn = [["_ta = x3 & 0xffffffff", "_tb = x2 & 0xffffffff ^ 0xffffffff", "_ts = _ta + _tb + 1",
                 "_tr = _ts & 0xffffffff", "zf = int(_tr == 0)"], ["_npc = 8 if _tr != 0 else 4"]]
    out = pyregion._compares_as_sums(ARM, per_insn)
    assert out[0] == per_insn[0] and out[1] == ["_npc = 8 if _ta + _tb != 0xffffffff else 4"]


# --- a loop whose back edge goes through a block of its own (gcc's rotated loops) -------------------------------------
# head: load, sum, step, compare, branch to the back-edge block (else ud2 / udf); that block: a step, a copy and a
# jump to the head.  The region runs the two as one block that loops on itself (pyregion._fused).
ROTATED = loops("8b13" "4801d0" "4883c304" "4c39c3" "7502" "0f0b" "488d4901" "4889c6" "ebe7",
                (0xB9400022, 0x8B020000, 0x91001021, 0xEB08003F, 0x54000041, 0, 0x91000463, 0xAA0003E4, 0x17FFFFF8))


@pytest.mark.parametrize("arch", sorted(ROTATED))
def test_a_loop_through_a_back_edge_block_runs_as_one_block_on_itself(arch):
    ends = {}
    for end in (DATA + 0xFF0, DATA + 0x2000):                      # to the ud2 / udf; a fault past the data page
        for tier in ("interp", "tier1"):
            engine, R, pmap = machine(arch, tier, end, ROTATED)
            ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
        assert ends["tier1"] == ends["interp"]
        assert engine.stats.pyregion_insns > 3000
    assert ends["interp"][:4] == (EXIT_PAGE_FAULT, CODE, DATA + 0x1000, ACCESS_READ)
    assert "for _k in range(0, _left - 3, 8):" in engine.pyregions[-1].source


@pytest.mark.parametrize("arch", sorted(ROTATED))
def test_every_quantum_in_a_fused_loop_ends_at_the_interpreters_boundary(arch):
    """Budgets of 1..30: the boundary between the fused blocks is an exit like the loop's end."""
    states, engine = same_quanta(lambda tier: machine(arch, tier, DATA + 0xFF0, ROTATED), 30)
    assert all(s[0] == EXIT_QUANTUM for s in states)
    assert {s[1] for s in states} == {CODE, CODE + (16 if arch == "x86_64" else 0x18)}


@pytest.mark.parametrize("arch", sorted(ROTATED))
def test_trace_sees_the_boundary_inside_a_fused_loop(arch):
    traces = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = machine(arch, tier, DATA + 0xFF0, ROTATED)
        seen = []
        engine.trace = lambda R, clock, seen=seen: seen.append((clock, tuple(R)))
        engine.run(R, pmap, 1 << 20)
        traces[tier] = seen
    assert len(traces["interp"]) > 1000 and traces["tier1"] == traces["interp"]


# aarch64: ldr w2, [x1]; add x1, x1, #4; cbz w2, zero | add x0, x0, x2; cmp x1, x8; b.ne head | udf #0, udf #0 |
# zero: add x3, x3, #1; b head.  The first block leaves the pair (a side exit) where it meets a zero word, to a block
# of the region (fused in turn with the head); the data's first word is zero, and skipped.
SIDE_EXIT = {"aarch64": (ARM, struct.pack("<10I", 0xB9400022, 0x91001021, 0x340000C2, 0x8B020000, 0xEB08003F,
                                          0x54FFFF61, 0, 0, 0x91000463, 0x17FFFFF7),
                         lambda end: {"x1": DATA + 4, "x8": end, "x0": 1})}


def side_exit_machine(tier, zeros):
    """The SIDE_EXIT loop over the words at DATA, with a zero at each offset in `zeros`."""
    engine, R, pmap = machine("aarch64", tier, DATA + 0xFF0, SIDE_EXIT)
    for at in zeros:
        engine.mmu.store(DATA + at, bytes(4))
    return engine, R, pmap


@pytest.mark.parametrize("zeros", [(), range(0x40, 0xFF0, 0x24), range(0x40, 0xFF0, 8)])
def test_a_fused_loop_leaves_where_its_first_block_branches_out(zeros):
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = side_exit_machine(tier, zeros)
        ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
    assert ends["tier1"] == ends["interp"]
    assert ends["interp"][:2] == (EXIT_UNDEFINED, CODE + 0x18) and engine.stats.pyregion_insns > 1000
    assert re.search(r"for _k in range\(0, _left - [23], [56]\):", engine.pyregions[-1].source)


@pytest.mark.parametrize("zeros", [range(0x40, 0xFF0, 0x24), range(0x40, 0xFF0, 8)])
def test_every_quantum_and_trace_in_a_fused_loop_with_side_exits_is_the_interpreters(zeros):
    """Budgets of 1..40 after the 700th instruction, and the trace of a whole run."""
    states, _ = same_quanta(lambda tier: side_exit_machine(tier, zeros), 40)
    assert {s[1] for s in states} == {CODE, CODE + 0xC, CODE + 0x20} and all(s[0] == EXIT_QUANTUM for s in states)
    traces = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = side_exit_machine(tier, zeros)
        seen = []
        engine.trace = lambda R, clock, seen=seen: seen.append((clock, tuple(R)))
        engine.run(R, pmap, 1 << 20)
        traces[tier] = seen
    assert len(traces["interp"]) > 1000 and traces["tier1"] == traces["interp"]


# x86: 66 times add rax, rcx; dec rdx; jne (rel32) back; ud2 — a block cut at 64 instructions, whose boundary there
# must see the flags of its last add although the next add kills them (the interpreter's lazy units).
LONG = {"x86_64": (X86, bytes.fromhex("4801c8" * 66 + "48ffca" + "0f8531ffffff" + "0f0b"),
                   lambda end: {"rcx": 3, "rdx": 1000, "rax": 1})}


def test_a_boundary_at_a_blocks_size_limit_sees_the_flags_a_lazy_unit_would_skip():
    states, engine = same_quanta(lambda tier: machine("x86_64", tier, 0, LONG), 140)
    assert {s[1] for s in states} == {CODE, CODE + 64 * 3}          # the loop's head and the size limit
    interp, R, pmap = machine("x86_64", "interp", 0, LONG)
    interp.run(R, pmap, 1000)
    assert sum(b.lazy is not None for b in interp.caches[pmap].values()) == 66     # each add (dec keeps CF)


# --- strided accesses ------------------------------------------------------------------------------------------------
# strcpy (x86): movzx ecx, byte [rsi + rdx]; mov [rax + rdx], cl; add rdx, 1; test cl, cl; jne; ud2 — both accesses
# step by 1 a register the loop adds a constant to, and run without their span test where they cannot leave it.
STRCPY = bytes.fromhex("0fb60c16" "880c10" "4883c201" "84c9" "75f1" "0f0b")


def _copy_machine(tier, adjacent, length, src, dest):
    """STRCPY of a `length`-byte string at `src` to `dest`, over pages SPAN.. (see `_walk_machine`)."""
    engine, R, pmap = bare_engine(X86, STRCPY, {"rsi": src, "rax": dest}, tier)
    frames = sorted(pmap.pool.grab() for _ in range(3))
    for k, frame in enumerate(frames if adjacent else frames[::-1]):
        pmap.enter(SPAN + k * 0x1000, frame, VM_PROT_DEFAULT)
    engine.mmu.store(src, bytes(1 + (i * 7) % 255 for i in range(length)) + b"\0")
    return engine, R, pmap


@pytest.mark.parametrize("adjacent", [True, False])
def test_a_strided_copy_over_pages_is_exact_to_its_end_and_to_a_fault(adjacent):
    """Source and destination cross pages (frames adjacent or not); a destination past the last page faults."""
    cases = ((0xC00, SPAN + 0x1800, (EXIT_UNDEFINED, CODE + 0xF, 0)),
             (0xC00, SPAN + 0x2800, (EXIT_PAGE_FAULT, CODE + 4, SPAN + 0x3000)),
             (0x200, CODE + 0x100, (EXIT_UNDEFINED, CODE + 0xF, 0)))         # into the code page: no span holds it
    for length, dest, end in cases:
        ends = {}
        for tier in ("interp", "tier1"):
            engine, R, pmap = _copy_machine(tier, adjacent, length, SPAN + 0x800, dest)
            ex = engine.run(R, pmap, 1 << 20)
            ends[tier] = state(ex, R), engine.mmu.load(dest, min(length + 1, SPAN + 0x3000 - dest))
        assert ends["tier1"] == ends["interp"] and ends["interp"][0][:3] == end
        if dest > SPAN:
            assert engine.stats.pyregion_insns > 5 * 0x700 and "_buf[_b1 + rdx] = rcx" in engine.pyregions[-1].source


@pytest.mark.parametrize("adjacent", [True, False])
def test_every_quantum_and_trace_of_a_strided_copy_is_the_interpreters(adjacent):
    """Budgets of 1..40 after the 700th instruction, over both pages' ends, and a whole run's trace."""
    same_quanta(lambda tier: _copy_machine(tier, adjacent, 0x400, SPAN + 0xF00, SPAN + 0x1F20), 40)
    traces = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = _copy_machine(tier, adjacent, 0x900, SPAN + 0x800, SPAN + 0x1C00)
        seen = []
        engine.trace = lambda R, clock, seen=seen: seen.append((clock, tuple(R)))
        engine.run(R, pmap, 1 << 20)
        traces[tier] = seen
    assert len(traces["interp"]) > 0x900 and traces["tier1"] == traces["interp"]


# STRCPY again and again: xor edx, edx; the loop; dec r9; jnz; ud2.  Entered again within a region's run, the loop
# finds its spans at once and runs untested from its first iteration, the flags deferred by the block before it.
STRCPY_AGAIN = bytes.fromhex("31d2" "0fb60c16" "880c10" "4883c201" "84c9" "75f1" "49ffc9" "75ea" "0f0b")


def test_a_quantum_ending_in_an_untested_run_sees_the_flags_of_its_last_iteration():
    """Budgets that end in the second pass of one region run (its flags: the last `test cl, cl`'s, not the first)."""
    runs = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = _copy_machine(tier, True, 20, SPAN + 0x800, SPAN + 0x1800)
        engine.mmu.store(CODE, STRCPY_AGAIN)
        R[9] = 3000                                                        # r9: passes
        runs[tier] = [state(engine.run(R, pmap, budget), R) for budget in [3000] + [130 + 7 * i for i in range(40)]]
    assert runs["tier1"] == runs["interp"] and engine.stats.pyregion_insns > 5000
    assert len(engine.pyregions[-1].blocks) == 3
    assert len({s[5][18] for s in runs["interp"]}) == 2                   # (PF differs along the string)


# strlen (x86): add rax, 1; cmp byte [rax], 0; jne; ud2 — the access comes after the step, one byte further on.
STRLEN = bytes.fromhex("4883c001" "803800" "75f7" "0f0b")


def _strlen_machine(tier, adjacent, length, start):
    """STRLEN of a `length`-byte string at `start`, unterminated if it runs to the end of pages SPAN.. ."""
    engine, R, pmap = _copy_machine(tier, adjacent, 0, start, 0)
    engine.mmu.store(start, bytes([0x41] * length) + b"\0" * (start + length < SPAN + 0x3000))
    engine.mmu.store(CODE, STRLEN)
    R[0] = start - 1
    return engine, R, pmap


@pytest.mark.parametrize("adjacent", [True, False])
def test_a_strided_access_after_the_step_ends_its_runs_a_step_earlier(adjacent):
    for length, start, end in ((0x900, SPAN + 0x800, (EXIT_UNDEFINED, CODE + 9, 0)),
                               (0x2000, SPAN + 0x1000, (EXIT_PAGE_FAULT, CODE + 4, SPAN + 0x3000))):
        ends = {}
        for tier in ("interp", "tier1"):
            engine, R, pmap = _strlen_machine(tier, adjacent, length, start)
            ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
        assert ends["tier1"] == ends["interp"] and ends["interp"][:3] == end and engine.stats.pyregion_insns > 0x1800
    same_quanta(lambda tier: _strlen_machine(tier, adjacent, 0x400, SPAN + 0xF00), 40)


# ldr w2, [x1]; add w2, w2, #1; str w2, [x1]; subs x8, x8, #1; b.ne; udf — accesses at a register the loop does not
# change (a step of 0).
ADD_AT_X1 = struct.pack("<6I", 0xB9400022, 0x11000442, 0xB9000022, 0xF1000508, 0x54FFFF81, 0)


def test_an_access_at_an_unchanging_register_runs_untested_while_in_its_span():
    ends = []
    for tier in ("interp", "tier1"):
        engine, R, pmap = bare_engine(ARM, ADD_AT_X1, {"x1": DATA + 0x10, "x8": 3000}, tier)
        ends.append((state(engine.run(R, pmap, 1 << 20), R), engine.mmu.load(DATA + 0x10, 4)))
    assert ends[1] == ends[0] and ends[0][1] == (3000).to_bytes(4, "little")
    assert "min(_left, _k + 5 + 5 * min(_left if _lo0 <= (_hd0 + x1)" in engine.pyregions[-1].source
    assert engine.stats.pyregion_insns > 14_000


def test_only_an_index_that_steps_by_a_constant_is_strided():
    """x1 steps by 4 through a copy and x2 by x3: only the accesses at x1 lose their test, with x1's offset there."""
    sites = pyregion._Sites()
    mem = pyregion._MemoryInliner(sites, {"x1", "x2", "x4", "x5", "_t"})
    lines = (["_t = x1"] + mem.lines("x4 = ld32(_t)", {}) + ["x1 = _t + 4"]
             + mem.lines("x5 = ld32(x2)", {}) + ["x2 = x2 + x3"] + mem.lines("st32(x1, x4)", {}))
    out, run = pyregion._strided_form([(ln, 0) for ln in lines], sites.strided, {})
    assert [ln for ln, _ in out if "_uI" in ln or "_pI" in ln] == [
        "x4 = _uI(_buf, _hd0 + _t)[0]", "    x5 = _uI(_buf, _mp)[0]", "        x5 = _uI(_buf, _mp)[0]",
        "_pI(_buf, _hd2 + x1, x4)"]
    assert run == ("min((_hi0 - (_hd0 + x1)) // 4 + 1 if _lo0 <= (_hd0 + x1) else 0, "
                   "(_hi2 - (_hd2 + x1 + 4)) // 4 + 1 if _lo2 <= (_hd2 + x1 + 4) else 0)")


# A rotated loop (aarch64) over 64-bit words: ldr x6, [x1, w2, uxtw #3]; ldr x7, [x1, x0, lsl #3]; add w5, w2, #1;
# add x8, x8, x6; add x8, x8, x7; cmp w2, w9; b.ne back; udf | back: mov w0, w2; mov w2, w5; b head.  Both indices
# are scaled, and x0 is last iteration's x2: x5 - 1 where each iteration starts, but the loop's first.
ROTATED_WORDS = struct.pack("<11I", 0xF8625826, 0xF8607827, 0x11000445, 0x8B060108, 0x8B070108, 0x6B09005F,
                            0x54000041, 0, 0x2A0203E0, 0x2A0503E2, 0x17FFFFF6)


def _rotated_words_machine(tier, adjacent, base, last):
    engine, R, pmap = _walk_machine(tier, adjacent, SPAN + 0x2800)
    engine.mmu.store(CODE, ROTATED_WORDS)
    for name, value in {"x0": 0, "x1": base, "x2": 1, "x8": 0, "x9": last}.items():
        exec(ARM.state_vars[name].store.format(v="value"), {"R": R, "value": value})
    return engine, R, pmap


@pytest.mark.parametrize("adjacent", [True, False])
def test_scaled_indices_and_a_copy_carried_from_the_last_iteration_are_strided(adjacent):
    for last, end in ((0x5F0, (EXIT_UNDEFINED, CODE + 0x1C, 0)), (0x700, (EXIT_PAGE_FAULT, CODE, SPAN + 0x3000))):
        ends = {}
        for tier in ("interp", "tier1"):
            engine, R, pmap = _rotated_words_machine(tier, adjacent, SPAN + 0x10, last)
            ends[tier] = state(engine.run(R, pmap, 1 << 20), R)
        assert ends["tier1"] == ends["interp"] and ends["interp"][:3] == end and engine.stats.pyregion_insns > 10_000
    src = engine.pyregions[-1].source
    assert re.search(r"x6 = _uQ\(_buf, _b\d+ \+ \(x2 << 3\)\)\[0\]", src)
    assert re.search(r"x7 = _uQ\(_buf, _b\d+ \+ \(x0 << 3\)\)\[0\]", src) and "if 0 <= x2 == x5 - 1 else 0" in src
    same_quanta(lambda tier: _rotated_words_machine(tier, adjacent, SPAN + 0xE00, 0x5F0), 40)


# --- spans outlive a region run ------------------------------------------------------------------------------------


def test_a_page_remapped_between_region_runs_is_read_where_it_now_is():
    """The MMU keeps the spans regions find until TLB maintenance: after it, a remapped page's new frame is read."""
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = _walk_machine(tier, True, SPAN + 0x2800)
        before = state(engine.run(R, pmap, 3000), R)                   # the span of the three pages is known
        pmap.enter(SPAN + 0x1000, pmap.pool.grab(), VM_PROT_DEFAULT)
        engine.mmu.invalidate_page(SPAN + 0x1000)                       # (the kernel's pmap_changed)
        engine.mmu.store(SPAN + 0x1000, WORDS[::-1])
        ends[tier] = before, state(engine.run(R, pmap, 1 << 20), R)
    assert ends["tier1"] == ends["interp"] and engine.stats.pyregion_insns > 8000


def test_a_page_that_becomes_code_between_region_runs_is_written_the_slow_way():
    """A region writes a page (its span is kept), code then runs from it, and the region writes new code there."""
    nops = b"\x90" * 200
    ends = {}
    for tier in ("interp", "tier1"):
        engine, R, pmap = bare_engine(X86, STRCPY, {}, tier)
        pmap.enter(SPAN, pmap.pool.grab(), VM_PROT_ALL)
        seen = []
        for code in (nops + bytes.fromhex("31c0ffc00f0b"), nops + bytes.fromhex("31c0ffc0ffc00f0b")):
            engine.mmu.store(DATA + 0x100, code + b"\0")
            R[X86.pc_slot], R[6], R[0], R[2] = CODE, DATA + 0x100, SPAN, 0      # strcpy(SPAN, code)
            seen.append(state(engine.run(R, pmap, 1 << 20), R))
            R[X86.pc_slot] = SPAN                                             # and run it
            seen.append(state(engine.run(R, pmap, 1 << 20), R))
        ends[tier] = seen
    assert ends["tier1"] == ends["interp"] and [s[5][0] for s in ends["interp"][1::2]] == [1, 2]
    assert engine.stats.pyregion_insns > 1000


# --- what a loop computes before it starts ---------------------------------------------------------------------------
# sieve (aarch64): strb w3, [x20, w1, uxtw]; add w1, w1, w0; cmp w19, w1; b.hs; udf — the step w0 and the byte w3 are
# the same in every iteration: they are computed before the loop, and the store steps by a name.
SIEVE = struct.pack("<5I", 0x38214A83, 0x0B000021, 0x6B01027F, 0x54FFFFA2, 0)


def _sieve_machine(tier, adjacent, step, last):
    engine, R, pmap = _walk_machine(tier, adjacent, SPAN + 0x2800)
    engine.mmu.store(CODE, SIEVE)
    for name, value in {"x0": step | 0xABC << 32, "x1": 0x10, "x3": 0x1FF, "x19": last, "x20": SPAN}.items():
        exec(ARM.state_vars[name].store.format(v="value"), {"R": R, "value": value})
    return engine, R, pmap


@pytest.mark.parametrize("adjacent", [True, False])
def test_a_loop_with_a_step_it_computes_before_it_marks_every_page_exactly(adjacent):
    """Steps of 3 and 1 over three pages, to their end and to a fault past them, and a step of 0 (no end)."""
    for step, last, budget in ((3, 0x2FFF, 1 << 20), (1, 0x3010, 1 << 20), (0, 0x3000, 30_000)):
        ends = {}
        for tier in ("interp", "tier1"):
            engine, R, pmap = _sieve_machine(tier, adjacent, step, last)
            ends[tier] = state(engine.run(R, pmap, budget), R), engine.mmu.load(SPAN, 0x3000)
        assert ends["tier1"] == ends["interp"] and engine.stats.pyregion_insns > 8000
    assert ends["interp"][0][0] == EXIT_QUANTUM
    src = engine.pyregions[-1].source
    assert "_v1 = x0 & 0xffffffff" in src and "_buf[_b0 + x1] = _ms" in src and "_ms = x3 & 255" in src
    same_quanta(lambda tier: _sieve_machine(tier, adjacent, 3, 0x2FFF), 40)


def test_invariants_leave_the_loop_and_a_temporary_read_before_its_assignment_stays():
    lines = ["_ta = x3 & 255", "_tb = _tc + 1", "_tc = x4 ^ 5", "x1 = x1 + (x0 & 0xffffffff)",
             "x2 = ld8(x1) // (x0 & 7)", "    x5 = x6 + x7", "_td = x1 >> x6", "x9 = x8 & 3",
             "q0 = pack([q0 >> 8 * b & 255 for b in elems(q6, 8, 16)], 8)"]
    out, before = pyregion._invariants([(ln, 0) for ln in lines], 4)
    assert before == ["_ta = x3 & 255", "_v5 = x4 ^ 5", "_v6 = x0 & 0xffffffff", "_v7 = x0 & 7", "_v8 = x8 & 3"]
    assert [ln for ln, _ in out] == ["_tb = _tc + 1", "_tc = _v5", "x1 = x1 + _v6", "x2 = ld8(x1) // _v7",
                                     "    x5 = x6 + x7", "_td = x1 >> x6", "x9 = _v8", lines[-1]]
