"""A stand-in for the machr kernel, to smoke-test the firmware before the real one runs it.

It loads a firmware ELF into Unicorn as spec §10 says (stack, auxv port names),
serves the traps and the handful of kernel RPCs the firmware calls, and checks
every request byte for byte against spec §2-§7 (header bits, NDR record, sizes).
It is deliberately written from the spec alone, not from the firmware's headers,
so that both sides are checked against the document.

    python3 firmware/tools/fakemach.py firmware/build/aarch64/init.elf <<< $'echo a  b\\nhalt'
    python3 firmware/tools/fakemach.py --count firmware/build/x86_64/spin.elf

Prints the console output, then one status line (`fakemach: terminated|halted|...`).
"""

from __future__ import annotations

import argparse
import struct
import sys
from dataclasses import dataclass, field

import capstone
import unicorn
from elftools.elf.elffile import ELFFile
from unicorn import arm64_const, x86_const

PAGE = 4096
NDR = bytes([0, 0, 0, 0, 1, 0, 0, 0])
MIG_REQUEST_BITS = 0x1513  # spec §2.3: COPY_SEND remote, MAKE_SEND_ONCE local
COMPLEX = 0x80000000
VERSION = b"machr fakemach 0.1 (firmware smoke test)"

# spec §10: stack tops, auxv keys.
STACK_TOP = {"x86_64": 0x7FFFFFFFF000, "aarch64": 0xFFFFFFFFF000}
STACK_SIZE = 8 << 20
AUXV_PORTS = {
    0x4D03: "host_priv",
    0x4D04: "device_master",
    0x4D05: "bootstrap",
    0x4D01: "task",
    0x4D02: "thread",
}

# spec §7: request size and COMPLEX flag of each routine served, reply fixed sizes.
REQUESTS = {
    2008: (24, False),
    2021: (52, False),
    2023: (48, False),
    2619: (24, False),
    2635: (36, False),
    2800: (164, False),
    2801: (24, False),
    2805: (44, False),
    3204: (36, False),
    3206: (36, False),
    3207: (40, False),
    3208: (44, False),
    3215: (52, True),
}


class Stop(Exception):
    """Ends the run with a status line."""


@dataclass
class Port:
    """A port: who receives on it (a kernel object or the task) and its queue."""

    kind: str
    queue: list[bytes] = field(default_factory=list)
    send_urefs: int = 0


