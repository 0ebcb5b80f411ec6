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

A region (machr.jit.pyregion) goes further for the registers its FP code
lives in (`resident_floats`): such a register's local holds its value as a
float throughout the region, loaded and stored through a cast where the
region is entered and left (`resident_view`), so it is its own shadow in
every block and an operation writes no bits at all.  Loads into it read a
double from the host bytes and stores write one; any other statement that
reads its bits gets them from a cast (`_q(x)`), one that writes it casts
what it writes (`x = _d(E)`).  A temporary loaded for an FP operation only
(`addsd xmm1, [mem]`) is loaded as a float too.  The casts move bits
unchanged, NaN payloads included, so the register's bits are exactly what
they would be.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
from collections import Counter

from machr.isa.base import Isa, StateVar
from machr.isa.dual import bits_as_float
from machr.jit.simplify import NAME, assigned_names
from machr.jit.translator import _TOP_ASSIGN


def float_shadows(isa: Isa, per_insn: list[list[str]], resident: frozenset[str] = frozenset()
                  ) -> list[list[str]]:
    """One block's statements (per instruction) with its binary64 operations on float shadows.

    `resident`: the names whose locals hold floats (`resident_floats`).
    """
    ops = isa.python_float_ops
    if not ops or not resident and not any(f"{h}(" in s for stmts in per_insn for s in stmts for h in ops):
        return per_insn
    block = _Block(ops, resident, isa.python_float_quick)
    return [block.instruction(stmts) for stmts in per_insn]


def resident_floats(isa: Isa, blocks: list[list[list[str]]]) -> frozenset[str]:
    """The 64-bit register halves (`xmm1_lo`, `q2_lo`) that a region over `blocks` keeps as floats.

    Those its binary64 operations read or write, that no compound statement
    or augmented assignment writes, and that more of its statements use as
    floats (operations, 64-bit loads and stores, copies, constants) than
    as bits, which then cost a cast each.
    """
    ops = isa.python_float_ops
    if not ops:
        return frozenset()
    space = {v for v in isa.state_vars if v.endswith("_lo") and v[:-3] + "_hi" in isa.state_vars}
    floats: Counter[str] = Counter()
    bits: Counter[str] = Counter()
    bad: set[str] = set()
    for per_insn in blocks:
        for stmts in per_insn:
            found = _operations(stmts, ops)
            grouped = {i + 1 + k for i, op in found.items() for k in op[4]}
            for i, s in enumerate(stmts):
                if i in found:
                    target, _, a, b, _ = found[i]
                    floats.update(x for x in (target, _bare(a), _bare(b)) if x in space)
                    continue
                named = set(NAME.findall(s)) & space if i not in grouped else set()
                if not named:
                    continue
                if "\n" in s or _AUGMENTED.match(s):
                    bad.update(named & assigned_names(s))
                if _LOAD64.match(s) or _STORE64.match(s) or _copy(s) or _CONSTANT.match(s):
                    floats.update(named)
                else:
                    bits.update(named)
    return frozenset(x for x in floats if x not in bad and floats[x] > bits[x])


def operated_registers(isa: Isa, stmts: list[str]) -> frozenset[str]:
    """The 64-bit register halves one instruction's binary64 operations read or write (an interpreter unit's floats).

    Those its other statements would read as bits or write in a form a
    float cannot take (`resident_floats`) are left out.
    """
    ops = isa.python_float_ops
    found = _operations(stmts, ops) if ops else {}
    named = {x for target, _, a, b, _ in found.values() for x in (target, _bare(a), _bare(b))}
    return resident_floats(isa, [[stmts]]) & named


def resident_view(isa: Isa, resident: frozenset[str], doubles: str | None = None) -> Isa:
    """`isa` whose `resident` state variables are loaded as floats and stored as their bits.

    Through casts, or (`doubles`: the name of the register array seen as
    doubles, an interpreter unit's `RD`) by subscripting that view.
    """
    if not resident:
        return isa
    state = dict(isa.state_vars)
    for v in resident:
        slot = state[v].load
        if doubles is None:
            state[v] = StateVar(v, f"_d({slot})", f"{slot} = _q({{v}})")
        else:
            view = slot.replace("R[", f"{doubles}[")
            state[v] = StateVar(v, view, f"{view} = {{v}}")
    return dataclasses.replace(isa, state_vars=state)


