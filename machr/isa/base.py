"""The contract between an ISA package and the rest of machr.

An ISA package (`machr.isa.x86_64`, `machr.isa.aarch64`) exports one `Isa`
object.  The JIT (`machr.jit`) knows no instruction by name: it asks the ISA
to decode bytes into `Insn`s and to *translate* each `Insn` into Python
statements (the semantics, written once).  Those statements are the single
definition of what the instruction does; the interpreter (tier 0) compiles
them one instruction at a time, tier 1 concatenates them per basic block, and
tier 2 (numba) per region.

Conventions for the statements `Isa.translate(insn)` returns
---------------------------------------------------------------
* Each item is one Python statement at indentation 0; a compound statement
  (``while``/``if``) may span lines joined by "\\n" with 4-space indentation.
* Guest state is read and written through *state variables*: plain local
  names declared in `Isa.state_vars` (e.g. ``rax``, ``cf``, ``xmm3``; ``x7``,
  ``nf``, ``q0``).  Values are unsigned Python ints masked to the register
  width (vector registers are 128-bit ints).  The translator loads the ones a
  block uses from the thread's register array and stores them back.
* A flag (a name in `Isa.flag_vars`) must be assigned only by a statement of
  the exact form ``<flag> = <expression without side effects>`` on a single
  line, so that the translator can drop assignments no one reads.
* Temporaries start with ``_t`` (``_t0``, ``_ta``...).
* Memory: ``ld8(a) ld16(a) ld32(a) ld64(a) ld128(a)`` return unsigned ints,
  ``st8(a, v) ... st128(a, v)`` store (v already masked to the width); ``a`` is
  a 64-bit unsigned address.  They raise `MemFault`; an instruction must do
  all its memory accesses before it assigns any state variable (the
  exception then leaves the state exactly as before the instruction).  An
  iterative instruction (x86 ``rep``) may update its registers per completed
  iteration, which is precise by the architecture's own rules.
* Control transfer: an instruction with ``ends_block`` assigns ``_npc`` (the
  next pc) on every path, except one whose every path raises an exit.
* Exits: ``_exit(EXIT_TRAP, code, after)`` etc. (names from
  `machr.machine.exits` are in scope); ``after`` is True when the exit's pc
  is the next instruction (syscall, int3).
* ``_clock()`` is the retired-instruction count at block entry and ``_n`` the
  index of the current instruction in its block (virtual time = their sum).
* Any further helpers the statements call are in `Isa.globals`; tables that
  also exist as numba arrays are repeated in `Isa.numba_globals`; functions
  tier 2 can call as they are are named in `Isa.numba_functions` (see
  `machr.isa.dual`), and fast substitutes in `Isa.numba_guarded`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


class DecodeError(Exception):
    """The bytes are not an instruction we implement (→ UNDEFINED exit)."""


class NeedMoreBytes(DecodeError):
    """The instruction continues past the bytes supplied (page boundary)."""


@dataclass(slots=True)
class Insn:
    """One decoded instruction."""

    pc: int
    length: int
    mnemonic: str            # capstone's mnemonic for the same bytes
    op_str: str              # capstone-style operand text
    form: str                # name of the semantic form (encoding-table entry)
    fields: dict[str, Any] = field(default_factory=dict)
    ends_block: bool = False  # control transfer, trap, or anything that must end a block
    raw: bytes = b""

    def __str__(self) -> str:
        return f"{self.mnemonic} {self.op_str}".strip()


@dataclass(slots=True)
class StateVar:
    """How a state variable is loaded from / stored to the register array R.

    `load` is an expression over ``R``; `store` a statement template with
    ``{v}`` for the local's name.
    """

    name: str
    load: str
    store: str


@dataclass
class Isa:
    """Everything the machine, JIT and kernel need from one architecture."""

    name: str                        # "x86_64" | "aarch64"
    elf_machine: str                 # pyelftools e_machine string: "EM_X86_64" | "EM_AARCH64"
    nregs: int                       # length of the per-thread register array (u64 slots)
    pc_slot: int                     # index of the pc in the register array
    state_vars: dict[str, StateVar]  # local name -> load/store
    flag_vars: frozenset[str]        # state vars that are flags (dead-store elimination)
    max_insn_len: int                # 15 / 4
    decode: Callable[[bytes, int], Insn]          # (bytes from pc, pc) -> Insn; raises DecodeError
    translate: Callable[[Insn], list[str]]        # semantics: Insn -> statements
    globals: dict[str, Any]          # helpers the statements use
    paging: Any                      # module: the page-table format (see machine.mmu)
    abi: Any                         # module: trap convention, thread states, exceptions
    # Helpers/tables for the numba tier (uint64 dialect) under the names the statements use; an
    # instruction that calls a helper not listed here stays in the Python tiers.
    numba_globals: dict[str, Any] = field(default_factory=dict)
    # Helpers the statements call that are `@jitable` (machr.isa.dual): tier 2 calls the same function.
    numba_functions: frozenset[str] = frozenset()
    # Helpers tier 2 replaces by a fast path: name -> jitable substitute taking the same arguments and
    # returning (ok, *the helper's result); when not ok, the region leaves to the Python tiers before the
    # instruction changes any state (an FPCR mode or an operand the fast path does not cover).  The Python
    # tiers' `globals` try the same fast path first (machr.isa.dual.python_globals).
    numba_guarded: dict[str, str] = field(default_factory=dict)
    # binary64 helpers `h(a, b, 64, ...)` tier 1 may write inline on Python floats (machr.jit.pyfloat): name ->
    # Python text computing the result `{r}` from the floats `{a}`, `{b}`, with `_fok` false where it declines.
    python_float_ops: dict[str, str] = field(default_factory=dict)
    # (mode, helper -> (expression, test)): where the state condition `mode` holds, the helper's result is the
    # float `{r}` = `expression` of `{a}`, `{b}` whenever `test` of `{r}` holds, with no state changed.  `mode` must
    # stay true while the names it reads are only `|=`-ed (cumulative flags) (machr.jit.pyfloat).
    python_float_quick: tuple[str, dict[str, tuple[str, str]]] | None = None
