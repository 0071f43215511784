# SPDX-License-Identifier: MIT
# The "what a user would do today" guest for the issue-3 benchmark: Debian 12's
# cloud kernel and a busybox initramfs that runs a given static program and
# powers off.  Python 3 stdlib only; downloads go through apt-get and are
# cached under BUILD/bench/debian/ so reruns are offline.
"""Fetch Debian's cloud kernel and busybox-static, build a newc initramfs."""

import glob
import os
import re
import shutil
import subprocess
import tarfile

KERNEL_META = "linux-image-cloud-amd64"
BUSYBOX_PKG = "busybox-static"

INIT_SCRIPT = """#!/bin/busybox sh
/prog
/bin/busybox poweroff -f
"""


class GuestError(Exception):
    """A reason the Linux guest cannot be prepared (shown as the row's n/a)."""


def _run(argv, cwd=None):
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as e:
        raise GuestError(f"{argv[0]}: {e}") from e
    if p.returncode != 0:
        last = (p.stderr.strip() or p.stdout.strip()).splitlines()[-1:] or ["?"]
        raise GuestError(f"{' '.join(argv[:3])}: exit {p.returncode}: {last[0][:200]}")
    return p.stdout


def _kernel_package():
    """The versioned package the cloud meta package depends on."""
    out = _run(["apt-cache", "depends", KERNEL_META])
    m = re.search(r"Depends:\s*(linux-image-[0-9][^\s]*-cloud-amd64)", out)
    if not m:
        raise GuestError(f"apt-cache depends {KERNEL_META}: no linux-image-*-cloud-amd64 "
                         "(apt-get update needed?)")
    return m.group(1)


def _extract(deb, want, dest):
    """Extract the members of (deb) whose path matches regexp (want) into
    (dest), flattened; returns the written paths."""
    p = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
    got = []
    try:
        with tarfile.open(fileobj=p.stdout, mode="r|") as tf:
            for m in tf:
                if m.isfile() and re.fullmatch(want, m.name.lstrip("./")):
                    path = os.path.join(dest, os.path.basename(m.name))
                    with tf.extractfile(m) as src, open(path, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    got.append(path)
    finally:
        p.stdout.close()
        p.wait()
    return got


def fetch(cache):
    """Return (vmlinuz, busybox) paths under (cache), downloading the two
    Debian packages on the first call.  Raises GuestError with the reason."""
    os.makedirs(cache, exist_ok=True)
    kernels = sorted(glob.glob(os.path.join(cache, "vmlinuz-*")))
    busybox = os.path.join(cache, "busybox")
    if kernels and os.path.exists(busybox):
        return kernels[-1], busybox
    for tool in ("apt-get", "apt-cache", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise GuestError(f"{tool} not found: cannot fetch Debian's kernel")
    pkg = _kernel_package()
    debs = os.path.join(cache, "debs")
    os.makedirs(debs, exist_ok=True)
    _run(["apt-get", "download", pkg, BUSYBOX_PKG], cwd=debs)
    kdeb = glob.glob(os.path.join(debs, pkg + "_*.deb"))
    bdeb = glob.glob(os.path.join(debs, BUSYBOX_PKG + "_*.deb"))
    if not kdeb or not bdeb:
        raise GuestError("apt-get download left no .deb files")
    if not _extract(kdeb[0], r"boot/vmlinuz-.*", cache):
        raise GuestError(f"no boot/vmlinuz-* in {os.path.basename(kdeb[0])}")
    if not _extract(bdeb[0], r"bin/busybox", cache):
        raise GuestError(f"no bin/busybox in {os.path.basename(bdeb[0])}")
    os.chmod(busybox, 0o755)
    shutil.rmtree(debs, ignore_errors=True)
    return sorted(glob.glob(os.path.join(cache, "vmlinuz-*")))[-1], busybox


def _newc(name, mode, data=b"", rdev=(0, 0), ino=1):
    """One cpio newc record (SVR4 without CRC), padded to 4 bytes."""
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    rec = hdr + name_b
    rec += b"\0" * (-len(rec) % 4)
    rec += data
    rec += b"\0" * (-len(rec) % 4)
    return rec


def make_initramfs(path, busybox, prog):
    """Write an uncompressed newc initramfs to (path): /init (a busybox
    script that runs /prog, then powers off), /bin/busybox, /prog and
    /dev/console (the kernel opens it for init's stdio)."""
    with open(busybox, "rb") as f:
        bb = f.read()
    with open(prog, "rb") as f:
        pg = f.read()
    entries = [
        ("dev", 0o040755, b"", (0, 0)),
        ("dev/console", 0o020600, b"", (5, 1)),
        ("bin", 0o040755, b"", (0, 0)),
        ("bin/busybox", 0o100755, bb, (0, 0)),
        ("prog", 0o100755, pg, (0, 0)),
        ("init", 0o100755, INIT_SCRIPT.encode(), (0, 0)),
    ]
    out = bytearray()
    for i, (name, mode, data, rdev) in enumerate(entries):
        out += _newc(name, mode, data, rdev, ino=i + 1)
    out += _newc("TRAILER!!!", 0, ino=0)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, path)
    return path
