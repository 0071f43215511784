// SPDX-License-Identifier: MIT
/*
 * `ringvisor serve`: options, the state directory, and the event loop that
 * ties the API socket, VM process exits and a periodic tick together.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "vmm/core/parse.h"

#define TICK_MS 100
/* Each VM's console.log holds at most this much (then its older half goes). */
#define LOG_MAX_DEFAULT (8ull << 20)
#define LOG_MAX_MIN (64ull << 10)

static const char usage_serve[] =
    "usage: ringvisor serve [--socket PATH] [--state-dir DIR] [--group GROUP]\n"
    "                       [--console-log-max SIZE] [--sched-policy credit|sedf]\n"
    "\n"
    "Run the host daemon: an HTTP/1.1 API with JSON bodies on a UNIX socket\n"
    "(see docs/api.md; `ringctl` is its client).  Each VM runs in its own\n"
    "`ringvisor exec|run` process; VMs outlive a daemon restart and are\n"
    "re-adopted.  SIGTERM or SIGINT end the daemon and leave the VMs running.\n"
    "\n"
    "options:\n"
    "  --socket PATH     API socket (default " RV_API_SOCKET_DEFAULT "), mode 0600\n"
    "  --state-dir DIR   VM definitions and console logs (default " RV_API_STATE_DEFAULT ")\n"
    "  --group GROUP     also let GROUP use the socket (mode 0660)\n"
    "  --sched-policy credit|sedf  how VMs share the CPUs this daemon may use\n"
    "                    (its taskset; default credit; see docs/sched.md)\n"
    "  --console-log-max SIZE  cap of each VM's console log (default 8M, at least\n"
    "                    64K): past it, the older half is cut away\n"
    "  -h, --help        show this help\n";

