"""Python regions: a hot loop's tier-1 blocks as one Python function.

A block that tier 1 has dispatched `PYHOT` times becomes the seed of a
region: it and the blocks reachable from it through static successors
(jump targets, fall-through and return sites) that have run too, up to
`MAX_BLOCKS`.  The region is one function over the same ISA statements as
the blocks (semantics written once), shaped for CPython:

* guest state variables are loaded into locals once at entry and stored
  back once at exit, not per block;
* the dispatch is a `while True:` loop that tests `_pc` against the two
  hottest blocks, then searches the others (a binary search on `_pc`); a
  pc that is no block of the region leaves.  After a block, its
  successors in the region follow inline (nested tests of `_pc`, along
  paths of the hottest blocks: `_successors_inline`), so the hot paths
  pay the dispatch once per path.  Calls are static jumps, so a callee
  and the return site of its call join the region like any successor;
  after a return (a computed jump) comes the return site of the call on
  the path, or else the region's return sites.  A block that branches to
  itself loops on its own, and so does a loop of two blocks, run as one
  (`_fused`: a back edge through a block of its own, a list walk's two
  tests), whose inner boundary keeps its budget test and trace and whose
  first block may leave it;
* flags are *deferred*: a flag the region does not read before the next
  block that assigns flags is not computed; `_fl` names the block that
  left it, and its assignment runs where the state leaves the locals —
  at the exit (into R), at a fault, for the trace hook.  A fault in the
  middle of a block recomputes the flags the block itself dropped before
  it (machr.jit.translator.plan_flags_at_exits).  A flag read once, by the
  branch after the compare, is replaced there by its expression;
* widths: what is known of each value's width simplifies the expressions
  (machr.jit.simplify), within blocks and across them — a forward dataflow
  over the region's edges gives the widths every block may assume at its
  entry (`_region_widths`).  Where the region is entered they are checked
  (`_ready_test`); until they hold, the blocks run in their general form.
  A 32- or 64-bit sum or difference of operands of known width is
  wrapped by a test instead of a mask (machr.jit.simplify.wrap_as_test),
  and a load's temporary copied into a register is loaded into it
  (`_fold_copies`);
* loads and stores (128-bit ones too) test their address against the span
  of their site: pages the TLB maps to adjacent frames, found (once per
  page and run, `_span_finder`) when an access falls outside; inside, the
  access is a `struct` call on the host bytes.  The test is on the host
  offset (a small int, where stack addresses are not); the address is
  computed without its wrap to 64 bits (`_unwrapped`), which only the
  slow path needs; in a loop, the invariant part of an address is added
  to the distance to the host bytes once, before the loop, and an access
  whose index steps by a constant runs untested for as many iterations
  as are known to keep it in its span (`_strided_form`).  Spans outlive
  the run that found them, until TLB maintenance (the MMU's memos).

Scheduling is unchanged: the budget is tested after every block (all
region blocks end at canonical boundaries), exactly where tier 1 and the
interpreter test it: `_left` is what the budget leaves at the start of a
path, and each block compares it with the path's (constant) count so
far; a block that loops on itself has the same test as the range of its
loop (`_emit`'s `self_loop`).  A MemFault or guest exit in the middle of a block
leaves the state of the interpreter: state variables are stored from the
locals, flags are live or recomputed at an instruction that may exit, and
the exit site `_x` (found from the line the exception was raised at)
gives the pc and the retired count.  A store that makes the region
invalid (code written) makes the budget end at that block
(`_STOP_IF_INVALID`), so the region leaves at its end, as tier 1 would
after the block.

With a trace hook (lockstep checks), a second variant of the function
stores the whole state into R and calls the hook at every boundary
without leaving — the locals, and so the fast path's flag liveness, stay
exactly as they are without the hook.

The function is `fn(R, budget, clock)` → `(retired, exc, site, hits)`:
`exc` is None or the MemFault/GuestExit raised at exit site `site`
(`PyRegion.sites[site]` = (block, instruction index)); `hits` (or None)
counts each block's runs for tier 2's hotness.
"""

from __future__ import annotations

import ast
import heapq
import re
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from typing import TypeVar

from machr.isa.base import Isa
from machr.jit.pyfloat import float_shadows, resident_floats, resident_view
from machr.jit.region import _split_args, halves_view, python_halves
from machr.jit.simplify import _unparse, assigned_names, simplify_statements, wrap_as_test
from machr.jit.translator import (_MAY_EXIT, _NAME, _TEMP_DEF, _TOP_ASSIGN, Block, _exposed_and_assigned, _flag_target,
                                  _forward_temps, _plan_flags, insn_statements, plan_flags_at_exits, unrecomputable)
from machr.machine.memory import PAGE_SHIFT, PAGE_SIZE
from machr.machine.mmu import READ_FLOAT, READ_HOST, TLB_MASK, WRITE_FLOAT, WRITE_HOST

PYHOT = 64                  # tier-1 dispatches of a block before it seeds a region (a power of 2)
MAX_BLOCKS = 64
MAX_INSNS = 1024

_TEMP = re.compile(r"\b(_t\w*)")
_LOAD_STMT = re.compile(r"^([A-Za-z_]\w*) = ld(8|16|32|64|128)\((.*)\)$")
_FLOAT_LOAD = re.compile(r"^([A-Za-z_]\w*) = _d\(ld64\((.*)\)\)$")      # into a float (machr.jit.pyfloat)
_ZERO = re.compile(r"^([A-Za-z_]\w*) = 0$")
_FLOAT_VALUE = re.compile(r"^_q\(([A-Za-z_]\w*)\)$")
_STORE_STMT = re.compile(r"^st(8|16|32|64|128)\((.*)\)$")
_PAIR = re.compile(r"^\(?([A-Za-z_]\w*)\)? \| \(?([A-Za-z_]\w*) << 64\)?$")     # a 128-bit value of two registers
_ANY_STORE = re.compile(r"\bst(8|16|32|64|128)\(")
_SIMPLE = re.compile(r"^([A-Za-z_]\w*|0[xX][0-9a-fA-F]+|\d+)$")
_SCALED = re.compile(r"^(?:([A-Za-z_]\w*)|\(([A-Za-z_]\w*) << (\d+)\))$")     # an index: `x` or `(x << k)`
_NUMBER = re.compile(r"^(0[xX][0-9a-fA-F]+|\d+)$")
_WRAPPED = re.compile(r"^(.+) & 0xffffffffffffffff$")


@dataclass
class BlockInfo:
    """What a region needs of one block, computed once per block."""

    per_insn: list[list[str]]         # the ISA's statements per instruction
    succ: frozenset[int] | None       # static successors (None: computed target)
    unconditional: bool               # the last instruction always assigns the next pc
    kills: frozenset[str]             # flags the block assigns (at top level)
    halves: list[list[str] | None]    # per instruction: with 128-bit registers as halves (None: it cannot be)


@dataclass(eq=False)
class PyRegion:
    """A compiled Python region and the tier-1 blocks it runs."""

    blocks: list[Block]
    source: str
    traced_source: Callable[[], str]  # made on first use: only lockstep checks trace
    sites: list[tuple[Block, int]]    # exit site -> (block, instruction index)
    counts_hits: bool
    env: dict
    fn: Callable = None
    traced_fn: Callable | None = None
    valid: bool = True
    members: frozenset[int] = field(default_factory=frozenset)

    @cached_property
    def min_insns(self) -> int:
        """Instructions of its shortest block (the engine bounds how many blocks one run may take)."""
        return min(b.ninsns for b in self.blocks)

    def traced(self) -> Callable:
        """The variant that calls the trace hook at every block boundary (compiled on first use)."""
        if self.traced_fn is None:
            self.traced_fn = _compile(self.traced_source(), self.env, self.blocks[0].pc, "_region")
        return self.traced_fn


def block_info(isa: Isa, blk: Block) -> BlockInfo:
    if blk.pyinfo is None:
        per_insn = [insn_statements(isa, i) for i in blk.insns]
        last = blk.insns[-1]
        succ, unconditional = static_successors(per_insn, last.pc + last.length)
        kills = frozenset(t for stmts in per_insn for s in stmts
                          if (t := _flag_target(s, isa.flag_vars)) is not None)
        halves = [python_halves(isa, i, stmts) for i, stmts in zip(blk.insns, per_insn, strict=True)]
        blk.pyinfo = BlockInfo(per_insn, succ, unconditional, kills, halves)
    return blk.pyinfo


def static_successors(per_insn: list[list[str]], fallthrough: int) -> tuple[frozenset[int] | None, bool]:
    """The next pcs a block can have (None if one is computed) and whether the fall-through default is overwritten.

    Every assignment of `_npc` must be a literal or a conditional between
    literals (`_npc = A if c else B`); a top-level single-line one replaces
    the fall-through.
    """
    targets: set[int] = set()
    unconditional = False
    for stmts in per_insn:
        for s in stmts:
            if "_npc" not in s:
                continue
            try:
                tree = ast.parse(s)
            except SyntaxError:
                return None, False
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and node.id == "_npc" and not isinstance(node.ctx, ast.Store):
                    return None, False
                if isinstance(node, (ast.AugAssign, ast.AnnAssign)) and getattr(node.target, "id", "") == "_npc":
                    return None, False
                if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_npc" for t in node.targets):
                    values = _literals(node.value)
                    if values is None:
                        return None, False
                    targets |= values
            if "\n" not in s and s.startswith("_npc = "):
                unconditional = True
    if not unconditional:
        targets.add(fallthrough)
    return frozenset(targets), unconditional


def _literals(node: ast.AST) -> set[int] | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return {node.value}
    if isinstance(node, ast.IfExp):
        a, b = _literals(node.body), _literals(node.orelse)
        return None if a is None or b is None else a | b
    return None


# --- formation -----------------------------------------------------------------


def eligible(blk: Block) -> bool:
    """Can `blk` be part of a Python region (valid, canonical end, not run by tier 2)?"""
    return blk.valid and blk.boundary and blk.region is None and blk.insns[0].form != "undefined"


