"""Random byte strings that encode a given row of the encoding table.

Shared by the decoder test (against capstone) and the semantics test (against
Unicorn): both want every table row exercised with random registers, ModRM/SIB
shapes, displacements, immediates and harmless extra prefixes.
"""

from __future__ import annotations

import random

from machr.isa.x86_64.encoding import Encoding


def instance(e: Encoding, rng: random.Random, memory: bool | None = None) -> bytes:
    """One random encoding of row `e` (followed by random bytes, so over-long reads show).

    `memory` forces a register (False) or memory (True) ModRM form when the row allows both.
    """
    out = bytearray()
    if e.prefix == 0x66:
        out.append(0x66)
    elif rng.random() < 0.15 and "v" in "".join(e.operands) and e.prefix is None:
        out.append(0x66)
    if rng.random() < 0.1 and e.modrm:
        out.append(rng.choice((0x64, 0x65)))
    if e.prefix in (0xF2, 0xF3):
        out.append(e.prefix)
    rex = 0x40 | rng.randrange(16) if rng.random() < 0.6 else 0
    if e.w is not None:
        rex = (rex or 0x40) & ~8 | e.w << 3
    if e.no_rex_b:
        rex &= ~1
    if rex and rex != 0x40 or (rex and rng.random() < 0.5):
        out.append(rex)
    out += e.opcode[:-1]
    out.append(e.opcode[-1] + (rng.randrange(8) if e.plus_r else 0))
    if e.modrm:
        if e.exact_modrm is not None:
            out.append(e.exact_modrm)
        else:
            mod = rng.randrange(4)
            if memory is True or e.mod == "mem":
                mod = rng.randrange(3)
            elif memory is False or e.mod == "reg":
                mod = 3
            reg = e.reg if e.reg is not None else rng.randrange(8)
            out.append(mod << 6 | reg << 3 | rng.randrange(8))
    out += bytes(rng.randrange(256) for _ in range(16))
    return bytes(out)
