# SPDX-License-Identifier: MIT
# Issue 5 of bench.py: the control daemon (`ringvisor serve`) on a temporary
# socket and state directory, driven over HTTP/1.1 on its UNIX socket:
# create-to-running latency of one small ringos VM, then how many such VMs it
# starts and holds, with the daemon's and each VM process's RSS.
"""Issue-5 control-API benchmark: latency, capacity, summary and tables."""

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time

MIN_LATENCY_RUNS = 10
LAT_MEM = "16M"
CAP_MEM = "16M"
CAP_MEM_MIB = 16
DEFAULT_MAX_VMS = 200
# Stop adding VMs when the host's MemAvailable falls below this.
RESERVE_KIB = 1 << 20
FIRST_LINE = b"sleeper: up"
LINE_TIMEOUT = 10.0
VARIANTS = ["serve"]  # what --only issue5 selects; bench.py hands the work here
ROWS = {"issue5": VARIANTS, "serve": VARIANTS, "5": VARIANTS}


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("ringvisor", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def meminfo_kib(field):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def vmrss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Daemon:
    """`ringvisor serve` on a temporary directory; every VM it was asked to
    create is remembered so cleanup() can remove it, or kill its process."""

    def __init__(self, b):
        self.dir = tempfile.mkdtemp(prefix="rv-serve-bench-")
        self.sock = os.path.join(self.dir, "rv.sock")
        self.state = os.path.join(self.dir, "state")
        self.argv = [os.path.join(b, "ringvisor"), "serve", "--socket", self.sock,
                     "--state-dir", self.state]
        self.log = open(os.path.join(self.dir, "daemon.log"), "ab")
        self.proc = None
        self.vms = {}  # name -> pid (or None)

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the daemon exited with status {self.proc.returncode}")
            if os.path.exists(self.sock):
                try:
                    if self.call("GET", "/v1/health")[0] == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.01)
        raise RuntimeError("the daemon did not come up in 10 s")

    def call(self, method, path, body=None):
        c = UnixHTTPConnection(self.sock)
        try:
            c.request(method, path, body=None if body is None else json.dumps(body),
                      headers={"Content-Type": "application/json"} if body is not None else {})
            r = c.getresponse()
            text = r.read()
        finally:
            c.close()
        if "json" in (r.getheader("Content-Type") or ""):
            return r.status, json.loads(text)
        return r.status, text

    def create(self, name, prog, mem):
        self.vms[name] = None
        st, v = self.call("POST", "/v1/vms", {"name": name, "program": prog, "mem": mem})
        if st == 201:
            self.vms[name] = v.get("pid")
        return st, v

    def console_path(self, name):
        return os.path.join(self.state, "vms", name, "console.log")

    def remove(self, names, timeout=20):
        """Force-stop (names), wait for them to end, delete them."""
        for n in names:
            try:
                self.call("POST", f"/v1/vms/{n}/stop", {"force": True})
            except OSError:
                pass
        end = time.monotonic() + timeout
        left = list(names)
        while left and time.monotonic() < end:
            nxt = []
            for n in left:
                try:
                    st, v = self.call("GET", f"/v1/vms/{n}")
                except OSError:
                    nxt.append(n)
                    continue
                if st == 404:
                    self.vms.pop(n, None)
                elif v.get("state") in ("stopped", "exited", "crashed"):
                    if self.call("DELETE", f"/v1/vms/{n}")[0] in (204, 404):
                        self.vms.pop(n, None)
                    else:
                        nxt.append(n)
                else:
                    nxt.append(n)
            left = nxt
            if left:
                time.sleep(0.02)

    def cleanup(self):
        """Remove every VM (through the API if the daemon is alive, SIGKILL
        to the VM process otherwise: each runs in its own session, so the
        daemon's end does not end it), stop the daemon, remove the tree."""
        if self.vms and self.proc and self.proc.poll() is None:
            try:
                self.remove(list(self.vms))
            except OSError:
                pass
        for pid in [p for p in self.vms.values() if p]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_line(path, t0, timeout=LINE_TIMEOUT):
    """Seconds from (t0) until FIRST_LINE is in the console log at (path),
    polled every 0.2 ms, or None."""
    end = t0 + timeout
    while True:
        try:
            with open(path, "rb") as f:
                if FIRST_LINE + b"\n" in f.read():
                    return time.perf_counter() - t0
        except OSError:
            pass
        if time.perf_counter() > end:
            return None
        time.sleep(0.0002)


