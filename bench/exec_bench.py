# SPDX-License-Identifier: MIT
# Issue 3 of bench.py: `ringvisor exec hello` against the bare-VM floor, host
# fork+exec and QEMU booting Debian's kernel; system calls inside ringos
# against native and against kvm_pvm's own floor (pvm-floor).  bench.py runs
# the variants (alternated with everything else) and hands the samples here.
"""Issue-3 variants: commands, per-run parsing, summary and tables."""

import os
import re
import statistics

import linux_guest

HELLO_EXPECT = "Hello"
QEMU_LINUX_TIMEOUT = 180.0
QEMU_KVM_LINUX_TIMEOUT = 20.0
# -M pc: under TCG the cloud kernel hangs on microvm ("tsc: Unable to
# calibrate against PIT").  -nic none skips the iPXE option ROM.
QEMU_LINUX_ARGS = ["-M", "pc", "-nic", "none", "-m", "256M", "-nographic", "-no-reboot",
                   "-append", "console=ttyS0 quiet panic=-1"]

EXEC_VARIANTS = ["x_rv_hello", "x_floor", "x_host_hello", "x_qemu_tcg_linux",
                 "x_qemu_kvm_linux"]
OPS_VARIANTS = ["x_rv_micro", "x_native_micro", "x_pvm_floor"]
VARIANTS = EXEC_VARIANTS + OPS_VARIANTS
# Rows that run once per bench run, not --runs times (a boot that cannot work).
RUN_ONCE = {"x_qemu_kvm_linux"}

ROWS = {
    "issue3": VARIANTS, "exec": EXEC_VARIANTS, "syscalls": OPS_VARIANTS,
    "hello": ["x_rv_hello", "x_floor", "x_host_hello"],
    "qemu-linux": ["x_qemu_tcg_linux", "x_qemu_kvm_linux"],
    "pvm-floor": ["x_pvm_floor"],
}

LABELS = {
    "x_rv_hello": "`ringvisor exec hello`",
    "x_floor": "bare-VM floor (kvm-floor)",
    "x_host_hello": "host fork+exec of hello",
    "x_qemu_tcg_linux": "QEMU TCG, Debian 12 cloud kernel + busybox initramfs",
    "x_qemu_kvm_linux": "QEMU KVM, same kernel and initramfs",
}

# microbench lines, in table order: (name, label)
OPS = [
    ("getpid", "getpid (syscall(SYS_getpid))"),
    ("write4k", "4 KiB pwrite at offset 0 to a /tmp file"),
    ("pipe_rtt", "pipe round trip, 1 byte each way, 2 processes"),
    ("fork_exit_wait", "fork + _exit + wait4 (raw system calls)"),
    ("pagefault", "first-touch page fault (8 MiB anonymous mmap)"),
]
FLOOR_OPS = ["syscall_sysret", "syscall_switch", "cr3_write", "user_pf_sysret", "user_pf_map",
             "ioeventfd_out", "rdmsr_trap"]
FLOOR_LABELS = {
    "syscall_sysret": "user `syscall` + `sysretq` round trip",
    "syscall_switch": "user `syscall`, CR3 to another address space, `sysretq` into it",
    "cr3_write": "`mov` to CR3 (alternating two roots), per write",
    "user_pf_sysret": "user #PF to the guest IDT + `sysretq` (fault skipped)",
    "user_pf_map": "user #PF, map a fresh page, `sysretq`, retry the touch",
    "ioeventfd_out": "`out` to an ioeventfd port",
    "rdmsr_trap": "`rdmsr 0x4b564d11`, the cheapest trap",
}
# Each operation's platform floor: (formula, {floor op: count}).  The counts
# are the fewest traps a kernel on kvm_pvm can do the operation with on one
# vCPU; the copy work itself runs at native speed and is not counted.  A CR3
# load is priced as the cheapest trap: pvm-floor's own switches (cr3_write,
# syscall_switch) take two exits each, but ringos's measured switches are
# cheaper than that, so they are shown for information only.
OP_FLOORS = {
    "getpid": ("1 syscall", {"syscall_sysret": 1}),
    "write4k": ("1 syscall (+ a native 4 KiB copy)", {"syscall_sysret": 1}),
    "pipe_rtt": ("4 syscalls (write and read on each side) + 2 CR3 loads (a switch "
                 "each way) at one trap each",
                 {"syscall_sysret": 4, "rdmsr_trap": 2}),
    "fork_exit_wait": ("3 syscalls (fork; the child's return from fork + exit; wait4) "
                       "+ 2 CR3 loads at one trap each; building and shadowing the "
                       "child's page tables not counted",
                       {"syscall_sysret": 3, "rdmsr_trap": 2}),
    "pagefault": ("1 user #PF + sysretq (3 exits); mapping the page adds the "
                  "PTE write and refault: see user_pf_map", {"user_pf_sysret": 1}),
}