def choose_blocks(isa: Isa, cache: dict[int, Block], seed: Block) -> list[Block] | None:
    """`seed` and the blocks reachable from it by static successors that ran, breadth first; None if no loop.

    Blocks already in other regions may be taken again (a loop around an
    inner loop's region absorbs it); the newest region is the one entered.
    """
    if not eligible(seed):
        return None
    chosen: list[Block] = []
    total = 0
    seen = {seed.pc}
    queue = deque([seed])
    while queue and len(chosen) < MAX_BLOCKS:
        blk = queue.popleft()
        if not eligible(blk) or (blk is not seed and blk.hits < PYHOT // 8) or total + blk.ninsns > MAX_INSNS:
            continue
        chosen.append(blk)
        total += blk.ninsns
        info = block_info(isa, blk)
        last = blk.insns[-1]
        for pc in sorted(info.succ or ()) + [last.pc + last.length]:      # + the return site of a call
            nxt = cache.get(pc)
            if nxt is not None and pc not in seen:
                seen.add(pc)
                queue.append(nxt)
    pcs = {b.pc for b in chosen}
    if not any(block_info(isa, b).succ and block_info(isa, b).succ & pcs for b in chosen):
        return None
    return chosen


# --- code generation -----------------------------------------------------------


def _liveness(isa: Isa, blocks: list[Block], renamed: list[list[list[str]]], pcs: set[int]) -> dict[int, set[str]]:
    """Per block: the flags whose locals must hold their value at its end (the others are deferred, `_fl`).

    A flag is needed at a block's entry if the block reads it before
    assigning it (a fault does not count: `plan_flags_at_exits`), if it is
    needed at the end and the block does not assign it, or if the block
    assigns flags but not this one: that block clears what was deferred
    before it (`_fl`), so only flags it assigns may have been left.
    A computed target may be any block of the region: what any of them
    needs is needed there.  An edge that leaves the region needs nothing
    (the exit computes what is deferred).
    """
    flags = isa.flag_vars
    infos = {b.pc: block_info(isa, b) for b in blocks}
    blocked = {b.pc: unrecomputable(isa, per_insn) for b, per_insn in zip(blocks, renamed, strict=True)}
    need_in: dict[int, set[str]] = {b.pc: set() for b in blocks}
    need_out: dict[int, set[str]] = {}
    changed = True
    while changed:
        changed = False
        for b, per_insn in zip(blocks, renamed, strict=True):
            info = infos[b.pc]
            out = set().union(*(need_in[s] for s in (pcs if info.succ is None else info.succ & pcs)))
            need_out[b.pc] = out
            n = set(_plan_flags(isa, per_insn, out, blocked[b.pc])[2])
            if info.kills:
                n |= flags - info.kills
            if n != need_in[b.pc]:
                need_in[b.pc] = n
                changed = True
    return need_out


def _renamed(per_insn: list[list[str]]) -> list[list[str]]:
    """Temporaries made unique per instruction (`_t0` of instruction 3 → `_t0_3`).

    A sunk or deferred flag keeps its inputs: nothing else assigns them.
    Across blocks they become unique once the block is planned
    (`_of_block`); the names planning and forwarding see recur from block
    to block and region to region, which keeps their caches warm.
    """
    return [[_TEMP.sub(rf"\1_{k}", s) for s in stmts] for k, stmts in enumerate(per_insn)]


def _of_block(per_insn: list[list[str]], block: int) -> list[list[str]]:
    """Temporaries made unique per block of the region (`_t0_3` of its block 1 → `_t0_3_1`)."""
    return [[_TEMP.sub(rf"\1_{block}", s) for s in stmts] for stmts in per_insn]


def _entry_widths(isa: Isa) -> dict[str, int]:
    widths = {}
    for name, sv in isa.state_vars.items():
        if name in isa.flag_vars:
            widths[name] = 1
        elif re.fullmatch(r"R\[\d+\]", sv.load):
            widths[name] = 64
        elif "<< 64" in sv.load:
            widths[name] = 128
    return widths


@dataclass
class _Planned:
    """One block's statements after flag planning, before simplification (which depends on known widths)."""

    blk: Block
    info: BlockInfo
    kept: list[list[str]]           # per instruction
    first_site: int                 # exit site of its first instruction
    at_exit: list[list[str]]        # per instruction: flag assignments a fault there recomputes
    deferred: list[str]             # flag assignments left to whoever needs the flags later (`_fl`)
    assigns: list[set[str]]         # per instruction: the flags it assigns (kept or not)
    fl: int | None = None           # the value it gives `_fl` at its end (None: leaves it)


@dataclass
class _BlockCode:
    blk: Block
    body: list[tuple[str, int]]     # (line, exit site: the instruction it belongs to)
    hoisted: list[str] = field(default_factory=list)    # lines run before the block, or once before its loop


def region_sources(isa: Isa, blocks: list[Block], counts_hits: bool
                   ) -> tuple[str, Callable[[], str], list[tuple[Block, int]]]:
    """(source, the function that makes the traced source, exit sites) of the region function `_region` over `blocks`.

    `blocks`: hottest first.
    """
    pcs = {b.pc for b in blocks}
    fused: dict[int, int] = {}                  # a fused block's pc -> its first block's instructions (`_fused`)
    leaves: set[int] = set()                    # fused blocks whose first block may branch elsewhere
    blocks = [_fused(isa, b, blocks, fused, leaves) for b in blocks]
    halves = [block_info(isa, b).halves for b in blocks]
    if all(stmts is not None for per_insn in halves for stmts in per_insn):
        # 128-bit registers as their two R slots, binary64 arithmetic on floats (machr.jit.region, .pyfloat)
        isa = halves_view(isa)
        resident = resident_floats(isa, halves)
        isa = resident_view(isa, resident)
        per_block = [float_shadows(isa, per_insn, resident) for per_insn in halves]
    else:
        per_block = [block_info(isa, b).per_insn for b in blocks]
    renamed = [[[_virtual_time(s, k) for s in stmts]
                for k, stmts in enumerate(_renamed(per_insn))] for per_insn in per_block]
    need_out = _liveness(isa, blocks, renamed, pcs)
    sites: list[tuple[Block, int]] = []
    planned = []
    anywhere = {n for per_insn in renamed for stmts in per_insn for s in stmts for n in assigned_names(s)}
    for i, (b, per_insn) in enumerate(zip(blocks, renamed, strict=True)):
        info = block_info(isa, b)
        per_insn = _compares_as_sums(isa, _forward_flags(isa, per_insn, need_out[b.pc], anywhere))
        plan = plan_flags_at_exits(isa, per_insn, need_out[b.pc])
        deferred = [s for s in plan.sunk if _deferrable(s, per_insn, anywhere)]
        kept = plan.kept[:-1] + [plan.kept[-1] + [s for s in plan.sunk if s not in deferred]]
        # The deferred and fault-time assignments read temporaries as if at the end: constants fold into them.
        inputs = {n for s in deferred + [s for st in plan.at_exit for s in st] for n in _TEMP.findall(s)}
        fwd = _forward_temps(kept + [deferred] + plan.at_exit, keep=inputs)
        n = len(kept)
        fwd = _of_block(_sink_temps(fwd[:n], fwd[n:], per_insn), i)
        assigns = [{f for s in stmts for f in assigned_names(s) & isa.flag_vars} for stmts in per_insn]
        planned.append(_Planned(b, info, fwd[:n], len(sites), fwd[n + 1:], fwd[n], assigns))
        sites += [(b, k) for k in range(b.ninsns)]
    _number_deferrals(planned)
    base, assumed = _region_widths(isa, planned, pcs)
    mem_sites = _Sites()
    codes = [_block_code(p, dict(assumed[p.blk.pc]), mem_sites) for p in planned]
    ready = _ready_test(isa, planned, base, assumed)
    generals = [_block_code(p, dict(base), mem_sites) for p in planned] if ready else []
    used: set[str] = set()
    assigned: set[str] = set()
    for s in [ln for c in codes + generals for ln, _ in c.body] + [s for p in planned for s in p.deferred]:
        used.update(n for n in _NAME.findall(s) if n in isa.state_vars)
        assigned.update(n for n in _assigned_state(s, isa))
    deferred = _deferred_flags(isa, planned)
    faults = _fault_flags(planned, deferred)
    args = (generals, ready, codes, deferred, faults, used, assigned, sites, mem_sites, counts_hits, fused, leaves)
    return _emit(isa, *args, traced=False), lambda: _emit(isa, *args, traced=True), sites


def _fused(isa: Isa, a: Block, blocks: list[Block], fused: dict[int, int], leaves: set[int]) -> Block:
    """`a`, or `a` and a successor as one block when that one may branch back to it: a loop on itself.

    A loop of two blocks (a back edge through a block of its own, `mov`s
    and a `jmp` to the loop's head as gcc rotates loops; a list walk's test
    of the pointer, then of the key) runs two blocks and two dispatches per
    iteration in a region, and no block loops on itself for `_emit`'s
    `self_loop`.  The pair as one block (at `a`'s pc) does.  The boundary
    between the two keeps its budget test and trace (`fused`: pc -> the
    first's instructions); where `a` branches elsewhere than the second,
    the pair leaves there (a side exit: `_emit`'s `block`).  Only a first
    block that assigns no flag and stores nothing: its part then needs
    nothing that the pair's planning might drop or defer (an exit after it
    leaves the state it left), and a store cannot end the region in its
    middle.
    """
    info = block_info(isa, a)
    if info.succ is None or info.kills or any(_ANY_STORE.search(s) for stmts in info.per_insn for s in stmts):
        return a
    head = next((b for b in blocks if b.pc in info.succ and b is not a and a.pc in (block_info(isa, b).succ or ())),
                None)
    if head is None or not info.unconditional:         # (its last instruction assigns the next pc: `_pc` holds it)
        return a
    second = block_info(isa, head)
    pair = Block(a.pc, a.ninsns + head.ninsns, a.fn, "", a.frames + head.frames, head.ends_block,
                 insns=a.insns + head.insns, hits=a.hits)
    pair.pyinfo = BlockInfo(info.per_insn + second.per_insn, second.succ | (info.succ - {head.pc}),
                            second.unconditional, info.kills | second.kills, info.halves + second.halves)
    fused[a.pc] = a.ninsns
    if len(info.succ) > 1:
        leaves.add(a.pc)
    return pair


_CALLS = re.compile(r"\w\s*\(")
_COPY_OF = re.compile(r"^([A-Za-z_]\w*) = (?!.*\n)(.+)$")


def _sink_temps(kept: list[list[str]], later: list[list[str]], per_insn: list[list[str]]) -> list[list[str]]:
    """`kept` + `later` (deferred flags, flags recomputed at faults), with temporaries only `later` reads moved into it.

    `_t4 = _t2 - _t3 & 0xffffffff` that only the deferred flags of a
    compare read need not run on the fast path: its expression goes into
    them, over its inputs, which must be temporaries the block defines once
    (they hold until it runs again), in the same instruction (whose flags
    read them) and, like the flags' own inputs (`_deferrable`), not before
    its last statement that may leave.
    """
    flat = [s for stmts in kept for s in stmts]
    defs: dict[str, int] = {}
    where: dict[str, int] = {}                    # name -> the instruction that assigns it
    for k, stmts in enumerate(kept):
        for s in stmts:
            for name in assigned_names(s):
                defs[name] = defs.get(name, 0) + 1
                where[name] = k
    for k, stmts in enumerate(kept):
        early = _assigned_until_exit(per_insn[k])
        for s in reversed(list(stmts)):     # last first: a temporary only the sunk one read may follow it
            m = _TEMP_DEF.match(s)
            if m is None or _CALLS.search(m.group(2)) or defs.get(m.group(1)) != 1:
                continue
            temp, expr = m.groups()
            inputs = set(_NAME.findall(expr))
            word = re.compile(rf"\b{temp}\b")
            if (any(not _TEMP.fullmatch(n) or defs.get(n) != 1 or where[n] != k for n in inputs) or inputs & early
                    or any(word.search(x) for x in flat if x is not s)
                    or not any(word.search(x) for st in later for x in st)):
                continue
            stmts.remove(s)
            flat.remove(s)
            later = [[word.sub(f"({expr})", x) for x in st] for st in later]
    return kept + later


T = TypeVar("T")
_COPY = re.compile(r"^([A-Za-z_]\w*) = (_t\w*)$")


def _fold_copies(kept: list[list[tuple[str, T]]], later: list[str]) -> list[list[tuple[str, T]]]:
    """`_t = E` and a later `x = _t` in the same instruction become `x = E` where nothing else names `_t`.

    Typically a load's temporary copied into its register (`movzx ecx,
    byte [...]`, `ldrb w2, [x1, #1]!` after its write-back), which
    `_forward_temps` leaves since a load may fault; the copy is often one
    only once simplified (`x3 = _tv & 0xff` of a byte).  The statements
    between the two must neither name `x` nor be able to leave, so `x` gets
    its value where no one can see the difference, and none if `E` raises.
    `kept`: per instruction, (statement, what goes with it: the merged
    statement keeps the definition's); `later`: the statements that run
    elsewhere (deferred flags, flags recomputed at faults), which must not
    name `_t` either.
    """
    counts: dict[str, int] = {}
    for x in [s for row in kept for s, _ in row] + later:
        for name in _TEMP.findall(x):
            counts[name] = counts.get(name, 0) + 1
    out = [list(row) for row in kept]
    for row in out:
        k = 0
        while k < len(row):
            text, extra = row[k]
            d = _TEMP_DEF.match(text)
            j = _copy_of([s for s, _ in row], k, d.group(1)) if d and counts.get(d.group(1)) == 2 else None
            if j is None or "\n" in text:
                k += 1
                continue
            row[k] = (f"{_COPY.match(row[j][0]).group(1)} = {d.group(2)}", extra)
            del row[j]
            counts[d.group(1)] = 0                 # `x` may be a temporary copied on in turn: look at it again
    return out


def _copy_of(st: list[str], k: int, temp: str) -> int | None:
    """Where `st[k]`'s temporary `temp` is copied (`x = temp`) with nothing in between that names `x` or may leave."""
    for j in range(k + 1, len(st)):
        m = _COPY.match(st[j])
        if m and m.group(2) == temp:
            word = re.compile(rf"\b{m.group(1)}\b")
            between = st[k + 1:j]
            if any("\n" in x or _MAY_EXIT.search(x) or word.search(x) for x in between):
                return None
            return j
    return None


def _deferrable(s: str, per_insn: list[list[str]], anywhere: set[str]) -> bool:
    """Can the sunk flag assignment `s` run later, anywhere in the region, with the same result?

    Its inputs must be temporaries of its block (only that block assigns
    them: `_of_block`), or names nothing in the region assigns.  If its
    instruction may fault (`cmp [mem], r`), a second run of the block that
    faults there reports the flags of the first run from these temporaries:
    the instruction must not assign any of them before its last statement
    that may leave.
    """
    rhs = s.partition(" = ")[2]
    names = set(_NAME.findall(rhs))
    temps = {n for n in names if _TEMP.fullmatch(n)}
    if (names - temps) & anywhere or _MAY_EXIT.search(rhs):
        return False
    return not temps or not any(temps & _assigned_until_exit(stmts) for stmts in per_insn if s in stmts)


@lru_cache(maxsize=1 << 12)
def _until_exit(stmts: tuple[str, ...]) -> frozenset[str]:
    last = max((i for i, x in enumerate(stmts) if _MAY_EXIT.search(x)), default=-1)
    return frozenset().union(*(assigned_names(x) for x in stmts[:last + 1]))


def _assigned_until_exit(stmts: list[str]) -> frozenset[str]:
    """Names an instruction assigns up to its last statement that may leave (none if no statement may)."""
    return _until_exit(tuple(stmts))


def _forward_flags(isa: Isa, per_insn: list[list[str]], need_out: set[str], anywhere: set[str]) -> list[list[str]]:
    """A flag read once in its block and dead after that read: its expression in the reader instead.

    Typically the conditional branch after a compare (`_npc = A if zf == 0
    else B`): the flag's assignment, now read by nobody, is deferred like
    the other flags (so it must be `_deferrable`), and the branch tests the
    comparison itself (machr.jit.simplify folds `(x == 0) == 0`).  Nothing
    between the assignment and the reader may assign a name it reads.
    """
    flags = isa.flag_vars
    flat = [(k, s) for k, stmts in enumerate(per_insn) for s in stmts]
    for i, (_, stmt) in enumerate(flat):
        flag = _flag_target(stmt, flags)
        if flag is None or not _deferrable(stmt, per_insn, anywhere):
            continue
        expr = stmt.partition(" = ")[2].strip()
        inputs = set(_NAME.findall(expr))
        readers, dead, clobbered = [], flag not in need_out, False
        for j in range(i + 1, len(flat)):
            s = flat[j][1]
            names = _NAME.findall(s)
            if flag in names and _flag_target(s, flags) != flag:
                readers.append(j)
            if flag in assigned_names(s):
                dead = _flag_target(s, flags) == flag and flag not in _NAME.findall(s.partition(" = ")[2])
                break
            if not readers and assigned_names(s) & inputs:
                clobbered = True
        if len(readers) != 1 or not dead or clobbered:
            continue
        j = readers[0]
        k, reader = flat[j]
        if "\n" in reader or _NAME.findall(reader).count(flag) != 1:
            continue
        flat[j] = (k, re.sub(rf"\b{flag}\b", f"({expr})", reader))
    out: list[list[str]] = [[] for _ in per_insn]
    for k, s in flat:
        out[k].append(s)
    return out


_IS_ZERO = re.compile(r"\b(_t\w+) ([!=])= 0\b")
_MASKED = re.compile(r"^(_t\w+) & (0x[0-9a-f]+)$")
_PLUS_ONE = re.compile(r"^(_t\w+) \+ (_t\w+) \+ 1$")


def _compares_as_sums(isa: Isa, per_insn: list[list[str]]) -> list[list[str]]:
    """`t == 0` (or `!=`) of `t = s & M`, `s = a + b + 1` (a subtraction, ARM's `cmp`) as `a + b == M` but in flags.

    With `a` and `b` within `M` (a width's ones), `a + b + 1` is a multiple
    of `M + 1` only when it is `M + 1`.  The branch after a compare then
    reads neither `s` nor `t`, which go where only the deferred flags read
    them (`_sink_temps`).
    """
    found = [m for stmts in per_insn for x in stmts if (m := _TEMP_DEF.match(x))]
    once = Counter(m[1] for m in found)
    defs = {m[1]: m[2] for m in found if once[m[1]] == 1}

    def as_sum(m: re.Match) -> str:
        masked = _MASKED.match(defs.get(m[1], ""))
        summed = masked and _PLUS_ONE.match(defs.get(masked[1], ""))
        if not summed:
            return m[0]
        mask = int(masked[2], 16)
        return f"{summed[1]} + {summed[2]} {m[2]}= {mask:#x}" if fits(summed.groups(), mask) else m[0]

    def fits(names: tuple[str, ...], mask: int) -> bool:
        widths = known()
        return not mask & (mask + 1) and all(widths.get(n, mask.bit_length() + 1) <= mask.bit_length() for n in names)

    @cache
    def known() -> dict[str, int]:
        widths = _entry_widths(isa)
        for stmts in per_insn:
            simplify_statements(stmts, widths)
        return widths

    return [[x if _flag_target(x, isa.flag_vars) or "== 0" not in x and "!= 0" not in x else _IS_ZERO.sub(as_sum, x)
             for x in stmts] for stmts in per_insn]


def _number_deferrals(planned: list[_Planned]) -> None:
    """`_fl`: which block last left flags to be computed later (0: none); set at the end of blocks that assign flags.

    Between a block that defers a flag and the next block that assigns any
    flag, nothing assigns it: every flag that next block does not assign
    is needed in its local (`_liveness`), so the deferred ones are among
    those it assigns, and it replaces `_fl`.  The flags deferred are thus
    those of block `_fl`, minus what the running block assigned already.
    """
    if not any(p.deferred for p in planned):
        return
    for i, p in enumerate(planned):
        if p.deferred:
            p.fl = i + 1
        elif p.info.kills:
            p.fl = 0


Deferral = tuple[int, list[tuple[str, str, tuple[int, ...]]]]


def _deferred_flags(isa: Isa, planned: list[_Planned]) -> list[Deferral]:
    """Per block that defers flags: (its `_fl`, [(flag, expression, exit sites whose block assigned it before)])."""
    flags = isa.flag_vars
    assigned_before: dict[str, list[int]] = {f: [] for f in flags}
    for q in planned:
        before: set[str] = set()
        for k, assigns in enumerate(q.assigns):
            for f in before:
                assigned_before[f].append(q.first_site + k)
            before |= assigns
    out = []
    for p in planned:
        if p.deferred:
            out.append((p.fl, [(flag, expr, tuple(assigned_before[flag]))
                               for flag, _, expr in (s.partition(" = ") for s in p.deferred)]))
    return out


def _fault_flags(planned: list[_Planned], deferred: list[Deferral]) -> list[str]:
    """Lines of the fault handler that give the flags their values at the fault's site `_x`.

    First those deferred by block `_fl`, unless the faulting block assigned
    them before the site; then those the faulting block itself dropped
    before the site (`FlagPlan.at_exit`).
    """
    lines = []
    sets: dict[tuple[int, ...], str] = {}           # each set of sites once, in a local: they recur by flag
    for i, (fl, assignments) in enumerate(deferred):
        lines.append(f"{'el' if i else ''}if _fl == {fl}:")
        by_sites: dict[tuple[int, ...], list[str]] = {}
        for flag, expr, before in assignments:
            by_sites.setdefault(before, []).append(f"{flag} = {expr}")
        for before, stmts in by_sites.items():
            if before:
                lines.append(f"    if _x not in {sets.setdefault(before, f'_xs{len(sets)}')}:")
            lines += [("        " if before else "    ") + s for s in stmts]
    lines[:0] = [f"{name} = {before!r}" for before, name in sets.items()]
    groups: dict[tuple[str, ...], list[int]] = {}
    for p in planned:
        for k, stmts in enumerate(p.at_exit):
            if stmts:
                groups.setdefault(tuple(stmts), []).append(p.first_site + k)
    for stmts, where in groups.items():
        lines.append(f"if _x in {tuple(where)!r}:")
        lines += ["    " + s for s in stmts]
    return lines


def _block_code(p: _Planned, widths: dict[str, int], mem_sites: _Sites) -> _BlockCode:
    """The block's lines simplified with `widths` known at its entry (`widths` becomes those at its end)."""
    b, info = p.blk, p.info
    simplified = []                       # per instruction: (statement, the widths before it)
    for stmts in p.kept:
        row = []
        for stmt in stmts:
            before = dict(widths)
            text = simplify_statements([stmt], widths)[0]
            zero = _ZERO.match(text)
            if zero is None or before.get(zero.group(1)) != 0:      # (a register known to be 0 is not zeroed again)
                row.append((text, before))
        simplified.append(row)
    simplified = _fold_copies(simplified, p.deferred + [s for st in p.at_exit for s in st])
    body: list[tuple[str, int]] = []
    loops = b.pc in (info.succ or ())
    varying = {n for row in simplified for t, _ in row for n in assigned_names(t)}
    mem = _MemoryInliner(mem_sites, varying if loops else None)
    for k, row in enumerate(simplified):
        insn = b.insns[k]
        site = p.first_site + k
        if k == len(p.kept) - 1 and not info.unconditional and not any(_SETS_NPC.match(s) for s in p.kept[k]):
            body.append((f"_pc = {insn.pc + insn.length:#x}", site))      # the fall-through, unless always replaced
        for text, before, named in _address_defs(row):
            body += [(x, site) for ln in mem.lines(text.replace("_npc", "_pc"), before, named)
                     for x in (wrap_as_test(ln, before) if ln[0] != " " else [ln])]
    if p.fl is not None:
        body.append((f"_fl = {p.fl}", p.first_site + len(p.kept) - 1))
    return _BlockCode(b, body, mem.hoisted)


def _address_defs(row: list[tuple[str, dict[str, int]]]) -> list[tuple[str, dict[str, int], tuple[str, str] | None]]:
    """An instruction's (statement, widths before it, None), but a temporary's wrapped address and its access as one.

    `_t = E & 0xffffffffffffffff` right before a load or store at `_t` (a
    write-back address, `ldrb w2, [x1, #1]!`) becomes part of the access
    (`_MemoryInliner.lines`): inside its span the address needs no wrap.
    """
    out = []
    skip = False
    for (text, before), (after, widths) in zip(row, row[1:] + [("", {})], strict=True) if row else ():
        if skip:
            skip = False
            continue
        d = _TEMP_DEF.match(text)
        m = _LOAD_STMT.match(after) or _STORE_STMT.match(after)
        address = m and (m.group(3) if m.re is _LOAD_STMT else _split_args(m.group(2))[0]).strip()
        if d and "\n" not in text and _unwrapped(d.group(2).strip()) and address == d.group(1):
            out.append((after, widths, (d.group(1), d.group(2).strip())))
            skip = True
        else:
            out.append((text, before, None))
    return out


# A computed jump's `_npc = <expression that does not read _npc>`: the fall-through default is never seen.
_SETS_NPC = re.compile(r"^_npc = (?!.*\b_npc\b)")

_WIDTH_ROUNDS = 16


def _region_widths(isa: Isa, planned: list[_Planned], pcs: set[int]
                   ) -> tuple[dict[str, int], dict[int, dict[str, int]]]:
    """(register widths, widths each block may assume at its entry when a block of the region ran before it).

    A forward dataflow over the region's edges: what a block assumes at
    entry is the join (the wider bound; unknown if unknown on any edge) of
    what its in-region predecessors know at their end, never less than the
    ISA contract gives (state variables hold register-width values).
    Iterated to a fixed point, so every edge inside the region keeps the
    assumptions of the block it leads to; the region checks them only where
    it is entered (`_ready_test`).  If they do not settle in
    `_WIDTH_ROUNDS` rounds, nothing is assumed beyond the register widths.
    """
    base = _entry_widths(isa)
    state = isa.state_vars
    preds: dict[int, list[int]] = {pc: [] for pc in pcs}
    for p in planned:
        for s in _next_blocks(p, pcs):
            preds[s].append(p.blk.pc)

    done: dict[tuple, dict[str, int]] = {}        # (block, widths at its entry) -> widths at its end

    def exit_widths(p: _Planned, widths: dict[str, int]) -> dict[str, int]:
        key = (p.blk.pc, tuple(sorted(widths.items())))
        if key not in done:
            widths = dict(widths)
            for stmts in p.kept:
                simplify_statements(stmts, widths)
            done[key] = {n: w for n, w in widths.items() if n in state}
        return done[key]

    ends: dict[int, dict[str, int]] = {}           # blocks not analysed yet constrain nothing
    for _ in range(_WIDTH_ROUNDS):
        entry = {pc: _join([ends[q] for q in preds[pc] if q in ends], base) for pc in pcs}
        new = {p.blk.pc: exit_widths(p, entry[p.blk.pc]) for p in planned}
        if new == ends:
            return base, entry
        ends = new
    return base, {pc: dict(base) for pc in pcs}


def _next_blocks(p: _Planned, pcs: set[int]) -> set[int]:
    """The blocks of the region that may run right after `p` (after a computed jump: any)."""
    return pcs if p.info.succ is None else p.info.succ & pcs


def _needed(isa: Isa, planned: list[_Planned], pcs: set[int]) -> dict[int, set[str]]:
    """State variables whose value at each block's entry the region may read (before assigning it) while it stays in it.

    Only their widths need to hold where the region's assumptions are checked.
    """
    exposed, assigned = {}, {}
    for p in planned:
        exposed[p.blk.pc], assigned[p.blk.pc] = _exposed_and_assigned(isa, [s for st in p.kept for s in st])
    needed = {pc: set(exposed[pc]) for pc in pcs}
    changed = True
    while changed:
        changed = False
        for p in planned:
            pc = p.blk.pc
            more = set().union(*(needed[s] for s in _next_blocks(p, pcs))) - assigned[pc] - needed[pc]
            if more:
                needed[pc] |= more
                changed = True
    return needed


def _ready_test(isa: Isa, planned: list[_Planned], base: dict[str, int], assumed: dict[int, dict[str, int]]) -> str:
    """When the block at `_pc` may run with its assumed widths ("" if no block assumes more than `base`).

    State variables are non-negative (machr.isa.base), so a bound is one comparison.
    """
    terms = []
    plain = []
    needed = _needed(isa, planned, set(assumed))
    for p in planned:
        pc = p.blk.pc
        narrower = [f"{v} < {1 << w:#x}" for v, w in sorted(assumed[pc].items())
                    if v in needed[pc] and w < base[v]]
        if narrower:
            terms.append(" and ".join([f"_pc == {pc:#x}"] + narrower))
        else:
            plain.append(pc)
    if not terms:
        return ""
    if plain:
        terms.append(f"_pc == {plain[0]:#x}" if len(plain) == 1
                     else f"_pc in ({', '.join(f'{pc:#x}' for pc in plain)})")
    return " or ".join(terms)


def _join(ends: list[dict[str, int]], base: dict[str, int]) -> dict[str, int]:
    """Widths that hold on every one of `ends` (the wider of two bounds), capped by the register widths `base`.

    Only variables the contract bounds are assumed anything of: the
    region's entry check (`_ready_test`) relies on their being non-negative.
    """
    if not ends:
        return dict(base)
    out = dict(base)
    for name in set(base).intersection(*ends):
        out[name] = min(base[name], max(e[name] for e in ends))
    return out


_ASSIGN_TARGET = re.compile(r"^\s*([A-Za-z_][\w\s,]*?)\s*(?:[-+*/%&|^@]|<<|>>|//|\*\*)?=(?!=)", re.M)


def _assigned_state(s: str, isa: Isa) -> set[str]:
    return {n for m in _ASSIGN_TARGET.finditer(s) for n in _NAME.findall(m.group(1)) if n in isa.state_vars}


def _virtual_time(s: str, k: int) -> str:
    """`_clock()` (retired count at block entry) and `_n` (index in the block) in region terms."""
    if "_clock(" in s or "_n" in s:
        s = re.sub(r"\b_clock\(\)", "(_clk + _bud - _left + _ret)", s)
        s = re.sub(r"\b_n\b", str(k), s)
    return s


# A store went the slow way and may have written code this region was made from: leave after this block.
# `_left` becomes the path's count at the block's entry (`_ret`, `_emit`), so the budget test after the block
# leaves; `_bud` keeps the retired count (`_bud - _left` + the path's count) as it was.
_STOP_IF_INVALID = "_bud, _left = (_bud, _left) if _PYR.valid else (_bud - _left + _ret, _ret)"
_RET = re.compile(r"\b_ret\b")


@dataclass
class _Sites:
    """The region's memory access sites so far."""

    count: int = 0
    fixed: set[int] = field(default_factory=set)     # sites at a constant address (`_MemoryInliner._access`)
    strided: dict[str, _Strided] = field(default_factory=dict)      # by the first of their lines


@dataclass(frozen=True)
class _Strided:
    """An access site of a block that loops on itself, at host offset `base + index` (`base`: `_b<i>` or `_hd<i>`).

    `index` is a name shifted left by `shift` (an array's scaled index);
    where the name steps by a constant each iteration (`_strided_form`), a
    run of iterations that keeps the access in its span is known before it
    starts, and they run `fast`, without the test.
    """

    site: int
    base: str
    index: str
    shift: int
    checked: tuple[str, ...]        # the site's lines
    fast: tuple[str, ...]           # the access as it is inside the span


class _MemoryInliner:
    """Statements of one block as region lines, with whole-statement loads and stores inline (`_access`).

    An access to the same address as the access just before it (a
    read-modify-write) reuses its address.  Any other store
    (inside a compound statement, 128-bit) is followed by the test that
    ends the region after this block if the store wrote code.
    """

    def __init__(self, sites: _Sites, varying: set[str] | None = None):
        self.addr: str | None = None          # address expression of the last inlined access, while `_ma` holds it
        self.inputs: set[str] = set()
        self.sites = sites                    # the region's access sites so far (each remembers a span)
        self.varying = varying                # a block that loops on itself: the names it assigns
        self.hoisted: list[str] = []          # lines to run before the block (`_access`)

    def _site(self) -> int:
        self.sites.count += 1
        return self.sites.count - 1

    def lines(self, s: str, widths: dict[str, int], named: tuple[str, str] | None = None) -> list[str]:
        """The region lines of statement `s`; `widths`: what is known of the widths of the names it reads.

        `named`: (temporary, its definition `E & 0xffffffffffffffff`) when
        `s` accesses memory at that temporary, defined right before it
        (`_address_defs`): the temporary is assigned `E` and wrapped only
        on the slow path, as `_ma` is (`_address`).  A statement that
        assigns the address `_ma` holds assigns `_ma` (a push's `rsp`).
        """
        m = _LOAD_STMT.match(s)
        f = _FLOAT_LOAD.match(s)
        if m and _balanced(m.group(3)) or f and _balanced(f.group(2)):
            target, bits, addr = (m.group(1), int(m.group(2)), m.group(3)) if m else (f.group(1), 64, f.group(2))
            pre, a, wrap = self._address(addr, named)
            load = f"ld{bits}({a})"
            out = self._access("_rspan", bits, a, f"{target} = " + (READ_HOST[bits] if m else READ_FLOAT),
                               f"{wrap}{target} = {load if m else f'_d({load})'}", pre)
            self._assigned({target})
            return out
        m = _STORE_STMT.match(s)
        if m and _balanced(m.group(2)):
            bits = int(m.group(1))
            addr, value = _split_args(m.group(2))
            pre, a, wrap = self._address(addr, named)
            pair = _PAIR.match(value.strip()) if bits == 128 else None
            if pair and all(widths.get(n, 65) <= 64 for n in pair.groups()):
                # `stp`: the two registers go into their halves as they are, the 128-bit value is never built.
                low, high = (WRITE_HOST[64].replace("{x}", n) for n in pair.groups())
                use = f"{low}; {high.replace('{p}', '({p}) + 8')}"
                return self._access("_wspan", bits, a, use, f"{wrap}st{bits}({a}, {value}); {_STOP_IF_INVALID}", pre)
            held = _FLOAT_VALUE.match(value.strip()) if bits == 64 else None
            if held:                                # a float's bits (machr.jit.pyfloat): the double goes in as it is
                return self._access("_wspan", bits, a, WRITE_FLOAT.replace("{x}", held.group(1)),
                                    f"{wrap}st{bits}({a}, {value.strip()}); {_STOP_IF_INVALID}", pre)
            pre2, x = _named(value, "_ms")
            return pre2 + self._access("_wspan", bits, a, WRITE_HOST[bits].replace("{x}", x),
                                       f"{wrap}st{bits}({a}, {x}); {_STOP_IF_INVALID}", pre)
        m = _COPY_OF.match(s)
        if m and self.addr is not None and not _SIMPLE.match(self.addr) and m.group(2).strip() == self.addr:
            s = f"{m.group(1)} = _ma"
        self._assigned(assigned_names(s))
        if _ANY_STORE.search(s):
            return s.split("\n") + [_STOP_IF_INVALID]
        return s.split("\n")

    def _access(self, span: str, bits: int, a: str, use: str, slow: str, pre: list[str]) -> list[str]:
        """Lines for an access at `a` (`pre` computes it): `use` (with {p}, its host offset) in its span, else `slow`.

        The site's span `_lo<i>` .. `_hi<i>` (the host offsets of the
        addresses whose access stays inside it) and the distance `_hd<i>`
        from the addresses to their host offsets cover the pages around the
        last page it missed in (`_span_finder`); the access tests its host
        offset `_mp`.  A site at a constant address (a global on x86) keeps
        its host offset `_p<i>` instead, None until an access falls inside a
        span: a span holds for the whole run, so the constant stays inside
        the one found, and the hit path is one test of `_p<i>`.  In a block
        that loops on itself, an address `A + B` (`pre`: `_ma = A + B`) of
        an `A` the block does not assign has the host offset `_b<i> + B`:
        `_b<i> = A + _hd<i>` runs before the loop (`hoisted`), and again
        where `_hd<i>` changes; only the slow path needs `_ma`.
        """
        i = self._site()
        lo, hi, hd = f"_lo{i}", f"_hi{i}", f"_hd{i}"
        last = PAGE_SIZE - bits // 8
        memo = f"{span}s{bits}"
        # Two comparisons joined by `and`, not chained: CPython runs a chained one with two more stack operations.
        inside = f"{lo} <= _mp and _mp <= {hi}"
        find = f"{lo}, {hi}, {hd} = {memo}.get({a} >> {PAGE_SHIFT}) or {span}({a}, {last:#x}, {memo})"
        hit = use.format(p="_mp")
        if _NUMBER.match(a):
            self.sites.fixed.add(i)
            return pre + [f"if _p{i} is not None:", "    " + use.format(p=f"_p{i}"), "else:", "    " + find,
                    f"    _mp = {a} + {hd}", f"    if {inside}:", f"        _p{i} = _mp", "        " + hit,
                    "    else:", "        " + slow]
        split = self._invariant_base(pre)
        if split is not None:
            base, rest = split
            self.hoisted.append(f"_b{i} = {base} + {hd}")
            self.addr = None                  # `_ma` is computed only on the slow path
            out = [f"_mp = _b{i} + {rest}", f"if {inside}:", "    " + hit, "else:", "    " + pre[0], "    " + find,
                   f"    _b{i} = {base} + {hd}", f"    _mp = {a} + {hd}", f"    if {inside}:", "        " + hit,
                   "    else:", "        " + slow]
            self._stride(i, f"_b{i}", rest, out, use)
            return out
        out = pre + [f"_mp = {a} + {hd}", f"if {inside}:", "    " + hit, "else:", "    " + find,
                     f"    _mp = {a} + {hd}", f"    if {inside}:", "        " + hit, "    else:", "        " + slow]
        if not pre:
            self._stride(i, hd, a, out, use)
        return out

    def _stride(self, i: int, base: str, index: str, lines: list[str], use: str) -> None:
        """Site `i`'s lines in a block that loops on itself, at host offset `base + index`, as a `_Strided`."""
        m = _SCALED.match(index)
        if self.varying is None or m is None:
            return
        at = f"{base} + {index}"
        fast = (use.format(p=at),) if use.count("{p}") == 1 else (f"_mp = {at}", use.format(p="_mp"))
        self.sites.strided[lines[0]] = _Strided(i, base, m[1] or m[2], int(m[3] or 0), tuple(lines), fast)

    def _invariant_base(self, pre: list[str]) -> tuple[str, str] | None:
        """(A, B) of `pre`, `_ma = A + B`, if this block loops on itself and does not assign the name A."""
        if self.varying is None or len(pre) != 1 or not pre[0].startswith("_ma = "):
            return None
        node = ast.parse(pre[0]).body[0].value
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
            return None
        for base, rest in ((node.left, node.right), (node.right, node.left)):
            if isinstance(base, ast.Name) and base.id not in self.varying:
                return base.id, f"({ast.unparse(rest)})" if isinstance(rest, ast.BinOp) else ast.unparse(rest)
        return None

    def _address(self, addr: str, named: tuple[str, str] | None) -> tuple[list[str], str, str]:
        """(lines, name holding the address: `_ma`, computed unless it holds it already, what the slow path runs first).

        `_ma` (or the temporary `named`) may hold the address without its
        wrap to 64 bits (`_unwrapped`): the slow path then wraps it in place,
        so that after the access it holds the address either way.
        """
        addr = addr.strip()
        name = "_ma"
        if named is not None and addr == named[0]:
            name, addr = named
        same = addr == self.addr and name == "_ma"
        self.addr = addr if name == "_ma" else None
        self.inputs = set(_NAME.findall(addr))
        if _SIMPLE.match(addr):
            return [], addr, ""
        bare = _unwrapped(addr)
        return ([] if same else [f"{name} = {bare or addr}"]), name, f"{name} &= 0xffffffffffffffff; " if bare else ""

    def _assigned(self, names: set[str]) -> None:
        if names & self.inputs:
            self.addr = None


_SCAN = 32          # pages a span reaches at most on either side of the page an access missed in


def _span_finder(tag, base) -> Callable:
    """The function that gives an access site its span after an access at `a` fell outside the one it had.

    `span(a, last, memo)` → (lo, hi, hd): the host offsets of the addresses
    from which an access fits (`last`: the last offset in a page where it
    does) in the run of pages around the page of `a` that `tag` (the TLB's
    tags for reads or for writes) holds with adjacent frames, and the
    distance of those addresses to their host offsets; the empty span
    (1, 0, 0) when the TLB misses (the slow path then fills it) or `a` is
    negative (a sum with a negative term).  An access tests its host
    offset: guest addresses on the stack are past one digit of a Python
    int, host offsets are not, so comparing them allocates nothing.
    The span goes into `memo` (page → span, one per access kind and width:
    the MMU's `read_spans` / `write_spans`), which the sites look in before
    calling `span`.  A span holds while the page tables are as they were (a
    TLB slot refilled by the slow path for another page leaves the pages of
    a span mapped as they were): the MMU forgets every span at TLB
    maintenance, and the spans of writes (whose tags exclude code frames)
    when a frame becomes code.  A walk over an array that spans pages then
    stays on each site's one-comparison path, and a region run finds the
    spans of the runs before it with one look in the memo per site.
    """
    def span(a: int, last: int, memo: dict) -> tuple[int, int, int]:
        vpn = a >> PAGE_SHIFT
        i = vpn & TLB_MASK
        if tag[i] != vpn or vpn < 0:
            return 1, 0, 0
        hd = base[i] - (vpn << PAGE_SHIFT)
        first, end = _adjacent(vpn, hd, -1), _adjacent(vpn, hd, 1)
        s = ((first << PAGE_SHIFT) + hd, (end << PAGE_SHIFT) + last + hd, hd)
        for v in range(first, end + 1):
            memo[v] = s
        return s

    def _adjacent(vpn: int, hd: int, step: int) -> int:
        """The farthest page from `vpn` in direction `step` up to which every page is in the TLB at distance `hd`."""
        for _ in range(_SCAN):
            v = vpn + step
            i = v & TLB_MASK
            if v < 0 or tag[i] != v or base[i] - (v << PAGE_SHIFT) != hd:
                break
            vpn = v
        return vpn
    return span


def _unwrapped(addr: str) -> str | None:
    """`E` of an address `E & 0xffffffffffffffff` (its wrap to 64 bits), or None.

    An `E` past 2**64 or below 0 lies in no span (spans lie within the
    pages the TLB holds), so the access takes the slow path, which is given
    the wrapped address: a sum or a difference (`rsp - 8`, a push) needs no
    mask where the access stays in its span.
    """
    m = _WRAPPED.match(addr)
    if m is None:
        return None
    node = ast.parse(addr, mode="eval").body
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd)):
        return None                     # `a | b & M`: the mask is not the last operation
    return m.group(1)


