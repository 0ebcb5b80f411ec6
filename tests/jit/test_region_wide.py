"""Tier 2's lowering (split_wide): 128-bit values as uint64 halves, signed shifts, guarded helpers.

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
                                          "_tw_lo, _tw_hi = ld128(((_ta + 0x10) & 0xffffffffffffffff))"]
    store = ["_ta = x2", "st128(_ta, q1)", "st128((_ta + 16) & 0xffffffffffffffff, q0)"]
    assert split_wide(ARM, store)[1] == "st128(_ta, q1_lo | (q1_hi << 64))"


def test_statements_without_wide_values_are_unchanged():
    stmts = ["_t0 = rax", "rax = (_t0 + 1) & 0xffffffffffffffff"]
    assert split_wide(X86, stmts) == stmts


def test_lane_operations_work_on_halves():
    assert split_wide(X86, ["xmm1 = (rdi & 0xffffffff)"]) == ["xmm1_lo = (rdi & 0xffffffff)", "xmm1_hi = 0"]
    assert split_wide(X86, ["st64(0x406740, xmm0 & 0xffffffffffffffff)"]) == ["st64(0x406740, xmm0_lo)"]
    assert split_wide(X86, ["xmm0 = xmm0 ^ xmm1"]) == ["xmm0_lo = (xmm0_lo ^ xmm1_lo)", "xmm0_hi = (xmm0_hi ^ xmm1_hi)"]
    assert split_wide(X86, ["xmm1 = (xmm1 & 0xffffffffffffffff0000000000000000) | _t2"]) == ["xmm1_lo = _t2"]
    assert split_wide(X86, ["xmm0 = _pshufd(xmm1, xmm1, 224)"]) == [
        "xmm0_lo, xmm0_hi = _pshufd_halves(xmm1_lo, xmm1_hi, xmm1_lo, xmm1_hi, 0xe0)"]
    assert split_wide(X86, ["rax = xmm3 >> 64"]) == ["rax = xmm3_hi"]


def test_signed_shift_right_becomes_asr64():
    sar = "_t1 = (((_t0 ^ 0x8000000000000000) - 0x8000000000000000) >> 34) & 0xffffffffffffffff"
    assert split_wide(X86, [sar]) == ["_t1 = (_asr64(_t0, 0x22) & 0xffffffffffffffff)"]
    cf = "cf = ((((_t0 ^ 0x8000000000000000) - 0x8000000000000000) << 1) >> 63) & 1"
    assert split_wide(X86, [cf]) == ["cf = (_asr64(_t0, 0x3e) & 0x1)"]


def test_guarded_helpers_become_fast_paths():
    stmts = ["_tr = fp_add((q0) & 0xffffffffffffffff, (q2) & 0xffffffffffffffff, 64, fpcr)", "q0 = _tr[0]"]
    assert split_wide(ARM, stmts) == ["_tr = _guarded(fp_add_host(q0_lo, q2_lo, 0x40, fpcr))",
                                      "q0_lo = _tr[0x0]", "q0_hi = 0"]


def test_any_other_use_of_a_wide_value_is_rejected():
    assert split_wide(X86, ["xmm0 = xmm0 + xmm1"]) is None                 # lane arithmetic: no halves form
    assert split_wide(X86, ["xmm0 = _padd(xmm0, xmm1, 8)"]) is None        # a helper without a _halves twin
    assert split_wide(X86, ["_t0 = ld128(xmm0)"]) is None                  # 128-bit address
    assert split_wide(X86, ["rax = ld128(rbx)"]) is None                   # into a 64-bit register
    assert split_wide(X86, ["rax = (((rax ^ 0x8000000000000000) - 0x8000000000000000) >> 3) < 5"]) is None
