"""Tier 2's compiler pipeline (machr.jit.pipeline) and the intrinsics regions call (machr.jit.native).

The pipeline types without SSA only where every variable keeps one type,
falls back to SSA and then to numba's own pipeline, and memoizes operator
typing only while it runs; `tlb` is the one-comparison TLB hit test the
region source relies on (machr.jit.region._access), checked against the
rule it replaces on hits, misses, page crossings and wrapping addresses.
"""

import ctypes
import random

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from numba.core import types  # noqa: E402
from numba.core.typing.context import BaseContext  # noqa: E402

from machr.jit.native import CFUNC_OPTIONS, tlb  # noqa: E402
from machr.jit.region import TLB_MISS  # noqa: E402
from machr.machine.memory import PAGE_SIZE  # noqa: E402
from machr.machine.mmu import TLB_MASK, TLB_SIZE  # noqa: E402

_U = np.uint64
M64 = (1 << 64) - 1


def test_a_variable_of_two_types_compiles_exactly_through_the_ssa_pipeline():
    """Without SSA `x` would be one float64 (its int64 and uint64 definitions unified) and lose its low bits."""
    def retyped(R):
        if R[1]:
            x = 7
            R[1] = x
        else:
            x = R[0]
            R[2] = x
        return 0

    fn = numba.cfunc("int64(CPointer(uint64))", **CFUNC_OPTIONS)(retyped)
    for flag, expected in ((0, [M64 - 2, 0, M64 - 2]), (1, [M64 - 2, 7, 0])):
        R = np.array([M64 - 2, flag, 0], dtype=np.uint64)
        fn.ctypes(R.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)))
        assert [int(v) for v in R] == expected


def test_what_only_numba_s_own_pipeline_handles_still_compiles():
    def with_closure(x):
        def add_one(y):
            return y + 1
        return add_one(x)

    fn = numba.cfunc("int64(int64)", **CFUNC_OPTIONS)(with_closure)
    assert fn.ctypes(41) == 42


def test_typing_memo_is_active_only_during_a_compile():
    get_call_type, resolve_value_type = types.Function.get_call_type, BaseContext.resolve_value_type

    def flags(R):
        a, b = R[0], R[1]
        R[2] = _U(a < b) | (_U(a == b) << _U(1)) | (((a ^ b) >> _U(63)) << _U(2))
        return 0

    fn = numba.cfunc("int64(CPointer(uint64))", **CFUNC_OPTIONS)(flags)
    assert (types.Function.get_call_type, BaseContext.resolve_value_type) == (get_call_type, resolve_value_type)
    for a, b in ((1, 2), (2, 2), (M64, 0), (0, M64)):
        R = np.array([a, b, 0], dtype=np.uint64)
        fn.ctypes(R.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)))
        assert int(R[2]) == (a < b) | (a == b) << 1 | ((a ^ b) >> 63) << 2


@pytest.fixture(scope="module")
def probe():
    def probe(tags, bases, a, span):
        return tlb(tags, bases, a, span)

    return numba.cfunc("uint64(CPointer(uint64), CPointer(uint64), uint64, uint64)", **CFUNC_OPTIONS)(probe)


def tlb_rule(tags: np.ndarray, bases: np.ndarray, a: int, size: int) -> int:
    """The hit test as the Python tiers state it (machr.machine.mmu): the slot holds the page, no crossing."""
    page, offset = a >> 12, a & (PAGE_SIZE - 1)
    slot = page & TLB_MASK
    if int(tags[slot]) != page or offset > PAGE_SIZE - size:
        return TLB_MISS
    return int(bases[slot]) | offset


def test_tlb_agrees_with_the_tag_and_page_crossing_rule(probe):
    rng = random.Random(5)
    tags = np.full(TLB_SIZE, M64, dtype=np.uint64)               # -1: an empty slot
    bases = np.zeros(TLB_SIZE, dtype=np.uint64)
    pages = [0, 1, TLB_MASK, TLB_SIZE, (1 << 52) - 1, (1 << 52) - TLB_SIZE] + [rng.getrandbits(52) for _ in range(40)]
    for page in pages:
        tags[page & TLB_MASK] = page
        bases[page & TLB_MASK] = rng.randrange(0, 1 << 14) * PAGE_SIZE
    addresses = [(page << 12) + off for page in pages + [p + 1 for p in pages] + [p + TLB_SIZE for p in pages]
                 for off in (0, 1, 0xFF0, 0xFF8, 0xFF9, 0xFFC, 0xFFE, 0xFFF, rng.randrange(PAGE_SIZE))]
    ptr = ctypes.POINTER(ctypes.c_uint64)
    for a in addresses:
        a &= M64
        for size in (1, 2, 4, 8, 16):
            got = probe.ctypes(tags.ctypes.data_as(ptr), bases.ctypes.data_as(ptr), a, size - 1)
            assert got == tlb_rule(tags, bases, a, size), (hex(a), size)
