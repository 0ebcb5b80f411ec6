"""numba's compiler pipeline for tier-2 regions: only the passes the region dialect needs.

A region's compile time is numba's front end and lowering, per IR
statement; LLVM's share is small.  numba's default nopython pipeline runs
about twenty passes for features a region never uses (closures,
generators, with-contexts, literal unrolling, inlining, array-expression
rewrites, dead-branch pruning, parfors), most of them walking the whole IR
again.  `RegionCompiler` keeps those a region's source needs (see
machr.jit.region): bytecode to IR, the one pre-typing rewrite the dialect
relies on (a constant subscript becomes a static one: `_g[0]`, `_g[1:]` of
a guarded helper's result tuple), type inference, legalization, lowering.

Dropping the generic rewrites drops numba's static binary-operator
detection too: with it, every operator with a constant operand (a region's
`_K<n>` globals) was typed a second time in lowering with that constant as
an omitted argument, which always fails, slowly.

SSA reconstruction, the costliest pass after typing and lowering (it walks
the IR once per variable assigned more than once: every guest register and
flag), only matters where a variable holds values of different types; in
a region every variable keeps one type.  The first pipeline types without
it and checks that (`OneTypePerVariable`); a region where it does not hold
is compiled by the second pipeline, with SSA (numba tries a compiler's
pipelines in turn until one succeeds); numba's own pipeline comes last.

The same operators are typed over and over (a region is mostly `&`, `|`,
`^`, `+`, `>>` and comparisons of uint64 values), and numba resolves each
occurrence from scratch, trying every template of the operator (NumPy's
ufunc ones first, which search a ufunc loop and format an error message
before declining), in type inference and again in lowering.  While a
region compiles, `_memoized_typing` answers such a call from the
first resolution (per process: the compile worker's later regions hardly
type an operator at all).
"""

from __future__ import annotations

import operator
from contextlib import contextmanager
from types import BuiltinFunctionType

from numba.core import errors, ir, types
from numba.core.compiler import CompilerBase, DefaultPassBuilder
from numba.core.compiler_machinery import AnalysisPass, FunctionPass, PassManager, register_pass
from numba.core.rewrites.static_getitem import RewriteConstGetitems
from numba.core.typing.context import BaseContext
from numba.core.typed_passes import (AnnotateTypes, IRLegalization, NativeLowering, NoPythonBackend,
                                     NopythonTypeInference, PreLowerStripPhis)
from numba.core.untyped_passes import FixupArgs, IRProcessing, ReconstructSSA, TranslateByteCode

_OPERATORS = frozenset(v for k, v in vars(operator).items() if not k.startswith("_") and callable(v))
_GET_CALL_TYPE = types.Function.get_call_type
_RESOLVE_VALUE_TYPE = BaseContext.resolve_value_type
# (numba Function type, argument types) -> (the first such Function resolved, its signature)
_call_types: dict[tuple[types.Function, tuple[types.Type, ...]], tuple[types.Function, object]] = {}
_value_types: dict[tuple[BaseContext, object], types.Type] = {}       # (typing context, operator) -> its type
_memo_depth = 0
_PURE_ARGS = (types.Integer, types.Boolean, types.CPointer, types.Array)


@register_pass(mutates_CFG=False, analysis_only=False)
class StaticGetitems(FunctionPass):
    """`x[<constant>]` as a static_getitem: the tuple subscripts of a guarded call need it to type."""

    _name = "machr_static_getitems"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state) -> bool:
        rewrite = RewriteConstGetitems(state)
        changed = False
        for label, block in state.func_ir.blocks.items():
            if rewrite.match(state.func_ir, block, state.typemap, state.calltypes):
                state.func_ir.blocks[label] = rewrite.apply()
                changed = True
        return changed


@register_pass(mutates_CFG=False, analysis_only=True)
class OneTypePerVariable(AnalysisPass):
    """After typing without SSA: refuse the function unless each variable's definitions all have its type.

    Without SSA numba gives a variable one type, unified from all its
    definitions, and converts each value to it: an int64 and a uint64
    definition would make it a float64.  Where every definition already
    has the variable's type (`_keeps_type`), the result is the one SSA
    would give.  Refusing raises a NumbaError, so numba goes on to the
    next pipeline (with SSA).
    """

    _name = "machr_one_type_per_variable"

    def __init__(self):
        AnalysisPass.__init__(self)

    def run_pass(self, state) -> bool:
        values: dict[str, list] = {}
        for block in state.func_ir.blocks.values():
            for inst in block.find_insts(ir.Assign):
                values.setdefault(inst.target.name, []).append(inst.value)
        for name, defs in values.items():
            if len(defs) > 1 and not all(_keeps_type(_value_type(state, v), state.typemap[name]) for v in defs):
                raise errors.NumbaError(f"{name} is assigned values of different types")
        return False


def _keeps_type(value: types.Type | None, variable: types.Type) -> bool:
    """Is a value of type `value` stored unchanged in a variable of type `variable`?

    A literal of the variable's type is; a variable typed as a literal
    holds that literal only.
    """
    if value == variable:
        return True
    return value is not None and not isinstance(variable, types.Literal) and types.unliteral(value) == variable


