#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Boot-time, CPU and memory benchmark of ringvisor+ringos against the KVM floor,
# QEMU microvm and native code (issue 2), and `ringvisor exec` and system calls
# against the bare-VM floor, the host, QEMU+Linux and kvm_pvm's own floor
# (issue 3, bench/exec_bench.py), disk I/O (issue 4, bench/disk_bench.py) and
# the control daemon's create latency and VM capacity (issue 5,
# bench/serve_bench.py).  Python 3 stdlib only; see bench/README.md.
"""Benchmark ringvisor+ringos boot time, CPU speed, memory, exec and system
calls against floors, QEMU and native code (medians of interleaved runs)."""

import argparse
import datetime
import json
import os
import platform
import re
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time

import disk_bench
import exec_bench
import sched_bench
import serve_bench
# ---- Every command line the benchmark runs is built here ------------------

QEMU = "qemu-system-x86_64"
# The ringos engineer may need more (e.g. "-M microvm,x-option-roms=off" or
# "-serial stdio"): edit this list, or pass --qemu-args at run time.
QEMU_ARGS = [
    "-M", "microvm",
    "-m", "64M",
    "-nographic",
    "-no-reboot",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
]
# isa-debug-exit makes QEMU exit with (value << 1) | 1; ringos writes 0.
QEMU_OK_STATUS = 1

CPULOOP_ITERATIONS = 300000000
RSS_GUEST_MEM = "64M"
RSS_GUEST_MEM_KIB = 64 * 1024
GNU_TIME = "/usr/bin/time"

FIRST_LINE_PREFIX = "ringos: "
CPULOOP_RE = re.compile(r"cpuloop: (\d+) iterations in (\d+) ns")
# QEMU -nographic may emit terminal escapes before the guest's first byte.
ANSI_RE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|[@-Z\\-_])")


def build_commands(args):
    """Map each variant name to the argv that runs it."""
    b = args.build
    # The kernel's own demo: plain `run` now boots the rsh demo archive.
    rv = [os.path.join(b, "ringvisor"), "run", "--cmdline", "demo"]
    if args.kernel:
        rv += ["--kernel", args.kernel]
    kernel = args.kernel or os.path.join(b, "ringos.elf")
    qemu = [QEMU] + QEMU_ARGS + shlex.split(args.qemu_args) + ["-kernel", kernel]
    cmds = {
        "rv_boot": rv,
        "floor": [os.path.join(b, "bench", "kvm-floor")],
        "qemu_kvm": qemu[:1] + ["-accel", "kvm"] + qemu[1:],
        "qemu_tcg": qemu[:1] + ["-accel", "tcg"] + qemu[1:],
        "rv_cpuloop": rv + ["--cmdline", "bench=cpuloop"],
        "native_cpuloop": [os.path.join(b, "bench", "cpuloop")],
        "rv_rss": rv + ["--mem", RSS_GUEST_MEM],
    }
    cmds.update(exec_bench.commands(b, ["--kernel", args.kernel] if args.kernel else []))
    return cmds


# Which variants each --only row selects.
ROWS = {
    "boot": ["rv_boot"], "1": ["rv_boot"],
    "floor": ["floor"], "2": ["floor"],
    "qemu": ["qemu_kvm", "qemu_tcg"], "3": ["qemu_kvm", "qemu_tcg"],
    "qemu-kvm": ["qemu_kvm"], "qemu-tcg": ["qemu_tcg"],
    "cpuloop": ["rv_cpuloop", "native_cpuloop"], "4": ["rv_cpuloop", "native_cpuloop"],
    "rss": ["rv_rss"],
}
ISSUE2_VARIANTS = ["rv_boot", "floor", "qemu_kvm", "qemu_tcg",
                   "rv_cpuloop", "native_cpuloop", "rv_rss"]
ROWS["issue2"] = ISSUE2_VARIANTS
ROWS.update(exec_bench.ROWS)
ROWS.update(disk_bench.ROWS)
ROWS.update(serve_bench.ROWS)
ROWS.update(sched_bench.ROWS)
VARIANT_ORDER = ISSUE2_VARIANTS + exec_bench.VARIANTS + disk_bench.VARIANTS \
    + serve_bench.VARIANTS + sched_bench.VARIANTS


# ---- Running one process ----------------------------------------------------

SMAPS_HEAD_RE = re.compile(r"^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$")


