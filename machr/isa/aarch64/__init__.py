"""The aarch64 (A64, EL0) ISA package: exports `ISA` (see machr.isa.base)."""

from __future__ import annotations

from machr.isa import intarith
from machr.isa.aarch64 import abi, fp, fp_host, helpers, paging, simd, state
from machr.isa.aarch64.decoder import decode
from machr.isa.aarch64.semantics import translate
from machr.isa.base import Isa
from machr.isa.dual import JITABLE, python_globals


def _globals() -> dict:
    """The helper functions statements call: those defined in helpers.py, fp.py, simd.py and isa/intarith.py."""
    return {k: v for mod in (helpers, fp, simd, intarith) for k, v in vars(mod).items()
            if callable(v) and not k.startswith("_") and getattr(v, "__module__", None) == mod.__name__}


GLOBALS = _globals()
# tier 2 runs the default-mode binary64 operations in host floats (fp_host), the rest in the Python tiers
NUMBA_GUARDED = {f"fp_{op}": f"fp_{op}_host" for op in ("add", "sub", "mul", "div")}


ISA = Isa(
    name="aarch64",
    elf_machine="EM_AARCH64",
    nregs=state.NREGS,
    pc_slot=state.PC_SLOT,
    state_vars=state.STATE_VARS,
    flag_vars=state.FLAG_VARS,
    max_insn_len=4,
    decode=decode,
    translate=translate,
    # the Python tiers take the same fast paths first (machr.isa.dual.python_globals)
    globals=python_globals(GLOBALS, NUMBA_GUARDED) | fp_host.PYTHON_FLOAT_GLOBALS,
    # the helpers that are @jitable (machr.isa.dual): tier 2 calls the same functions
    numba_functions=frozenset(k for k, v in GLOBALS.items() if JITABLE.get(k) is v),
    paging=paging,
    abi=abi,
    numba_guarded=NUMBA_GUARDED,
    python_float_ops=fp_host.PYTHON_FLOAT_OPS,
    python_float_quick=fp_host.PYTHON_FLOAT_QUICK,
)
