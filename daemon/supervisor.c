// SPDX-License-Identifier: MIT
/*
 * VM processes: start one per VM (`ringvisor exec|run --control-dir`), in its
 * own session so no signal meant for the daemon reaches it; watch it through
 * a pidfd, which also works for processes adopted after a daemon restart;
 * stop it; and talk to it over its control channel.
 */
#include <errno.h>
#include <fcntl.h>
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

static void call_finish(struct daemon *d, struct ctl_call *call, int err, const char *why);
static void query_done(struct daemon *d, struct vmrec *v, void *ctx, int err, const char *why);

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
    int logfd, infd, err;

    err = vmtable_path(d, v, NULL, dir, sizeof(dir));
    if (!err)
        err = vmtable_path(d, v, VM_CONSOLE_LOG, log, sizeof(log));
    if (!err)
        err = vmtable_path(d, v, CTL_STATUS, status, sizeof(status));
    if (err || strlen(dir) + sizeof(CTL_SOCKET) + 1 > sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(why, why_size, "the state directory path is too long for a UNIX socket");
        return -ENAMETOOLONG;
    }
    unlink(status);
    logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (logfd < 0)
        err = -errno;
    /* Without "interactive" the guest's input ends at once, as a daemon's would. */
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v->config, "interactive")))
        infd = console_fifo(d, v);
    else if ((infd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        infd = -errno;
    if (!err && infd < 0)
        err = infd;
    argv = vmconfig_argv(v->config, d->exe, dir, d->sched ? d->sched->path : NULL, &owned);
    if (!err && !argv)
        err = -ENOMEM;
    if (err) {
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
        dup2(infd, STDIN_FILENO);
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
    console_watch(d, v);
    err = sup_watch(d, v);
    if (err) {
        /* Unwatchable means unsupervised: do not leave it running. */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        console_unwatch(d, v);
        v->pid = 0;
        snprintf(why, why_size, "pidfd_open: %s", strerror(-err));
        set_state(v, RV_STATE_CRASHED, "could not be supervised");
    }
out:
    if (logfd >= 0)
        close(logfd);
    if (infd >= 0)
        close(infd);
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
    sup_control_cancel(d, v, -EPIPE, "the VM process ended");
    v->resync = false;
    console_unwatch(d, v);
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
        if (v->call && now >= v->call->deadline_ms) {
            char why[96];

            /* A stopped or hung VM process: its client hears so; nobody else waited. */
            snprintf(why, sizeof(why), "the VM process did not answer within %d ms",
                     CTL_TIMEOUT_MS);
            call_finish(d, v->call, -ETIMEDOUT, why);
        } else if (v->resync && !v->call && v->pid > 0) {
            char why[160];

            /* Quietly: a stopped VM process fails this every tick. */
            if (sup_control(d, v, CTL_OP_QUERY, query_done, NULL, why, sizeof(why)))
                continue;
        }
        if (v->kill_at_ms && now >= v->kill_at_ms && v->pid > 0) {
            v->kill_at_ms = 0;
            snprintf(v->reason, sizeof(v->reason), "did not stop in time: killed");
            kill(v->pid, SIGKILL);
        }
    }
}

static void call_finish(struct daemon *d, struct ctl_call *call, int err, const char *why)
{
    struct vmrec *v = call->vm;

    epoll_ctl(d->epfd, EPOLL_CTL_DEL, call->fd, NULL);
    close(call->fd);
    v->call = NULL;
    /* Detached first: (done) may start the VM's next call. */
    call->done(d, v, call->ctx, err, why);
    free(call);
}

int sup_control(struct daemon *d, struct vmrec *v, int op,
                void (*done)(struct daemon *, struct vmrec *, void *, int, const char *),
                void *ctx, char *why, size_t why_size)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct epoll_event ev = { .events = EPOLLIN };
    struct ctl_call *call;
    int fd, err;

    if (v->call) {
        if (v->call->req.op == CTL_OP_QUERY && !v->call->ctx)
            snprintf(why, why_size, "VM '%s' is not answering yet (its state is being checked)",
                     v->name);
        else
            snprintf(why, why_size, "another control request to VM '%s' is in progress",
                     v->name);
        return -EBUSY;
    }
    if (vmtable_path(d, v, CTL_SOCKET, sa.sun_path, sizeof(sa.sun_path))) {
        snprintf(why, why_size, "control socket path too long");
        return -ENAMETOOLONG;
    }
    call = calloc(1, sizeof(*call));
    if (!call) {
        snprintf(why, why_size, "out of memory");
        return -ENOMEM;
    }
    /* Non-blocking throughout: a VM process that stopped accepting (its
     * backlog full) fails the connect at once instead of parking the loop. */
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        err = -errno;
        snprintf(why, why_size, "socket: %s", strerror(errno));
        goto fail;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        err = -errno;
        snprintf(why, why_size, "the VM process's control channel is %s: %s",
                 errno == EAGAIN ? "busy (not answering)" : "not there", strerror(errno));
        goto fail;
    }
    call->ev.kind = EV_CTL;
    call->fd = fd;
    call->vm = v;
    call->done = done;
    call->ctx = ctx;
    call->req = (struct ctl_msg){ .magic = CTL_MAGIC, .version = CTL_VERSION,
                                  .op = (uint16_t)op, .id = ++d->ctl_ids };
    call->deadline_ms = now_ms() + CTL_TIMEOUT_MS;
    /* Connected, the message fits the empty socket buffer whatever the peer does. */
    if (send(fd, &call->req, sizeof(call->req), MSG_NOSIGNAL) != sizeof(call->req)) {
        err = -EIO;
        snprintf(why, why_size, "cannot send to the VM process: %s", strerror(errno));
        goto fail;
    }
    ev.data.ptr = &call->ev;
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        err = -errno;
        snprintf(why, why_size, "epoll: %s", strerror(errno));
        goto fail;
    }
    v->call = call;
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    free(call);
    return err;
}