def guest_rss_kib(pid, min_size_kib):
    """(resident KiB, name) of the guest RAM mapping of (pid): the writable
    mappings of at least (min_size_kib), memfd-backed ones preferred (what
    ringvisor uses).  (None, None) if /proc shows none."""
    try:
        with open(f"/proc/{pid}/smaps") as f:
            text = f.read()
    except OSError:
        return None, None
    maps, cur = [], None
    for line in text.splitlines():
        m = SMAPS_HEAD_RE.match(line)
        if m:
            cur = {"perms": m.group(1), "name": m.group(2), "size": 0, "rss": 0}
            maps.append(cur)
        elif cur and line.startswith("Size:"):
            cur["size"] = int(line.split()[1])
        elif cur and line.startswith("Rss:"):
            cur["rss"] = int(line.split()[1])
    big = [m for m in maps if m["size"] >= min_size_kib and "w" in m["perms"]]
    memfd = [m for m in big if "memfd:" in m["name"]]
    pick = memfd or big
    if not pick:
        return None, None
    return sum(m["rss"] for m in pick), ", ".join(sorted({m["name"] or "[anon]" for m in pick}))


def proc_status_kib(pid, field):
    """(field) of /proc/(pid)/status in KiB ("VmRSS", "VmHWM"), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def only_child(pid):
    """The single child of (pid), or None (used to see through GNU time)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
    except OSError:
        return None
    return int(kids[0]) if len(kids) == 1 else None


def run_once(argv, timeout, sample_guest_kib=None):
    """Spawn (argv) with stdout/stderr on pipes and stdin on /dev/null, and
    time it.  Returns a dict with first_line_s (first line starting with
    FIRST_LINE_PREFIX), exit_s, status, maxrss_kib, the output, and, with
    (sample_guest_kib), /proc samples of the guest RAM mapping.

    Linux charges a child's ru_maxrss with the RSS high-water mark of the
    mm it had before exec, i.e. ours: so ru_maxrss is exact only when it
    exceeds our own VmHWM (maxrss_exact).  With (sample_guest_kib) the run
    goes through GNU time, whose small footprint is what gets charged, and
    peak_kib is the measured process's own peak."""
    res = {"argv": argv, "first_line_s": None, "exit_s": None, "status": None,
           "maxrss_kib": None, "error": None}
    time_out = None
    if sample_guest_kib and os.access(GNU_TIME, os.X_OK):
        time_out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bench-rss-{os.getpid()}")
        argv = [GNU_TIME, "-f", "%M", "-o", time_out, "--"] + argv
        res["argv"] = argv
    res["parent_hwm_kib"] = proc_status_kib("self", "VmHWM")
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, out_w, 1),
        (os.POSIX_SPAWN_DUP2, err_w, 2),
    ]
    t0 = time.perf_counter()
    try:
        # posix_spawnp, not a shell: wait4 must see the measured process.
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    except OSError as e:
        for fd in (out_r, out_w, err_r, err_w):
            os.close(fd)
        res["error"] = f"cannot start {argv[0]}: {e.strerror}"
        return res
    os.close(out_w)
    os.close(err_w)

    out, err = bytearray(), bytearray()
    open_fds = {out_r: out, err_r: err}
    line_start = 0
    deadline = t0 + timeout
    guest_max, other_max, hwm_max = None, None, None
    target = None if time_out else pid
    timed_out = False
    try:
        while open_fds:
            left = deadline - time.perf_counter()
            if left <= 0:
                timed_out = True
                for p in {pid, target} - {None}:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                break
            # Poll /proc as fast as it reads (RSS runs are not timed) so the last
            # sample lands close to exit; otherwise block on the pipes.
            tick = 0 if sample_guest_kib else left
            ready, _, _ = select.select(list(open_fds), [], [], tick)
            now = time.perf_counter()
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    os.close(fd)
                    del open_fds[fd]
                    continue
                buf = open_fds[fd]
                buf += chunk
                if fd != out_r or res["first_line_s"] is not None:
                    continue
                # Stamp the read that completed the first "ringos: " line.
                while True:
                    nl = buf.find(b"\n", line_start)
                    if nl < 0:
                        break
                    line = ANSI_RE.sub("", buf[line_start:nl].decode("utf-8", "replace"))
                    line_start = nl + 1
                    if line.lstrip("\r\x00").startswith(FIRST_LINE_PREFIX):
                        res["first_line_s"] = now - t0
                        break
            if sample_guest_kib:
                if target is None:
                    target = only_child(pid)
                g, gname = guest_rss_kib(target, sample_guest_kib) if target else (None, None)
                if gname:
                    res["guest_mapping"] = gname
                v = proc_status_kib(target, "VmRSS") if target else None
                h = proc_status_kib(target, "VmHWM") if target else None
                if h is not None:
                    hwm_max = h if hwm_max is None else max(hwm_max, h)
                if g is not None and v is not None:
                    res["proc_samples"] = res.get("proc_samples", 0) + 1
                    guest_max = g if guest_max is None else max(guest_max, g)
                    other_max = v - g if other_max is None else max(other_max, v - g)
    except BaseException:
        # Ctrl-C or a bug here must not leave a VM running behind us.
        for p in {pid, target} - {None}:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(pid, 0)
        raise
    for fd in open_fds:
        os.close(fd)
    _, wstatus, rusage = os.wait4(pid, 0)
    res["exit_s"] = time.perf_counter() - t0
    res["maxrss_kib"] = rusage.ru_maxrss  # KiB on Linux
    res["maxrss_exact"] = res["parent_hwm_kib"] is not None and \
        rusage.ru_maxrss > res["parent_hwm_kib"]
    if os.WIFEXITED(wstatus):
        res["status"] = os.WEXITSTATUS(wstatus)
    else:
        res["status"] = -os.WTERMSIG(wstatus)
    res["stdout"] = out.decode("utf-8", "replace")[-4000:]
    res["stderr"] = err.decode("utf-8", "replace")[-4000:]
    if timed_out:
        res["error"] = f"timed out after {timeout:g} s"
    if sample_guest_kib:
        res["guest_rss_kib"] = guest_max
        res["sampled_other_max_kib"] = other_max
        res["sampled_hwm_kib"] = hwm_max
        res["peak_kib"] = res["maxrss_kib"] if res["maxrss_exact"] else None
        if time_out:
            try:
                with open(time_out) as f:
                    # GNU time prints "Command exited with non-zero status" first.
                    res["peak_kib"] = int(f.read().split()[-1])
                os.unlink(time_out)
            except (OSError, ValueError, IndexError):
                pass
        if res["peak_kib"] is None:
            res["peak_kib"] = hwm_max  # a lower bound: sampled, not exact
            res["peak_from"] = "sampled VmHWM"
        else:
            res["peak_from"] = "GNU time %M" if time_out else "ru_maxrss"
    return res


