"""Tier-2 source: a region of blocks as one function for `numba.njit`.

A region is a small set of hot blocks.  Its function loads the guest state
variables it uses into locals once, then loops: pick the block whose start
is the current pc (an `if pc == …` chain, hottest first), run its
statements, count its instructions, check the budget at the block boundary
(the same canonical boundaries tiers 0 and 1 check).  It returns to Python
only on an exit, with the state stored back:

* LEAVE  — the pc is not a block of the region (a block boundary);
* BUDGET — the budget ran out at a block boundary (quantum, tracing);
* SLOW   — instruction `k` of block `bpc` needs the Python tiers: a TLB
  miss, a page-crossing access, a store to a code frame.  Nothing of that
  instruction has happened yet (the ISA contract: memory accesses come
  before any state write), so the engine runs the rest of the block one
  instruction at a time in Python, which also raises any fault precisely.

Memory access is inlined: the TLB hit test against the uint64 views of the
MMU's arrays (one intrinsic call, machr.jit.native.tlb), then a load/store
of any alignment on physical memory (machr.jit.native's intrinsics).

The statements are the ISA's (semantics written once), typed as in
`numba_block_source`: every literal is a uint64, so arithmetic wraps modulo
2**64 exactly as the statements' own masks do in Python.  An instruction
the dialect cannot express (128-bit arithmetic, Python helpers, exits,
memory access inside a compound statement, a shift whose count may reach
64) keeps its block out of tier 2; `insn_supported` decides.  A
conditional exit that comes before the instruction's first state write
(x86 #DE) becomes a SLOW bail-out: the Python tiers then raise it.  A 128-bit value used only as a whole (loaded,
copied, stored: compilers copy structures through xmm/q registers) is
split into two uint64 locals `<name>_lo`/`<name>_hi` (`split_wide`).
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from machr.isa.base import Insn, Isa, StateVar
from machr.jit.translator import _INT_LITERAL, _NAME, _drop_dead_flags, _forward_temps, insn_statements

LEAVE, BUDGET, SLOW = 1, 2, 3
# X (int64 exit record) slots: inputs budget and clock; outputs retired, block pc and insn index of a SLOW exit;
# the trampoline's totals (retired, region calls) for its caller.
X_BUDGET, X_CLOCK, X_RETIRED, X_BLOCK, X_INDEX, X_DONE, X_CALLS = range(7)
X_SIZE = 7
TLB_MISS = (1 << 64) - 1        # machr.jit.native.tlb's answer for an access that misses: never a host offset
# A region is a C-callable function (numba.cfunc) over raw pointers, indexed as arrays, so that the trampoline
# (machr.jit.native) can call one region after another natively, and so that its object code needs nothing of
# numba's runtime (machr.jit.loader loads it without numba).
SIGNATURE = ("int64(CPointer(uint64), CPointer(uint8), CPointer(uint64), CPointer(uint64), CPointer(uint64), "
             "CPointer(int64))")
ARGS = "R, M8, RT, WT, BASE, X"
TRANSLATOR_VERSION = 10         # part of the on-disk cache key: bump when the generated code changes

# The trampoline runs region after region natively, without returning to Python.  A region ends with LEAVE
# when the next pc is not one of its blocks; that pc is usually the start of another region (a loop split over
# two regions, a call into a callee's region, the return to the caller's).  Going back to Python for that costs
# about 1 µs, the time tier 2 runs 100-2000 guest instructions in, so a workload spread over many regions
# (Dhrystone's mix of small procedures) would spend most of its time in transitions.  The trampoline instead
# looks the pc up in an open-addressing table of the address space's region blocks (`keys` = block pcs, `fns`
# = the region's function address; the probe is machr.jit.loader's `slot`) and calls the next region through
# its address (`call_region`: an indirect call): a few nanoseconds.  It returns to Python on any other exit
# (BUDGET, SLOW), on a pc without a region (LEAVE), or when the budget is used up at a block boundary (LEAVE:
# the engine does the canonical boundary check); X gets the instructions retired (X_DONE) and the region calls
# made (X_CALLS), and a SLOW exit's block and index, left by the region that took it.  It is dialect text
# that only machr.jit.emit compiles (its module-level names are this module's integer constants).
TRAMPOLINE_SOURCE = """
def trampoline(keys, fns, mask, R, M8, RT, WT, BASE, X, pc_slot, budget, clock):
    done = 0
    calls = 0
    kind = LEAVE
    while True:
        pc = R[pc_slot]
        i = (pc ^ (pc >> _U(7))) & mask
        while keys[i] != pc and keys[i] != _U(0):
            i = (i + _U(1)) & mask
        if keys[i] == _U(0):
            break
        X[X_BUDGET] = budget - done
        X[X_CLOCK] = clock + done
        kind = call_region(fns[i], R, M8, RT, WT, BASE, X)
        calls += 1
        done += X[X_RETIRED]
        if kind != LEAVE:
            break
        if done >= budget:
            break
    X[X_DONE] = done
    X[X_CALLS] = calls
    return kind
