"""Helpers written once for both the Python tiers and tier 2 (numba).

A semantic helper marked `@jitable` is a plain Python function that the
interpreter and tier 1 call as it is, and that `machr.isa.dual_numba`
registers with numba (`register_jitable`) so a tier-2 region calls the very
same code compiled.  To mean the same in both worlds such a helper keeps to
what Python ints and floats and numba's uint64/float64 agree on: values
below 2**64, float64 arithmetic (IEEE binary64, round to nearest even, no
fastmath in either), and the few primitives below at its boundaries —
the only functions with two implementations, because Python has no
reinterpretation of bits and numba has no unbounded int:

* `u64(x)`: x as numba's uint64 (the identity in Python).  Every value a
  jitable helper returns goes through it: numba types mixed int64/uint64
  arithmetic as int64, and a region variable that sees both would become a
  float64.
* `to_double(bits)` / `from_double(x)`: binary64 bits <-> float;
  `to_single(bits)` / `from_single(x)`: binary32 bits <-> float, x rounded
  to binary32 (to nearest even; out of range gives an infinity).

A helper that only tier 2 needs a different way (a fast path guarded by a
fall-back to the Python tiers) is named in `Isa.numba_guarded` instead.
"""

from __future__ import annotations

import ctypes
import struct
from typing import Callable

JITABLE: dict[str, Callable] = {}     # name -> function, every jitable helper of every ISA

_D = struct.Struct("<d")
_Q = struct.Struct("<Q")
_F = struct.Struct("<f")
_I = struct.Struct("<I")


def jitable(fn: Callable) -> Callable:
    """Mark `fn` as callable from tier 2 as it is (registered with numba when a region module loads)."""
    other = JITABLE.setdefault(fn.__name__, fn)
    if other is not fn:
        raise ValueError(f"two jitable helpers named {fn.__name__}: {other.__module__}, {fn.__module__}")
    return fn


def u64(x: int) -> int:
    return x


def to_double(bits: int) -> float:
    return _D.unpack(_Q.pack(bits))[0]


def from_double(x: float) -> int:
    return _Q.unpack(_D.pack(x))[0]



def to_single(bits: int) -> float:
    return _F.unpack(_I.pack(bits))[0]


def from_single(x: float) -> int:
    return _I.unpack(_F.pack(ctypes.c_float(x).value))[0]
