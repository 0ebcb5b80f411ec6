"""A64 semantics: one function per encoding form, `Insn` → Python statements.

Conventions (see `machr.isa.base`): registers are the state variables
``x0..x30``/``sp``; register number 31 in a field is XZR (reads 0, writes
vanish) and 32 is SP (the decoder renames SP fields).  W-register writes
zero the upper half.  Every memory access happens before the first state
variable is assigned, so a MemFault leaves the state unchanged.

Exclusive monitor: a load-exclusive records (address, value, size) in the
thread's state (``excl_addr excl_val excl_size``); a store-exclusive succeeds
when the size and address match *and* memory still holds the recorded value
(QEMU's and Unicorn's rule: a value compare, so a context switch needs no
hook; the ABA case is accepted as they accept it).  Any store-exclusive or
``clrex`` opens the monitor.

Undefined or implementation-defined results are pinned down here: division
by zero gives 0 (architectural); flags of ccmp's false branch are the
immediate (architectural).
"""

from __future__ import annotations

from typing import Callable

from machr.isa.aarch64 import sysregs
from machr.isa.aarch64.exprs import COND_EXPR, M64, mask, rd_reg, sext, width, wr_reg, wr_result
from machr.isa.aarch64.fp_semantics import FP_SEMANTICS
from machr.isa.aarch64.simd_semantics import SIMD_SEMANTICS
from machr.isa.base import Insn
from machr.machine.exits import ACCESS_READ, ACCESS_WRITE

def add_with_flags(a: str, b: str, carry: str, sf, set_flags: bool) -> list[str]:
    """_tr = a + b + carry (b already inverted for subtraction); NZCV from it if asked."""
    w, m = width(sf), mask(sf)
    const = _literal(b) + int(carry) if _literal(b) is not None and carry in ("0", "1") else None
    total = f"_ta + {const:#x}" if const is not None and const <= m else f"_ta + _tb + {carry}"   # one addition
    out = [f"_ta = {a}", f"_tb = {b}", f"_ts = {total}", f"_tr = _ts & {m:#x}"]
    if set_flags:
        out += [f"nf = _tr >> {w - 1}", "zf = int(_tr == 0)", f"cf = {carry_out(w, carry)}",
                f"vf = ((_ta ^ _tr) & (_tb ^ _tr)) >> {w - 1}"]
    return out


