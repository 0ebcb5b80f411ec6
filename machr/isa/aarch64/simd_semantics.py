"""Semantics of the Advanced SIMD forms (see semantics.py for conventions).

Vector registers are the 128-bit state variables q0..q31.  Lane-wise
operations are written as one comprehension over the lanes, e.g. ``add
v0.4s, v1.4s, v2.4s`` is ``q0 = pack([a + b for a, b in zip(elems(q1, 32,
4), elems(q2, 32, 4))], 32)``: `elems` reads lanes (sign-extended for the
signed operations), the expression says what one lane does with ``a``,
``b`` (the sources) and ``d`` (the destination's old lane), and `pack`
masks each result lane back into place.  A write with fewer lanes than the
register holds zeroes the rest (ARM ARM V[] writes); the "2" forms that
write the upper half keep the lower one.  FP lanes go through `fp_map`
(fp.py), which also collects the FPSR exceptions.
"""

from __future__ import annotations

import re

from machr.isa.aarch64.exprs import rd_reg, sext, wr_reg
from machr.isa.aarch64.fp_semantics import ROUNDING, lane_mask, lanes_op
from machr.isa.aarch64.simd_text import LONG

M64 = (1 << 64) - 1
M128 = (1 << 128) - 1


def width_mask(f) -> int:
    return M128 if f.get("q", 1) and not f.get("scalar") else M64


def signs(esize: int, n: int) -> int:
    """The sign bit of each of `n` lanes (FPNeg of a vector is an XOR with this)."""
    return sum(1 << (i * esize + esize - 1) for i in range(n))


def half(src: str, part: int) -> str:
    """The source's upper half for the "2" forms (narrow operands of widening ops)."""
    return f"({src} >> 64)" if part else src


def elems(src: str, esize: int, n: int, signed: int = 0) -> str:
    return f"elems({src}, {esize}, {n}, {signed})" if signed else f"elems({src}, {esize}, {n})"


def lanewise(expr: str, out_esize: int, operands: list[tuple[str, str]]) -> str:
    """`pack([expr for names in zip(sources)], out_esize)`; operands are (lane name, elems(...) text)."""
    names = ", ".join(name for name, _ in operands)
    if len(operands) == 1:
        return f"pack([{expr} for {names} in {operands[0][1]}], {out_esize})"
    return f"pack([{expr} for {names} in zip({', '.join(src for _, src in operands)})], {out_esize})"


def write_part(rd: int, value: str, part: int) -> list[str]:
    """Write a 64-bit result to the lower half (upper zeroed) or, for the "2" forms, the upper half."""
    if part:
        return [f"q{rd} = (q{rd} & {M64:#x}) | ({value} << 64)"]
    return [f"q{rd} = {value}"]


def reads_dest(expr: str) -> bool:
    """Whether a lane expression uses the destination's old lane `d`."""
    return re.search(r"\bd\b", expr) is not None


def saturating(rd: int, lanes_text: str, esize: int, signed: int, part: int = 0) -> list[str]:
    return [f"_tr = saturate({lanes_text}, {esize}, {signed})"] + write_part(rd, "_tr[0]", part) + ["fpsr |= _tr[1]"]


# ---------------------------------------------------------------- three registers, same type

INT_EXPR = {
    "add": "a + b", "sub": "a - b", "mul": "a * b", "mla": "d + a * b", "mls": "d - a * b",
    "shadd": "(a + b) >> 1", "uhadd": "(a + b) >> 1", "srhadd": "(a + b + 1) >> 1", "urhadd": "(a + b + 1) >> 1",
    "shsub": "(a - b) >> 1", "uhsub": "(a - b) >> 1",
    "cmgt": "-(a > b)", "cmhi": "-(a > b)", "cmge": "-(a >= b)", "cmhs": "-(a >= b)", "cmeq": "-(a == b)",
    "cmtst": "-((a & b) != 0)", "smax": "max(a, b)", "umax": "max(a, b)", "smin": "min(a, b)", "umin": "min(a, b)",
    "sabd": "abs(a - b)", "uabd": "abs(a - b)", "saba": "d + abs(a - b)", "uaba": "d + abs(a - b)",
    "sshl": "vshl(a, b)", "ushl": "vshl(a, b)",
    "sqadd": "a + b", "uqadd": "a + b", "sqsub": "a - b", "uqsub": "a - b",
    "addp": "a + b", "smaxp": "max(a, b)", "umaxp": "max(a, b)", "sminp": "min(a, b)", "uminp": "min(a, b)",
}
LOGIC_EXPR = {"and": "{n} & {m}", "bic": "{n} & ~{m}", "orr": "{n} | {m}", "orn": "{n} | ~{m}", "eor": "{n} ^ {m}",
              "bsl": "{m} ^ (({m} ^ {n}) & {d})", "bit": "{d} ^ (({d} ^ {n}) & {m})",
              "bif": "{d} ^ (({d} ^ {n}) & ~{m})", "mov": "{n}"}
