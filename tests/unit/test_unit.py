# SPDX-License-Identifier: MIT
# Runs the host-only unit-test binaries (plain and ASan+UBSan) and, when they
# have been built (`make fuzz-build`), each libFuzzer target for a few seconds.
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("RINGVISOR_BUILD", REPO / "build"))
if not BUILD.is_absolute():
    BUILD = REPO / BUILD
FUZZ_NAMES = ["fuzz_elf", "fuzz_hcall", "fuzz_reqring", "fuzz_parse", "fuzz_api"]
FUZZ_SECONDS = 10


@pytest.mark.parametrize("variant", ["tests/unit-tests", "asan/tests/unit-tests"])
def test_unit_binary(variant):
    exe = BUILD / variant
    if not exe.exists():
        pytest.skip(f"{exe} not built (make unit builds it)")
    p = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    lines = p.stdout.strip().splitlines()
    failures = [l for l in lines if l.startswith("FAIL ")]
    assert p.returncode == 0, f"exit {p.returncode}:\n" + "\n".join(failures) + p.stderr[-4000:]
    assert lines and lines[-1].endswith(" 0 failed"), p.stdout[-4000:]
    assert not failures


@pytest.mark.parametrize("name", FUZZ_NAMES)
def test_fuzzer_short_run(name, tmp_path):
    exe = BUILD / "fuzz" / name
    if not exe.exists():
        pytest.skip(f"{exe} not built (make fuzz-build builds it)")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    dirs = [str(corpus)]
    seeds = BUILD / "fuzz" / "seeds" / name
    if seeds.is_dir():
        dirs.append(str(seeds))
    p = subprocess.run([str(exe), f"-max_total_time={FUZZ_SECONDS}",
                        f"-artifact_prefix={tmp_path}/", *dirs],
                       capture_output=True, text=True, timeout=FUZZ_SECONDS + 120)
    crashes = sorted(x.name for x in tmp_path.iterdir() if x.is_file())
    assert p.returncode == 0 and not crashes, \
        f"{name} exit {p.returncode}, artifacts {crashes}:\n{p.stderr[-4000:]}"
