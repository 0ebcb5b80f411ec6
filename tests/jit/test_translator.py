"""Block translation helpers (machr.jit.translator): temporaries forwarded, flags planned."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from machr.isa.aarch64 import ISA as ARM
from machr.isa.x86_64 import ISA as X86
from machr.jit.translator import _equal_flags_once, _forward_step, _forward_temps, plan_flags_at_exits, unit_source


def forward_temps_from_the_top(per_insn):
    """`_forward_temps` searching from the first statement again after each substitution (its rules, unoptimised)."""
    flat = [(k, s) for k, stmts in enumerate(per_insn) for s in stmts]
    while _forward_step(flat, 0, ()) is not None:
        pass
    out = [[] for _ in per_insn]
    for k, s in flat:
        out[k].append(s)
    return out


NAMES = ["_t0", "_t1", "_t2", "rax", "rcx"]
operand = st.one_of(st.sampled_from(NAMES), st.sampled_from(["1", "7"]))
expression = st.one_of(operand, st.builds(lambda a, op, b: f"{a} {op} {b}", operand, st.sampled_from("+&^"), operand),
                       st.builds(lambda a: f"ld32({a})", operand))
statement = st.one_of(
    st.builds(lambda t, e: f"{t} = {e}", st.sampled_from(NAMES[:3]), expression),
    st.builds(lambda t, e: f"{t} = {e}", st.sampled_from(NAMES), expression),
    st.builds(lambda a, b: f"st32({a}, {b})", operand, operand),
    st.builds(lambda a, t, e: f"if {a}:\n    {t} = {e}", operand, st.sampled_from(NAMES), expression),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(statement, max_size=6), min_size=1, max_size=6))
@example([["_t0 = rax + 1", "_t1 = _t0", "rcx = _t0"]])     # the dead _t1 goes: _t0 has one reader left
def test_forward_temps_resumes_where_the_search_from_the_top_would_find_the_next_substitution(per_insn):
    assert _forward_temps([list(s) for s in per_insn]) == forward_temps_from_the_top([list(s) for s in per_insn])


def test_forwarding_replaces_the_whole_name_only():
    """`_t0_1` is the start of `_t0_10`: forwarding one must leave the other alone."""
    per_insn = [["_t0_1 = rax + 1"], ["_t0_10 = rbx", "rcx = _t0_10 + _t0_1"]]
    assert _forward_temps(per_insn) == [[], ["rcx = rbx + (rax + 1)"]]


def test_a_fault_recomputes_the_flags_dropped_before_it():
    """adds (flags dead: the next subs assigns them) ; ldr (may fault) ; subs ; b.ne (reads zf)."""
    per_insn = [["_ta = x0", "_ts = _ta + x2", "nf = _ts >> 63 & 1", "zf = _ts & 0xffffffffffffffff == 0",
                 "x0 = _ts & 0xffffffffffffffff"],
                ["x3 = ld32(x1)"],
                ["_tb = x4 - 1 & 0xffffffffffffffff", "nf = _tb >> 63", "zf = _tb == 0", "x4 = _tb"],
                ["_npc = 0x10 if zf == 0 else 0x20"]]
    plan = plan_flags_at_exits(ARM, per_insn, set())
    assert plan.kept[0] == ["_ta = x0", "_ts = _ta + x2", "x0 = _ts & 0xffffffffffffffff"]
    assert plan.at_exit[1] == ["nf = _ts >> 63 & 1", "zf = _ts & 0xffffffffffffffff == 0"]
    assert plan.kept[2] == ["_tb = x4 - 1 & 0xffffffffffffffff", "zf = _tb == 0", "x4 = _tb"]
    assert plan.sunk == ["nf = _tb >> 63"] and plan.live_in == set()
    # an input assigned between the flag and the fault: the flag must hold its value there
    per_insn[0].append("_ts = 5")
    plan = plan_flags_at_exits(ARM, per_insn, set())
    assert "zf = _ts & 0xffffffffffffffff == 0" in plan.kept[0] and plan.at_exit[1] == []


def test_an_interpreter_unit_computes_a_flag_expression_written_twice_once():
    """x86 imul r64: CF and OF are the same test of the product's high half (a helper call); the unit calls it once
    and both flags get its value."""
    src = unit_source(X86, X86.decode(bytes.fromhex("480faffe"), 0x1000))     # imul rdi, rsi
    assert src.count("smulh64(") == 1 and "    of = cf\n" in src
    calls = []
    env = dict(X86.globals, smulh64=lambda a, b: calls.append((a, b)) or X86.globals["smulh64"](a, b))
    ns: dict = {}
    exec(src, env, ns)
    R = [0] * X86.nregs
    R[6], R[7] = 1 << 62, 4                       # 2**64: the high half is 1, so CF = OF = 1
    assert ns["_unit"](R, None) == 0x1004           # (no binary64 operation: the doubles view goes unread)
    assert (R[7], R[17], R[22], calls) == (0, 1, 1, [(4, 1 << 62)])


def test_equal_flag_expressions_are_not_shared_when_the_second_reads_the_first():
    stmts = ["cf = rax >> 63", "of = rax >> 63", "zf = cf ^ 1", "sf = cf ^ 1", "cf = cf ^ 1", "af = cf ^ 1"]
    assert _equal_flags_once(X86, stmts) == ["cf = rax >> 63", "of = cf", "zf = cf ^ 1", "sf = zf", "cf = cf ^ 1",
                                             "af = cf ^ 1"]


def test_an_interpreter_unit_runs_binary64_operations_on_the_registers_seen_as_doubles():
    """aarch64 fadd d0, d0, d2 / fmul d4, d2, d1: the unit reads and writes the d registers through RD, bit for bit."""
    import random
    import struct
    from array import array

    from machr.isa.aarch64 import ISA as ARM
    from machr.isa.aarch64.fp import FPCR_FZ

    edges = (0, 1 << 63, 0x3FF0000000000000, 0x7FF0000000000000, 0x7FF8000000000001, 0xFFF4000000000123,
             0x0000000000000001, 0x7FEFFFFFFFFFFFFF, 0x0010000000000000)
    rng = random.Random(9)
    for word, (d, n, m), op in ((0x1E622800, (0, 0, 2), "fp_add"), (0x1E610844, (4, 2, 1), "fp_mul")):
        src = unit_source(ARM, ARM.decode(struct.pack("<I", word), 0x1000))
        assert f"RD[{43 + 2 * d}] = " in src
        ns: dict = {}
        exec(src, dict(ARM.globals), ns)
        for _ in range(2000):
            R = array("Q", bytes(8 * ARM.nregs))
            a, b = (rng.choice((rng.choice(edges), rng.getrandbits(64), 0x4000000000000000 | rng.getrandbits(52)))
                    for _ in range(2))
            R[43 + 2 * n], R[43 + 2 * m], R[44 + 2 * d] = a, b, 7
            R[37], R[38] = rng.choice((0, 0, FPCR_FZ, 1 << 22)), rng.choice((0, 0x10))
            bits, flags = ARM.globals[op](a, b, 64, R[37])
            want = (bits, 0, R[38] | flags)
            RD = memoryview(R).cast("B").cast("d")
            assert ns["_unit"](R, RD) == 0x1004
            RD.release()
            assert (R[43 + 2 * d], R[44 + 2 * d], R[38]) == want, (hex(a), hex(b), R[37], R[38])


def test_flags_live_after_an_instruction_are_those_the_next_one_does_not_kill_first():
    from machr.jit.translator import flags_live_after

    def live(hex_bytes):
        return flags_live_after(X86, X86.decode(bytes.fromhex(hex_bytes), 0x1000))
    assert live("4883c104") == {"df"}                           # add rcx, 4: every arithmetic flag assigned first
    assert live("48ffca") == {"df", "cf"}                       # dec rdx keeps CF
    assert live("4811c8") == {"df", "cf"}                       # adc rax, rcx reads CF before it assigns it
    assert live("7502") == X86.flag_vars                        # jne: reads ZF; a branch ends the block
    assert live("480301") == X86.flag_vars                      # add rax, [rcx]: may fault before assigning
    assert flags_live_after(X86, None) == X86.flag_vars
