"""The 64-bit-only integer helpers against Python's big integers (tiers 0/1 call them as written; tier 2 compiles
the same functions with numba, tests/jit/test_region_dialect.py)."""

from hypothesis import given
from hypothesis import strategies as st

from machr.isa.intarith import _smulh64_int, _umulh64_int, smulh64, udiv128, umulh64

M64 = (1 << 64) - 1
EDGES = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 32, (1 << 63) - 1, 1 << 63, M64 - 1, M64]
u64 = st.one_of(st.sampled_from(EDGES), st.integers(0, M64))


def signed(v):
    return v - (1 << 64) if v >> 63 else v


@given(u64, u64)
def test_umulh64_is_the_high_half_of_the_product(a, b):
    """Both forms: the jitable one (tier 2, in 32-bit halves) and the Python tiers' (unbounded ints)."""
    assert umulh64(a, b) == _umulh64_int(a, b) == (a * b) >> 64


@given(u64, u64)
def test_smulh64_is_the_high_half_of_the_signed_product(a, b):
    assert smulh64(a, b) == _smulh64_int(a, b) == ((signed(a) * signed(b)) >> 64) & M64


@given(u64, u64, u64)
def test_udiv128_divides_128_by_64_bits(hi, lo, d):
    if d == 0 or hi >= d:          # the quotient would not fit in 64 bits: callers raise #DE first
        return
    n = (hi << 64) | lo
    assert udiv128(hi, lo, d) == (n // d, n % d)
