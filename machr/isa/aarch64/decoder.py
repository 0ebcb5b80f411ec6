"""A64 decoder: bytes → `Insn`, driven by `encoding.ENCODINGS`.

The table gives the form and raw fields; one *formatter* per form then checks
the fields the form leaves unallocated (raising `DecodeError`, which the
translator turns into an UNDEFINED exit) and produces capstone's text for
the instruction, preferred aliases included (capstone follows LLVM's
AArch64InstPrinter).  Register fields that read register 31 as SP hold 32
after decoding, so text and semantics tell SP from XZR by the number alone.
"""

from __future__ import annotations

from typing import Callable

from machr.isa.aarch64 import encoding as enc
from machr.isa.aarch64 import sysregs
from machr.isa.aarch64.fp_text import FP_FORMATTERS
from machr.isa.aarch64.simd_text import SIMD_FORMATTERS
from machr.isa.aarch64.text import CONDS, imm, mem, reg, shift_text
from machr.isa.base import DecodeError, Insn, NeedMoreBytes

SP = 32
BUCKET_SHIFT = 21          # rows are pre-sorted into buckets by the word's top 11 bits


def _build_rows():
    rows = []
    for form, pattern, sp_fields in enc.ENCODINGS:
        mask, value, fields = enc.parse_pattern(pattern)
        rows.append((mask, value, form, fields, frozenset(sp_fields.split())))
    buckets = []
    for top in range(1 << (32 - BUCKET_SHIFT)):
        key = top << BUCKET_SHIFT
        buckets.append(tuple(r for r in rows if (key ^ r[1]) & r[0] & ~((1 << BUCKET_SHIFT) - 1) == 0))
    return buckets


_BUCKETS = _build_rows()


def decode(buf: bytes, pc: int) -> Insn:
    """Decode the instruction at `pc` from `buf` (the bytes from pc on)."""
    if len(buf) < 4:
        raise NeedMoreBytes(f"{len(buf)} bytes at {pc:#x}")
    word = int.from_bytes(buf[:4], "little")
    row = next((r for r in _BUCKETS[word >> BUCKET_SHIFT] if word & r[0] == r[1]), None)
    if row is None:
        raise DecodeError(f"unallocated {word:#010x} at {pc:#x}")
    _, _, form, fields, sp_fields = row
    f = {"word": word}
    for name, shift, width in fields:
        v = (word >> shift) & ((1 << width) - 1)
        f[name] = SP if v == 31 and name in sp_fields else v
    formatter = FORMATTERS.get(form)
    if formatter is None:
        raise DecodeError(f"{form} not implemented: {word:#010x} at {pc:#x}")
    mnemonic, op_str, ends = formatter(f, pc)
    return Insn(pc, 4, mnemonic, op_str, form, f, ends, bytes(buf[:4]))


def _undefined(f) -> DecodeError:
    return DecodeError(f"unallocated {f['word']:#010x}")


Text = tuple[str, str, bool]

# ---------------------------------------------------------------- data processing, immediate


def fmt_adr(f, pc) -> Text:
    off = enc.sign_extend(f["immhi"] << 2 | f["immlo"], 21)
    if f["op"]:
        f["target"] = ((pc & ~0xFFF) + (off << 12)) & enc.MASK64
        return "adrp", f"{reg(f['rd'])}, {imm(f['target'])}", False
    f["target"] = (pc + off) & enc.MASK64
    return "adr", f"{reg(f['rd'])}, {imm(f['target'])}", False


def fmt_addsub_imm(f, pc) -> Text:
    sf, rd, rn = f["sf"], f["rd"], f["rn"]
    val = imm(f["imm12"]) + (", lsl #12" if f["sh"] else "")
    if f["s"] and rd == 31:
        return ("cmp" if f["op"] else "cmn"), f"{reg(rn, sf)}, {val}", False
    if not f["op"] and not f["s"] and f["imm12"] == 0 and f["sh"] == 0 and SP in (rd, rn):
        return "mov", f"{reg(rd, sf)}, {reg(rn, sf)}", False
    name = ("sub" if f["op"] else "add") + ("s" if f["s"] else "")
    return name, f"{reg(rd, sf)}, {reg(rn, sf)}, {val}", False


