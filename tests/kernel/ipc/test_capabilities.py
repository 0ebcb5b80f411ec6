"""A task names only the rights in its own space: forged names, other tasks' names and stale
generations all get the spec's errors, and nothing changes (spec §1, §3, §4)."""

import struct

from machr.kernel.ipc import mach_port as mp
from machr.kernel.ipc.mach_msg import mach_msg_trap
from machr.kernel.mach import message as m
from machr.kernel.mach.kern_return import KERN_INVALID_NAME

from .conftest import FakeThread, header, port_desc

SEND, RCV = m.MACH_SEND_MSG, m.MACH_RCV_MSG


def _uses(task, name):
    """What each use of `name` by `task` answers."""
    thread = FakeThread(task)
    (carrier,) = mp.mach_port_allocate(task, 1)
    answers = []
    for msg in (header(0x13, 24, name, 0, 1), header(0x14, 24, name, 0, 1),
                header(0x1514, 24, carrier, name, 1),
                header(0x80000014, 0, carrier, 0, 1) + struct.pack("<I", 1) + port_desc(name, 19),
                header(0x80000014, 0, carrier, 0, 1) + struct.pack("<I", 1) + port_desc(name, 16)):
        task.copyout(0x1000, msg)
        answers.append(mach_msg_trap(thread, 0x1000, SEND, len(msg), 0, 0, 0))
    answers.append(mach_msg_trap(thread, 0x2000, RCV | m.MACH_RCV_TIMEOUT, 0, 100, name, 0))
    answers += [mp.mach_port_type(task, name), mp.mach_port_deallocate(task, name),
                mp.mach_port_mod_refs(task, name, 0, 1), mp.mach_port_extract_right(task, name, 19)]
    assert not task.space.entries[carrier].object.messages
    mp.mach_port_destroy(task, carrier)
    return answers


NO_RIGHT = [m.MACH_SEND_INVALID_DEST, m.MACH_SEND_INVALID_DEST, m.MACH_SEND_INVALID_REPLY,
            m.MACH_SEND_INVALID_RIGHT, m.MACH_SEND_INVALID_RIGHT, m.MACH_RCV_INVALID_NAME] + [KERN_INVALID_NAME] * 4


def test_other_tasks_names_mean_nothing(task_a, task_b, sched):
    for _ in range(4):
        (theirs,) = mp.mach_port_allocate(task_b, 1)   # 0x400: a slot task_a does not reach here
    assert mp.mach_port_allocate_name(task_b, 1, 0x4242) == 0
    before = dict(task_a.space.entries)
    for name in (theirs, 0x4242):
        assert name not in task_a.space.entries
        assert _uses(task_a, name) == NO_RIGHT
    assert task_a.space.entries == before
    assert not task_b.space.entries[theirs].object.messages and task_b.space.entries[theirs].object.srights == 0


def test_stale_and_forged_generations(task_a, sched):
    (old,) = mp.mach_port_allocate(task_a, 1)
    mp.mach_port_destroy(task_a, old)
    (new,) = mp.mach_port_allocate(task_a, 1)
    assert new >> 8 == old >> 8 and new & 0xFF == (old + 1) & 0xFF   # same slot, next generation
    assert _uses(task_a, old) == NO_RIGHT
    assert _uses(task_a, (new & ~0xFF) | ((new + 2) & 0xFF)) == NO_RIGHT
    assert _uses(task_a, new + 0x100) == NO_RIGHT                     # a slot never handed out
    assert mp.mach_port_type(task_a, new) == (0x20000,)
