# SPDX-License-Identifier: MIT
"""Unmodified static musl programs under `ringvisor exec` (tests/progs and the
userland demos): output, exit status, signals, ^C through a pty, the clock
against host time; and the demo shell behind `ringvisor run`."""
import calendar
import os
import pty
import re
import select
import signal
import subprocess
import time

import pytest

from conftest import BUILD, needs_kvm

pytestmark = needs_kvm

RINGVISOR = BUILD / "ringvisor"
PROGS = BUILD / "progs"
USERLAND = BUILD / "userland"
TIMEOUT = 30


def _exec_unavailable():
    """Why `ringvisor exec` cannot be used, or None."""
    if not RINGVISOR.exists():
        return f"{RINGVISOR} is missing: run make"
    try:
        r = subprocess.run([str(RINGVISOR), "exec", "--help"], capture_output=True,
                           timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"ringvisor exec --help: {e}"
    if r.returncode != 0:
        return "ringvisor exec is not implemented yet (exec --help failed)"
    return None


EXEC_REASON = _exec_unavailable()
needs_exec = pytest.mark.skipif(EXEC_REASON is not None, reason=EXEC_REASON or "")



def binary(directory, name):
    path = directory / name
    if not path.exists():
        pytest.skip(f"{path} is missing: run make progs userland")
    return str(path)


def prog(name):
    return binary(PROGS, name)


def tool(name):
    return binary(USERLAND, name)


def rexec(program, *args, opts=(), stdin="", timeout=TIMEOUT, env=None):
    """Run (program) with (args) under `ringvisor exec (opts)`, feeding
    (stdin); returns the CompletedProcess. A hang fails the test."""
    cmd = [str(RINGVISOR), "exec", *opts, program, *args]
    try:
        r = subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                           timeout=timeout, env=env, errors="replace")
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(cmd)} did not finish within {timeout} s")
    return r


def lines(text):
    return [l.rstrip("\r") for l in text.split("\n")]


def show(r):
    return f"status {r.returncode}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"


def assert_success(r):
    """The self-checking programs print SUCCESS and exit 0."""
    assert "SUCCESS" in lines(r.stdout) and "FAIL" not in r.stdout, show(r)
    assert r.returncode == 0, show(r)


def values(text, key):
    """Every number printed on a line 'KEY NUMBER'."""
    return [float(m) for m in re.findall(rf"^{key} ([0-9.]+)\r?$", text, re.M)]


# --- the test programs -------------------------------------------------------

@needs_exec
def test_hello():
    r = rexec(tool("hello"))
    assert "Hello from ringos!" in lines(r.stdout), show(r)
    assert r.returncode == 0, show(r)


@needs_exec
def test_args_env_auxv():
    argv = ["one", "", "two words", "caf\u00e9", "--flag=x", ""]
    env_given = ["FOO=bar", "EMPTY=", "SPACES=a b c"]
    opts = [x for kv in env_given for x in ("--env", kv)]
    # Anything in the host environment must stay out of the guest.
    host_env = dict(os.environ, RINGVISOR_LEAK_CHECK="leaked")
    program = prog("args")
    r = rexec(program, *argv, opts=opts, env=host_env)
    out = lines(r.stdout)
    assert f"argc={len(argv) + 1}" in out, show(r)
    assert f"argv[0]={program}" in out, show(r)
    for i, a in enumerate(argv, 1):
        assert f"argv[{i}]={a}" in out, show(r)
    env_seen = [l.split("=", 1)[1] for l in out if re.match(r"env\[\d+\]=", l)]
    assert env_seen == env_given, show(r)
    assert f"nenv={len(env_given)}" in out, show(r)
    assert_success(r)


@needs_exec
@pytest.mark.parametrize("status", [0, 1, 42, 255])
def test_exit_status(status):
    r = rexec(prog("exit_status"), str(status))
    assert f"exiting with {status}" in lines(r.stdout), show(r)
    assert r.returncode == status, show(r)


@needs_exec
def test_segv_is_139():
    r = rexec(prog("segv"))
    assert "writing to NULL" in lines(r.stdout), show(r)
    assert "FAIL" not in r.stdout, show(r)
    assert r.returncode == 128 + signal.SIGSEGV, show(r)


@needs_exec
def test_malloc_stress():
    assert_success(rexec(prog("malloc_stress")))


@needs_exec
def test_files(tmp_path):
    content = "hello from the host, via --add"
    src = tmp_path / "input.txt"
    src.write_text(content)
    r = rexec(prog("files"), "/data/input.txt", content,
              opts=["--add", f"{src}:/data/input.txt"])
    assert "input: /data/input.txt ok" in lines(r.stdout), show(r)
    assert_success(r)


