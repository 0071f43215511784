# SPDX-License-Identifier: MIT
"""The same ringos image boots under QEMU through its PVH entry: microvm
with TCG (the ordinary ring-0 path) and with KVM (the kvm_pvm path)."""
import pytest

from conftest import KVM_REASON, needs_qemu, run

pytestmark = needs_qemu


def qemu(ringos, accel, cmdline):
    return run(["qemu-system-x86_64", "-M", "microvm", "-accel", accel, "-m", "128M",
                "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                "-serial", "stdio", "-kernel", ringos, "-append", cmdline,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"], timeout=120)


@pytest.mark.parametrize("accel", ["tcg", "kvm"])
def test_qemu_microvm_boot(ringos, accel):
    if accel == "kvm" and KVM_REASON:
        pytest.skip(KVM_REASON)
    r = qemu(ringos, accel, "test=boot")
    # isa-debug-exit turns the guest's status s into (s << 1) | 1.
    assert r.returncode == 1, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


@pytest.mark.parametrize("accel", ["tcg", "kvm"])
def test_qemu_microvm_demo(ringos, accel):
    if accel == "kvm" and KVM_REASON:
        pytest.skip(KVM_REASON)
    r = qemu(ringos, accel, "")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "ringos: " in r.stdout
    assert ("kvm_pvm" if accel == "kvm" else "tcg") in r.stdout.lower()
