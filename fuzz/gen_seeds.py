#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed corpus of each fuzz target to DIR/<target>/: small valid
# inputs that reach past the first checks, plus a few near misses.
import os
import struct
import sys

KBASE = 0xFFFFFFFF80000000


def elf(entry, segs, tail=b""):
    """ELF64 x86-64 ET_EXEC; segs = [(type, offset, filesz, memsz, paddr, vaddr)]."""
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, 64, 0, 0, 64, 56,
                             len(segs), 0, 0, 0)
    ph = b"".join(struct.pack("<IIQQQQQQ", t, 5, off, va, pa, fs, ms, 0x1000)
                  for t, off, fs, ms, pa, va in segs)
    body = eh + ph
    return body + bytes(max(0, 0x100 - len(body))) + tail


def hcall(op, args=(), flags=0):
    a = list(args) + [0] * (6 - len(args))
    return struct.pack("<IIq6Q", op, flags, 0, *a)


def ram(blocks, size=0x4000):
    m = bytearray(size)
    for at, b in blocks:
        m[at:at + len(b)] = b
    return bytes(m)


def ring(prod, slots):
    r = bytearray(128 + 128 * 64)
    struct.pack_into("<I", r, 0, prod)
    for idx, op, data in slots:
        struct.pack_into("<II", r, 128 + 128 * (idx % 64), op, len(data))
        r[128 + 128 * (idx % 64) + 8:128 + 128 * (idx % 64) + 8 + len(data)] = data
    return bytes(r)


def seeds():
    code = b"\xf4" * 0x40
    yield "fuzz_elf", "one_segment", elf(KBASE + 0x200000,
                                         [(1, 0x100, 0x40, 0x1000, 0x200000, KBASE + 0x200000)],
                                         code)
    yield "fuzz_elf", "two_segments", elf(KBASE + 0x200010,
                                          [(1, 0x100, 0x40, 0x1000, 0x200000, KBASE + 0x200000),
                                           (4, 0, 0, 0, 0, 0),
                                           (1, 0x100, 0x20, 0x3000, 0x202000, KBASE + 0x202000)],
                                          code)
    yield "fuzz_elf", "identity_segment", elf(KBASE + 0x200000,
                                              [(1, 0x100, 0x40, 0x1000, 0x200000, KBASE + 0x200000),
                                               (1, 0x100, 0x40, 0x1000, 0x300000, 0x300000)],
                                              code)
    yield "fuzz_elf", "beyond_ram", elf(KBASE + 0x3ff000,
                                        [(1, 0x100, 0x40, 0x2000, 0x3ff000, KBASE + 0x3ff000)],
                                        code)

    v = struct.pack("<I", 0x100)  # block at GPA 0x1000
    yield "fuzz_hcall", "nop", v + ram([(0x1000, hcall(0))])
    yield "fuzz_hcall", "console", v + ram([(0x1000, hcall(2, [0x2000, 16])),
                                            (0x2000, b"hello, fuzzer!\n\x00")])
    yield "fuzz_hcall", "wallclock", v + ram([(0x1000, hcall(4))])
    yield "fuzz_hcall", "poweroff", v + ram([(0x1000, hcall(1, [3]))])
    yield "fuzz_hcall", "multicall", v + ram([
        (0x1000, hcall(3, [0x3000, 4])),
        (0x2000, b"abc"),
        (0x3000, hcall(0) + hcall(2, [0x2000, 3]) + hcall(4) + hcall(3, [0x3000, 1]))])

    start = 0xFFFFFFFE
    idx = struct.pack("<III", start, (start + 3) & 0xFFFFFFFF, (start + 70) & 0xFFFFFFFF)
    yield "fuzz_reqring", "wrap", idx + ring((start + 2) & 0xFFFFFFFF,
                                             [(start, 1, b"hello"), (start + 1, 1, b"world")])
    yield "fuzz_reqring", "full", struct.pack("<III", 0, 64, 65) + ring(
        64, [(i, 1, bytes([65 + i % 26]) * 120) for i in range(64)])

    for i, s in enumerate([b"64M", b"2G", b"512", b"64MiB", b"8gb", b"18446744073709551615",
                           b"17179869184G", b"12x", b" 1"]):
        yield "fuzz_parse", "s%d" % i, s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "seeds"
    for target, name, data in seeds():
        os.makedirs(os.path.join(out, target), exist_ok=True)
        with open(os.path.join(out, target, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
