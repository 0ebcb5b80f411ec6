"""What each x86-64 form does, as Python statements (one function per form).

Every function takes an `Emit` (the instruction's operands and a statement
list) and appends the form's statements.  `translate` is the entry point the
JIT and the interpreter call.  Helpers the statements call are in `helpers`.
Flags the SDM leaves undefined are left unchanged unless noted; the Unicorn
test masks them per form (`tests/isa/x86_64/test_semantics.py`, UNDEFINED_FLAGS).
"""

from __future__ import annotations

from typing import Callable

from machr.isa.base import Insn
from machr.isa.x86_64 import sse
from machr.isa.x86_64.emit import M64, Emit, condition, sext
from machr.isa.x86_64.operands import mask
from machr.isa.x86_64.state import FLAG_BITS

FORMS: dict[str, Callable[[Emit], None]] = {}


def form(*names: str):
    def register(fn):
        for n in names or (fn.__name__.rstrip("_"),):
            FORMS[n] = fn
        return fn
    return register


def translate(insn: Insn) -> list[str]:
    """The statements that execute `insn` (see machr.isa.base for their conventions)."""
    e = Emit(insn)
    FORMS[insn.form](e)
    return e.out


def _next(e: Emit) -> int:
    return (e.insn.pc + e.insn.length) & M64


# -- arithmetic and logic ------------------------------------------------------------------

_BINARY = {"add": "+", "adc": "+", "sub": "-", "sbb": "-", "cmp": "-", "and": "&", "or": "|", "xor": "^",
           "test": "&"}


@form(*_BINARY)
def binary(e: Emit) -> None:
    """add/adc/sub/sbb/cmp/and/or/xor/test dst, src; cmp and test only set flags."""
    name = e.insn.form
    dst, src = e.ops
    bits = e.bits(dst)
    a = e.let(e.read(dst))
    b = e.let(e.read(src))
    carry = " + cf" if name == "adc" else " - cf" if name == "sbb" else ""
    r = e.let(f"({a} {_BINARY[name]} {b}{carry}) & {mask(bits):#x}")
    if name not in ("cmp", "test"):
        e.write(dst, r)
    if _BINARY[name] == "+":
        e.flags_add(a, b, r, bits, carry_in=bool(carry))
    elif _BINARY[name] == "-":
        e.flags_sub(a, b, r, bits, borrow_in=bool(carry))
    else:
        e.flags_logic(r, bits)


@form("inc", "dec")
def inc_dec(e: Emit) -> None:
    """inc/dec: add/sub 1 leaving CF alone."""
    (dst,) = e.ops
    bits = e.bits(dst)
    a = e.let(e.read(dst))
    op = "+" if e.insn.form == "inc" else "-"
    r = e.let(f"({a} {op} 1) & {mask(bits):#x}")
    e.write(dst, r)
    (e.flags_add if op == "+" else e.flags_sub)(a, "1", r, bits, cf=False)


@form()
def neg(e: Emit) -> None:
    (dst,) = e.ops
    bits = e.bits(dst)
    a = e.let(e.read(dst))
    r = e.let(f"(0 - {a}) & {mask(bits):#x}")
    e.write(dst, r)
    e.flags_sub("0", a, r, bits)             # CF = int(0 < a): set unless the operand was 0


@form()
def not_(e: Emit) -> None:
    (dst,) = e.ops
    e.write(dst, f"{e.read(dst)} ^ {mask(e.bits(dst)):#x}")


def _acc_pair(bits: int) -> tuple[tuple, tuple]:
    """(low, high) halves of the implicit double-width accumulator: AX or rDX:rAX."""
    if bits == 8:
        return ("r", 0, 8), ("h", 0, 8)
    return ("r", 0, bits), ("r", 2, bits)


