"""Geometry both architectures share: 4 levels of 512 eight-byte entries, 4 KiB pages.

x86_64 (PML4/PDPT/PD/PT) and AArch64 with a 4 KiB granule and 48-bit VA
(levels 0–3) index their tables with the same 9-bit slices of the address;
only the entry formats differ (`machr.isa.<arch>.paging`).  PERM_* is the
common vocabulary in which each format reports what an entry grants.
"""

LEVELS = 4
PERM_W, PERM_X, PERM_U = 1, 2, 4


def index(va: int, level: int) -> int:
    """Slot of `va` in the table at `level` (0 = top)."""
    return (va >> (39 - 9 * level)) & 0x1FF


def leaf_size(level: int) -> int:
    """Bytes mapped by a leaf at `level` (1 GiB, 2 MiB, 4 KiB below the top)."""
    return 1 << (39 - 9 * level)