def _value_type(state, value) -> types.Type | None:
    """The type of an assigned value: a variable's, a constant's, or a typed call's or operator's (None: unknown)."""
    if isinstance(value, ir.Var):
        return state.typemap[value.name]
    if isinstance(value, (ir.Const, ir.Global, ir.FreeVar)):
        return state.typingctx.resolve_value_type(value.value)
    sig = state.calltypes.get(value) if isinstance(value, ir.Expr) else None
    return sig.return_type if sig else None


class _RegionPasses(PassManager):
    """Passes run with typing memoized, forgetting the failure of the pipeline before.

    numba records the failure of a pipeline it then falls back from, and
    its dispatcher raises that failure even when the next pipeline
    compiles the function (the fallback is meant for object mode).
    """

    def run(self, state) -> None:
        state.status.fail_reason = None
        with _memoized_typing():
            super().run(state)


class RegionCompiler(CompilerBase):
    """A region cfunc's pipelines (`CFUNC_OPTIONS["pipeline_class"]`, machr.jit.native), tried in turn.

    Without SSA, then with, then numba's own nopython pipeline: any function
    numba compiles compiles with this compiler too.
    """

    def define_pipelines(self) -> list[PassManager]:
        return [_region_passes(ssa=False), _region_passes(ssa=True), _nopython_passes(self.state)]


def _region_passes(ssa: bool) -> PassManager:
    pm = _RegionPasses("machr_region_ssa" if ssa else "machr_region")
    pm.add_pass(TranslateByteCode, "analyzing bytecode")
    pm.add_pass(FixupArgs, "fix up args")
    pm.add_pass(IRProcessing, "processing IR")
    pm.add_pass(StaticGetitems, "constant subscripts")
    if ssa:
        pm.add_pass(ReconstructSSA, "ssa")
    pm.add_pass(NopythonTypeInference, "nopython frontend")
    if ssa:
        pm.add_pass(PreLowerStripPhis, "remove phis nodes")
    else:
        pm.add_pass(OneTypePerVariable, "one type per variable")
    pm.add_pass(IRLegalization, "ensure IR is legal prior to lowering")
    pm.add_pass(AnnotateTypes, "annotate types")
    pm.add_pass(NativeLowering, "native lowering")
    pm.add_pass(NoPythonBackend, "nopython mode backend")
    pm.finalize()
    return pm


def _nopython_passes(state) -> PassManager:
    pm = _RegionPasses("machr_nopython")
    for pass_class, description in DefaultPassBuilder.define_nopython_pipeline(state).passes:
        pm.add_pass(pass_class, description)
    pm.finalize()
    return pm


@contextmanager
def _memoized_typing():
    """numba's typing of a region's operators and of the operator functions themselves, memoized inside the block.

    `Function.get_call_type` for `_pure_call`s, and
    `BaseContext.resolve_value_type` for the operator functions (which
    numba first tries as a value, fails, formats an error message, then
    finds as a global).  Exact: these resolutions depend on their
    arguments alone (literal types compare by value); numba records the
    implementation a call chose on its Function (`_impl_keys`), which the
    memo keeps.  Failures are not memoized.
    """
    global _memo_depth
    if _memo_depth == 0:
        types.Function.get_call_type = _memo_call_type
        BaseContext.resolve_value_type = _memo_value_type
    _memo_depth += 1
    try:
        yield
    finally:
        _memo_depth -= 1
        if _memo_depth == 0:
            types.Function.get_call_type = _GET_CALL_TYPE
            BaseContext.resolve_value_type = _RESOLVE_VALUE_TYPE


def _memo_call_type(self, context, args, kws):
    if kws or not _pure_call(self.typing_key, args):
        return _GET_CALL_TYPE(self, context, args, kws)
    hit = _call_types.get((self, tuple(args)))
    if hit is None:
        sig = _GET_CALL_TYPE(self, context, args, kws)
        _call_types[self, tuple(args)] = (self, sig)
        return sig
    first, sig = hit
    if first is not self:            # an equal Function (numba makes one per number cast): as `first` chose
        self._impl_keys[sig.args] = first.get_impl_key(sig)
    return sig


def _memo_value_type(self, val):
    if not _is_operator(val):
        return _RESOLVE_VALUE_TYPE(self, val)
    ty = _value_types.get((self, val))
    if ty is None:
        ty = _value_types[self, val] = _RESOLVE_VALUE_TYPE(self, val)
    return ty


def _pure_call(key, args) -> bool:
    """Does numba's typing of this call depend on its argument types alone, and are they a region's?

    Operators, truth tests (`bool`) and number casts (`_U(...)`, keyed by
    the number type), on integers, booleans, raw pointers and arrays.
    """
    return (_is_operator(key) or isinstance(key, types.Number)) and all(isinstance(a, _PURE_ARGS) for a in args)


def _is_operator(value) -> bool:
    return value is bool or (isinstance(value, BuiltinFunctionType) and value in _OPERATORS)
