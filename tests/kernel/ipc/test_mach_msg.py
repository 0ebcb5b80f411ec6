"""mach_msg send/receive through the trap entry (spec §2.3–§2.6, §4, §7)."""

import struct

from machr.kernel.ipc.ipc_port import ipc_port_alloc_kernel, ipc_port_make_send
from machr.kernel.ipc.ipc_space import ipc_space_insert_send
from machr.kernel.ipc.mach_msg import mach_msg_trap, mach_reply_port
from machr.kernel.mach import message as m
from machr.kernel.mach.kern_return import KERN_INVALID_NAME, KERN_INVALID_TASK
from machr.kernel.mach.mig_errors import MIG_BAD_ARGUMENTS, MIG_BAD_ID

from .conftest import FakeThread, header, ool_desc, port_desc

NDR = bytes([0, 0, 0, 0, 1, 0, 0, 0])
SEND, RCV = m.MACH_SEND_MSG, m.MACH_RCV_MSG


def _pair(task_a, task_b):
    ta, tb = FakeThread(task_a), FakeThread(task_b)
    rcv = mach_reply_port(tb)
    port = task_b.space.entries[rcv].object
    dest = ipc_space_insert_send(task_a.space, ipc_port_make_send(port))
    return ta, tb, rcv, port, dest


def test_complex_message_round_trip(task_a, task_b, sched):
    ta, tb, rcv, _port, dest = _pair(task_a, task_b)
    reply = mach_reply_port(ta)
    task_a.copyout(0x3000, b"out-of-line!")
    msg = (header(0x80001513, 0, dest, reply, 7) + struct.pack("<I", 2) + port_desc(reply, 20)
           + ool_desc(0x3000, 12, dealloc=1) + b"DATA")
    task_a.copyout(0x1000, msg)
    assert mach_msg_trap(ta, 0x1000, SEND, len(msg), 0, 0, 0) == 0
    assert task_a.deallocated == [(0x3000, 0x1000)]
    assert mach_msg_trap(tb, 0x2000, RCV | m.MACH_RCV_TRAILER_ELEMENTS(2), 0, 200, rcv, 0) == 0
    got = task_b.copyin(0x2000, len(msg) + 20)
    assert got[:24] == header(0x80001112, len(msg), 0x200, rcv, 7)
    assert got[24:40] == struct.pack("<I", 2) + port_desc(0x300, 17)[:10] + bytes([17, 0])
    assert got[40:56] == struct.pack("<QBBBBI", 0x80000, 1, 1, 0, 1, 12)
    assert task_b.copyin(0x80000, 12) == b"out-of-line!"
    assert got[56:60] == b"DATA"
    assert got[60:] == struct.pack("<IIIII", 0, 20, 0, 0, 0)
    entry = task_b.space.entries[0x200]
    assert (entry.type, entry.urefs) == (0x40000, 1)  # the send-once reply
    assert task_b.space.entries[0x300].type == 0x10000  # the MAKE_SEND'd right


def test_header_errors_consume_nothing(task_a, task_b, sched):
    ta, _tb, _rcv, port, dest = _pair(task_a, task_b)
    cases = [
        (header(0x13, 24, dest, 0, 1)[:20], m.MACH_SEND_MSG_TOO_SMALL),
        (header(0x40000013, 24, dest, 0, 1), m.MACH_SEND_INVALID_HEADER),
        (header(0x10013, 24, dest, 0, 1), m.MACH_SEND_INVALID_VOUCHER),
        (header(0x16, 24, dest, 0, 1), m.MACH_SEND_INVALID_HEADER),
        (header(0x13, 24, 0x999, 0, 1), m.MACH_SEND_INVALID_DEST),
        (header(0x1113, 24, dest, 0x999, 1), m.MACH_SEND_INVALID_REPLY),
        (header(0x1111, 24, dest, dest, 1), m.MACH_SEND_INVALID_REPLY),  # two moves, one uref
        (header(0x80000013, 24, dest, 0, 1), m.MACH_SEND_MSG_TOO_SMALL),
    ]
    for msg, expected in cases:
        task_a.copyout(0x1000, msg)
        assert mach_msg_trap(ta, 0x1000, SEND, len(msg), 0, 0, 0) == expected
    assert task_a.space.entries[dest].urefs == 1 and port.srights == 1 and not port.messages
    assert mach_msg_trap(ta, 0xFFFFF, SEND, 24, 0, 0, 0) == m.MACH_SEND_INVALID_DATA
    assert mach_msg_trap(ta, 0x1000, SEND | m.MACH_SEND_ALWAYS, 24, 0, 0, 0) == m.MACH_SEND_INVALID_OPTIONS


def test_body_error_destroys_message(task_a, task_b, sched):
    ta, _tb, _rcv, port, dest = _pair(task_a, task_b)
    reply = mach_reply_port(ta)
    reply_port = task_a.space.entries[reply].object
    msg = header(0x80001511, 0, dest, reply, 1) + struct.pack("<I", 1) + port_desc(0x777, 19)
    task_a.copyout(0x1000, msg)
    assert mach_msg_trap(ta, 0x1000, SEND, len(msg), 0, 0, 0) == m.MACH_SEND_INVALID_RIGHT
    assert dest not in task_a.space.entries and port.srights == 0  # the moved destination was destroyed
    assert [k.msgid for k in reply_port.messages] == [71]  # send-once notification for the reply


