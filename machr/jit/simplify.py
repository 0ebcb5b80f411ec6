"""Expression simplification of ISA statements for the Python tiers (hot code only).

The ISA writes each instruction on its own, so its statements re-mask every
operand (`(rdx & 0xffffffff) << 13`) even where the value is already that
narrow, wrap comparisons in `int(...)`, and add carry-ins of 0.  In CPython
each such operation costs as much as the useful ones, so code that runs
often (machr.jit.pyregion) is rewritten, statement by statement, with what
is known about each local's width:

* `x & M` is dropped when `x` is known to fit in `M`'s low ones; nested
  constant masks fold into one;
* `int(c)` of a comparison (or of a value known to be a non-negative int)
  becomes `c`: a bool is an int in every use the statements make of it
  (arithmetic, indexing, storing into the register array);
* `x + 0`, `x | 0`, `x ^ 0`, shifts by 0 and operations on two constants fold;
* a comparison compared with 0 or 1, or xor-ed with 1, becomes the
  comparison or its negation (`(a == b) == 0` → `a != b`);
* `x & x` and `x | x` become `x`, `x ^ x` becomes 0 (`test r, r`, `xor r, r`).

Widths are upper bounds on the bit length of non-negative values; a value
that may be negative (after a subtraction, a sign extension) or comes from a
call has no known width, but for a load (`ld32(a)`: 32 bits).  State variables hold register-width values by the
ISA contract (machr.isa.base), which gives their widths at block entry.
Compound statements are left as written; the names they assign lose their
known width.
"""

from __future__ import annotations

import ast
import functools
import re

from machr.machine.mmu import ACCESS_WIDTHS

NAME = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*")      # \b: not the x1 of 0x1f (machr.jit.translator's too)
_LOADS = {f"ld{bits}": bits for bits in ACCESS_WIDTHS}      # a load's value is unsigned (machr.machine.mmu)
_LOW_ONES = re.compile(r"&|\bint\(|\+ 0\b|\| 0\b|\^ 0\b")
_MAX_SHIFT = 1024


def simplify_statements(stmts: list[str], widths: dict[str, int]) -> list[str]:
    """`stmts` (one block's straight-line statements, in order) rewritten; `widths` is updated as they run.

    `widths` maps a name to the bit length its value is known not to
    exceed (non-negative); names missing have no known width.
    """
    out = []
    for s in stmts:
        key = (s, tuple(widths.get(n) for n in NAME.findall(s)))
        done = _DONE.get(key)
        if done is None:
            if len(_DONE) >= _DONE_MAX:
                _DONE.clear()
            done = _DONE[key] = _simplify(s, widths)
        text, updates = done
        out.append(text)
        for name, w in updates:
            if w is None:
                widths.pop(name, None)
            else:
                widths[name] = w
    return out


# Simplified statements by (text, widths of the words in it): regions are made of the same few statements again,
# and each block is simplified twice (machr.jit.pyregion's general and narrow forms).
_DONE: dict[tuple[str, tuple[int | None, ...]], tuple[str, tuple[tuple[str, int | None], ...]]] = {}
_DONE_MAX = 1 << 16


def _simplify(s: str, widths: dict[str, int]) -> tuple[str, tuple[tuple[str, int | None], ...]]:
    """(`s` rewritten, the widths it sets: (name, width or None for unknown)); `widths` is not changed."""
    forget = ((name, None) for name in sorted(assigned_names(s)))
    if "\n" in s or not _LOW_ONES.search(s) and not _assigns_simple(s):
        return s, tuple(forget)
    plain = _PLAIN.match(s)
    if plain:                   # a copy, a constant or a load: nothing to simplify, a width known without parsing
        target, name, const, bits = plain.groups()
        width = widths.get(name) if name else int(const, 0).bit_length() if const else int(bits)
        return s, ((target, width),)
    try:
        tree = ast.parse(s)
    except SyntaxError:
        return s, tuple(forget)
    if len(tree.body) != 1:
        return s, tuple(forget)
    node = tree.body[0]
    simp = _Simplifier(widths)
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        node.value = simp.visit(node.value)
        return _unparse(node), ((node.targets[0].id, _width(node.value, widths)),)
    if isinstance(node, ast.Expr):
        node.value = simp.visit(node.value)
        return _unparse(node), ()
    return s, tuple(forget)


_PLAIN = re.compile(r"^([A-Za-z_]\w*) = (?:([A-Za-z_]\w*)|(0[xX][0-9a-fA-F]+|\d+)|ld(8|16|32|64|128)\([^()]*\))$")
_DECIMAL = re.compile(r"(?<![\w.])(\d{4,})(?![\w.])")


def _unparse(node: ast.AST) -> str:
    """Source of `node`, with the masks and addresses in hex again (ast.unparse writes decimal)."""
    text = ast.unparse(node)
    return text if "'" in text or '"' in text else _DECIMAL.sub(lambda m: hex(int(m.group(1))), text)


