"""Tier 2's own compiler for the region dialect: a region module's text → LLVM IR → object code.

Why not numba for every region: numba compiles a region in 0.1-1.6 s, and
most of that is its front end (bytecode analysis, type inference, lowering
through Python objects), paid per statement; importing numba and its first
compilation cost another 0.8 s per compile worker.  A cold run of a
program with a dozen hot procedures waited for that.  The region dialect
(machr.jit.region) is small and strictly typed, so this module compiles it
directly: it reads the module's text with `ast`, types it by the rules
numba would apply to it, writes LLVM IR as text, and has llvmlite optimise
it (numba's settings: O3, no vectorisation) and emit object code for the
host, in a few hundredths of a second.  The statements stay the ISAs'
(semantics written once); this is a second compiler of the same text, and
the lockstep tests hold it to the interpreter as they hold numba.

What the dialect is, as typed here (numba's rules for these types):

* values are 64-bit integers, unsigned (`u`: guest registers, the `_U`
  constants, R's elements) or signed (`s`: integer literals below 2**63,
  counters, X's elements), booleans (`b`) from comparisons, doubles (`f`)
  inside the FP helpers, and tuples of those (a helper's result);
* an operation mixing `u` and `s` (numba would compute it in float64, or
  with a literal in int64) is outside the dialect, as is anything else
  this module does not know: `region_ir` raises `Unsupported` and the
  region compiles through numba instead (machr.jit.tier2);
* `//` and `%` of two uint64 are Python's for non-negative integers;
* a variable keeps the type of its first assignment (machr.jit.pipeline
  checks the same for numba);
* narrower table elements widen to 64 bits with their sign; a signed index
  into a table wraps from its end when negative, as numba's does;
* the intrinsics are inlined: `_tlb`, `_ldN`/`_stN`, `_asr64` (their
  meaning is machr.jit.native's) and the trampoline's `call_region`;
* the ISAs' @jitable helpers are inlined too, typed by their Python
  meaning (`_inline`): integers are uint64, floats are doubles, with
  Python's comparisons and `abs`, `math.isinf`, `math.copysign`,
  `math.sqrt`, and machr.isa.dual's bit casts.

Variables live in `alloca` slots, which LLVM promotes to registers (numba
lowers the same way).
"""

from __future__ import annotations

import ast
import functools
import inspect
import struct
import textwrap
from dataclasses import dataclass

import llvmlite.binding as llvm
import numpy as np

import machr.isa.aarch64  # noqa: F401  (the imports fill dual.JITABLE)
import machr.isa.x86_64  # noqa: F401
from machr.isa import dual
from machr.jit.loader import CompiledObject, compiled_object
from machr.machine.mmu import PAGE_MASK, PAGE_SHIFT, TLB_MASK

U, S, B, F = "u", "s", "b", "f"    # value kinds: uint64, int64, boolean, binary64
_MASK64 = (1 << 64) - 1
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.BitAnd: "and", ast.BitOr: "or",
           ast.BitXor: "xor", ast.LShift: "shl"}
_COMPARE = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge"}
_FLOAT_OPS = {ast.Add: "fadd", ast.Sub: "fsub", ast.Mult: "fmul", ast.Div: "fdiv"}
# Python's float comparisons: false with a NaN operand, but != (true).
_FLOAT_COMPARE = {"eq": "oeq", "ne": "une", "lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge"}
_TYPES = {U: "i64", S: "i64", B: "i1", F: "double"}
_ZERO = {U: "0", S: "0", B: "false", F: "0.0"}
_WIDTHS = {8: "i8", 16: "i16", 32: "i32", 64: "i64"}
_DTYPES = {np.dtype(f"{k}{w}"): (U if k == "uint" else S, w) for k in ("uint", "int") for w in (8, 16, 32, 64)}
# Pointer arguments by element kind and width; scalar arguments by kind.
REGION_ARGS = {"R": (U, 64), "M8": (U, 8), "RT": (U, 64), "WT": (U, 64), "BASE": (U, 64), "X": (S, 64)}
TRAMPOLINE_ARGS = {"keys": (U, 64), "fns": (U, 64), "mask": U, "R": (U, 64), "M8": (U, 8), "RT": (U, 64),
                   "WT": (U, 64), "BASE": (U, 64), "X": (S, 64), "pc_slot": S, "budget": S, "clock": S}


class Unsupported(Exception):
    """The text uses something outside the dialect this compiler knows (numba compiles it instead)."""


@dataclass(frozen=True)
class _Value:
    ref: str          # an LLVM operand: %name or a constant
    kind: str         # U, S, B or F


@dataclass(frozen=True)
class _Table:
    """A module-level numpy array: a private constant global."""

    name: str
    kind: str
    width: int
    size: int