def fmt_logic_imm(f, pc) -> Text:
    sf = f["sf"]
    width = 64 if sf else 32
    if not sf and f["n"]:
        raise _undefined(f)
    value = enc.decode_bit_masks(f["n"], f["imms"], f["immr"], width)
    if value is None:
        raise _undefined(f)
    f["imm"] = value
    rd, rn, opc = f["rd"], f["rn"], f["opc"]
    if opc == 3:                      # capstone prints 64-bit ands/tst immediates signed
        shown = imm(enc.sign_extend(value, width) if sf else value)
        if rd == 31:
            return "tst", f"{reg(rn, sf)}, {shown}", False
        return "ands", f"{reg(rd, sf)}, {reg(rn, sf)}, {shown}", False
    if opc == 1 and rn == 31 and not _movewide_able(value, width):
        return "mov", f"{reg(rd, sf)}, {imm(enc.sign_extend(value, width))}", False
    return ("and", "orr", "eor", "ands")[opc], f"{reg(rd, sf)}, {reg(rn, sf)}, {imm(value)}", False


def _movewide_able(value: int, width: int) -> bool:
    """True when movz or movn could build `value` (then `mov` means those, not orr)."""
    mask = (1 << width) - 1
    for v in (value, ~value & mask):
        if any(v & ~(0xFFFF << s) & mask == 0 for s in range(0, width, 16)):
            return True
    return False


def fmt_movewide(f, pc) -> Text:
    sf, opc, hw, imm16 = f["sf"], f["opc"], f["hw"], f["imm16"]
    if opc == 1 or (not sf and hw >= 2):
        raise _undefined(f)
    rd = reg(f["rd"], sf)
    if opc == 3:
        return "movk", f"{rd}, {imm(imm16)}" + (f", lsl #{16 * hw}" if hw else ""), False
    width = 64 if sf else 32
    value = imm16 << (16 * hw)
    if opc == 2 and not (imm16 == 0 and hw):
        return "mov", f"{rd}, {imm(enc.sign_extend(value, width))}", False
    if opc == 0 and not (imm16 == 0 and hw) and not (not sf and imm16 == 0xFFFF):
        return "mov", f"{rd}, {imm(enc.sign_extend(~value & ((1 << width) - 1), width))}", False
    return ("movn", "", "movz")[opc], f"{rd}, {imm(imm16)}" + (f", lsl #{16 * hw}" if hw else ""), False


def fmt_bitfield(f, pc) -> Text:
    sf, opc, immr, imms = f["sf"], f["opc"], f["immr"], f["imms"]
    width = 64 if sf else 32
    if opc == 3 or f["n"] != sf or immr >= width or imms >= width:
        raise _undefined(f)
    rd, rn = reg(f["rd"], sf), reg(f["rn"], sf)
    if opc == 1:
        if imms < immr:
            return "bfi", f"{rd}, {rn}, {imm(width - immr)}, {imm(imms + 1)}", False
        return "bfxil", f"{rd}, {rn}, {imm(immr)}, {imm(imms - immr + 1)}", False
    signed = opc == 0
    if immr == 0 and imms in (7, 15, 31):
        ext = {7: "b", 15: "h", 31: "w"}[imms]
        if signed and (sf or imms != 31):
            return f"sxt{ext}", f"{rd}, {reg(f['rn'], 0)}", False
        if not signed and not sf and imms != 31:
            return f"uxt{ext}", f"{rd}, {rn}", False
    if imms == width - 1:
        return ("asr" if signed else "lsr"), f"{rd}, {rn}, {imm(immr)}", False
    if not signed and imms + 1 == immr:
        return "lsl", f"{rd}, {rn}, {imm(width - 1 - imms)}", False
    kind = "s" if signed else "u"
    if imms < immr:
        return f"{kind}bfiz", f"{rd}, {rn}, {imm(width - immr)}, {imm(imms + 1)}", False
    return f"{kind}bfx", f"{rd}, {rn}, {imm(immr)}, {imm(imms - immr + 1)}", False


