#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Build a cpio newc archive: mkcpio.py OUT [archive_path=host_file | archive_path/ ]...
# and optionally --args 'argv0 argv1 ...' for /.ringos/args.
import os, sys

def entry(name, mode, data, ino):
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join("%08x" % v for v in
        (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
    out = hdr.encode() + name_b
    out += b"\0" * (-len(out) % 4) + data
    out += b"\0" * (-len(out) % 4)
    return out

def main():
    out, items, args = sys.argv[1], [], None
    rest = sys.argv[2:]
    i = 0
    while i < len(rest):
        if rest[i] == "--args":
            args = rest[i + 1]; i += 2; continue
        items.append(rest[i]); i += 1
    buf, ino = b"", 1
    for it in items:
        if it.endswith("/"):
            buf += entry(it.rstrip("/"), 0o40755, b"", ino)
        elif "->" in it:
            name, target = it.split("->")
            buf += entry(name, 0o120777, target.encode(), ino)
        else:
            name, src = it.split("=")
            buf += entry(name, 0o100755, open(src, "rb").read(), ino)
        ino += 1
    if args is not None:
        parts = args.split("\x1f")
        argv_env = parts[0].split() + [""] + (parts[1].split() if len(parts) > 1 else []) + [""]
        buf += entry(".ringos/args", 0o100644, b"".join(a.encode() + b"\0" for a in argv_env), ino)
    buf += entry("TRAILER!!!", 0, b"", 0)
    open(out, "wb").write(buf)

main()