@form("mul", "imul1")
def mul(e: Emit) -> None:
    """One-operand mul/imul: rDX:rAX (AX for bytes) = rAX * src; CF=OF = high half significant.

    At 64 bits the high half is `umulh64`/`smulh64` (machr.isa.intarith), which every tier runs.
    """
    (src,) = e.ops
    bits = e.bits(src)
    signed = e.insn.form == "imul1"
    lo, hi = _acc_pair(bits)
    if bits == 64:
        b = e.let(e.read(src))
        a = e.let(e.read(lo))
        h = e.let(f"{'smulh64' if signed else 'umulh64'}({a}, {b})")
        r = e.let(f"({a} * {b}) & {M64:#x}")
        e.write(lo, r)
        e.write(hi, h)
        big = f"int({h} != ({M64:#x} if {r} >> 63 else 0))" if signed else f"int({h} != 0)"
        e(f"cf = {big}")
        e(f"of = {big}")
        return
    b = e.read(src)
    a = e.read(lo)
    if signed:
        a, b = sext(a, bits), sext(b, bits)
    p = e.let(f"{a} * {b}")
    m = mask(bits)
    e.write(lo, f"{p} & {m:#x}")
    if bits == 8:
        e.write(hi, f"({p} >> 8) & 0xFF")
    else:
        e.write(hi, f"({p} >> {bits}) & {m:#x}")
    big = f"int({p} != {sext(f'({p} & {m:#x})', bits)})" if signed else f"int({p} >> {bits} != 0)"
    e(f"cf = {big}")
    e(f"of = {big}")


@form("imul2", "imul3")
def imul(e: Emit) -> None:
    """imul dst, src[, imm]: truncated signed product; CF=OF = truncation changed the value.

    At 64 bits: the high half of the signed product (`smulh64`) is not the sign extension of the low.
    """
    dst, *srcs = e.ops
    bits = e.bits(dst)
    a, b = (srcs if len(srcs) == 2 else (dst, srcs[0]))
    if bits == 64:
        x = e.let(e.read(a))
        y = e.let(e.read(b))
        r = e.let(f"({x} * {y}) & {M64:#x}")
        e.write(dst, r)
        big = f"int(smulh64({x}, {y}) != ({M64:#x} if {r} >> 63 else 0))"
    else:
        p = e.let(f"{sext(e.read(a), bits)} * {sext(e.read(b), bits)}")
        r = e.let(f"{p} & {mask(bits):#x}")
        e.write(dst, r)
        big = f"int({p} != {sext(r, bits)})"
    e(f"cf = {big}")
    e(f"of = {big}")


@form("div", "idiv")
def div(e: Emit) -> None:
    """div/idiv: rDX:rAX (AX for bytes) / src; #DE (EXIT_ARITH) on a zero divisor or a quotient that does not fit.

    `_div`/`_idiv` return (quotient, remainder, ok); the #DE test comes before any state is written.
    """
    (src,) = e.ops
    bits = e.bits(src)
    lo, hi = _acc_pair(bits)
    d = e.let(e.read(src))
    t = e.let(f"{'_div' if e.insn.form == 'div' else '_idiv'}({e.read(hi)}, {e.read(lo)}, {d}, {bits})")
    e(f"if {t}[2] == 0:\n    _exit(EXIT_ARITH, 0, False)")
    e.write(lo, f"{t}[0]")
    e.write(hi, f"{t}[1]")


# -- moves ----------------------------------------------------------------------------------

@form()
def mov(e: Emit) -> None:
    dst, src = e.ops
    e.write(dst, e.read(src))


@form()
def movzx(e: Emit) -> None:
    dst, src = e.ops
    e.write(dst, e.read(src))


@form()
def movsx(e: Emit) -> None:
    dst, src = e.ops
    e.write(dst, f"{sext(e.read(src), e.bits(src))} & {mask(e.bits(dst)):#x}")


@form()
def lea(e: Emit) -> None:
    dst, src = e.ops
    a = e.address(src, segment=False)
    e.write(dst, a if e.bits(dst) == 64 else f"{a} & {mask(e.bits(dst)):#x}")


@form()
def xchg(e: Emit) -> None:
    a, b = e.ops
    if b[0] == "m":
        a, b = b, a
    va = e.let(e.read(a))
    vb = e.let(e.read(b))
    e.write(a, vb)
    e.write(b, va)


@form()
def cmpxchg(e: Emit) -> None:
    """cmpxchg dst, src: if rAX == dst then dst = src else rAX = dst (memory is always written)."""
    dst, src = e.ops
    bits = e.bits(dst)
    acc = ("r", 0, bits)
    d = e.let(e.read(dst))
    a = e.let(e.read(acc))
    s = e.let(e.read(src))
    r = e.let(f"({a} - {d}) & {mask(bits):#x}")
    e.write(dst, f"{s} if {a} == {d} else {d}")     # written back either way, as QEMU does
    e(f"if {a} != {d}:\n    " + _written(e, acc, d))
    e.flags_sub(a, d, r, bits)


