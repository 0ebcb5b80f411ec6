"""The tier-2 trampoline: region after region, natively, without returning to Python.

Every region is a `numba.cfunc` (machr.jit.region).  A region ends with
LEAVE when the next pc is not one of its blocks; that pc is usually the
start of another region (a loop split over two regions, a call into a
callee's region, the return to the caller's).  Going back to Python for
that costs a dispatcher call, about 1 µs, the time tier 2 runs 100-2000
guest instructions in, so a workload spread over many regions (Dhrystone's
mix of small procedures) would spend most of its time in transitions.  The
trampoline instead looks the pc up in an open-addressing table of the
address space's region blocks (`keys` = block pcs, `fns` = the region's
cfunc address) and calls the next region through its address: a few
nanoseconds.  It returns to Python on any other exit (BUDGET, SLOW), on a
pc without a region (LEAVE), or when the budget is used up at a block
boundary (LEAVE: the engine does the canonical boundary check).

`call_region` is a numba intrinsic: an indirect call of a C function
pointer with the data pointers of the arrays.  numba has no portable way to
call a function whose address is only known at run time otherwise
(first-class function values are typed per signature *and* bound at
compile time of the caller).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from machr.jit.region import LEAVE, X_BUDGET, X_CLOCK, X_RETIRED


@intrinsic
def call_region(typingctx, addr, R, M8, RT, WT, BASE, X):
    """`((int64 (*)(R*, M8*, RT*, WT*, BASE*, X*)) addr)(...)` with the arrays' data pointers."""
    sig = types.int64(addr, R, M8, RT, WT, BASE, X)

    def codegen(context, builder, signature, args):
        def data(i):
            return context.make_array(signature.args[i])(context, builder, args[i]).data

        ptrs = [data(i) for i in range(1, 7)]
        fnty = ir.FunctionType(ir.IntType(64), [p.type for p in ptrs])
        return builder.call(builder.inttoptr(args[0], fnty.as_pointer()), ptrs)

    return sig, codegen


def _memory_access(width: int, store: bool):
    """Intrinsic `ldN(M8, p) -> uint64` / `stN(M8, p, v)`: an N-bit access at byte offset p of M8, any alignment.

    One `load`/`store` with alignment 1 (a plain move on x86-64 and
    AArch64 hosts), instead of an aligned typed view plus a byte loop for
    the unaligned case: fewer statements for numba's front end to type,
    which is most of a region's compile time.
    """
    ity = ir.IntType(width)

    def generic(typingctx, M8, p, *value):
        sig = types.void(M8, p, *value) if store else types.uint64(M8, p)

        def codegen(context, builder, signature, args):
            base = context.make_array(signature.args[0])(context, builder, args[0]).data
            ptr = builder.bitcast(builder.gep(base, [args[1]]), ity.as_pointer())
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


@njit(cache=True)
def run_regions(keys, fns, R, M8, RT, WT, BASE, X, pc_slot, budget, clock):
    """Run regions from R's pc while the pc starts a region block; returns (last exit kind, retired, region calls).

    A SLOW exit's block and index are in X, left by the region that took it.
    """
    mask = keys.shape[0] - 1
    done = 0
    calls = 0
    kind = LEAVE
    while True:
        pc = R[pc_slot]
        i = _slot(pc, mask)
        while keys[i] != pc and keys[i] != 0:
            i = (i + 1) & mask
        if keys[i] == 0:
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
    return kind, done, calls


@njit(cache=True)
def _slot(pc, mask):
    return (pc ^ (pc >> 7)) & mask


def region_table(entries: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The open-addressing table `run_regions` probes: block pc -> region address, at most half full."""
    size = 16
    while size < 2 * len(entries):
        size *= 2
    keys = np.zeros(size, dtype=np.uint64)
    fns = np.zeros(size, dtype=np.uint64)
    mask = size - 1
    for pc, addr in entries.items():
        i = _slot.py_func(np.uint64(pc), np.uint64(mask))
        while keys[i]:
            i = (i + 1) & mask
        keys[i] = pc
        fns[i] = addr
    return keys, fns