def fmt_extr(f, pc) -> Text:
    sf = f["sf"]
    if f["n"] != sf or (not sf and f["imms"] >= 32):
        raise _undefined(f)
    rd, rn, rm = reg(f["rd"], sf), reg(f["rn"], sf), reg(f["rm"], sf)
    if f["rn"] == f["rm"]:
        return "ror", f"{rd}, {rn}, {imm(f['imms'])}", False
    return "extr", f"{rd}, {rn}, {rm}, {imm(f['imms'])}", False


# ---------------------------------------------------------------- branches, exceptions, system


def fmt_b_imm(f, pc) -> Text:
    f["target"] = (pc + (enc.sign_extend(f["imm26"], 26) << 2)) & enc.MASK64
    return ("bl" if f["op"] else "b"), imm(f["target"]), True


def fmt_b_cond(f, pc) -> Text:
    f["target"] = (pc + (enc.sign_extend(f["imm19"], 19) << 2)) & enc.MASK64
    return f"b.{CONDS[f['cond']]}", imm(f["target"]), True


def fmt_cbz(f, pc) -> Text:
    f["target"] = (pc + (enc.sign_extend(f["imm19"], 19) << 2)) & enc.MASK64
    return ("cbnz" if f["op"] else "cbz"), f"{reg(f['rt'], f['sf'])}, {imm(f['target'])}", True


def fmt_tbz(f, pc) -> Text:
    f["target"] = (pc + (enc.sign_extend(f["imm14"], 14) << 2)) & enc.MASK64
    f["bit"] = f["b5"] << 5 | f["b40"]
    return ("tbnz" if f["op"] else "tbz"), f"{reg(f['rt'], f['b5'])}, {imm(f['bit'])}, {imm(f['target'])}", True


def fmt_br(f, pc) -> Text:
    op = f["op"]
    if op == 3:
        raise _undefined(f)
    if op == 2:
        return "ret", ("" if f["rn"] == 30 else reg(f["rn"])), True
    return ("br", "blr")[op], reg(f["rn"]), True


def fmt_svc(f, pc) -> Text:
    return "svc", imm(f["imm16"]), True


def fmt_brk(f, pc) -> Text:
    return "brk", imm(f["imm16"]), True


HINTS = {0: "nop", 1: "yield", 2: "wfe", 3: "wfi", 4: "sev", 5: "sevl", 7: "xpaclri", 8: "pacia1716",
         0xA: "pacib1716", 0xC: "autia1716", 0xE: "autib1716", 0x10: "esb", 0x14: "csdb", 0x18: "paciaz",
         0x19: "paciasp", 0x1A: "pacibz", 0x1B: "pacibsp", 0x1C: "autiaz", 0x1D: "autiasp",
         0x1E: "autibz", 0x1F: "autibsp"}
OPERAND_HINTS = {0x11: ("psb", "csync"), 0x12: ("tsb", "csync")}
BTI = {0x20: "", 0x22: "c", 0x24: "j", 0x26: "jc"}


def fmt_hint(f, pc) -> Text:
    n = f["crm"] << 3 | f["op2"]
    f["hint"] = n
    if n in HINTS:
        return HINTS[n], "", n in (1, 2, 3)
    if n in BTI:
        return "bti", BTI[n], False
    if n in OPERAND_HINTS:
        return (*OPERAND_HINTS[n], False)
    return "hint", imm(n), False


BARRIER_OPTIONS = {15: "sy", 14: "st", 13: "ld", 11: "ish", 10: "ishst", 9: "ishld", 7: "nsh",
                   6: "nshst", 5: "nshld", 3: "osh", 2: "oshst", 1: "oshld"}


def fmt_barrier(f, pc) -> Text:
    op2, crm = f["op2"], f["crm"]
    if op2 == 2:
        return "clrex", ("" if crm == 15 else imm(crm)), False
    if op2 == 6:
        return "isb", ("" if crm == 15 else imm(crm)), True
    if op2 == 4 and crm == 12:
        return "dfb", "", False       # capstone's name for this DSB encoding
    if op2 in (4, 5) and (op2 == 5 or crm not in (0, 4)):
        return ("dsb" if op2 == 4 else "dmb"), BARRIER_OPTIONS.get(crm, imm(crm)), False
    raise _undefined(f)