FP_CALLS = {"fadd": ("fp_add",), "fsub": ("fp_sub",), "fmul": ("fp_mul",), "fdiv": ("fp_div",),
            "fmax": ("fp_minmax", 1, 0), "fmin": ("fp_minmax", 0, 0), "fmaxnm": ("fp_minmax", 1, 1),
            "fminnm": ("fp_minmax", 0, 1), "fabd": ("fp_sub",), "fcmeq": ("fp_cmp_mask", "'eq'"),
            "fcmge": ("fp_cmp_mask", "'ge'"), "fcmgt": ("fp_cmp_mask", "'gt'"), "facge": ("fp_cmp_mask", "'ge'"),
            "facgt": ("fp_cmp_mask", "'gt'"), "faddp": ("fp_add",), "fmaxp": ("fp_minmax", 1, 0),
            "fminp": ("fp_minmax", 0, 0), "fmaxnmp": ("fp_minmax", 1, 1), "fminnmp": ("fp_minmax", 0, 1)}


def int_same(f, op: str, rn: str, rm: str) -> list[str]:
    """An integer three-same op over q-register expressions rn, rm (rm may be a replicated element)."""
    e, n, s, rd = f["esize"], f["n"], f.get("signed", 0), f["rd"]
    if op.endswith("p"):                               # pairwise: adjacent lanes of rn:rm
        return [f"_tp = {elems(rn, e, n, s)} + {elems(rm, e, n, s)}",
                f"q{rd} = " + lanewise(INT_EXPR[op], e, [("a", "_tp[0::2]"), ("b", "_tp[1::2]")])]
    operands = [("a", elems(rn, e, n, s)), ("b", elems(rm, e, n, s))]
    if reads_dest(INT_EXPR[op]):
        operands.insert(0, ("d", elems(f"q{rd}", e, n)))
    names = ", ".join(x for x, _ in operands)
    if op[1:3] in ("qa", "qs"):
        return saturating(rd, f"[{INT_EXPR[op]} for {names} in zip({', '.join(x for _, x in operands)})]", e, s)
    return [f"q{rd} = " + lanewise(INT_EXPR[op], e, operands)]


def fp_same(f, op: str, rn: str, rm: str) -> list[str]:
    e, n, rd = f["esize"], f["n"], f["rd"]
    if op in ("fmla", "fmls"):                         # FPMulAdd(d, ±n, m)
        neg = f" ^ {signs(e, n):#x}" if op == "fmls" else ""
        return lanes_op(rd, "fp_muladd", e, n, [f"q{rd}", f"({rn}{neg})", rm])
    fn, *args = FP_CALLS[op]
    if op.endswith("p"):                               # pairwise: adjacent lanes of rn:rm
        pre = [f"_tp = {elems(rn, e, n)} + {elems(rm, e, n)}"]
        return pre + lanes_op(rd, fn, e, n, [f"pack(_tp[0::2], {e})", f"pack(_tp[1::2], {e})"], *args)
    if op.startswith("fac"):                           # compare absolute values
        rn, rm = f"({rn} & {signs(e, n) ^ lane_mask(e * n):#x})", f"({rm} & {signs(e, n) ^ lane_mask(e * n):#x})"
    post = f" & {signs(e, n) ^ lane_mask(e * n):#x}" if op == "fabd" else ""
    return lanes_op(rd, fn, e, n, [rn, rm], *args, post=post)


