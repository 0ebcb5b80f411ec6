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

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from machr.isa.base import DecodeError, Insn, Isa, NeedMoreBytes
from machr.jit.simplify import assigned_names
from machr.machine.exits import EXIT_UNDEFINED, MemFault

MAX_BLOCK_INSNS = 64
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
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


def unit_source(isa: Isa, insn: Insn, name: str = "_unit") -> str:
    """Python source of the interpreter's unit for one instruction: `name(R)` returns the next pc.

    The pc itself is not stored (the interpreter keeps it in a local and
    stores it at block boundaries and exits).  A MemFault or guest exit
    propagates to the caller, which knows the instruction (pc, length); the
    state is then the one before the instruction, since memory accesses come
    before any state write — except where a state variable may be assigned
    before the exit (an iterative `rep`, an exit after a write): those units
    store what they assigned before the exception goes on.
    """
    stmts = [_bool_ints(re.sub(r"\b_n\b", "0", st)) for st in _drop_dead_flags(isa, [insn_statements(isa, insn)])[0]]
    exposed, assigned = _exposed_and_assigned(isa, stmts)
    loads = [f"    {v} = {isa.state_vars[v].load}" for v in isa.state_vars if v in exposed]
    stores = ["    " + isa.state_vars[v].store.format(v=v) for v in isa.state_vars if v in assigned]
    exits = [i for i, st in enumerate(stmts) if _MAY_EXIT.search(st)]
    nxt = insn.pc + insn.length
    body = [f"_npc = {nxt:#x}"] + stmts if insn.ends_block else stmts
    ret = "    return _npc" if insn.ends_block else f"    return {nxt:#x}"
    exposed_early = exits and any(set(_ASSIGNED.findall(st)) & assigned or "\n" in st for st in stmts[:exits[-1] + 1])
    if not exposed_early:
        return "\n".join([f"def {name}(R):", *loads, *("    " + ln for st in body for ln in st.split("\n")),
                          *stores, ret]) + "\n"
    exit_stores = ["        if {v!r} in _L: ".format(v=v) + isa.state_vars[v].store.format(v=f"_L[{v!r}]")
                   for v in isa.state_vars if v in assigned]
    return "\n".join([f"def {name}(R):", *loads, "    try:", *("        " + ln for st in body for ln in st.split("\n")),
                      "    except (_GuestExit, _MemFault):", "        _L = locals()", *exit_stores, "        raise",
                      *stores, ret]) + "\n"


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


def _forward_temps(per_insn: list[list[str]]) -> list[list[str]]:
    """Substitute temporaries that are read exactly once into their reader (Python pays per local).

    `_tX = E; ...; y = f(_tX)` becomes `y = f((E))` when nothing in between
    assigns a name E reads, E calls nothing that can fault, and `_tX` is not
    read again before it is redefined — within one instruction, or later in
    the block.  Semantics are unchanged: E is pure and evaluated once, at a
    point where its inputs hold the same values.
    """
    flat = [(k, s) for k, stmts in enumerate(per_insn) for s in stmts]
    changed = True
    while changed:
        changed = False
        for i, (_, stmt) in enumerate(flat):
            m = _TEMP_DEF.match(stmt)
            if m is None or "\n" in stmt or _NEEDS_N.search(stmt):
                continue
            temp, expr = m.groups()
            word = re.compile(rf"\b{temp}\b")
            if word.search(expr):
                continue
            reads = [j for j in range(i + 1, len(flat)) if word.search(_after_target(flat[j][1], temp))]
            redefs = [j for j in range(i + 1, len(flat)) if _TEMP_DEF.match(flat[j][1])
                      and _TEMP_DEF.match(flat[j][1]).group(1) == temp]
            end = redefs[0] if redefs else len(flat)
            live_reads = [j for j in reads if j <= end]
            literal = _INT_LITERAL.fullmatch(expr.strip())
            if literal and live_reads and live_reads[-1] < end and all("\n" not in flat[j][1] for j in live_reads):
                for j in live_reads:                 # a constant: fold it into every reader
                    flat[j] = (flat[j][0], word.sub(expr.strip(), flat[j][1]))
                del flat[i]
                changed = True
                break
            if len(live_reads) != 1 or (live_reads[0] == end and not word.search(_TEMP_DEF.match(
                    flat[end][1]).group(2))):
                if not live_reads:                   # dead temporary
                    del flat[i]
                    changed = True
                    break
                continue
            j = live_reads[0]
            target = flat[j][1]
            if "\n" in target or len(word.findall(target)) != 1:
                continue
            inputs = set(_NAME.findall(expr))
            if any(set(_ASSIGNED.findall(flat[x][1])) & inputs or "\n" in flat[x][1] for x in range(i + 1, j)):
                continue
            repl = expr if _SIMPLE.match(expr) else f"({expr})"
            flat[j] = (flat[j][0], target.replace(temp, repl) if _word_count(target, temp) == 1 else target)
            del flat[i]
            changed = True
            break
    out: list[list[str]] = [[] for _ in per_insn]
    for k, s in flat:
        out[k].append(s)
    return out


def _word_count(stmt: str, name: str) -> int:
    return len(re.findall(rf"\b{name}\b", stmt))


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
    flags = isa.flag_vars
    live = set(live_out)
    can_sink = not flags <= live              # with every flag live at the end nothing is sunk
    assigned_later: set[str] = set()          # every name assigned after the current statement
    flags_later: set[str] = set()             # flags assigned after it (kept or sunk)
    out: list[list[str]] = []
    sunk: list[str] = []
    for stmts in reversed(per_insn):
        may_exit = any(_MAY_EXIT.search(s) for s in stmts)
        kept: list[str] = []
        for s in reversed(stmts):
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
                    continue                  # overwritten before anyone reads it
                elif reads & assigned_later:
                    kept.append(s)            # its inputs change later: compute it here
                else:
                    sunk.append(s)
                live.update(reads & flags)
                flags_later.add(target)
            if can_sink:
                assigned_later |= assigned_names(s)
        if may_exit:
            live = set(flags)       # an exit before this instruction's writes exposes every flag
        out.append(kept[::-1])
    return out[::-1], sunk[::-1], live


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


def compile_unit(isa: Isa, insn: Insn, frames: tuple[int, ...], env: dict) -> Block:
    """The interpreter's unit for `insn` (see `unit_source`) as a Block of one instruction."""
    src = unit_source(isa, insn)
    ns: dict = {}
    exec(compile(src, f"<unit {insn.pc:#x}>", "exec"), env, ns)
    return Block(insn.pc, 1, ns["_unit"], src, frames, insn.ends_block, insns=[insn], uses_clock="_clock(" in src)


def compile_block(isa: Isa, insns: list[Insn], frames: tuple[int, ...], env: dict) -> Block:
    """Compile `insns` into a Block whose function runs with globals `env`."""
    src = block_source(isa, insns)
    ns: dict = {}
    exec(compile(src, f"<block {insns[0].pc:#x}>", "exec"), env, ns)
    return Block(insns[0].pc, len(insns), ns["_blk"], src, frames, insns[-1].ends_block, insns=insns,
                 uses_clock="_clock(" in src)


__all__ = ["EXIT_UNDEFINED", "MAX_BLOCK_INSNS", "Block", "block_source", "compile_block", "compile_unit", "form_block",
           "unit_source"]