void sup_control_event(struct daemon *d, struct ctl_call *call)
{
    struct ctl_msg rep;
    char why[sizeof(rep.text) + 64];
    ssize_t n = recv(call->fd, &rep, sizeof(rep), MSG_TRUNC | MSG_DONTWAIT);
    int err;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        call_finish(d, call, -EPIPE, "the VM process closed its control channel");
        return;
    }
    if (ctl_msg_check(&rep, (long)n) || rep.id != call->req.id || rep.op != call->req.op) {
        call_finish(d, call, -EPROTO, "the VM process sent a bad reply");
        return;
    }
    rep.text[sizeof(rep.text) - 1] = '\0';
    err = rep.status > 0 ? -EPROTO : rep.status;
    snprintf(why, sizeof(why), "%s", err ? rep.text : "");
    if (!err && call->req.op == CTL_OP_QUERY)
        err = rep.arg ? 1 : 0;
    call_finish(d, call, err, why);
}

/* The answer to a state query: the VM's real state. */
static void query_done(struct daemon *d, struct vmrec *v, void *ctx, int err, const char *why)
{
    (void)ctx;
    (void)why;
    if (err < 0) {
        /* Ask again later (sup_tick), unless the process is gone. */
        v->resync = v->pid > 0;
        return;
    }
    v->resync = false;
    if (strcmp(v->state, RV_STATE_RUNNING) && strcmp(v->state, RV_STATE_PAUSED))
        return; /* stopping, or ended meanwhile: that wins */
    if (!strcmp(v->state, err == 1 ? RV_STATE_PAUSED : RV_STATE_RUNNING))
        return;
    set_state(v, err == 1 ? RV_STATE_PAUSED : RV_STATE_RUNNING, "%s (as the VM process says)",
              err == 1 ? "paused" : "running");
    if (vmtable_save(d, v))
        fprintf(stderr, "ringvisor serve: cannot save VM '%s'\n", v->name);
}

void sup_query(struct daemon *d, struct vmrec *v)
{
    char why[160];

    v->resync = true;
    if (sup_control(d, v, CTL_OP_QUERY, query_done, NULL, why, sizeof(why)) == 0)
        return;
    if (!v->call) /* no other call in flight to learn from: say why once */
        fprintf(stderr, "ringvisor serve: VM '%s': %s\n", v->name, why);
}

void sup_control_cancel(struct daemon *d, struct vmrec *v, int err, const char *why)
{
    if (v->call)
        call_finish(d, v->call, err, why);
}

void sup_control_forget(struct daemon *d, void *ctx)
{
    for (struct vmrec *v = d->vms; v; v = v->next)
        if (v->call && v->call->ctx == ctx)
            v->call->ctx = NULL;
}