def _literal(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        return None


def carry_out(w: int, carry: str) -> str:
    """C of _ta + _tb + carry without a 65-bit intermediate at w = 64 (so the text also runs as uint64)."""
    if w < 64:
        return f"_ts >> {w}"
    if carry in ("0", "1"):
        return "int(_tr < _ta)" if carry == "0" else "int(_tr <= _ta)"
    return f"int(_tr < _ta or ({carry} != 0 and _tr == _ta))"


def logic_flags(sf) -> list[str]:
    return [f"nf = _tr >> {width(sf) - 1}", "zf = int(_tr == 0)", "cf = 0", "vf = 0"]


def shifted(expr: str, shift: int, amount: int, sf) -> str:
    """A shifted-register operand (lsl/lsr/asr/ror by a constant)."""
    w, m = width(sf), mask(sf)
    if amount == 0:
        return expr
    if shift == 0:
        return f"(({expr} << {amount}) & {m:#x})"
    if shift == 1:
        return f"({expr} >> {amount})"
    if shift == 2:
        return f"(({sext(expr, w)} >> {amount}) & {m:#x})"
    return f"((({expr} >> {amount}) | ({expr} << {w - amount})) & {m:#x})"


def extended(n: int, option: int, amount: int, sf) -> str:
    """An extended-register operand: (u|s)xt(b|h|w|x) then lsl #amount, at the destination width."""
    bits = 8 << (option & 3)
    src = rd_reg(n, 1)
    if bits < 64:
        src = f"({src} & {(1 << bits) - 1:#x})"
        if option & 4:
            src = sext(src, bits)
    return f"(({src} << {amount}) & {mask(sf):#x})"


def addr_of(rn: int, offset: int) -> str:
    return f"({rd_reg(rn)} + {offset}) & {M64:#x}" if offset else rd_reg(rn)


# ---------------------------------------------------------------- data processing, immediate


def t_adr(f, insn):
    return wr_reg(f["rd"], str(f["target"]))


def t_addsub_imm(f, insn):
    sf, op = f["sf"], f["op"]
    value = f["imm12"] << (12 if f["sh"] else 0)
    b = (~value & mask(sf)) if op else value
    return add_with_flags(rd_reg(f["rn"], sf), f"{b:#x}", str(op), sf, f["s"]) + wr_result(f["rd"])


def t_logic_imm(f, insn):
    sf, opc = f["sf"], f["opc"]
    op = ("&", "|", "^", "&")[opc]
    out = [f"_tr = {rd_reg(f['rn'], sf)} {op} {f['imm']:#x}"]
    return out + (logic_flags(sf) if opc == 3 else []) + wr_result(f["rd"])


def t_movewide(f, insn):
    sf, opc, sh = f["sf"], f["opc"], 16 * f["hw"]
    value = f["imm16"] << sh
    if opc == 3:
        keep = mask(sf) & ~(0xFFFF << sh)
        return wr_reg(f["rd"], f"({rd_reg(f['rd'], sf)} & {keep:#x}) | {value:#x}", sf)
    return wr_reg(f["rd"], f"{(~value if opc == 0 else value) & mask(sf):#x}", sf)


def t_bitfield(f, insn):
    """UBFM/SBFM/BFM as a field move: take `length` bits at `lsb` of Rn, place them at `pos`."""
    sf, opc, immr, imms = f["sf"], f["opc"], f["immr"], f["imms"]
    w = width(sf)
    if imms >= immr:
        lsb, length, pos = immr, imms - immr + 1, 0
    else:
        lsb, length, pos = 0, imms + 1, w - immr
    field = f"(({rd_reg(f['rn'], sf)} >> {lsb}) & {(1 << length) - 1:#x})"
    if opc == 1:
        keep = mask(sf) & ~(((1 << length) - 1) << pos)
        return wr_reg(f["rd"], f"({rd_reg(f['rd'], sf)} & {keep:#x}) | ({field} << {pos})", sf)
    if opc == 0:
        field = sext(field, length)
    return wr_reg(f["rd"], f"{field} << {pos}", sf)


def t_extr(f, insn):
    """EXTR (and ROR #imm): bits imms.. of Rn:Rm, as two shifts (no 128-bit intermediate at 64 bits)."""
    sf, lsb = f["sf"], f["imms"]
    w = width(sf)
    n, m = rd_reg(f["rn"], sf), rd_reg(f["rm"], sf)
    if lsb == 0:
        return wr_reg(f["rd"], m, sf)
    return wr_reg(f["rd"], f"({n} << {w - lsb}) | ({m} >> {lsb})", sf)


# ---------------------------------------------------------------- branches, exceptions, system


def next_pc(insn) -> str:
    return f"_npc = {insn.pc + 4:#x}"


def t_b_imm(f, insn):
    link = [f"x30 = {insn.pc + 4:#x}"] if f["op"] else []
    return link + [f"_npc = {f['target']:#x}"]


def t_b_cond(f, insn):
    return [f"_npc = {f['target']:#x} if {COND_EXPR[f['cond']]} else {insn.pc + 4:#x}"]


def t_cbz(f, insn):
    test = "!=" if f["op"] else "=="
    return [f"_npc = {f['target']:#x} if {rd_reg(f['rt'], f['sf'])} {test} 0 else {insn.pc + 4:#x}"]


def t_tbz(f, insn):
    test = "!=" if f["op"] else "=="
    return [f"_npc = {f['target']:#x} if ({rd_reg(f['rt'])} >> {f['bit']}) & 1 {test} 0 else {insn.pc + 4:#x}"]


def t_br(f, insn):
    out = [f"_tn = {rd_reg(f['rn'])}"]
    if f["op"] == 1:
        out.append(f"x30 = {insn.pc + 4:#x}")
    return out + ["_npc = _tn"]


def t_svc(f, insn):
    return [f"_exit(EXIT_TRAP, {f['imm16']:#x}, True)"]


def t_brk(f, insn):
    return [f"_exit(EXIT_BREAKPOINT, {f['imm16']:#x}, False)"]


def t_hint(f, insn):
    if f["hint"] in (1, 2, 3):          # yield / wfe / wfi: let others run, resume after
        return [next_pc(insn), "_exit(EXIT_YIELD, 0, True)"]
    return []                            # nop, bti, pointer authentication as nops


def t_barrier(f, insn):
    if f["op2"] == 2:
        return ["excl_size = 0"]
    return [next_pc(insn)] if insn.ends_block else []


def t_sys(f, insn):
    """dc cvau/cvac/civac, ic ivau: no-ops.

    machr's memory is coherent (one physical array, no caches), and the
    engine itself drops the translations of a code page when it is stored
    to, so the clean-to-PoU + invalidate-I-cache sequence that
    `__builtin___clear_cache` (libgcc's `__aarch64_sync_cache_range`) runs
    after writing code has nothing left to do.  CTR_EL0 sets IDC and DIC,
    which tells software so.  Unlike hardware, a maintenance operation on
    an unmapped address does not fault.
    """
    return []


NZCV_READ = "(nf << 31) | (zf << 30) | (cf << 29) | (vf << 28)"


def t_sysreg(f, insn):
    name, rt = f["sysreg"], f["rt"]
    if f["l"]:
        value = {
            "tpidr_el0": "tpidr", "nzcv": NZCV_READ, "fpcr": "fpcr", "fpsr": "fpsr",
            "cntvct_el0": f"(_clock() + _n) & {M64:#x}", "cntfrq_el0": str(sysregs.CNTFRQ),
            "ctr_el0": str(sysregs.CTR), "dczid_el0": str(sysregs.DCZID),
        }[name]
        return wr_reg(rt, value)
    v = rd_reg(rt)
    writes = {
        "tpidr_el0": [f"tpidr = {v}"],
        "nzcv": [f"nf = ({v} >> 31) & 1", f"zf = ({v} >> 30) & 1", f"cf = ({v} >> 29) & 1",
                 f"vf = ({v} >> 28) & 1"],
        "fpcr": [f"fpcr = {v} & {sysregs.FPCR_MASK:#x}"],
        "fpsr": [f"fpsr = {v} & {sysregs.FPSR_MASK:#x}"],
    }[name]
    return writes + [next_pc(insn)]


# ---------------------------------------------------------------- loads and stores


def load_value(var: str, f) -> str:
    """The loaded `var` as the destination register sees it (sign-extended if asked)."""
    if f.get("signed"):
        return sext(var, 8 * f["bytes"])
    return var


def vreg(n: int) -> str:
    return f"q{n}"


def transfer(f, addr: str, rt: int, var: str) -> tuple[list[str], list[str]]:
    """(memory statements, register statements) moving one register `rt` at `addr`."""
    nbytes, bits = f["bytes"], 8 * f["bytes"]
    if f["load"]:
        mem = [f"{var} = ld{bits}({addr})"]
        if f["v"]:
            return mem, [f"{vreg(rt)} = {var}"]
        return mem, wr_reg(rt, load_value(var, f), f["rsf"])
    if f["v"]:
        src = vreg(rt) if nbytes == 16 else f"({vreg(rt)} & {(1 << bits) - 1:#x})"
    else:
        src = rd_reg(rt) if nbytes == 8 else f"({rd_reg(rt)} & {(1 << bits) - 1:#x})"
    return [f"st{bits}({addr}, {src})"], []


def single(f, offset: int) -> list[str]:
    """A one-register load/store with optional pre/post-index writeback (a prefetch does nothing)."""
    if f.get("prefetch"):
        return []
    rn = f["rn"]
    ea = addr_of(rn, 0 if f["post"] else offset)
    mem, regs = transfer(f, "_ta", f["rt"], "_tv")
    out = [f"_ta = {ea}"] + mem
    if f["wback"]:
        out += wr_reg(rn, f"_ta + {offset}" if f["post"] else "_ta")
    return out + regs


def t_ldst_uimm(f, insn):
    return single(f, f["offset"])


def t_ldst_imm9(f, insn):
    return single(f, f["offset"])


def t_ldst_reg(f, insn):
    if f.get("prefetch"):
        return []
    index = extended(f["rm"], f["option"], f["amount"], 1)
    mem, regs = transfer(f, "_ta", f["rt"], "_tv")
    return [f"_ta = ({rd_reg(f['rn'])} + {index}) & {M64:#x}"] + mem + regs


def t_ld_lit(f, insn):
    if f.get("prefetch"):
        return []
    f = dict(f, load=1)
    mem, regs = transfer(f, f"{f['target']:#x}", f["rt"], "_tv")
    return mem + regs


def t_ldst_pair(f, insn):
    rn, nbytes, off = f["rn"], f["bytes"], f["offset"]
    ea = addr_of(rn, 0 if f["post"] else off)
    g = dict(f, load=f["l"])
    out = [f"_ta = {ea}"]
    if not f["l"] and nbytes == 8 and not f["v"]:
        # one 128-bit store: a fault on either half leaves memory untouched
        out.append(f"st128(_ta, {rd_reg(f['rt'])} | ({rd_reg(f['rt2'])} << 64))")
        regs = []
    else:
        mem1, regs1 = transfer(g, "_ta", f["rt"], "_tv")
        mem2, regs2 = transfer(g, f"(_ta + {nbytes}) & {M64:#x}", f["rt2"], "_tw")
        out += mem1 + mem2
        regs = regs1 + regs2
    if f["wback"]:
        out += wr_reg(rn, f"_ta + {off}" if f["post"] else "_ta")
    return out + regs


def t_ldst_excl(f, insn):
    size, rn, rt = f["size"], f["rn"], f["rt"]
    bits = 8 << size
    m = (1 << bits) - 1
    # load-exclusive faults when misaligned; a store-exclusive only touches memory at the
    # (aligned) monitored address; ldar/stlr follow LSE2 and allow misalignment, like Unicorn.
    addr = f"check_align({rd_reg(rn)}, {bits // 8}, {ACCESS_READ})" if f["l"] and not f["o2"] else rd_reg(rn)
    if f["l"]:
        out = [f"_ta = {addr}", f"_tv = ld{bits}(_ta)"]
        if not f["o2"]:
            out += ["excl_addr = _ta", "excl_val = _tv", f"excl_size = {bits // 8}"]
        return out + wr_reg(rt, "_tv")
    value = rd_reg(rt) if bits == 64 else f"({rd_reg(rt)} & {m:#x})"
    if f["o2"]:
        return [f"st{bits}({addr}, {value})"]
    return [
        f"_ta = {addr}",
        f"_tok = excl_size == {bits // 8} and excl_addr == _ta and ld{bits}(_ta) == excl_val",
        f"if _tok:\n    st{bits}(_ta, {value})",
        "excl_size = 0",
    ] + wr_reg(f["rs"], "0 if _tok else 1")


def t_cas(f, insn):
    bits = 8 << f["size"]
    m = (1 << bits) - 1
    return [
        f"_ta = check_align({rd_reg(f['rn'])}, {bits // 8}, {ACCESS_WRITE})",
        f"_tv = ld{bits}(_ta)",
        f"if _tv == ({rd_reg(f['rs'])} & {m:#x}):\n    st{bits}(_ta, {rd_reg(f['rt'])} & {m:#x})",
    ] + wr_reg(f["rs"], "_tv")


ATOMIC_EXPR = (  # new memory value from old `_tv` and operand `_to` (both `bits` wide)
    "_tv + _to", "_tv & ~_to", "_tv ^ _to", "_tv | _to",
    "_tv if {sv} >= {so} else _to", "_tv if {sv} <= {so} else _to",
    "_tv if _tv >= _to else _to", "_tv if _tv <= _to else _to",
)


def t_atomic(f, insn):
    bits = 8 << f["size"]
    m = (1 << bits) - 1
    if f["o3"]:
        new = "_to"
    else:
        new = ATOMIC_EXPR[f["opc"]].format(sv=sext("_tv", bits), so=sext("_to", bits))
    return [
        f"_ta = check_align({rd_reg(f['rn'])}, {bits // 8}, {ACCESS_WRITE})",
        f"_to = {rd_reg(f['rs'])} & {m:#x}",
        f"_tv = ld{bits}(_ta)",
        f"st{bits}(_ta, ({new}) & {m:#x})",
    ] + wr_reg(f["rt"], "_tv")


# ---------------------------------------------------------------- data processing, register


def t_logic_reg(f, insn):
    sf, opc = f["sf"], f["opc"]
    b = shifted(rd_reg(f["rm"], sf), f["shift"], f["imm6"], sf)
    if f["n"]:
        b = f"({b} ^ {mask(sf):#x})"
    op = ("&", "|", "^", "&")[opc]
    out = [f"_tr = {rd_reg(f['rn'], sf)} {op} {b}"]
    return out + (logic_flags(sf) if opc == 3 else []) + wr_result(f["rd"])


def _addsub(f, b: str):
    sf, op = f["sf"], f["op"]
    if op:
        b = f"({b} ^ {mask(sf):#x})"
    return add_with_flags(rd_reg(f["rn"], sf), b, str(op), sf, f["s"]) + wr_result(f["rd"])


def t_addsub_reg(f, insn):
    return _addsub(f, shifted(rd_reg(f["rm"], f["sf"]), f["shift"], f["imm6"], f["sf"]))


def t_addsub_ext(f, insn):
    return _addsub(f, extended(f["rm"], f["option"], f["imm3"], f["sf"]))


def t_adc(f, insn):
    sf, op = f["sf"], f["op"]
    b = rd_reg(f["rm"], sf)
    if op:
        b = f"({b} ^ {mask(sf):#x})"
    return add_with_flags(rd_reg(f["rn"], sf), b, "cf", sf, f["s"]) + wr_result(f["rd"])


def t_ccmp(f, insn):
    sf, op = f["sf"], f["op"]
    b = f"{f['rm']:#x}" if f["i"] else rd_reg(f["rm"], sf)
    if op:
        b = f"({b} ^ {mask(sf):#x})"
    out = [f"_tc = {COND_EXPR[f['cond']]}"] + add_with_flags(rd_reg(f["rn"], sf), b, str(op), sf, True)
    nzcv = f["nzcv"]
    for i, flag in enumerate(("nf", "zf", "cf", "vf")):
        k = next(j for j, s in enumerate(out) if s.startswith(f"{flag} = "))
        out[k] = f"{out[k]} if _tc else {(nzcv >> (3 - i)) & 1}"
    return out


def t_csel(f, insn):
    sf, op, o2 = f["sf"], f["op"], f["o2"]
    b = rd_reg(f["rm"], sf)
    if op:
        b = f"({b} ^ {mask(sf):#x})"
    if o2:
        b = f"({b} + 1)"
    return wr_reg(f["rd"], f"{rd_reg(f['rn'], sf)} if {COND_EXPR[f['cond']]} else {b}", sf)


def t_dp2(f, insn):
    sf, opcode = f["sf"], f["opcode"]
    w = width(sf)
    a, b = rd_reg(f["rn"], sf), rd_reg(f["rm"], sf)
    expr = {
        2: f"({a} // _tb) if _tb else 0",
        3: f"sdiv({a}, _tb, {w})",
        8: f"{a} << (_tb & {w - 1})",
        9: f"{a} >> (_tb & {w - 1})",
        10: f"{sext(a, w)} >> (_tb & {w - 1})",
        11: f"({a} >> (_tb & {w - 1})) | ({a} << (({w} - (_tb & {w - 1})) & {w - 1}))",
    }[opcode]
    return [f"_tb = {b}"] + wr_reg(f["rd"], expr, sf)


def t_dp1(f, insn):
    sf, opcode = f["sf"], f["opcode"]
    w = width(sf)
    a = rd_reg(f["rn"], sf)
    expr = (
        f"rbit({a}, {w})", f"rev_bytes({a}, {w}, 16)", f"rev_bytes({a}, {w}, 32)",
        f"rev_bytes({a}, {w}, 64)", f"clz({a}, {w})",
        f"clz(({a} >> 1) ^ ({a} & {mask(sf) >> 1:#x}), {w - 1})",
    )[opcode]
    return wr_reg(f["rd"], expr, sf)


def t_dp3(f, insn):
    sf, op31, sub = f["sf"], f["op31"], f["o0"]
    if op31 in (2, 6):                   # smulh / umulh (machr.isa.intarith: no 128-bit product)
        return wr_reg(f["rd"], f"{'smulh64' if op31 == 2 else 'umulh64'}({rd_reg(f['rn'])}, {rd_reg(f['rm'])})")
    if op31 == 0:
        a, b = rd_reg(f["rn"], sf), rd_reg(f["rm"], sf)
    else:
        a, b = rd_reg(f["rn"], 0), rd_reg(f["rm"], 0)
        if op31 == 1:
            a, b = sext(a, 32), sext(b, 32)
    return wr_reg(f["rd"], f"{rd_reg(f['ra'], sf)} {'-' if sub else '+'} {a} * {b}", sf)


SEMANTICS: dict[str, Callable[[dict, Insn], list[str]]] = {
    name[2:]: fn for name, fn in globals().items() if name.startswith("t_")
}
SEMANTICS.update(FP_SEMANTICS)
SEMANTICS.update(SIMD_SEMANTICS)


def translate(insn: Insn) -> list[str]:
    """The statements that execute `insn` (see the module docstring for conventions)."""
    return SEMANTICS[insn.form](insn.fields, insn)
