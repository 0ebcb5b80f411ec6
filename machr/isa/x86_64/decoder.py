"""x86-64 decoder: legacy prefixes, REX, opcode maps, ModRM/SIB, driven by `encoding`.

The decoder knows no instruction by name: it reads prefixes and opcode bytes,
picks the table row (mandatory prefix, ModRM.reg digit, mod, REX.W), then
decodes that row's operand codes.  Capstone's text is reproduced for the
mnemonic and operands (see `operands.operand_text` and `_immediate`).
"""

from __future__ import annotations

from machr.isa.base import DecodeError, Insn, NeedMoreBytes
from machr.isa.x86_64.encoding import Encoding, opcode_index
from machr.isa.x86_64.operands import RIP, RIZ, mask, operand_text

MAX_INSN_LEN = 15
_INDEX = opcode_index()
_SEGMENTS = {0x26: "es", 0x2E: "cs", 0x36: "ss", 0x3E: "ds", 0x64: "fs", 0x65: "gs"}
_SIZE = {"b": 8, "w": 16, "d": 32, "q": 64}
_CONTROL = frozenset({"jcc", "jmp", "call", "ret", "syscall", "int3", "ud2", "hlt"})
# Forms that must end a block although they do not branch: cpuid/rdtsc read the
# clock or fixed state the translator cannot fold; wrfsbase changes segment bases.
_BLOCK_END = _CONTROL | {"rdtsc", "wrfsbase", "wrgsbase"}
_STRING = frozenset({"movs", "stos", "lods", "scas", "cmps"})
_LOCKABLE = frozenset({"add", "or", "adc", "sbb", "and", "sub", "xor", "inc", "dec", "not", "neg",
                       "xchg", "cmpxchg", "xadd", "bts", "btr", "btc"})
# Capstone prints these mnemonics' immediates unsigned (masked to the operand size).
_UNSIGNED_IMM = frozenset({"and", "or", "xor", "mov", "movabs"})


class _Bytes:
    """Cursor over the instruction bytes; running off the end means NeedMoreBytes."""

    __slots__ = ("buf", "i")

    def __init__(self, buf: bytes):
        self.buf = buf
        self.i = 0

    def u8(self) -> int:
        if self.i >= len(self.buf):
            raise NeedMoreBytes(f"instruction continues past {len(self.buf)} bytes")
        if self.i >= MAX_INSN_LEN:
            raise DecodeError("instruction longer than 15 bytes")
        self.i += 1
        return self.buf[self.i - 1]

    def peek(self) -> int:
        b = self.u8()
        self.i -= 1
        return b

    def uint(self, nbytes: int) -> int:
        return int.from_bytes(bytes(self.u8() for _ in range(nbytes)), "little")

    def sint(self, nbytes: int) -> int:
        v = self.uint(nbytes)
        return v - (1 << (8 * nbytes)) if v >> (8 * nbytes - 1) else v


def _choose(cands: list[Encoding], modrm: int | None, rex: int, rep: int, p66: bool) -> Encoding:
    fitting = []
    for e in cands:
        if modrm is not None:
            if e.reg is not None and (modrm >> 3) & 7 != e.reg:
                continue
            if e.exact_modrm is not None and modrm != e.exact_modrm:
                continue
            if e.mod is not None and (modrm >> 6 == 3) != (e.mod == "reg"):
                continue
        if e.w is not None and bool(rex & 8) != bool(e.w):
            continue
        if e.no_rex_b and rex & 1:
            continue
        fitting.append(e)
    for wanted in ([rep] if rep else []) + ([0x66] if p66 else []) + [None]:
        for e in fitting:
            if e.prefix == wanted:
                return e
    raise DecodeError("no encoding for these prefixes/ModRM")


def _modrm_operand(cur: _Bytes, modrm: int, rex: int, bits: int, seg: str) -> tuple:
    """The r/m operand of a memory ModRM (mod != 3) as an "m" tuple."""
    mod, rm = modrm >> 6, modrm & 7
    base, index, scale = rm | (rex & 1) << 3, -1, 1
    if rm == 4:
        sib = cur.u8()
        scale = 1 << (sib >> 6)
        index = (sib >> 3) & 7 | (rex & 2) << 2
        base = sib & 7 | (rex & 1) << 3
        if sib & 7 == 5 and mod == 0:
            base = -1
        if index == 4:                 # no index; capstone shows "riz" unless [rsp]/[r12]/[disp]
            index = -1 if scale == 1 and (base == -1 or base & 7 == 4) else RIZ
    elif rm == 5 and mod == 0:
        base = RIP
    disp = cur.sint(1) if mod == 1 else cur.sint(4) if mod == 2 or base in (-1, RIP) else 0
    return ("m", bits, base, index, scale, disp, seg)


