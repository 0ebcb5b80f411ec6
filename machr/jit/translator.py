"""Block translation: decoded instructions → one Python function per block.

The JIT knows no instruction by name.  It asks the ISA for each
instruction's statements (the semantics, written once) and composes them:

* guest state variables become locals, loaded from the register array at
  entry and stored back at exit (only those the block mentions);
* a flag assignment nobody reads before the next assignment of that flag is
  dropped (dead-flag elimination).  Instructions that may leave the block
  early (memory access, exits) count as reading every flag, so the state at a
  fault is exactly the interpreter's;
* `_n` tracks the instruction index so an exception in the middle of the
  block reports the right pc and retired count.

The interpreter (tier 0) uses the same function with blocks of one
instruction; tier 1 uses whole basic blocks.  The generated source is kept
on the `Block` for `machr run --stats`, DDB and the numba tier.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from machr.isa.base import DecodeError, Insn, Isa, NeedMoreBytes
from machr.jit.simplify import NAME as _NAME
from machr.jit.simplify import assigned_names
from machr.machine.exits import EXIT_UNDEFINED, MemFault

MAX_BLOCK_INSNS = 64
_MAY_EXIT = re.compile(r"\b(ld|st)(8|16|32|64|128)\(|\b_exit\(|\braise\b")
_NEEDS_N = re.compile(r"\b(ld|st)(8|16|32|64|128)\(|\b_exit\(|\braise\b|\b_n\b|\b_clock\(")
_ASSIGNED = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:[-+*/%&|^]|<<|>>|//)?=(?!=)", re.M)


@dataclass(slots=True, eq=False)
class Block:
    """A translated block of guest code starting at `pc`."""

    pc: int
    ninsns: int
    fn: Callable
    source: str
    frames: tuple[int, ...]          # physical frames the code came from
    ends_block: bool                 # last instruction is a block ender (vs. page/size cut)
    valid: bool = True
    boundary: bool = True            # its end is a canonical block boundary (see machr.jit.engine)
    succ_pc: int = -1                # one-entry chaining cache
    succ: Block | None = None
    insns: list[Insn] = field(default_factory=list)
    hits: int = 0                    # dispatches (tier 2's hotness)
    t2: int = 0                      # tier-2 status (machr.jit.tier2.T2_*)
    region: object = None            # the tier-2 Region that runs this block, once installed
    singles: list[Block] | None = None  # one-instruction units: the rest of the block after a tier-2 SLOW exit
    uses_clock: bool = False         # reads virtual time (_clock): the engine must publish clock_base first
    pyregion: object = None          # the Python region (machr.jit.pyregion) entered at this block
    pyregions: list | None = None    # every Python region that runs this block (all dropped with it)
    pyinfo: object = None            # machr.jit.pyregion's analysis of the block, made once
    lazy: Callable | None = None     # an interpreter unit without the flags its next instruction kills (`compile_unit`)


def form_block(isa: Isa, fetch: Callable[[int, int], bytes], pc: int, max_insns: int,
               stops: Collection[int] = ()) -> list[Insn]:
    """Decode instructions from `pc` up to the canonical block end.

    A block ends after a control transfer/trap (`ends_block`), before the
    first instruction that starts on another page than `pc`, after
    `max_insns` instructions, or before a breakpoint address in `stops`.  `fetch(va, n)` returns up to `n` executable
    bytes at `va` within one page and raises MemFault.  Returns the
    instructions; an undecodable first instruction yields an `undefined`
    pseudo-instruction (its exit is raised when the block runs).
    """
    insns: list[Insn] = []
    page = pc >> 12
    cur = pc
    while len(insns) < max_insns and cur >> 12 == page and not (insns and cur in stops):
        try:
            insn = decode_at(isa, fetch, cur)
        except MemFault:
            if not insns:
                raise
            break
        except DecodeError:
            if insns:
                break
            raw = fetch(cur, isa.max_insn_len)
            insn = Insn(cur, 0, "(bad)", "", "undefined", {"raw": raw}, True, raw)
        insns.append(insn)
        cur += insn.length
        if insn.ends_block:
            break
    return insns


def decode_at(isa: Isa, fetch: Callable[[int, int], bytes], pc: int) -> Insn:
    """Decode one instruction, fetching from the next page if it straddles."""
    buf = fetch(pc, isa.max_insn_len)
    try:
        return isa.decode(buf, pc)
    except NeedMoreBytes:
        more = fetch(pc + len(buf), isa.max_insn_len - len(buf))
        try:
            return isa.decode(buf + more, pc)
        except NeedMoreBytes as e:
            raise DecodeError("truncated instruction") from e


def insn_statements(isa: Isa, insn: Insn) -> list[str]:
    if insn.form == "undefined":
        word = int.from_bytes(insn.raw[:4], "little") if isa.max_insn_len == 4 and len(insn.raw) >= 4 else 0
        return [f"_exit(EXIT_UNDEFINED, {word}, False)"]
    return isa.translate(insn)


def block_source(isa: Isa, insns: list[Insn], name: str = "_blk") -> str:
    """Python source of one block function `name(R)`.

    Returns None from the function when the block ran to its end (R[pc]
    holds the successor), else `(n, exc)`: `n` instructions completed before
    the exit `exc` (MemFault or GuestExit).

    Only state variables the block reads before it writes them are loaded,
    and only those it assigns are stored back — on an exit, only those
    already assigned (the others still hold their value in R).  `_n` is set
    only before instructions that can leave the block early (or read it,
    for virtual time).
    """
    per_insn = [[_bool_ints(s) for s in stmts]
                for stmts in _forward_temps(_drop_dead_flags(isa, [insn_statements(isa, i) for i in insns]))]
    exposed, assigned = _exposed_and_assigned(isa, [s for stmts in per_insn for s in stmts])
    loads = [f"    {v} = {isa.state_vars[v].load}" for v in isa.state_vars if v in exposed]
    stores = [isa.state_vars[v].store.format(v=v) for v in isa.state_vars if v in assigned]
    exit_stores = [f"if {v!r} in _L: " + isa.state_vars[v].store.format(v=f"_L[{v!r}]")
                   for v in isa.state_vars if v in assigned]
    last = insns[-1]
    pcs = tuple(i.pc for i in insns)
    nexts = tuple(i.pc + i.length for i in insns)
    lines = [f"def {name}(R):"] + loads + ["    _n = 0", "    try:"]
    for k, stmts in enumerate(per_insn):
        if k and any(_NEEDS_N.search(s) for s in stmts):
            lines.append(f"        _n = {k}")
        if k == len(insns) - 1:
            lines.append(f"        _npc = {last.pc + last.length}")
        for s in stmts:
            lines.extend("        " + ln for ln in s.split("\n"))
    lines.append("    except (_GuestExit, _MemFault) as _e:")
    if exit_stores:
        lines.append("        _L = locals()")
        lines.extend("        " + s for s in exit_stores)
    lines.append(f"        R[{isa.pc_slot}] = ({nexts!r} if _e.after else {pcs!r})[_n]")
    lines.append("        return _n + _e.after, _e")
    lines.extend("    " + s for s in stores)
    lines.append(f"    R[{isa.pc_slot}] = _npc")
    return "\n".join(lines) + "\n"


def unit_source(isa: Isa, insn: Insn, name: str = "_unit", live: Collection[str] | None = None) -> str:
    """Python source of the interpreter's unit for one instruction: `name(R, RD)` returns the next pc.

    `live`: the flags it must store (default: every flag; `flags_live_after`).

    `RD` is the register array seen as doubles: registers its binary64
    operations use are read and written through it, as floats
    (machr.jit.pyfloat.operated_registers), with no cast.

    The pc itself is not stored (the interpreter keeps it in a local and
    stores it at block boundaries and exits).  A MemFault or guest exit
    propagates to the caller, which knows the instruction (pc, length); the
    state is then the one before the instruction, since memory accesses come
    before any state write — except where a state variable may be assigned
    before the exit (an iterative `rep`, an exit after a write): those units
    store what they assigned before the exception goes on.
    """
    kept = plan_flags(isa, [insn_statements(isa, insn)], isa.flag_vars if live is None else live)[0]
    stmts = _equal_flags_once(isa, [_bool_ints(re.sub(r"\b_n\b", "0", st)) for st in _forward_temps(kept)[0]])
    from machr.jit.pyfloat import float_shadows, operated_registers, resident_view
    from machr.jit.region import halves_view, python_halves      # region builds on this module

    halves = python_halves(isa, insn, stmts)
    if halves is not None:                    # 128-bit registers as their two R slots (machr.jit.region)
        isa = halves_view(isa)
        floats = operated_registers(isa, halves)
        isa, stmts = resident_view(isa, floats, "RD"), float_shadows(isa, [halves], floats)[0]    # binary64 ops inline
    exposed, assigned = _exposed_and_assigned(isa, stmts)
    loads = [f"    {v} = {isa.state_vars[v].load}" for v in isa.state_vars if v in exposed]
    stores = ["    " + isa.state_vars[v].store.format(v=v) for v in isa.state_vars if v in assigned]
    exits = [i for i, st in enumerate(stmts) if _MAY_EXIT.search(st)]
    nxt = insn.pc + insn.length
    body = [f"_npc = {nxt:#x}"] + stmts if insn.ends_block else stmts
    ret = "    return _npc" if insn.ends_block else f"    return {nxt:#x}"
    exposed_early = exits and any(set(_ASSIGNED.findall(st)) & assigned or "\n" in st for st in stmts[:exits[-1] + 1])
    if not exposed_early:
        return "\n".join([f"def {name}(R, RD):", *loads, *("    " + ln for st in body for ln in st.split("\n")),
                          *stores, ret]) + "\n"
    exit_stores = ["        if {v!r} in _L: ".format(v=v) + isa.state_vars[v].store.format(v=f"_L[{v!r}]")
                   for v in isa.state_vars if v in assigned]
    return "\n".join([f"def {name}(R, RD):", *loads, "    try:",
                      *("        " + ln for st in body for ln in st.split("\n")),
                      "    except (_GuestExit, _MemFault):", "        _L = locals()", *exit_stores, "        raise",
                      *stores, ret]) + "\n"


def _equal_flags_once(isa: Isa, stmts: list[str]) -> list[str]:
    """`g = E` right after `f = E` (flags, the same E, which does not read f) becomes `g = f`.

    The interpreter stores every flag, so nothing drops the second copy of
    an expression the ISA writes for two flags (x86 CF = OF after a
    multiply: a 128-bit product's high half, a helper call) and it would
    run twice.
    """
    out = stmts[:1]
    for s in stmts[1:]:
        prev = _flag_target(out[-1], isa.flag_vars)
        target = _flag_target(s, isa.flag_vars)
        expr = _rhs(s).strip()
        if (prev is not None and target is not None and expr == _rhs(out[-1]).strip()
                and not _word(prev).search(expr)):
            s = f"{target} = {prev}"
        out.append(s)
    return out


_INT_OPEN = re.compile(r"\bint\(")
_COMPARISON = re.compile(r"==|!=|<=|>=|(?<![<>])[<>](?![<>=])")
_NOT_A_COMPARISON = re.compile(r"\b(and|or|if|not|lambda|for)\b|,")
_ARGUMENT = re.compile(r"(,|[\w\])]\s*\()\s*$")          # int(...) passed to a helper stays an int


def _bool_ints(stmt: str) -> str:
    """`int(a == b)` → `(a == b)`: a comparison's bool is already 0/1 for every use statements make of it.

    CPython spends more on the call to int than on the comparison.  Only an
    argument that is a single comparison at its top level is rewritten.
    """
    if "int(" not in stmt:
        return stmt
    out = []
    pos = 0
    for m in _INT_OPEN.finditer(stmt):
        if m.start() < pos:
            continue
        depth, i = 1, m.end()
        while i < len(stmt) and depth:
            depth += {"(": 1, ")": -1}.get(stmt[i], 0)
            i += 1
        inner = stmt[m.end():i - 1]
        top = _top_level(inner)
        if (depth == 0 and _COMPARISON.search(top) and not _NOT_A_COMPARISON.search(top)
                and not _ARGUMENT.search(stmt, 0, m.start())):
            out.append(stmt[pos:m.start()] + "(" + inner + ")")
            pos = i
    out.append(stmt[pos:])
    return "".join(out)


def _top_level(expr: str) -> str:
    """`expr` with everything inside parentheses or brackets blanked out."""
    depth = 0
    chars = []
    for c in expr:
        if c in "([":
            depth += 1
        chars.append(c if depth == 0 else " ")
        if c in ")]":
            depth -= 1
    return "".join(chars)


_TOP_ASSIGN = re.compile(r"^([A-Za-z_]\w*) = (.*)$")


def _exposed_and_assigned(isa: Isa, body: list[str]) -> tuple[set[str], set[str]]:
    """State variables read before any write (must be loaded) and those written (must be stored).

    Only a single-line `name = expr` counts as a definite write; a variable
    written inside a compound statement or by augmented assignment counts
    as read too, so it is loaded and always bound when it is stored.
    """
    exposed: set[str] = set()
    assigned: set[str] = set()
    defined: set[str] = set()
    for s in body:
        m = _TOP_ASSIGN.match(s) if "\n" not in s else None
        reads = m.group(2) if m else s
        exposed.update(n for n in _NAME.findall(reads) if n in isa.state_vars and n not in defined)
        for target in _ASSIGNED.findall(s):
            if target in isa.state_vars:
                assigned.add(target)
                if m is None and target not in defined:
                    exposed.add(target)
        if m and m.group(1) in isa.state_vars:
            defined.add(m.group(1))
    return exposed, assigned


_INT_LITERAL = re.compile(r"(?<![\w.])(0[xX][0-9a-fA-F]+|\d+)(?![\w.])")


def numba_block_source(isa: Isa, insns: list[Insn], name: str = "_blk") -> str:
    """The same statements as `block_source`, typed for `numba.njit`: `name(R)` returns the next pc.

    numba has fixed-width integers, so every literal and every `int(...)`
    becomes `_U(...)` (uint64) and all arithmetic wraps modulo 2**64 — the
    statements' own masks make that equal to the Python tier, provided the
    ISA never builds intermediates wider than 64 bits.  This is the basis the
    numba tier builds on; blocks that touch memory or leave early need its
    region wrapper (TLB inline, exits as return codes) and are refused here.
    """
    per_insn = _drop_dead_flags(isa, [insn_statements(isa, i) for i in insns])
    body = [s for stmts in per_insn for s in stmts]
    if any(_NEEDS_N.search(s) for s in body):
        raise ValueError("block accesses memory or can exit: needs the region wrapper")
    used = {n for s in body for n in _NAME.findall(s) if n in isa.state_vars}
    assigned = {m for s in body for m in _ASSIGNED.findall(s) if m in isa.state_vars}
    last = insns[-1]
    lines = [f"def {name}(R):"]
    lines += [f"    {v} = {isa.state_vars[v].load}" for v in isa.state_vars if v in used]
    lines.append(f"    _npc = _U({last.pc + last.length})")
    for s in body:
        typed = _INT_LITERAL.sub(r"_U(\1)", s).replace("int(", "_U(")
        lines.extend("    " + ln for ln in typed.split("\n"))
    lines += ["    " + isa.state_vars[v].store.format(v=v) for v in isa.state_vars if v in assigned]
    lines.append("    return _npc")
    return "\n".join(lines) + "\n"


_TEMP_DEF = re.compile(r"^(_t\w*) = (.+)$")
_SIMPLE = re.compile(r"^(\w+|0[xX][0-9a-fA-F]+)$")


def _forward_temps(per_insn: list[list[str]], keep: Collection[str] = ()) -> list[list[str]]:
    """Substitute temporaries that are read exactly once into their reader (Python pays per local).

    `_tX = E; ...; y = f(_tX)` becomes `y = f((E))` when nothing in between
    assigns a name E reads, E calls nothing that can fault, and `_tX` is not
    read again before it is redefined — within one instruction, or later in
    the block.  Semantics are unchanged: E is pure and evaluated once, at a
    point where its inputs hold the same values.  Temporaries in `keep`
    (read by code that runs elsewhere) are only folded if constant.
    """
    flat = [(k, s) for k, stmts in enumerate(per_insn) for s in stmts]
    start = 0
    while (step := _forward_step(flat, start, keep)) is not None:
        start = step
    out: list[list[str]] = [[] for _ in per_insn]
    for k, s in flat:
        out[k].append(s)
    return out


def _forward_step(flat: list[tuple[int, str]], start: int, keep: Collection[str]) -> int | None:
    """Apply the first substitution `_forward_temps` can make at or after `start`; None if there is none.

    Returns where the search for the next one starts: nothing before it
    could have changed.  The first substitution in the whole list is found
    as if the search started at 0: a statement before `start` could only
    become one if it shares a name with a statement the substitution
    changed or removed.  (This keeps the output of the original
    restart-from-the-top search, which tier 2's cache keys depend on, at a
    fraction of its cost.)
    """
    n = len(flat)
    for i in range(start, n):
        stmt = flat[i][1]
        m = _TEMP_DEF.match(stmt)
        if m is None or "\n" in stmt or _NEEDS_N.search(stmt):
            continue
        temp, expr = m.groups()
        word = _word(temp)
        if word.search(expr):
            continue
        prefix = temp + " = "
        end = n                                  # its first redefinition
        live_reads = []                          # the reads up to there
        for j in range(i + 1, n):
            s = flat[j][1]
            if temp in s and word.search(_after_target(s, temp)):
                live_reads.append(j)
            if s.startswith(prefix) and _TEMP_DEF.match(s):
                end = j
                break
        literal = _INT_LITERAL.fullmatch(expr.strip())
        if literal and live_reads and live_reads[-1] < end and all("\n" not in flat[j][1] for j in live_reads):
            changed = [stmt] + [flat[j][1] for j in live_reads]
            for j in live_reads:                 # a constant: fold it into every reader
                flat[j] = (flat[j][0], word.sub(expr.strip(), flat[j][1]))
            del flat[i]
            return _restart(flat, i, changed)
        if temp in keep:
            continue
        if len(live_reads) != 1 or (live_reads[0] == end and not word.search(_TEMP_DEF.match(
                flat[end][1]).group(2))):
            if not live_reads:                   # dead temporary
                del flat[i]
                return _restart(flat, i, [stmt])
            continue
        j = live_reads[0]
        target = flat[j][1]
        if "\n" in target or len(word.findall(target)) != 1:
            continue
        inputs = set(_NAME.findall(expr))
        if any(set(_ASSIGNED.findall(flat[x][1])) & inputs or "\n" in flat[x][1] for x in range(i + 1, j)):
            continue
        repl = expr if _SIMPLE.match(expr) else f"({expr})"
        flat[j] = (flat[j][0], word.sub(lambda _, r=repl: r, target))  # the whole name: _t0_1 is not in _t0_10
        del flat[i]
        return _restart(flat, i, [stmt, target])
    return None


@functools.lru_cache(maxsize=1024)
def _word(name: str) -> re.Pattern:
    """`name` as a whole word (temporaries are few: `_t0`, `_ta`, ... and their renamed forms)."""
    return re.compile(rf"\b{name}\b")


def _restart(flat: list[tuple[int, str]], i: int, changed: list[str]) -> int:
    """Where the next search starts after the statements `changed` (as they were) at `i` and after were changed.

    A temporary's definition before `i` depends only on the statements up
    to its next definition, and only through temporaries: its own, and
    those its expression reads (the removed statement assigned one).  So
    the first definition before `i` whose temporary is not defined again
    before `i` and which names a temporary the changed statements name is
    where the search goes on; else at `i`.
    """
    names = {n for s in changed for n in _NAME.findall(s) if n.startswith("_t")}
    first = i
    later: set[str] = set()                      # temporaries defined between the one looked at and `i`
    for a in range(i - 1, -1, -1):
        s = flat[a][1]
        if not s.startswith("_t"):
            continue
        m = _TEMP_DEF.match(s)
        if m is None:
            continue
        if m.group(1) not in later and names.intersection(_NAME.findall(s)):
            first = a
        later.add(m.group(1))
    return first


def _after_target(stmt: str, temp: str) -> str:
    """The part of `stmt` that reads names: all of it, except the target of a `temp = ...` definition."""
    m = _TEMP_DEF.match(stmt)
    return m.group(2) if m and m.group(1) == temp else stmt


def _drop_dead_flags(isa: Isa, per_insn: list[list[str]]) -> list[list[str]]:
    """Backward liveness over flags; every flag is live at block end and at possible exits."""
    return plan_flags(isa, per_insn, isa.flag_vars)[0]


def plan_flags(isa: Isa, per_insn: list[list[str]], live_out: Collection[str]
               ) -> tuple[list[list[str]], list[str], set[str]]:
    """Flag liveness of one block whose end needs only the flags `live_out`.

    Returns (kept, sunk, live_in).  `kept` is `per_insn` without the flag
    assignments nobody reads; every flag is live at an instruction that may
    leave the block (memory access, exit), so the state there is exactly
    the interpreter's.  `sunk` are the last assignments of flags outside
    `live_out` that the block's end still needs when it is *left* (the flag
    must hold its architectural value at a region exit): removed from
    `kept`, to be run at that exit, in order.  A statement is sunk only if
    nothing after it assigns a name it reads, so it computes the same value
    at the end of the block; otherwise it stays in `kept`.  `live_in` are the
    flags read before being assigned (or exposed by an exit).
    """
    return _plan_flags(isa, per_insn, live_out, None)[:3]


@dataclass
class FlagPlan:
    """`plan_flags` where memory faults recompute flags instead of reading them (see `plan_flags_at_exits`)."""

    kept: list[list[str]]
    sunk: list[str]
    live_in: set[str]
    at_exit: list[list[str]]        # per instruction: flag assignments to run if it faults (in order)


def plan_flags_at_exits(isa: Isa, per_insn: list[list[str]], live_out: Collection[str]) -> FlagPlan:
    """`plan_flags`, but an instruction that may fault only on a memory access keeps no flag alive.

    Such a fault reports the state before the instruction (memory accesses
    come before any state write).  A flag assigned earlier in the block
    whose assignment was dropped (dead, or sunk) is recomputed by the code
    that handles the fault: `at_exit[k]` are the assignments to run for a
    fault at instruction k.  That is possible only while nothing has
    assigned a name the assignment reads; otherwise the flag stays live
    there, as in `plan_flags`.  A flag the block has not assigned before
    the fault is not live either: its value is the one the block was
    entered with, which the caller must be able to give (a Python region
    keeps it in its local or has the block that set it recompute it,
    machr.jit.pyregion).  Instructions that may exit otherwise (`_exit`,
    `raise`) or hold compound statements expose every flag, as before.
    """
    kept, sunk, live_in, dropped = _plan_flags(isa, per_insn, live_out, unrecomputable(isa, per_insn))
    return FlagPlan(kept, sunk, live_in, _recomputed(isa, per_insn, dropped))


def _memory_only(stmts: list[str]) -> bool:
    """An instruction that may leave only by a memory fault, before it writes any state.

    A compound statement is fine where it cannot leave (an FP operation
    with its exact fallback, machr.jit.pyfloat): only one that may is
    suspect, since its access may come after the state it writes.
    """
    return (any(_MAY_EXIT.search(s) for s in stmts)
            and not any(("\n" in s and _MAY_EXIT.search(s)) or "_exit(" in s or re.search(r"\braise\b", s)
                        for s in stmts))


def _plan_flags(isa: Isa, per_insn: list[list[str]], live_out: Collection[str], blocked: list[set[str] | None] | None
                ) -> tuple[list[list[str]], list[str], set[str], set[tuple[int, int]]]:
    """plan_flags; with `blocked`, the rule of `plan_flags_at_exits`.  Also returns the assignments dropped."""
    flags = isa.flag_vars
    live = set(live_out)
    can_sink = not flags <= live              # with every flag live at the end nothing is sunk
    assigned_later: set[str] = set()          # every name assigned after the current statement
    flags_later: set[str] = set()             # flags assigned after it (kept or sunk)
    out: list[list[str]] = []
    sunk: list[str] = []
    dropped: set[tuple[int, int]] = set()     # (instruction, statement) of the assignments not kept
    for j in range(len(per_insn) - 1, -1, -1):
        stmts = per_insn[j]
        may_exit = any(_MAY_EXIT.search(s) for s in stmts)
        kept: list[str] = []
        for i in range(len(stmts) - 1, -1, -1):
            s = stmts[i]
            target = _flag_target(s, flags)
            if target is None:
                live.update(n for n in _NAME.findall(s) if n in flags)
                kept.append(s)
            else:
                reads = set(_NAME.findall(_rhs(s)))
                if target in live:
                    live.discard(target)
                    kept.append(s)
                elif target in flags_later:
                    dropped.add((j, i))
                    continue                  # overwritten before anyone reads it
                elif reads & assigned_later:
                    kept.append(s)            # its inputs change later: compute it here
                else:
                    sunk.append(s)
                    dropped.add((j, i))
                live.update(reads & flags)
                flags_later.add(target)
            if can_sink:
                assigned_later |= assigned_names(s)
        if blocked is not None and blocked[j] is not None:
            live |= blocked[j]      # a fault here: flags it cannot recompute must hold their value
        elif may_exit:
            live = set(flags)       # an exit before this instruction's writes exposes every flag
        out.append(kept[::-1])
    return out[::-1], sunk[::-1], live, dropped


def unrecomputable(isa: Isa, per_insn: list[list[str]]) -> list[set[str] | None]:
    """Per instruction that may fault only on memory (None for the others): flags a fault there cannot recompute.

    Those whose last assignment before it reads a name assigned since (or
    in the instruction itself), calls something, or was not a plain
    `flag = expr` (`plan_flags_at_exits` keeps them live there).
    """
    flags = isa.flag_vars
    reads: dict[str, set[str] | None] = {}    # flag -> names its last assignment reads (None: cannot run again)
    since: dict[str, set[str]] = {}           # flag -> names assigned after its last assignment
    out: list[set[str] | None] = []
    for stmts in per_insn:
        if _memory_only(stmts):
            here = set().union(*(assigned_names(s) for s in stmts))
            out.append({f for f, r in reads.items() if r is None or r & (since[f] | here)})
        else:
            out.append(None)
        for s in stmts:
            names = assigned_names(s)
            for f in since:
                since[f] |= names
            target = _flag_target(s, flags)
            if target is not None:
                rhs = _rhs(s)
                reads[target] = None if "(" in rhs and _CALL.search(rhs) else set(_NAME.findall(rhs))
                since[target] = set()
            for f in names & flags - {target}:
                reads[f] = None               # assigned some other way: the local holds it (kept)
                since[f] = set()
    return out


_CALL = re.compile(r"\b(?!int\()[A-Za-z_]\w*\s*\(")


def _recomputed(isa: Isa, per_insn: list[list[str]], dropped: set[tuple[int, int]]) -> list[list[str]]:
    """Per instruction: the dropped flag assignments that reach it (its fault must run them, in order)."""
    flags = isa.flag_vars
    last: dict[str, tuple[int, int]] = {}     # flag -> position of its last assignment so far
    out: list[list[str]] = []
    for j, stmts in enumerate(per_insn):
        pending = sorted(pos for pos in last.values() if pos in dropped)
        out.append([per_insn[a][b] for a, b in pending] if _memory_only(stmts) else [])
        for i, s in enumerate(stmts):
            target = _flag_target(s, flags)
            if target is not None:
                last[target] = (j, i)
            for f in assigned_names(s) & flags - {target}:
                last.pop(f, None)
    return out


def _flag_target(stmt: str, flags: frozenset[str]) -> str | None:
    if "\n" in stmt:
        return None
    head, sep, _ = stmt.partition("=")
    name = head.strip()
    if sep and name in flags and not stmt.lstrip().startswith(name + " ==") and "==" not in head:
        return name
    return None


def _rhs(stmt: str) -> str:
    return stmt.partition("=")[2]


def compile_unit(isa: Isa, insn: Insn, frames: tuple[int, ...], env: dict, after: Insn | None = None) -> Block:
    """The interpreter's unit for `insn` (see `unit_source`) as a Block of one instruction.

    `after`: the instruction that follows it on its page, if known.  Where
    that one kills flags this one sets, the block also gets the `lazy`
    unit, which does not compute them: the interpreter runs it where no
    boundary comes between the two (machr.jit.engine), so that nothing sees
    the flags before they are assigned again.
    """
    src = unit_source(isa, insn)
    blk = Block(insn.pc, 1, _unit_fn(src, insn, env), src, frames, insn.ends_block, insns=[insn],
                uses_clock="_clock(" in src)
    live = flags_live_after(isa, after)
    if live != isa.flag_vars:
        lazy = unit_source(isa, insn, live=live)
        if lazy != src:
            blk.lazy = _unit_fn(lazy, insn, env)
    return blk


def _unit_fn(src: str, insn: Insn, env: dict) -> Callable:
    ns: dict = {}
    exec(compile(src, f"<unit {insn.pc:#x}>", "exec"), env, ns)
    return ns["_unit"]


def flags_live_after(isa: Isa, after: Insn | None) -> frozenset[str]:
    """The flags an instruction must leave exact when `after` runs next: all but those `after` assigns first.

    `after`'s flags live in (`plan_flags`): all of them where it may leave
    (a memory access, an exit), since the state there must be the
    interpreter's; all where `after` is unknown.
    """
    if after is None:
        return isa.flag_vars
    return frozenset(plan_flags(isa, [insn_statements(isa, after)], isa.flag_vars)[2])


def compile_block(isa: Isa, insns: list[Insn], frames: tuple[int, ...], env: dict) -> Block:
    """Compile `insns` into a Block whose function runs with globals `env`."""
    src = block_source(isa, insns)
    ns: dict = {}
    exec(compile(src, f"<block {insns[0].pc:#x}>", "exec"), env, ns)
    return Block(insns[0].pc, len(insns), ns["_blk"], src, frames, insns[-1].ends_block, insns=insns,
                 uses_clock="_clock(" in src)


__all__ = ["EXIT_UNDEFINED", "MAX_BLOCK_INSNS", "Block", "block_source", "compile_block", "compile_unit", "form_block",
           "unit_source"]