def tail(text, n=1):
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    return " | ".join(lines[-n:])[:160]


def judge(variant, r):
    """Fill r["ok"] and r["error"] for one run of (variant)."""
    if r["error"] is None:
        if variant.startswith("qemu"):
            if r["status"] != QEMU_OK_STATUS:
                r["error"] = f"exit status {r['status']} (want {QEMU_OK_STATUS})"
        elif r["status"] != 0:
            r["error"] = f"exit status {r['status']}"
    if r["error"] is None and variant in ("rv_boot", "qemu_kvm", "qemu_tcg", "rv_rss") \
            and r["first_line_s"] is None:
        r["error"] = f"no line starting {FIRST_LINE_PREFIX!r} on stdout"
    if r["error"] is None and variant in ("rv_cpuloop", "native_cpuloop"):
        m = CPULOOP_RE.search(r["stdout"])
        if not m:
            r["error"] = "no 'cpuloop: N iterations in T ns' line"
        elif int(m.group(1)) != CPULOOP_ITERATIONS:
            r["error"] = f"ran {m.group(1)} iterations, want {CPULOOP_ITERATIONS}"
        else:
            r["cpuloop_ns"] = int(m.group(2))
            # A guest clock that runs slow would flatter ringvisor.
            if r["cpuloop_ns"] > r["exit_s"] * 1e9:
                r["error"] = (f"reported {r['cpuloop_ns']} ns > process wall time "
                              f"{r['exit_s'] * 1e9:.0f} ns: clock broken")
    if r["error"] and r.get("stderr"):
        r["error"] += f"; stderr: {tail(r['stderr'])}"
    r["ok"] = r["error"] is None


# ---- Reporting ----------------------------------------------------------------

def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    rev = sh(["git", "rev-parse", "--short", "HEAD"]) or "no commit"
    if sh(["git", "status", "--porcelain", "--untracked-files=no"]):
        rev += "-dirty"
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "kernel": platform.release(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": rev,
        "loadavg_at_start": os.getloadavg()[0],
        "qemu": sh([QEMU, "--version"]).splitlines()[0] if sh([QEMU, "--version"]) else "not found",
    }


def med(xs):
    return statistics.median(xs) if xs else None


