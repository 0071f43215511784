# SPDX-License-Identifier: MIT
"""Booting ringos under ringvisor: the demo, the Solo5-style guest tests
(each prints SUCCESS or must fail in a given way), signals, and sizes."""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import BUILD, needs_kvm, run

pytestmark = needs_kvm

# The VM tests also run under the ASan+UBSan build of ringvisor.
VMMS = ["ringvisor", "asan/ringvisor"]


@pytest.fixture(params=VMMS)
def vmm(request):
    path = BUILD / request.param
    if not path.exists():
        pytest.skip(f"{path} not built")
    return str(path)


def guest(vmm, cmdline, *extra, timeout=60):
    return run([vmm, "run", "--cmdline", cmdline, *extra], timeout=timeout)


def test_demo(vmm):
    r = run([vmm, "run", "--cmdline", "demo"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ringos: ")
    for word in ("kvm_pvm", "memory", "CPU"):
        assert word.lower() in r.stdout.lower(), r.stdout


def test_explicit_kernel(vmm, ringos):
    r = run([vmm, "run", "--kernel", ringos, "--cmdline", "test=boot"])
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr


def test_verbose_reports_host_kind(vmm):
    r = run([vmm, "run", "-v", "--cmdline", "test=boot"])
    assert r.returncode == 0
    assert re.search(r"ringvisor: host: (kvm_pvm|hardware-virtualization)", r.stderr), r.stderr


def test_boot(vmm):
    r = guest(vmm, "test=boot")
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr


def test_timer_rate(vmm):
    r = guest(vmm, "test=timer")
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr


def test_multicall(vmm):
    r = guest(vmm, "test=multicall")
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr


def test_bad_hypercalls(vmm):
    # Every bad argument block gets an error code; the guest goes on and the
    # host survives (under ASan too).
    r = guest(vmm, "test=badhcall")
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    assert "FAIL" not in r.stdout
    assert "guest error" in r.stderr


def test_triple_fault(vmm):
    r = guest(vmm, "test=triplefault")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "triple fault" in r.stderr
    assert "rip " in r.stderr and "cr3 " in r.stderr


def test_kernel_fault_dumps_registers(vmm):
    r = guest(vmm, "test=fault")
    assert r.returncode == 125, r.stdout + r.stderr
    assert re.search(r"(?i)rip", r.stdout), r.stdout


def test_unknown_test_name(vmm):
    r = guest(vmm, "test=nosuchtest")
    assert r.returncode == 125 and "unknown test" in r.stdout


@pytest.mark.parametrize("cpus", ["2", "4"])
def test_several_vcpus(vmm, cpus):
    r = guest(vmm, "test=boot", "--cpus", cpus)
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("mem", ["8M", "1G", "4G"])
def test_memory_sizes(vmm, mem):
    # 4G puts RAM on both sides of the 3-4 GiB hole.
    r = guest(vmm, "test=boot", "--mem", mem)
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr


def test_idle_guest_costs_no_cpu(ringvisor):
    """test=idle halts for ~2 s: the VM process must use < 2 % of a CPU."""
    start = time.monotonic()
    p = subprocess.Popen([ringvisor, "run", "--cmdline", "test=idle"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    out = p.stdout.read().decode()
    p.stdout.close()
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    assert p.returncode == 0 and "SUCCESS" in out, out
    assert wall >= 1.9
    cpu = ru.ru_utime + ru.ru_stime
    assert cpu / wall < 0.02, f"{cpu:.3f} s of CPU in {wall:.2f} s"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_vm(ringvisor, sig):
    p = subprocess.Popen([ringvisor, "run", "--cmdline", "test=idle"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    p.send_signal(sig)
    try:
        p.wait(timeout=5)
    finally:
        p.kill()
        p.communicate()
    assert p.returncode == 128 + sig


def test_guest_output_before_poweroff_is_not_lost(vmm):
    # Everything queued on the request ring is flushed before exit.
    r = run([vmm, "run", "--cmdline", "demo"])
    assert r.returncode == 0
    assert r.stdout.endswith("\n") and len(r.stdout.splitlines()) >= 4