class _Function:
    """One function's IR: typed expressions and structured statements to basic blocks."""

    def __init__(self, args: dict, scalars: dict[str, _Value], tables: dict[str, _Table]):
        self.args = args
        self.scalars = scalars
        self.tables = tables
        self.vars: dict[str, str] = {}            # local variable -> kind
        self.body: list[str] = []
        self.n = 0
        self.loops: list[tuple[str, str]] = []   # (continue label, break label)
        self.open = True                          # does the current block still lack a terminator?
        self.inlined: list[_Inline] = []           # the helpers being inlined, innermost last
        self.tuples: dict[str, int] = {}          # tuple variable -> its length (elements: <name>.e<i>)
        self.declares: set[str] = set()           # LLVM intrinsics called

    # --- plumbing --------------------------------------------------------------
    def tmp(self) -> str:
        self.n += 1
        return f"%t{self.n}"

    def emit(self, text: str) -> str:
        """Append `<new> = text`; returns the new name."""
        name = self.tmp()
        self.body.append(f"  {name} = {text}")
        return name

    def label(self, stem: str) -> str:
        self.n += 1
        return f"{stem}{self.n}"

    def start(self, label: str) -> None:
        if self.open:
            self.body.append(f"  br label %{label}")
        self.body.append(f"{label}:")
        self.open = True

    def jump(self, label: str) -> None:
        if self.open:
            self.body.append(f"  br label %{label}")
        self.open = False

    def branch(self, cond: _Value, yes: str, no: str) -> None:
        self.body.append(f"  br i1 {self.truth(cond).ref}, label %{yes}, label %{no}")
        self.open = False

    # --- expressions -----------------------------------------------------------
    def truth(self, v: _Value) -> _Value:
        if isinstance(v, tuple) or v.kind == F:
            raise Unsupported("the truth of a tuple or a float")
        return v if v.kind == B else _Value(self.emit(f"icmp ne i64 {v.ref}, 0"), B)

    def expr(self, node: ast.expr) -> _Value:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise Unsupported(f"expression {type(node).__name__}: {ast.unparse(node)}")
        return method(node)

    def _Constant(self, node: ast.Constant) -> _Value:
        v = node.value
        if isinstance(v, bool):
            return _Value("true" if v else "false", B)
        if self.inlined and isinstance(v, int):          # a helper's integers are all uint64 (see _inline)
            return _Value(str(_signed(v)), U)
        if isinstance(v, float):
            return _float(v)
        if isinstance(v, int) and 0 <= v <= _MASK64:
            return _Value(str(_signed(v)), S if v < 1 << 63 else U)
        raise Unsupported(f"constant {v!r}")

    def _Name(self, node: ast.Name) -> _Value:
        if self.inlined:
            return self.inlined[-1].name(self, node.id)
        name = node.id
        if name in self.vars or name in self.tuples:
            return self.load(name)
        if name in self.scalars:
            return self.scalars[name]
        if isinstance(self.args.get(name), str):
            return _Value(f"%a.{name}", self.args[name])
        raise Unsupported(f"name {name} read before it is assigned")

    def load(self, var: str) -> _Value | tuple:
        if var in self.tuples:
            return tuple(self.load(f"{var}.e{i}") for i in range(self.tuples[var]))
        return _Value(self.emit(f"load {self.type_of(self.vars[var])}, ptr %v.{var}"), self.vars[var])

    @staticmethod
    def type_of(kind: str) -> str:
        return _TYPES[kind]

    def operands(self, left: ast.expr, right: ast.expr) -> tuple[_Value, _Value]:
        """Both operands; an integer literal beside a float is that float (Python converts it exactly)."""
        a, b = self.expr(left), self.expr(right)
        if isinstance(a, tuple) or isinstance(b, tuple):
            raise Unsupported("arithmetic on a tuple")
        if a.kind == F and b.kind != F and isinstance(right, ast.Constant) and isinstance(right.value, int):
            b = _float(float(right.value))
        if b.kind == F and a.kind != F and isinstance(left, ast.Constant) and isinstance(left.value, int):
            a = _float(float(left.value))
        return a, b

    def _BinOp(self, node: ast.BinOp) -> _Value:
        a, b = self.operands(node.left, node.right)
        if a.kind == F or b.kind == F:
            op = _FLOAT_OPS.get(type(node.op))
            if op is None or a.kind != b.kind:
                raise Unsupported(f"float operation {ast.unparse(node)}")
            return _Value(self.emit(f"{op} double {a.ref}, {b.ref}"), F)
        if a.kind == B or b.kind == B:
            raise Unsupported(f"arithmetic on a boolean: {ast.unparse(node)}")
        if isinstance(node.op, (ast.LShift, ast.RShift)):        # the count's kind does not matter (numba)
            op = "shl" if isinstance(node.op, ast.LShift) else "lshr" if a.kind == U else "ashr"
            return _Value(self.emit(f"{op} i64 {a.ref}, {b.ref}"), a.kind)
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)) and a.kind == b.kind == U:
            return self.divide(a, b, "udiv" if isinstance(node.op, ast.FloorDiv) else "urem")
        op = _BINOPS.get(type(node.op))
        if op is None or a.kind != b.kind:
            raise Unsupported(f"operation {ast.unparse(node)} ({a.kind}, {b.kind})")
        return _Value(self.emit(f"{op} i64 {a.ref}, {b.ref}"), a.kind)

    def divide(self, a: _Value, b: _Value, op: str) -> _Value:
        """Python's // or % of non-negative integers.  A zero divisor, for which Python raises, the statements
        never divide by (they test it first); it divides by 1 here, because the host would trap."""
        divisor = self.emit(f"select i1 {self.emit(f'icmp eq i64 {b.ref}, 0')}, i64 1, i64 {b.ref}")
        return _Value(self.emit(f"{op} i64 {a.ref}, {divisor}"), U)

    def _Compare(self, node: ast.Compare) -> _Value:
        """`a < b`, and a chain `a <= b < c` as `a <= b and b < c` (every operand evaluated: none has effects)."""
        result = None
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            test = self.compare(left, op, right)
            result = test if result is None else _Value(self.emit(f"and i1 {result.ref}, {test.ref}"), B)
            left = right
        return result

    def compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> _Value:
        if type(op) not in _COMPARE:
            raise Unsupported(f"comparison {type(op).__name__}")
        a, b = self.operands(left, right)
        pred = _COMPARE[type(op)]
        if a.kind != b.kind or a.kind == B and pred not in ("eq", "ne"):
            raise Unsupported(f"comparison {ast.unparse(left)}, {ast.unparse(right)} ({a.kind}, {b.kind})")
        if a.kind == F:
            return _Value(self.emit(f"fcmp {_FLOAT_COMPARE[pred]} double {a.ref}, {b.ref}"), B)
        if pred not in ("eq", "ne"):
            pred = ("u" if a.kind == U else "s") + pred
        return _Value(self.emit(f"icmp {pred} {self.type_of(a.kind)} {a.ref}, {b.ref}"), B)

    def _UnaryOp(self, node: ast.UnaryOp) -> _Value:
        v = self.expr(node.operand)
        if isinstance(v, tuple):
            raise Unsupported(f"unary {ast.unparse(node)} of a tuple")
        if v.kind == F:
            if isinstance(node.op, ast.USub):
                return _Value(self.emit(f"fneg double {v.ref}"), F)
            raise Unsupported(f"unary {ast.unparse(node)} of a float")
        if isinstance(node.op, ast.Not):
            return _Value(self.emit(f"xor i1 {self.truth(v).ref}, true"), B)
        if self.inlined:                      # Python's -x and ~x of an integer are negative, not uint64
            raise Unsupported(f"unary {ast.unparse(node)} in a helper")
        if isinstance(node.op, ast.Invert) and v.kind != B:
            return _Value(self.emit(f"xor i64 {v.ref}, -1"), v.kind)
        if isinstance(node.op, ast.USub) and v.kind != B:      # numba: -uint64 wraps, a uint64
            return _Value(self.emit(f"sub i64 0, {v.ref}"), v.kind)
        raise Unsupported(f"unary {ast.unparse(node)} ({v.kind})")

    def _choice(self, test, yes, no) -> _Value:
        """`yes if test else no` for expression thunks: branches and a phi, each arm evaluated only when taken."""
        cond = self.truth(test())
        l_yes, l_no, l_end = self.label("y"), self.label("n"), self.label("j")
        self.branch(cond, l_yes, l_no)
        arms = []
        for label, arm in ((l_yes, yes), (l_no, no)):
            self.start(label)
            v = arm()
            arms.append((v, self.current_block()))
            self.jump(l_end)
        (a, a_from), (b, b_from) = arms
        if isinstance(a, tuple) or isinstance(b, tuple) or a.kind != b.kind:
            raise Unsupported("branches of other kinds")
        self.start(l_end)
        return _Value(self.emit(f"phi {self.type_of(a.kind)} [{a.ref}, %{a_from}], [{b.ref}, %{b_from}]"), a.kind)

    def current_block(self) -> str:
        for line in reversed(self.body):
            if line.endswith(":") and not line.startswith(" "):
                return line[:-1]
        return "entry"

    def _IfExp(self, node: ast.IfExp) -> _Value:
        return self._choice(lambda: self.expr(node.test), lambda: self.expr(node.body), lambda: self.expr(node.orelse))

    def _BoolOp(self, node: ast.BoolOp) -> _Value:
        def boolean(n):
            v = self.expr(n)
            if v.kind != B:
                raise Unsupported(f"and/or of non-booleans: {ast.unparse(node)}")
            return v

        first, rest = node.values[0], node.values[1:]
        tail = ast.BoolOp(op=node.op, values=rest) if len(rest) > 1 else rest[0]
        more = (lambda: self._BoolOp(tail)) if len(rest) > 1 else (lambda: boolean(tail))
        done = _Value("true" if isinstance(node.op, ast.Or) else "false", B)
        if isinstance(node.op, ast.Or):
            return self._choice(lambda: boolean(first), lambda: done, more)
        return self._choice(lambda: boolean(first), more, lambda: done)

    def _Subscript(self, node: ast.Subscript) -> _Value | tuple:
        if isinstance(node.value, ast.Name):
            var = self.inlined[-1].local(node.value.id) if self.inlined else node.value.id
            if var in self.tuples:
                return self.tuple_item(self.load(var), node.slice)
        ptr, kind, width = self.element(node)
        v = self.emit(f"load {_WIDTHS[width]}, ptr {ptr}")
        if width != 64:
            v = self.emit(f"{'zext' if kind == U else 'sext'} {_WIDTHS[width]} {v} to i64")
        return _Value(v, kind)

    def tuple_item(self, items: tuple, index: ast.expr) -> _Value | tuple:
        """`items[k]` or `items[k:]`, k a constant (a literal or a module constant)."""
        if isinstance(index, ast.Slice):
            if index.upper is not None or index.step is not None:
                raise Unsupported(f"slice {ast.unparse(index)}")
            return items[self.constant(index.lower) if index.lower else 0:]
        k = self.constant(index)
        if not 0 <= k < len(items):
            raise Unsupported(f"index {k} of a {len(items)}-tuple")
        return items[k]

    def constant(self, node: ast.expr) -> int:
        v = self.expr(node)
        try:
            k = int(v.ref)
        except (AttributeError, ValueError):
            raise Unsupported(f"{ast.unparse(node)} is not a constant") from None
        return k

    def element(self, node: ast.Subscript) -> tuple[str, str, int]:
        """The address of `a[i]`, and its element's kind and width."""
        if not isinstance(node.value, ast.Name) or isinstance(node.slice, ast.Slice):
            raise Unsupported(f"subscript {ast.unparse(node)}")
        index = self.expr(node.slice)
        if isinstance(index, tuple) or index.kind in (B, F):
            raise Unsupported(f"boolean index {ast.unparse(node)}")
        name = node.value.id
        if isinstance(self.args.get(name), tuple):
            kind, width = self.args[name]
            base = f"%a.{name}"
        elif name in self.tables:
            t = self.tables[name]
            kind, width, base = t.kind, t.width, f"@{t.name}"
            if index.kind == S:                    # numba: a negative index counts from the end
                wrapped = self.emit(f"add i64 {index.ref}, {t.size}")
                negative = self.emit(f"icmp slt i64 {index.ref}, 0")
                index = _Value(self.emit(f"select i1 {negative}, i64 {wrapped}, i64 {index.ref}"), S)
        else:
            raise Unsupported(f"subscript of {name}")
        return self.emit(f"getelementptr {_WIDTHS[width]}, ptr {base}, i64 {index.ref}"), kind, width

    def _Attribute(self, node: ast.Attribute) -> _Value:
        name = ast.unparse(node)
        if name in ("math.inf", "math.nan"):
            return _float(float(name[5:]))
        raise Unsupported(f"attribute {name}")

    def _Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self.expr(e) for e in node.elts)

    def call(self, name: str, *args: str) -> str:
        """A call of the LLVM intrinsic `llvm.<name>.f64` on doubles."""
        self.declares.add(f"declare double @llvm.{name}.f64({', '.join('double' for _ in args)})")
        return self.emit(f"call double @llvm.{name}.f64({', '.join(f'double {a}' for a in args)})")

    def _Call(self, node: ast.Call) -> _Value:
        f = ast.unparse(node.func)
        if node.keywords:
            raise Unsupported(f"call with keywords: {ast.unparse(node)}")
        if self.inlined and f in _FLOAT_CALLS:
            args = [self.expr(a) for a in node.args]
            kinds = _FLOAT_CALLS[f][0]
            if len(args) != len(kinds) or any(isinstance(a, tuple) or a.kind != k
                                               for a, k in zip(args, kinds, strict=True)):
                raise Unsupported(f"call {ast.unparse(node)}")
            return _FLOAT_CALLS[f][1](self, *(a.ref for a in args))
        if f in ("_U", "np.uint64") or f == "u64" and self.inlined:
            if len(node.args) != 1:
                raise Unsupported(f"call {ast.unparse(node)}")
            v = self.expr(node.args[0])
            if isinstance(v, tuple) or v.kind == F:
                raise Unsupported(f"call {ast.unparse(node)}")
            return _Value(self.emit(f"zext i1 {v.ref} to i64"), U) if v.kind == B else _Value(v.ref, U)
        if f in dual.JITABLE:
            return _inline(self, dual.JITABLE[f], [self.expr(a) for a in node.args])
        handler = _INTRINSICS.get(f[1:] if f.startswith("_") else f)
        if handler is None or self.inlined:
            raise Unsupported(f"call of {f}")
        return handler(self, node.args)

    def pointer(self, node: ast.expr) -> str:
        if not isinstance(node, ast.Name) or not isinstance(self.args.get(node.id), tuple):
            raise Unsupported(f"{ast.unparse(node)} is not a pointer argument")
        return f"%a.{node.id}"

    def integer(self, node: ast.expr, kind: str = U) -> str:
        v = self.expr(node)
        if isinstance(v, tuple) or v.kind != kind:
            raise Unsupported(f"{ast.unparse(node)} is {v.kind}, not {kind}")
        return v.ref

    # --- statements ------------------------------------------------------------
    def block(self, stmts: list[ast.stmt]) -> None:
        for s in stmts:
            if not self.open:                         # after break/return: unreachable, but still typed
                self.start(self.label("dead"))
            method = getattr(self, f"_{type(s).__name__}", None)
            if method is None:
                raise Unsupported(f"statement {type(s).__name__}: {ast.unparse(s)[:80]}")
            method(s)

    def assign(self, name: str, v: _Value) -> None:
        self.store(self.inlined[-1].local(name) if self.inlined else name, v)

    def store(self, name: str, v: _Value | tuple) -> None:
        if isinstance(v, tuple) or name in self.tuples:
            if not isinstance(v, tuple) or self.tuples.setdefault(name, len(v)) != len(v):
                raise Unsupported(f"{name} is assigned tuples of other lengths, or other values")
            for i, e in enumerate(v):
                self.store(f"{name}.e{i}", e)
            return
        kind = self.vars.setdefault(name, v.kind)
        if kind != v.kind:
            raise Unsupported(f"{name} is assigned both {kind} and {v.kind}")
        self.body.append(f"  store {self.type_of(kind)} {v.ref}, ptr %v.{name}")

    def _Assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1:
            raise Unsupported(f"assignment {ast.unparse(node)}")
        target = node.targets[0]
        if isinstance(target, ast.Tuple):
            values = self.expr(node.value)
            if (not isinstance(values, tuple) or len(values) != len(target.elts)
                    or not all(isinstance(t, ast.Name) for t in target.elts)):
                raise Unsupported(f"assignment {ast.unparse(node)}")
            for t, v in zip(target.elts, values, strict=True):
                self.assign(t.id, v)
            return
        v = self.expr(node.value)
        if isinstance(target, ast.Name):
            self.assign(target.id, v)
        elif isinstance(v, tuple) or v.kind == F:
            raise Unsupported(f"a tuple or a float stored: {ast.unparse(node)}")
        elif isinstance(target, ast.Subscript):
            ptr, _, width = self.element(target)
            ref = self.emit(f"zext i1 {v.ref} to i64") if v.kind == B else v.ref
            if width != 64:
                ref = self.emit(f"trunc i64 {ref} to {_WIDTHS[width]}")
            self.body.append(f"  store {_WIDTHS[width]} {ref}, ptr {ptr}")
        else:
            raise Unsupported(f"assignment to {ast.unparse(target)}")

    def _AugAssign(self, node: ast.AugAssign) -> None:
        if not isinstance(node.target, ast.Name):
            raise Unsupported(f"augmented assignment {ast.unparse(node)}")
        load = ast.Name(id=node.target.id, ctx=ast.Load())
        self.assign(node.target.id, self._BinOp(ast.BinOp(left=load, op=node.op, right=node.value)))

    def _Expr(self, node: ast.Expr) -> None:
        if not isinstance(node.value, ast.Call):
            raise Unsupported(f"expression statement {ast.unparse(node)}")
        self.expr(node.value)

    def _Pass(self, node: ast.Pass) -> None:
        pass

    def _If(self, node: ast.If) -> None:
        l_yes, l_no, l_end = self.label("then"), self.label("else"), self.label("endif")
        self.branch(self.expr(node.test), l_yes, l_no if node.orelse else l_end)
        self.start(l_yes)
        self.block(node.body)
        self.jump(l_end)
        if node.orelse:
            self.start(l_no)
            self.block(node.orelse)
            self.jump(l_end)
        self.start(l_end)

    def _While(self, node: ast.While) -> None:
        if node.orelse:
            raise Unsupported("while ... else")
        l_test, l_body, l_end = self.label("loop"), self.label("body"), self.label("endloop")
        self.start(l_test)
        if isinstance(node.test, ast.Constant) and node.test.value is True:
            self.jump(l_body)
        else:
            self.branch(self.expr(node.test), l_body, l_end)
        self.loops.append((l_test, l_end))
        self.start(l_body)
        self.block(node.body)
        self.jump(l_test)
        self.loops.pop()
        self.start(l_end)

    def _Break(self, node: ast.Break) -> None:
        self.jump(self.loops[-1][1])

    def _Continue(self, node: ast.Continue) -> None:
        self.jump(self.loops[-1][0])

    def _Return(self, node: ast.Return) -> None:
        if self.inlined:
            self.inlined[-1].returns(self, node)
            return
        if node.value is None:
            raise Unsupported("return without a value")
        v = self.expr(node.value)
        if isinstance(v, tuple) or v.kind in (B, F):
            raise Unsupported("a result that is not an integer")
        self.body.append(f"  ret i64 {v.ref}")
        self.open = False