def summarise(samples, runs_wanted):
    """Per-variant medians over the successful runs, or the failure reason."""
    s = {}
    for v, rs in samples.items():
        ok = [r for r in rs if r["ok"]]
        e = {"n_ok": len(ok), "n": len(rs), "wanted": runs_wanted}
        if not ok:
            e["na"] = rs[-1]["error"] if rs else "not run"
        else:
            fl = [r["first_line_s"] for r in ok if r["first_line_s"] is not None]
            e["first_ms"] = med([x * 1e3 for x in fl])
            e["exit_ms"] = med([r["exit_s"] * 1e3 for r in ok])
            e["exit_min_ms"] = min(r["exit_s"] * 1e3 for r in ok)
            e["exit_max_ms"] = max(r["exit_s"] * 1e3 for r in ok)
            e["rss_kib"] = max(r["maxrss_kib"] for r in ok)
            e["rss_exact"] = all(r["maxrss_exact"] for r in ok)
            e["parent_hwm_kib"] = max(r["parent_hwm_kib"] or 0 for r in ok)
            if "cpuloop_ns" in ok[0]:
                e["cpuloop_ns"] = med([r["cpuloop_ns"] for r in ok])
            if v == "rv_rss":
                pk = [r for r in ok if r.get("peak_kib") is not None]
                if pk:
                    e["peak_kib"] = med([r["peak_kib"] for r in pk])
                    e["peak_from"] = pk[0]["peak_from"]
                g = [r for r in pk if r.get("guest_rss_kib") is not None]
                if g:
                    # peak - guest is a lower bound of the non-guest peak (guest
                    # RAM only grows) and so is the sampled maximum of
                    # VmRSS - guest; take the larger of the two.
                    e["guest_rss_kib"] = med([r["guest_rss_kib"] for r in g])
                    e["guest_mapping"] = g[0].get("guest_mapping", "?")
                    e["beyond_kib"] = med([max(r["peak_kib"] - r["guest_rss_kib"],
                                               r["sampled_other_max_kib"] or 0) for r in g])
            failed = [r for r in rs if not r["ok"]]
            if failed:
                e["fail_note"] = f"{len(failed)} failed: {failed[-1]['error']}"
        s[v] = e
    return s


def fmt_ms(x):
    return "-" if x is None else f"{x:.1f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}x"


def build_report(s):
    """Return (table rows, target rows, notes) as plain data for both outputs."""
    floor = s.get("floor", {}).get("exit_ms")
    rows, masked = [], None
    labels = {
        "rv_boot": "(1) ringvisor run",
        "floor": "(2) kvm-floor",
        "qemu_kvm": "(3) QEMU microvm, KVM",
        "qemu_tcg": "(3) QEMU microvm, TCG",
    }
    for v in ["rv_boot", "floor", "qemu_kvm", "qemu_tcg"]:
        if v not in s:
            continue
        e = s[v]
        if "na" in e:
            rows.append([labels[v], "n/a", "n/a", "", "", f"0/{e['n']}", e["na"]])
            continue
        rss = str(e["rss_kib"])
        if not e["rss_exact"]:
            rss = f"<={rss}*"
            masked = e["parent_hwm_kib"]
        rows.append([labels[v], fmt_ms(e["first_ms"]),
                     f"{fmt_ms(e['exit_ms'])} [{e['exit_min_ms']:.1f}-{e['exit_max_ms']:.1f}]",
                     fmt_ratio(ratio(e["exit_ms"], floor)), rss,
                     f"{e['n_ok']}/{e['n']}", e.get("fail_note", "")])

    cpu_rows, targets, notes = [], [], []
    if masked:
        notes.append(f"* ru_maxrss includes the pre-exec RSS of the spawning bench.py "
                     f"({masked} KiB): the process's own peak is at most this; "
                     f"ringvisor's real peak is in the memory line.")
    g, n = s.get("rv_cpuloop"), s.get("native_cpuloop")
    speed = None
    for v, label in (("rv_cpuloop", "(4) cpuloop in ringos"), ("native_cpuloop", "(4) cpuloop native")):
        if v not in s:
            continue
        e = s[v]
        if "na" in e:
            cpu_rows.append([label, "n/a", "n/a", f"0/{e['n']}", e["na"]])
        else:
            cpu_rows.append([label, f"{e['cpuloop_ns'] / 1e6:.1f}", f"{e['exit_ms']:.1f}",
                             f"{e['n_ok']}/{e['n']}", e.get("fail_note", "")])
    if g and n and "na" not in g and "na" not in n:
        speed = n["cpuloop_ns"] / g["cpuloop_ns"]
        if g.get("paired_speed"):
            notes.append(f"cpuloop: median of per-round native/guest ratios "
                         f"{g['paired_speed']:.3f} (runs in one round see the same load).")

    rss = s.get("rv_rss")
    rss_line = None
    if rss:
        if "na" in rss:
            rss_line = f"n/a ({rss['na']})"
        elif "beyond_kib" in rss:
            rss_line = (f"peak {rss['peak_kib']:.0f} KiB ({rss['peak_from']}), guest RAM "
                        f"({rss['guest_mapping']}) resident {rss['guest_rss_kib']:.0f} KiB "
                        f"of {RSS_GUEST_MEM_KIB}, "
                        f"beyond guest {rss['beyond_kib']:.0f} KiB (--mem {RSS_GUEST_MEM})")
        elif "peak_kib" in rss:
            rss_line = (f"peak {rss['peak_kib']:.0f} KiB ({rss['peak_from']}) with --mem "
                        f"{RSS_GUEST_MEM}; no mapping of >= {RSS_GUEST_MEM_KIB} KiB found in "
                        f"/proc/PID/smaps, so guest and VMM memory are not separated")
        else:
            rss_line = (f"peak <= {rss['rss_kib']} KiB (ru_maxrss, masked by bench.py's own "
                        f"RSS); guest and VMM memory not separated")

    def target(name, value, ok, detail, needs):
        if not all(v in s for v in needs):
            targets.append([name, "-", "not run", detail])
        elif value is None:
            targets.append([name, "n/a", "MISS", detail])
        else:
            targets.append([name, value, "PASS" if ok else "MISS", detail])

    rv, qk = s.get("rv_boot", {}), s.get("qemu_kvm", {})
    r1 = ratio(rv.get("exit_ms"), floor)
    target("(1) within 2x of the floor (spawn->exit)",
           None if r1 is None else f"{r1:.2f}x", r1 is not None and r1 <= 2.0,
           "ringvisor exit / kvm-floor exit", ["rv_boot", "floor"])
    r2 = ratio(qk.get("first_ms"), rv.get("first_ms"))
    r2e = ratio(qk.get("exit_ms"), rv.get("exit_ms"))
    target("(1) >= 10x faster than QEMU-KVM to first line",
           None if r2 is None else f"{r2:.1f}x", r2 is not None and r2 >= 10.0,
           "QEMU-KVM first line / ringvisor first line"
           + ("" if r2e is None else f"; to exit: {r2e:.1f}x"), ["rv_boot", "qemu_kvm"])
    target("(4) guest/native CPU speed >= 0.95",
           None if speed is None else f"{speed:.3f}", speed is not None and speed >= 0.95,
           "native ns / guest ns (medians)", ["rv_cpuloop", "native_cpuloop"])
    b = rss.get("beyond_kib") if rss else None
    target("ringvisor RSS beyond guest memory < 2 MiB",
           None if b is None else f"{b:.0f} KiB", b is not None and b < 2048,
           f"run with --mem {RSS_GUEST_MEM}", ["rv_rss"])
    if s.get("rv_boot", {}).get("paired_floor"):
        notes.append(f"boot: median of per-round ringvisor/floor exit-time ratios "
                     f"{s['rv_boot']['paired_floor']:.2f}x.")
    fl = s.get("floor", {})
    if fl.get("inproc_us"):
        notes.append(f"kvm-floor --loop: {fl['inproc_us']} us per create->first-exit->destroy "
                     f"inside one process; the rest of (2) is fork/exec/exit.")
    if s.get("qemu_kvm") and "na" not in s["qemu_kvm"]:
        notes.append(f"QEMU-KVM peak RSS {s['qemu_kvm']['rss_kib']} KiB with -m 64M.")
    return rows, cpu_rows, speed, rss_line, targets, notes