"""

_MEM_CALL = re.compile(r"\b(ld|st)(8|16|32|64|128)\(")
_LOAD = re.compile(r"\bld(8|16|32|64)\(")
_STORE_STMT = re.compile(r"^st(8|16|32|64)\((.*)\)$")
# A pair of 64-bit registers stored as one 128-bit access (aarch64 stp: both halves checked before either is
# written); tier 2 stores the two halves after one 16-byte TLB test.
_STORE_PAIR = re.compile(r"^st128\((.*), (\w+) \| \((\w+) << 64\)\)$")
# 128-bit whole moves (split_wide) and the 64-bit pair load they become.
_WIDE_LOAD = re.compile(r"^(\w+) = ld128\((.*)\)$")
_WIDE_COPY = re.compile(r"^(\w+) = (\w+)$")
_WIDE_STORE = re.compile(r"^st128\((.*), (\w+)\)$")
_LOAD_PAIR = re.compile(r"^(\w+), (\w+) = ld128\((.*)\)$")
_GUARDED = re.compile(r"^(\w+) = _guarded\((.*)\)$")
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_TEMP = re.compile(r"\b(_t\w*)\b")
_U_LITERAL = re.compile(r"\b_U\((0x[0-9a-fA-F]+|\d+)\)")
_NPC = re.compile(r"\b_npc\b")
_BUILTIN_CALLS = {"int", "ld8", "ld16", "ld32", "ld64", "st8", "st16", "st32", "st64", "_clock"}
_DIALECT_CALLS = {"_asr64", "_guarded"}      # what the lowering (split_wide) adds: see HELPERS, _statement
_KEYWORDS = {"if", "else", "and", "or", "not", "while", "in", "for", "is", "True", "False", "None"}


_SEXT = re.compile(r"-\s*0x80+\b")
_COMPARE = re.compile(r"(?<![<>=!])[<>]=?(?![<>])|//|%")
# `if <test>:\n    _exit(...)` before any state write: tier 2 leaves to the Python tiers when the test holds.
_EXIT_IF = re.compile(r"^if (.+):\n    _exit\([^\n]*\)$")
_STATE_WRITE = re.compile(r"^(?!_t)\w+(, \w+)* = |^st(8|16|32|64|128)\(|^(if|while|for) ")


def block_supported(isa: Isa, insns: list[Insn]) -> bool:
    """Can every instruction of this block (after dead-flag removal, as a region has it) run in tier 2?"""
    per_insn = _drop_dead_flags(isa, [insn_statements(isa, i) for i in insns])
    return all(insn_supported(isa, i, stmts) for i, stmts in zip(insns, per_insn, strict=True))


def insn_supported(isa: Isa, insn: Insn, stmts: list[str]) -> bool:
    """Can this instruction's statements run in the uint64 numba dialect with the same result?

    Besides what uint64 cannot hold (128-bit values and intermediates,
    Python helpers), the statements must not rely on Python's signed
    integers: a sign-extended value (`(x ^ 0x80..) - 0x80..`) that is then
    compared, divided, or (at 64 bits) shifted right differs once it wraps
    (sums and products modulo 2**64 do not); a shift count must be provably
    below 64 (`_shifts_bounded`), which Python defines and numba does not.
    A conditional exit (`_EXIT_IF`) is allowed before the first state write.
    """
    if insn.form == "undefined":
        return False
    split = split_wide(isa, stmts)
    if split is None:
        return False
    stmts = [_LOAD_PAIR.sub(r"\1 = ld64(\3)", _STORE_PAIR.sub(r"st64(\1, \2)", s)) for s in split]
    text = _INT_LITERAL.sub(lambda m: hex(int(m.group(0), 0)), "\n".join(stmts))
    if _SEXT.search(text) and (_COMPARE.search(text) or "0x8000000000000000" in text and ">>" in text):
        return False
    if not _shifts_bounded(stmts):
        return False
    wide = _wide_vars(isa)
    allowed_names = (set(isa.state_vars) | set(isa.numba_globals) | _BUILTIN_CALLS | _KEYWORDS | {"_n", "_npc"}
                     | isa.numba_functions | set(isa.numba_guarded.values()) | _DIALECT_CALLS
                     | {f"{v}_{half}" for v in wide for half in ("lo", "hi")})
    wrote = False
    for s in stmts:
        exit_if = _EXIT_IF.match(s)
        if exit_if:
            if wrote or _MEM_CALL.search(exit_if.group(1)):    # the bail-out would leave part of it done
                return False
            s = exit_if.group(1)
        wrote = wrote or bool(_STATE_WRITE.match(s))
        if re.search(r"\b(ld|st)128\(|\b_exit\(|\braise\b|<< ?(6[4-9]|[7-9]\d|1\d\d)\b|>> ?64\b|\bfor\b|\blambda\b", s):
            return False
        if "\n" in s and _MEM_CALL.search(s):
            return False
        if _LOAD.search(s) and (" if " in s or s.startswith("st")):    # hoisting would change what runs
            return False
        if any(int(lit, 0) >> 64 for lit in _INT_LITERAL.findall(s)):
            return False
        for name in _NAME.findall(_INT_LITERAL.sub("0", s)):
            if name in wide or (name not in allowed_names and not name.startswith("_t")):
                return False
    return True


def _shifts_bounded(stmts: list[str]) -> bool:
    """Is every shift count in `stmts` provably below 64, and a narrow signed value's small enough?

    Counts are bounded from the expression (`& 0x3f`, `% 64`, a temporary
    assigned one earlier; `_max_value`).  A sign-extended N-bit value (or
    one shifted left by k, N + k bits) shifted right by a computed count
    stays exact in uint64's logical shift only while count + N <= 64.
    """
    bounds: dict[str, int] = {}
    for s in stmts:
        tree = ast.parse(s)
        for node in ast.walk(tree):
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.LShift, ast.RShift)):
                most = _max_value(node.right, bounds)
                if most is None or most >= 64:
                    return False
                signed = _signed_width(node.left) if isinstance(node.op, ast.RShift) else None
                if signed is not None and not isinstance(node.right, ast.Constant) and most + signed > 64:
                    return False
        node = tree.body[0] if len(tree.body) == 1 else None
        for target in (n for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)):
            bounds.pop(target.id, None)
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and (most := _max_value(node.value, bounds)) is not None):
            bounds[node.targets[0].id] = most
    return True


def _max_value(node: ast.expr, bounds: dict[str, int]) -> int | None:
    """An upper bound of a non-negative integer expression (in Python and in uint64 alike), or None."""
    if isinstance(node, ast.Constant):
        v = node.value
        return int(v) if isinstance(v, int) and v >= 0 else None
    if isinstance(node, ast.Name):
        return bounds.get(node.id)
    if isinstance(node, (ast.Compare, ast.BoolOp)) or isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return 1
    if isinstance(node, ast.IfExp):
        a, b = _max_value(node.body, bounds), _max_value(node.orelse, bounds)
        return None if a is None or b is None else max(a, b)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "int" and len(node.args) == 1:
        return _max_value(node.args[0], bounds)
    if not isinstance(node, ast.BinOp):
        return None
    a, b = _max_value(node.left, bounds), _max_value(node.right, bounds)
    if isinstance(node.op, ast.BitAnd):           # x & y keeps only y's bits, for any x, once y >= 0
        known = [x for x in (a, b) if x is not None]
        return min(known) if known else None
    if isinstance(node.op, ast.Mod):              # x % c is in [0, c) for a positive c, any x
        return b - 1 if b and isinstance(node.right, ast.Constant) else None
    if a is None or b is None:
        return None
    if isinstance(node.op, (ast.BitOr, ast.BitXor)):
        return (1 << max(a, b).bit_length()) - 1
    if isinstance(node.op, ast.Add):
        return a + b
    if isinstance(node.op, ast.Mult):
        return a * b
    if isinstance(node.op, (ast.RShift, ast.FloorDiv)):
        return a
    return None


def _signed_width(node: ast.expr) -> int | None:
    """N for a sign extension `(x ^ 2**(N-1)) - 2**(N-1)` (N + k after a `<< k`); None for anything else."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.LShift) and isinstance(node.right, ast.Constant):
        inner = _signed_width(node.left)
        return None if inner is None else inner + node.right.value
    if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and isinstance(node.right, ast.Constant)
            and isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.BitXor)
            and isinstance(node.left.right, ast.Constant) and node.left.right.value == node.right.value):
        c = node.right.value
        return c.bit_length() if isinstance(c, int) and c > 0 and c & (c - 1) == 0 else None
    return None