def decode(buf: bytes, pc: int) -> Insn:
    """Decode one instruction from `buf` (the bytes available at `pc`)."""
    cur = _Bytes(buf)
    p66 = lock = a32 = False
    rep, seg = 0, ""
    while True:
        b = cur.u8()
        if b == 0x66:
            p66 = True
        elif b in (0xF2, 0xF3):
            rep = b
        elif b == 0xF0:
            lock = True
        elif b == 0x67:
            a32 = True
        elif b in _SEGMENTS:
            seg = _SEGMENTS[b]
        else:
            break
    rex = 0
    if 0x40 <= b <= 0x4F:
        rex, b = b, cur.u8()
    key = bytes([b])
    if b == 0x0F:
        b2 = cur.u8()
        key = bytes([0x0F, b2, cur.u8()]) if b2 in (0x38, 0x3A) else bytes([0x0F, b2])
    cands = _INDEX.get(key)
    if not cands:
        raise DecodeError(f"opcode {key.hex()} not implemented")
    modrm = cur.u8() if cands[0].modrm else None
    enc = _choose(cands, modrm, rex, rep, p66)
    if enc.prefix == 0x66:
        p66 = False
    elif enc.prefix is not None:
        rep = 0
    if lock and (enc.form not in _LOCKABLE or modrm is None or modrm >> 6 == 3):
        raise DecodeError("lock prefix on a form that takes none")
    w = bool(rex & 8)
    osz = 64 if w else 16 if p66 else 32
    ops = []
    for code in enc.operands:
        ops.append(_operand(code, cur, enc, key, modrm, rex, osz, seg, a32))
    length = cur.i
    rip_fix = [i for i, o in enumerate(ops) if o[0] == "j"]
    for i in rip_fix:                         # relative targets are known once the length is
        ops[i] = ("j", (pc + length + ops[i][1]) & mask(64))
    names = enc.mnemonic.split("/")
    mnemonic = names[{16: 0, 32: 1, 64: 2}[osz]] if len(names) > 1 else names[0]
    if a32 and enc.form in _STRING:
        raise DecodeError("32-bit address size on a string instruction")
    if rep and enc.form in ("movs", "stos", "lods"):
        mnemonic = "rep " + mnemonic
    elif rep and enc.form in ("scas", "cmps"):
        mnemonic = ("repne " if rep == 0xF2 else "repe ") + mnemonic
    elif rep:
        raise DecodeError("rep prefix on an instruction that takes none")
    if lock:
        mnemonic = "lock " + mnemonic
    addr_bits = 32 if a32 else 64
    op_str = ", ".join(operand_text(o, addr_bits) for o in ops)
    fields = {"ops": tuple(ops), "osz": osz, "rep": rep, "a32": a32,
              "cc": key[-1] & 15 if enc.form in ("jcc", "setcc", "cmovcc") else 0}
    return Insn(pc, length, mnemonic, op_str, enc.form, fields, enc.form in _BLOCK_END, bytes(buf[:length]))


def _gpr(n: int, bits: int, rex: int) -> tuple:
    """Register operand n of `bits`; without REX, byte registers 4..7 are ah..bh."""
    if bits == 8 and not rex and 4 <= n <= 7:
        return ("h", n - 4, 8)
    return ("r", n, bits)


def _size(letter: str, osz: int, w: bool) -> int:
    if letter == "v":
        return osz
    if letter == "y":
        return 64 if w else 32
    return _SIZE[letter]


def _operand(code: str, cur: _Bytes, enc: Encoding, key: bytes, modrm: int | None, rex: int,
             osz: int, seg: str, a32: bool) -> tuple:
    w = bool(rex & 8)
    kind, letter = code[0], code[1:]
    is_reg = modrm is not None and modrm >> 6 == 3
    if code in ("AL", "rAX", "CL"):
        return ("r", 1 if code == "CL" else 0, 8 if code != "rAX" else osz)
    if code == "I1":
        return ("i", 1, 8, False)
    if code in ("V", "U") or kind == "W":
        if code == "V":
            return ("x", (modrm >> 3) & 7 | (rex & 4) << 1)
        if is_reg:
            return ("x", modrm & 7 | (rex & 1) << 3)
        return _modrm_operand(cur, modrm, rex, {"x": 128, "q": 64, "d": 32}[letter], seg)
    if kind == "G":
        return _gpr((modrm >> 3) & 7 | (rex & 4) << 1, _size(letter, osz, w), rex)
    if kind in ("E", "M"):
        bits = 0 if code == "M" else 8 if code == "Mb" else _size(letter, osz, w)
        if is_reg:
            if kind == "M":
                raise DecodeError("memory operand required")
            return _gpr(modrm & 7 | (rex & 1) << 3, bits, rex)
        return _modrm_operand(cur, modrm, rex, bits, seg)
    if kind == "Z":
        return _gpr(key[-1] & 7 | (rex & 1) << 3, _size(letter, osz, w), rex)
    if kind == "I":
        return _immediate(letter, cur, enc, osz)
    if kind == "J":
        return ("j", cur.sint(1 if letter == "b" else 4))
    if kind == "O":
        return ("m", _size(letter, osz, w), -1, -1, 1, cur.uint(8), seg)
    if kind in ("X", "Y"):
        return ("m", _size(letter, osz, w), 6 if kind == "X" else 7, -1, 1, 0, seg if kind == "X" else "")
    raise AssertionError(f"operand code {code}")


def _immediate(letter: str, cur: _Bytes, enc: Encoding, osz: int) -> tuple:
    """Immediates, sign-extended as the encoding says, printed the way capstone does."""
    byte_op = any(o.endswith("b") and o[0] in "EGZ" or o == "AL" for o in enc.operands)
    bits = 8 if byte_op else osz
    if enc.form == "push":
        bits = 64
    if letter == "b":                                # imm8 used as is (counts, selectors)
        return ("i", cur.uint(1), 8, False)
    if letter == "w":
        return ("i", cur.uint(2), 16, False)
    if letter == "v":
        v = cur.uint(bits // 8)
    else:                                            # bs / z: sign-extended to the operand size
        v = cur.sint(1 if letter == "bs" else min(bits, 32) // 8) & mask(bits)
    # capstone keeps a 16/32-bit imm16/32 as written (positive) but shows sign-extended ones signed
    signed = (letter == "bs" or bits == 64) and enc.mnemonic not in _UNSIGNED_IMM
    return ("i", v, bits, signed)
