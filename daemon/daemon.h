/* SPDX-License-Identifier: MIT */
/*
 * The host daemon (`ringvisor serve`): one epoll loop that serves the HTTP
 * API and supervises many VMs, each in its own `ringvisor exec|run` process.
 * Everything hangs off struct daemon; there is no file-scope mutable state.
 */
#ifndef DAEMON_DAEMON_H
#define DAEMON_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "daemon/api/proto.h"
#include "daemon/sched.h"
#include "vmm/core/control.h"

/* What an epoll event belongs to: the first member of each watched object. */
enum ev_kind { EV_LISTEN, EV_SIGNAL, EV_TIMER, EV_CONN, EV_PIDFD, EV_CTL, EV_CONSOLE };
struct ev {
    enum ev_kind kind;
};

struct daemon;
struct vmrec;

/* One control-channel request in flight to a VM process (at most one per VM):
 * the epoll loop waits for its reply, so a hung VM process holds only the
 * client that asked, and only until the deadline. */
struct ctl_call {
    struct ev ev;           /* EV_CTL */
    int fd;
    struct vmrec *vm;
    struct ctl_msg req;
    int64_t deadline_ms;
    /* Called once with the outcome: (err) 0 or -errno with (why) for humans;
     * for CTL_OP_QUERY, 1 when the VM is paused. */
    void (*done)(struct daemon *d, struct vmrec *v, void *ctx, int err, const char *why);
    void *ctx;              /* the waiting client connection, NULL when none (or it left) */
};

struct vmrec {
    struct ev ev;           /* EV_PIDFD */
    struct vmrec *next;
    char name[RV_API_NAME_MAX + 1];
    cJSON *config;          /* normalised (vmconfig_parse) */
    char state[16];         /* RV_STATE_* */
    char reason[256];       /* why it is in that state, for humans */
    pid_t pid;              /* the VM process, 0 when none */
    uint64_t start_ticks;   /* its start time (/proc/PID/stat), against pid reuse */
    int pidfd;              /* readable when the process ends, or -1 */
    bool child;             /* ours to waitpid (false once re-adopted) */
    bool has_status;
    int exit_status;        /* the VM process's status (guest's, or 128+N) */
    int64_t created_ms, started_ms, ended_ms; /* CLOCK_REALTIME */
    int64_t kill_at_ms;     /* a graceful stop's deadline, 0 when none */
    struct ctl_call *call;  /* the control request in flight, or NULL */
    bool resync;            /* state unsure (a call failed): query until it answers */
    int log_fd, log_wd;     /* console.log (O_RDWR) and its inotify watch while live, or -1 */
    uint64_t log_base;      /* bytes cut from the log's front: stream offsets are logical */
    int in_fd;              /* console.in FIFO, write end, opened on first input, or -1 */
};

struct daemon {
    int epfd, listen_fd, sig_fd, timer_fd, inotify_fd;
    struct ev listen_ev, sig_ev, timer_ev, console_ev;
    uint64_t log_max;       /* console.log cap in bytes (--console-log-max) */
    const char *socket_path;
    char state_dir[4096];
    char exe[4096];         /* this ringvisor binary, to start VM processes */
    struct vmrec *vms;
    unsigned nr_vms, nr_conns;
    uint32_t ctl_ids;       /* the last control request id */
    struct conn *conns;
    int64_t started_ms;
    bool quit;
    struct dsched *sched;   /* the host scheduler's board (--sched-policy) */
};

int64_t now_ms(void);

/* Files in each VM's directory besides vm.json and the control channel's. */
#define VM_CONSOLE_LOG "console.log"    /* the VM process's stdout and stderr */
#define VM_CONSOLE_IN "console.in"      /* FIFO: its stdin, with "interactive" */

/* vmtable.c: the VM list and its files under (state_dir)/vms/NAME/. */
struct vmrec *vmtable_find(struct daemon *d, const char *name);
/* Write vm.json atomically (write, fsync, rename, fsync the directory). */
int vmtable_save(struct daemon *d, struct vmrec *v) __attribute__((warn_unused_result));
/* Load every definition and re-adopt VM processes that are still alive. */
int vmtable_load(struct daemon *d) __attribute__((warn_unused_result));
/* Path of (file) in (v)'s directory into (buf). Returns -ENAMETOOLONG. */
int vmtable_path(struct daemon *d, const struct vmrec *v, const char *file, char *buf,
                 size_t size) __attribute__((warn_unused_result));
/* Remove (v)'s directory and free it (it must be unlinked from the list). */
void vmtable_remove(struct daemon *d, struct vmrec *v);
/* A new record named (name), not in the list, no process. */
struct vmrec *vmrec_new(const char *name);
void vmrec_free(struct vmrec *v);
/* The JSON form of (v) for the API: definition, state and live figures. */
cJSON *vmtable_json(struct daemon *d, struct vmrec *v);