def _wide_vars(isa: Isa) -> set[str]:
    return {v for v, sv in isa.state_vars.items() if "<< 64" in sv.load}


def split_wide(isa: Isa, stmts: list[str], python: bool = False) -> list[str] | None:
    """`stmts` lowered to the uint64 dialect where plain typing is not enough; None if they cannot be.

    * 128-bit values (vector registers, and temporaries holding one) become
      two uint64 locals `<name>_lo`/`<name>_hi`: `d = ld128(a)` becomes
      `d_lo, d_hi = ld128(a)` (one 16-byte access, checked once, as the ISA
      does), `st128(a, s)` the pair store `st128(a, s_lo | (s_hi << 64))`,
      and the bitwise operations, masks, constant shifts and scalar merges
      the ISA writes on them work on the halves (`xmm1 = (xmm1 & HI) | t`
      is `xmm1_lo = t`; a 64-bit value written to one zeroes its `_hi`).  A
      helper called on one has a `<helper>_halves` twin taking and returning
      halves (a `numba_functions` entry), or the statement is refused.
    * A 64-bit signed value (`(x ^ 0x80..) - 0x80..`) shifted right becomes
      `_asr64(x, n)`: uint64's `>>` is logical.  Any other use of it that
      depends on the sign (comparison, division) is refused.
    * A call of an `Isa.numba_guarded` helper becomes `_guarded(<fast
      substitute>(...))`, which `_statement` turns into a bail-out test.

    Statements without any of these are returned as they are (and checked
    by `insn_supported`'s rules of the plain dialect).

    `python`: only the halves, as Python (`python_halves`): a guarded
    helper stays the Python tiers' call, `ld128` keeps its 128-bit result
    (split after it), and signed values are refused.
    """
    wide = _wide_vars(isa)
    held = set(wide)               # names holding a 128-bit value so far
    out: list[str] = []
    for s in stmts:
        names = set(_NAME.findall(s))
        if not (names & held or "ld128(" in s or not python and (
                names & set(isa.numba_guarded) or ("0x8000000000000000" in s and ">>" in s))):
            out.append(s)
            continue
        try:
            out += _Lowering(isa, wide, held, python).statement(s)
        except _Refused:
            return None
    return out