# --- the ISAs' @jitable helpers, inlined --------------------------------------------------------------
@dataclass
class _Inline:
    """One helper call being inlined: its locals' names, where its returns go."""

    fn: object
    prefix: str
    end: str                                   # the label after the helper's body
    results: list[tuple[str, str]] | None = None    # (variable, kind) of each returned value
    many: bool = False                         # does it return a tuple?

    def local(self, name: str) -> str:
        return f"{self.prefix}.{name}"

    def name(self, f: _Function, name: str) -> _Value:
        if self.local(name) in f.vars or self.local(name) in f.tuples:
            return f.load(self.local(name))
        value = self.fn.__globals__.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MASK64:
            return _Value(str(_signed(value)), U)
        if isinstance(value, float):
            return _float(value)
        raise Unsupported(f"name {name} in {self.fn.__name__}")

    def returns(self, f: _Function, node: ast.Return) -> None:
        value = f.expr(node.value) if node.value else ()
        many = isinstance(value, tuple)
        values = list(value) if many else [value]
        if any(isinstance(v, tuple) for v in values):
            raise Unsupported(f"{self.fn.__name__} returns a nested tuple")
        if self.results is None:
            self.results = [(f"{self.prefix}.r{i}", v.kind) for i, v in enumerate(values)]
            self.many = many
        if many != self.many or [v.kind for v in values] != [k for _, k in self.results] or not values:
            raise Unsupported(f"{self.fn.__name__} returns values of other shapes or kinds")
        for (var, _), v in zip(self.results, values, strict=True):
            f.store(var, v)
        f.jump(self.end)


