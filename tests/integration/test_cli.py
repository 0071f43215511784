# SPDX-License-Identifier: MIT
"""ringvisor's command line: help, version, and every bad input getting one
clear line on stderr and exit status 2 (no /dev/kvm needed for most)."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import needs_kvm, run


def test_help(ringvisor):
    r = run([ringvisor, "--help"])
    assert r.returncode == 0 and "run" in r.stdout
    r = run([ringvisor, "run", "--help"])
    assert r.returncode == 0
    for opt in ("--kernel", "--initrd", "--cmdline", "--mem", "--cpus", "-v"):
        assert opt in r.stdout


def test_version(ringvisor):
    r = run([ringvisor, "--version"])
    assert r.returncode == 0 and r.stdout.startswith("ringvisor ")


def test_no_command(ringvisor):
    r = run([ringvisor])
    assert r.returncode == 2 and "usage" in r.stderr


BAD_FLAGS = [
    (["frobnicate"], "unknown command"),
    (["run", "--bogus"], "unknown option '--bogus'"),
    (["run", "--mem"], "needs a value"),
    (["run", "--mem", "64Q"], "not a size"),
    (["run", "--mem", "-5M"], "not a size"),
    (["run", "--mem", "99999999999999999999999G"], "not a size"),
    (["run", "--mem", "3M"], "out of range"),
    (["run", "--mem", "1T"], "out of range"),
    (["run", "--mem", "9M"], "multiple of 2M"),
    (["run", "--cpus", "0"], "out of range"),
    (["run", "--cpus", "65"], "out of range"),
    (["run", "--cpus", "two"], "not a number"),
    (["run", "extra"], "unexpected argument"),
    (["run", "--cmdline", "x" * 5000], "too long"),
    (["run", "--kernel", "/nonexistent/kernel"], "No such file"),
    (["run", "--kernel", "/"], "Is a directory"),
    (["run", "--initrd", "/nonexistent/initrd"], "cannot read initrd"),
]


@pytest.mark.parametrize("args,message", BAD_FLAGS, ids=[" ".join(a)[:40] for a, _ in BAD_FLAGS])
def test_bad_input(ringvisor, args, message):
    r = run([ringvisor] + args)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert r.stderr.startswith("ringvisor: ") and r.stderr.count("\n") == 1


def test_kernel_not_elf(ringvisor, tmp_path):
    p = tmp_path / "notelf"
    p.write_bytes(b"hello, this is not an ELF file" * 10)
    r = run([ringvisor, "run", "--kernel", str(p)])
    assert r.returncode == 2 and "not an ELF file" in r.stderr


def test_kernel_not_x86_64(ringvisor, tmp_path):
    p = tmp_path / "arm"
    hdr = bytearray(64)
    hdr[0:4] = b"\x7fELF"
    hdr[4], hdr[5], hdr[6] = 2, 1, 1
    hdr[16:18] = (2).to_bytes(2, "little")      # ET_EXEC
    hdr[18:20] = (183).to_bytes(2, "little")    # EM_AARCH64
    p.write_bytes(bytes(hdr))
    r = run([ringvisor, "run", "--kernel", str(p)])
    assert r.returncode == 2 and "not an x86-64 ELF" in r.stderr


def test_kernel_truncated(ringvisor, ringos, tmp_path):
    data = open(ringos, "rb").read()
    p = tmp_path / "half.elf"
    p.write_bytes(data[:0x3000])  # inside the first load segment
    r = run([ringvisor, "run", "--kernel", str(p)])
    assert r.returncode == 2 and "segment lies outside the file" in r.stderr


def test_kernel_unreadable(ringvisor, ringos, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files regardless of their mode")
    p = tmp_path / "secret.elf"
    shutil.copy(ringos, p)
    os.chmod(p, 0)
    r = run([ringvisor, "run", "--kernel", str(p)])
    assert r.returncode == 2 and "Permission denied" in r.stderr


@needs_kvm
def test_image_does_not_fit(ringvisor, tmp_path):
    # A 10 MiB initrd cannot fit in 8 MiB of RAM.
    p = tmp_path / "big.img"
    p.write_bytes(b"\0" * (10 << 20))
    r = run([ringvisor, "run", "--mem", "8M", "--initrd", str(p)])
    assert r.returncode == 2 and "do not fit in guest memory" in r.stderr


def _nobody():
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_kvm_not_permitted(ringvisor):
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run as an unprivileged user")
    if os.stat("/dev/kvm").st_mode & 0o006 if os.path.exists("/dev/kvm") else False:
        pytest.skip("/dev/kvm is world-accessible here")
    r = run(_nobody() + [ringvisor, "run"])
    assert r.returncode == 2
    assert "/dev/kvm" in r.stderr


def test_kvm_missing(ringvisor):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to hide /dev/kvm")
    r = run(["unshare", "-m", "sh", "-c",
             f"mount -t tmpfs none /dev && exec {ringvisor} run"])
    if "mount" in r.stderr and r.returncode != 2:
        pytest.skip("cannot mount in a new namespace here: " + r.stderr.strip())
    assert r.returncode == 2
    assert "/dev/kvm does not exist" in r.stderr


# --- disks -------------------------------------------------------------------

BAD_DISKS = [
    ("", "no image path"),
    (",ro", "no image path"),
    ("IMG,rx", "unknown option"),
    ("IMG,id=", "unknown option"),
    ("IMG,id=.hidden", "id= takes"),
    ("IMG,id=has/slash", "id= takes"),
    ("IMG,id=" + "x" * 16, "id= takes"),
]


@pytest.mark.parametrize("spec,message", BAD_DISKS, ids=[s or "empty" for s, _ in BAD_DISKS])
def test_bad_disk_spec(ringvisor, tmp_path, spec, message):
    img = tmp_path / "d.img"
    img.write_bytes(b"\0" * 4096)
    r = run([ringvisor, "run", "--disk", spec.replace("IMG", str(img))])
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert r.stderr.startswith("ringvisor: ") and r.stderr.count("\n") == 1


def test_two_disks_with_one_name(ringvisor, tmp_path):
    a, b = tmp_path / "a.img", tmp_path / "b.img"
    for p in (a, b):
        p.write_bytes(b"\0" * 4096)
    r = run([ringvisor, "run", "--disk", f"{a},id=x", "--disk", f"{b},id=x"])
    assert r.returncode == 2 and "two disks are named 'x'" in r.stderr, r.stderr


@needs_kvm
@pytest.mark.parametrize("content,message", [
    (None, "No such file or directory"),
    (b"\0" * 1000, "not a non-zero multiple of 512"),
    (b"", "not a non-zero multiple of 512"),
])
def test_bad_disk_image(ringvisor, tmp_path, content, message):
    img = tmp_path / "d.img"
    if content is not None:
        img.write_bytes(content)
    r = run([ringvisor, "run", "--cmdline", "test=boot", "--disk", str(img)])
    assert r.returncode == 2, r.stderr
    assert r.stderr == f"ringvisor: disk '{img}': {message}\n" or message in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1


@needs_kvm
def test_disk_directory_is_refused(ringvisor, tmp_path):
    r = run([ringvisor, "run", "--cmdline", "test=boot", "--disk", str(tmp_path)])
    assert r.returncode == 2 and "Is a directory" in r.stderr, r.stderr
    r = run([ringvisor, "run", "--cmdline", "test=boot", "--disk", f"{tmp_path},ro"])
    assert r.returncode == 2 and "not a regular file" in r.stderr, r.stderr


@needs_kvm
def test_writable_disk_is_locked(ringvisor, tmp_path):
    """A second VM cannot open an image another VM writes; read-only
    sharing works; the lock goes with the first VM."""
    img = tmp_path / "d.img"
    img.write_bytes(b"\0" * (1 << 20))
    holder = subprocess.Popen([ringvisor, "run", "--cmdline", "test=idle", "--disk", str(img)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL)
    try:
        # Its first line comes after it opened (and locked) the disk.
        assert holder.stdout.readline().startswith(b"ringos: "), holder.stderr.read()
        r = run([ringvisor, "run", "--cmdline", "test=boot", "--disk", f"{img},ro"])
        assert r.returncode == 2 and "in use by another VM" in r.stderr, r.stderr
        r = run([ringvisor, "run", "--cmdline", "test=boot", "--disk", str(img)])
        assert r.returncode == 2 and "in use by another VM" in r.stderr, r.stderr
    finally:
        holder.kill()
        holder.wait()
    r = run([ringvisor, "run", "--cmdline", "test=boot", "--disk", str(img)])
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    # Two readers share it.
    reader = subprocess.Popen([ringvisor, "run", "--cmdline", "test=idle", "--disk",
                               f"{img},ro"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL)
    try:
        assert reader.stdout.readline().startswith(b"ringos: "), reader.stderr.read()
        r = run([ringvisor, "run", "--cmdline", "test=boot", "--disk", f"{img},ro"])
        assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    finally:
        reader.kill()
        reader.wait()