def python_halves(isa: Isa, insn: Insn, stmts: list[str]) -> list[str] | None:
    """The Python tiers' statements of `insn` with its 128-bit registers as uint64 halves, or None.

    CPython pays for every 128-bit value: joining a register's two R slots,
    masking its low lane, merging a scalar result back and splitting it for
    the store each allocate a big int, about half of a scalar FP unit's own
    cost.  As halves (state variables `<reg>_lo`/`<reg>_hi` of `halves_view`)
    a scalar operation reads one slot and writes one or two.  The lowering
    is tier 2's (`split_wide`), so the rewrite is taken only where tier 2
    takes the instruction (`insn_supported`): where its values provably fit
    the halves.  `stmts` themselves where no 128-bit value appears; None
    where the instruction keeps its 128-bit values.
    """
    wide = _wide_vars(isa)
    if not any("ld128(" in s or wide.intersection(_NAME.findall(s)) for s in stmts):
        return stmts
    if not insn_supported(isa, insn, stmts):
        return None
    return split_wide(isa, stmts, python=True)


def halves_view(isa: Isa) -> Isa:
    """`isa` with each 128-bit state variable as its two uint64 halves (`q0_lo`: R[43], `q0_hi`: R[44])."""
    view = _HALVES.get(isa.name)
    if view is None:
        wide = _wide_vars(isa)
        state: dict[str, StateVar] = {}
        for v, sv in isa.state_vars.items():
            if v not in wide:
                state[v] = sv
                continue
            for half, slot in zip(("lo", "hi"), re.findall(r"R\[(\d+)\]", sv.load), strict=True):
                state[f"{v}_{half}"] = StateVar(f"{v}_{half}", f"R[{slot}]", f"R[{slot}] = {{v}}")
        view = _HALVES[isa.name] = dataclasses.replace(isa, state_vars=state)
    return view


_HALVES: dict[str, Isa] = {}


class _Refused(Exception):
    """The statement uses a value in a way the uint64 dialect cannot express."""


@dataclass
class _Word:
    """A value that fits a uint64: `text`.

    `signed`: the value is the 64-bit signed value `text` holds as its
    two's complement, times 2**`shift` (a pending left shift, which a
    right shift by at least as much undoes exactly: x86 computes CF so).
    """

    text: str
    signed: bool = False
    shift: int = 0


@dataclass
class _Pair:
    """A 128-bit value as the texts of its halves."""

    lo: str
    hi: str


_M64 = (1 << 64) - 1
_SIGN64 = 1 << 63
_BINOPS = {ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
           ast.RShift: ">>", ast.LShift: "<<", ast.FloorDiv: "//", ast.Mod: "%"}
_CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_UNARY = {ast.Invert: "~", ast.USub: "-", ast.Not: "not "}


