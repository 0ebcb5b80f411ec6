"""machr.jit.emit, tier 2's own compiler of the region dialect, against numba compiling the same text.

The lockstep tests (test_workloads, test_region_dialect, test_tier2) hold
emitted regions to the interpreter.  Here each region module of the fp
workload (the FP helpers, inlined) and a seeded sample of dhry's (struct
copies through 128-bit registers, calls) is compiled by both compilers,
and both objects run from the same random states — registers, guest
memory, a TLB that maps the low pages — until their first exit: the
exit kind, every register, the exit record and memory must be equal.
"""

import ctypes
import io
import random
import re
from pathlib import Path

import numpy as np
import pytest

from machr.console.plain import PlainConsole
from machr.jit import emit, loader
from machr.jit.region import X_RETIRED, X_SIZE
from machr.jit.tier2 import _load_module
from machr.kernel.kern.startup import Kernel, load_elf_file
from machr.machine.mmu import PAGE_SHIFT, TLB_MASK
from tests.conftest import ARCHES, firmware

pytest.importorskip("numba")

_P = ctypes.c_void_p
REGION = ctypes.CFUNCTYPE(ctypes.c_int64, _P, _P, _P, _P, _P, _P)


def region_modules(arch: str, workload: str, cache: Path) -> list[Path]:
    image = load_elf_file(str(firmware(arch, workload)), 1 << 47, 16 << 20)
    kernel = Kernel(arch, 16 << 20, "jit", PlainConsole(io.BytesIO(), io.BytesIO()), log=lambda line: None)
    kernel.engine.tier2.background = False
    kernel.engine.tier2.dir = cache
    kernel.boot(image, "small")
    assert kernel.run() == 0
    return sorted(cache.glob("r_*.py"), key=lambda path: path.read_text())     # not by name: a hash of the compilers


def both_compiled(path: Path) -> tuple:
    """The region's function compiled by machr.jit.emit and by numba, loaded in this process."""
    from machr.jit import native

    symbol = f"machr_test_{path.stem}"
    ours = emit.object_code(emit.region_ir(path.read_text(), symbol), symbol)
    theirs = native.object_code(_load_module(path)._region)
    fns = []
    for name, obj in (("emit", ours), ("numba", theirs)):
        out = path.with_name(f"{path.stem}.{name}.o")
        loader.write_object(out, obj)
        fns.append(REGION(loader.loader().load(out)))
    return tuple(fns)


def state(rng: random.Random, isa, pcs: list[int], pages: list[int]) -> tuple:
    """Registers (addresses in `pages`, small numbers, any bits), memory, a TLB mapping `pages` onto M8, X."""
    def value():
        pick = rng.random()
        if pick < 0.4:                  # an address in a mapped page, away from its ends
            return rng.choice(pages) << PAGE_SHIFT | rng.randrange(256, (1 << PAGE_SHIFT) - 256) & ~7
        return rng.randrange(64) if pick < 0.8 else rng.getrandbits(64)     # an index, a count; any bits

    R = np.array([value() for _ in range(isa.nregs)], dtype=np.uint64)
    if "fpcr" in isa.state_vars and rng.random() < 0.8:     # the default mode: the FP fast paths run
        exec(isa.state_vars["fpcr"].store.format(v="0"), {"R": R})
    M8 = np.frombuffer(rng.randbytes(len(pages) << PAGE_SHIFT), dtype=np.uint8).copy()
    tags = np.full(TLB_MASK + 1, np.uint64((1 << 64) - 1), dtype=np.uint64)
    base = np.zeros(TLB_MASK + 1, dtype=np.uint64)
    for frame, page in enumerate(pages):
        tags[page & TLB_MASK] = page
        base[page & TLB_MASK] = frame << PAGE_SHIFT
    X = np.zeros(X_SIZE, dtype=np.int64)
    X[0] = rng.choice((1, 50, 1000))
    return R, M8, tags, tags.copy(), base, X, rng.choice(pcs)


def mapped_pages(consts: dict[str, int]) -> list[int]:
    """The pages the region's address constants (global data) fall in, with their neighbours; a TLB slot each."""
    pages = {}
    for page in [p + d for v in consts.values() if v >= 1 << 16 and v < 1 << 48
                 for p in (v >> PAGE_SHIFT,) for d in (-1, 0, 1)] + list(range(4, 12)):
        pages.setdefault(page & TLB_MASK, page)
    return sorted(pages.values())


def run(fn, st: tuple, pc_slot: int) -> tuple:
    R, M8, RT, WT, BASE, X, pc = (a.copy() if isinstance(a, np.ndarray) else a for a in st)
    R[pc_slot] = pc
    kind = fn(*(a.ctypes.data for a in (R, M8, RT, WT, BASE, X)))
    return kind, R.tolist(), X.tolist(), M8.tobytes()