def _named(expr: str, name: str) -> tuple[list[str], str]:
    expr = expr.strip()
    if _SIMPLE.match(expr):
        return [], expr
    return [f"{name} = {expr}"], name


def _balanced(args: str) -> bool:
    depth = 0
    for c in args:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


_LINEAR = 2                 # hottest blocks the region's dispatch tests first, before its binary search
_LEAF = 3                   # blocks a branch of the binary search tests one by one


# Globals the region reads often, bound as default arguments (fast locals).
_FAST = ("_rspan", "_wspan", "_buf", "_uH", "_uI", "_uQ", "_uD", "_pH", "_pI", "_pQ", "_pD", "_d", "_q",
         "ld8", "ld16", "ld32", "ld64", "ld128", "st8", "st16", "st32", "st64", "st128")
_FAST_NAMES = frozenset(_FAST)


def _emit(isa: Isa, generals: list[_BlockCode], ready: str, codes: list[_BlockCode],
          deferred: list[Deferral], faults: list[str], used: set[str],
          assigned: set[str], sites: list[tuple[Block, int]], mem_sites: _Sites, counts_hits: bool,
          fused: dict[int, int], leaves: set[int], traced: bool) -> str:
    """The region function's text.  An exit's site is found from the line it was raised at (no per-instruction cost).

    `codes` assume the widths `_region_widths` found; until `ready` holds
    (on entry, where nothing is known of the registers beyond their
    width), the blocks run in their general form (`generals`) instead.
    Deferred flags are computed where the state leaves the locals: at the
    exit (into R), at a fault (`_fault_flags`), and for the trace hook.
    """
    pcslot = isa.pc_slot
    order = [v for v in isa.state_vars if v in used or v in assigned]
    stores = [isa.state_vars[v].store.format(v=v) for v in isa.state_vars if v in assigned]
    # A deferred flag goes straight into R (its local keeps its value: `_fl` still tells it is stale).
    flush = [ln for i, (fl, assignments) in enumerate(deferred)
             for ln in [f"{'el' if i else ''}if _fl == {fl}:"]
             + ["    " + isa.state_vars[flag].store.format(v=expr) for flag, expr, _ in assignments]]
    hit = {c.blk.pc: i for i, c in enumerate(codes)}
    hits = "(" + "".join(f"_h{i}, " for i in range(len(codes))) + ")" if counts_hits else "None"
    words = {w for c in codes + generals for ln, _ in c.body for w in _NAME.findall(ln)}
    fast = [n for n in _FAST if n in words]
    out: list[str] = []
    line_site: list[int] = []
    line_at: list[int] = []

    def emit(line: str, site: int = -1, at: int = 0) -> None:
        out.append(line)
        line_site.append(site)
        line_at.append(at)

    members = tuple(c.blk.pc for c in codes)
    values: list[str] = []                    # what loops compute before they start (`_invariants`), in order

    def body(c: _BlockCode, ind: str, at: int | str, part: slice = slice(None)) -> None:
        """The lines of block `c`, entered `at` instructions into the path (`_k`: in its loop); `_ret` is that count.

        `part`: of a fused block's lines (`split`), the first block's or the second's; its hoisted lines run
        before the first's unless `part` starts at 0.
        """
        if part.start is None:
            for ln in c.hoisted:                  # (a loop runs them before it: its body has none)
                emit(ind + ln)
        for ln, site in c.body[part]:
            emit(ind + (_RET.sub(str(at), ln) if "_ret" in ln else ln), site, -1 if at == "_k" else at)
        if counts_hits and part.stop is None:
            emit(f"{ind}_h{hit[c.blk.pc]} += 1")
            if c.blk.pc in fused:                 # the second block of a fused pair ran too
                emit(f"{ind}_h{hit[c.blk.insns[fused[c.blk.pc]].pc]} += 1")

    def split(c: _BlockCode) -> int | None:
        """Where the second block's lines start in a fused block's (`_fused`), else None."""
        first = fused.get(c.blk.pc)
        if first is None:
            return None
        end = sites.index((c.blk, first))
        return next(i for i, (_, site) in enumerate(c.body) if site >= end)

    def side_exit(c: _BlockCode) -> tuple[int, str, int] | None:
        """(its line, the condition, the pc) where a fused block's first part branches out, else None."""
        cut = split(c)
        if cut is None or c.blk.pc not in leaves:
            return None
        second = c.blk.insns[fused[c.blk.pc]].pc
        for i in range(cut - 1, -1, -1):
            m = _BRANCH.match(c.body[i][0])
            if m:
                here = int(m[3], 16) == second
                return i, m[2] if here else f"not ({m[2]})", int(m[1 if here else 3], 16)
            if c.body[i][0].startswith("_pc = "):
                return None
        return None

    def boundary(ind: str, end: int) -> None:
        """The budget test (and trace) at a canonical boundary `end` instructions into the path."""
        leave = [f"{ind}    _left -= {end}", f"{ind}    break"] if end else [f"{ind}    break"]
        emit(f"{ind}if _left <= {end}:")
        for ln in leave:
            emit(ln)
        if traced:
            emit(f"{ind}if _pc not in {members!r}:")
            for ln in leave:
                emit(ln)
            for ln in stores + flush + [f"R[{pcslot}] = _pc", f"_trace(R, _clk + _bud - _left + {end})"]:
                emit(ind + ln)

    def block(c: _BlockCode, ind: str, at: int) -> int:
        """Block `c` entered `at` instructions into the path, and the budget test after it; returns its end."""
        cut = split(c)
        end = at + c.blk.ninsns
        if cut is None:
            body(c, ind, at)
        else:
            first = fused[c.blk.pc]
            body(c, ind, at, slice(None, cut))
            boundary(ind, at + first)
            if c.blk.pc in leaves:
                # The first part may leave: the second's lines and their boundary run only where it goes on.  Leaving,
                # `_left` gets the second's instructions back, so that the path counts only the first's from here.
                emit(f"{ind}if _pc != {c.blk.insns[first].pc:#x}:")
                emit(f"{ind}    _left += {c.blk.ninsns - first}")
                emit(f"{ind}else:")
                ind += "    "
            body(c, ind, at, slice(cut, None))
        boundary(ind, end)
        return end

    def self_loop(c: _BlockCode, ind: str, at: int) -> None:
        """A block that may branch to itself runs in a loop of its own (the region's dispatch is for other pcs).

        The path's instructions so far are counted first (`_left` then
        holds at the loop's entry).  When its branch is its last line, the
        loop tests the branch's condition itself: `_pc` keeps the block's pc
        while it loops and is assigned only where the loop leaves (the trace
        hook, which reads it at every boundary, keeps the plain form).  The
        budget is then the loop's range: `_k` steps through the retired
        counts at the iterations' starts, from the loop's entry, (what an
        exit inside one reports) that lie below the budget, which is where
        the budget test after each block would let the next run start, and
        the iterations are counted once the loop ends.  A store that went
        the slow way may end the region (`_STOP_IF_INVALID`): it makes
        `_left` `_k`, which the loop tests as well.  Where accesses are
        strided (`_strided_form`), the loop alternates runs of iterations
        without their tests, as long as the spans are known to hold them,
        with one iteration that has the tests (and finds the next spans).
        """
        if at:
            emit(f"{ind}_left -= {at}")
        mark, m = _final_branch(c)
        n = c.blk.ninsns
        leaving = side_exit(c)
        if traced or m is None or c.blk.pc in leaves and leaving is None:
            emit(f"{ind}while True:")
            block(c, ind + "    ", 0)
            emit(f"{ind}    _left -= {n}")
            emit(f"{ind}    if _pc != {c.blk.pc:#x}:")
            emit(f"{ind}        break")
        else:
            here, cond, there = int(m[1], 16) == c.blk.pc, m[2], int(m[3], 16)
            leave, test = (there, f"not ({cond})") if here else (int(m[1], 16), cond)
            for ln in c.hoisted:
                emit(ind + ln)
            lines = c.body[:mark] + c.body[mark + 1:]
            first = fused.get(c.blk.pc, 0)        # a fused block: its inner boundary must lie below the budget too
            if first:       # (its first part's jump to the second leaves `_pc` alone, a branch elsewhere leaves)
                jump, kept = f"_pc = {c.blk.insns[first].pc:#x}", []
                for i, (ln, site) in enumerate(lines):
                    if leaving is not None and i == leaving[0]:
                        kept += [(f"if {leaving[1]}:", site), (f"    _pc = {leaving[2]:#x}", site),
                                 (f"    _left += {n - first}", site), ("    break", site)]
                    elif not (i < split(c) and ln == jump):
                        kept.append((ln, site))
                lines = kept
            lines, invariant = _invariants(lines, len(values))
            values.extend(invariant)
            for ln in invariant:
                emit(ind + ln)
            wraps = _induction_wraps([ln for ln, _ in lines])

            limit = f"_left - {first}" if first else "_left"

            def iteration(lines: list[tuple[str, int]], ind: str, test: str = test,
                          leaving: Sequence[str] = ()) -> None:
                body(_BlockCode(c.blk, lines), ind, "_k")
                emit(f"{ind}if {test}:", c.body[mark][1], -1)
                for ln in leaving:
                    emit(f"{ind}    {ln}")
                emit(f"{ind}    _pc = {leave:#x}")
                emit(f"{ind}    break")
                if any(_STOP_IF_INVALID in ln for ln, _ in lines):
                    emit(f"{ind}if _left <= _k:")
                    emit(f"{ind}    break")

            def loop(lines: list[tuple[str, int]], ind: str, bounded: dict[str, int]) -> None:
                strided = _strided_form(lines, mem_sites.strided, bounded)
                if strided is None:
                    emit(f"{ind}for _k in range(0, {limit}, {n}):")
                    iteration(lines, ind + "    ")
                    return
                # Runs of iterations whose strided accesses stay in their spans, each followed by one with the
                # tests (which finds the spans anew); `_k` is the last iteration's start before either.
                untested, run = strided
                untested, untested_test, leaving = _settled(untested, test)
                emit(f"{ind}_k = -{n}")
                emit(f"{ind}while True:")
                emit(f"{ind}    for _k in range(_k + {n}, min({limit}, _k + {n} + {n} * {run}), {n}):")
                iteration(untested, ind + "        ", untested_test, leaving)
                emit(f"{ind}    else:")
                if leaving:                         # (once an iteration has run: `_k` starts at -n)
                    emit(f"{ind}        if _k >= 0:")
                    for ln in leaving:
                        emit(f"{ind}            {ln}")
                emit(f"{ind}        if {limit} <= _k + {n}:")
                emit(f"{ind}            break")
                emit(f"{ind}        _k += {n}")
                iteration(lines, ind + "        ")
                emit(f"{ind}        continue")
                emit(f"{ind}    break")

            if first:
                # Too little budget for the first part and more: it runs, and the region leaves at its end.
                emit(f"{ind}if _left <= {first}:")
                body(c, ind + "    ", 0, slice(0, split(c)))       # (its hoisted lines ran above)
                emit(f"{ind}    _left -= {first}")
                emit(f"{ind}    break")
            if wraps:
                bounds = (f"{step} >= 0 and 0 <= {r} and {r} + {step} * _left <= {mask:#x}" if isinstance(step, str)
                          else f"0 <= {r} and {r} + {'' if step == 1 else f'{step} * '}_left <= {mask:#x}"
                          for _, r, step, mask in wraps)
                emit(f"{ind}if {' and '.join(bounds)}:")
                loop([x for j, x in enumerate(lines) if j not in {w for w, *_ in wraps}], ind + "    ",
                     {r: mask for _, r, _, mask in wraps})
                emit(f"{ind}else:")
                loop(lines, ind + "    ", {})
            else:
                loop(lines, ind, {})
            emit(f"{ind}_left -= _k + {n}")
        emit(f"{ind}if _left <= 0:")
        emit(f"{ind}    break")

    def run(c: _BlockCode, then: list[_Follow], ind: str, loops: bool, at: int) -> None:
        """Block `c` `at` instructions into the path, then the copies that follow it.

        `loops`: a block that may branch to itself runs on its own loop.
        Where the path ends (no copy follows), its instructions are
        counted: `_left` is what the budget leaves at the start of a path.
        """
        if loops and c.blk.pc in (c.blk.pyinfo.succ or ()):
            self_loop(c, ind, at)
            end = 0
        else:
            end = block(c, ind, at)
        for k, f in enumerate(then):
            emit(f"{ind}{'if' if k == 0 else 'elif'} _pc == {f.code.blk.pc:#x}:")
            run(f.code, f.then, ind + "    ", loops, end)
        if end:
            if then:
                emit(f"{ind}else:")
            emit(f"{ind}{'    ' if then else ''}_left -= {end}")

    def chain(blocks: list[_BlockCode], ind: str, follow: dict[int, list[_Follow]] | None) -> None:
        """`if _pc == A: ... elif ...` over `blocks`, each followed by its successors (None: the general forms)."""
        for i, c in enumerate(blocks):
            emit(f"{ind}{'if' if i == 0 else 'elif'} _pc == {c.blk.pc:#x}:")
            run(c, (follow or {}).get(c.blk.pc, []), ind + "    ", follow is not None, 0)

    def search(blocks: list[_BlockCode], ind: str, follow: dict[int, list[_Follow]]) -> None:
        """A binary search on `_pc` over `blocks` (sorted by pc) down to short chains; a pc not found leaves."""
        if len(blocks) <= _LEAF:
            chain(sorted(blocks, key=codes.index), ind, follow)
            emit(f"{ind}else:")
            emit(f"{ind}    break")
            return
        mid = len(blocks) // 2
        emit(f"{ind}if _pc < {blocks[mid].blk.pc:#x}:")
        search(blocks[:mid], ind + "    ", follow)
        emit(f"{ind}else:")
        search(blocks[mid:], ind + "    ", follow)

    emit(f"def _region(R, _bud, _clk{', _trace' if traced else ''}{''.join(f', {n}={n}' for n in fast)}):")
    emit("@LOCALS@")
    for v in order:
        emit(f"    {v} = {isa.state_vars[v].load}")
    for ln in (f"    _pc = R[{pcslot}]", "    _left = _bud"):
        emit(ln)
    if counts_hits:
        emit("    " + " = ".join(f"_h{i}" for i in range(len(codes))) + " = 0")
    ranged = [i for i in range(mem_sites.count) if i not in mem_sites.fixed]
    if ranged:
        emit("    " + " = ".join(f"_lo{i}" for i in ranged) + " = 1")      # empty spans
        emit("    " + " = ".join(f"_hi{i}" for i in ranged) + " = 0")
        emit("    " + " = ".join(f"_hd{i}" for i in ranged) + " = 0")
    if mem_sites.fixed:
        emit("    " + " = ".join(f"_p{i}" for i in sorted(mem_sites.fixed)) + " = None")
    if deferred:
        emit("    _fl = 0")
    emit("    try:")
    if ready:
        emit(f"        while not ({ready}):")
        chain(generals, " " * 12, None)
        emit("            else:")
        emit("                break")
        emit("        else:")
        ind = " " * 12
    else:
        ind = " " * 8
    emit(f"{ind}while True:")
    follow = _successors_inline(codes)
    chain(codes[:_LINEAR], ind + "    ", follow)
    emit(f"{ind}    else:")
    if len(codes) > _LINEAR:
        search(sorted(codes[_LINEAR:], key=lambda c: c.blk.pc), ind + "        ", follow)
    else:
        emit(f"{ind}        break")
    emit("    except (_GuestExit, _MemFault) as _e:")
    emit("        _x = @SITES@[_e.__traceback__.tb_lineno]")
    emit("        _at = @AT@[_e.__traceback__.tb_lineno]")
    emit("        _ret = _bud - _left + (_k if _at < 0 else _at)")
    for ln in faults:
        emit("        " + ln)
    for s in stores:
        emit("        " + s)
    spcs = tuple(b.insns[k].pc for b, k in sites)
    snext = tuple(b.insns[k].pc + b.insns[k].length for b, k in sites)
    sk = tuple(k for _, k in sites)
    emit(f"        R[{pcslot}] = ({snext!r} if _e.after else {spcs!r})[_x]")
    emit(f"        return _ret + {sk!r}[_x] + _e.after, _e, _x, {hits}")
    for s in stores + flush:
        emit("    " + s)
    emit(f"    R[{pcslot}] = _pc")
    emit(f"    return _bud - _left, None, 0, {hits}")
    table = tuple([-1] + line_site)                 # line numbers start at 1
    text = "\n".join(out).replace("@SITES@", repr(table)).replace("@AT@", repr(tuple([0] + line_at))) + "\n"
    return text.replace("@LOCALS@", _locals_first(text, isa, order + ["_pc", "_left", "_k", "_mp", "_ma", "_ms", "_fl"]
                                                  + [ln for c in codes for ln in c.hoisted + [x for x, _ in c.body]]))


