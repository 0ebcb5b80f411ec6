"""The A64 encoding table: the single source the decoder is driven by.

In the manner of QEMU's decodetree (`target/arm/tcg/a64.decode`): each row is
a bit pattern, most significant bit first, naming fields, and the semantic
form it selects.  Pattern tokens:

* ``0``/``1`` — a fixed bit; ``-`` — a bit the form ignores;
* ``name:n`` — an n-bit field;
* ``name=bits`` — a field that must hold these bits (it still appears in the
  decoded fields, so one semantic function can serve several rows).

Rows are tried in order; an earlier, more specific row wins (aliases and
unallocated corners come before the general row).  The third column says
which register fields read register 31 as SP; every other register field
reads it as XZR/WZR (ARM ARM "Register 31": the encoding decides).
"""

from __future__ import annotations

# (form, pattern, fields where register 31 is SP)
ENCODINGS: list[tuple[str, str, str]] = [
    # ---- data processing, immediate ----
    ("adr", "op:1 immlo:2 10000 immhi:19 rd:5", ""),
    ("addsub_imm", "sf:1 op:1 s=0 100010 sh:1 imm12:12 rn:5 rd:5", "rn rd"),
    ("addsub_imm", "sf:1 op:1 s=1 100010 sh:1 imm12:12 rn:5 rd:5", "rn"),
    ("logic_imm", "sf:1 opc=11 100100 n:1 immr:6 imms:6 rn:5 rd:5", ""),
    ("logic_imm", "sf:1 opc:2 100100 n:1 immr:6 imms:6 rn:5 rd:5", "rd"),
    ("movewide", "sf:1 opc:2 100101 hw:2 imm16:16 rd:5", ""),
    ("bitfield", "sf:1 opc:2 100110 n:1 immr:6 imms:6 rn:5 rd:5", ""),
    ("extr", "sf:1 00 100111 n:1 0 rm:5 imms:6 rn:5 rd:5", ""),
    # ---- branches, exceptions, system ----
    ("b_imm", "op:1 00101 imm26:26", ""),
    ("b_cond", "01010100 imm19:19 0 cond:4", ""),
    ("cbz", "sf:1 011010 op:1 imm19:19 rt:5", ""),
    ("tbz", "b5:1 011011 op:1 b40:5 imm14:14 rt:5", ""),
    ("br", "1101011 0 0 op:2 11111 000000 rn:5 00000", ""),
    ("svc", "11010100 000 imm16:16 000 01", ""),
    ("brk", "11010100 001 imm16:16 000 00", ""),
    ("hint", "11010101 00000011 0010 crm:4 op2:3 11111", ""),
    ("barrier", "11010101 00000011 0011 crm:4 op2:3 11111", ""),
    ("sysreg", "1101010100 l:1 1 o0:1 op1:3 crn:4 crm:4 op2:3 rt:5", ""),
    ("sys", "1101010100 0 01 op1:3 crn:4 crm:4 op2:3 rt:5", ""),
    # ---- loads and stores ----
    ("ldst_excl", "size:2 001000 o2:1 l:1 o1=0 rs:5 o0:1 rt2:5 rn:5 rt:5", "rn"),
    ("cas", "size:2 001000 1 l:1 1 rs:5 o0:1 11111 rn:5 rt:5", "rn"),
    ("ld_lit", "opc:2 011 v:1 00 imm19:19 rt:5", ""),
    ("ldst_pair", "opc:2 101 v:1 0 idx:2 l:1 imm7:7 rt2:5 rn:5 rt:5", "rn"),
    ("ldst_imm9", "size:2 111 v:1 00 opc:2 0 imm9:9 idx:2 rn:5 rt:5", "rn"),
    ("ldst_reg", "size:2 111 v:1 00 opc:2 1 rm:5 option:3 s:1 10 rn:5 rt:5", "rn"),
    ("atomic", "size:2 111 0 00 a:1 r:1 1 rs:5 o3:1 opc:3 00 rn:5 rt:5", "rn"),
    ("ldst_uimm", "size:2 111 v:1 01 opc:2 imm12:12 rn:5 rt:5", "rn"),
    ("ldst_multi", "0 q:1 0011000 l:1 000000 opcode:4 size:2 rn:5 rt:5", "rn"),
    ("ldst_multi", "0 q:1 0011001 l:1 0 rm:5 opcode:4 size:2 rn:5 rt:5", "rn"),
    ("ld_rep", "0 q:1 0011010 1 0 00000 110 0 size:2 rn:5 rt:5", "rn"),
    ("ld_rep", "0 q:1 0011011 1 0 rm:5 110 0 size:2 rn:5 rt:5", "rn"),
    ("ldst_single", "0 q:1 0011010 l:1 r:1 00000 opcode:3 s:1 size:2 rn:5 rt:5", "rn"),
    ("ldst_single", "0 q:1 0011011 l:1 r:1 rm:5 opcode:3 s:1 size:2 rn:5 rt:5", "rn"),
    # ---- data processing, register ----
    ("logic_reg", "sf:1 opc:2 01010 shift:2 n:1 rm:5 imm6:6 rn:5 rd:5", ""),
    ("addsub_reg", "sf:1 op:1 s:1 01011 shift:2 0 rm:5 imm6:6 rn:5 rd:5", ""),
    ("addsub_ext", "sf:1 op:1 s=0 01011 00 1 rm:5 option:3 imm3:3 rn:5 rd:5", "rn rd"),
    ("addsub_ext", "sf:1 op:1 s=1 01011 00 1 rm:5 option:3 imm3:3 rn:5 rd:5", "rn"),
    ("adc", "sf:1 op:1 s:1 11010000 rm:5 000000 rn:5 rd:5", ""),
    ("ccmp", "sf:1 op:1 1 11010010 rm:5 cond:4 i:1 0 rn:5 0 nzcv:4", ""),
    ("csel", "sf:1 op:1 0 11010100 rm:5 cond:4 0 o2:1 rn:5 rd:5", ""),
    ("dp2", "sf:1 0 0 11010110 rm:5 opcode:6 rn:5 rd:5", ""),
    ("dp1", "sf:1 1 0 11010110 00000 opcode:6 rn:5 rd:5", ""),
    ("dp3", "sf:1 00 11011 op31:3 rm:5 o0:1 ra:5 rn:5 rd:5", ""),
    # ---- scalar floating point ----
    ("fp_dp1", "00011110 ftype:2 1 opcode:6 10000 rn:5 rd:5", ""),
    ("fp_dp2", "00011110 ftype:2 1 rm:5 opcode:4 10 rn:5 rd:5", ""),
    ("fp_dp3", "00011111 ftype:2 o1:1 rm:5 o0:1 ra:5 rn:5 rd:5", ""),
    ("fp_cmp", "00011110 ftype:2 1 rm:5 001000 rn:5 opc:2 000", ""),
    ("fp_ccmp", "00011110 ftype:2 1 rm:5 cond:4 01 rn:5 op:1 nzcv:4", ""),
    ("fp_csel", "00011110 ftype:2 1 rm:5 cond:4 11 rn:5 rd:5", ""),
    ("fp_imm", "00011110 ftype:2 1 imm8:8 100 00000 rd:5", ""),
    ("fp_int", "sf:1 0 0 11110 ftype:2 1 rmode:2 opcode:3 000000 rn:5 rd:5", ""),
    ("fp_fixed", "sf:1 0 0 11110 ftype:2 0 rmode:2 opcode:3 scale:6 rn:5 rd:5", ""),
    # ---- Advanced SIMD ----
    ("simd_modimm", "0 q:1 op:1 0111100000 abc:3 cmode:4 0 1 defgh:5 rd:5", ""),
    ("simd_copy", "0 q:1 op:1 01110000 imm5:5 0 imm4:4 1 rn:5 rd:5", ""),
    ("simd_three_same", "0 q:1 u:1 01110 size:2 1 rm:5 opcode:5 1 rn:5 rd:5", ""),
    ("simd_three_diff", "0 q:1 u:1 01110 size:2 1 rm:5 opcode:4 00 rn:5 rd:5", ""),
    ("simd_two_misc", "0 q:1 u:1 01110 size:2 10000 opcode:5 10 rn:5 rd:5", ""),
    ("simd_across", "0 q:1 u:1 01110 size:2 11000 opcode:5 10 rn:5 rd:5", ""),
    ("simd_scalar_pair", "01 u:1 11110 size:2 11000 opcode:5 10 rn:5 rd:5", ""),
    ("simd_shift_imm", "0 q:1 u:1 011110 immh:4 immb:3 opcode:5 1 rn:5 rd:5", ""),
    ("simd_permute", "0 q:1 0 01110 size:2 0 rm:5 0 opcode:3 10 rn:5 rd:5", ""),
    ("simd_ext", "0 q:1 101110 00 0 rm:5 0 imm4:4 0 rn:5 rd:5", ""),
    ("simd_tbl", "0 q:1 001110 000 rm:5 0 len:2 op:1 00 rn:5 rd:5", ""),
    ("simd_indexed", "0 q:1 u:1 01111 size:2 l:1 m:1 rm:4 opcode:4 h:1 0 rn:5 rd:5", ""),
    ("simd_scalar_copy", "01 op:1 11110000 imm5:5 0 imm4:4 1 rn:5 rd:5", ""),
    ("simd_scalar_three_same", "01 u:1 11110 size:2 1 rm:5 opcode:5 1 rn:5 rd:5", ""),
    ("simd_scalar_two_misc", "01 u:1 11110 size:2 10000 opcode:5 10 rn:5 rd:5", ""),
    ("simd_scalar_shift_imm", "01 u:1 111110 immh:4 immb:3 opcode:5 1 rn:5 rd:5", ""),
]


