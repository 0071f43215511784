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

/* What an epoll event belongs to: the first member of each watched object. */
enum ev_kind { EV_LISTEN, EV_SIGNAL, EV_TIMER, EV_CONN, EV_PIDFD };
struct ev {
    enum ev_kind kind;
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
};

struct daemon {
    int epfd, listen_fd, sig_fd, timer_fd;
    struct ev listen_ev, sig_ev, timer_ev;
    const char *socket_path;
    char state_dir[4096];
    char exe[4096];         /* this ringvisor binary, to start VM processes */
    struct vmrec *vms;
    unsigned nr_vms, nr_conns;
    struct conn *conns;
    int64_t started_ms;
    bool quit;
};

int64_t now_ms(void);

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
/* Pause or resume through the VM process's control channel. Returns 0 or
 * -errno with (why) set. */
int sup_control(struct daemon *d, struct vmrec *v, int op, char *why, size_t why_size);
/* Live figures of process (pid) from /proc: CPU seconds and RSS bytes. */
int sup_proc_stats(pid_t pid, double *cpu_s, uint64_t *rss, uint64_t *start_ticks);

/* api/server.c */
int server_init(struct daemon *d, const char *path, int group) __attribute__((warn_unused_result));
void server_accept(struct daemon *d);
void server_conn_event(struct daemon *d, struct ev *ev, uint32_t events);
void server_tick(struct daemon *d);
void server_exit(struct daemon *d);

/* serve.c */
int daemon_main(int argc, char **argv);

#endif