static int mkdir_p(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);

    if (n >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int dirname_mkdir(const char *file)
{
    char buf[4096];
    char *slash;

    snprintf(buf, sizeof(buf), "%s", file);
    slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    return mkdir_p(buf);
}

static void loop(struct daemon *d)
{
    struct epoll_event evs[64];

    while (!d->quit) {
        int n = epoll_wait(d->epfd, evs, 64, -1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (int i = 0; i < n; i++) {
            struct ev *ev = evs[i].data.ptr;
            enum ev_kind kind = ev->kind; /* the handler may free (ev) */

            switch (kind) {
            case EV_LISTEN: server_accept(d); break;
            case EV_CONN: server_conn_event(d, ev, evs[i].events); break;
            case EV_PIDFD: sup_reap(d, (struct vmrec *)ev); break;
            case EV_CTL: sup_control_event(d, (struct ctl_call *)ev); break;
            case EV_CONSOLE: console_event(d); break;
            case EV_TIMER: {
                uint64_t ticks;

                if (read(d->timer_fd, &ticks, sizeof(ticks)) < 0) {
                    /* spurious wake-up: nothing expired */
                }
                sup_tick(d);
                dsched_tick(d->sched);
                server_tick(d);
                break;
            }
            case EV_SIGNAL: {
                struct signalfd_siginfo si;

                if (read(d->sig_fd, &si, sizeof(si)) == sizeof(si))
                    d->quit = true;
                break;
            }
            }
            /* Anything but these may have freed a connection or a control
             * call whose later events in evs[] would be stale.  Start over. */
            if (kind != EV_LISTEN && kind != EV_SIGNAL)
                break;
        }
    }
}

int daemon_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' },
        { "state-dir", required_argument, NULL, 'd' },
        { "group", required_argument, NULL, 'g' },
        { "console-log-max", required_argument, NULL, 'l' },
        { "sched-policy", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct itimerspec tick = { .it_interval.tv_nsec = TICK_MS * 1000000l,
                               .it_value.tv_nsec = TICK_MS * 1000000l };
    const char *sock = RV_API_SOCKET_DEFAULT, *state = RV_API_STATE_DEFAULT;
    struct daemon *d;
    sigset_t sigs;
    uint64_t log_max = LOG_MAX_DEFAULT;
    enum sched_policy policy = SCHED_CREDIT;
    const char *why, *note;
    int c, err, group = -1, status = 1;
    ssize_t n;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 's': sock = optarg; break;
        case 'd': state = optarg; break;
        case 'g': {
            struct group *g = getgrnam(optarg);

            if (!g) {
                fprintf(stderr, "ringvisor serve: no group '%s'\n", optarg);
                return 2;
            }
            group = (int)g->gr_gid;
            break;
        }
        case 'l':
            if (parse_size(optarg, &log_max) || log_max < LOG_MAX_MIN) {
                fprintf(stderr, "ringvisor serve: --console-log-max: '%s' is not a size of "
                                "at least 64K\n", optarg);
                return 2;
            }
            break;
        case 'p':
            if (!strcmp(optarg, "credit") || !strcmp(optarg, "sedf")) {
                policy = optarg[0] == 's' ? SCHED_SEDF : SCHED_CREDIT;
                break;
            }
            fprintf(stderr, "ringvisor serve: --sched-policy: '%s' is not credit or sedf\n",
                    optarg);
            return 2;
        case 'h': fputs(usage_serve, stdout); return 0;
        case ':':
            fprintf(stderr, "ringvisor serve: option '%s' needs a value\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "ringvisor serve: unknown option '%s'\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ringvisor serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    d = calloc(1, sizeof(*d));
    if (!d)
        return 1;
    d->epfd = d->listen_fd = d->sig_fd = d->timer_fd = d->inotify_fd = -1;
    d->log_max = log_max;
    d->started_ms = now_ms();
    if (!realpath(state, d->state_dir) && (mkdir_p(state) || !realpath(state, d->state_dir))) {
        fprintf(stderr, "ringvisor serve: state directory '%s': %s\n", state, strerror(errno));
        goto out;
    }
    n = readlink("/proc/self/exe", d->exe, sizeof(d->exe) - 1);
    if (n <= 0) {
        fprintf(stderr, "ringvisor serve: cannot find my own binary: %s\n", strerror(errno));
        goto out;
    }
    d->exe[n] = '\0';
    err = dsched_init(&d->sched, d->state_dir, policy, &why, &note);
    if (err) {
        fprintf(stderr, "ringvisor serve: scheduler board in '%s': %s: %s\n", d->state_dir, why,
                strerror(-err));
        goto out;
    }
    if (note)
        fprintf(stderr, "ringvisor serve: %s\n", note);

    /* The signals that end the daemon are read in the loop; SIGPIPE from a
     * vanished client must not kill it. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    d->sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (d->epfd < 0 || d->sig_fd < 0 || d->timer_fd < 0 ||
        timerfd_settime(d->timer_fd, 0, &tick, NULL) < 0) {
        fprintf(stderr, "ringvisor serve: %s\n", strerror(errno));
        goto out;
    }
    d->sig_ev.kind = EV_SIGNAL;
    d->timer_ev.kind = EV_TIMER;
    struct epoll_event e1 = { .events = EPOLLIN, .data.ptr = &d->sig_ev };
    struct epoll_event e2 = { .events = EPOLLIN, .data.ptr = &d->timer_ev };
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sig_fd, &e1) < 0 ||
        epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->timer_fd, &e2) < 0) {
        fprintf(stderr, "ringvisor serve: epoll: %s\n", strerror(errno));
        goto out;
    }
    err = console_init(d);
    if (err) {
        fprintf(stderr, "ringvisor serve: inotify: %s\n", strerror(-err));
        goto out;
    }
    err = vmtable_load(d);
    if (err) {
        fprintf(stderr, "ringvisor serve: cannot read '%s/vms': %s\n", d->state_dir,
                strerror(-err));
        goto out;
    }
    err = dirname_mkdir(sock);
    if (!err)
        err = server_init(d, sock, group);
    if (err) {
        fprintf(stderr, "ringvisor serve: socket '%s': %s\n", sock,
                err == -EADDRINUSE ? "another daemon is serving it" : strerror(-err));
        goto out;
    }
    fprintf(stderr, "ringvisor serve: listening on %s (state in %s, %u VMs)\n", sock,
            d->state_dir, d->nr_vms);
    loop(d);
    status = 0;
out:
    server_exit(d);
    /* VM processes are independent: they keep running and the next daemon
     * re-adopts them. */
    while (d->vms) {
        struct vmrec *v = d->vms;

        d->vms = v->next;
        vmrec_free(v);
    }
    console_exit(d);
    dsched_exit(d->sched);
    if (d->epfd >= 0)
        close(d->epfd);
    if (d->sig_fd >= 0)
        close(d->sig_fd);
    if (d->timer_fd >= 0)
        close(d->timer_fd);
    free(d);
    return status;
}