def fmt_sysreg(f, pc) -> Text:
    key = (2 + f["o0"], f["op1"], f["crn"], f["crm"], f["op2"])
    name = sysregs.NAMES.get(key)
    if name is None or (not f["l"] and name in sysregs.READ_ONLY):
        raise _undefined(f)
    f["sysreg"] = name
    if f["l"]:
        return "mrs", f"{reg(f['rt'])}, {name}", False
    return "msr", f"{name}, {reg(f['rt'])}", True


# The cache maintenance by VA that EL0 may use (Linux sets SCTLR_EL1.UCI): SYS #3, C7, Cm, #1, Xt.
CACHE_OPS = {11: ("dc", "cvau"), 5: ("ic", "ivau"), 10: ("dc", "cvac"), 14: ("dc", "civac")}


def fmt_sys(f, pc) -> Text:
    """dc cvau/cvac/civac, ic ivau (no-ops: see semantics.t_sys); the rest is undefined at EL0.

    dczid_el0 says DC ZVA is prohibited; at, tlbi and the set/way operations are EL1.
    """
    if (f["op1"], f["crn"], f["op2"]) != (3, 7, 1) or f["crm"] not in CACHE_OPS:
        raise _undefined(f)
    mnemonic, op = CACHE_OPS[f["crm"]]
    return mnemonic, f"{op}, {reg(f['rt'])}", False


# ---------------------------------------------------------------- loads and stores


def fmt_ldst_excl(f, pc) -> Text:
    size, o2, l_, o0 = f["size"], f["o2"], f["l"], f["o0"]
    if (o2 and not o0) or ((l_ or o2) and (f["rt2"], f["rs"]) != (31, 31)):
        raise _undefined(f)          # ldlar/stllr (LORegions) not implemented; others unallocated
    suffix = ("b", "h", "", "")[size]
    rt = reg(f["rt"], size == 3)
    if o2:
        return ("ldar" if l_ else "stlr") + suffix, f"{rt}, [{reg(f['rn'])}]", False
    base = ("ldaxr" if o0 else "ldxr") if l_ else ("stlxr" if o0 else "stxr")
    if l_:
        return base + suffix, f"{rt}, [{reg(f['rn'])}]", False
    return base + suffix, f"{reg(f['rs'], 0)}, {rt}, [{reg(f['rn'])}]", False


def fmt_cas(f, pc) -> Text:
    size = f["size"]
    name = "cas" + ("a" if f["l"] else "") + ("l" if f["o0"] else "") + ("b", "h", "", "")[size]
    return name, f"{reg(f['rs'], size == 3)}, {reg(f['rt'], size == 3)}, [{reg(f['rn'])}]", False


ATOMIC_OPS = ("add", "clr", "eor", "set", "smax", "smin", "umax", "umin")


def fmt_atomic(f, pc) -> Text:
    size, o3, opc = f["size"], f["o3"], f["opc"]
    if o3 and opc:
        raise _undefined(f)          # ldapr (RCpc) and unallocated
    order = ("a" if f["a"] else "") + ("l" if f["r"] else "")
    suffix = ("b", "h", "", "")[size]
    rs, rt, rn = reg(f["rs"], size == 3), reg(f["rt"], size == 3), reg(f["rn"])
    if o3:
        return "swp" + order + suffix, f"{rs}, {rt}, [{rn}]", False
    if f["rt"] == 31 and not f["a"]:
        return "st" + ATOMIC_OPS[opc] + order + suffix, f"{rs}, [{rn}]", False
    return "ld" + ATOMIC_OPS[opc] + order + suffix, f"{rs}, {rt}, [{rn}]", False


def int_access(size: int, opc: int) -> tuple[str, int, int] | None:
    """(mnemonic stem, register width sf, sign-extend?) of an integer load/store, None if unallocated.

    Returns e.g. ("ldrsb", 0, 1); opc 0 store, 1 load, 2/3 signed load to 64/32 bits.
    """
    suffix = ("b", "h", "", "")[size]
    if opc == 0:
        return "str" + suffix, size == 3, 0
    if opc == 1:
        return "ldr" + suffix, size == 3, 0
    if size == 3 or (size == 2 and opc == 3):
        return None
    return "ldrs" + ("b", "h", "w")[size], opc == 2, 1


