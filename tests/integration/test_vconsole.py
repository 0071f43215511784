# SPDX-License-Identifier: MIT
"""ringvisor --virtio-console: ringos's virtio-console driver carries console
output (transmit queue) and input (receive queue, through the tty line
discipline); ringvisor then offers no rv_in_ring.  virtio-console has no end
of input, so programs here end on their own (rsh's exit) or are killed once
their output is complete."""
import os
import selectors
import subprocess
import threading
import time

import pytest

from conftest import BUILD, KVM_REASON

USERLAND = BUILD / "userland"

VMMS = [pytest.param("ringvisor", marks=pytest.mark.skipif(KVM_REASON is not None,
                                                          reason=KVM_REASON or "")),
        pytest.param("asan/ringvisor", marks=pytest.mark.skipif(KVM_REASON is not None,
                                                               reason=KVM_REASON or ""))]


def vexec(vmm, prog, data=b"", timeout=60):
    r = subprocess.run([str(BUILD / vmm), "exec", "--virtio-console", str(USERLAND / prog)],
                       input=data, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


@pytest.mark.parametrize("vmm", VMMS)
def test_hello(vmm):
    status, out, err = vexec(vmm, "hello")
    assert status == 0 and "Hello from ringos!" in out, out + err


@pytest.mark.parametrize("vmm", VMMS)
def test_rsh_reads_until_exit(vmm):
    status, out, err = vexec(vmm, "rsh", b"echo hi\nexit 3\n")
    assert status == 3, out + err
    assert "hi\n" in out, out + err


def cat_through(vmm, data, timeout=30, prog=USERLAND / "cat", args=()):
    """Feed (data) to (prog), cat by default, over virtio-console; return
    what came back once it is all there (it never sees an end of input, so it
    is killed then)."""
    p = subprocess.Popen([str(BUILD / vmm), "exec", "--virtio-console", str(prog), *args],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    def feed():
        try:
            p.stdin.write(data)
            p.stdin.close()
        except OSError:
            pass  # killed before it took everything: the assertions say so

    # A thread feeds while we read: both pipes hold only 64 KiB, and a VMM
    # blocked writing our unread output would stop reading its input.
    writer = threading.Thread(target=feed)
    writer.start()
    try:
        got = b""
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        end = time.monotonic() + timeout
        while len(got) < len(data) and time.monotonic() < end:
            if sel.select(timeout=0.5):
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                got += chunk
        return got, p.poll()
    finally:
        p.kill()
        p.wait()
        writer.join()


@pytest.mark.parametrize("vmm", VMMS)
def test_cat_echoes_input(vmm):
    got, status = cat_through(vmm, b"abc\ndef\n")
    assert got == b"abc\ndef\n"
    assert status is None  # still waiting for input: the host has no way to say EOF


@pytest.mark.parametrize("vmm", VMMS)
def test_cat_large_input(vmm):
    """256 KiB each way: many receive and transmit buffers, in order."""
    data = b"".join(b"line %06d %s\n" % (i, b"x" * (i % 50)) for i in range(8000))
    got, _ = cat_through(vmm, data)
    assert len(got) == len(data) and got == data


@pytest.mark.parametrize("vmm", VMMS)
def test_slow_reader_loses_nothing(vmm):
    """A reader that starts late and takes 100 bytes a read: input waits in
    the virtio buffers (and the host's pipe) until there is room, and none is
    dropped when ringos's tty queue is full (it was, 1 run in ~12 of
    test_cat_large_input, whenever cat fell behind)."""
    data = b"".join(b"line %06d %s\n" % (i, b"y" * (i % 37)) for i in range(2000))
    got, _ = cat_through(vmm, data, prog=BUILD / "progs" / "slowcat", args=("300", "100"))
    assert len(got) == len(data) and got == data


@pytest.mark.parametrize("vmm", VMMS)
def test_slow_reader_without_virtio_console(vmm):
    """The same tty flow control on the default input path (rv_in_ring),
    which has an end of input: slowcat ends there with every byte out."""
    data = b"".join(b"line %06d %s\n" % (i, b"z" * (i % 41)) for i in range(4000))
    r = subprocess.run([str(BUILD / vmm), "exec", str(BUILD / "progs" / "slowcat"), "300", "100"],
                       input=data, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert len(r.stdout) == len(data) and r.stdout == data
