"""The first task is set up exactly as spec §10 says: rights, stack, argv, auxv, registers."""

import io
import struct

import pytest

from machr.console.plain import PlainConsole
from machr.kernel.kern.copy import copyin
from machr.kernel.kern.startup import Kernel, load_elf_file
from machr.kernel.mach import special_ports as sp
from machr.kernel.mach.port import MACH_PORT_TYPE_SEND
from tests.conftest import ARCHES, firmware

TOP = {"x86_64": 0x7FFFFFFFF000, "aarch64": 0xFFFFFFFFF000}


@pytest.mark.parametrize("arch", ARCHES)
def test_first_task_layout(arch):
    image = load_elf_file(str(firmware(arch, "hello")), 1 << 47, 16 << 20)
    kernel = Kernel(arch, 16 << 20, "jit", PlainConsole(io.BytesIO(), io.BytesIO()), log=lambda line: None)
    task = kernel.boot(image, flags="s")
    thread = task.threads[0]
    abi = kernel.isa.abi
    # §10.1: rights in order host_priv, device master, bootstrap, task self, thread self: deterministic names
    names = {"host_priv": 0x100, "device_master": 0x200, "bootstrap": 0x300, "task": 0x400, "thread": 0x500}
    assert sorted(task.space.entries) == sorted(names.values())
    assert all(e.type & MACH_PORT_TYPE_SEND for e in task.space.entries.values())
    assert task.space.entries[0x100].object is kernel.host.priv_port
    assert task.space.entries[0x200].object is kernel.devices.master_port
    assert task.space.entries[0x400].object is task.port
    assert task.space.entries[0x500].object is thread.port
    assert task.special_ports[sp.TASK_HOST_PORT] is kernel.host.port
    assert task.special_ports[sp.TASK_BOOTSTRAP_PORT] is task.space.entries[0x300].object
    # §10.2: SysV stack below the top, 16-aligned, argc/argv/envp/auxv
    stack_pointer = abi.get_sp(thread.R)
    assert stack_pointer % 16 == 0 and TOP[arch] - 4096 < stack_pointer < TOP[arch]
    words = struct.unpack("<30Q", copyin(task, stack_pointer, 240))
    argc, argv = words[0], words[1:6]
    assert argc == 5 and words[6] == 0 and words[7] == 0          # argv NULL, empty envp NULL
    strings = [copyin(task, a, 16).split(b"\0")[0].decode() for a in argv]
    assert strings == ["init", "-s", str(names["host_priv"]), str(names["device_master"]), "none"]
    auxv = dict(zip(words[8:28:2], words[9:28:2], strict=True))
    assert auxv[sp.AT_PAGESZ] == 4096 and auxv[sp.AT_ENTRY] == image.entry
    assert (auxv[sp.AT_PHDR], auxv[sp.AT_PHENT], auxv[sp.AT_PHNUM]) == (image.phdr_addr, 56, image.phnum)
    assert [auxv[k] for k in (sp.AT_MACHR_TASK_SELF, sp.AT_MACHR_THREAD_SELF, sp.AT_MACHR_HOST_PRIV,
                              sp.AT_MACHR_DEVICE_MASTER, sp.AT_MACHR_BOOTSTRAP)] == [0x400, 0x500, 0x100, 0x200, 0x300]
    assert words[28:30] == (sp.AT_NULL, 0)
    # §10.3: pc = entry, every other integer register 0
    assert abi.get_pc(thread.R) == image.entry
    state = abi.get_thread_state(thread.R, abi.THREAD_STATE_FLAVOR)
    if arch == "x86_64":
        regs = struct.unpack("<21Q", struct.pack("<42I", *state))
        assert regs[:7] == (0,) * 7 and regs[8:16] == (0,) * 8                # all but rsp
        assert regs[7] == stack_pointer and regs[16] == image.entry and regs[17] == 0x202
    else:
        regs = struct.unpack("<33Q", struct.pack("<66I", *state[:66]))
        assert regs[:31] == (0,) * 31 and regs[31] == stack_pointer and regs[32] == image.entry
        assert state[66] & 0xF0000000 == 0                                    # NZCV clear