def _const(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        return None


def _bitop(op: str, a: str, b: str) -> str:
    """`a op b` with the identities of the masks the ISA writes folded (x & 0, x & M64, x | 0, x ^ 0)."""
    ca, cb = _const(a), _const(b)
    if op == "&":
        if ca == 0 or cb == 0:
            return "0"
        if cb == _M64:
            return a
        if ca == _M64:
            return b
    elif op in ("|", "^"):
        if ca == 0:
            return b
        if cb == 0:
            return a
    return f"({a} {op} {b})"


class _Lowering:
    """One statement of an instruction into the dialect (`held`: its names holding 128-bit values, updated)."""

    def __init__(self, isa: Isa, wide: set[str], held: set[str], python: bool = False):
        self.isa, self.wide, self.held, self.python = isa, wide, held, python

    def statement(self, s: str) -> list[str]:
        body = ast.parse(s).body
        if len(body) != 1:
            raise _Refused(s)
        node = body[0]
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            return self.assign(node.targets[0].id, node.value)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
            m = re.fullmatch(r"st(8|16|32|64|128)", node.value.func.id)
            if m and len(node.value.args) == 2:
                return self.store(int(m.group(1)), *node.value.args)
        raise _Refused(s)

    def assign(self, target: str, value: ast.expr) -> list[str]:
        call = value.func.id if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) else None
        widened = target in self.wide or target.startswith("_t")
        if call == "ld128":
            if not widened:
                raise _Refused(target)
            self.held.add(target)
            if self.python:
                lo = f"{target}_lo"
                return [f"{lo} = ld128({self.word(value.args[0])})", f"{target}_hi = {lo} >> 64",
                        f"{lo} = {lo} & {_M64:#x}"]
            return [f"{target}_lo, {target}_hi = ld128({self.word(value.args[0])})"]
        if call in self.isa.numba_guarded:
            args = ", ".join(self.word(a) for a in value.args)
            self.held.discard(target)
            return [f"{target} = {call}({args})" if self.python
                    else f"{target} = _guarded({self.isa.numba_guarded[call]}({args}))"]
        if call and any(isinstance(self.value(a), _Pair) for a in value.args):
            halves = f"{call}_halves"
            if halves not in self.isa.numba_functions or not widened:
                raise _Refused(call)
            args = []
            for a in value.args:
                v = self.value(a)
                args += [v.lo, v.hi] if isinstance(v, _Pair) else [self.word(a)]
            self.held.add(target)
            if self.python:           # one target per statement: the Python tiers' analyses see only those
                return [f"_tpair = {halves}({', '.join(args)})", f"{target}_lo = _tpair[0]", f"{target}_hi = _tpair[1]"]
            return [f"{target}_lo, {target}_hi = {halves}({', '.join(args)})"]
        v = self.value(value)
        if isinstance(v, _Word):
            if v.signed:
                raise _Refused(target)
            if target in self.wide:
                return [f"{target}_lo = {v.text}", f"{target}_hi = 0"]
            self.held.discard(target)
            return [f"{target} = {v.text}"]
        if not widened:
            raise _Refused(target)
        self.held.add(target)
        lo, hi = f"{target}_lo", f"{target}_hi"
        if v.lo == lo:
            return [] if v.hi == hi else [f"{hi} = {v.hi}"]
        if v.hi == hi or lo not in v.hi:
            return [f"{lo} = {v.lo}"] + ([] if v.hi == hi else [f"{hi} = {v.hi}"])
        if self.python:
            return [f"_thi = {v.hi}", f"{lo} = {v.lo}", f"{hi} = _thi"]
        return [f"{lo}, {hi} = {v.lo}, {v.hi}"]

    def store(self, bits: int, addr: ast.expr, value: ast.expr) -> list[str]:
        a = self.word(addr)
        v = self.value(value)
        if bits < 128:
            return [f"st{bits}({a}, {self.word(value)})"]
        if isinstance(v, _Word):
            raise _Refused("st128 of a 64-bit value")
        out = []
        lo, hi = v.lo, v.hi
        if not lo.isidentifier():
            out.append(f"_tslo = {lo}")
            lo = "_tslo"
        if not hi.isidentifier():
            out.append(f"_tshi = {hi}")
            hi = "_tshi"
        return out + [f"st128({a}, {lo} | ({hi} << 64))"]

    def word(self, node: ast.expr) -> str:
        v = self.value(node)
        if not isinstance(v, _Word) or v.signed:
            raise _Refused(ast.unparse(node))
        return v.text

    def value(self, node: ast.expr) -> _Word | _Pair:
        if isinstance(node, ast.Name):
            return _Pair(f"{node.id}_lo", f"{node.id}_hi") if node.id in self.held else _Word(node.id)
        if isinstance(node, ast.Constant):
            c = node.value
            if isinstance(c, bool) or not isinstance(c, int):
                return _Word(repr(c))
            if 0 <= c <= _M64:
                return _Word(hex(c))
            if 0 <= c >> 64 <= _M64:
                return _Pair(hex(c & _M64), hex(c >> 64))
            raise _Refused(hex(c))
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            return _Word(f"({_UNARY[type(node.op)]}{self.word(node.operand)})")
        if isinstance(node, ast.Compare):
            parts = [self.word(node.left)]
            for op, right in zip(node.ops, node.comparators, strict=True):
                parts += [_CMPOPS[type(op)], self.word(right)]
            return _Word(f"({' '.join(parts)})")
        if isinstance(node, ast.BoolOp):
            op = " and " if isinstance(node.op, ast.And) else " or "
            return _Word(f"({op.join(self.word(v) for v in node.values)})")
        if isinstance(node, ast.IfExp):
            test, body, other = self.word(node.test), self.value(node.body), self.value(node.orelse)
            if isinstance(body, _Word) and isinstance(other, _Word):
                return _Word(f"({self.word(node.body)} if {test} else {self.word(node.orelse)})")
            body, other = self.pair(node.body), self.pair(node.orelse)
            return _Pair(f"({body.lo} if {test} else {other.lo})", f"({body.hi} if {test} else {other.hi})")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id != "ld128":
            return _Word(f"{node.func.id}({', '.join(self.word(a) for a in node.args)})")
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            if node.value.id in self.held:
                raise _Refused(node.value.id)
            return _Word(f"{node.value.id}[{self.word(node.slice)}]")
        if isinstance(node, ast.Tuple):
            return _Word("(" + "".join(f"{self.word(e)}, " for e in node.elts) + ")")
        raise _Refused(ast.unparse(node))

    def pair(self, node: ast.expr) -> _Pair:
        """A value as halves: a 64-bit operand of a 128-bit operation has a zero high half."""
        v = self.value(node)
        if isinstance(v, _Pair):
            return v
        if v.signed or not isinstance(node, (ast.Name, ast.Constant, ast.Call, ast.BinOp)):
            raise _Refused(ast.unparse(node))
        return _Pair(v.text, "0")

    def binop(self, node: ast.BinOp) -> _Word | _Pair:
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise _Refused(ast.unparse(node))
        left, right = node.left, node.right
        if (op == "-" and isinstance(right, ast.Constant) and right.value == _SIGN64 and isinstance(left, ast.BinOp)
                and isinstance(left.op, ast.BitXor) and isinstance(left.right, ast.Constant)
                and left.right.value == _SIGN64):
            if self.python:
                raise _Refused("a signed value")
            return _Word(self.word(left.left), signed=True)            # (x ^ 2**63) - 2**63: x as a signed value
        a, b = self.value(left), self.value(right)
        count = right.value if isinstance(right, ast.Constant) and isinstance(right.value, int) else None
        if op == "<<" and isinstance(a, _Word) and not a.signed and count is not None and 64 <= count < 128:
            return _Pair("0", a.text if count == 64 else f"({a.text} << {hex(count - 64)})")
        if isinstance(a, _Word) and isinstance(b, _Word):
            if b.signed:
                raise _Refused(ast.unparse(node))
            if not a.signed:
                return _Word(f"({a.text} {op} {b.text})")
            if op == ">>" and not a.shift:                              # still signed: only a mask makes it a uint64
                return _Word(f"_asr64({a.text}, {b.text})", signed=True)
            if op == ">>" and count is not None and count >= a.shift:
                return _Word(f"_asr64({a.text}, {hex(count - a.shift)})", signed=True)
            if op == ">>" and count is None:                            # (s << k) >> c: x86 sar's CF by cl
                k, c = hex(a.shift), b.text
                return _Word(f"(_asr64({a.text}, {c} - {k}) if {c} >= {k} else ({a.text} << (({k} - {c}) & 0x3f)))",
                             signed=True)
            if op == "<<" and count is not None and not a.shift:
                return _Word(a.text, signed=True, shift=count)
            if op == "&" and isinstance(right, ast.Constant):          # masking a two's complement is exact
                return _Word(f"(({a.text} << {hex(a.shift)}) & {b.text})" if a.shift else f"({a.text} & {b.text})")
            raise _Refused(ast.unparse(node))
        if op in ("&", "|", "^"):
            if op == "&" and isinstance(b, _Word):
                return _Word(_bitop("&", self.pair(left).lo, self.word(right)))
            if op == "&" and isinstance(a, _Word):
                return _Word(_bitop("&", self.word(left), self.pair(right).lo))
            pa, pb = self.pair(left), self.pair(right)
            return _Pair(_bitop(op, pa.lo, pb.lo), _bitop(op, pa.hi, pb.hi))
        if op == ">>" and isinstance(a, _Pair) and count is not None:
            if count >= 128:
                return _Word("0")
            if count >= 64:
                return _Word(a.hi if count == 64 else f"({a.hi} >> {hex(count - 64)})")
            if count == 0:
                return a
            return _Pair(f"(({a.lo} >> {hex(count)}) | ({a.hi} << {hex(64 - count)}))", f"({a.hi} >> {hex(count)})")
        raise _Refused(ast.unparse(node))


