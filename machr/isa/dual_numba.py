"""numba's side of `machr.isa.dual`: imported by every tier-2 region module (never by the Python tiers).

Registers the numba implementations of the primitives (`u64` a cast,
`to_double`/`from_double` a bitcast) and every `@jitable` helper of every
ISA, and exports the helpers under the names the statements call them by,
together with the dialect's own primitives (`_asr64`, `_shl`, `_shr`).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload, register_jitable

import machr.isa.aarch64  # noqa: F401  (imports fill the registries)
import machr.isa.x86_64  # noqa: F401
from machr.isa import dual
from machr.jit.pipeline import RegionCompiler


def _bitcast(src, dst, llvm_type):
    """An intrinsic reinterpreting a `src` value's bits as `dst` (LLVM bitcast: no instruction at all)."""
    @intrinsic
    def bitcast(typingctx, v):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], llvm_type)
        return dst(src), codegen
    return bitcast


_bitcast_double = _bitcast(types.uint64, types.float64, ir.DoubleType())
_bitcast_u64 = _bitcast(types.float64, types.uint64, ir.IntType(64))
_bitcast_single = _bitcast(types.uint32, types.float32, ir.FloatType())
_bitcast_u32 = _bitcast(types.float32, types.uint32, ir.IntType(32))


@overload(dual.u64)
def _u64(x):
    return lambda x: np.uint64(x)


@overload(dual.to_double)
def _to_double(bits):
    return lambda bits: _bitcast_double(np.uint64(bits))


@overload(dual.from_double)
def _from_double(x):
    return lambda x: _bitcast_u64(np.float64(x))


@overload(dual.to_single)
def _to_single(bits):
    return lambda bits: np.float64(_bitcast_single(np.uint32(bits)))


@overload(dual.from_single)
def _from_single(x):
    return lambda x: np.uint64(_bitcast_u32(np.float32(x)))


for _fn in dual.JITABLE.values():
    register_jitable(pipeline_class=RegionCompiler)(_fn)      # compiled as cheaply as the regions that call them

globals().update(dual.JITABLE)
__all__ = [*dual.JITABLE]
