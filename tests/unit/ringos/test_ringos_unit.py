# SPDX-License-Identifier: MIT
"""Runs the ringos host unit tests (build/tests/ringos-unit-tests)."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
BUILD = pathlib.Path(os.environ.get("RINGVISOR_BUILD", REPO / "build"))
BIN = BUILD / "tests" / "ringos-unit-tests"


def test_ringos_unit():
    if not BIN.exists():
        pytest.skip(f"{BIN} not built (make -f tests/unit/ringos/ringos_unit.mk ...)")
    r = subprocess.run([str(BIN)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1].endswith(" 0 failed"), r.stdout
