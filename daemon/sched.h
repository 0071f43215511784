/* SPDX-License-Identifier: MIT */
/*
 * The daemon's side of the host scheduler (vmm/sched): it owns the host's
 * board (STATE_DIR/sched.board, which every VM process it starts joins),
 * changes VMs' parameters live, and keeps a short history of each VM's
 * accounting for the report: requested and received share, allocation error
 * and wait (steal) time over a recent window.
 */
#ifndef DAEMON_SCHED_H
#define DAEMON_SCHED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "daemon/vmconfig.h"
#include "vmm/sched/board.h"

#define DSCHED_BOARD_FILE "sched.board"
#define DSCHED_SAMPLE_MS 500
#define DSCHED_HISTORY 121          /* 60 s of samples */
#define DSCHED_WINDOW_DEFAULT_S 10
#define DSCHED_WINDOW_MAX_S 60

struct dsched_sample {
    int64_t t_ms;                   /* CLOCK_MONOTONIC */
    uint64_t used_ns, wait_ns;
};

struct dsched_hist {
    pid_t pid;                      /* whose samples these are */
    uint32_t head, count;
    struct dsched_sample s[DSCHED_HISTORY];
};

struct dsched {
    struct sched_map map;
    char path[4096];
    int64_t last_sample_ms;
    struct dsched_hist hist[SCHED_MAX_VMS]; /* by board VM index */
};

/*
 * Open (or create) the board in (state_dir) with (policy).  A board left by
 * an earlier daemon keeps its VMs; its policy changes only when none is on
 * it.  Returns 0 or -errno with (*why) set; (*note) is set when the policy
 * asked for could not be applied.
 */
int dsched_init(struct dsched **out, const char *state_dir, enum sched_policy policy,
                const char **why, const char **note) __attribute__((warn_unused_result));
void dsched_exit(struct dsched *s);

/* From the daemon's tick: free entries of dead VM processes, take samples. */
void dsched_tick(struct dsched *s);

/*
 * Parse a scheduling object ({"weight", "cap", "slice_ms", "period_ms",
 * "extra"}, any subset) over (*p): unknown fields, wrong types and values out
 * of range are 400s naming the field.  (field) prefixes the names in errors
 * ("sched." inside a VM config, "" for the resource itself).
 */
int dsched_params_parse(const cJSON *obj, struct sched_params *p, const char *field,
                        struct api_err *e) __attribute__((warn_unused_result));
/* The JSON form of (p) (the same fields). */
cJSON *dsched_params_json(const struct sched_params *p);
/* The parameters of normalised VM config (cfg): its "sched", or defaults. */
void dsched_config_params(const cJSON *cfg, struct sched_params *p);

/* Change the parameters of the VM process (pid) on the board now; -ESRCH if
 * it is not on the board. */
int dsched_apply(struct dsched *s, pid_t pid, const struct sched_params *p);

/* One VM's live figures over (window_s) for the report (NULL if not on the
 * board), and the whole report with each VM named by (name_of). */
cJSON *dsched_vm_json(struct dsched *s, pid_t pid, int window_s);
cJSON *dsched_report(struct dsched *s, int window_s,
                     const char *(*name_of)(void *ctx, pid_t pid), void *ctx);

const char *dsched_policy_name(enum sched_policy p);

#endif
