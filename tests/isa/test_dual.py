"""What the Python tiers call for the helpers written once (machr.isa.dual.python_globals)."""

import random
import struct

import pytest

from machr.isa import dual, intarith
from machr.isa.aarch64 import ISA as A64
from machr.isa.aarch64 import fp, fp_host
from machr.isa.x86_64 import ISA as X64


def test_python_tiers_multiply_high_in_unbounded_ints_tier_2_in_halves():
    for isa in (A64, X64):
        assert isa.globals["smulh64"] is intarith._smulh64_int
        assert "smulh64" in isa.numba_functions
    assert A64.globals["umulh64"] is intarith._umulh64_int
    assert dual.JITABLE["umulh64"] is intarith.umulh64          # what tier 2 compiles


def test_python_version_only_stands_in_for_a_jitable_helper():
    with pytest.raises(ValueError):
        dual.python_version(fp.fp_add)


def test_python_globals_replaces_only_the_jitable_helper_of_that_name():
    def umulh64(a, b):                 # a helper of the same name that is not the jitable one stays
        return 0
    out = dual.python_globals({"umulh64": umulh64, "sdiv": dual.JITABLE["sdiv"]}, {})
    assert out == {"umulh64": umulh64, "sdiv": dual.JITABLE["sdiv"],
                   "_SQ": dual.SCRATCH_Q, "_SD": dual.SCRATCH_D, "_NAN": out["_NAN"],     # + tier 1's inline casts
                   "_d": dual.bits_as_float, "_q": dual.float_as_bits}


def test_bit_casts_keep_every_bit_nan_payloads_included():
    for bits in (0, 1 << 63, 0x7FF0000000000001, 0xFFF4000000000123, 0x7FF8000000000001, 0x000FFFFFFFFFFFFF,
                 0x3FF0000000000000, 0xFFFFFFFFFFFFFFFF):
        x = dual.bits_as_float(bits)
        assert dual.float_as_bits(x) == bits
        assert struct.pack("<d", x) == bits.to_bytes(8, "little")


def test_fast_first_keeps_the_helpers_parameters_and_falls_back_when_not_ok():
    calls = []

    def exact(x, y, esize, fpcr):
        calls.append("exact")
        return x - y, 7

    def fast(x, y, esize, fpcr):
        calls.append("fast")
        return fpcr == 0, x - y, 0

    both = dual.fast_first(fast, exact)
    assert (both.__name__, both.__code__.co_varnames[:4]) == ("exact", ("x", "y", "esize", "fpcr"))
    assert both(5, 3, 64, 0) == (2, 0) and calls == ["fast"]
    assert both(5, 3, 64, 1) == (2, 7) and calls == ["fast", "fast", "exact"]


# binary64 operands the fast paths answer (normal, exact and inexact results, zeros, infinities, overflow) and
# decline (NaNs, subnormal and huge magnitudes); binary32 and half operands, which they always decline
DOUBLES = (0, 1 << 63, 0x3FF0000000000000, 0xBFF8000000000000, 0x3FB999999999999A, 0x4340000000000001,
           0x7FEFFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0x7FF0000000000001,
           0x0000000000000001, 0x000FFFFFFFFFFFFF, 0x0010000000000000, 0x5FF0000000000000, 0x2000000000000000)
SINGLES = (0, 0x3F800000, 0x3DCCCCCD, 0x7F7FFFFF, 0x7F800000, 0x7FC00000, 0x7F800001, 0x00000001)
FPCRS = (0, 1 << 22, 2 << 22, 3 << 22, fp.FPCR_FZ, fp.FPCR_DN)


@pytest.mark.parametrize("op", ("add", "sub", "mul", "div"))
def test_python_tiers_fp_ops_are_fp_py_bit_for_bit(op):
    """The aarch64 statements' fp_<op> (fast path first) against fp.py, every FPCR mode, in every format."""
    ours, exact = A64.globals[f"fp_{op}"], getattr(fp, f"fp_{op}")
    assert ours is not exact
    for fpcr in FPCRS:
        for esize, values in ((64, DOUBLES), (32, SINGLES)):
            for x in values:
                for y in values:
                    assert ours(x, y, esize, fpcr) == exact(x, y, esize, fpcr), (op, hex(x), hex(y), esize, fpcr)


def test_python_tiers_take_the_fast_path_tier_2_takes():
    """Same fast path: where it answers, fp.py is never asked (here: a broken fp.py would not be noticed)."""
    fast = dual.fast_first(fp_host.fp_mul_host, lambda x, y, esize, fpcr: (None, None))
    assert fast(0x3FF8000000000000, 0x3FF8000000000000, 64, 0) == (0x4002000000000000, 0)    # 1.5 * 1.5
    assert fast(0x3FF8000000000000, 0x3FF8000000000000, 64, fp.FPCR_FZ) == (None, None)


@pytest.mark.parametrize("name", ("_fadd", "_fsub", "_fmul", "_fdiv"))
def test_python_tiers_sse_arithmetic_is_the_jitable_helper(name):
    """x86's scalar SSE ops in the Python tiers (host doubles through the scratch buffer) against the helper."""
    from machr.isa.x86_64 import helpers

    ours, jitable = X64.globals[name], getattr(helpers, name)
    assert ours is dual.PYTHON[name] and ours is not jitable
    rng = random.Random(name)
    values = list(DOUBLES) + [rng.getrandbits(64) for _ in range(200)]
    values += [dual.from_double(rng.uniform(-1e3, 1e3)) for _ in range(200)]
    for x in values:
        for y in values[::7]:
            assert ours(x, y, 64) == jitable(x, y, 64), (hex(x), hex(y))
            assert ours(x & 0xFFFFFFFF, y & 0xFFFFFFFF, 32) == jitable(x & 0xFFFFFFFF, y & 0xFFFFFFFF, 32)
