# SPDX-License-Identifier: MIT
"""Shared fixtures: where the build is, whether /dev/kvm can be used, and a
helper that runs ringvisor with a timeout."""
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(os.environ.get("RINGVISOR_BUILD", ROOT / "build"))


def kvm_unusable():
    """Why VM tests cannot run here, or None when /dev/kvm works."""
    if not os.path.exists("/dev/kvm"):
        return "/dev/kvm does not exist on this machine"
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError as e:
        return f"/dev/kvm cannot be opened: {e.strerror}"
    os.close(fd)
    return None


KVM_REASON = kvm_unusable()
needs_kvm = pytest.mark.skipif(KVM_REASON is not None, reason=KVM_REASON or "")
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                                reason="qemu-system-x86_64 is not installed")


@pytest.fixture(scope="session")
def build():
    return BUILD


@pytest.fixture(scope="session")
def ringvisor():
    path = BUILD / "ringvisor"
    if not path.exists():
        pytest.fail(f"{path} is missing: run make first")
    return str(path)


@pytest.fixture(scope="session")
def ringos():
    return str(BUILD / "ringos.elf")


def run(cmd, timeout=60, **kw):
    """Run (cmd) and return the CompletedProcess with text output."""
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kw)
