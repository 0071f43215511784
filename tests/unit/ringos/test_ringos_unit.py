# SPDX-License-Identifier: MIT
"""Runs the ringos host unit tests (build/tests/ringos-unit-tests, plain and
ASan+UBSan) and checks that the syscall argument table lists every system
call ringos's dispatcher handles."""
import os
import pathlib
import re
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
BUILD = pathlib.Path(os.environ.get("RINGVISOR_BUILD", REPO / "build"))
BIN = BUILD / "tests" / "ringos-unit-tests"
ASAN_BIN = BUILD / "asan" / "tests" / "ringos-unit-tests"


@pytest.mark.parametrize("binary", [BIN, ASAN_BIN], ids=["plain", "asan"])
def test_ringos_unit(binary):
    if not binary.exists():
        pytest.skip(f"{binary} not built (make test builds it)")
    r = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1].endswith(" 0 failed"), r.stdout


def dispatched_syscalls():
    """The numbers of every `case N:` in syscall_dispatch()."""
    src = (REPO / "ringos" / "kernel" / "syscall.c").read_text()
    body = src[src.index("long syscall_dispatch("):]
    body = body[:body.index("\n}\n")]
    return {int(n) for n in re.findall(r"case (\d+):", body)}


def test_every_syscall_has_argument_descriptors():
    """A system call added to the dispatcher without a sysargs.c entry would
    get no pointer checks: refuse it."""
    if not BIN.exists():
        pytest.skip(f"{BIN} not built (make test builds it)")
    r = subprocess.run([str(BIN), "--list-syscalls"], capture_output=True, text=True,
                       timeout=60, check=True)
    listed = {int(line.split()[0]) for line in r.stdout.splitlines()}
    missing = dispatched_syscalls() - listed
    assert not missing, f"syscalls without a sysargs.c entry: {sorted(missing)}"


def test_fuzz_sysargs_short_run(tmp_path):
    exe = BUILD / "fuzz" / "fuzz_sysargs"
    if not exe.exists():
        pytest.skip(f"{exe} not built (make fuzz-build builds it)")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    p = subprocess.run([str(exe), "-max_total_time=10", f"-artifact_prefix={tmp_path}/",
                        str(corpus)], capture_output=True, text=True, timeout=130)
    crashes = sorted(x.name for x in tmp_path.iterdir() if x.is_file())
    assert p.returncode == 0 and not crashes, f"exit {p.returncode}, {crashes}:\n{p.stderr[-4000:]}"