def t_simd_three_same(f, insn):
    op = f["op"]
    rn, rm = f"q{f['rn']}", f"q{f['rm']}"
    if op in LOGIC_EXPR:
        expr = LOGIC_EXPR[op].format(n=rn, m=rm, d=f"q{f['rd']}")
        return [f"q{f['rd']} = ({expr}) & {width_mask(f):#x}"]
    if f["fp"]:
        return fp_same(f, op, rn, rm)
    return int_same(f, op, rn, rm)


t_simd_scalar_three_same = t_simd_three_same


# ---------------------------------------------------------------- two registers, miscellaneous

MISC_EXPR = {"cmgt": "-(a > 0)", "cmeq": "-(a == 0)", "cmlt": "-(a < 0)", "cmge": "-(a >= 0)", "cmle": "-(a <= 0)",
             "abs": "abs(a)", "neg": "-a", "cnt": "a.bit_count()", "rbit": "rbit(a, 8)",
             "clz": "{e} - a.bit_length()", "cls": "{e} - 1 - (a if a >= 0 else ~a).bit_length()"}
FP_MISC_CALLS = {"fcmgt": ("fp_cmp_mask", "'gt'"), "fcmeq": ("fp_cmp_mask", "'eq'"), "fcmge": ("fp_cmp_mask", "'ge'"),
                 "fcmlt": ("fp_cmp_mask", "'gt'"), "fcmle": ("fp_cmp_mask", "'ge'"), "fsqrt": ("fp_sqrt",)}
REV_CONTAINER = {"rev64": 64, "rev32": 32, "rev16": 16}