@needs_exec
def test_devices_and_cwd():
    r = rexec(prog("devices"))
    out = lines(r.stdout)
    assert "exe=/bin/devices" in out, show(r)
    assert "cwd=/" in out, show(r)
    assert_success(r)


@needs_exec
def test_fork_pipe():
    r = rexec(prog("fork_pipe"))
    assert any(l.startswith("child: writing 'hello from child ") for l in lines(r.stdout)), show(r)
    assert any(l.startswith("parent: read 'hello from child ") for l in lines(r.stdout)), show(r)
    assert_success(r)


@needs_exec
def test_cow():
    assert_success(rexec(prog("cow")))


@needs_exec
def test_cow_cases():
    """fork's copy-on-write: both sides writing, three sharers, brk, mmap,
    stack, MAP_SHARED, munmap/mprotect/execve in the child, no page leaked."""
    assert_success(rexec(prog("cow_cases"), opts=["--mem", "128M"]))


@needs_exec
def test_bad_pointers_give_efault():
    """NULL, kernel, non-canonical, past-the-end and unmapped pointers to
    ~40 system calls: EFAULT every time, and ringos keeps running."""
    assert_success(rexec(prog("efault")))


@needs_exec
def test_exec():
    r = rexec(prog("exec"), "/bin/hello", opts=["--add", f"{tool('hello')}:/bin/hello"])
    out = lines(r.stdout)
    assert "child ok; now execve /bin/hello" in out, show(r)
    # Once from the forked child, once after replacing process 1 itself.
    assert out.count("Hello from ringos!") == 2, show(r)
    assert "FAIL" not in r.stdout and r.returncode == 0, show(r)


@needs_exec
@pytest.mark.parametrize("cpus", [1, 2])
def test_pthreads(cpus):
    r = rexec(prog("pthreads"), opts=["--cpus", str(cpus)])
    assert "counter=400000" in lines(r.stdout), show(r)
    assert_success(r)


def parallel_stats(stdout):
    """(thread wall-time ratio, thread overlap, process ratio) from a
    tests/progs/parallel run, or None if it printed no numbers."""
    t = re.search(r"^threads: .*ratio ([0-9.]+)$", stdout, re.M)
    o = re.search(r"^overlap: ([0-9.]+)$", stdout, re.M)
    p = re.search(r"^processes: .*ratio ([0-9.]+)$", stdout, re.M)
    if not (t and o and p):
        return None
    return float(t.group(1)), float(o.group(1)), float(p.group(1))


@needs_exec
@pytest.mark.parametrize("cpus", [1, 4])
def test_parallel_runs_on_any_cpu_count(cpus):
    """The parallel program is correct with one vCPU and with more vCPUs than
    the host has cores."""
    r = rexec(prog("parallel"), "300", opts=["--cpus", str(cpus)])
    assert_success(r)
    assert parallel_stats(r.stdout), show(r)


@needs_exec
def test_two_cpus_run_two_threads_at_once():
    """With --cpus 2, two CPU-bound threads run at the same time: each sees
    the other make progress during its own steps, and the pair takes much
    less than twice as long as one (loosely: the host has 2 noisy cores).
    The same binary runs natively first: if the host itself cannot run two
    threads at once right now, nothing can be concluded."""
    runs = []
    for _ in range(3):
        host = subprocess.run([prog("parallel"), "300"], capture_output=True, text=True,
                              timeout=TIMEOUT)
        r = rexec(prog("parallel"), "300", opts=["--cpus", "2"])
        assert_success(r)
        guest, native = parallel_stats(r.stdout), parallel_stats(host.stdout)
        assert guest and native, show(r) + host.stdout
        runs.append((guest, native))
        ratio, overlap, proc_ratio = guest
        if overlap > 0.5 and min(ratio, proc_ratio) < 1.6:
            return
    if all(native[1] < 0.5 for _, native in runs):
        pytest.skip(f"the host is too busy to run two threads at once: {runs}")
    pytest.fail(f"no parallel speed-up on --cpus 2 ((ratio, overlap, process ratio) "
                f"guest vs native): {runs}")


@needs_exec
@pytest.mark.parametrize("cpus", [1, 2])
def test_mprotect_stops_writers_on_other_cpus(cpus):
    """A thread writing a page on another CPU faults as soon as mprotect()
    returns (the TLB shootdown)."""
    assert_success(rexec(prog("shootdown"), opts=["--cpus", str(cpus)]))