def test_queue_limit_timeout_pseudo_receive(task_a, task_b, sched):
    ta, _tb, _rcv, port, dest = _pair(task_a, task_b)
    port.qlimit = 0
    msg = header(0x13, 24, dest, 0, 5)
    task_a.copyout(0x1000, msg)
    assert mach_msg_trap(ta, 0x1000, SEND | m.MACH_SEND_TIMEOUT, 24, 0, 0, 0) == m.MACH_SEND_TIMED_OUT
    assert task_a.copyin(0x1000, 24) == header(0x11, 24, dest, 0, 5)
    assert task_a.space.entries[dest].urefs == 2 and port.srights == 1  # the copy came back
    assert mach_msg_trap(ta, 0x1000, SEND | m.MACH_SEND_TIMEOUT, 24, 0, 0, 10) is None
    sched.advance(10)
    assert ta.results == [m.MACH_SEND_TIMED_OUT]


def test_blocking_receive_wakes_on_send_and_on_abort(task_a, task_b, sched):
    ta, tb, rcv, _port, dest = _pair(task_a, task_b)
    assert mach_msg_trap(tb, 0x2000, RCV, 0, 100, rcv, 0) is None
    task_a.copyout(0x1000, header(0x13, 24, dest, 0, 9))
    assert mach_msg_trap(ta, 0x1000, SEND, 24, 0, 0, 0) == 0
    sched.run()
    assert tb.results == [0]
    assert task_b.copyin(0x2000, 32) == header(0x1100, 24, 0, rcv, 9) + struct.pack("<II", 0, 8)
    assert mach_msg_trap(tb, 0x2000, RCV, 0, 100, rcv, 0) is None
    tb.abort()
    sched.run()
    assert tb.results == [0, m.MACH_RCV_INTERRUPTED]
    assert mach_msg_trap(tb, 0x2000, RCV | m.MACH_RCV_TIMEOUT, 0, 100, rcv, 0) == m.MACH_RCV_TIMED_OUT


def test_too_large(task_a, task_b, sched):
    ta, tb, rcv, port, dest = _pair(task_a, task_b)
    task_a.copyout(0x1000, header(0x13, 0, dest, 0, 9) + b"12345678")
    mach_msg_trap(ta, 0x1000, SEND, 32, 0, 0, 0)
    opt = RCV | m.MACH_RCV_LARGE | m.MACH_RCV_LARGE_IDENTITY
    assert mach_msg_trap(tb, 0x2000, opt, 0, 39, rcv, 0) == m.MACH_RCV_TOO_LARGE
    assert struct.unpack_from("<II", task_b.copyin(0x2004, 12), 0)[0] == 32
    assert struct.unpack_from("<I", task_b.copyin(0x200C, 4))[0] == rcv
    assert len(port.messages) == 1
    assert mach_msg_trap(tb, 0x2000, RCV, 0, 39, rcv, 0) == m.MACH_RCV_TOO_LARGE
    assert not port.messages and port.srights == 1  # the sender's COPY_SEND'd right remains


def _mig_call(task, thread, port_name, msgid, body, size=None):
    reply = mach_reply_port(thread)
    msg = header(0x1513, 0, port_name, reply, msgid) + body
    task.copyout(0x1000, msg)
    mr = mach_msg_trap(thread, 0x1000, SEND | RCV, size or len(msg), 400, reply, 0)
    assert mr == 0
    (size,) = struct.unpack_from("<I", task.copyin(0x1004, 4))
    return task.copyin(0x1000, size)


def test_mig_mach_port_routines_on_a_task_port(task_a, sched):
    ta = FakeThread(task_a)
    tport = ipc_port_alloc_kernel(task_a, "task")
    me = ipc_space_insert_send(task_a.space, ipc_port_make_send(tport))
    rep = _mig_call(task_a, ta, me, 3204, NDR + struct.pack("<I", 1))  # mach_port_allocate(RECEIVE)
    assert rep[20:24] == struct.pack("<i", 3304) and rep[4:8] == struct.pack("<I", 40)
    new = struct.unpack_from("<I", rep, 36)[0]
    assert rep[24:36] == NDR + bytes(4) and task_a.space.entries[new].type == 0x20000
    rep = _mig_call(task_a, ta, me, 3201, NDR + struct.pack("<I", 0x4242))
    assert len(rep) == 36 and struct.unpack_from("<i", rep, 32)[0] == KERN_INVALID_NAME
    rep = _mig_call(task_a, ta, me, 3201, NDR)
    assert struct.unpack_from("<i", rep, 32)[0] == MIG_BAD_ARGUMENTS
    rep = _mig_call(task_a, ta, me, 3999, b"")
    assert struct.unpack_from("<i", rep, 32)[0] == MIG_BAD_ID
    host = ipc_port_alloc_kernel(object(), "host")
    hname = ipc_space_insert_send(task_a.space, ipc_port_make_send(host))
    rep = _mig_call(task_a, ta, hname, 3201, NDR + struct.pack("<I", new))
    assert struct.unpack_from("<i", rep, 32)[0] == KERN_INVALID_TASK
    rep = _mig_call(task_a, ta, me, 3200, b"")  # mach_port_names: complex reply, two OOL arrays
    assert struct.unpack_from("<I", rep, 0)[0] == 0x80001200 and len(rep) == 76