_LOCAL = re.compile(r"_t\w*|_(lo|hi|hd|b|p|h|v)\d+|_m[pas]|_k|_left|_fl|_pc")
_ASSIGNED = re.compile(r"([A-Za-z_]\w*)\s*(?:[-+*/%&|^]|<<|>>|//|\*\*)?=(?!=)")


def _locals_first(text: str, isa: Isa, hot: list[str]) -> str:
    """A line that names the function's locals in `hot` (names, lines) in that order first, in a branch never taken.

    CPython numbers a function's locals in the order its compiler meets
    them, and an access to one numbered past 255 takes an EXTENDED_ARG
    first: a large region has more, so those of its hottest blocks (hits
    first: `codes`) come first.  Its locals are the names it assigns: of
    those, the state variables and the region's own (`_LOCAL`) are named
    (`_bud` is never negative).
    """
    assigned = {n for n in _ASSIGNED.findall(text) if n in isa.state_vars or _LOCAL.fullmatch(n)}
    names = list(dict.fromkeys(n for x in hot for n in _NAME.findall(x) if n in assigned))
    return f"    if _bud < 0: {' = '.join(names)} = None" if names else "    pass"


_SCRATCH = re.compile(r"_t\w*|_ms")        # names no exit reads but through the flags deferred from them
_BINDS = (ast.comprehension, ast.Lambda, ast.NamedExpr)      # names an expression binds are not loop-invariant
_PURE_OPS = (ast.Add, ast.Sub, ast.Mult, ast.BitAnd, ast.BitOr, ast.BitXor)


