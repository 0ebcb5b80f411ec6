"""Decoder vs capstone: length, mnemonic and operand text, on real code and on random fields.

Normalisation: none — our text must equal capstone's (CS_MODE_ARM) exactly.
Words we refuse (DecodeError → UNDEFINED exit) must be in `NOT_IMPLEMENTED`
(capstone mnemonics), so a new gcc output that we cannot decode fails here.
"""

from __future__ import annotations

import random

import capstone
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from machr.isa.aarch64 import ISA
from machr.isa.aarch64 import encoding as enc
from machr.isa.base import DecodeError, NeedMoreBytes

from . import corpus

# Capstone mnemonics we deliberately leave UNDEFINED when they occur in the corpus
# (the random-field tests also meet the FP/SIMD long tail we do not implement:
# half-precision vector arithmetic, sqdmulh & co., ld2-ld4 single lane, frint32/64).
NOT_IMPLEMENTED = {"udf"}

CS = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)


def capstone_text(word: bytes, pc: int):
    out = list(CS.disasm(word, pc))
    return (out[0].mnemonic, out[0].op_str) if out else None


def check_words(words) -> list[str]:
    problems = []
    for pc, word in words:
        ref = capstone_text(word, pc)
        try:
            insn = ISA.decode(word, pc)
        except DecodeError:
            if ref is not None and ref[0] not in NOT_IMPLEMENTED:
                problems.append(f"{pc:#x} {word[::-1].hex()}: undecoded, capstone '{ref[0]} {ref[1]}'")
            continue
        if ref is None:
            problems.append(f"{pc:#x} {word[::-1].hex()}: capstone rejects, we say '{insn}'")
        elif (insn.length, insn.mnemonic, insn.op_str) != (4, *ref):
            problems.append(f"{pc:#x} {word[::-1].hex()}: '{insn}' != capstone '{ref[0]} {ref[1]}'")
    return problems


@pytest.mark.parametrize("path", corpus.firmware_elfs(), ids=lambda p: p.name)
def test_firmware_decodes_like_capstone(path):
    words = corpus.words(corpus.code_ranges(path.read_bytes()))
    problems = check_words(words)
    assert not problems, "\n".join(problems[:40])
    undecoded = []
    for pc, word in words:
        try:
            ISA.translate(ISA.decode(word, pc))
        except DecodeError:
            if capstone_text(word, pc)[0] != "udf":
                undecoded.append(f"{pc:#x} {capstone_text(word, pc)}")
    assert not undecoded, "firmware instructions without semantics:\n" + "\n".join(undecoded[:40])


def test_compiled_corpus_decodes_like_capstone():
    regions = corpus.compiled_corpus()
    if not regions:
        pytest.skip(f"{corpus.CC} not installed")
    problems = check_words(corpus.words(regions))
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("row", range(len(enc.ENCODINGS)), ids=lambda i: enc.ENCODINGS[i][0])
def test_random_fields_decode_like_capstone(row):
    """Random words inside one encoding row: where both decode, the text agrees."""
    mask, value, _ = enc.parse_pattern(enc.ENCODINGS[row][1])
    rnd = random.Random(row)
    words = [(0x400000, ((rnd.getrandbits(32) & ~mask) | value).to_bytes(4, "little")) for _ in range(150)]
    problems = [p for p in check_words(words) if "capstone rejects" not in p and "undecoded" not in p]
    assert not problems, "\n".join(problems[:40])


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.binary(min_size=0, max_size=4), st.integers(0, 2**64 - 4).map(lambda v: v & ~3))
def test_random_bytes_raise_only_decode_errors(buf, pc):
    try:
        insn = ISA.decode(buf, pc)
    except NeedMoreBytes:
        assert len(buf) < 4
        return
    except DecodeError:
        return
    assert insn.length == 4
    ISA.translate(insn)


def test_short_buffer_needs_more_bytes():
    with pytest.raises(NeedMoreBytes):
        ISA.decode(b"\x1f\x20\x03", 0x1000)


@pytest.mark.parametrize("text,hexword,ends", [
    ("svc #0x80", "d4001001", True), ("brk #0x3e8", "d4207d00", True), ("ret", "d65f03c0", True),
    ("bl #0x1980", "94000260", True), ("mrs x0, tpidr_el0", "d53bd040", False),
    ("msr fpsr, xzr", "d51b443f", True), ("nop", "d503201f", False), ("yield", "d503203f", True),
    ("isb", "d5033fdf", True), ("dmb ish", "d5033bbf", False), ("ldaxr x0, [x1]", "c85ffc20", False),
])
def test_known_words(text, hexword, ends):
    insn = ISA.decode(bytes.fromhex(hexword)[::-1], 0x1000)
    assert (str(insn), insn.ends_block) == (text, ends)


@pytest.mark.parametrize("hexword", ["00000000", "d53b0000", "d51be000", "d508751f", "38a0c000"])
def test_undefined_words(hexword):
    """udf, mrs of an EL1 register, msr to a read-only one, dc ivac (EL1), ldapr (not implemented)."""
    with pytest.raises(DecodeError):
        ISA.decode(bytes.fromhex(hexword)[::-1], 0x1000)