@functools.cache
def _helper_ast(fn) -> ast.FunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    a = tree.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.posonlyargs:
        raise Unsupported(f"{fn.__name__}'s parameters")
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        tree.body = body[1:]                   # the docstring
    return tree


def _inline(f: _Function, fn, args: list[_Value | tuple]) -> _Value | tuple[_Value, ...]:
    """A call of a jitable helper, inlined, in unsigned 64-bit arithmetic.

    The helpers are written for Python's integers, and mean the same in
    uint64 where every value they compute stays in [0, 2**64), which
    their masks and `u64` ensure: so their integers (parameters, literals,
    module constants) are all uint64 here.  A helper that computes in
    floating point, or with anything else outside the dialect, is
    Unsupported (numba compiles the region).
    """
    tree = _helper_ast(fn)
    params = [p.arg for p in tree.args.args]
    if len(params) != len(args) or any(not isinstance(a, tuple) and a.kind == S for a in args):
        raise Unsupported(f"a call of {fn.__name__} with {len(args)} arguments of other kinds")
    f.n += 1
    frame = _Inline(fn, f"h{f.n}", f.label("ret"))
    f.inlined.append(frame)
    for p, a in zip(params, args, strict=True):
        f.assign(p, a)
    f.block(tree.body)
    if f.open or frame.results is None:
        raise Unsupported(f"{fn.__name__} can end without a return")
    f.inlined.pop()
    f.start(frame.end)
    values = tuple(f.load(var) for var, _ in frame.results)
    return values if frame.many else values[0]