def _invariants(lines: list[tuple[str, int]], first: int) -> tuple[list[tuple[str, int]], list[str]]:
    """A loop body's lines without what they compute from names the body does not assign, and the lines computing it.

    A temporary assigned once, at the top level, from such an expression,
    and read nowhere before, is assigned before the loop instead (the loop
    runs at least once: its value is the same either way); elsewhere, in a
    plain assignment, such a subexpression becomes a name `_v<n>` (from
    `first` on) assigned before the loop.  Only operations that cannot
    raise are taken out (no division, no shift by a name), and nothing
    from a line that binds names of its own (a comprehension's `b`).
    """
    assigned = [assigned_names(ln.strip()) for ln, _ in lines]
    varying = frozenset().union(*assigned)
    counts = Counter(n for names in assigned for n in names)

    def invariant(node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id not in varying
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.BinOp):
            ok = isinstance(node.op, _PURE_OPS) or isinstance(node.op, (ast.LShift, ast.RShift)) and isinstance(
                node.right, ast.Constant)
            return ok and invariant(node.left) and invariant(node.right)
        return isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Invert, ast.USub)) and invariant(node.operand)

    class Named(ast.NodeTransformer):
        def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
            if invariant(node):
                name = f"_v{first + len(before)}"
                before.append(f"{name} = {_unparse(node)}")
                return ast.Name(name)
            return self.generic_visit(node)

    out: list[tuple[str, int]] = []
    before: list[str] = []
    for j, (ln, site) in enumerate(lines):
        m = _TOP_ASSIGN.match(ln)
        unchanged = m and not ln.startswith(" ") and set(_NAME.findall(m[2])) - varying - _FAST_NAMES
        node = ast.parse(ln).body[0] if unchanged else None           # (nothing to take out: not parsed)
        if not isinstance(node, ast.Assign) or len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name) \
                or any(isinstance(n, _BINDS) for n in ast.walk(node.value)):
            out.append((ln, site))
            continue
        target = node.targets[0].id
        if _SCRATCH.fullmatch(target) and counts[target] == 1 and invariant(node.value) and not any(
                target in _NAME.findall(x) for x, _ in lines[:j]):
            before.append(ln)
            continue
        taken = len(before)
        node.value = Named().visit(node.value)
        out.append((f"{target} = {_unparse(node.value)}" if len(before) > taken else ln, site))
    return out, before


