"""Bad ELF files get one clear line and exit status 2; nothing half-built."""

import struct
import subprocess
import sys

import pytest

from machr.kernel.kern.elf_loader import ElfError, elf_inspect
from tests.conftest import firmware

GOOD = firmware("x86_64", "hello").read_bytes()
PHOFF = struct.unpack_from("<Q", GOOD, 32)[0]


def patched(data: bytes, offset: int, fmt: str, value) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


def phdr(i: int, field: int) -> int:
    """Offset of field (byte offset within Elf64_Phdr) of program header i."""
    return PHOFF + 56 * i + field


def loads(data: bytes) -> list[int]:
    n = struct.unpack_from("<H", data, 56)[0]
    return [i for i in range(n) if struct.unpack_from("<I", data, phdr(i, 0))[0] == 1]


CASES = {
    "empty": (b"", "not an ELF file"),
    "text": (b"#!/bin/sh\necho hi\n" * 10, "not an ELF file"),
    "32-bit": (patched(GOOD, 4, "B", 1), "not a 64-bit ELF file"),
    "big-endian": (patched(GOOD, 5, "B", 2), "not a little-endian ELF file"),
    "foreign-arch": (patched(GOOD, 18, "<H", 40), "unsupported architecture"),      # EM_ARM
    "shared-object": (patched(GOOD, 16, "<H", 3), "not a static executable"),
    "truncated": (GOOD[:2000], "truncated"),
    "phdrs-outside": (patched(GOOD, 32, "<Q", len(GOOD) + 100), "program headers lie outside the file"),
}


def test_good_file_passes():
    image = elf_inspect(GOOD)
    assert image.arch == "x86_64" and image.segments and image.phdr_addr


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_header(name):
    data, message = CASES[name]
    with pytest.raises(ElfError, match=message):
        elf_inspect(data)


def test_filesz_larger_than_memsz():
    i = loads(GOOD)[0]
    memsz = struct.unpack_from("<Q", GOOD, phdr(i, 40))[0]
    with pytest.raises(ElfError, match="exceeds memory size"):
        elf_inspect(patched(GOOD, phdr(i, 32), "<Q", memsz + 1))


def test_overlapping_segments():
    a, b = loads(GOOD)[:2]
    va_a = struct.unpack_from("<Q", GOOD, phdr(a, 16))[0]
    data = patched(GOOD, phdr(b, 16), "<Q", va_a + 8)
    with pytest.raises(ElfError, match="overlap"):
        elf_inspect(data)


def test_oversized_segment():
    i = loads(GOOD)[-1]
    with pytest.raises(ElfError, match="outside the user address range|more than physical memory"):
        elf_inspect(patched(GOOD, phdr(i, 40), "<Q", 1 << 50))
    with pytest.raises(ElfError, match="more than physical memory"):
        elf_inspect(patched(GOOD, phdr(i, 40), "<Q", 1 << 30), mem_limit=16 << 20)


def test_entry_outside_code():
    with pytest.raises(ElfError, match="entry point"):
        elf_inspect(patched(GOOD, 24, "<Q", 0x10))


def test_random_corruption_never_raises_anything_else():
    import random

    rng = random.Random(1234)
    for _ in range(300):
        b = bytearray(GOOD[:4096])
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(64 + 56 * 4)] = rng.randrange(256)
        try:
            elf_inspect(bytes(b))
        except ElfError:
            pass


def test_cli_one_line_and_status_2(tmp_path):
    bad = tmp_path / "bad.elf"
    bad.write_bytes(patched(GOOD, 18, "<H", 40))
    for path in (bad, tmp_path / "missing.elf"):
        r = subprocess.run([sys.executable, "-m", "machr.cli", "run", str(path)], capture_output=True, timeout=60)
        assert r.returncode == 2
        assert r.stdout == b"" and r.stderr.count(b"\n") == 1 and r.stderr.startswith(b"machr: ")
