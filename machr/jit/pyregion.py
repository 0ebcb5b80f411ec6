"""Python regions: a hot loop's tier-1 blocks as one Python function.

A block that tier 1 has dispatched `PYHOT` times becomes the seed of a
region: it and the blocks reachable from it through static successors
(jump targets, fall-through and return sites) that have run too, up to
`MAX_BLOCKS`.  The region is one function over the same ISA statements as
the blocks (semantics written once), shaped for CPython:

* guest state variables are loaded into locals once at entry and stored
  back once at exit, not per block;
* the dispatch is a `while True: if _pc == A: ... elif _pc == B: ...`
  chain, hottest block first; a pc that is no block of the region leaves;
* flags: a flag that every successor in the region assigns before reading
  it (or exiting) is dead at the block's end.  Its last assignment is
  *sunk* (machr.jit.translator.plan_flags) to the paths that leave the
  region after that block — the budget test and the edges to successors
  outside the region — so every exit still sees the architectural state;
* expressions are simplified with what is known of each value's width
  (machr.jit.simplify), and the TLB hit path of loads and stores is
  inlined (machr.machine.mmu.inline_load / inline_store).

Scheduling is unchanged: the budget is tested after every block (all
region blocks end at canonical boundaries), exactly where tier 1 and the
interpreter test it.  A MemFault or guest exit in the middle of a block
leaves the state of the interpreter: every flag is live at an instruction
that may exit, state variables are stored from the locals, and the exit
site `_x` (set before each such instruction) gives the pc and the retired
count.  A store that makes the region invalid (code written) sets the
budget to 0, so the region leaves at the end of that block, as tier 1
would after the block.

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
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from machr.isa.base import Isa
from machr.jit.region import _split_args
from machr.jit.simplify import assigned_names, simplify_statements
from machr.jit.translator import _NAME, Block, _forward_temps, insn_statements, plan_flags
from machr.machine.mmu import inline_load, inline_store

PYHOT = 64                  # tier-1 dispatches of a block before it seeds a region (a power of 2)
MAX_BLOCKS = 32
MAX_INSNS = 512

_TEMP = re.compile(r"\b(_t\w*)")
_LOAD_STMT = re.compile(r"^([A-Za-z_]\w*) = ld(8|16|32|64)\((.*)\)$")
_STORE_STMT = re.compile(r"^st(8|16|32|64)\((.*)\)$")
_ANY_STORE = re.compile(r"\bst(8|16|32|64|128)\(")
_SIMPLE = re.compile(r"^([A-Za-z_]\w*|0[xX][0-9a-fA-F]+|\d+)$")


@dataclass
class BlockInfo:
    """What a region needs of one block, computed once per block."""

    per_insn: list[list[str]]         # the ISA's statements per instruction
    succ: frozenset[int] | None       # static successors (None: computed target)
    unconditional: bool               # the last instruction always assigns the next pc
    kills: frozenset[str]             # flags the block assigns (at top level)


@dataclass(eq=False)
class PyRegion:
    """A compiled Python region and the tier-1 blocks it runs."""

    blocks: list[Block]
    source: str
    traced_source: str
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
            self.traced_fn = _compile(self.traced_source, self.env, self.blocks[0].pc, "_region")
        return self.traced_fn


def block_info(isa: Isa, blk: Block) -> BlockInfo:
    if blk.pyinfo is None:
        per_insn = [insn_statements(isa, i) for i in blk.insns]
        last = blk.insns[-1]
        succ, unconditional = static_successors(per_insn, last.pc + last.length)
        kills = frozenset(t for stmts in per_insn for s in stmts
                          if (t := _flag_assigned(s, isa.flag_vars)) is not None)
        blk.pyinfo = BlockInfo(per_insn, succ, unconditional, kills)
    return blk.pyinfo


def _flag_assigned(s: str, flags: frozenset[str]) -> str | None:
    if "\n" in s:
        return None
    head, sep, rest = s.partition(" = ")
    return head if sep and head in flags else None


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


def _liveness(isa: Isa, blocks: list[Block], pcs: set[int]) -> dict[int, set[str]]:
    """live_out per block: flags some successor in the region may read before assigning (or exit with)."""
    flags = isa.flag_vars
    infos = {b.pc: block_info(isa, b) for b in blocks}
    live_in: dict[int, set[str]] = {b.pc: set() for b in blocks}
    live_out: dict[int, set[str]] = {}
    changed = True
    while changed:
        changed = False
        for b in blocks:
            succ = infos[b.pc].succ
            if succ is None or not succ & pcs:           # computed target, or leaves the region on every edge
                out = set(flags)
            else:
                out = set()
                for s in succ & pcs:
                    out |= live_in[s] | (flags - infos[s].kills)
            live_out[b.pc] = out
            li = plan_flags(isa, _renamed(infos[b.pc].per_insn), out)[2]
            if li != live_in[b.pc]:
                live_in[b.pc] = li
                changed = True
    return live_out


def _renamed(per_insn: list[list[str]]) -> list[list[str]]:
    """Temporaries made unique per instruction (`_t0` of instruction 3 → `_t0_3`), so a sunk flag keeps its inputs."""
    return [[_TEMP.sub(rf"\1_{k}", s) for s in stmts] for k, stmts in enumerate(per_insn)]


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
class _BlockCode:
    blk: Block
    body: list[tuple[str, int]]     # (line, exit site: the instruction it belongs to)
    sink: list[str]
    exit_test: str                  # extra condition (edges leaving the region) under which the sink runs


def region_sources(isa: Isa, blocks: list[Block], counts_hits: bool) -> tuple[str, str, list[tuple[Block, int]]]:
    """(source, traced source, exit sites) of the region function `_region` over `blocks` (hottest first)."""
    pcs = {b.pc for b in blocks}
    live_out = _liveness(isa, blocks, pcs)
    entry_widths = _entry_widths(isa)
    sites: list[tuple[Block, int]] = []
    codes = []
    mem_sites = [0]
    for b in blocks:
        info = block_info(isa, b)
        per_insn = [[_virtual_time(s, k) for s in stmts] for k, stmts in enumerate(_renamed(info.per_insn))]
        kept, sunk, _ = plan_flags(isa, per_insn, live_out[b.pc])
        fwd = _forward_temps(kept + [sunk])
        kept, sunk = fwd[:-1], fwd[-1]
        widths = dict(entry_widths)
        body: list[tuple[str, int]] = []
        mem = _MemoryInliner(mem_sites)
        for k, stmts in enumerate(kept):
            insn = b.insns[k]
            site = len(sites)
            sites.append((b, k))
            if k == len(kept) - 1 and not info.unconditional:
                body.append((f"_pc = {insn.pc + insn.length:#x}", site))
            for stmt in simplify_statements(stmts, widths):
                body += [(ln, site) for ln in mem.lines(stmt.replace("_npc", "_pc"))]
        sink = simplify_statements(sunk, widths)
        exit_test = ""
        if sink and info.succ is not None and info.succ - pcs:
            inside, outside = sorted(info.succ & pcs), sorted(info.succ - pcs)
            assert inside, "a block that always leaves has every flag live at its end"
            exit_test = (" or ".join(f"_pc == {p:#x}" for p in outside) if len(outside) <= len(inside)
                         else " and ".join(f"_pc != {p:#x}" for p in inside))
        codes.append(_BlockCode(b, body, sink, exit_test))
    used: set[str] = set()
    assigned: set[str] = set()
    for c in codes:
        for s in [ln for ln, _ in c.body] + c.sink:
            used.update(n for n in _NAME.findall(s) if n in isa.state_vars)
            assigned.update(n for n in _assigned_state(s, isa))
    src = _emit(isa, codes, used, assigned, sites, mem_sites[0], counts_hits, traced=False)
    traced = _emit(isa, codes, used, assigned, sites, mem_sites[0], counts_hits, traced=True)
    return src, traced, sites


_ASSIGN_TARGET = re.compile(r"^\s*([A-Za-z_][\w\s,]*?)\s*(?:[-+*/%&|^@]|<<|>>|//|\*\*)?=(?!=)", re.M)


def _assigned_state(s: str, isa: Isa) -> set[str]:
    return {n for m in _ASSIGN_TARGET.finditer(s) for n in _NAME.findall(m.group(1)) if n in isa.state_vars}


def _virtual_time(s: str, k: int) -> str:
    """`_clock()` (retired count at block entry) and `_n` (index in the block) in region terms."""
    if "_clock(" in s or "_n" in s:
        s = re.sub(r"\b_clock\(\)", "(_clk + _ret)", s)
        s = re.sub(r"\b_n\b", str(k), s)
    return s


# A store went the slow way and may have written code this region was made from: leave after this block.
_STOP_IF_INVALID = "_bud = _bud if _PYR.valid else 0"


class _MemoryInliner:
    """Statements of one block as region lines, with the TLB hit path of whole-statement loads and stores inline.

    An access to the same address as the access just before it (a
    read-modify-write) reuses its page and TLB slot.  Any other store
    (inside a compound statement, 128-bit) is followed by the test that
    ends the region after this block if the store wrote code.
    """

    def __init__(self, counter: list[int]):
        self.addr: str | None = None          # address expression of the last inlined access, while `_ma` holds it
        self.inputs: set[str] = set()
        self.counter = counter                # access sites of the region so far (each remembers its last page)

    def _site(self) -> int:
        self.counter[0] += 1
        return self.counter[0] - 1

    def lines(self, s: str) -> list[str]:
        m = _LOAD_STMT.match(s)
        if m and _balanced(m.group(3)):
            target, bits, addr = m.group(1), int(m.group(2)), m.group(3)
            pre, a, same = self._address(addr)
            out = pre + inline_load(bits, a, f"{target} = ", f"{target} = ld{bits}({a})", site=self._site())
            self._assigned({target})
            return out
        m = _STORE_STMT.match(s)
        if m and _balanced(m.group(2)):
            bits = int(m.group(1))
            addr, value = _split_args(m.group(2))
            pre, a, same = self._address(addr)
            pre2, x = _named(value, "_ms")
            return pre + pre2 + inline_store(bits, a, x, f"st{bits}({a}, {x}); {_STOP_IF_INVALID}",
                                             site=self._site())
        self._assigned(assigned_names(s))
        if _ANY_STORE.search(s):
            return s.split("\n") + [_STOP_IF_INVALID]
        return s.split("\n")

    def _address(self, addr: str) -> tuple[list[str], str, bool]:
        """(lines, name holding the address, whether `_mv`/`_mi` already belong to it)."""
        addr = addr.strip()
        same = addr == self.addr
        self.addr = addr
        self.inputs = set(_NAME.findall(addr))
        if _SIMPLE.match(addr):
            return [], addr, same
        return ([] if same else [f"_ma = {addr}"]), "_ma", same

    def _assigned(self, names: set[str]) -> None:
        if names & self.inputs:
            self.addr = None


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


# Globals the region reads often, bound as default arguments (fast locals).
_FAST = ("_rtag", "_wtag", "_base", "_buf", "_uH", "_uI", "_uQ", "_pH", "_pI", "_pQ",
         "ld8", "ld16", "ld32", "ld64", "ld128", "st8", "st16", "st32", "st64", "st128")


def _emit(isa: Isa, codes: list[_BlockCode], used: set[str], assigned: set[str],
          sites: list[tuple[Block, int]], mem_sites: int, counts_hits: bool, traced: bool) -> str:
    """The region function's text.  An exit's site is found from the line it was raised at (no per-instruction cost)."""
    pcslot = isa.pc_slot
    order = [v for v in isa.state_vars if v in used or v in assigned]
    stores = [isa.state_vars[v].store.format(v=v) for v in isa.state_vars if v in assigned]
    hits = "(" + "".join(f"_h{i}, " for i in range(len(codes))) + ")" if counts_hits else "None"
    text = "\n".join(ln for c in codes for ln, _ in c.body)
    fast = [n for n in _FAST if re.search(rf"\b{n}\b", text)]
    out: list[str] = []
    line_site: list[int] = []

    def emit(line: str, site: int = -1) -> None:
        out.append(line)
        line_site.append(site)

    emit(f"def _region(R, _bud, _clk{', _trace' if traced else ''}{''.join(f', {n}={n}' for n in fast)}):")
    for v in order:
        emit(f"    {v} = {isa.state_vars[v].load}")
    for ln in (f"    _pc = R[{pcslot}]", "    _ret = 0"):
        emit(ln)
    if counts_hits:
        emit("    " + " = ".join(f"_h{i}" for i in range(len(codes))) + " = 0")
    if mem_sites:
        emit("    " + " = ".join(f"_lp{i}" for i in range(mem_sites)) + " = -1")
    emit("    try:")
    emit("        while True:")
    members = tuple(c.blk.pc for c in codes)
    ind = " " * 16
    for i, c in enumerate(codes):
        emit(f"            {'if' if i == 0 else 'elif'} _pc == {c.blk.pc:#x}:")
        for ln, site in c.body:
            emit(ind + ln, site)
        emit(f"{ind}_ret += {c.blk.ninsns}")
        if counts_hits:
            emit(f"{ind}_h{i} += 1")
        emit(f"{ind}if _ret >= _bud{f' or {c.exit_test}' if c.exit_test else ''}:")
        for ln in c.sink:
            emit(ind + "    " + ln)
        emit(ind + "    break")
        if traced:
            emit(f"{ind}if _pc not in {members!r}:")
            emit(ind + "    break")
            for ln in _materialize(isa, c.sink, stores) + [f"R[{pcslot}] = _pc", "_trace(R, _clk + _ret)"]:
                emit(ind + ln)
    emit("            else:")
    emit("                break")
    emit("    except (_GuestExit, _MemFault) as _e:")
    emit("        _x = @SITES@[_e.__traceback__.tb_lineno]")
    for s in stores:
        emit("        " + s)
    spcs = tuple(b.insns[k].pc for b, k in sites)
    snext = tuple(b.insns[k].pc + b.insns[k].length for b, k in sites)
    sk = tuple(k for _, k in sites)
    emit(f"        R[{pcslot}] = ({snext!r} if _e.after else {spcs!r})[_x]")
    emit(f"        return _ret + {sk!r}[_x] + _e.after, _e, _x, {hits}")
    for s in stores:
        emit("    " + s)
    emit(f"    R[{pcslot}] = _pc")
    emit(f"    return _ret, None, 0, {hits}")
    table = tuple([-1] + line_site)                 # line numbers start at 1
    return "\n".join(out).replace("@SITES@", repr(table)) + "\n"


def _materialize(isa: Isa, sink: list[str], stores: list[str]) -> list[str]:
    """Lines that store the whole state (sunk flags computed into shadows `_s_<flag>`) without changing a local."""
    shadows: dict[str, str] = {}
    lines = []
    for s in sink:
        target, _, expr = s.partition(" = ")
        for flag, shadow in shadows.items():
            expr = re.sub(rf"\b{flag}\b", shadow, expr)
        shadows[target] = f"_s_{target}"
        lines.append(f"_s_{target} = {expr}")
    lines += stores
    lines += [isa.state_vars[f].store.format(v=shadow) for f, shadow in shadows.items()]
    return lines


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
    region.fn = _compile(src, region_env, blocks[0].pc, "_region")
    return region