@needs_exec
def test_signals():
    r = rexec(prog("signals"))
    for part in ("sigchld", "sigsegv", "sigpipe", "kill/raise"):
        assert f"{part}: ok" in lines(r.stdout), show(r)
    assert_success(r)


class Terminal:
    """ringvisor ARGS on a pseudo-terminal, as a user at a shell runs it."""

    def __init__(self, *args):
        self.out = b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execv(str(RINGVISOR), [str(RINGVISOR), *args])
            finally:
                os._exit(127)

    def read_until(self, marker, seconds):
        """Read until (marker) appears or (seconds) pass; True if it did."""
        deadline = time.monotonic() + seconds
        while marker not in self.out and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: the other side is gone
                    return False
                if not chunk:
                    return False
                self.out += chunk
        return marker in self.out

    def type(self, keys):
        os.write(self.fd, keys)

    def status(self, seconds):
        """ringvisor's exit status, draining its output meanwhile; None on timeout."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            done, ws = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(ws)
            self.read_until(b"\0never", 0.05)
        return None

    def text(self):
        return self.out.decode(errors="replace")

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


@needs_exec
def test_ctrl_c_reaches_the_program():
    """^C typed on ringvisor's terminal becomes SIGINT in the guest, and does
    not kill ringvisor itself."""
    t = Terminal("exec", prog("sigint"))
    try:
        assert t.read_until(b"READY", TIMEOUT), t.text()
        t.type(b"\x03")
        assert t.read_until(b"GOT SIGINT", 10), t.text()
        status = t.status(TIMEOUT)
        assert status == 0, f"status {status}\n{t.text()}"
    finally:
        t.close()


@needs_exec
def test_clock_against_host():
    host_start = time.time()
    r = rexec(prog("clock"), "1000")
    host_end = time.time()
    assert_success(r)
    (guest_start,) = values(r.stdout, "realtime")
    (guest_end,) = values(r.stdout, "realtime_end")
    (slept_ms,) = values(r.stdout, "slept_ms")
    # The guest's wall clock reads the host's, to well under a second.
    slack = 0.25
    assert host_start - slack <= guest_start <= guest_end <= host_end + slack, \
        f"host {host_start:.3f}..{host_end:.3f}\n" + show(r)
    # A 1 s sleep, timed by the guest's CLOCK_MONOTONIC, within 5 %...
    assert 1000 <= slept_ms <= 1050, show(r)
    # ...and the guest's second is not shorter than the host's.
    assert host_end - host_start >= 0.95 * slept_ms / 1000, show(r)


@needs_exec
def test_cpu_bound_child_does_not_starve_a_sleeper():
    r = rexec(prog("cpu_and_interactive"))
    assert_success(r)


@needs_exec
def test_unknown_syscall_is_enosys():
    assert_success(rexec(prog("enosys")))


# --- the userland demos ------------------------------------------------------

@needs_exec
def test_uname():
    r = rexec(tool("uname"), "-a")
    assert r.returncode == 0 and "x86_64" in r.stdout, show(r)


@needs_exec
def test_sysinfo_sees_cpus_and_memory():
    r = rexec(tool("sysinfo"), opts=["--cpus", "2", "--mem", "128M"])
    assert r.returncode == 0, show(r)
    assert "cpus:      2 online, 2 configured" in lines(r.stdout), show(r)
    total = re.search(r"^memory: +(\d+) KiB total", r.stdout, re.M)
    assert total and 64 * 1024 < int(total.group(1)) <= 128 * 1024, show(r)


@needs_exec
def test_primes():
    r = rexec(tool("primes"), "100000")
    assert r.returncode == 0, show(r)
    assert "9592 primes below 100000 (largest 99991)" in r.stdout, show(r)


@needs_exec
def test_threads_demo():
    r = rexec(tool("threads"), opts=["--cpus", "2"])
    assert "total 4000000 (expected 4000000)" in lines(r.stdout), show(r)
    assert r.returncode == 0, show(r)


@needs_exec
def test_ls_and_cat(tmp_path):
    src = tmp_path / "note.txt"
    src.write_text("twelve bytes")
    hello = tool("hello")
    r = rexec(tool("ls"), "-l", "/", "/bin", "/etc",
              opts=["--add", f"{src}:/etc/note.txt", "--add", f"{hello}:/bin/hello"])
    out = r.stdout
    assert re.search(r"^d\S+ +\d+ bin\r?$", out, re.M), show(r)
    assert re.search(r"^d\S+ +\d+ tmp\r?$", out, re.M), show(r)
    assert re.search(rf"^-\S+ +{os.path.getsize(hello)} hello\r?$", out, re.M), show(r)
    assert re.search(r"^-\S+ +12 note.txt\r?$", out, re.M), show(r)
    assert r.returncode == 0, show(r)

    r = rexec(tool("cat"), "/etc/note.txt", opts=["--add", f"{src}:/etc/note.txt"])
    assert "twelve bytes" in r.stdout and r.returncode == 0, show(r)


@needs_exec
def test_date_matches_host():
    r = rexec(tool("date"))
    host = time.time()
    assert r.returncode == 0, show(r)
    m = re.search(r"^\w{3} (\w{3} +\d+ \d\d:\d\d:\d\d) UTC (\d{4})\r?$", r.stdout, re.M)
    assert m, show(r)
    guest = calendar.timegm(time.strptime(f"{m.group(1)} {m.group(2)}", "%b %d %H:%M:%S %Y"))
    assert abs(guest - host) < 10, show(r)


# --- the shell ---------------------------------------------------------------

RSH_SCRIPT = """\
echo hi
hello
echo abc | cat | cat
echo one > /tmp/f; echo two >> /tmp/f; cat < /tmp/f
nosuch; echo status=$?
cd /tmp; pwd
exit 3
echo not reached
"""


@needs_exec
def test_rsh_script():
    opts = []
    for name in ("hello", "cat"):
        opts += ["--add", f"{tool(name)}:/bin/{name}"]
    r = rexec(tool("rsh"), opts=opts, stdin=RSH_SCRIPT)
    out = r.stdout.replace("rsh$ ", "")
    for want in ("hi", "Hello from ringos!", "abc", "one", "two",
                 "rsh: nosuch: command not found", "status=127", "/tmp"):
        assert want in lines(out), show(r)
    assert "not reached" not in out, show(r)
    assert r.returncode == 3, show(r)


def test_demo_shell_non_interactive():
    """`ringvisor run` with no arguments boots the demo archive: rsh plus the
    demo programs, reading commands from the piped stdin."""
    if not RINGVISOR.exists():
        pytest.skip(f"{RINGVISOR} is missing: run make")
    try:
        r = subprocess.run([str(RINGVISOR), "run"], input="echo hi\nhello\nexit 3\n",
                           capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ringvisor run did not finish within {TIMEOUT} s")
    out = lines(r.stdout.replace("rsh$ ", ""))
    assert "hi" in out and "Hello from ringos!" in out, show(r)
    assert r.returncode == 3, show(r)


def test_demo_shell_on_a_terminal():
    """The README's main job: `ringvisor run` on a terminal. Every key is
    echoed as it is typed (not one key late), programs run, `exit N` ends
    ringvisor with status N."""
    if not RINGVISOR.exists():
        pytest.skip(f"{RINGVISOR} is missing: run make")
    t = Terminal("run")
    try:
        assert t.read_until(b"rsh$ ", TIMEOUT), t.text()
        typed = b""
        for key in b"hello":
            typed += bytes([key])
            t.type(bytes([key]))
            assert t.read_until(b"rsh$ " + typed, 5), f"key {chr(key)!r} not echoed:\n{t.text()}"
        t.type(b"\r")
        assert t.read_until(b"Hello from ringos!", 10), t.text()
        t.type(b"primes 1000\r")
        assert t.read_until(b"168 primes below 1000", 10), t.text()
        t.type(b"exit 4\r")
        status = t.status(10)
        assert status == 4, f"status {status}\n{t.text()}"
    finally:
        t.close()


@needs_exec
@pytest.mark.parametrize("mode,status,line", [
    ("handle", 7, "cleaned up after SIGTERM"),  # the program's own handler runs
    ("default", 128 + 15, None),                # killed by SIGTERM in the guest
    ("ignore", 128 + 15, None),                 # the host stops it after its grace
])
def test_sigterm_is_a_graceful_shutdown(mode, status, line):
    """SIGTERM to ringvisor asks the guest to shut down (RV_FEAT_SHUTDOWN):
    ringos passes SIGTERM to its programs and powers off when process 1 ends;
    a guest that ignores it is stopped after 5 s."""
    p = subprocess.Popen([str(RINGVISOR), "exec", prog("sigterm"), mode], text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert p.stdout.readline().strip() == "READY"
        start = time.monotonic()
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=15)
        took = time.monotonic() - start
    finally:
        p.kill()
        p.wait()
    assert p.returncode == status, f"status {p.returncode}\n{out}\n{err}"
    assert "not stopped" not in out
    if line:
        assert line in out, out
    if mode == "ignore":
        assert took >= 4.5, f"stopped after {took:.1f} s, before the grace period"
    else:
        assert took < 4, f"took {took:.1f} s"