def text_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    out = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for r in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(out)


def md_table(header, rows):
    esc = lambda c: str(c).replace("|", "\\|")
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


BOOT_HDR = ["row", "first line ms", "exit ms [min-max]", "vs floor", "peak RSS KiB", "ok", "note"]
CPU_HDR = ["row", "loop ms (self-timed)", "process ms", "ok", "note"]
TGT_HDR = ["target", "value", "result", "how"]


def render_text(report, info, runs):
    rows, cpu_rows, speed, rss_line, targets, notes = report
    out = [f"ringvisor benchmark: {info['date']}, commit {info['commit']}, "
           f"{runs} alternated runs per variant, medians",
           f"machine: {info['nproc']} CPUs, {info['cpu']}, Linux {info['kernel']}, "
           f"load {info['loadavg_at_start']:.2f}; {info['qemu']}", ""]
    if rows:
        out += [text_table(BOOT_HDR, rows), ""]
    if cpu_rows:
        out += [text_table(CPU_HDR, cpu_rows)]
        out += [f"guest/native speed: {'-' if speed is None else f'{speed:.3f}'}", ""]
    if rss_line:
        out += [f"ringvisor memory: {rss_line}", ""]
    out += [text_table(TGT_HDR, targets)] + notes
    return "\n".join(out)


def run_info_md(info, runs):
    return [f"- date: {info['date']}",
            f"- commit: `{info['commit']}`",
            f"- machine: {info['nproc']} CPUs, {info['cpu']}, Linux `{info['kernel']}`, "
            f"load average {info['loadavg_at_start']:.2f} at start",
            f"- {info['qemu']}",
            f"- {runs} runs per variant, alternated between variants; medians shown"]