/* supervisor.c: VM processes. */
int sup_spawn(struct daemon *d, struct vmrec *v, char *why, size_t why_size)
    __attribute__((warn_unused_result));
/* Watch (v)'s process (pidfd in the epoll set). */
int sup_watch(struct daemon *d, struct vmrec *v) __attribute__((warn_unused_result));
/* (v)'s pidfd became readable: collect the status and settle the state. */
void sup_reap(struct daemon *d, struct vmrec *v);
/* Graceful stop: SIGTERM now, SIGKILL at the deadline (sup_tick). */
int sup_stop(struct daemon *d, struct vmrec *v, int timeout_s, bool force);
void sup_tick(struct daemon *d);
/*
 * Send (op) to (v)'s VM process and return at once: (done) gets the outcome
 * later from the event loop (the reply, a broken channel, or no answer within
 * the deadline).  Returns 0, or -EBUSY while another call to (v) is in flight,
 * or -errno with (why) set when the channel cannot be reached (done is then
 * not called).
 */
int sup_control(struct daemon *d, struct vmrec *v, int op,
                void (*done)(struct daemon *, struct vmrec *, void *, int, const char *),
                void *ctx, char *why, size_t why_size) __attribute__((warn_unused_result));
/* Ask (v)'s VM process whether it is paused and settle the state from the
 * answer, retrying from sup_tick until one comes. */
void sup_query(struct daemon *d, struct vmrec *v);
/* The call's socket is readable, or hung up. */
void sup_control_event(struct daemon *d, struct ctl_call *call);
/* End (v)'s call now with (err, why), if there is one. */
void sup_control_cancel(struct daemon *d, struct vmrec *v, int err, const char *why);
/* The client (ctx) went away: its calls go on, their outcomes reach no one. */
void sup_control_forget(struct daemon *d, void *ctx);
/* Live figures of process (pid) from /proc: CPU seconds and RSS bytes. */
int sup_proc_stats(pid_t pid, double *cpu_s, uint64_t *rss, uint64_t *start_ticks);

/* api/sched.c: NULL if VM (self) (NULL for a new one) with (nr_vcpus) may
 * hold scheduling parameters (p) beside the other live VMs' guarantees, else
 * why not (SEDF admission: they add up to the host's CPUs at most). */
const char *api_sched_admit(struct daemon *d, const struct vmrec *self,
                            const struct sched_params *p, uint32_t nr_vcpus);

/* console.c: each VM's console log (size cap, change events) and input. */
int console_init(struct daemon *d) __attribute__((warn_unused_result));
void console_exit(struct daemon *d);
/* Watch (v)'s log while its process lives: cap it, wake its streams. */
void console_watch(struct daemon *d, struct vmrec *v);
/* (v)'s process ended: stop watching, close its input, end its streams. */
void console_unwatch(struct daemon *d, struct vmrec *v);
/* The inotify descriptor is readable. */
void console_event(struct daemon *d);
/*
 * If the log file (fd, O_RDWR) is over (max) bytes, cut its front so about
 * (keep) remain (keep < max - 4096).  Returns the bytes cut, 0, or -errno.
 */
int64_t console_trim(int fd, uint64_t max, uint64_t keep);
/* Read up to (len) bytes of the log (fd) at logical offset (*off) (file
 * offset + base); a reader left behind by a cut skips to the oldest byte. */
ssize_t console_read(int fd, uint64_t base, uint64_t *off, char *buf, size_t len);
/* Write (len) bytes of input to (v)'s console without blocking: (*written)
 * may be short when the guest is not reading.  Returns 0 or -errno with
 * (why) set. */
int console_input(struct daemon *d, struct vmrec *v, const char *data, size_t len,
                  size_t *written, char *why, size_t why_size);
/* Create (v)'s input FIFO and open it for the VM process's stdin (O_RDWR: it
 * never sees EOF when a client leaves).  Returns the fd or -errno. */
int console_fifo(struct daemon *d, struct vmrec *v);

/* api/server.c */
int server_init(struct daemon *d, const char *path, int group) __attribute__((warn_unused_result));
void server_accept(struct daemon *d);
void server_conn_event(struct daemon *d, struct ev *ev, uint32_t events);
void server_tick(struct daemon *d);
/* (v)'s console log grew (or, with (ended), its process is gone): feed the
 * connections that follow it. */
void server_console(struct daemon *d, struct vmrec *v, bool ended);
/* Answer a request that was deferred (api_resp.deferred) on connection (conn). */
struct api_resp;
void server_reply(struct daemon *d, void *conn, struct api_resp *resp);
void server_exit(struct daemon *d);

/* serve.c */
int daemon_main(int argc, char **argv);

#endif