def t_simd_two_misc(f, insn):
    op, rd, rn = f["op"], f["rd"], f"q{f['rn']}"
    e, n = f["esize"], f["n"]
    if f["fp"]:
        return fp_misc(f, op, rd, rn)
    if op == "mvn":
        return [f"q{rd} = ~{rn} & {width_mask(f):#x}"]
    if op in REV_CONTAINER:                            # reverse the lanes inside each container
        k = REV_CONTAINER[op] // e - 1
        return [f"_tl = {elems(rn, e, n)}", f"q{rd} = pack([_tl[i ^ {k}] for i in range({n})], {e})"]
    if op in ("xtn", "sqxtn", "uqxtn", "sqxtun"):
        src = elems(rn, 2 * e, n, int(op != "uqxtn"))
        if op == "xtn":
            return write_part(rd, lanewise("a", e, [("a", src)]), f["part"])
        return saturating(rd, src, e, int(op == "sqxtn"), f.get("part", 0))
    if op.endswith("lp"):                              # pairwise add long, accumulating for adalp
        acc = "d + " if "adalp" in op else ""
        lanes = [("d", elems(f"q{rd}", 2 * e, n // 2))] if acc else []
        return [f"_tl = {elems(rn, e, n, f['signed'])}",
                f"q{rd} = " + lanewise(f"{acc}a + b", 2 * e, lanes + [("a", "_tl[0::2]"), ("b", "_tl[1::2]")])]
    signed = int(op.startswith(("cm", "abs", "cls")))
    return [f"q{rd} = " + lanewise(MISC_EXPR[op].format(e=e), e, [("a", elems(rn, e, n, signed))])]


def fp_misc(f, op: str, rd: int, rn: str) -> list[str]:
    e, n = f["esize"], f["n"]
    if op == "fabs":
        return [f"q{rd} = {rn} & {signs(e, n) ^ lane_mask(e * n):#x}"]
    if op == "fneg":
        return [f"q{rd} = ({rn} ^ {signs(e, n):#x}) & {lane_mask(e * n):#x}"]
    if op == "fcvtl":
        return lanes_op(rd, "fp_convert", e, n, [half(rn, f["part"])], 2 * e, osize=2 * e)
    if op == "fcvtn":
        out = lanes_op(rd, "fp_convert", e, n, [rn], e // 2, osize=e // 2)
        return out[:1] + write_part(rd, "_tr[0]", f["part"]) + out[2:]
    if op in FP_MISC_CALLS:
        fn, *args = FP_MISC_CALLS[op]
        operands = ["0", rn] if op in ("fcmlt", "fcmle") else [rn, "0"] if fn == "fp_cmp_mask" else [rn]
        return lanes_op(rd, fn, e, n, operands, *args)
    if op.startswith("frint"):
        return lanes_op(rd, "fp_round_int", e, n, [rn], ROUNDING[op[-1]], int(op == "frintx"))
    if op in ("scvtf", "ucvtf"):
        return lanes_op(rd, "int_to_fp_lane", e, n, [rn], int(op == "ucvtf"), f.get("shift", 0))
    # fcvt<r><s|u>: FPToFixed at the lane's own width
    return lanes_op(rd, "fp_to_fixed", e, n, [rn], f.get("shift", 0), e, int(op[-1] == "u"), ROUNDING[op[4]])


t_simd_scalar_two_misc = t_simd_two_misc


# ---------------------------------------------------------------- across lanes, pairwise scalar

ACROSS_EXPR = {"addv": "sum({l})", "saddlv": "sum({l})", "uaddlv": "sum({l})", "smaxv": "max({l})",
               "umaxv": "max({l})", "sminv": "min({l})", "uminv": "min({l})"}
FP_ACROSS_CALLS = {"fmaxnmv": ("fp_minmax", 1, 1), "fminnmv": ("fp_minmax", 0, 1), "fmaxv": ("fp_minmax", 1, 0),
                   "fminv": ("fp_minmax", 0, 0)}


def t_simd_across(f, insn):
    op, e, n, rd = f["op"], f["esize"], f["n"], f["rd"]
    if f["fp"]:
        fn, *args = FP_ACROSS_CALLS[op]
        extra = "".join(f", {a}" for a in args)
        return [f"_tr = fp_reduce({fn}, q{f['rn']}, {e}, {n}, fpcr{extra})", f"q{rd} = _tr[0]", "fpsr |= _tr[1]"]
    out = 2 * e if op.endswith("lv") else e
    value = ACROSS_EXPR[op].format(l=elems(f"q{f['rn']}", e, n, f["signed"]))
    return [f"q{rd} = ({value}) & {lane_mask(out):#x}"]


def t_simd_scalar_pair(f, insn):
    e, rn, rd = f["esize"], f"q{f['rn']}", f["rd"]
    if not f["fp"]:
        return [f"q{rd} = ({rn} + ({rn} >> 64)) & {M64:#x}"]
    fn, *args = FP_CALLS[f["op"]]
    return lanes_op(rd, fn, e, 1, [rn, f"({rn} >> {e})"], *args)


# ---------------------------------------------------------------- shifts by immediate

SHIFT_EXPR = {"sshr": "a >> {s}", "ushr": "a >> {s}", "ssra": "d + (a >> {s})", "usra": "d + (a >> {s})",
              "srshr": "(a + {r}) >> {s}", "urshr": "(a + {r}) >> {s}", "srsra": "d + ((a + {r}) >> {s})",
              "ursra": "d + ((a + {r}) >> {s})", "shl": "a << {s}", "sli": "(a << {s}) | (d & {low:#x})",
              "sri": "(a >> {s}) | (d & {high:#x})", "shrn": "a >> {s}", "rshrn": "(a + {r}) >> {s}",
              "sshll": "a << {s}", "ushll": "a << {s}"}


def t_simd_shift_imm(f, insn):
    op, e, n, s, rd = f["op"], f["esize"], f["n"], f["shift"], f["rd"]
    rn = f"q{f['rn']}"
    if f["fp"]:
        return fp_misc(f, op, rd, rn)
    expr = SHIFT_EXPR[op].format(s=s, r=(1 << s - 1) if s else 0, low=(1 << s) - 1,
                                 high=lane_mask(e) ^ (lane_mask(e) >> s))
    if op in ("shrn", "rshrn"):
        return write_part(rd, lanewise(expr, e, [("a", elems(rn, 2 * e, n))]), f["part"])
    if op in ("sshll", "ushll"):
        return [f"q{rd} = " + lanewise(expr, 2 * e, [("a", elems(half(rn, f["part"]), e, n, f["signed"]))])]
    operands = [("a", elems(rn, e, n, f["signed"]))]
    if reads_dest(expr):
        operands.insert(0, ("d", elems(f"q{rd}", e, n)))
    return [f"q{rd} = " + lanewise(expr, e, operands)]


t_simd_scalar_shift_imm = t_simd_shift_imm


# ---------------------------------------------------------------- three registers, different types

DIFF_EXPR = {"addl": "a + b", "addw": "a + b", "subl": "a - b", "subw": "a - b", "abal": "d + abs(a - b)",
             "abdl": "abs(a - b)", "mlal": "d + a * b", "mlsl": "d - a * b", "mull": "a * b",
             "addhn": "(a + b) >> {e}", "raddhn": "(a + b + {r}) >> {e}", "subhn": "(a - b) >> {e}",
             "rsubhn": "(a - b + {r}) >> {e}"}


def long_op(f, op: str, rn: str, rm: str) -> list[str]:
    """The widening/narrowing three-different ops (and the long by-element ones, rm replicated)."""
    e, n, s, rd, part = f["esize"], f["n"], f["signed"], f["rd"], f["part"]
    key = op if op.endswith("hn") else op[1:]
    expr = DIFF_EXPR[key].format(e=e, r=1 << (e - 1))
    if op.endswith("hn"):                              # wide sources, narrow result into one half
        return write_part(rd, lanewise(expr, e, [("a", elems(rn, 2 * e, n)), ("b", elems(rm, 2 * e, n))]), part)
    a_src = elems(rn, 2 * e, n, s) if op.endswith("w") else elems(half(rn, part), e, n, s)
    operands = [("a", a_src), ("b", elems(half(rm, part), e, n, s))]
    if reads_dest(expr):
        operands.insert(0, ("d", elems(f"q{rd}", 2 * e, n)))
    return [f"q{rd} = " + lanewise(expr, 2 * e, operands)]


def t_simd_three_diff(f, insn):
    return long_op(f, f["op"], f"q{f['rn']}", f"q{f['rm']}")


def t_simd_indexed(f, insn):
    """The by-element forms: the element is replicated across a vector, then the vector op runs."""
    e, op = f["esize"], f["op"]
    pre = [f"_te = pack([q{f['rm']} >> {f['index'] * e} & {lane_mask(e):#x}] * {128 // e}, {e})"]
    if f["fp"]:
        return pre + fp_same(f, op, f"q{f['rn']}", "_te")
    if op in LONG:
        return pre + long_op(f, op, f"q{f['rn']}", "_te")
    return pre + int_same(f, op, f"q{f['rn']}", "_te")


# ---------------------------------------------------------------- permutes, ext, tbl, copies

PERMUTE_EXPR = {"zip1": "[x for i in range({h}) for x in (_tn[i], _tm[i])]",
                "zip2": "[x for i in range({h}, {n}) for x in (_tn[i], _tm[i])]",
                "uzp1": "(_tn + _tm)[0::2]", "uzp2": "(_tn + _tm)[1::2]",
                "trn1": "[x for i in range(0, {n}, 2) for x in (_tn[i], _tm[i])]",
                "trn2": "[x for i in range(1, {n}, 2) for x in (_tn[i], _tm[i])]"}


def t_simd_permute(f, insn):
    e, n = f["esize"], f["n"]
    lanes = PERMUTE_EXPR[f["op"]].format(h=n // 2, n=n)
    rn, rm = f"q{f['rn']}", f"q{f['rm']}"
    return [f"_tn = {elems(rn, e, n)}", f"_tm = {elems(rm, e, n)}", f"q{f['rd']} = pack({lanes}, {e})"]


def t_simd_ext(f, insn):
    bits = 128 if f["q"] else 64
    m = (1 << bits) - 1
    return [f"q{f['rd']} = ((((q{f['rm']} & {m:#x}) << {bits}) | (q{f['rn']} & {m:#x})) >> {8 * f['imm4']}) & {m:#x}"]


def t_simd_tbl(f, insn):
    count, n = f["len"] + 1, f["n"]
    table = " | ".join(f"(q{(f['rn'] + i) % 32} << {128 * i})" for i in range(count))
    miss = "d" if f["op"] else "0"
    operands = ([("d", elems(f"q{f['rd']}", 8, n))] if f["op"] else []) + [("b", elems(f"q{f['rm']}", 8, n))]
    return [f"_tt = {table}",
            f"q{f['rd']} = " + lanewise(f"(_tt >> (8 * b)) & 0xFF if b < {16 * count} else {miss}", 8, operands)]


def insert(rd: int, esize: int, index: int, value: str) -> list[str]:
    """Replace one lane of q<rd>, keeping the others."""
    sh = esize * index
    return [f"q{rd} = (q{rd} & {M128 ^ (lane_mask(esize) << sh):#x}) | (({value}) << {sh})"]


def t_simd_copy(f, insn):
    kind, e, idx, n, rd, rn = f["kind"], f["esize"], f["index"], f["n"], f["rd"], f["rn"]
    lane = f"(q{rn} >> {e * idx} & {lane_mask(e):#x})"
    if kind == "dup_elem":
        return [f"q{rd} = pack([{lane}] * {n}, {e})"]
    if kind == "dup_gen":
        return [f"q{rd} = pack([{rd_reg(rn)}] * {n}, {e})"]
    if kind == "ins_gen":
        return insert(rd, e, idx, f"{rd_reg(rn)} & {lane_mask(e):#x}")
    if kind == "ins_elem":
        return insert(rd, e, idx, f"q{rn} >> {e * f['src_index']} & {lane_mask(e):#x}")
    if kind == "smov":
        return wr_reg(rd, sext(lane, e), f["q"])
    return wr_reg(rd, lane)


def t_simd_scalar_copy(f, insn):
    return [f"q{f['rd']} = q{f['rn']} >> {f['esize'] * f['index']} & {lane_mask(f['esize']):#x}"]


def t_simd_modimm(f, insn):
    rd, value = f["rd"], f["imm"]
    m = M128 if f["q"] else M64
    if f["kind"] == "orr":
        return [f"q{rd} = (q{rd} | {value:#x}) & {m:#x}"]
    if f["kind"] == "bic":
        return [f"q{rd} = q{rd} & {~value & m:#x}"]
    return [f"q{rd} = {value:#x}"]


# ---------------------------------------------------------------- structure loads and stores


def writeback(f) -> list[str]:
    """Post-index: the base moves by the transfer size (rm = 31) or by x<rm>."""
    if not f["post"]:
        return []
    step = f["post_bytes"] if f["post"] == "imm" else rd_reg(f["rm"])
    return wr_reg(f["rn"], f"_ta + {step}")


def t_ldst_multi(f, insn):
    nregs, selem, e, rb = f["nregs"], f["selem"], f["esize"], f["regbytes"]
    regs = [(f["rt"] + i) % 32 for i in range(nregs)]
    bits, n = 8 * rb, 8 * rb // e
    out = [f"_ta = {rd_reg(f['rn'])}"]
    if not f["l"]:
        if selem == 1:
            data = " | ".join(f"((q{r} & {lane_mask(bits):#x}) << {bits * i})" for i, r in enumerate(regs))
        else:
            data = f"interleave(({''.join(f'q{r}, ' for r in regs)}), {e}, {n})"
        out.append(f"_tv = {data}")
        out += [f"st{bits}((_ta + {rb * i}) & {M64:#x}, (_tv >> {bits * i}) & {lane_mask(bits):#x})"
                for i in range(nregs)]
        return out + writeback(f)
    out.append("_tv = " + " | ".join(f"(ld{bits}((_ta + {rb * i}) & {M64:#x}) << {bits * i})" for i in range(nregs)))
    if selem == 1:
        regs_out = [f"q{r} = (_tv >> {bits * i}) & {lane_mask(bits):#x}" for i, r in enumerate(regs)]
    else:
        regs_out = [f"_tl = deinterleave(_tv, {e}, {selem}, {n})"] + [f"q{r} = _tl[{i}]" for i, r in enumerate(regs)]
    return out + writeback(f) + regs_out


def t_ld_rep(f, insn):
    e = f["esize"]
    n = (128 if f["q"] else 64) // e
    return [f"_ta = {rd_reg(f['rn'])}", f"_tv = ld{e}(_ta)"] + writeback(f) + [f"q{f['rt']} = pack([_tv] * {n}, {e})"]


def t_ldst_single(f, insn):
    e, idx, rt = f["esize"], f["index"], f["rt"]
    out = [f"_ta = {rd_reg(f['rn'])}"]
    if f["l"]:
        return out + [f"_tv = ld{e}(_ta)"] + writeback(f) + insert(rt, e, idx, "_tv")
    return out + [f"st{e}(_ta, q{rt} >> {e * idx} & {lane_mask(e):#x})"] + writeback(f)


SIMD_SEMANTICS: dict = {name[2:]: fn for name, fn in globals().items() if name.startswith("t_")}
