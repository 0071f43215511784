// SPDX-License-Identifier: MIT
/* The daemon's board, live parameter changes and the share report (sched.h). */
#include "daemon/sched.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/sched/policy.h"

static int64_t mono_ms(void)
{
    return (int64_t)(sched_now() / 1000000ull);
}

const char *dsched_policy_name(enum sched_policy p)
{
    return p == SCHED_SEDF ? "sedf" : "credit";
}

int dsched_init(struct dsched **out, const char *state_dir, enum sched_policy policy,
                const char **why, const char **note)
{
    struct dsched *s = calloc(1, sizeof(*s)); /* the history pages stay untouched till used */
    int err;

    *note = NULL;
    if (!s)
        return *why = "out of memory", -ENOMEM;
    if ((size_t)snprintf(s->path, sizeof(s->path), "%s/%s", state_dir, DSCHED_BOARD_FILE) >=
        sizeof(s->path)) {
        free(s);
        return *why = "state directory path too long", -ENAMETOOLONG;
    }
    /* Every CPU the daemon may use (taskset) is the host's to share. */
    err = sched_board_open(&s->map, s->path, policy, why);
    if (err == -EINVAL && unlink(s->path) == 0) {
        /* A board of another ringvisor version: VM processes that still map
         * it go on sharing among themselves; new ones get a new board. */
        *note = "replaced a scheduler board of another ringvisor version";
        err = sched_board_open(&s->map, s->path, policy, why);
    }
    if (err) {
        free(s);
        return err;
    }
    sched_lock(s->map.b);
    sched_reap(s->map.b, sched_now());
    bool busy = false;
    for (uint32_t i = 0; i < s->map.b->hw_vm; i++)
        busy |= s->map.b->vm[i].in_use != 0;
    if (!busy) {
        s->map.b->policy = policy;
        sched_board_take_cpus(s->map.b);
    } else if (s->map.b->policy != (uint32_t)policy) {
        *note = "VMs from before the restart still run: the scheduler keeps their policy "
                "and CPU count until they are gone";
    }
    sched_unlock(s->map.b);
    *out = s;
    return 0;
}

void dsched_exit(struct dsched *s)
{
    if (!s)
        return;
    sched_board_close(&s->map);
    free(s);
}

void dsched_tick(struct dsched *s)
{
    struct sched_board *b = s->map.b;
    int64_t now = mono_ms();

    if (now - s->last_sample_ms < DSCHED_SAMPLE_MS)
        return;
    s->last_sample_ms = now;
    sched_lock(b);
    sched_reap(b, sched_now());
    for (uint32_t i = 0; i < SCHED_MAX_VMS && i < b->hw_vm; i++) {
        struct dsched_hist *h = &s->hist[i];
        const struct sched_vm *v = &b->vm[i];

        if (!v->in_use) {
            h->count = 0;
            continue;
        }
        if (h->pid != v->pid) {
            h->pid = v->pid;
            h->count = 0;
        }
        h->head = (h->head + 1) % DSCHED_HISTORY;
        h->s[h->head] = (struct dsched_sample){ now, v->used_ns, v->wait_ns };
        if (h->count < DSCHED_HISTORY)
            h->count++;
    }
    sched_unlock(b);
}

int dsched_apply(struct dsched *s, pid_t pid, const struct sched_params *p)
{
    struct sched_board *b = s->map.b;
    uint64_t now = sched_now();
    int vm, err = 0;

    sched_lock(b);
    vm = sched_find_pid(b, pid);
    if (vm < 0) {
        err = -ESRCH;
    } else {
        struct sched_vm *v = &b->vm[vm];
        bool sedf_changed = v->p.slice_ns != p->slice_ns || v->p.period_ns != p->period_ns;

        v->p = *p;
        if (sedf_changed) {
            /* A new guarantee starts a new period now. */
            v->deadline = now + p->period_ns;
            v->left = p->slice_ns;
        }
        /* Runners re-check at once under the new parameters. */
        for (uint32_t i = 0; i < b->hw_vcpu; i++)
            if (b->vcpu[i].state == SV_RUNNING) {
                b->vcpu[i].preempt = 1;
                sched_host_ops.preempt(b, (int)i);
            }
        sched_dispatch(b, now, &sched_host_ops);
    }
    sched_unlock(b);
    return err;
}

