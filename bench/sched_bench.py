# SPDX-License-Identifier: MIT
# Issue 6 of bench.py: the host scheduler.  N CPU-bound ringos VMs (spin) and
# one interactive VM (wakelat: sleeps 1 ms, measures how late it wakes) on 1
# or 2 host CPUs (taskset), under ringvisor's credit policy, its SEDF policy,
# and the host's own scheduler (the same VMs, no board).  Per VM CPU time is
# read from the host (/proc/PID/task/*/schedstat, nanoseconds) over a
# measuring window after a warm-up.
"""Issue-6 scheduler benchmark: allocation error, Jain's index, wake-up latency."""

import glob
import os
import re
import statistics
import subprocess
import tempfile
import time

VARIANTS = ["sched"]
ROWS = {"issue6": VARIANTS, "sched": VARIANTS, "6": VARIANTS}
CONFIGS = [(3, 1), (8, 1), (3, 2), (8, 2)]  # (CPU-bound VMs, host CPUs)
POLICIES = ["credit", "sedf", "host"]
WARM_S = 1.5
MEASURE_S = 5.0
SEDF_PERIOD_MS = 100
# SEDF: the CPU-bound VMs share 60 % of the CPUs as guarantees, with extra
# time; the interactive VM has 2 ms in every 10 ms of its own.  (Global EDF
# meets every deadline on m CPUs only while the total utilisation stays
# below m - (m - 1) * the largest one: 3 VMs holding 56 % each of 2 CPUs
# lose deadlines, as measured, however they are scheduled on line.)
SEDF_RESERVED = 0.60
INTERACTIVE_SEDF = ["--slice", "2", "--period", "10"]
MAX_RUNS = 3


def cpu_ns(pid):
    total = 0
    for f in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(f) as fh:
                total += int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def jain(xs):
    s = sum(xs)
    q = sum(x * x for x in xs)
    return s * s / (len(xs) * q) if q else 0.0


