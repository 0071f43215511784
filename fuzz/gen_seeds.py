#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed corpus of each fuzz target to DIR/<target>/: small valid
# inputs that reach past the first checks, plus a few near misses.
import json
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
    for i, s in enumerate([b"disk.img", b"a.img,ro", b"a.img,ro,id=data", b"a,id=.x", b",ro",
                           b"a,id=0123456789abcdef"]):
        yield "fuzz_parse", "d%d" % i, s

    # One queue of 8 at 0x1000 (desc), 0x2000 (avail), 0x3000 (used):
    # a header + data + status chain, and an indirect one.
    def desc(addr, length, flags, nxt):
        return struct.pack("<QIHH", addr, length, flags, nxt)

    hdr = struct.pack("<HBBHHH", 8, 3, 0, 0x100, 0x200, 0x300)
    table = desc(0x8000, 16, 1, 1) + desc(0x8100, 512, 3, 2) + desc(0x8400, 1, 2, 0)
    yield "fuzz_virtq", "chain", hdr + ram([(0x1000, table),
                                            (0x2000, struct.pack("<HHH", 0, 1, 0))], 0x9000)
    yield "fuzz_virtq", "indirect", hdr + ram([(0x1000, desc(0x4000, 48, 4, 0)),
                                               (0x4000, table),
                                               (0x2000, struct.pack("<HHHH", 0, 2, 0, 0))], 0x9000)

    # virtio-pci: enable memory decoding, negotiate, set up queue 0, DRIVER_OK, kick.
    def op(kind, length_log2, off, val, write=True):
        return struct.pack("<BBHQ", kind, length_log2 | (4 if write else 0), off, val)

    yield "fuzz_vpci", "setup", b"".join([
        op(1, 2, 0, 0x80000800 | 0x04), op(2, 1, 0, 0x6),
        op(0, 0, 0x14, 3), op(0, 2, 0x08, 1), op(0, 2, 0x0c, 1), op(0, 0, 0x14, 0x0b),
        op(0, 1, 0x16, 0), op(0, 1, 0x18, 8), op(0, 3, 0x20, 0x1000), op(0, 3, 0x28, 0x2000),
        op(0, 3, 0x30, 0x3000), op(0, 1, 0x1c, 1), op(0, 0, 0x14, 0x0f),
        op(0, 2, 0x4000, 0xfee00000), op(0, 2, 0x400c, 0), op(3, 0, 0, 0),
        op(0, 0, 0x1000, 0, False), op(0, 0, 0x14, 0)])

    for name, data in api_seeds():
        yield "fuzz_api", name, data


def api_seeds():
    """fuzz_api: each input is parsed both as a VM config document and as a
    request stream (fed in pieces of data[0] % 17 + 1 bytes)."""
    cfg = {"name": "web", "program": "/bin/prog", "args": ["-v", ""], "env": {"K": "V"},
           "files": [{"host": "/etc/hosts", "guest": "/etc/hosts"}], "mem": "64M", "cpus": 2,
           "disks": ["/img/a.img,ro,id=data"], "interactive": True, "tty": False}
    yield "config_program", json.dumps(cfg).encode()
    yield "config_kernel", json.dumps({"name": "k", "kernel": "/k.elf", "initrd": "/i.cpio",
                                       "cmdline": "quiet", "mem": 67108864}).encode()
    yield "config_dup_field", b'{"name":"a","name":"b","program":"/p"}'
    yield "config_bad_types", b'{"name":"a","program":"/p","cpus":1e300,"tty":1,"mem":"1G3"}'
    yield "config_sched", json.dumps({"name": "s", "program": "/p", "sched": {
        "weight": 512, "cap": 20, "slice_ms": 10, "period_ms": 100, "extra": True}}).encode()
    yield "config_sched_bad", b'{"name":"s","program":"/p","sched":{"weight":0,"slice_ms":5,' \
                              b'"weight":1e99,"bogus":[]}}'

    def req(method, path, body=b"", extra=b""):
        head = b"%s %s HTTP/1.1\r\nHost: x\r\n%s" % (method, path, extra)
        if body:
            head += b"Content-Length: %d\r\n" % len(body)
        return head + b"\r\n" + body

    body = json.dumps(cfg).encode()
    yield "http_create", req(b"POST", b"/v1/vms", body, b"Content-Type: application/json\r\n")
    yield "http_pipelined", (req(b"GET", b"/v1/version") + req(b"GET", b"/v1/vms/web") +
                             req(b"POST", b"/v1/vms/web/pause") +
                             req(b"DELETE", b"/v1/vms/web", extra=b"Connection: close\r\n"))
    yield "http_console", (req(b"GET", b"/v1/vms/web/console?follow=1&bytes=4096") +
                           req(b"POST", b"/v1/vms/web/console/input", b"ls\r\x1d\x00\xff"))
    yield "http_chunked", (b"POST /v1/vms/web/stop HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"5\r\n{\"for\r\n9\r\nce\":true}\r\n0\r\n\r\n")
    yield "http_too_large", req(b"POST", b"/v1/vms", extra=b"Content-Length: 65537\r\n")
    yield "http_http10", b"GET /v1/health HTTP/1.0\r\n\r\n"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "seeds"
    for target, name, data in seeds():
        os.makedirs(os.path.join(out, target), exist_ok=True)
        with open(os.path.join(out, target, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