def _float(x: float) -> _Value:
    """A double constant as LLVM writes one exactly: its bits in hex."""
    return _Value(f"0x{struct.unpack('<Q', struct.pack('<d', x))[0]:016X}", F)


def _isinf(f: _Function, x: str) -> _Value:
    return _Value(f.emit(f"fcmp oeq double {f.call('fabs', x)}, 0x7FF0000000000000"), B)


def _to_single(f: _Function, x: str) -> _Value:
    single = f.emit(f"bitcast i32 {f.emit(f'trunc i64 {x} to i32')} to float")
    return _Value(f.emit(f"fpext float {single} to double"), F)


def _from_single(f: _Function, x: str) -> _Value:
    bits = f.emit(f"bitcast float {f.emit(f'fptrunc double {x} to float')} to i32")
    return _Value(f.emit(f"zext i32 {bits} to i64"), U)


# What the helpers call of Python's and machr.isa.dual's: (argument kinds, lowering).
_FLOAT_CALLS = {
    "to_double": ((U,), lambda f, x: _Value(f.emit(f"bitcast i64 {x} to double"), F)),
    "from_double": ((F,), lambda f, x: _Value(f.emit(f"bitcast double {x} to i64"), U)),
    "to_single": ((U,), _to_single),
    "from_single": ((F,), _from_single),
    "abs": ((F,), lambda f, x: _Value(f.call("fabs", x), F)),
    "math.isinf": ((F,), _isinf),
    "math.copysign": ((F, F), lambda f, x, y: _Value(f.call("copysign", x, y), F)),
    "math.sqrt": ((F,), lambda f, x: _Value(f.call("sqrt", x), F)),
}