class FakeMach:
    """One task on one thread, with just enough kernel to run the firmware programs."""

    def __init__(self, path: str, lines: list[bytes], count: bool) -> None:
        self.stop = ""
        with open(path, "rb") as f:
            elf = ELFFile(f)
            self.arch = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64"}[elf["e_machine"]]
            if self.arch == "x86_64":
                self.uc = unicorn.Uc(unicorn.UC_ARCH_X86, unicorn.UC_MODE_64)
            else:
                self.uc = unicorn.Uc(unicorn.UC_ARCH_ARM64, unicorn.UC_MODE_ARM)
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD":
                    continue
                start = seg["p_vaddr"] & ~(PAGE - 1)
                end = (seg["p_vaddr"] + seg["p_memsz"] + PAGE - 1) & ~(PAGE - 1)
                self.map(start, end - start)
                self.uc.mem_write(seg["p_vaddr"], seg.data())
            self.entry = elf["e_entry"]
        self.lines = lines
        self.output = bytearray()
        self.ports: dict[int, Port] = {}
        self.next_name = 0x100
        self.heap = 0x10000000
        self.retired = 0
        self.block_sizes: dict[tuple[int, int], int] = {}
        self.names = {
            kind: self.new_port(kind)
            for kind in ("host_priv", "device_master", "bootstrap", "task", "thread", "host")
        }
        self.setup_stack()
        if self.arch == "x86_64":
            self.uc.hook_add(unicorn.UC_HOOK_INSN, self.on_syscall, None, 1, 0, x86_const.UC_X86_INS_SYSCALL)
            self.disasm = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        else:
            self.disasm = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
        self.uc.hook_add(unicorn.UC_HOOK_INTR, self.on_interrupt)
        if count:
            self.uc.hook_add(unicorn.UC_HOOK_BLOCK, self.on_block)

    # --- machine -------------------------------------------------------
    def map(self, address: int, size: int) -> None:
        self.uc.mem_map(address, size, unicorn.UC_PROT_ALL)

    def reg(self, name: str, value: int | None = None) -> int:
        const = x86_const if self.arch == "x86_64" else arm64_const
        prefix = "UC_X86_REG_" if self.arch == "x86_64" else "UC_ARM64_REG_"
        reg = getattr(const, prefix + name.upper())
        if value is not None:
            self.uc.reg_write(reg, value & 0xFFFFFFFFFFFFFFFF)
        return self.uc.reg_read(reg)

    def setup_stack(self) -> None:
        """spec §10: argc, argv[], 0, envp[], 0, auxv pairs, AT_NULL, strings above."""
        top = STACK_TOP[self.arch]
        self.map(top - STACK_SIZE, STACK_SIZE)
        n = self.names
        args = [b"init", b"-x", str(n["host_priv"]).encode(), str(n["device_master"]).encode(), b"root"]
        strings = b"".join(a + b"\0" for a in args)
        str_base = (top - len(strings) - 64) & ~15
        self.uc.mem_write(str_base, strings)
        pointers, offset = [], 0
        for a in args:
            pointers.append(str_base + offset)
            offset += len(a) + 1
        auxv = [(6, PAGE), (9, self.entry)] + [(key, n[kind]) for key, kind in AUXV_PORTS.items()] + [(0, 0)]
        words = [len(args), *pointers, 0, 0] + [w for pair in auxv for w in pair]
        sp = (str_base - 8 * len(words)) & ~15
        self.uc.mem_write(sp, struct.pack(f"<{len(words)}Q", *words))
        self.reg("rsp" if self.arch == "x86_64" else "sp", sp)
        if self.arch == "x86_64":
            self.reg("rflags", 0x202)

    def on_block(self, uc, address, size, user_data) -> None:
        key = (address, size)
        n = self.block_sizes.get(key)
        if n is None:
            n = len(list(self.disasm.disasm(bytes(uc.mem_read(address, size)), address)))
            self.block_sizes[key] = n
        self.retired += n

    def on_syscall(self, uc, user_data) -> None:
        number = self.reg("rax") - (1 << 64) if self.reg("rax") >> 63 else self.reg("rax")
        args = [self.reg(r) for r in ("rdi", "rsi", "rdx", "r10", "r8", "r9")]
        self.reg("rax", self.trap(number, args))

    def on_interrupt(self, uc, intno, user_data) -> None:
        if self.arch == "aarch64" and intno == 2:  # EXCP_SWI
            number = struct.unpack("<i", struct.pack("<I", self.reg("x16") & 0xFFFFFFFF))[0]
            args = [self.reg(f"x{i}") for i in range(6)]
            self.reg("x0", self.trap(number, args))
            return
        pc = self.reg("rip" if self.arch == "x86_64" else "pc")
        uc.emu_stop()
        self.stop = f"exception (interrupt {intno}) at pc 0x{pc:x}"

    # --- traps (spec §2.2) -------------------------------------------------
    def new_port(self, kind: str) -> int:
        self.next_name += 0x100
        name = self.next_name | 1
        self.ports[name] = Port(kind)
        return name

    def trap(self, number: int, args: list[int]) -> int:
        if number == -25:
            return self.mach_msg(*args[:6])
        if number == -26:
            return self.new_port("user")
        if number in (-27, -28, -29):
            return self.names[{-27: "thread", -28: "task", -29: "host"}[number]]
        if number == -30:
            self.output += self.read_cstring(args[0])
            return 0
        raise Stop(f"unknown trap {number}")

    def read_cstring(self, address: int) -> bytes:
        data = bytearray()
        while (b := self.uc.mem_read(address + len(data), 1)) != b"\0":
            data += b
        return bytes(data)

    def mach_msg(
        self, msg: int, option: int, send_size: int, rcv_size: int, rcv_name: int, timeout: int
    ) -> int:
        send_size &= 0xFFFFFFFF
        rcv_size &= 0xFFFFFFFF
        rcv_name &= 0xFFFFFFFF
        if option & 1:
            if send_size < 24 or send_size % 4:
                raise Stop(f"send_size {send_size} (spec §2.6)")
            self.send(bytes(self.uc.mem_read(msg, send_size)))
        if option & 2:
            port = self.ports.get(rcv_name)
            if port is None or port.kind != "user":
                raise Stop(f"receive on 0x{rcv_name:x}, not a receive right")
            if not port.queue:
                raise Stop(f"receive on 0x{rcv_name:x} would block forever")
            data = port.queue.pop(0)
            if rcv_size < len(data) + 8:
                raise Stop(f"rcv_size {rcv_size} < {len(data)} + trailer")
            self.uc.mem_write(msg, data + struct.pack("<II", 0, 8))
        return 0

    def send(self, data: bytes) -> None:
        bits, _size, remote, local, voucher, msg_id = struct.unpack_from("<IIIIIi", data)
        if voucher or bits & ~0x801F1F1F:
            raise Stop(f"bad header bits 0x{bits:x} / voucher {voucher} (spec §2.3)")
        target = self.ports.get(remote)
        if target is None:
            raise Stop(f"send to unknown name 0x{remote:x}")
        if target.kind == "user":
            self.deliver(target, data, bits, local)
            return
        if bits & ~COMPLEX != MIG_REQUEST_BITS:
            raise Stop(f"MIG request {msg_id} bits 0x{bits:x}, expected 0x1513 (spec §7)")
        reply = self.mig(target, msg_id, data)
        if reply is not None:
            header = struct.pack(
                "<IIIIIi",
                0x1200 | (COMPLEX if reply[0] else 0),
                24 + len(reply[1]),
                0,
                local,
                0,
                msg_id + 100,
            )
            self.ports[local].queue.append(header + reply[1])

    def deliver(self, port: Port, data: bytes, bits: int, local: int) -> None:
        """Task-to-task delivery in one space: dispositions become result types (spec §3)."""
        result = {0: 0, 17: 17, 19: 17, 20: 17, 18: 18, 21: 18}
        body = bytearray(data[24:])
        if bits & COMPLEX:
            (count,) = struct.unpack_from("<I", body)
            for i in range(count):
                off = 4 + 12 * i
                name, disposition, kind = (
                    struct.unpack_from("<I", body, off)[0],
                    body[off + 10],
                    body[off + 11],
                )
                if kind != 0:
                    raise Stop("only port descriptors are served")
                body[off + 10] = result[disposition]
                if disposition == 20:
                    self.ports[name].send_urefs += 1
        remote_bits, local_bits = bits & 0x1F, (bits >> 8) & 0x1F
        new_bits = (bits & COMPLEX) | result[local_bits] | (result[remote_bits] << 8)
        header = struct.pack(
            "<IIIIIi",
            new_bits,
            len(data),
            local if local_bits else 0,
            struct.unpack_from("<I", data, 8)[0],
            0,
            struct.unpack_from("<i", data, 20)[0],
        )
        port.queue.append(header + bytes(body))

    # --- kernel RPCs (spec §7) -----------------------------------------------
    def mig(self, target: Port, msg_id: int, data: bytes) -> tuple[bool, bytes] | None:
        expected = REQUESTS.get(msg_id)
        if msg_id == 2803:
            (count,) = struct.unpack_from("<I", data, 40)
            expected = (44 + (count + 3 & ~3), False)
        if expected is None:
            raise Stop(f"unserved MIG id {msg_id}")
        size, complex_ = expected
        if len(data) != size or bool(struct.unpack_from("<I", data)[0] & COMPLEX) != complex_:
            raise Stop(f"MIG {msg_id}: request of {len(data)} bytes, expected {size} (spec §7)")
        ndr_at = 40 if complex_ else 24
        if size > 24 and data[ndr_at : ndr_at + 8] != NDR:
            raise Stop(f"MIG {msg_id}: NDR record {data[ndr_at : ndr_at + 8].hex()}")
        args = data[ndr_at + 8 :]

        def ok(*words: int, fmt: str = "", extra: bytes = b"") -> tuple[bool, bytes]:
            return False, NDR + struct.pack("<i" + fmt, 0, *words) + extra

        if msg_id == 2008:
            raise Stop("terminated")
        if msg_id == 2021:
            address, size_, anywhere = struct.unpack_from("<QQi", args)
            size_ = (size_ + PAGE - 1) & ~(PAGE - 1)
            if not anywhere:
                raise Stop("vm_allocate fixed is not served")
            address, self.heap = self.heap, self.heap + size_ + PAGE
            self.map(address, size_)
            return ok(address, fmt="Q")
        if msg_id == 2619:
            return ok(extra=VERSION.ljust(512, b"\0"))
        if msg_id == 2635:
            (options,) = struct.unpack_from("<i", args)
            raise Stop(f"halted (host_reboot options 0x{options:x}, target {target.kind})")
        if msg_id == 2800:
            (name,) = struct.unpack_from("<128s", args, 4)
            if name.rstrip(b"\0") != b"console" or target.kind != "device_master":
                raise Stop(f"device_open {name!r} on {target.kind}")
            device = self.new_port("console")
            return True, struct.pack("<IIIHBB", 1, device, 0, 0, 17, 0)
        if msg_id == 2803:
            (count,) = struct.unpack_from("<I", args, 8)
            if count > 128 or target.kind != "console":
                raise Stop(f"device_write_inband of {count} bytes to {target.kind}")
            self.output += args[12 : 12 + count]
            return ok(count, fmt="i")
        if msg_id == 2805:
            line = self.lines.pop(0) if self.lines else b""
            return ok(len(line), fmt="I", extra=line.ljust(len(line) + 3 & ~3, b"\0"))
        if msg_id == 3204:
            return ok(self.new_port("user"), fmt="I")
        if msg_id == 3206:
            (name,) = struct.unpack_from("<I", args)
            self.ports[name].send_urefs -= 1
            return ok()
        if msg_id == 3207:
            name, right = struct.unpack_from("<II", args)
            return ok(self.ports[name].send_urefs if right == 0 else 1, fmt="I")
        if msg_id == 3208:
            name, right, delta = struct.unpack_from("<IIi", args)
            if right == 1 and delta == -1:
                del self.ports[name]
            return ok()
        return ok()

    def run(self) -> str:
        self.stop = "returned from _start"
        try:
            self.uc.emu_start(self.entry, 0)
        except unicorn.UcError as error:
            pc = self.reg("rip" if self.arch == "x86_64" else "pc")
            self.stop = f"exception ({error}) at pc 0x{pc:x}"
        except Stop as stop:
            self.stop = str(stop)
        return self.stop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("elf")
    parser.add_argument("--count", action="store_true", help="print the guest instructions retired")
    options = parser.parse_args()
    lines = (
        [] if sys.stdin.isatty() else [line.encode() for line in sys.stdin.read().splitlines(keepends=True)]
    )
    machine = FakeMach(options.elf, lines, options.count)
    status = machine.run()
    sys.stdout.write(machine.output.decode(errors="replace"))
    print(f"\nfakemach: {status}")
    if options.count:
        print(f"fakemach: {machine.retired} instructions retired")
    return 0


if __name__ == "__main__":
    sys.exit(main())