_SIMPLE_ASSIGN = re.compile(r"^([A-Za-z_]\w*) = ")


def _assigns_simple(s: str) -> bool:
    """A plain `name = expr` (its target's width must be tracked even when nothing simplifies)."""
    return _SIMPLE_ASSIGN.match(s) is not None


_TARGETS = re.compile(r"^\s*([A-Za-z_][\w\s,]*?)\s*(?:[-+*/%&|^@]|<<|>>|//|\*\*)?=(?!=)", re.M)


@functools.lru_cache(maxsize=1 << 14)
def assigned_names(s: str) -> frozenset[str]:
    """Every name statement `s` may assign (any line, any form); a compound statement: every name it mentions."""
    if "\n" in s or s.startswith(("if ", "while ", "for ")):
        return frozenset(NAME.findall(s))
    out = {name for m in _TARGETS.finditer(s) for name in NAME.findall(m.group(1))}
    out.update(re.findall(r"([A-Za-z_]\w*)\s*:=", s))
    return frozenset(out)


def _pure(node: ast.AST) -> bool:
    """No call (memory access, helper that may raise) or assignment expression inside."""
    return not any(isinstance(n, (ast.Call, ast.NamedExpr)) for n in ast.walk(node))


def _const(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _width(node: ast.AST, widths: dict[str, int]) -> int | None:
    """Bit length bound of a non-negative int expression, or None (unknown, maybe negative)."""
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return 1
        return v.bit_length() if type(v) is int and v >= 0 else None
    if isinstance(node, ast.Name):
        return widths.get(node.id)
    if isinstance(node, ast.Compare) or isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return 1
    if isinstance(node, ast.BoolOp):
        ws = [_width(v, widths) for v in node.values]
        return None if None in ws else max(ws)
    if isinstance(node, ast.IfExp):
        a, b = _width(node.body, widths), _width(node.orelse, widths)
        return None if a is None or b is None else max(a, b)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id == "int" and len(node.args) == 1 and not node.keywords:
            return _width(node.args[0], widths)
        if isinstance(node.func, ast.Name) and node.func.id in _LOADS:
            return _LOADS[node.func.id]
        return None
    if not isinstance(node, ast.BinOp):
        return None
    a, b = _width(node.left, widths), _width(node.right, widths)
    op = type(node.op)
    if op is ast.BitAnd:
        known = [x for x in (a, b) if x is not None]
        return min(known) if known else None
    if a is None or b is None:
        return None
    if op in (ast.BitOr, ast.BitXor):
        return max(a, b)
    if op is ast.Add:
        return max(a, b) + 1
    if op is ast.Mult:
        return a + b
    if op is ast.FloorDiv:
        return a
    if op is ast.Mod:
        return min(a, b)
    c = _const(node.right)
    if op is ast.RShift:
        return max(a - c, 0) if c is not None else a
    if op is ast.LShift and c is not None and c < _MAX_SHIFT:
        return a + c
    return None


_FOLD = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
         ast.BitAnd: lambda a, b: a & b, ast.BitOr: lambda a, b: a | b, ast.BitXor: lambda a, b: a ^ b,
         ast.RShift: lambda a, b: a >> b, ast.LShift: lambda a, b: a << b if b < _MAX_SHIFT else None}
_ZERO_RIGHT = (ast.Add, ast.Sub, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)
_ZERO_LEFT = (ast.Add, ast.BitOr, ast.BitXor)
_ASSOCIATIVE = (ast.Add, ast.BitOr, ast.BitXor, ast.BitAnd)
_IDEMPOTENT = (ast.BitAnd, ast.BitOr, ast.BitXor)       # with the same operand twice (xor: always 0)


_NEGATED = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt}


def _truth(node: ast.AST) -> bool:
    """A single comparison (its value is a bool: 0 or 1)."""
    return isinstance(node, ast.Compare) and len(node.ops) == 1


def _negated(node: ast.Compare) -> ast.AST:
    op = _NEGATED.get(type(node.ops[0]))
    if op is None:
        return ast.UnaryOp(ast.Not(), node)
    return ast.Compare(node.left, [op()], node.comparators)


