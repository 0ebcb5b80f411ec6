"""Float shadows: the Python tiers' scalar binary64 arithmetic on Python floats, inline.

The Python tiers' FP helpers (`machr.isa.dual`'s scratch-buffer casts) turn
both operands' bits into floats and the result back, at every operation.  An
FP kernel's block is a chain of operations, each reading what the one before
wrote: most of those conversions, and every helper call, are waste.  Within
a block tier 1 keeps a register's value also as a float after an operation
(its *shadow*, `_fs<n>`) and the next operation reads the shadow instead
of converting the bits again.  The bits are still written at every
operation — exits, stores and every other use read them as before — so the
rest of the region is unchanged; only calls and conversions go.  The
interpreter's units (one instruction: a block of one) get the inline form
without the helper call.

The ISA gives the helpers this may inline and their meaning on floats
(`Isa.python_float_ops`: helper -> Python text from `{a}`, `{b}` to `{r}`,
the same its Python tiers' versions of the helpers are made from).  Where
that text declines (`_fok` false: a NaN, whose bits follow the ISA's rules
and not the host's; x86's x/0; another FPCR mode or an edge of aarch64's
error-free transformations) the helper's own statements run on the bits,
and the shadow is taken from its result; a declined or NaN shadow therefore
never decides a result by itself.  A shadow is valid from the operation or
conversion that sets it until its name is assigned again, and only within
the block: control flow merges at a block's entry, so each block converts
what it first reads.
"""

from __future__ import annotations

import ast
import re

from machr.isa.base import Isa
from machr.jit.simplify import assigned_names


def float_shadows(isa: Isa, per_insn: list[list[str]]) -> list[list[str]]:
    """One block's statements (per instruction) with its binary64 operations on float shadows."""
    ops = isa.python_float_ops
    if not ops or not any(f"{h}(" in s for stmts in per_insn for s in stmts for h in ops):
        return per_insn
    block = _Block(ops)
    return [block.instruction(stmts) for stmts in per_insn]


class _Block:
    """The shadows valid at the current statement of a block.

    Shadows are named `_fs<n>`, each assigned once in the block, so a name
    may share another's (a copy) for as long as neither is assigned again.
    """

    def __init__(self, ops: dict[str, str]):
        self.ops = ops
        self.shadows: dict[str, str] = {}      # name -> the shadow holding its value as a float
        self.copies: dict[str, str] = {}       # name -> the name it was copied from (same bits)
        self.count = 0

    def instruction(self, stmts: list[str]) -> list[str]:
        out: list[str] = []
        taken: set[int] = set()
        for i, s in enumerate(stmts):
            if i in taken:
                continue
            op = _operation(s, stmts[i + 1:], self.ops)
            if op is None:
                out.append(s)
                self.plain(s)
                continue
            target, helper, a, b, group = op
            taken.update(i + 1 + k for k in group)
            out += self.inline(target, helper, a, b, [s] + [stmts[i + 1 + k] for k in group])
        # Temporaries are the instruction's own (tier 1 renames them per instruction): a copy of one means
        # nothing past it.  Shadows stay: their names are the block's.
        self.copies = {k: v for k, v in self.copies.items() if not _TEMP.fullmatch(v)}
        self.shadows = {k: v for k, v in self.shadows.items() if not _TEMP.fullmatch(k)}
        return out

    def plain(self, s: str) -> None:
        self.assigned(assigned_names(s))
        copy = _copy(s)
        if copy is not None:
            target, source = copy
            if source in self.shadows:
                self.shadows[target] = self.shadows[source]
            else:
                self.copies[target] = self.copies.get(source, source)

    def inline(self, target: str, helper: str, a: str, b: str, exact: list[str]) -> list[str]:
        """The ISA's float form of `helper`, and `exact` (its statements) where that declines."""
        lines: list[str] = []
        fa, fb = self.float_of(a, lines), self.float_of(b, lines)
        r = self.fresh()
        fallback = "".join(f"\n    {ln}" for st in exact for ln in st.split("\n"))
        lines += [self.ops[helper].format(a=fa, b=fb, r=r),
                  f"if _fok:\n    _SD[0] = {r}\n    {target} = _SQ[0]\nelse:{fallback}\n"
                  f"    _SQ[0] = {target}\n    {r} = _SD[0]"]
        for st in exact:
            self.assigned(assigned_names(st))
        self.shadows[target] = r
        return lines

    def float_of(self, expr: str, lines: list[str]) -> str:
        """A float holding the binary64 bits `expr`: a shadow, or a conversion appended to `lines`."""
        source = self.copies.get(expr, expr)
        if source in self.shadows:
            return self.shadows[source]
        f = self.fresh()
        lines += [f"_SQ[0] = {source}", f"{f} = _SD[0]"]
        if source.isidentifier():
            self.shadows[source] = f
        return f

    def assigned(self, names) -> None:
        for name in names:
            self.shadows.pop(name, None)
            self.copies.pop(name, None)
            for k in [k for k, v in self.copies.items() if v == name]:
                del self.copies[k]

    def fresh(self) -> str:
        self.count += 1
        return f"_fs{self.count}"


def _operation(s: str, rest: list[str], ops: dict[str, str]) -> tuple[str, str, str, str, list[int]] | None:
    """(target, helper, a, b, indices in `rest` of its other statements) for an operation `ops` can inline.

    Two forms: `target = helper(a, b, 64)` returning the bits (x86), and
    `t = helper(a, b, 64, ...)` returning (bits, more) that the statements
    after it take apart, `target = t[0]` among them (aarch64: FPSR flags).
    """
    if "\n" in s or not any(f"{h}(" in s for h in ops):
        return None
    node = ast.parse(s).body[0]
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return None
    call, name = node.value, node.targets[0].id
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in ops
            and len(call.args) >= 3 and isinstance(call.args[2], ast.Constant) and call.args[2].value == 64):
        return None
    a, b = ast.unparse(call.args[0]), ast.unparse(call.args[1])
    if len(call.args) == 3:
        return name, call.func.id, a, b, []
    uses = re.compile(rf"\b{name}\b")
    group = [k for k, st in enumerate(rest) if uses.search(st)]
    bits = [re.fullmatch(rf"(\w+) = {name}\[(0x)?0\]", rest[k]) for k in group]
    targets = [m.group(1) for m in bits if m]
    if len(targets) != 1 or any("\n" in rest[k] for k in group):
        return None
    return targets[0], call.func.id, a, b, group


_TEMP = re.compile(r"_t\w*")


def _copy(s: str) -> tuple[str, str] | None:
    """(target, source) of a plain copy `target = source`."""
    left, sep, right = s.partition(" = ")
    return (left, right) if sep and left.isidentifier() and right.isidentifier() else None
