"""A bug in kernel code kills the task it served, with one log line; the host process lives on."""

import io

from machr.console.plain import PlainConsole
from machr.kernel.ipc import mig
from machr.kernel.kern.startup import Kernel, load_elf_file
from tests.conftest import firmware


def test_kernel_error_terminates_task_not_host(monkeypatch):
    image = load_elf_file(str(firmware("x86_64", "hello")), 1 << 47, 16 << 20)
    log = []
    kernel = Kernel("x86_64", 16 << 20, "jit", PlainConsole(io.BytesIO(), io.BytesIO()), log=log.append)
    routine = mig.mig_routines[2803]                      # device_write_inband

    def broken(*args):
        raise ZeroDivisionError("injected")

    monkeypatch.setattr(routine, "handler", broken)
    kernel.boot(image)
    status = kernel.run()
    assert status == 1
    assert len(kernel.errors) == 1 and "ZeroDivisionError: injected" in kernel.errors[0]
    assert log[0] == ("kernel error serving task 1 (init): ZeroDivisionError: injected; task terminated")
    assert kernel.init_task.active is False