/* The oldest sample of (h) no older than (window_s), and the newest. */
static bool span(const struct dsched_hist *h, int window_s, const struct dsched_sample **a,
                 const struct dsched_sample **z)
{
    if (h->count < 2)
        return false;
    *z = &h->s[h->head];
    *a = *z;
    for (uint32_t k = 1; k < h->count; k++) {
        const struct dsched_sample *x = &h->s[(h->head + DSCHED_HISTORY - k) % DSCHED_HISTORY];

        if ((*z)->t_ms - x->t_ms > (int64_t)window_s * 1000)
            break;
        *a = x;
    }
    return *a != *z;
}

/* Fill (o) with (vm)'s figures; (active) from span(); lock held. */
static void vm_figures(struct dsched *s, int vm, int window_s, const bool *active, cJSON *o)
{
    const struct sched_board *b = s->map.b;
    const struct dsched_sample *a, *z;
    double req = sched_requested_share(b, vm, active);

    cJSON *p = dsched_params_json(&b->vm[vm].p), *it;

    /* Flat: the parameters beside the figures. */
    while ((it = p->child)) {
        cJSON_DetachItemViaPointer(p, it);
        cJSON_AddItemToObject(o, it->string, it);
    }
    cJSON_Delete(p);
    cJSON_AddNumberToObject(o, "requested", req);
    if (span(&s->hist[vm], window_s, &a, &z)) {
        double dt = (double)(z->t_ms - a->t_ms) * 1e6;
        double got = (double)(z->used_ns - a->used_ns) / dt;

        cJSON_AddNumberToObject(o, "received", got);
        cJSON_AddNumberToObject(o, "error", req > 0 ? (got - req) / req : 0);
        cJSON_AddNumberToObject(o, "wait_ms", (double)(z->wait_ns - a->wait_ns) / 1e6);
        cJSON_AddNumberToObject(o, "steal", (double)(z->wait_ns - a->wait_ns) / dt);
        cJSON_AddNumberToObject(o, "window_s", dt / 1e9);
    } else {
        cJSON_AddNullToObject(o, "received");
        cJSON_AddNullToObject(o, "error");
        cJSON_AddNullToObject(o, "wait_ms");
        cJSON_AddNullToObject(o, "steal");
        cJSON_AddNumberToObject(o, "window_s", 0);
    }
    cJSON_AddNumberToObject(o, "cpu_ms", (double)b->vm[vm].used_ns / 1e6);
}

/* Which VMs competed during the window: they used CPU or waited for it. */
static void actives(struct dsched *s, int window_s, bool *active)
{
    const struct sched_board *b = s->map.b;

    for (uint32_t i = 0; i < b->hw_vm; i++) {
        const struct dsched_sample *a, *z;

        active[i] = b->vm[i].in_use &&
                    (!span(&s->hist[i], window_s, &a, &z) || z->used_ns > a->used_ns ||
                     z->wait_ns > a->wait_ns || b->vm[i].nr_running || b->vm[i].nr_waiting);
    }
}

cJSON *dsched_vm_json(struct dsched *s, pid_t pid, int window_s)
{
    static_assert(SCHED_MAX_VMS <= 4096, "the active set lives on the stack");
    bool active[SCHED_MAX_VMS];
    cJSON *o = NULL;
    int vm;

    sched_lock(s->map.b);
    vm = pid > 0 ? sched_find_pid(s->map.b, pid) : -1;
    if (vm >= 0) {
        actives(s, window_s, active);
        active[vm] = true;
        o = cJSON_CreateObject();
        vm_figures(s, vm, window_s, active, o);
    }
    sched_unlock(s->map.b);
    return o;
}

cJSON *dsched_report(struct dsched *s, int window_s,
                     const char *(*name_of)(void *ctx, pid_t pid), void *ctx)
{
    const struct sched_board *b = s->map.b;
    bool active[SCHED_MAX_VMS];
    cJSON *o = cJSON_CreateObject(), *vms;

    sched_lock(s->map.b);
    cJSON_AddStringToObject(o, "policy", dsched_policy_name(b->policy));
    cJSON_AddNumberToObject(o, "cpus", b->nr_cpus);
    cJSON_AddNumberToObject(o, "window_s", window_s);
    vms = cJSON_AddArrayToObject(o, "vms");
    actives(s, window_s, active);
    for (uint32_t i = 0; i < b->hw_vm; i++) {
        if (!b->vm[i].in_use)
            continue;
        const char *name = name_of(ctx, b->vm[i].pid);
        cJSON *v = cJSON_CreateObject();

        cJSON_AddStringToObject(v, "name", name ? name : b->vm[i].name);
        cJSON_AddNumberToObject(v, "pid", b->vm[i].pid);
        vm_figures(s, (int)i, window_s, active, v);
        cJSON_AddItemToArray(vms, v);
    }
    sched_unlock(s->map.b);
    return o;
}