# --- intrinsics (machr.jit.native's, inlined) ------------------------------------------------------
def _tlb(f: _Function, args: list[ast.expr]) -> _Value:
    tags, bases, a, span = f.pointer(args[0]), f.pointer(args[1]), f.integer(args[2]), f.integer(args[3])
    page = f.emit(f"lshr i64 {a}, {PAGE_SHIFT}")
    i = f.emit(f"and i64 {page}, {TLB_MASK}")
    last = f.emit(f"lshr i64 {f.emit(f'add i64 {a}, {span}')}, {PAGE_SHIFT}")
    tag = f.emit(f"load i64, ptr {f.emit(f'getelementptr i64, ptr {tags}, i64 {i}')}")
    hit = f.emit(f"icmp eq i64 {tag}, {last}")
    base = f.emit(f"load i64, ptr {f.emit(f'getelementptr i64, ptr {bases}, i64 {i}')}")
    host = f.emit(f"or i64 {base}, {f.emit(f'and i64 {a}, {PAGE_MASK}')}")
    return _Value(f.emit(f"select i1 {hit}, i64 {host}, i64 -1"), U)


def _memory(width: int, store: bool):
    ty = _WIDTHS[width]

    def access(f: _Function, args: list[ast.expr]) -> _Value:
        ptr = f.emit(f"getelementptr i8, ptr {f.pointer(args[0])}, i64 {f.integer(args[1])}")
        if store:
            v = f.integer(args[2])
            if width != 64:
                v = f.emit(f"trunc i64 {v} to {ty}")
            f.body.append(f"  store {ty} {v}, ptr {ptr}, align 1")
            return _Value("0", S)
        v = f.emit(f"load {ty}, ptr {ptr}, align 1")
        return _Value(v if width == 64 else f.emit(f"zext {ty} {v} to i64"), U)

    return access


