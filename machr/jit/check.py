"""`machr run --check`: the JIT (tiers 1 and 2) against the interpreter, block boundary by block boundary.

Both runs are deterministic (virtual time), so they need not run side by
side: the JIT run records a digest of the register array at every canonical
block boundary (tier 2 compiles in-process, so regions run from the moment
they are hot); the interpreter run compares its own at each boundary and
stops at the first difference.  The JIT run is then repeated up to that
boundary to print its full state next to the interpreter's.
"""

from __future__ import annotations

import hashlib
import io
import sys

from machr.console.plain import PlainConsole


class Diverged(Exception):
    """Raised from the trace hook to stop the JIT run at the boundary where the states differ."""


def _kernel(image, mem: int, tier: str, stdin: bytes, max_insns: int | None):
    from machr.kernel.kern.startup import Kernel

    kernel = Kernel(image.arch, mem, tier, PlainConsole(io.BytesIO(stdin), io.BytesIO()), max_insns=max_insns,
                    log=lambda line: None)
    if kernel.engine.tier2 is not None:
        kernel.engine.tier2.background = False
    return kernel


def check_run(image, mem: int, flags: str, stdin: bytes, max_insns: int | None = None, out=sys.stdout) -> int:
    """Returns 0 when both runs agree at every boundary and in their output, else 1 (states printed)."""
    jit = _kernel(image, mem, "jit", stdin, max_insns)
    digests: list[tuple[int, bytes]] = []
    jit.engine.trace = lambda R, clock: digests.append((clock, hashlib.blake2b(R, digest_size=16).digest()))
    jit.boot(image, flags)
    jit.run()
    interp = _kernel(image, mem, "interp", stdin, max_insns)
    seen = [0]

    def compare(R, clock):
        k = seen[0]
        seen[0] += 1
        if k >= len(digests) or digests[k] != (clock, hashlib.blake2b(R, digest_size=16).digest()):
            raise Diverged(k, clock, list(R))

    interp.engine.trace = compare
    interp.boot(image, flags)
    try:
        interp.run()
    except Diverged as d:
        k, clock, r_interp = d.args
        print(f"machr check: divergence at block boundary {k} (interpreter clock {clock})", file=out)
        _print_states(image, mem, flags, stdin, max_insns, k, r_interp, out)
        return 1
    out.write(jit.console.out.getvalue().decode(errors="replace"))
    same_output = interp.console.out.getvalue() == jit.console.out.getvalue()
    if seen[0] != len(digests) or not same_output:
        print(f"machr check: runs differ after {seen[0]} boundaries (JIT had {len(digests)}; output "
              f"{'same' if same_output else 'differs'})", file=out)
        return 1
    print(f"machr check: {len(digests)} block boundaries, {interp.engine.clock} instructions: identical", file=out)
    return 0


def _print_states(image, mem, flags, stdin, max_insns, k, r_interp, out) -> None:
    jit = _kernel(image, mem, "jit", stdin, max_insns)
    states: list[tuple[int, list[int]]] = []

    def record(R, clock):
        states.append((clock, list(R)))
        if len(states) > k:
            raise Diverged()

    jit.engine.trace = record
    jit.boot(image, flags)
    try:
        jit.run()
    except Diverged:
        pass                    # the JIT run stops at the recorded boundary; its state is in `states`
    clock_jit, r_jit = states[k] if len(states) > k else (-1, [])
    names = {sv.load: name for name, sv in jit.isa.state_vars.items()}
    print(f"{'slot':>4} {'name':8} {'interpreter':>18} {'jit':>18}   (jit clock {clock_jit})", file=out)
    for i, a in enumerate(r_interp):
        b = r_jit[i] if i < len(r_jit) else None
        mark = "" if a == b else "   <-- differs"
        name = names.get(f"R[{i}]", "pc" if i == jit.isa.pc_slot else "")
        print(f"{i:4d} {name:8} {a:#18x} {b if b is None else format(b, '#18x')}{mark}", file=out)