SPAWN_RE = re.compile(r"spawn_ns (\d+) status (-?\d+) matched (\d)")
NUM_LINE_RE = re.compile(r"^(\w+) ([0-9.]+)(?: ([0-9.]+))?$", re.M)


def commands(b, rv_exec_extra):
    """(b) is the build directory.  Returns {variant: argv}."""
    spawn = os.path.join(b, "bench", "spawn")
    hello = os.path.join(b, "userland", "hello")
    rv = [os.path.join(b, "ringvisor"), "exec"] + rv_exec_extra
    deb = os.path.join(b, "bench", "debian")
    qemu = ["qemu-system-x86_64"] + QEMU_LINUX_ARGS + [
        "-kernel", os.path.join(deb, "vmlinuz"), "-initrd", os.path.join(deb, "hello.cpio")]
    micro = os.path.join(b, "bench", "progs", "microbench")
    return {
        "x_rv_hello": [spawn, "--expect", HELLO_EXPECT, "--"] + rv + [hello],
        "x_floor": [spawn, "--", os.path.join(b, "bench", "kvm-floor")],
        "x_host_hello": [spawn, "--expect", HELLO_EXPECT, "--", hello],
        "x_qemu_tcg_linux": [spawn, "--expect", HELLO_EXPECT, "--",
                             qemu[0], "-accel", "tcg"] + qemu[1:],
        "x_qemu_kvm_linux": [spawn, "--expect", HELLO_EXPECT, "--",
                             qemu[0], "-accel", "kvm"] + qemu[1:],
        "x_rv_micro": rv + [micro],
        "x_native_micro": [micro],
        "x_pvm_floor": [os.path.join(b, "bench", "pvm-floor")],
    }


def prepare_linux(b):
    """Fetch (or reuse) the Debian kernel and busybox and build the hello
    initramfs where commands() expects them.  Returns None or the reason the
    QEMU-Linux rows cannot run."""
    deb = os.path.join(b, "bench", "debian")
    try:
        kernel, busybox = linux_guest.fetch(deb)
        link = os.path.join(deb, "vmlinuz")
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(os.path.basename(kernel), link)
        linux_guest.make_initramfs(os.path.join(deb, "hello.cpio"), busybox,
                                   os.path.join(b, "userland", "hello"))
    except (linux_guest.GuestError, OSError) as e:
        return f"Debian kernel not available: {e}"
    return None


def timeout_for(variant, default):
    if variant == "x_qemu_tcg_linux":
        return max(default, QEMU_LINUX_TIMEOUT)
    if variant == "x_qemu_kvm_linux":
        return QEMU_KVM_LINUX_TIMEOUT
    return default


def judge(variant, r):
    """Fill r["error"] (or r["wall_ms"] / r["ops"]) for one run of (variant);
    bench.py has already set r["error"] for timeouts and start failures."""
    out = r.get("stdout", "")
    if r["error"] is None and r["status"] != 0:
        r["error"] = f"exit status {r['status']}"
    if r["error"] is None and variant in EXEC_VARIANTS:
        m = SPAWN_RE.search(out)
        if not m:
            r["error"] = "no spawn_ns line"
        elif int(m.group(2)) != 0:
            r["error"] = f"command exit status {m.group(2)}"
        elif m.group(3) != "1":
            r["error"] = f"no {HELLO_EXPECT!r} in the output"
        else:
            r["wall_ms"] = int(m.group(1)) / 1e6
    if variant == "x_qemu_kvm_linux" and r["error"]:
        tail = [l for l in out.replace("\r", "\n").splitlines()
                if l.strip() and not l.startswith("spawn_ns")]
        last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", tail[-1]).strip()[:80] if tail else ""
        r["error"] = (f"cannot boot: no {HELLO_EXPECT!r} within {QEMU_KVM_LINUX_TIMEOUT:g} s "
                      f"({r['error']}; last output: {last or 'none'}). A stock kernel "
                      "never writes kvm_pvm's PV-page MSR, so it stays in the "
                      "instruction-by-instruction emulated mode")
    if r["error"] is None and variant in OPS_VARIANTS:
        ops = {}
        for m in NUM_LINE_RE.finditer(out):
            ops[m.group(1)] = float(m.group(2))
            if m.group(3) is not None:
                ops[m.group(1) + ".exits"] = float(m.group(3))
        want = FLOOR_OPS if variant == "x_pvm_floor" else [o for o, _ in OPS]
        missing = [w for w in want if w not in ops]
        if missing:
            r["error"] = f"missing results: {', '.join(missing)}"
        else:
            r["ops"] = ops
    r["ok"] = r["error"] is None