def _access(f) -> tuple[str, str]:
    """(mnemonic, register text) of a load/store, recording f['bytes'], f['load'], f['signed'], f['rsf']."""
    size, opc, rt = f["size"], f["opc"], f["rt"]
    if f["v"]:
        scale = size | (opc & 2) << 1
        if scale > 4:
            raise _undefined(f)
        f.update(bytes=1 << scale, load=opc & 1, signed=0, rsf=1)
        return ("ldr" if opc & 1 else "str"), "bhsdq"[scale] + str(rt)
    acc = int_access(size, opc)
    if acc is None:
        raise _undefined(f)           # prfm and unallocated
    name, rsf, signed = acc
    f.update(bytes=1 << size, load=opc != 0, signed=signed, rsf=rsf)
    return name, reg(rt, rsf)


PRF_TYPES, PRF_TARGETS = ("pld", "pli", "pst"), ("l1", "l2", "l3")


def prefetch(f) -> str | None:
    """The prfop text when this load/store encoding is a prefetch (prfm/prfum), else None.

    Records f['prefetch']; the semantics make it a no-op.  Capstone prints
    an empty prfop for the unallocated types and targets.
    """
    if f.get("v") or (f.get("size"), f.get("opc")) not in ((3, 2), (None, 3)):
        return None
    rt = f["rt"]
    kind, target = rt >> 3, rt >> 1 & 3
    f.update(prefetch=1, offset=0, wback=0, post=0)
    if kind > 2 or target > 2:
        return ""
    return PRF_TYPES[kind] + PRF_TARGETS[target] + ("strm" if rt & 1 else "keep")


def fmt_ldst_uimm(f, pc) -> Text:
    prf = prefetch(f)
    if prf is not None:
        return "prfm", f"{prf}, {mem(f['rn'], f['imm12'] * 8)}", False
    name, rt = _access(f)
    f["offset"] = f["imm12"] * f["bytes"]
    f["wback"] = f["post"] = 0
    return name, f"{rt}, {mem(f['rn'], f['offset'])}", False


def fmt_ldst_imm9(f, pc) -> Text:
    idx, off = f["idx"], enc.sign_extend(f["imm9"], 9)
    prf = prefetch(f)
    if prf is not None:
        if idx:
            raise _undefined(f)
        return "prfum", f"{prf}, {mem(f['rn'], off)}", False
    name, rt = _access(f)
    if idx == 2:
        raise _undefined(f)           # ldtr/sttr: unprivileged forms not implemented
    f["offset"], f["wback"], f["post"] = off, idx != 0, idx == 1
    if f["wback"] and f["rt"] == f["rn"] and not f["v"]:
        raise _undefined(f)           # constrained unpredictable
    if idx == 0:
        return name.replace("str", "stur").replace("ldr", "ldur"), f"{rt}, {mem(f['rn'], off)}", False
    if idx == 1:                      # capstone shows negative post-indices as u64
        return name, f"{rt}, [{reg(f['rn'])}], {imm(off & enc.MASK64)}", False
    return name, f"{rt}, {mem(f['rn'], off)}!", False


EXTENDS = ("uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx")


def fmt_ldst_reg(f, pc) -> Text:
    prf = prefetch(f)
    if prf is not None:
        name, rt, f["bytes"] = "prfm", prf, 8
    else:
        name, rt = _access(f)
    option, s = f["option"], f["s"]
    if not option & 2:
        raise _undefined(f)
    f["amount"] = amount = (f["bytes"].bit_length() - 1) if s else 0
    rm = reg(f["rm"], option & 1)
    if option == 3:
        ext = f", lsl #{amount}" if s else ""
    else:
        ext = f", {EXTENDS[option]}" + (f" #{amount}" if s else "")
    return name, f"{rt}, [{reg(f['rn'])}, {rm}{ext}]", False


def fmt_ld_lit(f, pc) -> Text:
    opc, v = f["opc"], f["v"]
    f["target"] = (pc + (enc.sign_extend(f["imm19"], 19) << 2)) & enc.MASK64
    if v:
        if opc == 3:
            raise _undefined(f)
        f.update(bytes=4 << opc, signed=0, rsf=1)
        return "ldr", f"{'sdq'[opc]}{f['rt']}, {imm(f['target'])}", False
    if opc == 3:
        f["prefetch"] = 1
        return "prfm", f"{prefetch(dict(f, opc=3, size=None))}, {imm(f['target'])}", False
    f.update(bytes=(4, 8, 4)[opc], signed=opc == 2, rsf=opc != 0)
    return ("ldr", "ldr", "ldrsw")[opc], f"{reg(f['rt'], opc != 0)}, {imm(f['target'])}", False


