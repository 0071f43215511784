# SPDX-License-Identifier: MIT
"""`ringvisor serve` and `ringctl`: the daemon on a temporary socket and state
directory, driven over HTTP (http.client on the UNIX socket) and with ringctl:
five VMs, pause/resume against the guest clock, stop, delete, a kill -9'd VM
process, a kill -9'd daemon that restarts and re-adopts, bad input, a slow
client, the socket's mode and group (and a refused other uid), the console
(follow, input, ringctl console on a pipe and a terminal, the log's cap), and
a stopped VM process that holds up no other client."""
import http.client
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import termios
import threading
import time

import pytest

from conftest import BUILD, needs_kvm

RINGVISOR = BUILD / "ringvisor"
RINGCTL = BUILD / "ringctl"
PROGS = BUILD / "progs"
USERLAND = BUILD / "userland"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("ringvisor", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Daemon:
    def __init__(self, tmp, args=(), sock=None):
        self.sock = sock or str(tmp / "rv.sock")
        self.state = str(tmp / "state")
        self.log = open(tmp / "daemon.log", "ab")
        self.args = list(args)
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([str(RINGVISOR), "serve", "--socket", self.sock,
                                      "--state-dir", self.state, *self.args],
                                     stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(self.sock):
                try:
                    if self.call("GET", "/v1/health")[0] == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.02)
        raise AssertionError("the daemon did not come up")

    def call(self, method, path, body=None, raw=None, headers=None):
        c = UnixHTTPConnection(self.sock)
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        c.request(method, path, body=data, headers=headers or {})
        r = c.getresponse()
        text = r.read()
        c.close()
        ctype = r.getheader("Content-Type") or ""
        return r.status, (json.loads(text) if "json" in ctype else text.decode())

    def ctl(self, *args, input=None):
        return subprocess.run([str(RINGCTL), "--socket", self.sock, *args], capture_output=True,
                              text=True, timeout=30,
                              **({"input": input} if input is not None
                                 else {"stdin": subprocess.DEVNULL}))

    def vm(self, name):
        st, v = self.call("GET", f"/v1/vms/{name}")
        assert st == 200, v
        return v

    def wait_state(self, name, states, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            v = self.vm(name)
            if v["state"] in states:
                return v
            time.sleep(0.05)
        raise AssertionError(f"{name} never reached {states}: {v}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def prog(directory, name):
    p = directory / name
    if not p.exists():
        pytest.skip(f"{p} is missing: run make progs userland")
    return str(p)


def cleanup(d):
    # Leave nothing running: the VM processes outlive the daemon by design.
    try:
        st, body = d.call("GET", "/v1/vms")
        for v in body.get("vms", []) if st == 200 else []:
            if v["pid"]:
                os.kill(v["pid"], signal.SIGCONT)
                os.kill(v["pid"], signal.SIGKILL)
    except OSError:
        pass
    d.stop()


@pytest.fixture
def daemon(tmp_path):
    if not RINGCTL.exists():
        pytest.skip(f"{RINGCTL} is missing: run make")
    d = Daemon(tmp_path)
    d.start()
    yield d
    cleanup(d)


@pytest.fixture
def capped_daemon(tmp_path):
    """A daemon whose console logs hold at most 64 KiB."""
    if not RINGCTL.exists():
        pytest.skip(f"{RINGCTL} is missing: run make")
    d = Daemon(tmp_path, ["--console-log-max", "64K"])
    d.start()
    yield d
    cleanup(d)


class Follower:
    """GET console?follow=1 read by a thread: the decoded stream so far."""

    def __init__(self, daemon, name, query="follow=1&bytes=0"):
        self.conn = UnixHTTPConnection(daemon.sock, timeout=60)
        self.conn.request("GET", f"/v1/vms/{name}/console?{query}")
        self.resp = self.conn.getresponse()
        self.data = b""
        self.ended = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                b = self.resp.read1(65536)
            except (http.client.HTTPException, OSError):
                break  # the daemon went away mid-stream
            if not b:
                break
            self.data += b
        self.ended = True

    def wait_for(self, text, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if text.encode() in self.data:
                return
            time.sleep(0.02)
        raise AssertionError(f"{text!r} never came: {self.data[-2000:]!r}")

    def wait_end(self, timeout=10):
        self.thread.join(timeout)
        assert self.ended, self.data[-2000:]

    def close(self):
        self.conn.close()


def send_input(daemon, name, data):
    st, body = daemon.call("POST", f"/v1/vms/{name}/console/input", raw=data,
                           headers={"Content-Type": "application/octet-stream"})
    assert st == 200 and body["written"] == len(data), (st, body)


def test_version_health_and_socket_mode(daemon):
    st, v = daemon.call("GET", "/v1/version")
    assert st == 200 and v["api_version"] == 1 and v["version"]
    st, h = daemon.call("GET", "/v1/health")
    assert st == 200 and h["status"] == "ok"
    mode = stat.S_IMODE(os.stat(daemon.sock).st_mode)
    assert mode == 0o600, oct(mode)
    r = daemon.ctl("version")
    assert r.returncode == 0 and '"api_version"' in r.stdout, r.stderr


def bad(daemon, method, path, status, field="any", **kw):
    st, body = daemon.call(method, path, **kw)
    assert st == status, (method, path, kw, st, body)
    assert "error" in body and body["error"]["message"], body
    if field != "any":
        assert body["error"]["field"] == field, body
    return body["error"]["message"]


def test_bad_input(daemon):
    hello = prog(USERLAND, "hello")
    bad(daemon, "POST", "/v1/vms", 400, None, raw="{not json")
    bad(daemon, "POST", "/v1/vms", 400, None, raw="[1,2]")
    bad(daemon, "POST", "/v1/vms", 400, None, raw='{"name":"a"} trailing')
    bad(daemon, "POST", "/v1/vms", 400, "colour", body={"name": "a", "program": hello, "colour": 1})
    bad(daemon, "POST", "/v1/vms", 400, "name", body={"program": hello})
    bad(daemon, "POST", "/v1/vms", 400, "name", body={"name": "no/slash", "program": hello})
    bad(daemon, "POST", "/v1/vms", 400, "cpus", body={"name": "a", "program": hello, "cpus": "2"})
    bad(daemon, "POST", "/v1/vms", 400, "cpus", body={"name": "a", "program": hello, "cpus": 1e300})
    bad(daemon, "POST", "/v1/vms", 400, "cpus", body={"name": "a", "program": hello, "cpus": 65})
    m = bad(daemon, "POST", "/v1/vms", 400, "mem", body={"name": "a", "program": hello, "mem": "1G3"})
    assert "mem" in m
    bad(daemon, "POST", "/v1/vms", 400, "mem", body={"name": "a", "program": hello, "mem": "1T"})
    bad(daemon, "POST", "/v1/vms", 400, "mem", body={"name": "a", "program": hello, "mem": "9M"})
    bad(daemon, "POST", "/v1/vms", 400, "args[0]", body={"name": "a", "program": hello, "args": [1]})
    bad(daemon, "POST", "/v1/vms", 400, "program", body={"name": "a", "program": "hello"})
    bad(daemon, "POST", "/v1/vms", 400, "disks", body={"name": "a", "program": hello,
                                                     "disks": ["/x,bogus"]})
    # An oversized body is refused from its Content-Length, before it is sent.
    s = socket.socket(socket.AF_UNIX)
    s.connect(daemon.sock)
    s.sendall(b"POST /v1/vms HTTP/1.1\r\nContent-Length: 65537\r\n\r\n")
    reply = s.recv(4096)
    assert b" 413 " in reply.split(b"\r\n")[0] and b"too large" in reply, reply
    s.close()
    bad(daemon, "GET", "/v1/nothing", 404)
    bad(daemon, "GET", "/v1/vms/nobody", 404)
    bad(daemon, "PUT", "/v1/vms", 405)
    bad(daemon, "DELETE", "/v1/version", 405)
    bad(daemon, "POST", "/v1/vms/nobody/pause", 404)
    # Oversized headers, and garbage that is not HTTP at all: answered, then closed.
    s = socket.socket(socket.AF_UNIX)
    s.connect(daemon.sock)
    s.sendall(b"GET /v1/version HTTP/1.1\r\nX: " + b"a" * 10000 + b"\r\n\r\n")
    assert b" 431 " in s.recv(4096).split(b"\r\n")[0]
    s.close()
    s = socket.socket(socket.AF_UNIX)
    s.connect(daemon.sock)
    s.sendall(b"\x00\x01garbage\r\n\r\n")
    assert b" 400 " in s.recv(4096).split(b"\r\n")[0]
    s.close()
    # Still serving.
    assert daemon.call("GET", "/v1/health")[0] == 200


def test_slow_client_blocks_nobody(daemon):
    slow = socket.socket(socket.AF_UNIX)
    slow.connect(daemon.sock)
    slow.sendall(b"POST /v1/vms HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"na")
    t = time.time()
    st, _ = daemon.call("GET", "/v1/health")
    assert st == 200 and time.time() - t < 1.0
    slow.close()


@needs_kvm
def test_five_vms_lifecycle(daemon):
    clock = prog(PROGS, "clock")
    programs = {
        "clk": [clock, "3000"],
        "long1": [clock, "60000"],
        "long2": [clock, "60000"],
        "primes": [prog(USERLAND, "primes")],
        "hello": [prog(USERLAND, "hello")],
    }
    for name, argv in programs.items():
        st, v = daemon.call("POST", "/v1/vms", {"name": name, "program": argv[0], "args": argv[1:]})
        assert st == 201, v
        assert v["state"] == "running" and v["pid"] > 0
    st, v = daemon.call("POST", "/v1/vms", {"name": "clk", "program": clock})
    assert st == 409 and "already exists" in v["error"]["message"]

    st, body = daemon.call("GET", "/v1/vms")
    assert st == 200 and sorted(v["name"] for v in body["vms"]) == sorted(programs)
    r = daemon.ctl("list")
    assert r.returncode == 0 and all(n in r.stdout for n in programs), r.stderr

    # Pause clk for 2 s while it sleeps 3 s: its monotonic clock must not count the pause.
    time.sleep(0.3)
    t0 = time.time()
    st, v = daemon.call("POST", "/v1/vms/clk/pause")
    assert st == 200 and v["state"] == "paused", v
    st, v = daemon.call("POST", "/v1/vms/clk/pause")
    assert st == 409 and "paused" in v["error"]["message"]
    time.sleep(2)
    st, v = daemon.call("POST", "/v1/vms/clk/resume")
    assert st == 200 and v["state"] == "running", v
    v = daemon.wait_state("clk", ["exited"])
    assert v["exit_status"] == 0 and time.time() - t0 > 3.5
    st, out = daemon.call("GET", "/v1/vms/clk/console")
    slept = float(re.search(r"slept_ms ([0-9.]+)", out).group(1))
    assert 3000 <= slept < 3500, out
    # Pausing an exited VM is a 409 with a message.
    st, v = daemon.call("POST", "/v1/vms/clk/pause")
    assert st == 409 and "exited" in v["error"]["message"]

    # hello and primes end by themselves.
    assert daemon.wait_state("hello", ["exited"])["exit_status"] == 0
    assert daemon.wait_state("primes", ["exited"])["exit_status"] == 0
    r = daemon.ctl("logs", "hello")
    assert r.returncode == 0 and r.stdout, r.stderr

    # kill -9 one VM process: crashed; the other runs on.
    pid = daemon.vm("long1")["pid"]
    os.kill(pid, signal.SIGKILL)
    v = daemon.wait_state("long1", ["crashed"])
    assert "signal 9" in v["reason"] and v["exit_status"] == 137
    assert daemon.vm("long2")["state"] == "running"

    # Graceful stop, and deletes.
    r = daemon.ctl("stop", "long2")
    assert r.returncode == 0, r.stderr
    v = daemon.wait_state("long2", ["stopped"])
    r = daemon.ctl("--json", "show", "long2")
    shown = json.loads(r.stdout)
    assert shown["state"] == "stopped" and shown["pid"] is None and shown["exit_status"] == 143
    for name in programs:
        r = daemon.ctl("rm", name)
        assert r.returncode == 0, r.stderr
    assert daemon.call("GET", "/v1/vms")[1]["vms"] == []


@needs_kvm
def test_daemon_kill9_and_readopt(daemon):
    clock = prog(PROGS, "clock")
    for name in ("a", "b", "c"):
        r = daemon.ctl("create", name, "--mem", "32M", "--", clock, "60000")
        assert r.returncode == 0, r.stderr
    r = daemon.ctl("create", "short", "--", prog(USERLAND, "hello"))
    assert r.returncode == 0, r.stderr
    daemon.wait_state("short", ["exited"])
    assert daemon.call("POST", "/v1/vms/b/pause")[0] == 200
    pids = {n: daemon.vm(n)["pid"] for n in ("a", "b", "c")}

    daemon.proc.kill()
    daemon.proc.wait()
    # While the daemon is down: one VM ends cleanly, one is killed.
    os.kill(pids["c"], signal.SIGKILL)
    os.kill(pids["a"], signal.SIGTERM)
    time.sleep(0.5)
    daemon.start()

    st, body = daemon.call("GET", "/v1/vms")
    states = {v["name"]: v for v in body["vms"]}
    assert sorted(states) == ["a", "b", "c", "short"]
    assert states["short"]["state"] == "exited" and states["short"]["exit_status"] == 0
    assert states["a"]["state"] == "exited" and states["a"]["exit_status"] == 143
    assert states["b"]["state"] == "paused" and states["b"]["pid"] == pids["b"]
    assert states["c"]["state"] == "crashed" and states["c"]["exit_status"] is None
    # The re-adopted VM is still controlled and supervised.
    assert daemon.call("POST", "/v1/vms/b/resume")[0] == 200
    r = daemon.ctl("stop", "b", "--force")
    assert r.returncode == 0, r.stderr
    v = daemon.wait_state("b", ["stopped"])
    assert v["pid"] is None


@needs_kvm
def test_console_follow_and_input(daemon):
    rsh = prog(USERLAND, "rsh")
    st, v = daemon.call("POST", "/v1/vms", {"name": "sh", "program": rsh, "interactive": True})
    assert st == 201 and v["config"]["interactive"] and not v["config"]["tty"], v
    st, v = daemon.call("POST", "/v1/vms", {"name": "mute", "program": rsh})
    assert st == 201 and v["config"]["interactive"] is False, v
    f = Follower(daemon, "sh")
    assert f.resp.status == 200 and f.resp.getheader("Transfer-Encoding") == "chunked"
    send_input(daemon, "sh", b"echo marker-one\n")
    f.wait_for("marker-one\n")
    # A follower holds up nobody: the daemon answers others at once.
    t = time.time()
    assert daemon.call("GET", "/v1/health")[0] == 200 and time.time() - t < 0.5
    # Input is refused where it cannot go; bad query values are 400.
    st, body = daemon.call("POST", "/v1/vms/mute/console/input", raw=b"x\n")
    assert st == 409 and "interactive" in body["error"]["message"], body
    bad(daemon, "GET", "/v1/vms/sh/console?follow=maybe", 400, "follow")
    bad(daemon, "GET", "/v1/vms/sh/console/input", 405)
    # The mute VM read /dev/null: its shell saw the end of input and left.
    assert daemon.wait_state("mute", ["exited"])["exit_status"] == 0

    # kill -9 of the daemon: the VM keeps its console; the new daemon writes
    # to the same FIFO and streams the same log.
    daemon.proc.kill()
    daemon.proc.wait()
    f.wait_end()
    f.close()
    daemon.start()
    f = Follower(daemon, "sh", "follow=true&bytes=4096")
    f.wait_for("marker-one\n")  # the replayed tail
    send_input(daemon, "sh", b"echo marker-two\nexit 5\n")
    f.wait_for("marker-two\n")
    # The VM ends: so does the stream (the last chunk), after all output.
    f.wait_end()
    f.close()
    assert daemon.wait_state("sh", ["exited"])["exit_status"] == 5
    st, body = daemon.call("POST", "/v1/vms/sh/console/input", raw=b"x")
    assert st == 409, body
    # Following an ended VM gives its log and ends.
    f = Follower(daemon, "sh", "follow=1&bytes=100")
    f.wait_end()
    assert b"marker-two" in f.data
    f.close()


@needs_kvm
def test_ringctl_console_pipe(daemon):
    rsh = prog(USERLAND, "rsh")
    r = daemon.ctl("create", "sh", "-i", "--", rsh)
    assert r.returncode == 0, r.stderr
    # Input to its end, then output until it settles: the VM stays.
    t = time.time()
    r = daemon.ctl("console", "sh", input="echo piped-one\n")
    assert r.returncode == 0 and "piped-one\n" in r.stdout, (r.stdout, r.stderr)
    assert time.time() - t < 10 and daemon.vm("sh")["state"] == "running"
    # Ctrl-] in the input detaches at once; what came before it is sent.
    r = daemon.ctl("console", "sh", input="echo piped-two\n\x1decho never\n")
    assert r.returncode == 0, r.stderr
    assert daemon.vm("sh")["state"] == "running"
    # The VM ending ends the attach; --bytes replays the recent output.
    r = daemon.ctl("console", "sh", "--bytes", "65536", input="exit 4\n")
    assert r.returncode == 0 and "piped-two" in r.stdout and "never" not in r.stdout, r.stdout
    assert daemon.wait_state("sh", ["exited"])["exit_status"] == 4
    r = daemon.ctl("logs", "sh", "--follow")
    assert r.returncode == 0 and "piped-one" in r.stdout, r.stderr
    r = daemon.ctl("console", "nobody")
    assert r.returncode == 1 and "no VM named" in r.stderr


@needs_kvm
def test_ringctl_console_terminal(daemon):
    rsh = prog(USERLAND, "rsh")
    r = daemon.ctl("create", "tty", "-i", "-t", "--", rsh)
    assert r.returncode == 0, r.stderr
    end = time.time() + 10  # its prompt first: the echo below then comes in order
    while "rsh$ " not in daemon.call("GET", "/v1/vms/tty/console")[1] and time.time() < end:
        time.sleep(0.05)
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)
    p = subprocess.Popen([str(RINGCTL), "--socket", daemon.sock, "console", "tty"],
                         stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    out = b""

    def read_until(text, timeout=10):
        nonlocal out
        end = time.time() + timeout
        while text not in out and time.time() < end:
            if not select.select([master], [], [], max(0, end - time.time()))[0]:
                break
            try:
                out += os.read(master, 4096)
            except OSError:
                break
        assert text in out, out

    try:
        read_until(b"Ctrl-] detaches")
        # Keys as typed (Enter is CR): the guest echoes and edits the line.
        os.write(master, b"echo tty-marker\r")
        read_until(b"echo tty-marker\r\ntty-marker\r\nrsh$ ")
        assert termios.tcgetattr(slave)[3] & termios.ECHO == 0  # raw while attached
        os.write(master, b"\x1d")
        assert p.wait(timeout=10) == 0
        read_until(b"detached")
    finally:
        if p.poll() is None:
            p.kill()
    # The terminal is as it was, and the VM runs on.
    assert termios.tcgetattr(slave) == before
    os.close(master)
    os.close(slave)
    assert daemon.vm("tty")["state"] == "running"


@needs_kvm
def test_console_log_cap(capped_daemon):
    d = capped_daemon
    lines = prog(PROGS, "linesbench")
    st, v = d.call("POST", "/v1/vms", {"name": "chatty", "program": lines, "args": ["60000"]})
    assert st == 201, v
    f = Follower(d, "chatty", "follow=1&bytes=1048576")
    log = os.path.join(d.state, "vms", "chatty", "console.log")
    peak = 0
    while d.vm("chatty")["state"] == "running":
        peak = max(peak, os.path.getsize(log))
        time.sleep(0.02)
    assert d.vm("chatty")["exit_status"] == 0
    size = os.path.getsize(log)
    # About 660 KB written; the file never held much more than its cap.
    assert size <= 64 * 1024 and peak <= 256 * 1024, (size, peak)
    st, text = d.call("GET", "/v1/vms/chatty/console")
    assert "line 59999\n" in text and "line 0\n" not in text
    # The follower got the newest output and its stream ended with the VM.
    f.wait_end(20)
    assert b"line 59999\n" in f.data
    f.close()
    r = subprocess.run([str(RINGVISOR), "serve", "--console-log-max", "1K"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 2 and "console-log-max" in r.stderr


@needs_kvm
def test_stopped_vm_process_blocks_nobody(daemon):
    clock = prog(PROGS, "clock")
    for name in ("hung", "fine"):
        st, v = daemon.call("POST", "/v1/vms", {"name": name, "program": clock, "args": ["60000"]})
        assert st == 201, v
    pid = daemon.vm("hung")["pid"]
    os.kill(pid, signal.SIGSTOP)
    try:
        result = {}

        def pause():
            t = time.time()
            result["reply"] = daemon.call("POST", "/v1/vms/hung/pause")
            result["s"] = time.time() - t

        th = threading.Thread(target=pause)
        th.start()
        time.sleep(0.2)
        # While the hung VM's answer is awaited, everyone else is served.
        for method, path in [("GET", "/v1/health"), ("GET", "/v1/vms"),
                             ("POST", "/v1/vms/fine/pause"), ("POST", "/v1/vms/fine/resume")]:
            t = time.time()
            st, body = daemon.call(method, path)
            assert st == 200 and time.time() - t < 0.5, (path, st, body)
        st, body = daemon.call("POST", "/v1/vms/hung/pause")
        assert st == 409 and "hung" in body["error"]["message"], body
        th.join(10)
        st, body = result["reply"]
        assert st == 504 and "did not answer" in body["error"]["message"], body
        assert 1.5 < result["s"] < 3.5, result
    finally:
        os.kill(pid, signal.SIGCONT)
    # Once it runs again the daemon learns its real state (running: the
    # abandoned pause was not carried out) and controls it as before.
    end = time.time() + 10
    while True:
        st, body = daemon.call("POST", "/v1/vms/hung/pause")
        if st == 200 or time.time() > end:
            break
        assert st == 409, body
        time.sleep(0.1)
    assert st == 200 and body["state"] == "paused", body
    st, body = daemon.call("POST", "/v1/vms/hung/resume")
    assert st == 200 and body["state"] == "running", body


def test_socket_group_and_other_uid(tmp_path):
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to act as another uid")
    if not RINGCTL.exists():
        pytest.skip(f"{RINGCTL} is missing: run make")
    # A directory anyone may enter: only the socket's own mode decides.
    sockdir = tempfile.mkdtemp(prefix="rv-sock-")
    os.chmod(sockdir, 0o755)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
              "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
              "s.sendall(b'GET /v1/health HTTP/1.1\\r\\nConnection: close\\r\\n\\r\\n'); "
              "print(s.recv(100).decode().split()[1])"]
    try:
        for group in (None, "nogroup"):
            sock = os.path.join(sockdir, f"rv-{group}.sock")
            d = Daemon(tmp_path, ["--group", group] if group else [], sock=sock)
            d.start()
            try:
                st = os.stat(sock)
                r = subprocess.run(nobody + [sock], capture_output=True, text=True, timeout=10)
                if group:
                    assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == 65534, oct(st.st_mode)
                    assert r.returncode == 0 and r.stdout.strip() == "200", r.stderr
                else:
                    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
                    assert r.returncode != 0 and "PermissionError" in r.stderr, r.stderr
                    assert "Permission denied" in r.stderr
            finally:
                d.stop()
    finally:
        shutil.rmtree(sockdir, ignore_errors=True)
