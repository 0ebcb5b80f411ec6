"""The device server (Mach `ds_routines`): device master port, open/close/read/write.

Devices are named (`console`, `null`, `zero`); each open device is a kernel
port of kotype "device".  A read that cannot be satisfied at once takes the
request's reply right and answers later with exactly the reply an immediate
answer would have had (spec §7 Devices), so a client may block in mach_msg
or send the request and collect the 2900+ reply later.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from machr.kernel.ipc.ipc_port import ipc_port_alloc_kernel
from machr.kernel.ipc.mig import CHARS, I32, OOL, P17, U32, VARBYTES, mig_current, mig_reply_send, mig_routine
from machr.kernel.mach.device_types import D_NO_SUCH_DEVICE, D_NOWAIT, D_SUCCESS, D_WOULD_BLOCK, IO_INBAND_MAX
from machr.kernel.mach.mig_errors import MIG_NO_REPLY


@dataclass
class PendingRead:
    reply: tuple[Any, int]          # the request's reply right
    msgid: int                      # 2804 (OOL) or 2805 (inband)
    wanted: int


class Device(ABC):
    """A named device behind a kernel port."""

    def __init__(self, name: str):
        self.name = name
        self.port = ipc_port_alloc_kernel(self, "device")

    @abstractmethod
    def read(self, wanted: int) -> bytes | None:
        """Data now (b"" at end of input), or None when the caller must wait."""

    @abstractmethod
    def write(self, data: bytes) -> int:
        """Write `data`; the count written."""


class NullDevice(Device):
    def read(self, wanted: int) -> bytes:
        return b""

    def write(self, data: bytes) -> int:
        return len(data)


class ZeroDevice(NullDevice):
    def read(self, wanted: int) -> bytes:
        return bytes(max(0, wanted))


class ConsoleDevice(Device):
    """The serial console: line-disciplined input, output straight to the host console."""

    def __init__(self, console):
        super().__init__("console")
        self.console = console
        self.buffered = b""
        self.eof = False
        self.pending: list[PendingRead] = []

    def read(self, wanted: int) -> bytes | None:
        if self.buffered:
            data, self.buffered = self.buffered[:wanted], self.buffered[wanted:]
            return data
        return b"" if self.eof else None

    def write(self, data: bytes) -> int:
        self.console.write(data)
        return len(data)

    def poll(self) -> bool:
        """Called when the CPU is idle: read one host line for a waiting reader.

        Returns True if a reader was answered (something may now run).
        """
        if not self.pending:
            return False
        line = self.console.read_line()
        if line:
            self.buffered += line
        else:
            self.eof = True
        while self.pending:
            data = self.read(self.pending[0].wanted)
            if data is None:
                break
            p = self.pending.pop(0)
            mig_reply_send(p.msgid, p.reply, (data,))
        return True


class DeviceServer:
    """The device master port and the devices it opens."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.master_port = ipc_port_alloc_kernel(self, "device_master")
        self.console = ConsoleDevice(kernel.console)
        self.devices: dict[str, Device] = {d.name: d for d in (self.console, NullDevice("null"),
                                                                ZeroDevice("zero"))}

    def idle_poll(self) -> bool:
        return self.console.poll()


def _device_read(dev: Device, mode: int, wanted: int, msgid: int):
    data = dev.read(wanted)
    if data is not None:
        return (data,)
    if mode & D_NOWAIT:
        return D_WOULD_BLOCK
    reply = mig_current().take_reply()
    if reply is not None:
        dev.pending.append(PendingRead(reply, msgid, wanted))
    return MIG_NO_REPLY


@mig_routine(2800, "device_open", target="device_master", ins=[("mode", U32), ("name", CHARS(128))],
             outs=[("device", P17)])
def device_open(server: DeviceServer, mode: int, name: bytes):
    dev = server.devices.get(name.split(b"\0", 1)[0].decode("latin-1"))
    if dev is None:
        return D_NO_SUCH_DEVICE
    return (dev.port,)


@mig_routine(2801, "device_close", target="device")
def device_close(dev: Device):
    return D_SUCCESS


@mig_routine(2802, "device_write", target="device", ins=[("mode", U32), ("recnum", U32), ("data", OOL)],
             outs=[("written", I32)])
def device_write(dev: Device, mode: int, recnum: int, data: bytes):
    return (dev.write(data),)


@mig_routine(2803, "device_write_inband", target="device",
             ins=[("mode", U32), ("recnum", U32), ("data", VARBYTES(IO_INBAND_MAX))], outs=[("written", I32)])
def device_write_inband(dev: Device, mode: int, recnum: int, data: bytes):
    return (dev.write(bytes(data)),)


@mig_routine(2804, "device_read", target="device", ins=[("mode", U32), ("recnum", U32), ("wanted", I32)],
             outs=[("data", OOL)])
def device_read(dev: Device, mode: int, recnum: int, wanted: int):
    return _device_read(dev, mode, wanted, 2804)


@mig_routine(2805, "device_read_inband", target="device",
             ins=[("mode", U32), ("recnum", U32), ("wanted", I32)], outs=[("data", VARBYTES(IO_INBAND_MAX))])
def device_read_inband(dev: Device, mode: int, recnum: int, wanted: int):
    return _device_read(dev, mode, min(wanted, IO_INBAND_MAX), 2805)