_STEP = re.compile(r"^(\w+) = (\w+) \+ (\d+|0x[0-9a-f]+|_v\d+)$")
_WRAP_TEST = re.compile(r"^if (\w+) > (0x[0-9a-f]+): \1 &= \2$")
_COPY_LINE = re.compile(r"^(\w+) = (\w+)(?: & (0x[0-9a-f]+))?$")         # a copy, or a mask of a bounded value


def _induction_wraps(lines: list[str]) -> list[tuple[int, str, int | str, int]]:
    """The wraps (`if x > M: x &= M`, `wrap_as_test`) of a loop's body that a test before the loop can rule out.

    Per wrap: (its index, the register `r`, the step, `M`) where the wrapped
    sum is `r + step` (of `r` or of its copy at the start of the body) and
    the body assigns `r` nowhere but from that sum: in iteration `i` the
    sum is `r + (i + 1) * step` of `r` at the loop's entry, and no loop
    runs more iterations than the `_left` of its range.  The step is a
    constant or a name `_v<n>` the loop computed before it (`_invariants`),
    which the test also finds non-negative.  The copy may be a mask `M` or
    wider of `r` (`mov w2, w5`), which the test makes an exact copy: it
    finds `r` non-negative too.
    """
    assigned: dict[str, list[int]] = {}
    for j, ln in enumerate(lines):
        for name in _ASSIGNED.findall(ln):
            assigned.setdefault(name, []).append(j)
    out = []
    for j, ln in enumerate(lines[1:], 1):
        w = _WRAP_TEST.match(ln)
        step = _STEP.match(lines[j - 1])
        if w is None or step is None or step[1] != w[1]:
            continue
        x, v, c = step[1], step[2], step[3] if step[3].startswith("_v") else int(step[3], 0)
        copy = _COPY_LINE.match(lines[assigned[v][0]]) if assigned.get(v) == [assigned[v][0]] and v != x else None
        if copy and copy[3] and int(copy[3], 16) < int(w[2], 16):
            copy = None
        r = copy[2] if copy else v
        sets = [k for k in assigned.get(r, []) if k != j]       # (the wrap itself when x is r)
        if r == x and sets == [j - 1] or r != x and sets and all(lines[k] == f"{r} = {x}" for k in sets) \
                and (copy is None or assigned[v][0] < min(sets)) and assigned.get(x) == [j - 1, j]:
            out.append((j, r, c, int(w[2], 16)))
    return out