class _Block:
    """The shadows valid at the current statement of a block.

    Shadows are named `_fs<n>`, each assigned once in the block, so a name
    may share another's (a copy) for as long as neither is assigned again.
    """

    def __init__(self, ops: dict[str, str], resident: frozenset[str],
                 quick: tuple[str, dict[str, tuple[str, str]]] | None):
        self.ops = ops
        self.mode, self.quick = quick or ("", {})
        self.mode_names = frozenset(NAME.findall(self.mode))
        self.mode_known = False                # `_fm` holds `mode` (Isa.python_float_quick)
        self.resident = resident
        self.floats = resident                 # names holding floats: the resident, and this instruction's loads
        self.shadows: dict[str, str] = {x: x for x in resident}   # name -> the shadow holding its value as a float
        self.copies: dict[str, str] = {}       # name -> the name it was copied from (same bits)
        self.count = 0

    def instruction(self, stmts: list[str]) -> list[str]:
        out: list[str] = []
        found = _operations(stmts, self.ops)
        loaded = _float_temps(stmts, found, self.resident) if self.resident else set()
        self.floats = self.resident | loaded
        self.shadows.update((t, t) for t in loaded)
        taken = {i + 1 + k for i, op in found.items() for k in op[4]}
        for i, s in enumerate(stmts):
            if i in taken:
                continue
            op = found.get(i)
            if op is None:
                out.append(self.plain(s))
                continue
            target, helper, a, b, group = op
            out += self.inline(target, helper, a, b, [s] + [stmts[i + 1 + k] for k in group])
        # Temporaries are the instruction's own (tier 1 renames them per instruction): a copy of one means
        # nothing past it.  Shadows stay: their names are the block's.
        self.copies = {k: v for k, v in self.copies.items() if not _TEMP.fullmatch(v)}
        self.shadows = {k: v for k, v in self.shadows.items() if not _TEMP.fullmatch(k) and not _TEMP.fullmatch(v)}
        return out

    def plain(self, s: str) -> str:
        """`s`, with casts where it meets a name holding a float; the shadows and copies it leaves."""
        copy = _copy(s)
        if copy is None:
            s = self.cast(s)
            self.assigned(assigned_names(s))
            self.mode_written(s)
            return s
        target, source = copy
        self.assigned({target})
        if target in self.floats:
            return s if source in self.floats else f"{target} = {self.shadows.get(source, f'_d({source})')}"
        if source in self.shadows:
            self.shadows[target] = self.shadows[source]
        else:
            self.copies[target] = self.copies.get(source, source)
        return f"{target} = _q({source})" if source in self.floats else s

    def cast(self, s: str) -> str:
        """`s` with the bits of each name holding a float read through `_q`, and a write of one through `_d`."""
        names = set(NAME.findall(s)) & self.floats
        if not names:
            return s
        load = _LOAD64.match(s)
        if load and load.group(1) in self.floats:
            return f"{load.group(1)} = _d({load.group(2)})"
        const = _CONSTANT.match(s)
        if const and const.group(1) in self.floats:
            x = bits_as_float(int(const.group(2), 0))
            return f"{const.group(1)} = {x!r}" if math.isfinite(x) else f"{const.group(1)} = _d({const.group(2)})"
        word = re.compile(r"\b(" + "|".join(sorted(names)) + r")\b")
        m = _TOP_ASSIGN.match(s)
        if m is None:
            return word.sub(r"_q(\1)", s)
        target, rhs = m.groups()
        rhs = word.sub(r"_q(\1)", rhs)
        return f"{target} = _d({rhs})" if target in self.floats else f"{target} = {rhs}"

    def inline(self, target: str, helper: str, a: str, b: str, exact: list[str]) -> list[str]:
        """The ISA's float form of `helper`, and `exact` (its statements) where that declines."""
        lines: list[str] = []
        fa, fb = self.float_of(a, lines), self.float_of(b, lines)
        r = self.fresh()
        fallback = "".join(f"\n    {ln}" for st in exact for ln in self.cast(st).split("\n"))
        if target in self.floats:
            success, after = f"{target} = {r}", ""
        else:
            success, after = f"_SD[0] = {r}\n    {target} = _SQ[0]", f"\n    _SQ[0] = {target}\n    {r} = _SD[0]"
        full = [self.ops[helper].format(a=fa, b=fb, r=r), f"if _fok:\n    {success}\nelse:{fallback}{after}"]
        if helper in self.quick:
            expr, test = self.quick[helper]
            if not self.mode_known:
                lines.append(f"_fm = {self.mode}")
                self.mode_known = True
            body = "".join(f"\n    {ln}" for st in full for ln in st.split("\n"))
            full = [f"{r} = {expr.format(a=fa, b=fb)}", f"if _fm and {test.format(r=r)}:\n    {success}\nelse:{body}"]
        lines += full
        for st in exact:
            self.assigned(assigned_names(st))
            self.mode_written(st)
        if target not in self.floats:
            self.shadows[target] = r
        return lines

    def mode_written(self, s: str) -> None:
        """After `s`: `_fm` holds unless `s` wrote a name the mode reads other than by `|=`."""
        if assigned_names(s) & self.mode_names and not _OR_ASSIGN.match(s):
            self.mode_known = False

    def float_of(self, expr: str, lines: list[str]) -> str:
        """A float holding the binary64 bits `expr`: a shadow, or a conversion appended to `lines`."""
        if _bare(expr) in self.floats:
            return _bare(expr)
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
            if name not in self.floats:
                self.shadows.pop(name, None)
            self.copies.pop(name, None)
            for k in [k for k, v in self.copies.items() if v == name]:
                del self.copies[k]
            for k in [k for k, v in self.shadows.items() if v == name and k != name]:
                del self.shadows[k]         # a copy of a name holding a float, which now holds another

    def fresh(self) -> str:
        self.count += 1
        return f"_fs{self.count}"