def med(xs):
    return statistics.median(xs) if xs else None


def summarise(samples):
    """{variant: summary} for the issue-3 variants in (samples)."""
    s = {}
    for v in VARIANTS:
        if v not in samples:
            continue
        rs = samples[v]
        ok = [r for r in rs if r.get("ok")]
        e = {"n_ok": len(ok), "n": len(rs)}
        if not ok:
            e["na"] = rs[-1]["error"] if rs else "not run"
        elif v in EXEC_VARIANTS:
            w = [r["wall_ms"] for r in ok]
            e.update(ms=med(w), min_ms=min(w), max_ms=max(w))
        else:
            keys = ok[0]["ops"].keys()
            e["ops"] = {k: med([r["ops"][k] for r in ok]) for k in keys}
        failed = [r for r in rs if not r.get("ok")]
        if failed and ok:
            e["fail_note"] = f"{len(failed)} failed: {failed[-1]['error']}"
        s[v] = e
    # Ratios within one round see the same load: the paired median.
    pairs = [a["wall_ms"] / f["wall_ms"] for a, f in
             zip(samples.get("x_rv_hello", []), samples.get("x_floor", []))
             if a.get("ok") and f.get("ok")]
    if pairs:
        s["x_rv_hello"]["paired_floor"] = med(pairs)
    return s


def _fmt_ns(x):
    if x is None:
        return "-"
    return f"{x / 1e3:.1f} us" if x >= 1000 else f"{x:.0f} ns"


def _ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def _fx(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}x"


def op_floor(name, floor_ops):
    """The platform floor in ns of microbench operation (name), or None."""
    if not floor_ops:
        return None
    _, counts = OP_FLOORS[name]
    return sum(floor_ops[k] * n for k, n in counts.items())