def latency(d, prog, runs, log):
    out = {"n": runs, "reply_ms": [], "line_ms": [], "state_at_201": [], "errors": []}
    for i in range(runs):
        if log:
            log(f"issue5: latency {i + 1}/{runs}")
        name = f"lat-{i}"
        t0 = time.perf_counter()
        st, v = d.create(name, prog, LAT_MEM)
        t1 = time.perf_counter()
        if st != 201:
            out["errors"].append(f"create {name}: {st} {v}")
            d.remove([name])
            continue
        line = wait_line(d.console_path(name), t0)
        out["reply_ms"].append((t1 - t0) * 1e3)
        out["state_at_201"].append(v.get("state"))
        if line is None:
            out["errors"].append(f"{name}: no {FIRST_LINE.decode()!r} in {LINE_TIMEOUT:g} s")
        else:
            out["line_ms"].append(line * 1e3)
        d.remove([name])
    return out


def capacity(d, prog, max_vms, log):
    out = {"max": max_vms, "mem": CAP_MEM, "errors": [], "stop_reason": None}
    out["avail_before_kib"] = meminfo_kib("MemAvailable")
    out["free_before_kib"] = meminfo_kib("MemFree")
    out["total_kib"] = meminfo_kib("MemTotal")
    out["daemon_rss_idle_kib"] = vmrss_kib(d.proc.pid)
    names, create_ms = [], []
    t0 = time.perf_counter()
    for i in range(max_vms):
        if log and i % 10 == 0:
            log(f"issue5: capacity {i}/{max_vms}")
        avail = meminfo_kib("MemAvailable")
        if avail < RESERVE_KIB:
            out["stop_reason"] = f"host MemAvailable {avail} KiB < {RESERVE_KIB} KiB reserve"
            break
        name = f"cap-{i}"
        c0 = time.perf_counter()
        try:
            st, v = d.create(name, prog, CAP_MEM)
        except OSError as e:
            st, v = None, str(e)
        create_ms.append((time.perf_counter() - c0) * 1e3)
        if st != 201:
            out["stop_reason"] = f"create #{i + 1}: {st} {v}"
            break
        names.append(name)
    out["create_s"] = time.perf_counter() - t0
    if out["stop_reason"] is None:
        out["stop_reason"] = f"--serve-max {max_vms} reached"
    out["created"] = len(names)
    out["create_ms"] = create_ms
    # All of them running and past their first console line.
    t1 = time.perf_counter()
    pending, end = set(names), t1 + 30
    while pending and time.perf_counter() < end:
        for n in list(pending):
            try:
                with open(d.console_path(n), "rb") as f:
                    if FIRST_LINE in f.read():
                        pending.discard(n)
            except OSError:
                pass
        if pending:
            time.sleep(0.01)
    st, lst = d.call("GET", "/v1/vms")
    states = {v["name"]: v for v in lst.get("vms", [])} if st == 200 else {}
    running = [n for n in names if states.get(n, {}).get("state") == "running"]
    out["running"] = len(running)
    out["printed"] = len(names) - len(pending)
    out["all_up_s"] = time.perf_counter() - t0
    time.sleep(0.5)  # let the last ones settle before sampling RSS
    rss, api_rss = [], []
    for n in running:
        pid = states[n].get("pid")
        r = vmrss_kib(pid) if pid else None
        if r is not None:
            rss.append(r)
        st, v = d.call("GET", f"/v1/vms/{n}")
        if st == 200 and v.get("rss_bytes") is not None:
            api_rss.append(v["rss_bytes"] / 1024)
    out["vm_rss_kib"] = rss
    out["api_rss_kib"] = api_rss
    out["daemon_rss_kib"] = vmrss_kib(d.proc.pid)
    out["avail_after_kib"] = meminfo_kib("MemAvailable")
    out["free_after_kib"] = meminfo_kib("MemFree")
    st, h = d.call("GET", "/v1/health")
    out["health"] = h if st == 200 else None
    t2 = time.perf_counter()
    d.remove(names, timeout=60)
    out["remove_s"] = time.perf_counter() - t2
    out["left_after_remove"] = len([n for n in names if n in d.vms])
    return out


def run(b, runs, max_vms=DEFAULT_MAX_VMS, log=None):
    """Both parts against one daemon; always cleans up."""
    prog = os.path.abspath(os.path.join(b, "bench", "progs", "sleeper"))
    rv = os.path.join(b, "ringvisor")
    res = {"commands": {"daemon": [rv, "serve", "--socket", "TMP/rv.sock",
                                   "--state-dir", "TMP/state"],
                        "create": ["POST", "/v1/vms", json.dumps(
                            {"name": "NAME", "program": prog, "mem": CAP_MEM})]},
           "program": prog}
    for p in (rv, prog):
        if not os.access(p, os.X_OK):
            res["na"] = f"{p} not found (not built?)"
            return res
    d = Daemon(b)
    try:
        d.start()
        res["daemon_rss_start_kib"] = vmrss_kib(d.proc.pid)
        res["latency"] = latency(d, prog, max(runs, MIN_LATENCY_RUNS), log)
        res["capacity"] = capacity(d, prog, max_vms, log)
    except (OSError, RuntimeError, ValueError) as e:
        res["na"] = f"{type(e).__name__}: {e}"
    finally:
        d.cleanup()
    return res