def _operations(stmts: list[str], ops: dict[str, str]) -> dict[int, tuple[str, str, str, str, list[int]]]:
    """The operations `ops` can inline among one instruction's statements, by index (`_operation`)."""
    found = {}
    taken: set[int] = set()
    for i, s in enumerate(stmts):
        if i not in taken:
            op = _operation(s, stmts[i + 1:], ops)
            if op is not None:
                found[i] = op
                taken.update(i + 1 + k for k in op[4])
    return found


def _float_temps(stmts: list[str], found: dict[int, tuple[str, str, str, str, list[int]]], floats: frozenset[str]
                 ) -> set[str]:
    """Temporaries of 64-bit loads and of operations that only operations (as operands) and copies into `floats` read.

    `addsd xmm1, [mem]` loads its operand into a temporary, `movsd xmm3,
    [mem]` copies one into the register, and x86's operations write a
    temporary that the register copies.
    """
    out = set()
    for i, s in enumerate(stmts):
        m = _LOAD64.match(s)
        t = m.group(1) if m else found[i][0] if i in found else None
        if t is None or not _TEMP.fullmatch(t):
            continue
        word = re.compile(rf"\b{t}\b")
        uses = [j for j, x in enumerate(stmts) if j != i and word.search(x)]
        if uses and all(_holds_float(stmts[j], found.get(j), t, word, floats) for j in uses):
            out.add(t)
    return out


def _holds_float(s: str, op: tuple[str, str, str, str, list[int]] | None, t: str, word: re.Pattern,
                 floats: frozenset[str]) -> bool:
    """Statement `s` (operation `op`, if it is one) reads `t` only as an operand, or copies it into `floats`."""
    if op is not None:
        return len(word.findall(s)) == [_bare(a) for a in op[2:4]].count(t)
    copy = _copy(s)
    return copy is not None and copy[1] == t and copy[0] in floats


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
_LOAD64 = re.compile(r"^([A-Za-z_]\w*) = (ld64\(.*\))$")
_STORE64 = re.compile(r"^st64\(.*\)$")
_CONSTANT = re.compile(r"^([A-Za-z_]\w*) = (0[xX][0-9a-fA-F]+|\d+)$")
_OR_ASSIGN = re.compile(r"^[A-Za-z_]\w* \|= [^\n]*$")
_AUGMENTED = re.compile(r"^[A-Za-z_]\w*\s*(?:[-+*/%&|^]|<<|>>|//|\*\*)=")
_MASKED = re.compile(r"^\(?([A-Za-z_]\w*) & (?:0xffffffffffffffff|18446744073709551615)\)?$")


def _bare(expr: str) -> str:
    """`x` of an operand `x` or `(x & 0xffffffffffffffff)` (a float-held value is 64 bits already)."""
    m = _MASKED.match(expr.strip())
    return m.group(1) if m else expr.strip()


def _copy(s: str) -> tuple[str, str] | None:
    """(target, source) of a plain copy `target = source`."""
    left, sep, right = s.partition(" = ")
    return (left, right) if sep and left.isidentifier() and right.isidentifier() else None
