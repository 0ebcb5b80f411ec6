"""Linear sweep over the code of an ELF, the way objdump walks it: symbol by symbol.

Each function or label in an executable section is swept from its address to
its size (or, for size-less assembly labels, to the next symbol or the section
end), so literal pools and padding between functions are never decoded.
"""

from __future__ import annotations

from collections.abc import Iterator

from elftools.elf.elffile import ELFFile

SHF_EXECINSTR = 4


def code_ranges(path: str) -> Iterator[tuple[int, bytes]]:
    """(address, bytes) of every symbol-delimited code range of the ELF."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        for sec in elf.iter_sections():
            if not sec["sh_flags"] & SHF_EXECINSTR or sec["sh_type"] != "SHT_PROGBITS":
                continue
            base, data = sec["sh_addr"], sec.data()
            starts = sorted({s["st_value"]: s["st_size"] for s in symtab.iter_symbols()
                             if s["st_info"]["type"] in ("STT_FUNC", "STT_NOTYPE") and s.name
                             and base <= s["st_value"] < base + len(data)}.items())
            for k, (addr, size) in enumerate(starts):
                end = addr + size if size else (starts[k + 1][0] if k + 1 < len(starts) else base + len(data))
                yield addr, data[addr - base:end - base]