def _written(e: Emit, op: tuple, value: str) -> str:
    """The statement `e.write(op, value)` would append (for use inside a compound statement)."""
    mark = len(e.out)
    e.write(op, value)
    return e.out.pop(mark)


@form()
def xadd(e: Emit) -> None:
    """xadd dst, src: tmp = dst + src; src = dst; dst = tmp."""
    dst, src = e.ops
    bits = e.bits(dst)
    a = e.let(e.read(dst))
    b = e.let(e.read(src))
    r = e.let(f"({a} + {b}) & {mask(bits):#x}")
    if dst[0] == "m":
        e.write(dst, r)
        e.write(src, a)
    else:
        e.write(src, a)
        e.write(dst, r)
    e.flags_add(a, b, r, bits)


@form()
def bswap(e: Emit) -> None:
    (dst,) = e.ops
    e.write(dst, f"_bswap({e.read(dst)}, {e.bits(dst) // 8})")


@form("cbw")
def sign_extend_acc(e: Emit) -> None:
    """cbw/cwde/cdqe: rAX = sign-extended lower half of rAX."""
    bits = e.osz
    e.write(("r", 0, bits), f"{sext(e.read(('r', 0, bits // 2)), bits // 2)} & {mask(bits):#x}")


@form("cwd")
def sign_spread(e: Emit) -> None:
    """cwd/cdq/cqo: rDX = all copies of rAX's sign bit."""
    bits = e.osz
    e.write(("r", 2, bits), f"{mask(bits):#x} if {e.read(('r', 0, bits))} >> {bits - 1} else 0")


@form()
def setcc(e: Emit) -> None:
    e.write(e.ops[0], condition(e.insn.fields["cc"]))


@form()
def cmovcc(e: Emit) -> None:
    """cmovcc: the source is always read; a 32-bit destination is zero-extended either way."""
    dst, src = e.ops
    s = e.let(e.read(src))
    e.write(dst, f"{s} if {condition(e.insn.fields['cc'])} else {e.read(dst)}")


# -- shifts and rotates ---------------------------------------------------------------------------

@form("rol", "ror", "rcl", "rcr", "shl", "shr", "sar")
def shift(e: Emit) -> None:
    """Group-2 shifts: count masked to 5 bits (6 for 64-bit); a zero count changes no flag.

    OF is defined for a count of 1 only; we compute the 1-count rule for every count.
    """
    dst, cnt = e.ops
    bits = e.bits(dst)
    m = mask(bits)
    name = e.insn.form
    a = e.let(e.read(dst))
    cmask = 0x3F if bits == 64 else 0x1F
    if cnt[0] == "i":
        c = str(cnt[1] & cmask)
        if c == "0":
            e.write(dst, a)
            return
    else:
        c = e.let(f"{e.read(cnt)} & {cmask:#x}")
    top = bits - 1
    if name in ("rol", "ror"):
        k = e.let(f"{c} % {bits}")
        rot = (f"(({a} << {k}) | ({a} >> (({bits} - {k}) & {bits - 1})))" if name == "rol"
               else f"(({a} >> {k}) | ({a} << (({bits} - {k}) & {bits - 1})))")
        r = e.let(f"{rot} & {m:#x}")
        cf = f"{r} & 1" if name == "rol" else f"{r} >> {top}"
        of = f"(({r} >> {top}) ^ {r}) & 1" if name == "rol" else f"(({r} >> {top}) ^ ({r} >> {top - 1})) & 1"
        flags = {"cf": cf, "of": of}
    elif name in ("rcl", "rcr"):
        k = e.let(f"{c} % {bits + 1}")
        w = e.let(f"cf << {bits} | {a}")
        wm = (1 << (bits + 1)) - 1
        rot = (f"(({w} << {k}) | ({w} >> ({bits + 1} - {k})))" if name == "rcl"
               else f"(({w} >> {k}) | ({w} << ({bits + 1} - {k})))")
        rw = e.let(f"{rot} & {wm:#x}")
        r = e.let(f"{rw} & {m:#x}")
        of = (f"(({r} >> {top}) ^ ({rw} >> {bits})) & 1" if name == "rcl"
              else f"(({r} >> {top}) ^ ({r} >> {top - 1})) & 1")
        flags = {"cf": f"{rw} >> {bits}", "of": of}
    else:
        if name == "shl" and bits == 64:         # the last bit out is bit 64 - c: no 128-bit intermediate
            r = e.let(f"({a} << {c}) & {m:#x}")
            out = f"({a} >> {64 - int(c)})" if c.isdigit() else f"({a} >> ((64 - {c}) & 63))"
            cf = f"{out} & 1"
            of = f"(({r} >> {top}) ^ {out}) & 1"
        elif name == "shl":
            r = e.let(f"({a} << {c}) & {m:#x}")
            cf = f"(({a} << {c}) >> {bits}) & 1"
            of = f"(({r} >> {top}) ^ (({a} << {c}) >> {bits})) & 1"
        elif name == "shr":
            r = e.let(f"{a} >> {c}")
            cf = f"(({a} << 1) >> {c}) & 1"
            of = f"{a} >> {top}"
        else:
            s = sext(a, bits)
            r = e.let(f"({s} >> {c}) & {m:#x}")
            cf = f"(({s} << 1) >> {c}) & 1"
            of = "0"
        flags = {"cf": cf, "of": of, "zf": f"int({r} == 0)", "sf": f"{r} >> {top}", "pf": f"_PARITY[{r} & 0xFF]"}
    e.write(dst, r)
    for flag, expr in flags.items():
        if c.isdigit():
            e(f"{flag} = {expr}")
        else:
            e.flags_if(c, flag, expr)