def _wide_target(name: str, wide: set[str]) -> bool:
    """May `name` receive a 128-bit value: a vector register or an instruction's temporary?"""
    return name in wide or name.startswith("_t")


def region_source(isa: Isa, blocks: list[list[Insn]], name: str = "_region") -> str:
    """Source of the cfunc `name(<pointers to> R, M8, RT, WT, BASE, X) -> exit kind`.

    `blocks` are instruction lists as `form_block` made them (canonical
    boundaries), hottest first; every instruction must pass `insn_supported`.
    The text is shaped for numba's compile time, which is mostly its front
    end's, per IR statement: literals are module-level uint64 constants
    (`_K<n>`) rather than `_U(...)` calls to type, and a SLOW bail-out is
    two statements (`_slow = <site>; break`) whose block, index and pc the
    epilogue looks up in the constant tables `_SB`, `_SK`, `_SP`.
    """
    bodies = []
    used: set[str] = set()
    wide = _wide_vars(isa)
    sites = [(0, 0, 0)]
    for b, insns in enumerate(blocks):
        per_insn = [split_wide(isa, stmts)
                    for stmts in _forward_temps(_drop_dead_flags(isa, [insn_statements(isa, i) for i in insns]))]
        lines: list[str] = []
        for k, (insn, stmts) in enumerate(zip(insns, per_insn, strict=True)):
            if k == len(insns) - 1 and not _sets_npc_first(stmts):
                lines.append(f"_npc = _U({insn.pc + insn.length})")
            bail = [f"_slow = {len(sites)}", "break"]
            sites.append((insns[0].pc, k, insn.pc))
            for s in stmts:
                s = _TEMP.sub(rf"\1_{b}_{k}", s)
                used.update(n for n in _NAME.findall(s) if n in isa.state_vars)
                used.update(n[:-3] for n in _NAME.findall(s) if n[-3:] in ("_lo", "_hi") and n[:-3] in wide)
                lines.extend(_statement(s, bail, k))
        bodies.append((insns[0].pc, len(insns), lines))
    out = [f"def {name}({ARGS}):"]
    order = [v for v in isa.state_vars if v in used]
    out += [line for v in order for line in _state_load(isa, v, wide)]
    out += [f"    pc = R[{isa.pc_slot}]", f"    budget = X[{X_BUDGET}]", f"    clk = X[{X_CLOCK}]",
            "    ret = 0", "    kind = 0", "    _slow = 0", "    while True:"]
    for b, (pc, n, lines) in enumerate(bodies):
        out.append(f"        {'if' if b == 0 else 'elif'} pc == _U({pc}):")
        out += ["            " + ln for ln in lines]
        out += [f"            ret += {n}", "            pc = _npc"]
    out += ["        else:", f"            kind = {LEAVE}", "            break",
            "        if ret >= budget:", f"            kind = {BUDGET}", "            break",
            "    if kind == 0:", f"        kind = {SLOW}", f"        X[{X_BLOCK}] = _SB[_slow]",
            f"        X[{X_INDEX}] = _SK[_slow]", "        ret += _SK[_slow]", "        pc = _SP[_slow]"]
    out += [line for v in order for line in _state_store(isa, v, wide)]
    out += [f"    R[{isa.pc_slot}] = pc", f"    X[{X_RETIRED}] = ret", "    return kind"]
    consts: dict[int, str] = {}
    body = _U_LITERAL.sub(lambda m: consts.setdefault(int(m.group(1), 0), f"_K{len(consts)}"), "\n".join(out))
    head = [f"{k} = _U({v:#x})" for v, k in consts.items()]
    head += [f"{t} = np.array({[site[i] for site in sites]!r}, dtype=np.{dt})"
             for i, (t, dt) in enumerate((("_SB", "int64"), ("_SK", "int64"), ("_SP", "uint64")))]
    return "\n".join(head) + f"\n\n\n@cfunc({SIGNATURE!r}, **CFUNC_OPTIONS)\n" + body + "\n"


