"""Decoded operands and their Intel-syntax text (as capstone prints it).

An operand is a small tuple so decoded instructions stay cheap and hashable:

  ``("r", n, bits)``   general register n (0 = rax … 15 = r15), low `bits` of it
  ``("h", n, 8)``      ah/ch/dh/bh: bits 8..15 of register n (0..3), no REX only
  ``("m", bits, base, index, scale, disp, seg)``  memory; base/index are register
                       numbers or -1 (base RIP: disp is relative to the next
                       instruction; index RIZ: SIB "no index" that capstone prints);
                       seg is "" or a segment name; bits 0 = no size (lea)
  ``("i", value, bits, signed)``  immediate, value masked to `bits`;
                       `signed` says capstone prints it as a signed number
  ``("x", n)``         xmm register n
  ``("j", target)``    branch target (absolute)
"""

from __future__ import annotations

RIP = 16          # `base` of a RIP-relative operand (disp relative to the next instruction)
RIZ = 17          # `index` of a SIB byte without index that capstone still prints ("riz")

_R64 = ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi") + tuple(f"r{i}" for i in range(8, 16))
_R32 = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi") + tuple(f"r{i}d" for i in range(8, 16))
_R16 = ("ax", "cx", "dx", "bx", "sp", "bp", "si", "di") + tuple(f"r{i}w" for i in range(8, 16))
_R8 = ("al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil") + tuple(f"r{i}b" for i in range(8, 16))
_R8H = ("ah", "ch", "dh", "bh")
REG_NAMES = {64: _R64, 32: _R32, 16: _R16, 8: _R8}
_PTR = {8: "byte ptr ", 16: "word ptr ", 32: "dword ptr ", 64: "qword ptr ", 128: "xmmword ptr ", 0: ""}
_MASK = {8: 0xFF, 16: 0xFFFF, 32: 0xFFFFFFFF, 64: 0xFFFFFFFFFFFFFFFF}


def number(v: int) -> str:
    """Capstone's number style: decimal up to 9, hex above, '-' for negatives."""
    if v < 0:
        return "-" + number(-v)
    return str(v) if v <= 9 else hex(v)


def imm_value(op: tuple) -> int:
    """The immediate as the instruction uses it (sign applied when signed)."""
    _, v, bits, signed = op
    return v - (1 << bits) if signed and v >> (bits - 1) else v


def operand_text(op: tuple, addr_bits: int = 64) -> str:
    kind = op[0]
    if kind == "r":
        return REG_NAMES[op[2]][op[1]]
    if kind == "h":
        return _R8H[op[1]]
    if kind == "x":
        return f"xmm{op[1]}"
    if kind == "j":
        return hex(op[1])
    if kind == "i":
        return number(imm_value(op))
    _, bits, base, index, scale, disp, seg = op
    names = REG_NAMES[addr_bits]
    parts = []
    if base == RIP:
        parts.append("eip" if addr_bits == 32 else "rip")
    elif base >= 0:
        parts.append(names[base])
    if index >= 0:
        name = ("eiz" if addr_bits == 32 else "riz") if index == RIZ else names[index]
        parts.append(name if scale == 1 else f"{name}*{scale}")
    text = " + ".join(parts)
    if not parts:
        text = number(disp & _MASK[addr_bits])
    elif disp:
        text += f" - {number(-disp)}" if disp < 0 else f" + {number(disp)}"
    return f"{_PTR[bits]}{seg + ':' if seg else ''}[{text}]"


def mask(bits: int) -> int:
    return _MASK[bits]