# A name's value in a loop's body as `_offsets` knows it: `r + d (+ n)` of `r` at the iteration's start, `n` a name
# `_v<n>` computed before the loop (`_invariants`) or "".
_Value = tuple[str, int, str]
_MASKED_COPY = re.compile(r"^([A-Za-z_]\w*) = ([A-Za-z_]\w*) & (0x[0-9a-f]+)$")
_FL_LINE = re.compile(r"^_fl = \d+$")
_TEMP_COPY = re.compile(r"^(_t\w*) = ([A-Za-z_]\w*)$")


def _settled(lines: list[tuple[str, int]], test: str) -> tuple[list[tuple[str, int]], str, list[str]]:
    """(lines, test, what to run where the loop leaves) of a loop body that nothing but its final test can leave.

    There `_fl` and the temporaries the deferred flags read are read only
    once the loop has left: the last `_fl = K` need not run in every
    iteration, only where the loop leaves (and before an iteration that
    may fault, `_emit`'s strided loop), nor does a copy `_t = x` of a name
    the body does not assign after it, which no other line reads (the
    test reads `x` instead).  Any other body is returned as it is.
    """
    fls = [ln for ln, _ in lines if _FL_LINE.match(ln)]
    if not fls or any(_MAY_EXIT.search(ln) or re.search(r"\bbreak\b|^\s+_fl = ", ln) for ln, _ in lines):
        return lines, test, []
    leaving = [fls[-1]]
    out = []
    for j, (ln, site) in enumerate(lines):
        m = _TEMP_COPY.match(ln)
        if m and not any(m[1] in _NAME.findall(x) for k, (x, _) in enumerate(lines) if k != j) \
                and not any(m[2] in assigned_names(x.strip()) for x, _ in lines[j + 1:]):
            leaving.append(ln)
            test = re.sub(rf"\b{m[1]}\b", m[2], test)
        elif not _FL_LINE.match(ln):
            out.append((ln, site))
    return out, test, leaving


_OFFSET = re.compile(r"^([A-Za-z_]\w*) = ([A-Za-z_]\w*)(?: ([-+]) (\d+|0x[0-9a-f]+|_v\d+))?$")