@form("shld", "shrd")
def double_shift(e: Emit) -> None:
    """shld/shrd dst, src, count: shift dst, filling from src (count masked like shifts)."""
    dst, src, cnt = e.ops
    bits = e.bits(dst)
    m = mask(bits)
    a = e.let(e.read(dst))
    b = e.let(e.read(src))
    cmask = 0x3F if bits == 64 else 0x1F
    c = str(cnt[1] & cmask) if cnt[0] == "i" else e.let(f"{e.read(cnt)} & {cmask:#x}")
    if c == "0":
        e.write(dst, a)
        return
    if e.insn.form == "shld":
        r = e.let(f"((({a} << {bits} | {b}) << {c}) >> {bits}) & {m:#x}")
        cf = f"(({a} << {c}) >> {bits}) & 1"
    else:
        r = e.let(f"(({b} << {bits} | {a}) >> {c}) & {m:#x}")
        cf = f"(({a} << 1) >> {c}) & 1"
    e.write(dst, r)
    flags = {"cf": cf, "of": f"(({r} ^ {a}) >> {bits - 1}) & 1", "zf": f"int({r} == 0)",
             "sf": f"{r} >> {bits - 1}", "pf": f"_PARITY[{r} & 0xFF]"}
    for flag, expr in flags.items():
        if c.isdigit():
            e(f"{flag} = {expr}")
        else:
            e.flags_if(c, flag, expr)


# -- bit operations -------------------------------------------------------------------------------

@form("bt", "bts", "btr", "btc")
def bit_test(e: Emit) -> None:
    """bt*: CF = selected bit; a register offset into memory addresses the whole bit string."""
    dst, off = e.ops
    bits = e.bits(dst)
    if off[0] == "i":
        k = str(off[1] & (bits - 1))
    else:
        o = e.let(e.read(off))
        k = e.let(f"{o} & {bits - 1}")
        if dst[0] == "m":
            base = e.address(dst)
            e._ea = e.let(f"({base} + ({sext(o, bits)} >> {(bits // 8).bit_length() + 2}) * {bits // 8})"
                          f" & {M64:#x}")
    a = e.let(e.read(dst))
    op = {"bts": f"{a} | (1 << {k})", "btr": f"{a} & ({mask(bits):#x} ^ (1 << {k}))",
          "btc": f"{a} ^ (1 << {k})"}.get(e.insn.form)
    if op:
        e.write(dst, op)
    e(f"cf = ({a} >> {k}) & 1")


@form("bsf", "bsr")
def bit_scan(e: Emit) -> None:
    """bsf/bsr: ZF = (src == 0); a zero source rewrites the old value (zero-extending, as QEMU)."""
    dst, src = e.ops
    s = e.let(e.read(src))
    idx = f"_ctz({s})" if e.insn.form == "bsf" else f"{s}.bit_length() - 1"
    e.write(dst, f"{idx} if {s} else {e.read(dst)}")
    e(f"zf = int({s} == 0)")


