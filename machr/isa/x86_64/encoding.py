"""The x86-64 encoding table: the single source the decoder is driven by.

Each row is ``pattern | mnemonic | operands | form`` in the notation of the
Intel SDM opcode tables, so a row can be checked against the manual at a glance.

Pattern tokens, in order:
  * ``66`` / ``F2`` / ``F3`` first: a *mandatory* prefix (SSE and friends);
  * opcode bytes in hex (``0F 38 00``); ``+r`` after the last one adds the
    register number (low 3 bits, REX.B extends it);
  * ``/r`` a ModRM byte follows; ``/0``…``/7`` a ModRM byte whose reg field is
    that digit; ``=FA`` a ModRM byte that must be exactly 0xFA;
  * constraints: ``reg`` / ``mem`` (ModRM.mod == 3 / != 3), ``W0`` / ``W1``
    (REX.W), ``noB`` (REX.B clear; tells ``90`` nop from ``xchg r8``).

Operand sizes follow capstone's text where it differs from the access the
instruction makes (``comisd`` prints ``xmmword ptr``); the semantics use the
architectural access width of the form.

Mnemonic ``a/b/c`` picks by operand size 16/32/64 (``cbw/cwde/cdqe``).

Operand codes (SDM appendix A, with our size letters b w d q v y x):
  ``E?`` ModRM r/m (register or memory), ``G?`` ModRM reg, ``M`` memory only
  (no size), ``Mb`` byte-sized memory only, ``I?`` immediate (``Ibs`` = imm8
  sign-extended to the operand size, ``Iz`` = imm16/32 sign-extended,
  ``Iv`` = full-size imm), ``I1`` the constant 1, ``Z?`` register in the
  opcode, ``AL``/``rAX``/``CL`` fixed registers, ``Jb``/``Jz`` relative
  targets, ``O?`` absolute moffs, ``X?``/``Y?`` string operands [rsi]/[rdi],
  ``V`` xmm in ModRM.reg, ``W?`` xmm or memory in ModRM.r/m (``Wx`` 128,
  ``Wq`` 64, ``Wd`` 32 bits), ``U`` xmm register in ModRM.r/m only.

Size letters: b 8, w 16, d 32, q 64, v 16/32/64 by prefix and REX.W,
y 32/64 by REX.W.  Opcodes whose operand size defaults to 64 in long mode
(push, pop, call, jmp) use ``q`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass

ALU_OPS = ("add", "or", "adc", "sbb", "and", "sub", "xor", "cmp")
SHIFT_OPS = ("rol", "ror", "rcl", "rcr", "shl", "shr", None, "sar")   # /6 (sal alias) not emitted by gcc
CONDITIONS = ("o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g")


def _alu_rows() -> list[str]:
    rows = []
    for k, op in enumerate(ALU_OPS):
        b = 8 * k
        rows += [
            f"{b:02X} /r | {op} | Eb,Gb | {op}", f"{b + 1:02X} /r | {op} | Ev,Gv | {op}",
            f"{b + 2:02X} /r | {op} | Gb,Eb | {op}", f"{b + 3:02X} /r | {op} | Gv,Ev | {op}",
            f"{b + 4:02X} | {op} | AL,Ib | {op}", f"{b + 5:02X} | {op} | rAX,Iz | {op}",
            f"80 /{k} | {op} | Eb,Ib | {op}", f"81 /{k} | {op} | Ev,Iz | {op}",
            f"83 /{k} | {op} | Ev,Ibs | {op}",
        ]
    return rows


def _shift_rows() -> list[str]:
    rows = []
    for k, op in enumerate(SHIFT_OPS):
        if op is None:
            continue
        rows += [
            f"C0 /{k} | {op} | Eb,Ib | {op}", f"C1 /{k} | {op} | Ev,Ib | {op}",
            f"D0 /{k} | {op} | Eb,I1 | {op}", f"D1 /{k} | {op} | Ev,I1 | {op}",
            f"D2 /{k} | {op} | Eb,CL | {op}", f"D3 /{k} | {op} | Ev,CL | {op}",
        ]
    return rows


def _condition_rows() -> list[str]:
    rows = []
    for cc, name in enumerate(CONDITIONS):
        rows += [
            f"{0x70 + cc:02X} | j{name} | Jb | jcc", f"0F {0x80 + cc:02X} | j{name} | Jz | jcc",
            f"0F {0x90 + cc:02X} /r | set{name} | Eb | setcc", f"0F {0x40 + cc:02X} /r | cmov{name} | Gv,Ev | cmovcc",
        ]
    return rows


def _sse_rows() -> list[str]:
    """Packed-integer and logic ops of the form ``66 0F xx /r  op xmm, xmm/m128``."""
    ops = {
        "EF": "pxor", "DB": "pand", "DF": "pandn", "EB": "por",
        "FC": "paddb", "FD": "paddw", "FE": "paddd", "D4": "paddq",
        "F8": "psubb", "F9": "psubw", "FA": "psubd", "FB": "psubq",
        "74": "pcmpeqb", "75": "pcmpeqw", "76": "pcmpeqd",
        "64": "pcmpgtb", "65": "pcmpgtw", "66": "pcmpgtd",
        "DA": "pminub", "DE": "pmaxub", "EA": "pminsw", "EE": "pmaxsw",
        "D5": "pmullw", "F4": "pmuludq", "63": "packsswb", "67": "packuswb", "6B": "packssdw",
        "60": "punpcklbw", "61": "punpcklwd", "62": "punpckldq", "6C": "punpcklqdq",
        "68": "punpckhbw", "69": "punpckhwd", "6A": "punpckhdq", "6D": "punpckhqdq",
    }
    rows = [f"66 0F {op} /r | {name} | V,Wx | {name}" for op, name in ops.items()]
    logic = {"54": "and", "55": "andn", "56": "or", "57": "xor"}
    for op, name in logic.items():
        rows += [f"0F {op} /r | {name}ps | V,Wx | p{name}", f"66 0F {op} /r | {name}pd | V,Wx | p{name}"]
    scalar = {"58": "add", "59": "mul", "5C": "sub", "5E": "div", "5D": "min", "5F": "max", "51": "sqrt"}
    for op, name in scalar.items():
        rows += [f"F2 0F {op} /r | {name}sd | V,Wq | {name}sd", f"F3 0F {op} /r | {name}ss | V,Wd | {name}ss"]
    return rows


ROWS: list[str] = _alu_rows() + _shift_rows() + _condition_rows() + _sse_rows() + """
84 /r | test | Eb,Gb | test
85 /r | test | Ev,Gv | test
A8 | test | AL,Ib | test
A9 | test | rAX,Iz | test
F6 /0 | test | Eb,Ib | test
F7 /0 | test | Ev,Iz | test
F6 /2 | not | Eb | not
F7 /2 | not | Ev | not
F6 /3 | neg | Eb | neg
F7 /3 | neg | Ev | neg
F6 /4 | mul | Eb | mul
F7 /4 | mul | Ev | mul
F6 /5 | imul | Eb | imul1
F7 /5 | imul | Ev | imul1
F6 /6 | div | Eb | div
F7 /6 | div | Ev | div
F6 /7 | idiv | Eb | idiv
F7 /7 | idiv | Ev | idiv
FE /0 | inc | Eb | inc
FF /0 | inc | Ev | inc
FE /1 | dec | Eb | dec
FF /1 | dec | Ev | dec
0F AF /r | imul | Gv,Ev | imul2
69 /r | imul | Gv,Ev,Iz | imul3
6B /r | imul | Gv,Ev,Ibs | imul3
88 /r | mov | Eb,Gb | mov
89 /r | mov | Ev,Gv | mov
8A /r | mov | Gb,Eb | mov
8B /r | mov | Gv,Ev | mov
C6 /0 | mov | Eb,Ib | mov
C7 /0 | mov | Ev,Iz | mov
B0+r | mov | Zb,Ib | mov
B8+r W0 | mov | Zv,Iv | mov
B8+r W1 | movabs | Zv,Iv | mov
A0 | movabs | AL,Ob | mov
A1 | movabs | rAX,Ov | mov
A2 | movabs | Ob,AL | mov
A3 | movabs | Ov,rAX | mov
0F B6 /r | movzx | Gv,Eb | movzx
0F B7 /r | movzx | Gv,Ew | movzx
0F BE /r | movsx | Gv,Eb | movsx
0F BF /r | movsx | Gv,Ew | movsx
63 /r | movsxd | Gv,Ed | movsx
8D /r mem | lea | Gv,M | lea
86 /r | xchg | Eb,Gb | xchg
87 /r | xchg | Ev,Gv | xchg
90 noB | nop | | nop
90+r | xchg | Zv,rAX | xchg
0F B0 /r | cmpxchg | Eb,Gb | cmpxchg
0F B1 /r | cmpxchg | Ev,Gv | cmpxchg
0F C0 /r | xadd | Eb,Gb | xadd
0F C1 /r | xadd | Ev,Gv | xadd
0F C8+r | bswap | Zy | bswap
0F A4 /r | shld | Ev,Gv,Ib | shld
0F A5 /r | shld | Ev,Gv,CL | shld
0F AC /r | shrd | Ev,Gv,Ib | shrd
0F AD /r | shrd | Ev,Gv,CL | shrd
0F A3 /r | bt | Ev,Gv | bt
0F AB /r | bts | Ev,Gv | bts
0F B3 /r | btr | Ev,Gv | btr
0F BB /r | btc | Ev,Gv | btc
0F BA /4 | bt | Ev,Ib | bt
0F BA /5 | bts | Ev,Ib | bts
0F BA /6 | btr | Ev,Ib | btr
0F BA /7 | btc | Ev,Ib | btc
0F BC /r | bsf | Gv,Ev | bsf
0F BD /r | bsr | Gv,Ev | bsr
F3 0F BC /r | tzcnt | Gv,Ev | tzcnt
F3 0F BD /r | lzcnt | Gv,Ev | lzcnt
F3 0F B8 /r | popcnt | Gv,Ev | popcnt
98 | cbw/cwde/cdqe | | cbw
99 | cwd/cdq/cqo | | cwd
EB | jmp | Jb | jmp
E9 | jmp | Jz | jmp
FF /4 | jmp | Eq | jmp
E8 | call | Jz | call
FF /2 | call | Eq | call
C3 | ret | | ret
C2 | ret | Iw | ret
50+r | push | Zq | push
FF /6 | push | Eq | push
6A | push | Ibs | push
68 | push | Iz | push
58+r | pop | Zq | pop
8F /0 reg | pop | Eq | pop
C9 | leave | | leave
9C | pushf/pushfq/pushfq | | pushf
9D | popf/popfq/popfq | | popf
9E | sahf | | sahf
9F | lahf | | lahf
F5 | cmc | | cmc
F8 | clc | | clc
F9 | stc | | stc
FC | cld | | cld
FD | std | | std
A4 | movsb | Yb,Xb | movs
A5 | movsw/movsd/movsq | Yv,Xv | movs
AA | stosb | Yb,AL | stos
AB | stosw/stosd/stosq | Yv,rAX | stos
AC | lodsb | AL,Xb | lods
AD | lodsw/lodsd/lodsq | rAX,Xv | lods
AE | scasb | AL,Yb | scas
AF | scasw/scasd/scasq | rAX,Yv | scas
A6 | cmpsb | Xb,Yb | cmps
A7 | cmpsw/cmpsd/cmpsq | Xv,Yv | cmps
0F 1F /0 | nop | Ev | nop
0F 18 /0 mem | prefetchnta | Mb | nop
0F 18 /1 mem | prefetcht0 | Mb | nop
0F 18 /2 mem | prefetcht1 | Mb | nop
0F 18 /3 mem | prefetcht2 | Mb | nop
0F 0D /1 mem | prefetchw | Mb | nop
F3 0F 1E =FA | endbr64 | | nop
F3 90 noB | pause | | nop
0F AE =E8 | lfence | | nop
0F AE =F0 | mfence | | nop
0F AE =F8 | sfence | | nop
0F 05 | syscall | | syscall
CC | int3 | | int3
0F 0B | ud2 | | ud2
F4 | hlt | | hlt
0F A2 | cpuid | | cpuid
0F 31 | rdtsc | | rdtsc
F3 0F AE /0 reg | rdfsbase | Ey | rdfsbase
F3 0F AE /1 reg | rdgsbase | Ey | rdgsbase
F3 0F AE /2 reg | wrfsbase | Ey | wrfsbase
F3 0F AE /3 reg | wrgsbase | Ey | wrgsbase
0F 28 /r | movaps | V,Wx | movx
0F 29 /r | movaps | Wx,V | movx
66 0F 28 /r | movapd | V,Wx | movx
66 0F 29 /r | movapd | Wx,V | movx
0F 10 /r | movups | V,Wx | movx
0F 11 /r | movups | Wx,V | movx
66 0F 10 /r | movupd | V,Wx | movx
66 0F 11 /r | movupd | Wx,V | movx
66 0F 6F /r | movdqa | V,Wx | movx
66 0F 7F /r | movdqa | Wx,V | movx
F3 0F 6F /r | movdqu | V,Wx | movx
F3 0F 7F /r | movdqu | Wx,V | movx
66 0F 6E /r W0 | movd | V,Ey | movd
66 0F 6E /r W1 | movq | V,Ey | movd
66 0F 7E /r W0 | movd | Ey,V | movd
66 0F 7E /r W1 | movq | Ey,V | movd
F3 0F 7E /r | movq | V,Wq | movq
66 0F D6 /r | movq | Wq,V | movq
F2 0F 10 /r | movsd | V,Wq | movsd
F2 0F 11 /r | movsd | Wq,V | movsd
F3 0F 10 /r | movss | V,Wd | movss
F3 0F 11 /r | movss | Wd,V | movss
0F 12 /r reg | movhlps | V,U | movhlps
0F 16 /r reg | movlhps | V,U | movlhps
66 0F 12 /r mem | movlpd | V,Wq | movlpd
66 0F 16 /r mem | movhpd | V,Wq | movhpd
66 0F 13 /r mem | movlpd | Wq,V | movq
66 0F 17 /r mem | movhpd | Wq,V | movhpd_st
0F 12 /r mem | movlps | V,Wq | movlpd
0F 16 /r mem | movhps | V,Wq | movhpd
0F 13 /r mem | movlps | Wq,V | movq
0F 17 /r mem | movhps | Wq,V | movhpd_st
66 0F D7 /r reg | pmovmskb | Gd,U | pmovmskb
66 0F 70 /r | pshufd | V,Wx,Ib | pshufd
66 0F 73 /3 reg | psrldq | U,Ib | psrldq
66 0F 73 /7 reg | pslldq | U,Ib | pslldq
66 0F 73 /2 reg | psrlq | U,Ib | psrlq
66 0F 73 /6 reg | psllq | U,Ib | psllq
66 0F 72 /2 reg | psrld | U,Ib | psrld
66 0F 72 /6 reg | pslld | U,Ib | pslld
66 0F 72 /4 reg | psrad | U,Ib | psrad
66 0F 71 /2 reg | psrlw | U,Ib | psrlw
66 0F 71 /6 reg | psllw | U,Ib | psllw
66 0F 71 /4 reg | psraw | U,Ib | psraw
0F 14 /r | unpcklps | V,Wx | punpckldq
66 0F 14 /r | unpcklpd | V,Wx | punpcklqdq
0F C6 /r | shufps | V,Wx,Ib | shufps
66 0F C6 /r | shufpd | V,Wx,Ib | shufpd
F2 0F 2A /r | cvtsi2sd | V,Ey | cvtsi2sd
F3 0F 2A /r | cvtsi2ss | V,Ey | cvtsi2ss
F2 0F 2C /r | cvttsd2si | Gy,Wq | cvttsd2si
F3 0F 2C /r | cvttss2si | Gy,Wd | cvttss2si
F2 0F 2D /r | cvtsd2si | Gy,Wq | cvtsd2si
F3 0F 2D /r | cvtss2si | Gy,Wd | cvtss2si
F2 0F 5A /r | cvtsd2ss | V,Wq | cvtsd2ss
F3 0F 5A /r | cvtss2sd | V,Wd | cvtss2sd
66 0F 2E /r | ucomisd | V,Wq | ucomisd
66 0F 2F /r | comisd | V,Wx | ucomisd
0F 2E /r | ucomiss | V,Wd | ucomiss
0F 2F /r | comiss | V,Wd | ucomiss
""".strip().splitlines()


@dataclass(frozen=True, slots=True)
class Encoding:
    """One parsed table row."""

    prefix: int | None        # mandatory prefix byte (0x66/0xF2/0xF3) or None
    opcode: bytes             # opcode bytes, without the +r register
    plus_r: bool              # low 3 bits of the last opcode byte hold a register
    modrm: bool               # a ModRM byte follows the opcode
    reg: int | None           # required ModRM.reg digit
    exact_modrm: int | None   # required whole ModRM byte
    mod: str | None           # "reg" | "mem" | None
    w: int | None             # required REX.W
    no_rex_b: bool            # REX.B must be clear
    mnemonic: str             # possibly "m16/m32/m64"
    operands: tuple[str, ...]
    form: str


def _parse(row: str) -> Encoding:
    pattern, mnemonic, operands, form = (part.strip() for part in row.split("|"))
    tokens = pattern.split()
    prefix = None
    if tokens[0] in ("66", "F2", "F3"):      # never an opcode byte in 64-bit mode
        prefix = int(tokens.pop(0), 16)
    opcode = bytearray()
    plus_r = modrm = no_rex_b = False
    reg = exact = mod = w = None
    for t in tokens:
        if t.endswith("+r"):
            opcode.append(int(t[:-2], 16))
            plus_r = True
        elif t == "/r":
            modrm = True
        elif t[0] == "/":
            modrm, reg = True, int(t[1:])
        elif t[0] == "=":
            modrm, exact = True, int(t[1:], 16)
        elif t in ("reg", "mem"):
            mod = t
        elif t in ("W0", "W1"):
            w = int(t[1])
        elif t == "noB":
            no_rex_b = True
        else:
            opcode.append(int(t, 16))
    return Encoding(prefix, bytes(opcode), plus_r, modrm, reg, exact, mod, w, no_rex_b, mnemonic,
                    tuple(o for o in operands.split(",") if o), form)


ENCODINGS: tuple[Encoding, ...] = tuple(_parse(r) for r in ROWS)


def opcode_index() -> dict[bytes, list[Encoding]]:
    """Encodings by their full opcode bytes (a ``+r`` row appears under all 8 values)."""
    index: dict[bytes, list[Encoding]] = {}
    for e in ENCODINGS:
        lows = range(8) if e.plus_r else (0,)
        for low in lows:
            key = e.opcode[:-1] + bytes([e.opcode[-1] + low])
            index.setdefault(key, []).append(e)
    return index