CASES = [(arch, "fp") for arch in ARCHES] + [(arch, "dhry") for arch in ARCHES]


@pytest.mark.parametrize(("arch", "workload"), CASES)
def test_emitted_regions_run_as_numba_compiles_them(arch, workload, tmp_path):
    from machr.isa.aarch64 import ISA as ARM
    from machr.isa.x86_64 import ISA as X86

    isa = {"x86_64": X86, "aarch64": ARM}[arch]
    modules = region_modules(arch, workload, tmp_path)
    rng = random.Random(f"{arch}{workload}")
    sample = modules if workload == "fp" else rng.sample(modules, min(3, len(modules)))
    assert sample
    retired = []
    for path in sample:
        text = path.read_text()
        consts = {k: int(v, 0) for k, v in re.findall(r"^(_K\d+) = _U\((\w+)\)$", text, re.M)}
        pcs = [consts[k] for k in re.findall(r"if pc == (_K\d+):", text)]
        pages = mapped_pages(consts)
        ours, theirs = both_compiled(path)
        for _ in range(300):
            st = state(rng, isa, pcs, pages)
            a, b = run(ours, st, isa.pc_slot), run(theirs, st, isa.pc_slot)
            assert a == b, f"{path.name}: emit and numba differ"
            retired.append(a[2][X_RETIRED])
    assert max(retired) >= 10            # some states get past the first blocks


def test_outside_the_dialect_is_unsupported():
    """What emit declines, numba compiles (machr.jit.tier2.compile_region_file); nothing half-compiled."""
    prelude = "import numpy as np\n_U = np.uint64\n_K0 = _U(5)\n"

    def body(*lines):
        return prelude + "def _region(R, M8, RT, WT, BASE, X):\n" + "".join(f"    {ln}\n" for ln in lines)

    for text in (body("x = R[0]", "y = X[0]", "return x + y"),              # uint64 with int64: numba's float64
                 body("x = R[0] // 3", "return 0"),                          # a literal beside a uint64
                 body("x = X[0] // X[1]", "return x"),                       # Python's floor division of signed
                 body("x = R[0]", "x = X[0]", "return 0"),                   # one variable, two types
                 body("return print(R[0])"),                                 # an unknown call
                 body("x = R[0:2]", "return 0"),
                 body("if R[0] == _K0:", "    return 1")):                    # may end without a return
        with pytest.raises(emit.Unsupported):
            emit.region_ir(text, "machr_test")


def test_a_zero_divisor_does_not_trap_the_host(tmp_path):
    text = ("import numpy as np\n_U = np.uint64\n"
            "def _region(R, M8, RT, WT, BASE, X):\n    R[0] = R[1] // R[2]\n    R[1] = R[1] % R[2]\n    return 0\n")
    obj = emit.object_code(emit.region_ir(text, "machr_test_div"), "machr_test_div")
    path = tmp_path / "div.o"
    loader.write_object(path, obj)
    fn = REGION(loader.loader().load(path))
    R = np.array([0, 17, 0], dtype=np.uint64)
    assert fn(R.ctypes.data, 0, 0, 0, 0, 0) == 0           # values unspecified (Python raises); no SIGFPE
    R[:] = [0, 17, 5]
    fn(R.ctypes.data, 0, 0, 0, 0, 0)
    assert R.tolist() == [3, 2, 5]


def test_the_worker_compiles_what_emit_declines_with_numba(tmp_path):
    """A region emit declines goes to the worker's numba thread, and runs as well (here: a uint64 beside a
    literal, which numba computes in int64)."""
    import time

    from machr.jit.region import HELPERS, SIGNATURE
    from machr.jit.tier2 import _trampoline_path, _Worker

    src = tmp_path / "r_declined.py"
    src.write_text(f"{HELPERS}\n@cfunc({SIGNATURE!r}, **CFUNC_OPTIONS)\n"
                   "def _region(R, M8, RT, WT, BASE, X):\n    R[0] = R[1] // 3\n    return 0\n")
    with pytest.raises(emit.Unsupported):
        emit.region_ir(src.read_text(), "machr_test")
    worker = _Worker(tmp_path)
    worker.send(src, _trampoline_path(tmp_path))
    deadline = time.monotonic() + 120
    while (answer := worker.result(str(src))) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.proc.stdin.close()
    worker.proc.wait()
    assert answer is not None and answer[0] == "ok", answer
    fn = REGION(loader.loader().load(src.with_suffix(".o")))
    R = np.array([0, 10], dtype=np.uint64)
    assert fn(R.ctypes.data, 0, 0, 0, 0, 0) == 0 and R.tolist() == [3, 10]