def _asr64(f: _Function, args: list[ast.expr]) -> _Value:
    x, n = f.integer(args[0]), f.integer(args[1])
    count = f.emit(f"select i1 {f.emit(f'icmp ugt i64 {n}, 63')}, i64 63, i64 {n}")
    return _Value(f.emit(f"ashr i64 {x}, {count}"), U)


def _call_region(f: _Function, args: list[ast.expr]) -> _Value:
    target = f.emit(f"inttoptr i64 {f.integer(args[0])} to ptr")
    params = ", ".join(f"ptr {f.pointer(a)}" for a in args[1:])
    return _Value(f.emit(f"call i64 {target}({params})"), S)


_INTRINSICS = {"tlb": _tlb, "asr64": _asr64, "call_region": _call_region,
               **{f"ld{w}": _memory(w, False) for w in _WIDTHS}, **{f"st{w}": _memory(w, True) for w in _WIDTHS}}


# --- modules -------------------------------------------------------------------------------------------
def function_ir(fn: ast.FunctionDef, symbol: str, args: dict, scalars: dict[str, _Value],
                tables: dict[str, tuple[np.ndarray, str]]) -> str:
    """LLVM IR (text) of one dialect function: `define i64 @symbol(...)`, with its tables' globals."""
    if [a.arg for a in fn.args.args] != list(args):
        raise Unsupported(f"{fn.name} takes ({', '.join(a.arg for a in fn.args.args)}), not ({', '.join(args)})")
    globals_, typed = [], {}
    for name, (array, gname) in tables.items():
        if array.dtype not in _DTYPES or array.ndim != 1:
            raise Unsupported(f"table {name} of {array.dtype}")
        kind, width = _DTYPES[array.dtype]
        items = ", ".join(f"{_WIDTHS[width]} {int(x)}" for x in array.tolist())
        globals_.append(f"@{gname} = private unnamed_addr constant [{len(array)} x {_WIDTHS[width]}] [{items}]")
        typed[name] = _Table(gname, kind, width, len(array))
    f = _Function(args, scalars, typed)
    f.body.append("body:")
    f.block(fn.body)
    if f.open:
        raise Unsupported(f"{fn.name} can end without a return")
    params = ", ".join(f"ptr noalias %a.{a}" if isinstance(k, tuple) else f"i64 %a.{a}" for a, k in args.items())
    entry = [f"  %v.{name} = alloca {f.type_of(kind)}" for name, kind in f.vars.items()]
    entry += [f"  store {f.type_of(kind)} {_ZERO[kind]}, ptr %v.{name}" for name, kind in f.vars.items()]
    return "\n".join([*globals_, *sorted(f.declares), f"define i64 @{symbol}({params}) {{", "entry:", *entry,
                      "  br label %body", *f.body, "}", ""])


