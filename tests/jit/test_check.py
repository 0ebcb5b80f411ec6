"""`machr run --check`: agreement is reported, and a divergence stops with both states side by side."""

import io

from machr.jit.check import check_run
from machr.jit.engine import Engine
from machr.kernel.kern.startup import load_elf_file
from tests.conftest import firmware


def image(arch, program):
    return load_elf_file(str(firmware(arch, program)), 1 << 47, 16 << 20)


def test_identical_runs_are_reported():
    out = io.StringIO()
    assert check_run(image("aarch64", "hello"), 16 << 20, "", b"", out=out) == 0
    assert "hello from aarch64" in out.getvalue() and "identical" in out.getvalue()


def test_divergence_prints_both_states(monkeypatch):
    translate = Engine.translate

    def corrupting(self, cache, pc, space=None):
        blk = translate(self, cache, pc, space)
        if self.tier != "interp" and len(cache) == 20:        # one block of the JIT run sets rbx wrongly
            fn = blk.fn

            def wrong(R):
                r = fn(R)
                R[3] ^= 0x40
                return r
            blk.fn = wrong
        return blk

    monkeypatch.setattr(Engine, "translate", corrupting)
    out = io.StringIO()
    assert check_run(image("x86_64", "hello"), 16 << 20, "", b"", out=out) == 1
    text = out.getvalue()
    assert "divergence at block boundary" in text
    assert [ln for ln in text.splitlines() if ln.endswith("<-- differs")][0].split()[1] == "rbx"