def one(b, n, pcpus, policy, board_dir):
    """One configuration, once: returns a dict of measurements or an error."""
    cpus = "0" if pcpus == 1 else "0,1"
    board = os.path.join(board_dir, f"board-{policy}-{n}-{pcpus}-{time.monotonic_ns()}")
    total_s = WARM_S + MEASURE_S + 1.0
    base = ["taskset", "-c", cpus, os.path.join(b, "ringvisor"), "exec", "--mem", "32M"]

    def vm(extra, prog):
        sched = [] if policy == "host" else ["--sched-board", board, "--sched-policy", policy]
        return base + sched + (extra if policy != "host" else []) + prog

    spin_extra = []
    if policy == "sedf":
        slice_ms = max(1, int(SEDF_RESERVED * pcpus * SEDF_PERIOD_MS / n))
        spin_extra = ["--slice", str(slice_ms), "--period", str(SEDF_PERIOD_MS), "--extra"]
    spin = [os.path.join(b, "progs", "spin"), str(total_s + 1)]
    lat = [os.path.join(b, "progs", "wakelat"), "100000", str(total_s)]
    procs = []
    try:
        for _ in range(n):
            procs.append(subprocess.Popen(vm(spin_extra, spin), stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE))
        inter = subprocess.Popen(vm(INTERACTIVE_SEDF if policy == "sedf" else [], lat),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(WARM_S)
        t0 = time.monotonic_ns()
        c0 = [cpu_ns(p.pid) for p in procs + [inter]]
        time.sleep(MEASURE_S)
        t1 = time.monotonic_ns()
        c1 = [cpu_ns(p.pid) for p in procs + [inter]]
        out, err = inter.communicate(timeout=total_s + 30)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "the interactive VM did not finish"}
    finally:
        for p in procs:
            try:
                p.wait(timeout=total_s + 30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    m = re.search(rb"p50=(\d+) p99=(\d+) max=(\d+)", out)
    if inter.returncode != 0 or not m:
        return {"ok": False, "error": f"interactive VM: status {inter.returncode}: "
                                      f"{err.decode(errors='replace')[-200:]}"}
    dt = t1 - t0
    shares = [(c1[i] - c0[i]) / dt for i in range(n)]
    inter_share = (c1[n] - c0[n]) / dt
    mean = sum(shares) / n
    # Equal weights (or equal guarantees): each is owed an equal part of what
    # the CPU-bound VMs received together.
    errors = [abs(s - mean) / mean for s in shares] if mean else [1.0]
    return {"ok": True, "shares": shares, "interactive_share": inter_share,
            "max_error": max(errors), "jain": jain(shares),
            "used": sum(shares) + inter_share,
            "p50_us": int(m.group(1)), "p99_us": int(m.group(2)), "max_us": int(m.group(3))}


def run(b, runs, log=None):
    runs = max(1, min(runs, MAX_RUNS))
    res = {"runs": runs, "cells": {}, "commands": {}}
    with tempfile.TemporaryDirectory(prefix="rv-sched-bench-") as d:
        for r in range(runs):
            for n, pcpus in CONFIGS:
                for policy in POLICIES:
                    key = f"{n}x{pcpus}:{policy}"
                    if log:
                        log(f"sched {r + 1}/{runs}: {key}")
                    cell = res["cells"].setdefault(key, {"n": n, "pcpus": pcpus,
                                                         "policy": policy, "samples": []})
                    cell["samples"].append(one(b, n, pcpus, policy, d))
    res["commands"] = {
        "cpu-bound VM": "taskset -c CPUS ringvisor exec --mem 32M [--sched-board B "
                        "--sched-policy P [SEDF: --slice S --period 100 --extra]] "
                        "build/progs/spin SECONDS",
        "interactive VM": "taskset -c CPUS ringvisor exec --mem 32M [...] "
                          "build/progs/wakelat 100000 SECONDS",
    }
    for cell in res["cells"].values():
        ok = [s for s in cell["samples"] if s.get("ok")]
        cell["n_ok"] = len(ok)
        for k in ("max_error", "jain", "used", "p50_us", "p99_us", "max_us",
                  "interactive_share"):
            cell[k] = statistics.median(s[k] for s in ok) if ok else None
        cell["errors"] = [s["error"] for s in cell["samples"] if not s.get("ok")]
    return res


def _f(x, fmt):
    return "n/a" if x is None else fmt.format(x)


def render(res, table, md):
    rows = []
    for n, pcpus in CONFIGS:
        for policy in POLICIES:
            c = res["cells"].get(f"{n}x{pcpus}:{policy}")
            if not c:
                continue
            name = {"credit": "ringvisor credit", "sedf": "ringvisor SEDF",
                    "host": "host scheduler (no policy)"}[policy]
            rows.append([f"{n} VMs on {pcpus} CPU{'s' if pcpus > 1 else ''}", name,
                         _f(c["max_error"] and c["max_error"] * 100, "{:.2f} %"),
                         _f(c["jain"], "{:.4f}"),
                         _f(c["used"], "{:.3f}"),
                         _f(c["p50_us"], "{:.0f} us"), _f(c["p99_us"], "{:.0f} us"),
                         f"{c['n_ok']}/{len(c['samples'])}"])
    header = ["CPU-bound VMs", "scheduler", "worst allocation error", "Jain's index",
              "CPUs used by VMs", "wake-up late p50", "wake-up late p99", "runs ok"]
    lines = [table(header, rows)]
    lines += ["",
              f"Medians of {res['runs']} runs; each run measures {MEASURE_S:.0f} s after a "
              f"{WARM_S} s warm-up. Allocation error: the largest |share - owed| / owed among "
              "the CPU-bound VMs, where equal weights (or equal SEDF guarantees, "
              f"{SEDF_RESERVED:.0%} of the CPUs among them, with extra time) owe each an equal "
              "part of what they received together. The interactive VM sleeps 1 ms in a loop "
              "and reports how late it woke (under SEDF it holds 2 ms in every 10 ms). "
              "Targets: error < 1 %, Jain > 0.99, p99 < 2 ms."]
    for key, c in res["cells"].items():
        for e in c["errors"][:1]:
            lines.append(f"{'- ' if md else ''}{key}: {e}")
    return lines


def _text_table(header, rows):
    w = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r))
                     for r in [header] + rows)


if __name__ == "__main__":
    import sys
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    nruns = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    print("\n".join(render(run(build, nruns, lambda m: print(m, file=sys.stderr)),
                           _text_table, md=False)))
