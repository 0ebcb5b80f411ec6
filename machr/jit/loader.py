"""Compiled regions in the engine's process, through llvmlite alone.

The compile worker compiles regions (machr.jit.emit; numba for what emit
declines, machr.jit.native), but the
engine only needs their machine code.  Importing numba and initialising its
compiler target costs 0.6-1 s, more than a warm run of a 10⁸-instruction
workload spends inside regions, so the engine never imports numba: it
loads each region's object code (what numba's own cache would store) into
one MCJIT execution engine of llvmlite's (a 30 ms import), resolves the
few symbols that code refers to, and calls the trampoline through ctypes.

What the object code refers to (CFUNC_OPTIONS keeps numba's reference
counting runtime out) is bound here as numba binds it: CPython's exception
objects and None, which numba's code takes by the address of the symbol;
CPython's C API, found in the process; and numba's C helpers (`numba_*`:
the GIL and exception-raising paths of a cfunc whose callee may raise),
from numba's two helper extension modules, which are loaded by file without
importing the numba package (half a millisecond).

The object code is for this host (numba compiles for the host CPU), so
`HOST` — CPU name and features, numba's and llvmlite's versions — is part
of every cache key: a cache directory shared between machines never runs
another machine's code.
"""

from __future__ import annotations

import builtins
import ctypes
import hashlib
import importlib.machinery
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import llvmlite
import llvmlite.binding as llvm
import numpy as np

_P = ctypes.c_void_p
_I64 = ctypes.c_int64
# machr.jit.native.TRAMPOLINE_SIGNATURE, as ctypes sees it.
TRAMPOLINE = ctypes.CFUNCTYPE(_I64, _P, _P, ctypes.c_uint64, _P, _P, _P, _P, _P, _P, _I64, _I64, _I64)
_MAGIC = b"machr-region-object 1\n"


def _numba_dir() -> Path | None:
    spec = importlib.util.find_spec("numba")
    return Path(spec.submodule_search_locations[0]) if spec is not None and spec.submodule_search_locations else None


def _host() -> str:
    version_file = (_numba_dir() or Path("/nonexistent")) / "_version.py"
    numba_version = version_file.read_bytes() if version_file.exists() else b""
    features = llvm.get_host_cpu_features().flatten()
    return (f"{llvm.get_host_cpu_name()} {features} llvmlite {llvmlite.__version__} "
            f"numba {hashlib.sha256(numba_version).hexdigest()[:16]}")


HOST = _host()


class DamagedObject(ValueError):
    """A cached object file that is not what the compiler wrote."""

    def __init__(self, path: Path):
        super().__init__(f"{path.name}: damaged or not a machr region object")
        self.path = path


@dataclass(frozen=True)
class CompiledObject:
    """A compiled function as the compile worker hands it over: its symbol, what it needs, its object code."""

    symbol: str
    needs: tuple[str, ...]        # the symbols the object code refers to but does not define
    code: bytes


def compiled_object(symbol: str, module: llvm.ModuleRef, code: bytes) -> CompiledObject:
    """`code`, compiled from `module`, with the symbols it needs: the module's declarations (LLVM's own aside)."""
    needs = sorted(g.name for g in (*module.functions, *module.global_variables)
                   if g.is_declaration and not g.name.startswith("llvm."))
    return CompiledObject(symbol, tuple(needs), code)


def write_atomically(path: Path, data: bytes) -> None:
    """Create `path` with `data` such that no reader (another run, the worker) ever sees it half written."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_object(path: Path, obj: CompiledObject) -> None:
    """Store `obj` at `path`, with a digest of the object code."""
    head = [obj.symbol, " ".join(obj.needs), hashlib.sha256(obj.code).hexdigest()]
    write_atomically(path, _MAGIC + "".join(f"{line}\n" for line in head).encode() + obj.code)


def read_object(path: Path) -> CompiledObject:
    """The compiled function stored at `path`, checked against its digest.

    LLVM takes object code on trust (a damaged object file crashes the
    process), so nothing is handed to it that is not what the compiler wrote.
    """
    data = path.read_bytes()
    parts = data[len(_MAGIC):].split(b"\n", 3) if data.startswith(_MAGIC) else []
    if len(parts) != 4 or hashlib.sha256(parts[3]).hexdigest().encode() != parts[2]:
        raise DamagedObject(path)
    return CompiledObject(parts[0].decode(), tuple(parts[1].decode().split()), parts[3])


class Loader:
    """The process's execution engine for region object code (one per process: `loader()`)."""

    def __init__(self):
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        llvm.add_symbol("_Py_NoneStruct", id(None))
        for obj in vars(builtins).values():
            if isinstance(obj, type) and issubclass(obj, BaseException):
                llvm.add_symbol(f"PyExc_{obj.__name__}", id(obj))
        for name in ("_helperlib", "_dynfunc"):
            for helper, address in _numba_extension(name).c_helpers.items():
                llvm.add_symbol(f"numba_{helper}", address)
        target = llvm.Target.from_default_triple().create_target_machine(jit=True)
        self.engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), target)
        self.loaded: dict[Path, int] = {}

    def load(self, path: Path) -> int:
        """The address of the function stored at `path`, loading its object code once."""
        addr = self.loaded.get(path)
        if addr is None:
            obj = read_object(path)
            missing = [name for name in obj.needs if not llvm.address_of_symbol(name)]
            if missing:                      # LLVM would abort the process on the first one
                raise ValueError(f"{path.name}: object code needs undefined symbols {' '.join(missing)}")
            self.engine.add_object_file(llvm.ObjectFileRef.from_data(obj.code))
            addr = self.engine.get_function_address(obj.symbol)
            if not addr:
                raise ValueError(f"{path.name}: symbol {obj.symbol} not found")
            self.loaded[path] = addr
        return addr


def _numba_extension(name: str):
    """numba's C extension module `name`, loaded from its file (the numba package stays unimported)."""
    directory = _numba_dir() or Path("/nonexistent")
    path = next(p for suffix in importlib.machinery.EXTENSION_SUFFIXES if (p := directory / (name + suffix)).exists())
    spec = importlib.util.spec_from_file_location(f"numba.{name}", path)
    return importlib.util.module_from_spec(spec)


_LOADER: Loader | None = None


def loader() -> Loader:
    global _LOADER
    if _LOADER is None:
        _LOADER = Loader()
    return _LOADER


def slot(pc: int, mask: int) -> int:
    """The first probe of `pc` in a region table (the trampoline computes the same)."""
    return (pc ^ (pc >> 7)) & mask


def region_table(entries: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The open-addressing table the trampoline probes: block pc -> region address, at most half full."""
    size = 16
    while size < 2 * len(entries):
        size *= 2
    keys = np.zeros(size, dtype=np.uint64)
    fns = np.zeros(size, dtype=np.uint64)
    mask = size - 1
    for pc, addr in entries.items():
        i = slot(pc, mask)
        while keys[i]:
            i = (i + 1) & mask
        keys[i] = pc
        fns[i] = addr
    return keys, fns
