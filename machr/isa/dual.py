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

A helper tier 2 cannot run as it is, but a jitable fast path of it that
may decline (then the Python tiers run the instruction), is named in
`Isa.numba_guarded` instead.

The Python tiers call what is fastest in CPython (`python_globals`): a
helper's definition in unbounded ints where one is registered with
`@python_version` (tests hold the two equal), and a `numba_guarded`
helper behind the same fast path tier 2 runs (`fast_first`, or the fast
path's CPython version registered with `@python_guarded`).
"""

from __future__ import annotations

import ctypes
import inspect
import math
import struct
from typing import Any, Callable

JITABLE: dict[str, Callable] = {}     # name -> function, every jitable helper of every ISA
PYTHON: dict[str, Callable] = {}      # name -> what the Python tiers call instead of that jitable helper
PYTHON_GUARDED: dict[str, Callable] = {}    # fast path name -> what the Python tiers call for the helper it guards

_D = struct.Struct("<d")
_Q = struct.Struct("<Q")
_F = struct.Struct("<f")
_I = struct.Struct("<I")
_unpack_d, _pack_d, _unpack_q, _pack_q = _D.unpack, _D.pack, _Q.unpack, _Q.pack    # bound once: hot in Python

# A bit cast in two subscripts, no call, for the Python tiers' hot float paths (`python_version`s):
# one scratch buffer seen as three uint64 and as three doubles.  `SCRATCH_Q[i] = bits; SCRATCH_D[i]`
# is to_double, `SCRATCH_D[i] = x; SCRATCH_Q[i]` from_double, about three times cheaper in CPython
# than the struct round trip.  Its users finish with it before they call anything: the guest runs
# on one host thread, and nothing between the two subscripts can run another user.
_SCRATCH = bytearray(24)
SCRATCH_Q = memoryview(_SCRATCH).cast("Q")
SCRATCH_D = memoryview(_SCRATCH).cast("d")


def jitable(fn: Callable) -> Callable:
    """Mark `fn` as callable from tier 2 as it is (registered with numba when a region module loads)."""
    other = JITABLE.setdefault(fn.__name__, fn)
    if other is not fn:
        raise ValueError(f"two jitable helpers named {fn.__name__}: {other.__module__}, {fn.__module__}")
    return fn


def python_version(helper: Callable) -> Callable[[Callable], Callable]:
    """Decorator: the decorated function is what the Python tiers call in place of the jitable `helper`.

    For a helper whose uint64-only code (numba has no wider int) costs far
    more in CPython than its definition in unbounded ints, which the
    decorated function is: same arguments, same result.
    """
    return _registrar(PYTHON, helper)


def python_guarded(fast: Callable) -> Callable[[Callable], Callable]:
    """Decorator: the decorated function is what the Python tiers call for the helper `fast` guards.

    In place of `fast_first(fast, helper)`, for a helper on a hot path: the
    same fast path written for CPython, returning the helper's result itself
    and calling `fast_first(fast, helper)` where it declines — a call and a
    tuple fewer per operation than the wrapper around `fast`.
    """
    return _registrar(PYTHON_GUARDED, fast)


def _registrar(table: dict[str, Callable], helper: Callable) -> Callable[[Callable], Callable]:
    """A decorator entering its function in `table` under the name of `helper`, which must be jitable."""
    if JITABLE.get(helper.__name__) is not helper:
        raise ValueError(f"{helper.__name__} is not a jitable helper")

    def register(fn: Callable) -> Callable:
        table[helper.__name__] = fn
        return fn
    return register


def binary64_function(name: str, params: str, template: str, result: str, otherwise: str, env: dict,
                      setup: str = "") -> Callable:
    """A Python-tier helper made from an ISA's binary64 text on floats (`Isa.python_float_ops`).

    `params` start with the two operands' bits and their width: at width
    64 the bits are cast to floats through the scratch buffer (`_fa`,
    `_fb`), `setup` and `template` run, and where the template does not
    decline (`_fok`) the helper returns `result` (the result's bits are
    `_SQ[2]`); everywhere else it returns `otherwise`.  Tier 1 writes the
    same text inline (machr.jit.pyfloat), so the two cannot drift apart.
    """
    a, b, width = (p.strip() for p in params.split(",")[:3])
    lines = setup.splitlines() + template.format(a="_fa", b="_fb", r="_fr").splitlines()
    body = "\n".join(f"        {ln}" for ln in lines)
    ns = dict(env, _SQ=SCRATCH_Q, _SD=SCRATCH_D)
    exec(f"def {name}({params}):\n"
         f"    if {width} == 64:\n"
         f"        _SQ[0] = {a}\n"
         f"        _SQ[1] = {b}\n"
         f"        _fa = _SD[0]\n"
         f"        _fb = _SD[1]\n"
         f"{body}\n"
         f"        if _fok:\n"
         f"            _SD[2] = _fr\n"
         f"            return {result}\n"
         f"    return {otherwise}\n", ns)
    return ns[name]


def fast_first(fast: Callable, exact: Callable) -> Callable:
    """`exact` for the Python tiers: `fast` first (it returns (ok, *exact's result)), `exact` when not ok.

    The same fast path tier 2 runs for an `Isa.numba_guarded` helper, with
    the same fall-back, so every tier gets the same result.  Made with
    `exact`'s own parameters (a `*args` wrapper costs a tenth more per call).
    """
    params = ", ".join(inspect.signature(exact).parameters)
    ns = {"_fast": fast, "_exact": exact}
    exec(f"def _run({params}):\n"
         f"    _r = _fast({params})\n"
         f"    return _r[1:] if _r[0] else _exact({params})\n", ns)
    run = ns["_run"]
    run.__name__ = run.__qualname__ = exact.__name__
    run.__doc__ = f"{exact.__name__}, {fast.__name__} first (machr.isa.dual.fast_first)."
    return run


def python_globals(helpers: dict[str, Any], guarded: dict[str, str]) -> dict[str, Any]:
    """`helpers` (an `Isa.globals`) as the Python tiers call them: see `python_version` and `fast_first`.

    `guarded` is the ISA's `Isa.numba_guarded` (helper name -> jitable fast path).
    """
    out = {name: PYTHON.get(name, fn) if JITABLE.get(name) is fn else fn for name, fn in helpers.items()}
    out.update({name: PYTHON_GUARDED.get(fast) or fast_first(JITABLE[fast], helpers[name])
                for name, fast in guarded.items()})
    # for casts tier 1 writes inline (machr.jit.pyfloat)
    out.update(_SQ=SCRATCH_Q, _SD=SCRATCH_D, _NAN=math.nan, _d=bits_as_float, _q=float_as_bits)
    return out


def bits_as_float(bits: int) -> float:
    """binary64 `bits` as a float, in one call (a region's float-resident register meets bits: machr.jit.pyfloat)."""
    SCRATCH_Q[0] = bits
    return SCRATCH_D[0]


def float_as_bits(x: float) -> int:
    """The binary64 bits of `x`, in one call."""
    SCRATCH_D[0] = x
    return SCRATCH_Q[0]


def u64(x: int) -> int:
    return x


def to_double(bits: int) -> float:
    return _unpack_d(_pack_q(bits))[0]


def from_double(x: float) -> int:
    return _unpack_q(_pack_d(x))[0]


def to_single(bits: int) -> float:
    return _F.unpack(_I.pack(bits))[0]


def from_single(x: float) -> int:
    return _I.unpack(_F.pack(ctypes.c_float(x).value))[0]
