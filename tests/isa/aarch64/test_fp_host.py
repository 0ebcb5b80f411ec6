"""The host-float fast paths (fp_host, every tier's first try) give fp.py's exact bits and FPSR flags, or decline.

Runs the Python form of the @jitable functions (numba runs the same code;
tests/jit/test_region_dialect.py checks it there) against the exact-integer
reference on edge cases and random operands.
"""

import random
import struct

import pytest

from machr.isa import dual
from machr.isa.aarch64 import ISA as A64
from machr.isa.aarch64 import fp, fp_host

EDGES = [0, 1 << 63, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000001, 0x7FF0000000000001, 1,
         0x000FFFFFFFFFFFFF, 0x0010000000000000, 0x3FF0000000000000, 0xBFF0000000000000, 0x3FB999999999999A,
         0x7FEFFFFFFFFFFFFF, 0x4340000000000001, 0x2000000000000000, 0x5FF0000000000000]
OPS = ("add", "sub", "mul", "div")


def operands(n: int):
    rng = random.Random(3)
    pairs = [(a, b) for a in EDGES for b in EDGES]
    for _ in range(n):
        kind = rng.random()
        if kind < 0.5:
            x = [struct.unpack("<Q", struct.pack("<d", rng.uniform(-1e6, 1e6)))[0] for _ in range(2)]
        elif kind < 0.7:
            x = [struct.unpack("<Q", struct.pack("<d", float(rng.randint(-99, 99))))[0] for _ in range(2)]
        else:
            x = [rng.getrandbits(64) for _ in range(2)]
        pairs.append(tuple(x))
    return pairs


@pytest.mark.parametrize("op", OPS)
def test_fast_path_is_exact_where_it_answers(op):
    fast, exact = getattr(fp_host, f"fp_{op}_host"), getattr(fp, f"fp_{op}")
    answered = 0
    for a, b in operands(20000):
        ok, bits, exc = fast(a, b, 64, 0)
        if ok:
            answered += 1
            assert (bits, exc) == exact(a, b, 64, 0), (hex(a), hex(b))
    assert answered > 15000


@pytest.mark.parametrize("fpcr", [1 << 22, 2 << 22, 3 << 22, fp.FPCR_FZ, fp.FPCR_DN])
def test_other_modes_and_nans_decline(fpcr):
    one, two = 0x3FF0000000000000, 0x4000000000000000
    for op in OPS:
        fast = getattr(fp_host, f"fp_{op}_host")
        assert not fast(one, two, 64, fpcr)[0]
        assert not fast(one, 0x7FF0000000000001, 64, 0)[0]           # a signalling NaN: fp.py's rules
        assert not fast(0x3F800000, 0x40000000, 32, 0)[0]            # single precision: fp.py


@pytest.mark.parametrize("op", OPS)
def test_python_tiers_version_is_fp_py(op):
    """What the interpreter and tier 1 call (dual.python_guarded) gives fp.py's bits and flags, declines included."""
    ours, exact = A64.globals[f"fp_{op}"], getattr(fp, f"fp_{op}")
    assert ours is dual.PYTHON_GUARDED[f"fp_{op}_host"]
    for fpcr in (0, fp.FPCR_FZ, 1 << 22):
        for a, b in operands(2000):
            for esize, x, y in ((64, a, b), (32, a & 0xFFFFFFFF, b & 0xFFFFFFFF)):
                assert ours(x, y, esize, fpcr) == exact(x, y, esize, fpcr), (hex(x), hex(y), esize, fpcr)