def parse_pattern(pattern: str) -> tuple[int, int, tuple[tuple[str, int, int], ...]]:
    """(mask, value, ((field, shift, width), ...)) of one pattern string."""
    bits: list[str] = []
    fields: list[tuple[str, int, int]] = []
    for tok in pattern.split():
        if ":" in tok:
            name, width = tok.split(":")
            fields.append((name, len(bits), int(width)))
            bits += ["-"] * int(width)
        elif "=" in tok:
            name, fixed = tok.split("=")
            fields.append((name, len(bits), len(fixed)))
            bits += list(fixed)
        else:
            bits += list(tok)
    if len(bits) != 32:
        raise ValueError(f"pattern has {len(bits)} bits: {pattern}")
    mask = int("".join("0" if b == "-" else "1" for b in bits), 2)
    value = int("".join("1" if b == "1" else "0" for b in bits), 2)
    return mask, value, tuple((name, 32 - start - width, width) for name, start, width in fields)


def decode_bit_masks(n: int, imms: int, immr: int, width: int) -> int | None:
    """The ARM ARM DecodeBitMasks() for logical immediates: the wmask, or None if reserved."""
    combined = (n << 6) | (~imms & 0x3F)
    if combined == 0:
        return None
    length = combined.bit_length() - 1
    if length < 1 or (1 << length) > width:
        return None
    esize = 1 << length
    levels = esize - 1
    s, r = imms & levels, immr & levels
    if s == levels:
        return None
    welem = (1 << (s + 1)) - 1
    elem = ((welem >> r) | (welem << (esize - r))) & ((1 << esize) - 1)
    out = 0
    for i in range(0, width, esize):
        out |= elem << i
    return out


