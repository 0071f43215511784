// SPDX-License-Identifier: MIT
/*
 * VM processes: start one per VM (`ringvisor exec|run --control-dir`), in its
 * own session so no signal meant for the daemon reaches it; watch it through
 * a pidfd, which also works for processes adopted after a daemon restart;
 * stop it; and talk to it over its control channel.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/vmconfig.h"
#include "vmm/core/control.h"

#define CTL_TIMEOUT_MS 2000

static void set_state(struct vmrec *v, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_state(struct vmrec *v, const char *state, const char *fmt, ...)
{
    va_list ap;

    snprintf(v->state, sizeof(v->state), "%s", state);
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
    va_end(ap);
}

int sup_proc_stats(pid_t pid, double *cpu_s, uint64_t *rss, uint64_t *start_ticks)
{
    char path[64], buf[1024], *p;
    unsigned long long utime = 0, stime = 0, start = 0, pages = 0;
    int fd, n;
    long hz = sysconf(_SC_CLK_TCK);

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    n = (int)read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -EIO;
    buf[n] = '\0';
    /* The command name may hold spaces and ')': fields start after the last ')'. */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
                            "%*d %*d %*d %*d %*d %*d %llu", &utime, &stime, &start) != 3)
        return -EIO;
    /* A zombie is dead for our purposes. */
    if (p[2] == 'Z' || p[2] == 'X')
        return -ESRCH;
    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = (int)read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n > 0) {
            buf[n] = '\0';
            sscanf(buf, "%*u %llu", &pages);
        }
    }
    *cpu_s = (double)(utime + stime) / (double)(hz > 0 ? hz : 100);
    *rss = pages * (uint64_t)sysconf(_SC_PAGESIZE);
    *start_ticks = start;
    return 0;
}

int sup_watch(struct daemon *d, struct vmrec *v)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &v->ev };
    int fd = (int)syscall(SYS_pidfd_open, v->pid, 0);

    if (fd < 0)
        return -errno;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int err = -errno;

        close(fd);
        return err;
    }
    v->pidfd = fd;
    return 0;
}