def _med(xs):
    return statistics.median(xs) if xs else None


def _f(x, fmt="{:.1f}"):
    return "-" if x is None else fmt.format(x)


def _mib(kib):
    return "-" if kib is None else f"{kib / 1024:.1f}"


def render(res, table, md):
    """Lines of the issue-5 section; (table) is text_table or md_table."""
    out = []
    if "na" in res and "latency" not in res:
        return ["", f"n/a: {res['na']}"]
    lat = res.get("latency", {})
    out += ["", "### Create to running (one VM at a time)" if md
            else "create to running (one VM at a time):", ""]
    rows = []
    for key, label in (("reply_ms", "POST /v1/vms -> 201 reply"),
                       ("line_ms", "POST /v1/vms -> guest's first console line")):
        xs = lat.get(key, [])
        rows.append([label, _f(_med(xs)),
                     f"{min(xs):.1f}-{max(xs):.1f}" if xs else "-",
                     f"{len(xs)}/{lat.get('n', 0)}"])
    out.append(table(["interval", "median ms", "min-max ms", "ok"], rows))
    states = sorted(set(lat.get("state_at_201", [])))
    out += ["", f"`{FIRST_LINE.decode()}` is the first line `bench/progs/sleeper` prints; "
            f"`mem` {LAT_MEM}; state in the 201 reply: {', '.join(states) or '-'}. "
            f"Each VM is force-stopped and deleted before the next create."]
    for e in lat.get("errors", [])[:3]:
        out.append(f"error: {e}")

    cap = res.get("capacity")
    if cap:
        rss, api = cap["vm_rss_kib"], cap["api_rss_kib"]
        mrss = _med(rss)
        out += ["", "### Capacity" if md else "capacity:", ""]
        rows = [
            ["VMs created (201) / running / printed their line",
             f"{cap['created']} / {cap['running']} / {cap['printed']}"],
            ["stopped because", cap["stop_reason"]],
            ["time to create them (wall, sequential POSTs)", f"{cap['create_s']:.2f} s"],
            ["median / max POST -> 201 while filling",
             f"{_f(_med(cap['create_ms']))} / {_f(max(cap['create_ms']) if cap['create_ms'] else None)} ms"],
            ["first POST -> all printed their line", f"{cap['all_up_s']:.2f} s"],
            ["VM process RSS (VmRSS), median / max",
             f"{_mib(mrss)} / {_mib(max(rss) if rss else None)} MiB"],
            ["VM RSS from the API (`rss_bytes`), median", f"{_mib(_med(api))} MiB"],
            ["daemon RSS: idle / holding the VMs",
             f"{_mib(cap['daemon_rss_idle_kib'])} / {_mib(cap['daemon_rss_kib'])} MiB"],
            ["host MemAvailable before / after",
             f"{_mib(cap['avail_before_kib'])} / {_mib(cap['avail_after_kib'])} MiB "
             f"(of {_mib(cap['total_kib'])})"],
            ["host MemFree before / after",
             f"{_mib(cap['free_before_kib'])} / {_mib(cap['free_after_kib'])} MiB"],
            ["force-stop + delete all", f"{cap['remove_s']:.2f} s"
             + (f", {cap['left_after_remove']} left" if cap["left_after_remove"] else "")],
        ]
        n = cap["running"]
        drop = (cap["avail_before_kib"] - cap["avail_after_kib"]) / n if n else None
        if drop is not None:
            rows.append(["host memory per VM (MemAvailable drop / VMs)", f"{_mib(drop)} MiB"])
        out.append(table(["", f"{CAP_MEM} VMs running sleeper"], rows))
        notes = []
        if mrss:
            notes.append(f"Extrapolation, not measured: the host's MemAvailable before "
                         f"({_mib(cap['avail_before_kib'])} MiB) holds "
                         f"~{cap['avail_before_kib'] / mrss:.0f} VMs at the median VM RSS")
            if drop and drop > 0:
                notes[-1] += (f", ~{cap['avail_before_kib'] / drop:.0f} at the measured "
                              f"MemAvailable drop per VM (VmRSS counts pages shared between the "
                              f"VM processes, such as ringvisor's text, in each one; the drop "
                              f"counts them once but adds kernel memory: page tables, KVM)")
            notes[-1] += (f"; if every guest touched all its {CAP_MEM_MIB} MiB, "
                          f"~{cap['avail_before_kib'] / (mrss + CAP_MEM_MIB * 1024):.0f}. "
                          f"The count was capped at {cap['max']} (`--serve-max`).")
        h = cap.get("health") or {}
        if h:
            notes.append(f"`/v1/health` holding them: vms {h.get('vms')}, "
                         f"vm_processes {h.get('vm_processes')}.")
        out += [""] + [("- " if md else "") + n for n in notes]
    if "na" in res:
        out += ["", f"error: {res['na']}"]
    return out