def fmt_ldst_pair(f, pc) -> Text:
    opc, v, idx, load = f["opc"], f["v"], f["idx"], f["l"]
    if opc == 3 or (not v and opc == 1 and not load):
        raise _undefined(f)
    if idx == 0:
        idx = 2                       # ldnp/stnp: a plain signed offset
        name = "ldnp" if load else "stnp"
        if not v and opc == 1:
            raise _undefined(f)
    else:
        name = ("ldp" if load else "stp") + ("sw" if not v and opc == 1 else "")
    if v:
        nbytes = 4 << opc
        rt, rt2 = f"{'sdq'[opc]}{f['rt']}", f"{'sdq'[opc]}{f['rt2']}"
    else:
        nbytes = 8 if opc == 2 else 4
        rt, rt2 = reg(f["rt"], opc != 0), reg(f["rt2"], opc != 0)
    if load and f["rt"] == f["rt2"]:
        raise _undefined(f)           # constrained unpredictable
    off = enc.sign_extend(f["imm7"], 7) * nbytes
    f.update(bytes=nbytes, offset=off, wback=idx != 2, post=idx == 1, signed=not v and opc == 1, rsf=opc != 0)
    if f["wback"] and not v and f["rn"] in (f["rt"], f["rt2"]):
        raise _undefined(f)
    if idx == 1:
        return name, f"{rt}, {rt2}, [{reg(f['rn'])}], {imm(off)}", False
    return name, f"{rt}, {rt2}, {mem(f['rn'], off)}" + ("!" if idx == 3 else ""), False


# ---------------------------------------------------------------- data processing, register


def fmt_logic_reg(f, pc) -> Text:
    sf, opc, n = f["sf"], f["opc"], f["n"]
    if not sf and f["imm6"] >= 32:
        raise _undefined(f)
    rd, rn, rm = reg(f["rd"], sf), reg(f["rn"], sf), reg(f["rm"], sf)
    sh = shift_text(f["shift"], f["imm6"])
    if opc == 1 and f["rn"] == 31 and not sh:
        if not n:
            return "mov", f"{rd}, {rm}", False
    if opc == 1 and n and f["rn"] == 31:
        return "mvn", f"{rd}, {rm}{sh}", False
    if opc == 3 and not n and f["rd"] == 31:
        return "tst", f"{rn}, {rm}{sh}", False
    name = (("and", "orr", "eor", "ands"), ("bic", "orn", "eon", "bics"))[n][opc]
    return name, f"{rd}, {rn}, {rm}{sh}", False


def fmt_addsub_reg(f, pc) -> Text:
    sf, op, s = f["sf"], f["op"], f["s"]
    if f["shift"] == 3 or (not sf and f["imm6"] >= 32):
        raise _undefined(f)
    rd, rn, rm = reg(f["rd"], sf), reg(f["rn"], sf), reg(f["rm"], sf)
    sh = shift_text(f["shift"], f["imm6"])
    if s and f["rd"] == 31:
        return ("cmp" if op else "cmn"), f"{rn}, {rm}{sh}", False
    if op and f["rn"] == 31:
        return ("negs" if s else "neg"), f"{rd}, {rm}{sh}", False
    return ("sub" if op else "add") + ("s" if s else ""), f"{rd}, {rn}, {rm}{sh}", False


def fmt_addsub_ext(f, pc) -> Text:
    sf, op, s, option, amount = f["sf"], f["op"], f["s"], f["option"], f["imm3"]
    if amount > 4:
        raise _undefined(f)
    rd, rn = reg(f["rd"], sf), reg(f["rn"], sf)
    rm = reg(f["rm"], sf and option & 3 == 3)
    if SP in (f["rd"], f["rn"]) and option == (3 if sf else 2):
        ext = f", lsl #{amount}" if amount else ""
    else:
        ext = f", {EXTENDS[option]}" + (f" #{amount}" if amount else "")
    if s and f["rd"] == 31:
        return ("cmp" if op else "cmn"), f"{rn}, {rm}{ext}", False
    return ("sub" if op else "add") + ("s" if s else ""), f"{rd}, {rn}, {rm}{ext}", False