def sign_extend(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) & 1 else value


def vfp_expand_imm(imm8: int, esize: int) -> int:
    """The ARM ARM VFPExpandImm(): the bit pattern of an fmov immediate of `esize` bits (16, 32, 64).

    Sign a, exponent NOT(b):b...b:cd, fraction efgh followed by zeros.
    """
    ebits, fbits = {16: (5, 10), 32: (8, 23), 64: (11, 52)}[esize]
    b6 = imm8 >> 6 & 1
    exp = ((b6 ^ 1) << (ebits - 1)) | ((((1 << (ebits - 3)) - 1) if b6 else 0) << 2) | (imm8 >> 4 & 3)
    return (imm8 >> 7) << (esize - 1) | exp << fbits | (imm8 & 0xF) << (fbits - 4)


def simd_expand_imm(op: int, cmode: int, imm8: int) -> int | None:
    """The ARM ARM AdvSIMDExpandImm(): the 64-bit pattern of movi/mvni/orr/bic (None if reserved)."""
    c = cmode >> 1
    if c <= 3:                                    # 32-bit, shifted by 0/8/16/24
        return (imm8 << (8 * c)) * 0x0000000100000001
    if c <= 5:                                    # 16-bit, shifted by 0/8
        return (imm8 << (8 * (c & 1))) * 0x0001000100010001
    if c == 6:                                    # 32-bit, shifting ones
        v = (imm8 << 8 | 0xFF) if cmode & 1 == 0 else (imm8 << 16 | 0xFFFF)
        return v * 0x0000000100000001
    if cmode == 14 and op == 0:
        return imm8 * 0x0101010101010101
    if cmode == 14:
        return sum(0xFF << (8 * i) for i in range(8) if imm8 >> i & 1)
    if cmode == 15 and op == 0:                   # fmov vector, single
        return vfp_expand_imm(imm8, 32) * 0x0000000100000001
    if cmode == 15:
        return vfp_expand_imm(imm8, 64)
    return None


MASK64 = (1 << 64) - 1