def region_ir(text: str, symbol: str) -> str:
    """LLVM IR of a region module (machr.jit.tier2's module text): its `_region` function.

    The module's top level is evaluated as far as region modules use it:
    imports, `_U = np.uint64`, `name = _U(int)` constants and
    `name = np.array([...], dtype=np.<int type>)` tables; anything else is
    Unsupported.
    """
    tree = ast.parse(text)
    scalars: dict[str, _Value] = {}
    tables: dict[str, tuple[np.ndarray, str]] = {}
    fn = None
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.FunctionDef) and node.name == "_region":
            fn = node
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
            if name == "_U" and ast.unparse(value) == "np.uint64":
                continue
            if isinstance(value, ast.Call) and ast.unparse(value.func) in ("_U", "np.uint64") and len(value.args) == 1:
                scalars[name] = _Value(str(_signed(ast.literal_eval(value.args[0]))), U)
            elif (isinstance(value, ast.Call) and ast.unparse(value.func) == "np.array" and len(value.args) == 1
                  and [k.arg for k in value.keywords] == ["dtype"]):
                dtype = np.dtype(ast.unparse(value.keywords[0].value).removeprefix("np."))
                tables[name] = (np.array(ast.literal_eval(value.args[0]), dtype=dtype), f"{symbol}.{name}")
            else:
                raise Unsupported(f"module-level {ast.unparse(node)[:80]}")
        else:
            raise Unsupported(f"module-level {ast.unparse(node)[:80]}")
    if fn is None:
        raise Unsupported("no _region function")
    return function_ir(fn, symbol, REGION_ARGS, scalars, tables)


def trampoline_ir(symbol: str) -> str:
    """LLVM IR of the trampoline (machr.jit.region.TRAMPOLINE_SOURCE)."""
    from machr.jit import region

    scalars = {k: _Value(str(v), S) for k, v in vars(region).items()
               if isinstance(v, int) and not isinstance(v, bool) and v < 1 << 63}
    return function_ir(ast.parse(region.TRAMPOLINE_SOURCE).body[0], symbol, TRAMPOLINE_ARGS, scalars, {})


def _signed(v: int) -> int:
    """An int in [0, 2**64) as LLVM writes an i64 constant."""
    if not 0 <= v <= _MASK64:
        raise Unsupported(f"constant {v} is not a uint64")
    return v - (1 << 64) if v >> 63 else v


def object_code(ir_text: str, symbol: str) -> CompiledObject:
    """Optimise `ir_text` as numba does its code (O3, no vectorisation) and emit the host's object code."""
    module = llvm.parse_assembly(ir_text, _llvm()[1])
    module.triple = llvm.get_process_triple()
    module.verify()
    tm = _llvm()[0]
    module.data_layout = str(tm.target_data)
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = pto.slp_vectorization = False
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(module, pb)
    return compiled_object(symbol, module, tm.emit_object(module))


_LLVM = None


def _llvm():
    """This compiler's host target machine (configured as numba configures its JIT's) and its own LLVM context.

    Its own context, because the compile worker runs numba in another
    thread, on the global one, and an LLVM context is not thread-safe.
    """
    global _LLVM
    if _LLVM is None:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        target = llvm.Target.from_triple(llvm.get_process_triple())
        reloc = "static" if target.name.startswith("x86") else "default"
        tm = target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                          features=llvm.get_host_cpu_features().flatten(), opt=3,
                                          reloc=reloc, codemodel="jitdefault", jit=True)
        _LLVM = (tm, llvm.create_context())
    return _LLVM