class _Simplifier(ast.NodeTransformer):
    def __init__(self, widths: dict[str, int]):
        self.widths = widths

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        """A comparison's result compared with 0 or 1 (a flag's test, once the flag is forwarded): the comparison."""
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            c = _const(node.comparators[0])
            if _truth(node.left) and c in (0, 1):
                return node.left if (c == 1) == isinstance(node.ops[0], ast.Eq) else _negated(node.left)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if (isinstance(node.func, ast.Name) and node.func.id == "int" and len(node.args) == 1
                and not node.keywords and _width(node.args[0], self.widths) is not None):
            return node.args[0]
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        op = type(node.op)
        a, b = _const(node.left), _const(node.right)
        if a is not None and b is not None and op in _FOLD and (a >= 0 and b >= 0):
            if op not in (ast.LShift, ast.RShift) or b < _MAX_SHIFT:
                v = _FOLD[op](a, b)
                if v is not None and v >= 0:
                    return ast.Constant(v)
        if b is not None and op in _ASSOCIATIVE and type(node.left) is ast.BinOp and type(node.left.op) is op:
            inner = _const(node.left.right)
            if inner is not None and inner >= 0 and b >= 0:          # (x + 1) + 2 → x + 3
                return self.visit_BinOp(ast.BinOp(node.left.left, node.op, ast.Constant(_FOLD[op](inner, b))))
        if b == 1 and op is ast.BitXor and _truth(node.left):
            return _negated(node.left)                 # (a == b) ^ 1 → a != b
        if op in _IDEMPOTENT and _pure(node.left) and ast.dump(node.left) == ast.dump(node.right):
            return ast.Constant(0) if op is ast.BitXor else node.left      # x ^ x → 0, x & x → x (test r, r)
        if b == 0 and op in _ZERO_RIGHT:
            return node.left
        if a == 0 and op in _ZERO_LEFT:
            return node.right
        if op is ast.BitAnd:
            mask, other = (b, node.left) if b is not None else (a, node.right)
            if mask is not None and mask >= 0:
                return self._masked(other, mask, node)
        return node

    def _masked(self, x: ast.AST, mask: int, node: ast.BinOp) -> ast.AST:
        if mask == 0 and _pure(x):
            return ast.Constant(0)
        w = _width(x, self.widths)
        if w is not None and mask & ((1 << w) - 1) == (1 << w) - 1:
            return x                                   # x already fits in the mask's low ones
        if isinstance(x, ast.BinOp) and isinstance(x.op, ast.BitAnd):
            inner = _const(x.right) if _const(x.right) is not None else _const(x.left)
            if inner is not None and inner >= 0:
                rest = x.left if _const(x.right) is not None else x.right
                return self._masked(rest, mask & inner, ast.BinOp(rest, ast.BitAnd(), ast.Constant(mask & inner)))
        return node


_WRAP_MASK = re.compile(r" & 0x(?:f{8}|f{16})$")       # the masks of 32- and 64-bit results


def wrap_as_test(s: str, widths: dict[str, int]) -> list[str]:
    """`x = a + b & M` as `x = a + b` and a test that wraps it (`M`: 32 or 64 ones; `widths`: before `s`).

    CPython's `&` with a mask that does not fit in one digit (30 bits)
    builds its result digit by digit; a comparison with it allocates
    nothing, and the wrap it guards is rare.  A sum of terms of known
    (non-negative) width is masked only when it exceeds `M`; `a + C` with
    a constant `C` of the mask's top half (ARM's `x - 1` as `x + ~0`),
    `a + (b ^ M) + 1` (ARM's `a - b`) and `a - b` with `a` and `b` within
    the mask are differences, below `M`,
    which wrap by one addition of the modulus when negative.  Any other
    statement comes back as it is.
    """
    if "\n" in s or not _WRAP_MASK.search(s) or not _SIMPLE_ASSIGN.match(s):
        return [s]
    node = ast.parse(s).body[0]
    value = node.value
    if not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitAnd)
            and isinstance(value.left, ast.BinOp) and isinstance(value.left.op, (ast.Add, ast.Sub))):
        return [s]
    mask = _const(value.right)
    bits = mask.bit_length()
    inner = value.left
    x = node.targets[0].id
    negative = f"if {x} < 0: {x} += {mask + 1:#x}"
    c = _const(inner.right)
    if isinstance(inner.op, ast.Add):
        w = _width(inner.left, widths)
        if c is not None and mask >> 1 < c <= mask and w is not None and w <= bits:
            return [f"{x} = {_unparse(ast.BinOp(inner.left, ast.Sub(), ast.Constant(mask + 1 - c)))}", negative]
        terms = _terms(inner)
        if len(terms) == 3 and _const(terms[2]) == 1 and isinstance(terms[1], ast.BinOp) \
                and isinstance(terms[1].op, ast.BitXor) and _const(terms[1].right) == mask:
            b = terms[1].left                          # a + (b ^ M) + 1: ARM's a - b
            if all((w := _width(t, widths)) is not None and w <= bits for t in (terms[0], b)):
                return [f"{x} = {_unparse(ast.BinOp(terms[0], ast.Sub(), b))}", negative]
        if any(_width(t, widths) is None for t in terms):
            return [s]
        return [f"{x} = {_unparse(inner)}", f"if {x} > {mask:#x}: {x} &= {mask:#x}"]
    if any((w := _width(t, widths)) is None or w > bits for t in (inner.left, inner.right)):
        return [s]
    return [f"{x} = {_unparse(inner)}", negative]


def _terms(node: ast.AST) -> list[ast.AST]:
    """The terms of a sum (`a + b + c`: a, b, c)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _terms(node.left) + _terms(node.right)
    return [node]
