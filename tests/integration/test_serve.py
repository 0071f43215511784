# SPDX-License-Identifier: MIT
"""`ringvisor serve` and `ringctl`: the daemon on a temporary socket and state
directory, driven over HTTP (http.client on the UNIX socket) and with ringctl:
five VMs, pause/resume against the guest clock, stop, delete, a kill -9'd VM
process, a kill -9'd daemon that restarts and re-adopts, bad input, a slow
client, and the socket's mode."""
import http.client
import json
import os
import re
import signal
import socket
import stat
import subprocess
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
    def __init__(self, tmp):
        self.sock = str(tmp / "rv.sock")
        self.state = str(tmp / "state")
        self.log = open(tmp / "daemon.log", "ab")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([str(RINGVISOR), "serve", "--socket", self.sock,
                                      "--state-dir", self.state],
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

    def ctl(self, *args):
        return subprocess.run([str(RINGCTL), "--socket", self.sock, *args], capture_output=True,
                              text=True, timeout=30, stdin=subprocess.DEVNULL)

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


@pytest.fixture
def daemon(tmp_path):
    if not RINGCTL.exists():
        pytest.skip(f"{RINGCTL} is missing: run make")
    d = Daemon(tmp_path)
    d.start()
    yield d
    # Leave nothing running: the VM processes outlive the daemon by design.
    try:
        st, body = d.call("GET", "/v1/vms")
        for v in body.get("vms", []) if st == 200 else []:
            if v["pid"]:
                os.kill(v["pid"], signal.SIGKILL)
    except OSError:
        pass
    d.stop()


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
