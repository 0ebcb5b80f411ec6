"""Formatters (validity + capstone text) for the Advanced SIMD forms.

Each formatter checks the fields, records what the semantics need — ``op``
(the operation, usually capstone's mnemonic without a trailing "2"),
``esize`` (lane bits), ``n`` (lanes), ``part`` (1 for the "2" forms that
read or write the upper half), ``scalar`` — and returns capstone's text.
Scalar forms (``add d0, d1, d2``) are the one-lane case of their vector
twins and share the formatter.  Half-precision vector arithmetic and the
saturating/rounding long tail (sqdmulh, sqrshrn, ...) are not implemented
and stay UNDEFINED.
"""

from __future__ import annotations

from machr.isa.aarch64 import encoding as enc
from machr.isa.aarch64.fp_text import fp_number
from machr.isa.aarch64.text import imm, reg
from machr.isa.base import DecodeError

ARRANGEMENT = {(8, 0): "8b", (8, 1): "16b", (16, 0): "4h", (16, 1): "8h", (32, 0): "2s", (32, 1): "4s",
               (64, 0): "1d", (64, 1): "2d"}
LETTER = {8: "b", 16: "h", 32: "s", 64: "d"}


def _undefined(f) -> DecodeError:
    return DecodeError(f"not implemented {f['word']:#010x}")


def lane_index(i: int) -> str:
    """A lane index as capstone prints it (hex beyond 9, like immediates)."""
    return f"{i:#x}" if i > 9 else str(i)


def vreg(n: int, esize: int, q: int) -> str:
    return f"v{n}.{ARRANGEMENT[esize, q]}"


def operand(f, n: int, esize: int, q: int | None = None) -> str:
    """A vector operand, or the scalar register of the same lane size for scalar forms."""
    if f.get("scalar"):
        return f"{LETTER[esize]}{n}"
    return vreg(n, esize, f["q"] if q is None else q)


def lanes(f, esize: int, allow_1d: bool = False) -> int:
    """Record esize and the lane count (1 for scalar forms); 1d vectors are reserved unless allowed."""
    q = f.get("q", 1)
    if f.get("scalar"):
        n = 1
    elif esize == 64 and not q and not allow_1d:
        raise _undefined(f)
    else:
        n = (128 if q else 64) // esize
    f.update(esize=esize, n=n)
    return n


# ---------------------------------------------------------------- three registers, same type

# opcode -> (name when u=0, name when u=1, signedness of the lanes: 0 unsigned / 1 signed / 2 by u)
INT_SAME = {
    0b00000: ("shadd", "uhadd", 2), 0b00001: ("sqadd", "uqadd", 2), 0b00010: ("srhadd", "urhadd", 2),
    0b00100: ("shsub", "uhsub", 2), 0b00101: ("sqsub", "uqsub", 2), 0b00110: ("cmgt", "cmhi", 2),
    0b00111: ("cmge", "cmhs", 2), 0b01000: ("sshl", "ushl", 2), 0b01100: ("smax", "umax", 2),
    0b01101: ("smin", "umin", 2), 0b01110: ("sabd", "uabd", 2), 0b01111: ("saba", "uaba", 2),
    0b10000: ("add", "sub", 0), 0b10001: ("cmtst", "cmeq", 0), 0b10010: ("mla", "mls", 0),
    0b10011: ("mul", None, 0), 0b10100: ("smaxp", "umaxp", 2), 0b10101: ("sminp", "uminp", 2),
    0b10111: ("addp", None, 0),
}
# scalar three-same forms that exist (64-bit lanes only, except the saturating ones)
SCALAR_SAME = {"sqadd", "uqadd", "sqsub", "uqsub", "cmgt", "cmhi", "cmge", "cmhs", "sshl", "ushl", "add", "sub",
               "cmtst", "cmeq"}