def render_md(report, info, runs, cmds):
    """The issue-2 section of docs/benchmarks.md."""
    rows, cpu_rows, speed, rss_line, targets, notes = report
    out = run_info_md(info, runs) + [""]
    if rows:
        out += ["### Boot (wall time from spawn)", "", md_table(BOOT_HDR, rows), ""]
    if cpu_rows:
        out += ["### CPU-bound loop", "", md_table(CPU_HDR, cpu_rows), "",
                f"guest/native speed: {'-' if speed is None else f'{speed:.3f}'}", ""]
    if rss_line:
        out += ["### Memory", "", f"ringvisor: {rss_line}", ""]
    out += ["### Targets", "", md_table(TGT_HDR, targets), ""]
    # A note that starts with the footnote mark would become a nested list.
    out += ["- " + (("\\" + n) if n.startswith("*") else n) for n in notes]
    out += ["", "### Commands", ""]
    out += [f"- `{v}`: `{' '.join(shlex.quote(a) for a in c)}`" for v, c in cmds.items()]
    return "\n".join(out)


def render_issue3_md(rep, info, runs, cmds):
    """The issue-3 section of docs/benchmarks.md."""
    out = run_info_md(info, runs)
    out += exec_bench.render(rep, md_table, md=True)
    out += ["", "### Commands", ""]
    out += [f"- `{v}`: `{' '.join(shlex.quote(a) for a in c)}`" for v, c in cmds.items()]
    return "\n".join(out)


DOC_SECTIONS = [
    ("issue2", "## Issue 2: boot, CPU and memory"),
    ("issue3", "## Issue 3: `ringvisor exec` and system calls"),
    ("issue4", "## Issue 4: disk I/O"),
    ("issue5", "## Issue 5: the control API: create latency and VM capacity"),
    ("issue6", "## Issue 6: the host scheduler: fairness and wake-up latency"),
]


def write_docs(path, blocks):
    """Rewrite (path) with the sections in (blocks) ({tag: markdown}); a
    section this run did not measure keeps its text from the old file."""
    old = ""
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        pass
    kept = {}
    for tag, _ in DOC_SECTIONS:
        m = re.search(rf"<!-- bench:{tag} -->\n(.*?)\n<!-- /bench:{tag} -->", old, re.S)
        if m:
            kept[tag] = m.group(1)
    if "issue2" not in kept and "- date:" in old:
        # The file from before the sections existed was all issue 2.
        body = old[old.index("- date:"):].rstrip("\n")
        kept["issue2"] = body.replace("\n## ", "\n### ")
    out = ["<!-- SPDX-License-Identifier: MIT -->",
           "# Benchmarks",
           "",
           "Generated by `python3 bench/bench.py --write-docs` (`make bench` runs the "
           "same benchmark without rewriting this file); see `bench/README.md` for "
           "what each row measures. Raw samples are in `build/bench/results.json` of "
           "the run. Each section says when and on what it was measured; "
           "`--only issue2`, `--only issue3`, `--only issue4`, `--only issue5` or `--only issue6` rewrites "
           "just that section.", ""]
    for tag, title in DOC_SECTIONS:
        text = blocks.get(tag, kept.get(tag))
        if text is None:
            continue
        out += [title, "", f"<!-- bench:{tag} -->", text, f"<!-- /bench:{tag} -->", ""]
    with open(path, "w") as f:
        f.write("\n".join(out))


