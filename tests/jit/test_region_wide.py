"""Tier 2's 128-bit whole moves: which statement shapes split into uint64 halves, and which stay out.

The split code itself runs in the workload lockstep tests (structure copies
through xmm / q registers in dhry, tests/jit/test_workloads.py).
"""

from machr.isa.aarch64 import ISA as ARM
from machr.isa.x86_64 import ISA as X86
from machr.jit.region import split_wide


def test_load_copy_store_split_into_halves():
    stmts = ["_t0 = ld128(0x406880)", "xmm0 = _t0", "xmm1 = xmm0", "st128(rdx, xmm1)"]
    assert split_wide(X86, stmts) == [
        "_t0_lo, _t0_hi = ld128(0x406880)", "xmm0_lo = _t0_lo", "xmm0_hi = _t0_hi",
        "xmm1_lo = xmm0_lo", "xmm1_hi = xmm0_hi", "st128(rdx, xmm1_lo | (xmm1_hi << 64))"]


def test_pair_of_q_registers():
    load = ["_ta = x3", "_tv = ld128(_ta)", "_tw = ld128((_ta + 16) & 0xffffffffffffffff)", "q1 = _tv", "q0 = _tw"]
    assert split_wide(ARM, load)[1:3] == ["_tv_lo, _tv_hi = ld128(_ta)",
                                          "_tw_lo, _tw_hi = ld128((_ta + 16) & 0xffffffffffffffff)"]
    store = ["_ta = x2", "st128(_ta, q1)", "st128((_ta + 16) & 0xffffffffffffffff, q0)"]
    assert split_wide(ARM, store)[1] == "st128(_ta, q1_lo | (q1_hi << 64))"


def test_statements_without_wide_values_are_unchanged():
    stmts = ["_t0 = rax", "rax = (_t0 + 1) & 0xffffffffffffffff"]
    assert split_wide(X86, stmts) == stmts


def test_any_other_use_of_a_wide_value_is_rejected():
    assert split_wide(X86, ["xmm1 = (rdi & 0xffffffff)"]) is None            # movd: a 64-bit value into xmm
    assert split_wide(X86, ["xmm0 = _pshufd(xmm1, xmm1, 224)"]) is None
    assert split_wide(X86, ["xmm0 = xmm0 ^ xmm1"]) is None
    assert split_wide(X86, ["_t0 = ld128(rax)", "rbx = _t0 & 0xffffffffffffffff"]) is None
    assert split_wide(X86, ["_t0 = ld128(xmm0)"]) is None                  # 128-bit address
    assert split_wide(X86, ["rax = ld128(rbx)"]) is None                   # into a 64-bit register