def report(s):
    """Plain data for the text and markdown outputs: a dict of tables."""
    out = {"exec": [], "ops": [], "floor": [], "targets": [], "notes": []}
    floor_ms = s.get("x_floor", {}).get("ms")
    for v in EXEC_VARIANTS:
        if v not in s:
            continue
        e = s[v]
        if "na" in e:
            out["exec"].append([LABELS[v], "n/a", "", f"0/{e['n']}", e["na"]])
            continue
        out["exec"].append([LABELS[v], f"{e['ms']:.1f} [{e['min_ms']:.1f}-{e['max_ms']:.1f}]",
                            _fx(_ratio(e["ms"], floor_ms)), f"{e['n_ok']}/{e['n']}",
                            e.get("fail_note", "")])

    g = s.get("x_rv_micro", {}).get("ops")
    n = s.get("x_native_micro", {}).get("ops")
    f = s.get("x_pvm_floor", {}).get("ops")
    if any(v in s for v in OPS_VARIANTS):
        for name, label in OPS:
            gv = g.get(name) if g else None
            nv = n.get(name) if n else None
            fl = op_floor(name, f)
            formula = OP_FLOORS[name][0]
            if f:
                formula += " = " + " + ".join(
                    f"{c}x{_fmt_ns(f[k])}" for k, c in OP_FLOORS[name][1].items())
            out["ops"].append([label, _fmt_ns(gv), _fmt_ns(nv), _fx(_ratio(gv, nv), 1),
                               _fmt_ns(fl), _fx(_ratio(gv, fl)), formula])
        if g and n:
            out["notes"].append(f"first-touch faults per second: ringos "
                                f"{g['pf_per_s']:.0f}, native {n['pf_per_s']:.0f}.")
    if f:
        for k in FLOOR_OPS:
            out["floor"].append([f"{k}: {FLOOR_LABELS[k]}", _fmt_ns(f[k]),
                                 f"{f.get(k + '.exits', 0):.2f}"])
    for v in OPS_VARIANTS:
        if v in s and "na" in s[v]:
            out["notes"].append(f"{v}: n/a ({s[v]['na']})")

    def target(name, value, ok, how, needs):
        if not all(v in s for v in needs):
            out["targets"].append([name, "-", "not run", how])
        elif value is None:
            out["targets"].append([name, "n/a", "MISS", how])
        else:
            out["targets"].append([name, value, "PASS" if ok else "MISS", how])

    rv = s.get("x_rv_hello", {})
    r = _ratio(rv.get("ms"), floor_ms)
    pr = rv.get("paired_floor")
    target("`ringvisor exec hello` within 2x of the bare-VM floor",
           None if r is None else f"{r:.2f}x", r is not None and r <= 2.0,
           "exec hello ms / kvm-floor ms (medians)"
           + ("" if pr is None else f"; per-round median {pr:.2f}x"), ["x_rv_hello", "x_floor"])
    q = _ratio(s.get("x_qemu_tcg_linux", {}).get("ms"), rv.get("ms"))
    target(">= 100x faster than QEMU (TCG) booting Linux to the same hello",
           None if q is None else f"{q:.0f}x", q is not None and q >= 100,
           "QEMU TCG + Debian ms / exec hello ms", ["x_rv_hello", "x_qemu_tcg_linux"])
    for name, limit in (("getpid", 1.3), ("pipe_rtt", 3.0), ("fork_exit_wait", 3.0)):
        x = _ratio(g.get(name) if g else None, op_floor(name, f))
        target(f"{name} within {limit:g}x of its platform floor",
               None if x is None else f"{x:.2f}x", x is not None and x <= limit,
               "ringos ns / platform floor (formula in the table above)",
               ["x_rv_micro", "x_pvm_floor"])
    x = _ratio(g.get("getpid") if g else None, n.get("getpid") if n else None)
    target("stretch: getpid within 2x of native",
           None if x is None else f"{x:.1f}x", x is not None and x <= 2.0,
           "ringos ns / native ns", ["x_rv_micro", "x_native_micro"])

    host = s.get("x_host_hello", {}).get("ms")
    tcg = s.get("x_qemu_tcg_linux", {}).get("ms")
    if rv.get("ms") and g and n and f:
        out["expect"] = (
            f"What a user should expect on this machine today: `ringvisor exec` starts and "
            f"finishes a small static program in about {rv['ms']:.1f} ms, "
            + (f"{rv['ms'] / host:.0f}x the {host:.1f} ms of running it directly on the host "
               if host else "")
            + (f"and about {tcg / rv['ms']:.0f}x faster than booting Debian's kernel under "
               f"QEMU's emulator ({tcg / 1e3:.1f} s; QEMU with KVM cannot boot a stock kernel "
               f"on kvm_pvm). " if tcg else ". ")
            + f"Inside, every system call costs one kvm_pvm trap: a getpid takes "
            f"{_fmt_ns(g['getpid'])} against {_fmt_ns(n['getpid'])} natively "
            f"({g['getpid'] / n['getpid']:.0f}x), because this host's trap alone costs "
            f"{_fmt_ns(f['syscall_sysret'])}. Programs that compute run at native speed "
            f"(see the CPU loop above); programs that make many system calls, switch "
            f"between processes or fault in fresh memory run 5-100x slower than natively, "
            f"and fork, which ringos still copies eagerly, about "
            f"{g['fork_exit_wait'] / n['fork_exit_wait']:.0f}x.")
    return out


EXEC_HDR = ["row", "wall ms, start to exit [min-max]", "vs floor", "ok", "note"]
OPS_HDR = ["operation", "ringos", "native", "ringos/native", "platform floor",
           "ringos/floor", "floor formula"]
FLOOR_HDR = ["platform operation (pvm-floor, in-guest TSC)", "time", "exits/op"]
TGT_HDR = ["target", "value", "result", "how"]


def render(rep, table, md):
    """Issue-3 section as text (md=False) or markdown lines."""
    lines = []
    head = (lambda t: ["", f"### {t}", ""]) if md else (lambda t: ["", t + ":"])
    if rep["exec"]:
        lines += head("Start to exit") + [table(EXEC_HDR, rep["exec"])]
    if rep["ops"]:
        lines += head("System calls and faults, ns per operation (medians)")
        lines += [table(OPS_HDR, rep["ops"])]
    if rep["floor"]:
        lines += head("kvm_pvm's own floor (`build/bench/pvm-floor`)")
        lines += [table(FLOOR_HDR, rep["floor"])]
    if rep["targets"]:
        lines += head("Issue-3 targets") + [table(TGT_HDR, rep["targets"])]
    if rep["notes"]:
        lines += [""] + ["- " + x for x in rep["notes"]]
    if rep.get("expect"):
        lines += head("What a user should expect") + [rep["expect"]]
    return lines