LOGIC = (("and", "bic", "orr", "orn"), ("eor", "bsl", "bit", "bif"))
# (u, a, opcode) -> FP three-same op
FP_SAME = {
    (0, 0, 0b11000): "fmaxnm", (0, 0, 0b11001): "fmla", (0, 0, 0b11010): "fadd", (0, 0, 0b11100): "fcmeq",
    (0, 0, 0b11110): "fmax", (0, 1, 0b11000): "fminnm", (0, 1, 0b11001): "fmls", (0, 1, 0b11010): "fsub",
    (0, 1, 0b11110): "fmin", (1, 0, 0b11000): "fmaxnmp", (1, 0, 0b11010): "faddp", (1, 0, 0b11011): "fmul",
    (1, 0, 0b11100): "fcmge", (1, 0, 0b11101): "facge", (1, 0, 0b11110): "fmaxp", (1, 0, 0b11111): "fdiv",
    (1, 1, 0b11000): "fminnmp", (1, 1, 0b11010): "fabd", (1, 1, 0b11100): "fcmgt", (1, 1, 0b11101): "facgt",
    (1, 1, 0b11110): "fminp",
}
SCALAR_FP_SAME = {"fcmeq", "fcmge", "fcmgt", "facge", "facgt", "fabd"}


def fmt_simd_three_same(f, pc):
    u, size, opcode, q = f["u"], f["size"], f["opcode"], f["q"]
    scalar = f.get("scalar", 0)
    if opcode >= 0b11000:
        op = FP_SAME.get((u, size >> 1, opcode))
        if op is None or (scalar and op not in SCALAR_FP_SAME):
            raise _undefined(f)
        esize = 32 << (size & 1)
        f.update(op=op, fp=1)
    elif opcode == 0b00011:
        if scalar:
            raise _undefined(f)
        f.update(op=LOGIC[u][size], fp=0)
        esize = 8
        if f["op"] == "orr" and f["rn"] == f["rm"]:
            lanes(f, 8)
            return "mov", f"{vreg(f['rd'], 8, q)}, {vreg(f['rn'], 8, q)}", False
    else:
        entry = INT_SAME.get(opcode)
        op = entry and entry[u]
        if op is None or (scalar and (op not in SCALAR_SAME or (size != 3 and op[1:3] != "qa"
                                                                 and op[1:3] != "qs"))):
            raise _undefined(f)
        if op in ("mul", "mla", "mls", "saba", "uaba", "sabd", "uabd", "shadd", "uhadd", "srhadd", "urhadd",
                  "shsub", "uhsub", "smaxp", "umaxp", "sminp", "uminp", "smax", "umax", "smin", "umin") \
                and size == 3:
            raise _undefined(f)
        esize = 8 << size
        f.update(op=op, fp=0, signed=int(entry[2] == 2 and not u))
    lanes(f, esize)
    return f["op"], ", ".join(operand(f, f[r], esize) for r in ("rd", "rn", "rm")), False


def fmt_simd_scalar_three_same(f, pc):
    f.update(scalar=1, q=1)
    return fmt_simd_three_same(f, pc)


# ---------------------------------------------------------------- two registers, miscellaneous