@form("tzcnt", "lzcnt")
def count_zeros(e: Emit) -> None:
    """tzcnt/lzcnt (BMI1/LZCNT, advertised by cpuid): CF = (src == 0), ZF = (result == 0)."""
    dst, src = e.ops
    bits = e.bits(dst)
    s = e.let(e.read(src))
    r = e.let(f"(_ctz({s}) if {s} else {bits})" if e.insn.form == "tzcnt" else f"{bits} - {s}.bit_length()")
    e.write(dst, r)
    e(f"cf = int({s} == 0)")
    e(f"zf = int({r} == 0)")


@form()
def popcnt(e: Emit) -> None:
    dst, src = e.ops
    s = e.let(e.read(src))
    e.write(dst, f"_popcount({s})")
    for flag in ("cf", "of", "af", "sf", "pf"):
        e(f"{flag} = 0")
    e(f"zf = int({s} == 0)")


# -- control transfer and stack -------------------------------------------------------------------

def _push(e: Emit, value: str) -> None:
    e(f"st64((rsp - 8) & {M64:#x}, {value})")
    e(f"rsp = (rsp - 8) & {M64:#x}")


@form()
def push(e: Emit) -> None:
    (src,) = e.ops
    _push(e, e.let(e.read(src)) if src[0] == "m" else e.read(src))


@form()
def pop(e: Emit) -> None:
    """pop: rsp is incremented before the destination is written (so `pop rsp` loads rsp)."""
    (dst,) = e.ops
    v = e.let("ld64(rsp)")
    e(f"rsp = (rsp + 8) & {M64:#x}")
    e.write(dst, v)


@form()
def jmp(e: Emit) -> None:
    (t,) = e.ops
    e(f"_npc = {hex(t[1]) if t[0] == 'j' else e.read(t)}")


@form()
def jcc(e: Emit) -> None:
    e(f"_npc = {e.ops[0][1]:#x} if {condition(e.insn.fields['cc'])} else {_next(e):#x}")


@form()
def call(e: Emit) -> None:
    (t,) = e.ops
    target = hex(t[1]) if t[0] == "j" else e.let(e.read(t))
    _push(e, hex(_next(e)))
    e(f"_npc = {target}")


@form()
def ret(e: Emit) -> None:
    extra = e.ops[0][1] if e.ops else 0
    t = e.let("ld64(rsp)")
    e(f"rsp = (rsp + {8 + extra}) & {M64:#x}")
    e(f"_npc = {t}")


@form()
def leave(e: Emit) -> None:
    v = e.let("ld64(rbp)")
    e(f"rsp = (rbp + 8) & {M64:#x}")
    e(f"rbp = {v}")


def rflags_image() -> str:
    """Expression for the rflags image of the flag variables (bit 1 and IF always set)."""
    return "0x202 | " + " | ".join(f"{f} << {bit}" for f, bit in FLAG_BITS.items())


@form()
def pushf(e: Emit) -> None:
    _push(e, f"({rflags_image()})")


@form()
def popf(e: Emit) -> None:
    v = e.let("ld64(rsp)")
    e(f"rsp = (rsp + 8) & {M64:#x}")
    for f, bit in FLAG_BITS.items():
        e(f"{f} = ({v} >> {bit}) & 1")


@form()
def sahf(e: Emit) -> None:
    for f in ("cf", "pf", "af", "zf", "sf"):
        e(f"{f} = (rax >> {8 + FLAG_BITS[f]}) & 1")


@form()
def lahf(e: Emit) -> None:
    image = " | ".join(f"{f} << {FLAG_BITS[f]}" for f in ("cf", "pf", "af", "zf", "sf"))
    e.write(("h", 0, 8), f"(2 | {image})")


@form("cmc", "clc", "stc", "cld", "std")
def flag_op(e: Emit) -> None:
    e({"cmc": "cf = cf ^ 1", "clc": "cf = 0", "stc": "cf = 1", "cld": "df = 0", "std": "df = 1"}[e.insn.form])


# -- string instructions (SDM "MOVS/STOS/LODS/SCAS/CMPS"; rep: one iteration per loop pass) -----

