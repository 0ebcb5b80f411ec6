"""Tier 2's numba side: memory access intrinsics, object code out.

numba compiles the regions machr.jit.emit declines (those that call the
ISAs' @jitable helpers: the floating-point operations); this module gives
their dialect its intrinsics.  It is imported only where such a region is
compiled (the compile worker, or the engine when it compiles in-process);
the engine runs compiled regions through machr.jit.loader, without numba.

Regions take raw pointers and are compiled without numba's
reference-counting runtime (`CFUNC_OPTIONS`), so that their object code
refers to nothing of numba's but the C helpers of its cfunc error path,
which machr.jit.loader binds; and through the pipeline of
machr.jit.pipeline, which runs only the passes they need.  The intrinsics
mean what machr.jit.emit's inlined forms of them mean.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from machr.jit.loader import CompiledObject, compiled_object
from machr.jit.pipeline import RegionCompiler
from machr.jit.region import TLB_MISS
from machr.machine.mmu import PAGE_MASK, PAGE_SHIFT, TLB_MASK

CFUNC_OPTIONS = {"_nrt": False, "pipeline_class": RegionCompiler}
_U = np.uint64


def _memory_access(width: int, store: bool):
    """Intrinsic `ldN(M8, p) -> uint64` / `stN(M8, p, v)`: an N-bit access at byte offset p of M8 (a uint8 pointer).

    Any alignment:

    one `load`/`store` with alignment 1 (a plain move on x86-64 and
    AArch64 hosts), instead of an aligned typed view plus a byte loop for
    the unaligned case: fewer statements for numba's front end to type,
    which is most of a region's compile time.
    """
    ity = ir.IntType(width)

    def generic(typingctx, M8, p, *value):
        sig = types.void(M8, p, *value) if store else types.uint64(M8, p)

        def codegen(context, builder, signature, args):
            ptr = builder.bitcast(builder.gep(args[0], [args[1]]), ity.as_pointer())
            if store:
                v = args[2] if width == 64 else builder.trunc(args[2], ity)
                builder.store(v, ptr, align=1)
                return context.get_dummy_value()
            v = builder.load(ptr, align=1)
            return v if width == 64 else builder.zext(v, ir.IntType(64))

        return sig, codegen

    if store:
        def typer(typingctx, M8, p, v):
            return generic(typingctx, M8, p, v)
    else:
        def typer(typingctx, M8, p):
            return generic(typingctx, M8, p)
    typer.__name__ = f"{'st' if store else 'ld'}{width}"
    return intrinsic(typer)


ld8, ld16, ld32, ld64 = (_memory_access(w, False) for w in (8, 16, 32, 64))
st8, st16, st32, st64 = (_memory_access(w, True) for w in (8, 16, 32, 64))


@intrinsic
def tlb(typingctx, tags, bases, a, span):
    """Host offset (in M8) of the `span + 1` bytes at guest address `a`, or TLB_MISS.

    A hit: the slot of `a`'s page in `tags` (RT or WT) holds the page of
    the access's last byte, `(a + span) >> PAGE_SHIFT`.  That one test is
    both the tag test and the page-crossing test: a valid tag is a page
    number below 2**52 that selects its own slot (machr.machine.mmu), so
    the next page's number (a crossing access) or 0 (one wrapping past
    2**64) is never the tag of `a`'s slot; the empty tag is -1.  One call
    with a few LLVM instructions, where the same test in the dialect is a
    dozen statements and a short-circuit branch for numba to type and
    lower.
    """
    if (tags != types.CPointer(types.uint64) or bases != tags or a != types.uint64 or span != types.uint64):
        return None
    i64 = ir.IntType(64)
    shift, offset, slot, miss = (ir.Constant(i64, c) for c in (PAGE_SHIFT, PAGE_MASK, TLB_MASK, TLB_MISS))

    def codegen(context, builder, signature, args):
        tags, bases, a, span = args
        i = builder.and_(builder.lshr(a, shift), slot)
        last_page = builder.lshr(builder.add(a, span), shift)
        hit = builder.icmp_unsigned("==", builder.load(builder.gep(tags, [i])), last_page)
        host = builder.or_(builder.load(builder.gep(bases, [i])), builder.and_(a, offset))
        return builder.select(hit, host, miss)

    return types.uint64(tags, bases, a, span), codegen


@intrinsic
def asr64(typingctx, x, n):
    """`x >> n` for the 64-bit signed value whose bits x holds (n >= 64 shifts in sign bits only, as Python's >>).

    An intrinsic (one `ashr`), not a jitted function: nothing to type or
    compile per region module that uses it.
    """
    if x != types.uint64 or n != types.uint64:
        return None
    i64 = ir.IntType(64)

    def codegen(context, builder, signature, args):
        most = ir.Constant(i64, 63)
        count = builder.select(builder.icmp_unsigned(">", args[1], most), most, args[1])
        return builder.ashr(args[0], count)

    return types.uint64(x, n), codegen


def object_code(fn) -> CompiledObject:
    """A compiled cfunc as machr.jit.loader loads it: its symbol, the symbols it needs, its object code.

    The object code is what numba's own cache stores for it.
    """
    lib = fn._library
    return compiled_object(fn.native_name, lib._final_module, lib.serialize_using_object_code()[2][0])