# (u, opcode) -> (op, allowed sizes) for the integer forms; "0" suffix: compare with #0
INT_MISC = {
    (0, 0b00000): ("rev64", (8, 16, 32)), (0, 0b00001): ("rev16", (8,)), (1, 0b00000): ("rev32", (8, 16)),
    (0, 0b00101): ("cnt", (8,)), (0, 0b01000): ("cmgt0", (8, 16, 32, 64)), (0, 0b01001): ("cmeq0", (8, 16, 32, 64)),
    (0, 0b01010): ("cmlt0", (8, 16, 32, 64)), (0, 0b01011): ("abs", (8, 16, 32, 64)),
    (1, 0b01000): ("cmge0", (8, 16, 32, 64)), (1, 0b01001): ("cmle0", (8, 16, 32, 64)),
    (1, 0b01011): ("neg", (8, 16, 32, 64)), (0, 0b10010): ("xtn", (8, 16, 32)), (1, 0b00100): ("clz", (8, 16, 32)),
    (0, 0b00100): ("cls", (8, 16, 32)), (0, 0b00010): ("saddlp", (8, 16, 32)), (1, 0b00010): ("uaddlp", (8, 16, 32)),
    (0, 0b00110): ("sadalp", (8, 16, 32)), (1, 0b00110): ("uadalp", (8, 16, 32)),
    (0, 0b10100): ("sqxtn", (8, 16, 32)), (1, 0b10100): ("uqxtn", (8, 16, 32)), (1, 0b10010): ("sqxtun", (8, 16, 32)),
}
# (u, a, opcode) -> FP two-misc op (a = size<1>; the lane size is size<0>)
FP_MISC = {
    (0, 0, 0b11000): "frintn", (0, 0, 0b11001): "frintm", (0, 0, 0b11010): "fcvtns", (0, 0, 0b11011): "fcvtms",
    (0, 0, 0b11100): "fcvtas", (0, 0, 0b11101): "scvtf", (0, 1, 0b01100): "fcmgt0", (0, 1, 0b01101): "fcmeq0",
    (0, 1, 0b01110): "fcmlt0", (0, 1, 0b01111): "fabs", (0, 1, 0b11000): "frintp", (0, 1, 0b11001): "frintz",
    (0, 1, 0b11010): "fcvtps", (0, 1, 0b11011): "fcvtzs", (1, 0, 0b11000): "frinta", (1, 0, 0b11001): "frintx",
    (1, 0, 0b11010): "fcvtnu", (1, 0, 0b11011): "fcvtmu", (1, 0, 0b11100): "fcvtau", (1, 0, 0b11101): "ucvtf",
    (1, 1, 0b01100): "fcmge0", (1, 1, 0b01101): "fcmle0", (1, 1, 0b01111): "fneg", (1, 1, 0b11001): "frinti",
    (1, 1, 0b11010): "fcvtpu", (1, 1, 0b11011): "fcvtzu", (1, 1, 0b11111): "fsqrt",
    (0, 0, 0b10110): "fcvtn", (0, 0, 0b10111): "fcvtl",
}
SCALAR_MISC = {"cmgt0", "cmeq0", "cmlt0", "abs", "cmge0", "cmle0", "neg", "fcmgt0", "fcmeq0", "fcmlt0", "fcmge0",
               "fcmle0", "fcvtns", "fcvtms", "fcvtas", "scvtf", "fcvtps", "fcvtzs", "fcvtnu", "fcvtmu", "fcvtau",
               "ucvtf", "fcvtpu", "fcvtzu", "sqxtn", "uqxtn", "sqxtun"}


def fmt_simd_two_misc(f, pc):
    u, size, opcode, q = f["u"], f["size"], f["opcode"], f["q"]
    scalar = f.get("scalar", 0)
    if (u, opcode) == (1, 0b00101) and size < 2 and not scalar:     # not (mvn) / rbit
        f.update(op=("mvn", "rbit")[size], fp=0)
        lanes(f, 8)
        return f["op"], f"{vreg(f['rd'], 8, q)}, {vreg(f['rn'], 8, q)}", False
    fp_op = FP_MISC.get((u, size >> 1, opcode))
    if fp_op is not None and (opcode >= 0b01100 and opcode != 0b10110 and opcode != 0b10111):
        op, esize, fp = fp_op, 32 << (size & 1), 1
    elif fp_op in ("fcvtn", "fcvtl") and not scalar:
        return _fcvt_long_narrow(f, fp_op)
    else:
        op, sizes = INT_MISC.get((u, opcode), (None, ()))
        esize, fp = 8 << size, 0
        if op is None or esize not in sizes:
            raise _undefined(f)
    if scalar and (op not in SCALAR_MISC or (not fp and op[1:3] != "qx" and esize != 64)):
        raise _undefined(f)
    f.update(op=op, fp=fp, signed=int(op in ("saddlp", "sadalp", "sqxtn", "sqxtun", "cls")))
    if op in ("xtn", "sqxtn", "uqxtn", "sqxtun"):        # narrow: esize is the destination's
        lanes(f, esize, allow_1d=True)
        f["n"] = 64 // esize if not scalar else 1
        f["part"] = q and not scalar
        name = op + ("2" if f["part"] else "")
        return name, f"{operand(f, f['rd'], esize)}, {operand(f, f['rn'], 2 * esize, 1)}", False
    if op.endswith("lp"):                                # pairwise long: esize is the source's
        lanes(f, esize, allow_1d=True)
        return op, f"{vreg(f['rd'], 2 * esize, q)}, {vreg(f['rn'], esize, q)}", False
    lanes(f, esize)
    text = f"{operand(f, f['rd'], esize)}, {operand(f, f['rn'], esize)}"
    if op.endswith("0"):                                 # compare with zero
        f["op"] = op[:-1]
        return op[:-1], text + (", #0.0" if fp else ", #0"), False
    return op, text, False