def _sets_npc_first(stmts: list[str]) -> bool:
    """Does the first statement that names `_npc` assign it without reading it (the fall-through default is dead)?"""
    first = next((s for s in stmts if _NPC.search(s)), None)
    return first is not None and "\n" not in first and first.startswith("_npc = ") and not _NPC.search(first[7:])


def _state_load(isa: Isa, v: str, wide: set[str]) -> list[str]:
    """Region prologue lines loading state var `v` (a 128-bit one as its two halves, from its two R slots)."""
    if v in wide:
        lo, hi = re.findall(r"R\[(\d+)\]", isa.state_vars[v].load)
        return [f"    {v}_lo = R[{lo}]", f"    {v}_hi = R[{hi}]"]
    return [f"    {v} = {isa.state_vars[v].load}"]


def _state_store(isa: Isa, v: str, wide: set[str]) -> list[str]:
    if v in wide:
        lo, hi = re.findall(r"R\[(\d+)\]", isa.state_vars[v].load)
        return [f"    R[{lo}] = {v}_lo", f"    R[{hi}] = {v}_hi"]
    return ["    " + isa.state_vars[v].store.format(v=v)]


def _typed(s: str, k: int) -> str:
    """Literals as uint64 (a literal subscript stays an int: numba indexes a tuple by a constant)."""
    s = _INT_LITERAL.sub(r"_U(\1)", s).replace("int(", "_U(")
    s = re.sub(r"\[_U\((\d+)\)\]", r"[\1]", s)
    s = re.sub(r"\b_clock\(\)", "_U(clk + ret)", s)
    return re.sub(r"\b_n\b", f"_U({k})", s)