int sup_spawn(struct daemon *d, struct vmrec *v, char *why, size_t why_size)
{
    char dir[4200], log[4200], status[4200];
    char **argv, **owned = NULL;
    sigset_t all;
    double cpu;
    uint64_t rss;
    pid_t pid;
    int logfd, nullfd, err;

    err = vmtable_path(d, v, NULL, dir, sizeof(dir));
    if (!err)
        err = vmtable_path(d, v, "console.log", log, sizeof(log));
    if (!err)
        err = vmtable_path(d, v, CTL_STATUS, status, sizeof(status));
    if (err || strlen(dir) + sizeof(CTL_SOCKET) + 1 > sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(why, why_size, "the state directory path is too long for a UNIX socket");
        return -ENAMETOOLONG;
    }
    unlink(status);
    logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    argv = vmconfig_argv(v->config, d->exe, dir, &owned);
    if (logfd < 0 || nullfd < 0 || !argv) {
        err = errno ? -errno : -ENOMEM;
        snprintf(why, why_size, "cannot prepare the VM process: %s", strerror(-err));
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        err = -errno;
        snprintf(why, why_size, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        /* Its own session: ^C at the daemon's terminal, or a signal to the
         * daemon's process group, never reaches a VM. */
        setsid();
        dup2(nullfd, STDIN_FILENO);
        dup2(logfd, STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        execv(d->exe, argv);
        _exit(127);
    }
    v->pid = pid;
    v->child = true;
    v->has_status = false;
    v->started_ms = now_ms();
    v->ended_ms = 0;
    v->kill_at_ms = 0;
    v->start_ticks = 0;
    sup_proc_stats(pid, &cpu, &rss, &v->start_ticks);
    set_state(v, RV_STATE_RUNNING, "started");
    err = sup_watch(d, v);
    if (err) {
        /* Unwatchable means unsupervised: do not leave it running. */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        v->pid = 0;
        snprintf(why, why_size, "pidfd_open: %s", strerror(-err));
        set_state(v, RV_STATE_CRASHED, "could not be supervised");
    }
out:
    if (logfd >= 0)
        close(logfd);
    if (nullfd >= 0)
        close(nullfd);
    if (argv)
        vmconfig_argv_free(argv, owned);
    return err;
}

static const char *signame(int sig)
{
    const char *s = sigabbrev_np(sig);

    return s ? s : "?";
}

void sup_reap(struct daemon *d, struct vmrec *v)
{
    bool asked = !strcmp(v->state, RV_STATE_STOPPING);
    char path[4200], buf[32];
    int st = 0, fd, got = 0;

    if (v->pidfd >= 0) {
        epoll_ctl(d->epfd, EPOLL_CTL_DEL, v->pidfd, NULL);
        close(v->pidfd);
        v->pidfd = -1;
    }
    if (v->child) {
        if (waitpid(v->pid, &st, WNOHANG) == v->pid)
            got = 1;
    }
    if (!got && !vmtable_path(d, v, CTL_STATUS, path, sizeof(path)) &&
        (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
        /* Not our child (adopted): its status file is all we can know. */
        ssize_t n = read(fd, buf, sizeof(buf) - 1);

        close(fd);
        if (n > 0) {
            buf[n] = '\0';
            st = W_EXITCODE(atoi(buf) & 0xff, 0);
            got = 1;
        }
    }
    v->ended_ms = now_ms();
    v->kill_at_ms = 0;
    v->pid = 0;
    v->child = false;
    if (!got) {
        v->has_status = false;
        set_state(v, asked ? RV_STATE_STOPPED : RV_STATE_CRASHED,
                  "the VM process ended while the daemon was not its parent, without "
                  "leaving a status (killed?)");
    } else if (WIFSIGNALED(st)) {
        v->has_status = true;
        v->exit_status = 128 + WTERMSIG(st);
        set_state(v, asked ? RV_STATE_STOPPED : RV_STATE_CRASHED,
                  "the VM process was killed by signal %d (SIG%s)%s", WTERMSIG(st),
                  signame(WTERMSIG(st)), asked ? " after a stop request" : "");
    } else {
        int code = WEXITSTATUS(st);

        v->has_status = true;
        v->exit_status = code;
        if (asked)
            set_state(v, RV_STATE_STOPPED, "stopped on request (status %d)", code);
        else if (code == 127)
            set_state(v, RV_STATE_CRASHED, "the VM process could not be started (status 127)");
        else if (code == 2)
            set_state(v, RV_STATE_EXITED, "refused its configuration (status 2): see the console log");
        else if (code > 128)
            set_state(v, RV_STATE_EXITED, "the VM stopped on signal %d (status %d)", code - 128,
                      code);
        else
            set_state(v, RV_STATE_EXITED, "the guest powered off with status %d", code);
    }
    if (vmtable_save(d, v))
        fprintf(stderr, "ringvisor serve: cannot save VM '%s'\n", v->name);
}

int sup_stop(struct daemon *d, struct vmrec *v, int timeout_s, bool force)
{
    /* SIGTERM makes the VM process stop its VM cleanly (status 143). */
    if (kill(v->pid, force ? SIGKILL : SIGTERM) < 0)
        return -errno;
    /* A paused VM's SIGTERM is handled by the VM process's main thread, so
     * it ends without being resumed. */
    set_state(v, RV_STATE_STOPPING, force ? "killed on request" : "stop requested");
    v->kill_at_ms = force ? 0 : now_ms() + (int64_t)timeout_s * 1000;
    return vmtable_save(d, v);
}

void sup_tick(struct daemon *d)
{
    int64_t now = now_ms();

    for (struct vmrec *v = d->vms; v; v = v->next) {
        if (v->kill_at_ms && now >= v->kill_at_ms && v->pid > 0) {
            v->kill_at_ms = 0;
            snprintf(v->reason, sizeof(v->reason), "did not stop in time: killed");
            kill(v->pid, SIGKILL);
        }
    }
}

int sup_control(struct daemon *d, struct vmrec *v, int op, char *why, size_t why_size)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct ctl_msg req = { .magic = CTL_MAGIC, .version = CTL_VERSION, .op = (uint16_t)op },
                   rep;
    struct pollfd pfd;
    static const uint32_t id_base = 1;
    ssize_t n;
    int fd, err;

    req.id = id_base + (uint32_t)op;
    if (vmtable_path(d, v, CTL_SOCKET, sa.sun_path, sizeof(sa.sun_path))) {
        snprintf(why, why_size, "control socket path too long");
        return -ENAMETOOLONG;
    }
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, why_size, "socket: %s", strerror(errno));
        return -errno;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        err = -errno;
        snprintf(why, why_size, "the VM process's control channel is not there: %s",
                 strerror(errno));
        goto out;
    }
    if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req)) {
        err = -EIO;
        snprintf(why, why_size, "cannot send to the VM process");
        goto out;
    }
    /* Bounded: a hung VM process costs the API this long, once. */
    pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
    if (poll(&pfd, 1, CTL_TIMEOUT_MS) != 1) {
        err = -ETIMEDOUT;
        snprintf(why, why_size, "the VM process did not answer within %d ms", CTL_TIMEOUT_MS);
        goto out;
    }
    n = recv(fd, &rep, sizeof(rep), MSG_TRUNC | MSG_DONTWAIT);
    if (ctl_msg_check(&rep, (long)n) || rep.id != req.id || rep.op != req.op) {
        err = -EPROTO;
        snprintf(why, why_size, "the VM process sent a bad reply");
        goto out;
    }
    rep.text[sizeof(rep.text) - 1] = '\0';
    err = rep.status;
    if (err)
        snprintf(why, why_size, "%s", rep.text);
    else if (op == CTL_OP_QUERY)
        err = rep.arg ? 1 : 0;
out:
    close(fd);
    return err;
}