def _fcvt_long_narrow(f, op):
    """fcvtl(2): half of the lanes widened (s→d, h→s); fcvtn(2): narrowed (d→s, s→h)."""
    q, wide = f["q"], 32 << (f["size"] & 1)
    narrow = wide // 2
    f.update(op=op, fp=1, esize=narrow if op == "fcvtl" else wide, n=64 // narrow, part=q)
    name = op + ("2" if q else "")
    if op == "fcvtl":
        return name, f"{vreg(f['rd'], wide, 1)}, {vreg(f['rn'], narrow, q)}", False
    return name, f"{vreg(f['rd'], narrow, q)}, {vreg(f['rn'], wide, 1)}", False


def fmt_simd_scalar_two_misc(f, pc):
    f.update(scalar=1, q=1)
    return fmt_simd_two_misc(f, pc)


# ---------------------------------------------------------------- across lanes, pairwise scalar

ACROSS = {(0, 0b00011): "saddlv", (1, 0b00011): "uaddlv", (0, 0b01010): "smaxv", (1, 0b01010): "umaxv",
          (0, 0b11010): "sminv", (1, 0b11010): "uminv", (0, 0b11011): "addv"}
FP_ACROSS = {(0, 0b01100): "fmaxnmv", (1, 0b01100): "fminnmv", (0, 0b01111): "fmaxv", (1, 0b01111): "fminv"}


def fmt_simd_across(f, pc):
    u, size, opcode, q = f["u"], f["size"], f["opcode"], f["q"]
    if u and opcode in (0b01100, 0b01111):
        op = FP_ACROSS.get((size >> 1, opcode))
        if size & 1 or not q:
            raise _undefined(f)
        f.update(op=op, fp=1)
        lanes(f, 32)
        return op, f"s{f['rd']}, {vreg(f['rn'], 32, q)}", False
    op = ACROSS.get((u, opcode))
    esize = 8 << size
    if op is None or esize == 64 or (esize == 32 and not q):
        raise _undefined(f)
    f.update(op=op, fp=0, signed=int(op[0] == "s"))
    lanes(f, esize)
    out = 2 * esize if op.endswith("lv") else esize
    return op, f"{LETTER[out]}{f['rd']}, {vreg(f['rn'], esize, q)}", False


PAIR = {(0, 0b11011): "addp", (1, 0b01100): "fmaxnmp", (1, 0b01101): "faddp", (1, 0b01111): "fmaxp"}


def fmt_simd_scalar_pair(f, pc):
    u, size, opcode = f["u"], f["size"], f["opcode"]
    if u == 0:
        if (opcode, size) != (0b11011, 3):
            raise _undefined(f)
        f.update(op="addp", fp=0, esize=64, n=2)
        return "addp", f"d{f['rd']}, v{f['rn']}.2d", False
    op = PAIR.get((1, opcode))
    if op is None:
        raise _undefined(f)
    if size >> 1:
        op = op.replace("max", "min")
        if op == "faddp":
            raise _undefined(f)
    esize = 32 << (size & 1)
    f.update(op=op, fp=1, esize=esize, n=2)
    return op, f"{LETTER[esize]}{f['rd']}, v{f['rn']}.{2}{LETTER[esize]}", False


# ---------------------------------------------------------------- shifts by immediate

# (u, opcode) -> op; "r" = right shift (amount 2*esize - immh:immb), else left (immh:immb - esize)
SHIFTS = {(0, 0b00000): "sshr", (1, 0b00000): "ushr", (0, 0b00010): "ssra", (1, 0b00010): "usra",
          (0, 0b00100): "srshr", (1, 0b00100): "urshr", (1, 0b01000): "sri", (0, 0b01010): "shl", (1, 0b01010): "sli",
          (0, 0b10000): "shrn", (0, 0b10001): "rshrn", (0, 0b10100): "sshll", (1, 0b10100): "ushll",
          (0, 0b11100): "scvtf", (1, 0b11100): "ucvtf", (0, 0b11111): "fcvtzs", (1, 0b11111): "fcvtzu",
          (0, 0b00110): "srsra", (1, 0b00110): "ursra"}
LEFT = {"shl", "sli", "sshll", "ushll"}
SCALAR_SHIFTS = {"sshr", "ushr", "ssra", "usra", "srshr", "urshr", "sri", "shl", "sli", "srsra", "ursra",
                 "scvtf", "ucvtf", "fcvtzs", "fcvtzu"}


def fmt_simd_shift_imm(f, pc):
    u, immh, q = f["u"], f["immh"], f["q"]
    scalar = f.get("scalar", 0)
    op = SHIFTS.get((u, f["opcode"]))
    if op is None or immh == 0 or (scalar and op not in SCALAR_SHIFTS):
        raise _undefined(f)
    esize = 8 << (immh.bit_length() - 1)
    value = immh << 3 | f["immb"]
    f.update(op=op, fp=int("cvt" in op), signed=int(op in ("sshr", "ssra", "srshr", "srsra", "sshll")))
    f["shift"] = value - esize if op in LEFT else 2 * esize - value
    if f["fp"] and esize < 32:
        raise _undefined(f)
    if scalar and not f["fp"] and esize != 64:
        raise _undefined(f)
    if op in ("shrn", "rshrn"):                         # narrowing: source lanes 2*esize
        if esize == 64:
            raise _undefined(f)
        f.update(esize=esize, n=64 // esize, part=q)
        return op + ("2" if q else ""), f"{vreg(f['rd'], esize, q)}, {vreg(f['rn'], 2 * esize, 1)}, " \
            f"{imm(f['shift'])}", False
    if op in ("sshll", "ushll"):                        # widening: destination lanes 2*esize
        if esize == 64:
            raise _undefined(f)
        f.update(esize=esize, n=64 // esize, part=q)
        return op + ("2" if q else ""), f"{vreg(f['rd'], 2 * esize, 1)}, {vreg(f['rn'], esize, q)}, " \
            f"{imm(f['shift'])}", False
    lanes(f, esize)
    return op, f"{operand(f, f['rd'], esize)}, {operand(f, f['rn'], esize)}, {imm(f['shift'])}", False


def fmt_simd_scalar_shift_imm(f, pc):
    f.update(scalar=1, q=1)
    return fmt_simd_shift_imm(f, pc)


# ---------------------------------------------------------------- three registers, different types

# opcode -> (u=0 op, u=1 op); "l" forms widen both sources, "w" the second, "hn" narrow the result
DIFF = {0b0000: ("saddl", "uaddl"), 0b0001: ("saddw", "uaddw"), 0b0010: ("ssubl", "usubl"),
        0b0011: ("ssubw", "usubw"), 0b0100: ("addhn", "raddhn"), 0b0101: ("sabal", "uabal"),
        0b0110: ("subhn", "rsubhn"), 0b0111: ("sabdl", "uabdl"), 0b1000: ("smlal", "umlal"),
        0b1010: ("smlsl", "umlsl"), 0b1100: ("smull", "umull")}


def fmt_simd_three_diff(f, pc):
    u, size, q = f["u"], f["size"], f["q"]
    entry = DIFF.get(f["opcode"])
    if entry is None or size == 3:
        raise _undefined(f)
    op = entry[u]
    esize = 8 << size                                   # the narrow lanes
    f.update(op=op, signed=int(op[0] == "s"), esize=esize, n=64 // esize, part=q, fp=0)
    narrow, wide = vreg(0, esize, q)[3:], vreg(0, 2 * esize, 1)[3:]
    name = op + ("2" if q else "")
    if op.endswith("hn"):
        return name, f"v{f['rd']}.{narrow}, v{f['rn']}.{wide}, v{f['rm']}.{wide}", False
    if op.endswith("w"):
        return name, f"v{f['rd']}.{wide}, v{f['rn']}.{wide}, v{f['rm']}.{narrow}", False
    return name, f"v{f['rd']}.{wide}, v{f['rn']}.{narrow}, v{f['rm']}.{narrow}", False


# ---------------------------------------------------------------- by element

# (u, opcode) -> op; FP ones need size<1>
LONG = {"smlal", "umlal", "smlsl", "umlsl", "smull", "umull"}
INDEXED = {(0, 0b0001): "fmla", (0, 0b0101): "fmls", (0, 0b1001): "fmul", (0, 0b1000): "mul",
           (1, 0b0000): "mla", (1, 0b0100): "mls", (0, 0b0010): "smlal", (1, 0b0010): "umlal",
           (0, 0b0110): "smlsl", (1, 0b0110): "umlsl", (0, 0b1010): "smull", (1, 0b1010): "umull"}


def fmt_simd_indexed(f, pc):
    u, size, q = f["u"], f["size"], f["q"]
    op = INDEXED.get((u, f["opcode"]))
    if op is None:
        raise _undefined(f)
    fp = int(op[0] == "f")
    if fp:
        if size < 2 or (size == 3 and (f["l"] or not q)):
            raise _undefined(f)
        esize = 32 << (size & 1)
    else:
        if size in (0, 3):
            raise _undefined(f)
        esize = 8 << size
    if esize == 16:
        index, rm = f["h"] << 2 | f["l"] << 1 | f["m"], f["rm"]
    else:
        index, rm = (f["h"] << 1 | f["l"]) if esize == 32 else f["h"], f["m"] << 4 | f["rm"]
    f.update(op=op, fp=fp, index=index, rm=rm, signed=int(op[0] == "s"))
    elem = f"v{rm}.{LETTER[esize]}[{lane_index(index)}]"
    if op in LONG:                                   # long: widening by element
        f.update(esize=esize, n=64 // esize, part=q)
        return op + ("2" if q else ""), f"{vreg(f['rd'], 2 * esize, 1)}, {vreg(f['rn'], esize, q)}, {elem}", False
    lanes(f, esize)
    return op, f"{vreg(f['rd'], esize, q)}, {vreg(f['rn'], esize, q)}, {elem}", False


# ---------------------------------------------------------------- permutes, ext, tbl, copies

PERMUTE = {1: "uzp1", 2: "trn1", 3: "zip1", 5: "uzp2", 6: "trn2", 7: "zip2"}


def fmt_simd_permute(f, pc):
    op = PERMUTE.get(f["opcode"])
    if op is None:
        raise _undefined(f)
    esize = 8 << f["size"]
    f["op"] = op
    lanes(f, esize)
    return op, ", ".join(vreg(f[r], esize, f["q"]) for r in ("rd", "rn", "rm")), False


def fmt_simd_ext(f, pc):
    q = f["q"]
    if not q and f["imm4"] & 8:
        raise _undefined(f)
    lanes(f, 8)
    return "ext", ", ".join(vreg(f[r], 8, q) for r in ("rd", "rn", "rm")) + f", {imm(f['imm4'])}", False


def fmt_simd_tbl(f, pc):
    q, count = f["q"], f["len"] + 1
    regs = ", ".join(f"v{(f['rn'] + i) % 32}.16b" for i in range(count))
    lanes(f, 8)
    return ("tbx" if f["op"] else "tbl"), f"{vreg(f['rd'], 8, q)}, {{{regs}}}, {vreg(f['rm'], 8, q)}", False


def element(imm5: int) -> tuple[int, int]:
    """(esize, index) of a copy form's imm5 (the lowest set bit gives the size)."""
    low = (imm5 & -imm5).bit_length() - 1
    if imm5 == 0 or low > 3:
        return 0, 0
    return 8 << low, imm5 >> (low + 1)


def fmt_simd_copy(f, pc):
    q, op, imm4 = f["q"], f["op"], f["imm4"]
    esize, index = element(f["imm5"])
    if esize == 0:
        raise _undefined(f)
    f.update(esize=esize, index=index, n=(128 if q else 64) // esize)
    src = f"v{f['rn']}.{LETTER[esize]}[{lane_index(index)}]"
    if op:                                              # ins (element)
        if not q:
            raise _undefined(f)
        f.update(kind="ins_elem", src_index=imm4 >> (esize.bit_length() - 4))
        return "mov", f"v{f['rd']}.{LETTER[esize]}[{lane_index(index)}], " \
            f"v{f['rn']}.{LETTER[esize]}[{lane_index(f['src_index'])}]", False
    kind = {0: "dup_elem", 1: "dup_gen", 3: "ins_gen", 5: "smov", 7: "umov"}.get(imm4)
    if kind is None or (esize == 64 and not q and kind.startswith("dup")):
        raise _undefined(f)
    f["kind"] = kind
    if kind == "dup_elem":
        return "dup", f"{vreg(f['rd'], esize, q)}, {src}", False
    if kind == "dup_gen":
        return "dup", f"{vreg(f['rd'], esize, q)}, {reg(f['rn'], esize == 64)}", False
    if kind == "ins_gen":
        if not q:
            raise _undefined(f)
        return "mov", f"v{f['rd']}.{LETTER[esize]}[{lane_index(index)}], {reg(f['rn'], esize == 64)}", False
    if kind == "smov":
        if esize >= 32 and not (esize == 32 and q) or (esize == 32 and not q):
            raise _undefined(f)
        return "smov", f"{reg(f['rd'], q)}, {src}", False
    if (esize == 64) != bool(q):
        raise _undefined(f)
    return ("mov" if esize >= 32 else "umov"), f"{reg(f['rd'], q)}, {src}", False


def fmt_simd_scalar_copy(f, pc):
    esize, index = element(f["imm5"])
    if esize == 0 or f["op"] or f["imm4"]:
        raise _undefined(f)
    f.update(esize=esize, index=index, kind="dup_scalar")
    return "mov", f"{LETTER[esize]}{f['rd']}, v{f['rn']}.{LETTER[esize]}[{lane_index(index)}]", False


# ---------------------------------------------------------------- modified immediate


def fmt_simd_modimm(f, pc):
    q, op, cmode = f["q"], f["op"], f["cmode"]
    imm8 = f["abc"] << 5 | f["defgh"]
    f["kind"] = "mov"
    if cmode == 14 and op == 1:
        f["imm"] = enc.simd_expand_imm(op, cmode, imm8)
        f["imm"] |= f["imm"] << 64 if q else 0
        low = f["imm"] & enc.MASK64
        # capstone's spelling: zero as 16 digits, else byte pairs with only a zero top byte dropped
        shown = f"#0x{low:0{16 if low >> 56 else 14}x}" if low else "#0000000000000000"
        return "movi", (f"v{f['rd']}.2d, {shown}" if q else f"d{f['rd']}, {shown}"), False
    if cmode == 14 and op == 0:
        f["imm"] = imm8 * int("01" * (16 if q else 8), 16)
        return "movi", f"v{f['rd']}.{16 if q else 8}b, {imm(imm8)}", False
    if cmode == 15 and (op == 0 or q):                  # fmov vector, immediate
        value = enc.simd_expand_imm(op, cmode, imm8)
        f["imm"] = value | (value << 64 if q else 0)
        esize = 64 if op else 32
        number = fp_number(enc.vfp_expand_imm(imm8, esize), esize)
        return "fmov", f"{vreg(f['rd'], esize, q)}, {number}", False
    if cmode == 15:
        raise _undefined(f)
    value = enc.simd_expand_imm(0, cmode, imm8)
    half = cmode >> 2 == 2                              # 16-bit lanes (cmode 10x0 / 10x1)
    esize = 16 if half else 32
    shift = 8 * ((cmode >> 1) & (1 if half else 3))
    if cmode >> 1 == 6:                                 # 32-bit "shifting ones": msl
        shift_text = f", msl #{8 if cmode & 1 == 0 else 16}"
    else:
        shift_text = f", lsl #{shift}" if shift else ""
    if cmode & 1 and cmode < 12:                        # orr / bic (immediate)
        f["kind"] = "bic" if op else "orr"
        f["imm"] = value | (value << 64 if q else 0)
        return f["kind"], f"{vreg(f['rd'], esize, q)}, {imm(imm8)}{shift_text}", False
    if op:
        value ^= enc.MASK64
    f["imm"] = value | (value << 64 if q else 0)
    return ("mvni" if op else "movi"), f"{vreg(f['rd'], esize, q)}, {imm(imm8)}{shift_text}", False


# ---------------------------------------------------------------- structure loads and stores

# ldst_multi opcode -> (registers, structure elements)
MULTI = {0b0000: (4, 4), 0b0010: (4, 1), 0b0100: (3, 3), 0b0110: (3, 1), 0b0111: (1, 1), 0b1000: (2, 2),
         0b1010: (2, 1)}


def _post_index(f, nbytes: int) -> str:
    if "rm" not in f:
        return ""
    f["post"] = "imm" if f["rm"] == 31 else "reg"
    f["post_bytes"] = nbytes
    return f", #{nbytes}" if f["rm"] == 31 else f", {reg(f['rm'])}"      # capstone: decimal here


def fmt_ldst_multi(f, pc):
    entry = MULTI.get(f["opcode"])
    q, esize = f["q"], 8 << f["size"]
    if entry is None or (esize == 64 and not q and entry[1] > 1):
        raise _undefined(f)
    nregs, selem = entry
    f.update(nregs=nregs, selem=selem, esize=esize, regbytes=16 if q else 8, post="")
    name = ("ld" if f["l"] else "st") + str(selem)
    regs = ", ".join(f"v{(f['rt'] + i) % 32}.{ARRANGEMENT[esize, q]}" for i in range(nregs))
    return name, f"{{{regs}}}, [{reg(f['rn'])}]" + _post_index(f, nregs * f["regbytes"]), False


def fmt_ld_rep(f, pc):
    esize, q = 8 << f["size"], f["q"]
    f.update(esize=esize, post="")
    return "ld1r", f"{{{vreg(f['rt'], esize, q)}}}, [{reg(f['rn'])}]" + _post_index(f, esize // 8), False


def fmt_ldst_single(f, pc):
    """ld1/st1 of one lane ({v0.s}[1]); the 2-4 register forms stay UNDEFINED."""
    opcode, s, size, q = f["opcode"], f["s"], f["size"], f["q"]
    if f["r"] or opcode & 1 or opcode >= 6:
        raise _undefined(f)
    scale = opcode >> 1
    if scale == 1 and size & 1 or scale == 2 and size >= 2 or (scale == 2 and size == 1 and s):
        raise _undefined(f)
    if scale == 2 and size == 1:
        scale = 3
    index = {0: q << 3 | s << 2 | size, 1: q << 2 | s << 1 | size >> 1, 2: q << 1 | s, 3: q}[scale]
    esize = 8 << scale
    f.update(esize=esize, index=index, post="")
    name = "ld1" if f["l"] else "st1"
    return name, f"{{v{f['rt']}.{LETTER[esize]}}}[{lane_index(index)}], [{reg(f['rn'])}]" \
        + _post_index(f, esize // 8), False


SIMD_FORMATTERS: dict = {name[4:]: fn for name, fn in globals().items() if name.startswith("fmt_")}