def _statement(s: str, bail: list[str], k: int) -> list[str]:
    """One ISA statement as region lines: memory access hoisted and inlined, literals typed."""
    m = _STORE_PAIR.match(s)
    if m:
        lo, hi = _typed(m.group(2), k), _typed(m.group(3), k)
        return _access("WT", 128, m.group(1), bail, k) + [f"_st64(M8, _p, {lo})", f"_st64(M8, _p + _U(8), {hi})"]
    m = _LOAD_PAIR.match(s)
    if m:
        lo, hi = m.group(1), m.group(2)
        return _access("RT", 128, m.group(3), bail, k) + [f"{lo} = _ld64(M8, _p)", f"{hi} = _ld64(M8, _p + _U(8))"]
    m = _EXIT_IF.match(s)
    if m:                          # the exit is the Python tiers' to raise: leave before the instruction acts
        return [f"if {_typed(m.group(1), k)}:", *("    " + b for b in bail)]
    m = _GUARDED.match(s)
    if m:                          # a fast substitute: (ok, *result); not ok = leave before the instruction acts
        return [f"_g = {_typed(m.group(2), k)}", "if not _g[0]:", *("    " + b for b in bail), f"{m.group(1)} = _g[1:]"]
    m = _STORE_STMT.match(s)
    if m:
        bits = int(m.group(1))
        addr, value = _split_args(m.group(2))
        return _access("WT", bits, addr, bail, k) + [f"_st{bits}(M8, _p, {_typed(value, k)})"]
    lines: list[str] = []
    n = 0
    while (m := _LOAD.search(s)) is not None:
        bits = int(m.group(1))
        start, end = m.end(), _close_paren(s, m.end())
        tmp = f"_m{n}"
        n += 1
        lines += _access("RT", bits, s[start:end], bail, k) + [f"{tmp} = _ld{bits}(M8, _p)"]
        s = s[:m.start()] + tmp + s[end + 1:]
    return lines + _typed(s, k).split("\n")


def _access(tags: str, bits: int, addr: str, bail: list[str], k: int) -> list[str]:
    """TLB hit test for an access of `bits` at `addr` (machr.jit.native.tlb): `_p` = host offset, or a bail-out."""
    return [f"_p = _tlb({tags}, BASE, {_typed(addr, k)}, _U({bits // 8 - 1}))", f"if _p == _U({TLB_MISS:#x}):",
            *("    " + b for b in bail)]


def _close_paren(s: str, i: int) -> int:
    depth = 1
    while depth:
        depth += {"(": 1, ")": -1}.get(s[i], 0)
        i += 1
    return i - 1


def _split_args(args: str) -> tuple[str, str]:
    depth = 0
    for i, c in enumerate(args):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if c == "," and depth == 0:
            return args[:i].strip(), args[i + 1:].strip()
    raise ValueError(f"store without a value: {args}")


# The header of every region module: memory access intrinsics (machr.jit.native) and the uint64 type.
HELPERS = '''
import numpy as np
from numba import cfunc

from machr.jit.native import CFUNC_OPTIONS
from machr.jit.native import asr64 as _asr64, tlb as _tlb
from machr.jit.native import ld8 as _ld8, ld16 as _ld16, ld32 as _ld32, ld64 as _ld64
from machr.jit.native import st8 as _st8, st16 as _st16, st32 as _st32, st64 as _st64

from machr.isa.dual_numba import *  # noqa: F403  (the ISAs' @jitable helpers, under the statements' names)

_U = np.uint64
'''


def _isa_digest() -> str:
    """A digest of the ISA packages' source, part of every region module (and so of its cache key).

    A region calls the ISAs' @jitable helpers, whose compiled code numba
    caches inside the region's; a change to a helper must give regions new
    keys even where their statements stay the same.
    """
    digest = hashlib.sha256()
    for path in sorted((Path(__file__).resolve().parent.parent / "isa").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


HELPERS += f"\n# machr.isa source {_isa_digest()}\n"