def _strided_form(lines: list[tuple[str, int]], strided: dict[str, _Strided], bounded: dict[str, int]
                  ) -> tuple[list[tuple[str, int]], str] | None:
    """A loop body's lines with its strided accesses untested, and for how many iterations they stay in their spans.

    A forward pass gives each name the value `r + d` (of `r` at the start
    of the iteration) where only copies and constant steps lead to it; an
    access whose index is `r + d` at the access, of an `r` that is `r + c`
    at the end of the body (`c` ≥ 0), is at host offset `base + r + d +
    m * c` in the `m`-th iteration from now.  Its term is then how many
    iterations from now keep that offset inside its span (a span is
    `_lo<i>` .. `_hi<i>`, fixed while the access hits): evaluated where the
    loop is about to start an iteration, with the names as they are there,
    the smallest term bounds a run of iterations none of whose accesses can
    miss (the expression returned).  An access of any other index keeps
    its test.  None if no access is strided.  `bounded`: registers a test
    before the loop keeps at most a mask in every iteration
    (`_induction_wraps`): that mask of them (or a wider one) is a copy, and
    so is that mask of a value below them that is not negative.  A scaled
    index `(x << k)` steps by `c << k`.

    A name the body leaves at `r + e` of such an `r` (a rotated loop's
    copy of last iteration's index, `mov w0, w2`) starts every iteration
    but the loop's first at `r + e - c`: where more accesses are strided
    with that start, the terms also test that it holds (`_carried`).
    """
    out, terms, end = _strided_with(lines, strided, bounded, {})
    used: dict[str, _Value] = {}
    carried = _carried(end)
    if carried:
        other = _strided_with(lines, strided, bounded, carried)
        if len(other[1]) > len(terms):
            (out, terms, _), used = other, carried
    if not terms:
        return None
    guards = [f"0 <= {n} == {r}{_plus(d)}" for n, (r, d, _) in used.items()]
    run = f"({terms[0]})" if len(terms) == 1 else f"min({', '.join(terms)})"
    return out, f"({run} if {' and '.join(guards)} else 0)" if guards else run


def _strided_with(lines: list[tuple[str, int]], strided: dict[str, _Strided], bounded: dict[str, int],
                  start: dict[str, _Value]) -> tuple[list[tuple[str, int]], list[str], dict[str, _Value | None]]:
    """`_strided_form` with the names of `start` starting each iteration at those values: (lines, terms, end)."""
    while True:
        out, found, end = _offsets(lines, strided, bounded, start)
        steps = {s: _step(end, r) for s, r, _ in found}
        stepless = {s for s, c in steps.items() if c is None}
        if not stepless:
            break
        strided = {k: s for k, s in strided.items() if s not in stepless}      # (they keep their test)
    terms = []
    for s, r, d in found:
        c = steps[s]
        index = f"(({r}{_plus(d)}) << {s.shift})" if s.shift else f"{r}{_plus(d)}"
        lo, hi, x = f"_lo{s.site}", f"_hi{s.site}", f"({s.base} + {index})"
        if s.shift:
            c = f"({c} << {s.shift})" if isinstance(c, str) else c << s.shift
        per = "" if c == 1 else f" // {c}"
        terms.append(f"({hi} - {x}) // {c} + 1 if {c} > 0 and {lo} <= {x} else 0" if isinstance(c, str) else
                     f"({hi} - {x}){per} + 1 if {lo} <= {x} else 0" if c else
                     f"_left if {lo} <= {x} and {x} <= {hi} else 0")
    return out, terms, end


def _plus(d: int) -> str:
    """` + d`, ` - |d|` or nothing: an offset added to a name in a term's text."""
    return f" + {d}" if d > 0 else f" - {-d}" if d < 0 else ""


def _carried(end: dict[str, _Value | None]) -> dict[str, _Value]:
    """Names the body leaves at `r + e` of a register `r` it steps by a constant `c`: they start at `r + e - c`."""
    out = {}
    for n, v in end.items():                # (registers only: a temporary may not be assigned before the loop)
        if v is not None and v[0] != n and not v[2] and not n.startswith("_"):
            c = _step(end, v[0])
            if isinstance(c, int) and c > 0:
                out[n] = (v[0], v[1] - c, "")
    return out


def _step(end: dict[str, _Value | None], r: str) -> int | str | None:
    """What an iteration adds to `r`, by the values at the end of the body (`_offsets`): a constant ≥ 0, a name, None.

    (A difference is wrapped by a test, `wrap_as_test`, which no loop's range rules out: no constant step is
    negative; a named one is tested.)
    """
    v = end[r] if r in end else (r, 0, "")
    if v is None or v[0] != r or v[1] and v[2] or v[1] < 0:
        return None
    return v[2] or v[1]


def _offsets(lines: list[tuple[str, int]], strided: dict[str, _Strided], bounded: dict[str, int],
             start: dict[str, _Value]
             ) -> tuple[list[tuple[str, int]], list[tuple[_Strided, str, int]], dict[str, _Value | None]]:
    """`_strided_form`'s pass: (the lines, the strided accesses with their index `r + d`, the values at the end).

    A name in `start` has that value where the iteration starts (the terms test it, `_strided_form`).
    """
    value: dict[str, _Value | None] = dict(start)

    def now(name: str) -> _Value | None:
        return value[name] if name in value else (name, 0, "")

    out: list[tuple[str, int]] = []
    found: list[tuple[_Strided, str, int]] = []
    j = 0
    while j < len(lines):
        ln, site = lines[j]
        s = strided.get(ln)
        at = now(s.index) if s else None
        if s and at and not at[2] and tuple(x for x, _ in lines[j:j + len(s.checked)]) == s.checked:
            found.append((s, *at[:2]))
            out += [(x, site) for x in s.fast]
            value.update(dict.fromkeys((n for x in s.fast for n in assigned_names(x)), None))
            j += len(s.checked)
            continue
        m = _OFFSET.match(ln)
        masked = _MASKED_COPY.match(ln)
        held = now(masked[2]) if masked else None          # (a name of `start` is tested to be ≥ 0 there)
        kept = masked is not None and masked[2] in start and value[masked[2]] == start[masked[2]]
        if held and not held[2] and (held[1] == 0 or held[1] < 0 and kept) \
                and bounded.get(held[0], 1 << 64) <= int(masked[3], 16):
            value[masked[1]] = held
        elif m and now(m[2]):
            r, d, named = now(m[2])
            if not m[3]:
                value[m[1]] = r, d, named
            elif m[4].startswith("_v"):
                value[m[1]] = (r, d, m[4]) if m[3] == "+" and not named else None
            else:
                value[m[1]] = r, d + (int(m[4], 0) if m[3] == "+" else -int(m[4], 0)), named
        else:
            value.update(dict.fromkeys(assigned_names(ln.strip()), None))
        out.append((ln, site))
        j += 1
    return out, found, value


_BRANCH = re.compile(r"^_pc = (0x[0-9a-f]+) if (.+) else (0x[0-9a-f]+)$")


def _final_branch(c: _BlockCode) -> tuple[int, re.Match | None]:
    """(its index, the match of `_BRANCH`) of the block's conditional branch if nothing after it but `_fl` is run."""
    for k in range(len(c.body) - 1, -1, -1):
        line = c.body[k][0]
        if not line.startswith("_fl = "):
            m = _BRANCH.match(line)
            return (k, m) if m and c.blk.pc in (int(m[1], 16), int(m[3], 16)) else (-1, None)
    return -1, None


@dataclass
class _Follow:
    """A copy of a block run right after its predecessor's, and the copies that run right after it."""

    code: _BlockCode
    then: list[_Follow] = field(default_factory=list)


_FOLLOW_ROOM = 2            # instructions copied inline, per instruction of the region
_FOLLOW_DEPTH = 24          # blocks a path runs inline, one after the other, before the loop's dispatch


def _successors_inline(codes: list[_BlockCode]) -> dict[int, list[_Follow]]:
    """Per block: the copies of the blocks that may follow it, run right after it (hottest first), and theirs.

    The loop's dispatch (a chain of `_pc` tests and the jump back) is then
    paid once per path of inline blocks, not per block.  The paths grow
    best first: a copy's weight is its predecessor's times the share of
    its block's runs among its siblings' (tier 1's hit counts), and the
    heaviest copy gets its successors next, while the copies total at most
    `_FOLLOW_ROOM` times the region's instructions.  A block that may
    branch to itself loops on its own (`_emit`); after a computed jump (a
    return) come the region's return sites (`_return_sites`).
    """
    pcs = {c.blk.pc: c for c in codes}
    returns = _return_sites(codes)
    room = _FOLLOW_ROOM * sum(c.blk.ninsns for c in codes)
    roots: dict[int, list[_Follow]] = {c.blk.pc: [] for c in codes}
    heap = [(-float(c.blk.hits), i, (), (), c, roots[c.blk.pc]) for i, c in enumerate(codes)]
    order = len(heap)
    while heap:
        weight, _, path, calls, c, then = heapq.heappop(heap)
        path += ((c.blk.pc, calls),)
        succ = c.blk.pyinfo.succ
        if succ is None:
            nxt, calls = ([pcs[calls[-1]]], calls[:-1]) if calls else (returns, ())
        else:
            nxt = sorted((pcs[p] for p in succ - {c.blk.pc} if p in pcs), key=codes.index)
            if (after := _return_site(c)) in pcs:
                calls += (after,)
        nxt = [f for f in nxt if (f.blk.pc, calls) not in path]
        size = sum(f.blk.ninsns for f in nxt)
        if not nxt or size > room or len(path) > _FOLLOW_DEPTH:
            continue
        room -= size
        total = sum(f.blk.hits for f in nxt) or 1
        for f in nxt:
            then.append(_Follow(f))
            heapq.heappush(heap, (weight * f.blk.hits / total, order, path, calls, f, then[-1].then))
            order += 1
    return roots


_RETURN_SITES = 4           # return sites tested right after a computed jump


def _return_sites(codes: list[_BlockCode]) -> list[_BlockCode]:
    """The hottest blocks of the region that start where a call in it returns.

    A call is a block whose last instruction always jumps elsewhere than
    the next instruction, which is where a return comes back.
    """
    pcs = {c.blk.pc: c for c in codes}
    sites = {after for c in codes if (after := _return_site(c)) in pcs}
    return sorted((pcs[p] for p in sites), key=codes.index)[:_RETURN_SITES]


def _return_site(c: _BlockCode) -> int | None:
    """Where a return comes back if `c` ends in a call (None if not).

    A call always jumps elsewhere than the next instruction.  A return is a
    computed jump too: the block after it may be taken for a return site.
    """
    last = c.blk.insns[-1]
    after = last.pc + last.length
    info = c.blk.pyinfo
    return after if info.unconditional and after not in (info.succ or ()) else None


def _compile(src: str, env: dict, pc: int, name: str) -> Callable:
    ns: dict = {}
    exec(compile(src, f"<pyregion {pc:#x}>", "exec"), env, ns)
    return ns[name]


def compile_region(isa: Isa, blocks: list[Block], env: dict, counts_hits: bool) -> PyRegion:
    """Compile `blocks` (as `choose_blocks` returned them) into a PyRegion; hottest blocks are tested first."""
    blocks = sorted(blocks, key=lambda b: -b.hits)
    src, traced, sites = region_sources(isa, blocks, counts_hits)
    region_env = dict(env)
    region = PyRegion(blocks, src, traced, sites, counts_hits, region_env,
                      members=frozenset(b.pc for b in blocks))
    region_env["_PYR"] = region
    region_env["_rspan"] = _span_finder(env["_rtag"], env["_base"])
    region_env["_wspan"] = _span_finder(env["_wtag"], env["_base"])
    region.fn = _compile(src, region_env, blocks[0].pc, "_region")
    return region