def fmt_adc(f, pc) -> Text:
    sf, op, s = f["sf"], f["op"], f["s"]
    rd, rn, rm = reg(f["rd"], sf), reg(f["rn"], sf), reg(f["rm"], sf)
    if op and f["rn"] == 31:
        return ("ngcs" if s else "ngc"), f"{rd}, {rm}", False
    return ("sbc" if op else "adc") + ("s" if s else ""), f"{rd}, {rn}, {rm}", False


def fmt_ccmp(f, pc) -> Text:
    sf = f["sf"]
    second = imm(f["rm"]) if f["i"] else reg(f["rm"], sf)
    return ("ccmp" if f["op"] else "ccmn"), \
        f"{reg(f['rn'], sf)}, {second}, {imm(f['nzcv'])}, {CONDS[f['cond']]}", False


def fmt_csel(f, pc) -> Text:
    sf, op, o2, cond = f["sf"], f["op"], f["o2"], f["cond"]
    rd, rn, rm = reg(f["rd"], sf), reg(f["rn"], sf), reg(f["rm"], sf)
    name = (("csel", "csinc"), ("csinv", "csneg"))[op][o2]
    if f["rn"] == f["rm"] and cond < 14 and name != "csel":
        inv = CONDS[cond ^ 1]
        if f["rn"] == 31 and name != "csneg":
            return ("cset" if name == "csinc" else "csetm"), f"{rd}, {inv}", False
        return {"csinc": "cinc", "csinv": "cinv", "csneg": "cneg"}[name], f"{rd}, {rn}, {inv}", False
    return name, f"{rd}, {rn}, {rm}, {CONDS[cond]}", False


DP2 = {2: "udiv", 3: "sdiv", 8: "lsl", 9: "lsr", 10: "asr", 11: "ror"}


def fmt_dp2(f, pc) -> Text:
    name = DP2.get(f["opcode"])
    if name is None:
        raise _undefined(f)
    sf = f["sf"]
    return name, f"{reg(f['rd'], sf)}, {reg(f['rn'], sf)}, {reg(f['rm'], sf)}", False


def fmt_dp1(f, pc) -> Text:
    sf, opcode = f["sf"], f["opcode"]
    if opcode > 5 or (opcode == 3 and not sf):
        raise _undefined(f)
    name = ("rbit", "rev16", "rev32" if sf else "rev", "rev", "clz", "cls")[opcode]
    return name, f"{reg(f['rd'], sf)}, {reg(f['rn'], sf)}", False


DP3 = {  # (op31, o0) -> (name, alias when ra is zr, long?)
    (0, 0): ("madd", "mul", 0), (0, 1): ("msub", "mneg", 0),
    (1, 0): ("smaddl", "smull", 1), (1, 1): ("smsubl", "smnegl", 1),
    (5, 0): ("umaddl", "umull", 1), (5, 1): ("umsubl", "umnegl", 1),
    (2, 0): ("smulh", "smulh", 2), (6, 0): ("umulh", "umulh", 2),
}


def fmt_dp3(f, pc) -> Text:
    sf = f["sf"]
    entry = DP3.get((f["op31"], f["o0"]))
    if entry is None or (not sf and f["op31"]):
        raise _undefined(f)
    name, alias, kind = entry
    rd, ra = reg(f["rd"], sf), reg(f["ra"], sf)
    src_sf = sf if kind != 1 else 0
    rn, rm = reg(f["rn"], src_sf), reg(f["rm"], src_sf)
    if kind == 2:
        return name, f"{rd}, {rn}, {rm}", False
    if f["ra"] == 31:
        return alias, f"{rd}, {rn}, {rm}", False
    return name, f"{rd}, {rn}, {rm}, {ra}", False


FORMATTERS: dict[str, Callable[[dict, int], Text]] = {
    name[4:]: fn for name, fn in globals().items() if name.startswith("fmt_")
}
FORMATTERS.update(FP_FORMATTERS)
FORMATTERS.update(SIMD_FORMATTERS)