@form("movs", "stos", "lods", "scas", "cmps")
def string(e: Emit) -> None:
    name = e.insn.form
    rep = e.insn.fields["rep"]
    bits = e.bits(e.ops[0])
    n = bits // 8
    src_seg = e.ops[1][6] if name in ("movs", "cmps", "lods") else ""
    rsi = f"(rsi + {src_seg}_base) & {M64:#x}" if src_seg in ("fs", "gs") else "rsi"
    e(f"_ts = -{n} if df else {n}")
    acc = e.read(("r", 0, bits))
    body = {
        "movs": [f"st{bits}(rdi, ld{bits}({rsi}))"],
        "stos": [f"st{bits}(rdi, {acc})"],
        "lods": [f"_t0 = ld{bits}({rsi})"],
        "scas": [f"_t0 = {acc}", f"_t1 = ld{bits}(rdi)"],
        "cmps": [f"_t0 = ld{bits}({rsi})", f"_t1 = ld{bits}(rdi)"],
    }[name]
    moves = [f"{r} = ({r} + _ts) & {M64:#x}" for r in ("rsi", "rdi")
             if r == "rdi" and name != "lods" or r == "rsi" and name in ("movs", "lods", "cmps")]
    compare = name in ("scas", "cmps")
    if name == "lods":
        moves.append(_written(e, ("r", 0, bits), "_t0"))
    if not rep:
        for s in body + moves:
            e(s)
        if compare:
            e(f"_t2 = (_t0 - _t1) & {mask(bits):#x}")
            e.flags_sub("_t0", "_t1", "_t2", bits)
        return
    loop = body + moves + ["rcx = rcx - 1"]
    if compare:
        loop += [f"_t2 = (_t0 - _t1) & {mask(bits):#x}", "_tn = 1",
                 f"if {'_t2 != 0' if rep == 0xF3 else '_t2 == 0'}:\n        break"]
        e("_tn = 0")
    e("while rcx:\n" + "\n".join("    " + s for s in loop))
    if compare:
        mark = len(e.out)
        e.flags_sub("_t0", "_t1", "_t2", bits)
        flags = e.out[mark:]
        del e.out[mark:]
        for stmt in flags:
            flag, expr = stmt.split(" = ", 1)
            e.flags_if("_tn", flag, expr)


# -- system -----------------------------------------------------------------------------------------

@form()
def nop(e: Emit) -> None:
    """nop, hint nops, endbr64, pause, fences, prefetches: no architectural effect here."""


@form()
def syscall(e: Emit) -> None:
    """syscall: rcx = next rip, r11 = rflags image, then the kernel trap (spec §2.1)."""
    e(f"rcx = {_next(e):#x}")
    e(f"r11 = {rflags_image()}")
    e("_exit(EXIT_TRAP, 0, True)")


@form()
def int3(e: Emit) -> None:
    e("_exit(EXIT_BREAKPOINT, 0, True)")


@form()
def ud2(e: Emit) -> None:
    e("_exit(EXIT_UNDEFINED, 0, False)")


@form()
def hlt(e: Emit) -> None:
    """hlt is "let others run" for user code (EXIT_YIELD, resumes after it)."""
    e(f"_npc = {_next(e):#x}")
    e("_exit(EXIT_YIELD, 0, True)")


@form()
def cpuid(e: Emit) -> None:
    t = e.let("_cpuid(rax & 0xFFFFFFFF, rcx & 0xFFFFFFFF)")
    for i, r in enumerate(("rax", "rbx", "rcx", "rdx")):
        e(f"{r} = {t}[{i}]")


@form()
def rdtsc(e: Emit) -> None:
    """rdtsc: the virtual clock (retired instructions) in edx:eax."""
    t = e.let("_clock() + _n")
    e("rax = " + f"{t} & 0xFFFFFFFF")
    e("rdx = " + f"({t} >> 32) & 0xFFFFFFFF")


@form("rdfsbase", "rdgsbase")
def read_base(e: Emit) -> None:
    (dst,) = e.ops
    base = "fs_base" if e.insn.form == "rdfsbase" else "gs_base"
    e.write(dst, base if e.bits(dst) == 64 else f"{base} & 0xFFFFFFFF")


@form("wrfsbase", "wrgsbase")
def write_base(e: Emit) -> None:
    (src,) = e.ops
    e(f"{'fs_base' if e.insn.form == 'wrfsbase' else 'gs_base'} = {e.read(src)}")


FORMS.update(sse.FORMS)