# ---- Main ---------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--runs", type=int, default=10, help="runs per variant (default 10)")
    ap.add_argument("--quick", action="store_true", help="3 runs, for smoke tests")
    ap.add_argument("--only", action="append", default=[],
                    help="row(s) to run: boot|1, floor|2, qemu|3, qemu-kvm, qemu-tcg, "
                         "cpuloop|4, rss, issue2 (all of those); issue3 = exec (hello, "
                         "qemu-linux) + syscalls (pvm-floor and the microbenchmarks); "
                         "issue4 = disk; issue5 = serve; issue6 = sched "
                         "(repeatable or comma-separated)")
    ap.add_argument("--kernel", help="guest image: passed to ringvisor as --kernel "
                                     "and to QEMU (default: ringvisor's demo, BUILD/ringos.elf)")
    ap.add_argument("--qemu-args", default="", help="extra QEMU arguments (shell-quoted)")
    ap.add_argument("--timeout", type=float, default=60.0, help="per-run timeout in s (default 60)")
    ap.add_argument("--serve-max", type=int, default=serve_bench.DEFAULT_MAX_VMS,
                    help="issue 5: at most this many VMs in the capacity test "
                         f"(default {serve_bench.DEFAULT_MAX_VMS})")
    ap.add_argument("--write-docs", action="store_true", help="overwrite docs/benchmarks.md")
    args = ap.parse_args()
    runs = 3 if args.quick else args.runs
    if runs < 1:
        ap.error("--runs must be at least 1")

    variants = VARIANT_ORDER
    if args.only:
        wanted = set()
        for o in ",".join(args.only).split(","):
            if o.strip() not in ROWS:
                ap.error(f"unknown row {o!r}; choose from {', '.join(sorted(ROWS))}")
            wanted.update(ROWS[o.strip()])
        variants = [v for v in VARIANT_ORDER if v in wanted]
    # The disk benchmark runs on its own (it drops the host's page cache
    # before every run), after the others.
    disk = bool(set(variants) & set(disk_bench.VARIANTS))
    variants = [v for v in variants if v not in disk_bench.VARIANTS]
    # So does the control-daemon benchmark (it starts its own daemon).
    serve = bool(set(variants) & set(serve_bench.VARIANTS))
    variants = [v for v in variants if v not in serve_bench.VARIANTS]
    # And the scheduler benchmark (many VMs pinned to one or two CPUs).
    sched = bool(set(variants) & set(sched_bench.VARIANTS))
    variants = [v for v in variants if v not in sched_bench.VARIANTS]
    cmds = {v: c for v, c in build_commands(args).items() if v in variants}
    info = machine_info()

    samples = {v: [] for v in variants}
    dead = {}  # variant -> reason it stopped being run
    if {"x_qemu_tcg_linux", "x_qemu_kvm_linux"} & set(variants):
        why = exec_bench.prepare_linux(args.build)
        for v in ("x_qemu_tcg_linux", "x_qemu_kvm_linux"):
            if why and v in variants:
                print(f"bench: {v}: {why}", file=sys.stderr)
                dead[v] = why
                samples[v].append({"ok": False, "error": why, "status": None})
    for v in variants:
        if v in dead:
            continue
        prog = cmds[v][0]
        missing = shutil.which(prog) is None
        if v.startswith("qemu") and not missing:
            kernel = cmds[v][cmds[v].index("-kernel") + 1]
            if not os.path.exists(kernel):
                prog, missing = kernel, True
        if missing:
            dead[v] = f"{prog} not found (not built?)"
            samples[v].append({"ok": False, "error": dead[v], "status": None})
    consecutive_fail = {v: 0 for v in variants}
    progress = sys.stderr.isatty()  # \r updates are only noise in a log
    for i in range(runs if variants else 0):
        # Rotate the order so no variant always runs right after the CPU loop.
        order = variants[i % len(variants):] + variants[:i % len(variants)]
        for v in order:
            if v in dead:
                continue
            if progress:
                print(f"\rrun {i + 1}/{runs}: {v:<15}", end="", file=sys.stderr, flush=True)
            r = run_once(cmds[v], exec_bench.timeout_for(v, args.timeout),
                         RSS_GUEST_MEM_KIB if v == "rv_rss" else None)
            if v in exec_bench.VARIANTS:
                exec_bench.judge(v, r)
            else:
                judge(v, r)
            samples[v].append(r)
            if v in exec_bench.RUN_ONCE:
                dead[v] = "runs once"
                continue
            consecutive_fail[v] = 0 if r["ok"] else consecutive_fail[v] + 1
            # Don't spend N timeouts, or retry what cannot start, on a broken row.
            if not r["ok"] and (r["status"] is None or "timed out" in r["error"]
                                or consecutive_fail[v] >= 2):
                dead[v] = r["error"]
    if progress:
        print("\r" + " " * 40 + "\r", end="", file=sys.stderr, flush=True)

    def section(run):
        """Run a section's benchmark, its progress on one rewritten stderr line."""
        log = (lambda m: print(f"\r{m:<40}", end="", file=sys.stderr, flush=True)) \
            if progress else None
        res = run(log)
        if progress:
            print("\r" + " " * 40 + "\r", end="", file=sys.stderr, flush=True)
        return res

    res4 = section(lambda log: disk_bench.run(
        args.build, runs, ["--kernel", args.kernel] if args.kernel else [], log)) if disk else None
    res5 = section(lambda log: serve_bench.run(args.build, runs, args.serve_max, log)) \
        if serve else None
    res6 = section(lambda log: sched_bench.run(args.build, runs, log)) if sched else None

    s = summarise({v: rs for v, rs in samples.items() if v not in exec_bench.VARIANTS}, runs)
    s3 = exec_bench.summarise(samples)
    pairs = [n["cpuloop_ns"] / g["cpuloop_ns"]
             for g, n in zip(samples.get("rv_cpuloop", []), samples.get("native_cpuloop", []))
             if g.get("ok") and n.get("ok")]
    if pairs:
        s["rv_cpuloop"]["paired_speed"] = med(pairs)
    pairs = [b["exit_s"] / f["exit_s"]
             for b, f in zip(samples.get("rv_boot", []), samples.get("floor", []))
             if b.get("ok") and f.get("ok")]
    if pairs:
        s["rv_boot"]["paired_floor"] = med(pairs)
    if "floor" in s and "na" not in s["floor"]:
        # Splits the floor into KVM work and process overhead, for the notes.
        r = run_once(cmds["floor"] + ["--loop", "50"], args.timeout)
        m = re.search(r"median ([0-9.]+) us", r.get("stdout", ""))
        if m and r["status"] == 0:
            s["floor"]["inproc_us"] = float(m.group(1))
    issue2 = bool(set(variants) & set(ISSUE2_VARIANTS))
    issue3 = bool(set(variants) & set(exec_bench.VARIANTS))
    report = build_report(s)
    rep3 = exec_bench.report(s3)
    if issue2:
        print(render_text(report, info, runs))
    if issue3:
        if not issue2:
            print(f"ringvisor benchmark: {info['date']}, commit {info['commit']}, "
                  f"{runs} alternated runs per variant, medians")
        print("\n".join(["", "Issue 3: `ringvisor exec` and system calls"]
                        + exec_bench.render(rep3, text_table, md=False)))
    if res4:
        if not (issue2 or issue3):
            print(f"ringvisor benchmark: {info['date']}, commit {info['commit']}")
        print("\n".join(["", "Issue 4: disk I/O"]
                        + disk_bench.render(res4, text_table, md=False)))
    if res5:
        if not (issue2 or issue3 or res4):
            print(f"ringvisor benchmark: {info['date']}, commit {info['commit']}")
        print("\n".join(["", "Issue 5: the control API: create latency and VM capacity"]
                        + serve_bench.render(res5, text_table, md=False)))
    if res6:
        if not (issue2 or issue3 or res4 or res5):
            print(f"ringvisor benchmark: {info['date']}, commit {info['commit']}")
        print("\n".join(["", "Issue 6: the host scheduler: fairness and wake-up latency"]
                        + sched_bench.render(res6, text_table, md=False)))

    os.makedirs(os.path.join(args.build, "bench"), exist_ok=True)
    path = os.path.join(args.build, "bench", "results.json")
    with open(path, "w") as f:
        json.dump({"machine": info, "runs": runs, "commands": cmds,
                   "summary": dict(s, **s3), "samples": samples, "disk": res4,
                   "serve": res5, "sched": res6},
                  f, indent=1)
    print(f"\nraw samples: {path}")
    if args.write_docs:
        os.makedirs("docs", exist_ok=True)
        blocks = {}
        if issue2:
            blocks["issue2"] = render_md(report, info, runs, {
                v: c for v, c in cmds.items() if v in ISSUE2_VARIANTS})
        if issue3:
            blocks["issue3"] = render_issue3_md(rep3, info, runs, {
                v: c for v, c in cmds.items() if v in exec_bench.VARIANTS})
        if res4:
            blocks["issue4"] = "\n".join(run_info_md(info, res4["runs"])
                                         + disk_bench.render(res4, md_table, md=True)
                                         + ["", "### Commands", ""]
                                         + [f"- `{k}`: `{' '.join(shlex.quote(a) for a in c)}`"
                                            for k, c in res4.get("commands", {}).items()])
        if res5:
            n5 = res5.get("latency", {}).get("n", 0)
            blocks["issue5"] = "\n".join(
                run_info_md(info, n5)[:3]
                + [f"- {n5} creates for the latency; capacity capped at "
                   f"{args.serve_max} VMs (`--serve-max`); medians shown"]
                + serve_bench.render(res5, md_table, md=True)
                + ["", "### Commands", ""]
                + [f"- `{k}`: `{' '.join(shlex.quote(a) for a in c)}`"
                   for k, c in res5.get("commands", {}).items()])
        if res6:
            blocks["issue6"] = "\n".join(
                run_info_md(info, res6["runs"])
                + sched_bench.render(res6, md_table, md=True)
                + ["", "### Commands", ""]
                + [f"- {k}: `{c}`" for k, c in res6.get("commands", {}).items()])
        write_docs(os.path.join("docs", "benchmarks.md"), blocks)
        print("wrote docs/benchmarks.md")

    ok4 = res4 is not None and any(c["n_ok"] for c in res4.get("cells", {}).values())
    ok5 = res5 is not None and bool(res5.get("latency", {}).get("reply_ms"))
    ok6 = res6 is not None and any(c["n_ok"] for c in res6.get("cells", {}).values())
    return 0 if ok4 or ok5 or ok6 or any(e["n_ok"] for e in list(s.values()) + list(s3.values())) else 1


if __name__ == "__main__":
    sys.exit(main())
