// SPDX-License-Identifier: MIT
/*
 * The scheduler policies (vmm/sched/policy.c) driven by a discrete-event
 * simulation: a fake clock, a board in private memory, and vCPUs that are
 * CPU-bound or that block just before their slice ends.  The shares must come
 * out exact here; the VM tests then check them on real VMs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/sched.h"
#include "daemon/vmconfig.h"
#include "tests/unit/unit.h"
#include "vmm/sched/board.h"
#include "vmm/sched/policy.h"

#define MS 1000000ull
#define MAXV 8

struct sim {
    struct sched_board *b;
    uint64_t now;
    int nv;
    int vm[MAXV];            /* board VM of each simulated vCPU */
    uint64_t start[MAXV];    /* when its current run began */
    uint64_t run[MAXV];      /* how long it runs before its next decision */
    uint64_t burst[MAXV];    /* 0: CPU-bound; else runs this long, then blocks */
    uint64_t nap[MAXV];      /* ... for this long */
    uint64_t wake_at[MAXV];
    uint64_t in_burst[MAXV];
    int preempts;
};

static struct sim *cur;

static int local(int vcpu)
{
    for (int i = 0; i < cur->nv; i++)
        if (cur->b->vm[cur->vm[i]].first_vcpu == (uint32_t)vcpu)
            return i;
    return -1;
}

static void begin(int i)
{
    uint64_t s = sched_slice(cur->b, cur->vm[i], cur->now);

    cur->start[i] = cur->now;
    cur->run[i] = s;
    if (cur->burst[i] && cur->burst[i] - cur->in_burst[i] < s)
        cur->run[i] = cur->burst[i] - cur->in_burst[i];
}

static void fake_wake(struct sched_board *b, int vcpu)
{
    int i = local(vcpu);

    if (i >= 0 && b->vcpu[vcpu].state == SV_RUNNING)
        begin(i);
}

/* The loser has lost its grant already; here it stops at once. */
static void fake_preempt(struct sched_board *b, int vcpu)
{
    int i = local(vcpu);

    cur->preempts++;
    if (i >= 0) {
        sched_charge(b, cur->vm[i], cur->now - cur->start[i], cur->now);
        cur->in_burst[i] += cur->now - cur->start[i];
    }
}

static const struct sched_ops fake_ops = { .wake = fake_wake, .preempt = fake_preempt };

static struct sim *sim_new(enum sched_policy policy, uint32_t cpus)
{
    struct sim *s = calloc(1, sizeof(*s));

    s->b = calloc(1, sizeof(*s->b));
    sched_board_init(s->b, policy, cpus);
    s->now = 1000 * MS;
    cur = s;
    return s;
}

static void sim_free(struct sim *s)
{
    free(s->b);
    free(s);
}

static int sim_add(struct sim *s, uint32_t weight, uint32_t cap, uint64_t slice, uint64_t period,
                   bool extra)
{
    struct sched_params p;
    int first, i = s->nv++;

    sched_params_default(&p);
    p.weight = weight;
    p.cap = cap;
    p.slice_ns = slice;
    p.period_ns = period;
    p.extra = extra;
    s->vm[i] = sched_join(s->b, getpid(), "t", &p, 1, s->now, &first);
    sched_set_state(s->b, first, SV_WAITING, s->now);
    sched_dispatch(s->b, s->now, &fake_ops);
    return i;
}

/* The next decision of simulated vCPU (i), or UINT64_MAX. */
static uint64_t next_event(struct sim *s, int i)
{
    const struct sched_vcpu *e = &s->b->vcpu[s->b->vm[s->vm[i]].first_vcpu];
    uint64_t until;

    if (e->state == SV_RUNNING)
        return s->start[i] + s->run[i];
    if (e->state == SV_BLOCKED)
        return s->wake_at[i];
    if (e->state == SV_WAITING && !sched_eligible(s->b, s->vm[i], s->now, &until))
        return until;
    return UINT64_MAX;
}

static void sim_run(struct sim *s, uint64_t ns)
{
    uint64_t end = s->now + ns;

    while (s->now < end) {
        uint64_t t = UINT64_MAX;
        int who = -1;

        for (int i = 0; i < s->nv; i++) {
            uint64_t n = next_event(s, i);

            if (n < t) {
                t = n;
                who = i;
            }
        }
        if (who < 0 || t > end) {
            s->now = end;
            break;
        }
        s->now = t > s->now ? t : s->now;

        int idx = (int)s->b->vm[s->vm[who]].first_vcpu;
        struct sched_vcpu *e = &s->b->vcpu[idx];

        if (e->state == SV_RUNNING) {
            uint64_t used = s->now - s->start[who];

            sched_charge(s->b, s->vm[who], used, s->now);
            e->mark = s->now; /* as member.c's charge() does */
            s->in_burst[who] += used;
            if (s->burst[who] && s->in_burst[who] >= s->burst[who]) {
                s->in_burst[who] = 0;
                s->wake_at[who] = s->now + s->nap[who];
                sched_set_state(s->b, idx, SV_BLOCKED, s->now);
                sched_dispatch(s->b, s->now, &fake_ops);
            } else if (sched_should_yield(s->b, idx, s->now)) {
                sched_set_state(s->b, idx, SV_WAITING, s->now);
                sched_dispatch(s->b, s->now, &fake_ops);
            } else {
                e->preempt = 0;
                begin(who);
            }
        } else if (e->state == SV_BLOCKED) {
            sched_wakeup(s->b, s->vm[who], s->now);
            sched_set_state(s->b, idx, SV_WAITING, s->now);
            sched_dispatch(s->b, s->now, &fake_ops);
        } else {
            sched_dispatch(s->b, s->now, &fake_ops);
        }
        /* A waiter that cannot run yet and nobody running: skip to it. */
        if (s->b->nr_running == 0) {
            uint64_t n = UINT64_MAX;

            for (int i = 0; i < s->nv; i++) {
                uint64_t x = next_event(s, i);

                if (x < n)
                    n = x;
            }
            if (n != UINT64_MAX && n > s->now)
                s->now = n < end ? n : end;
            sched_dispatch(s->b, s->now, &fake_ops);
        }
    }
}

static double share(struct sim *s, int i, const uint64_t *before, uint64_t ns)
{
    return (double)(s->b->vm[s->vm[i]].used_ns - before[i]) / (double)ns;
}

static void snap(struct sim *s, uint64_t *u)
{
    for (int i = 0; i < s->nv; i++)
        u[i] = s->b->vm[s->vm[i]].used_ns;
}

#define NEAR(x, want, tol) CHECK((x) > (want) - (tol) && (x) < (want) + (tol))

static void sched_credit_weights(void)
{
    struct sim *s = sim_new(SCHED_CREDIT, 1);
    uint64_t u[MAXV];

    sim_add(s, 256, 0, 0, 0, false);
    sim_add(s, 512, 0, 0, 0, false);
    sim_add(s, 256, 0, 0, 0, false);
    sim_run(s, 1000 * MS);
    snap(s, u);
    sim_run(s, 10000 * MS);
    NEAR(share(s, 0, u, 10000 * MS), 0.25, 0.005);
    NEAR(share(s, 1, u, 10000 * MS), 0.50, 0.005);
    NEAR(share(s, 2, u, 10000 * MS), 0.25, 0.005);
    /* A live change of weight: 1:1:2 within the next second. */
    s->b->vm[s->vm[2]].p.weight = 512;
    s->b->vm[s->vm[1]].p.weight = 256;
    sim_run(s, 200 * MS);
    snap(s, u);
    sim_run(s, 1000 * MS);
    NEAR(share(s, 0, u, 1000 * MS), 0.25, 0.02);
    NEAR(share(s, 1, u, 1000 * MS), 0.25, 0.02);
    NEAR(share(s, 2, u, 1000 * MS), 0.50, 0.02);
    sim_free(s);
}

static void sched_credit_cap(void)
{
    struct sim *s = sim_new(SCHED_CREDIT, 1);
    uint64_t u[MAXV];

    sim_add(s, 256, 20, 0, 0, false); /* alone on the host, and still 20 % */
    snap(s, u);
    sim_run(s, 5000 * MS);
    NEAR(share(s, 0, u, 5000 * MS), 0.20, 0.002);
    sim_add(s, 256, 0, 0, 0, false);  /* the rest goes to an uncapped VM */
    snap(s, u);
    sim_run(s, 5000 * MS);
    NEAR(share(s, 0, u, 5000 * MS), 0.20, 0.005);
    NEAR(share(s, 1, u, 5000 * MS), 0.80, 0.005);
    sim_free(s);
}

static void sched_sedf_slices(void)
{
    struct sim *s = sim_new(SCHED_SEDF, 1);
    uint64_t u[MAXV];

    sim_add(s, 256, 0, 10 * MS, 100 * MS, false);
    sim_add(s, 256, 0, 0, 0, false);
    sim_add(s, 256, 0, 0, 0, false);
    snap(s, u);
    sim_run(s, 10000 * MS);
    NEAR(share(s, 0, u, 10000 * MS), 0.10, 0.005);
    NEAR(share(s, 1, u, 10000 * MS), 0.45, 0.01);
    sim_free(s);

    /* With extra time it also takes what the others leave: here the other
     * VM is held to its own 30 ms in 100 ms. */
    s = sim_new(SCHED_SEDF, 1);
    sim_add(s, 256, 0, 10 * MS, 100 * MS, true);
    sim_add(s, 256, 0, 30 * MS, 100 * MS, false);
    snap(s, u);
    sim_run(s, 10000 * MS);
    NEAR(share(s, 0, u, 10000 * MS), 0.70, 0.01);
    NEAR(share(s, 1, u, 10000 * MS), 0.30, 0.005);
    sim_free(s);
}

/* Blocking just before each slice ends must not earn more than the share. */
static void sched_block_before_slice_end(void)
{
    struct sim *s = sim_new(SCHED_CREDIT, 1);
    uint64_t u[MAXV];
    int c = sim_add(s, 256, 0, 0, 0, false);

    s->burst[c] = SCHED_SLICE_NS - MS / 2;
    s->nap[c] = MS / 10;
    sim_add(s, 256, 0, 0, 0, false);
    sim_run(s, 500 * MS);
    snap(s, u);
    sim_run(s, 10000 * MS);
    CHECK(share(s, c, u, 10000 * MS) <= 0.505);
    CHECK(share(s, 1, u, 10000 * MS) >= 0.49);
    sim_free(s);
}

/* A VM that slept long comes back near the others, not with a bank of time,
 * and its wake-up preempts a CPU-bound VM. */
static void sched_wakeup_preempts(void)
{
    struct sim *s = sim_new(SCHED_CREDIT, 1);
    int c = sim_add(s, 256, 0, 0, 0, false);

    s->burst[c] = MS / 10;  /* interactive: a little work, then sleep 1 ms */
    s->nap[c] = MS;
    sim_add(s, 256, 0, 0, 0, false);
    sim_run(s, 2000 * MS);
    CHECK(s->preempts > 100);
    CHECK(s->b->vm[s->vm[c]].wait_ns < 500 * MS / 1000 * 2 + 100 * MS);
    sim_free(s);
}

/* A VM paused for a second comes back even with the other, not a second ahead. */
static void sched_pause_banks_nothing(void)
{
    struct sim *s = sim_new(SCHED_CREDIT, 1);
    uint64_t u[MAXV];
    int a = sim_add(s, 256, 0, 0, 0, false), idx;

    sim_add(s, 256, 0, 0, 0, false);
    sim_run(s, 500 * MS);
    idx = (int)s->b->vm[s->vm[a]].first_vcpu;
    sched_set_state(s->b, idx, SV_OFF, s->now);
    sched_dispatch(s->b, s->now, &fake_ops);
    sim_run(s, 1000 * MS);
    sched_wakeup(s->b, s->vm[a], s->now); /* what the gate does on resume */
    sched_set_state(s->b, idx, SV_WAITING, s->now);
    sched_dispatch(s->b, s->now, &fake_ops);
    snap(s, u);
    sim_run(s, 1000 * MS);
    if (getenv("SIMDEBUG"))
        printf("a %.3f b %.3f\n", share(s, a, u, 1000 * MS), share(s, 1, u, 1000 * MS));
    NEAR(share(s, a, u, 1000 * MS), 0.5, 0.02);
    sim_free(s);
}

/* A board in private memory with default parameters in (p). */
static struct sched_board *test_board(enum sched_policy policy, uint32_t cpus,
                                      struct sched_params *p)
{
    struct sched_board *b = calloc(1, sizeof(*b));

    cur = NULL;
    sched_board_init(b, policy, cpus);
    sched_params_default(p);
    return b;
}

static void sched_requested(void)
{
    struct sched_board *b = calloc(1, sizeof(*b));
    struct sched_params p;
    bool active[SCHED_MAX_VMS] = { false };
    int f, a, c, d;

    sched_board_init(b, SCHED_CREDIT, 2);
    sched_params_default(&p);
    a = sched_join(b, getpid(), "a", &p, 1, 0, &f);
    p.weight = 512;
    c = sched_join(b, getpid(), "c", &p, 1, 0, &f);
    p.weight = 256;
    p.cap = 10;
    d = sched_join(b, getpid(), "d", &p, 1, 0, &f);
    active[a] = active[c] = active[d] = true;
    /* 2 CPUs; d capped at 0.1; c limited by its one vCPU to 1.0. */
    CHECK(sched_requested_share(b, d, active) > 0.099 && sched_requested_share(b, d, active) < 0.101);
    CHECK(sched_requested_share(b, c, active) > 0.999 && sched_requested_share(b, c, active) < 1.001);
    CHECK(sched_requested_share(b, a, active) > 0.899 && sched_requested_share(b, a, active) < 0.901);
    free(b);
}

static void sched_params_rules(void)
{
    struct sched_params p;

    sched_params_default(&p);
    CHECK(sched_params_check(&p) == NULL);
    p.weight = 0;
    CHECK(sched_params_check(&p) != NULL);
    p.weight = 65536;
    CHECK(sched_params_check(&p) != NULL);
    p.weight = 1;
    p.slice_ns = 20 * MS;
    p.period_ns = 10 * MS;
    CHECK(sched_params_check(&p) != NULL);
    p.period_ns = 0;
    CHECK(sched_params_check(&p) != NULL);
    p.slice_ns = 0;
    p.period_ns = 100 * MS;
    CHECK(sched_params_check(&p) != NULL);
    p.slice_ns = 10 * MS;
    CHECK(sched_params_check(&p) == NULL);
    p.period_ns = 20000 * MS;
    CHECK(sched_params_check(&p) != NULL);
}

/* Joining fills entries; a dead process's grants are handed on. */
static void sched_join_reap(void)
{
    struct sched_params p;
    int f1, f2, v1, v2;
    pid_t dead;
    struct sched_board *b = test_board(SCHED_CREDIT, 1, &p);

    dead = fork();
    if (dead == 0)
        _exit(0);
    CHECK(dead > 0);
    CHECK(waitpid(dead, NULL, 0) == dead);
    v1 = sched_join(b, dead, "gone", &p, 2, 0, &f1);
    v2 = sched_join(b, getpid(), "here", &p, 1, 0, &f2);
    CHECK(v1 >= 0 && v2 >= 0 && f2 == f1 + 2);
    sched_set_state(b, f1, SV_RUNNING, 0);
    sched_set_state(b, f2, SV_WAITING, 0);
    CHECK_EQ(b->nr_running, 1);
    CHECK_INT(sched_reap(b, 1), 1);
    CHECK_EQ(b->vm[v1].in_use, 0);
    CHECK_EQ(b->vcpu[f2].state, SV_RUNNING); /* the freed CPU went to the waiter */
    CHECK_EQ(b->vcpu[f2].tid, 0);
    CHECK_INT(sched_join(b, getpid(), "x", &p, SCHED_MAX_VCPUS, 0, &f1), -ENOSPC);
    free(b);
}

/* Who may run on at once after a halt (the wake notice skipped). */
static void sched_entitlement(void)
{
    struct sched_params p;
    int f1, f2, a, c;
    struct sched_board *b = test_board(SCHED_CREDIT, 1, &p);

    a = sched_join(b, getpid(), "a", &p, 1, 0, &f1);
    c = sched_join(b, getpid(), "c", &p, 1, 0, &f2);
    sched_set_state(b, f2, SV_RUNNING, 0);
    sched_charge(b, c, 50 * MS, 50 * MS);
    b->vcpu[f2].mark = 60 * MS; /* charged up to then, as member.c does */
    sched_charge(b, a, 10 * MS, 50 * MS);
    CHECK(sched_entitled(b, a, 50 * MS, 0));   /* behind the busy one */
    sched_charge(b, a, 60 * MS, 60 * MS);
    CHECK(!sched_entitled(b, a, 60 * MS, 0));  /* ahead of it now */
    CHECK(sched_entitled(b, a, 60 * MS, 30 * MS)); /* but within 30 ms of it */
    b->vm[a].p.cap = 10;
    b->vm[a].vtime = 0;
    CHECK(!sched_entitled(b, a, 60 * MS, 0));  /* over its cap in this window */
    free(b);
}

/* A VM that woke and waits is due the CPU when the runner's virtual time
 * passes its own, but not before the runner has had SCHED_MIN_RUN_NS. */
static void sched_woken_waiter_due(void)
{
    struct sched_params p;
    int fr, fw, r, w;
    struct sched_board *b = test_board(SCHED_CREDIT, 1, &p);

    r = sched_join(b, getpid(), "runner", &p, 1, 0, &fr);
    w = sched_join(b, getpid(), "woken", &p, 1, 0, &fw);
    b->vm[r].vtime = 100 * MS;
    b->vm[w].vtime = 102 * MS;
    sched_set_state(b, fr, SV_RUNNING, 1000 * MS);
    CHECK_EQ(sched_woken_due(b, fr, 1000 * MS), UINT64_MAX); /* nobody waits */
    sched_set_state(b, fw, SV_WAITING, 1000 * MS);
    CHECK_EQ(sched_woken_due(b, fr, 1000 * MS), UINT64_MAX); /* a spinner, not woken */
    b->vcpu[fw].woken = 1;
    uint64_t due = sched_woken_due(b, fr, 1000 * MS);
    CHECK(due >= 2 * MS && due <= 2 * MS + 1000);            /* 2 ms of virtual time */
    CHECK_EQ(sched_woken_due(b, fr, 1003 * MS), 0);           /* passed */
    b->vm[w].vtime = 50 * MS;                                 /* far behind, but ... */
    CHECK_EQ(sched_woken_due(b, fr, 1000 * MS + 100000), SCHED_MIN_RUN_NS - 100000);
    free(b);
}

/* SEDF guarantees add up to the board's CPUs at most. */
static void sched_admission(void)
{
    struct sched_params p;
    int f, a;
    struct sched_board *b = test_board(SCHED_SEDF, 1, &p);

    p.slice_ns = 60 * MS;
    p.period_ns = 100 * MS;
    a = sched_join(b, getpid(), "a", &p, 1, 0, &f);
    CHECK(a >= 0);
    p.slice_ns = 50 * MS;
    CHECK(sched_admit(b, -1, &p, 1) != NULL);
    CHECK_INT(sched_join(b, getpid(), "b", &p, 1, 0, &f), -EBUSY);
    p.slice_ns = 40 * MS;
    CHECK(sched_admit(b, -1, &p, 1) == NULL);
    p.slice_ns = 90 * MS;
    CHECK(sched_admit(b, a, &p, 1) == NULL);   /* a itself may grow to 90 % */
    p.slice_ns = 100 * MS;
    p.period_ns = 50 * MS;                      /* > 1 vCPU's worth: never */
    CHECK(sched_admit(b, a, &p, 1) != NULL);
    b->policy = SCHED_CREDIT;                   /* not in force under credit */
    p.slice_ns = 50 * MS;
    p.period_ns = 100 * MS;
    CHECK(sched_admit(b, -1, &p, 1) == NULL);
    free(b);
}

/* A holder that stops checking in (SIGSTOP) loses its grant to a waiter. */
static void sched_stuck_holder(void)
{
    struct sched_params p;
    int f1, f2;
    struct sched_board *b = test_board(SCHED_CREDIT, 1, &p);

    sched_join(b, getpid(), "stopped", &p, 1, 0, &f1);
    sched_join(b, getpid(), "waiting", &p, 1, 0, &f2);
    sched_set_state(b, f1, SV_RUNNING, 1000);
    sched_set_state(b, f2, SV_WAITING, 1000);
    CHECK_INT(sched_revoke_stuck(b, 1000 + SCHED_STUCK_NS / 2, &sched_host_ops), 0);
    CHECK_EQ(b->vcpu[f1].state, SV_RUNNING);
    CHECK_INT(sched_revoke_stuck(b, 2000 + SCHED_STUCK_NS, &sched_host_ops), 1);
    CHECK_EQ(b->vcpu[f1].state, SV_OFF); /* not granted again until it asks */
    CHECK_EQ(b->vcpu[f2].state, SV_RUNNING);
    CHECK_EQ(b->nr_running, 1);
    free(b);
}

/* The API's scheduling object (daemon/schedconf.c) and a config's "sched". */
static void sched_json_params(void)
{
    static const struct {
        const char *json, *field;
    } bad[] = {
        { "{\"weight\":0}", "weight" },          { "{\"weight\":65536}", "weight" },
        { "{\"weight\":1.5}", "weight" },        { "{\"weight\":\"x\"}", "weight" },
        { "{\"cap\":-1}", "cap" },               { "{\"slice_ms\":5}", "period_ms" },
        { "{\"period_ms\":5}", "slice_ms" },     { "{\"slice_ms\":9,\"period_ms\":5}", "slice_ms" },
        { "{\"extra\":1}", "extra" },            { "{\"nope\":1}", "nope" },
        { "{\"weight\":2,\"weight\":3}", "weight" }, { "[]", "" },
    };
    struct sched_params p;
    struct api_err e;
    cJSON *cfg;

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *o = cJSON_Parse(bad[i].json);

        sched_params_default(&p);
        CHECK(o != NULL);
        CHECK(dsched_params_parse(o, &p, "", &e) == -400);
        if (strcmp(e.field, bad[i].field)) {
            unit_fail(__FILE__, __LINE__, "%s: field '%s', want '%s'", bad[i].json, e.field,
                      bad[i].field);
            cJSON_Delete(o);
            return;
        }
        CHECK_EQ(p.weight, SCHED_WEIGHT_DEFAULT); /* nothing changed */
        cJSON_Delete(o);
    }
    cJSON *o = cJSON_Parse("{\"weight\":512,\"cap\":20,\"slice_ms\":10,\"period_ms\":100,"
                           "\"extra\":true}");
    sched_params_default(&p);
    CHECK(dsched_params_parse(o, &p, "", &e) == 0);
    cJSON_Delete(o);
    CHECK_EQ(p.weight, 512);
    CHECK_EQ(p.cap, 20);
    CHECK_EQ(p.slice_ns, 10 * MS);
    CHECK_EQ(p.period_ns, 100 * MS);
    CHECK_EQ(p.extra, 1);

    static const char doc[] = "{\"name\":\"a\",\"program\":\"/p\",\"sched\":{\"weight\":0}}";
    CHECK(vmconfig_parse(doc, sizeof(doc) - 1, &cfg, &e) == -400);
    CHECK(!strcmp(e.field, "sched.weight"));
    static const char ok[] = "{\"name\":\"a\",\"program\":\"/p\"}";
    CHECK(vmconfig_parse(ok, sizeof(ok) - 1, &cfg, &e) == 0);
    dsched_config_params(cfg, &p); /* normalised: present, with the defaults */
    CHECK_EQ(p.weight, SCHED_WEIGHT_DEFAULT);
    CHECK(cJSON_GetObjectItemCaseSensitive(cfg, "sched") != NULL);

    char **owned, **argv = vmconfig_argv(cfg, "/rv", "/s/vms/a", "/s/sched.board", &owned);
    bool board = false;

    for (unsigned i = 0; argv && argv[i]; i++)
        board |= !strcmp(argv[i], "--sched-board") && !strcmp(argv[i + 1], "/s/sched.board");
    vmconfig_argv_free(argv, owned);
    cJSON_Delete(cfg);
    CHECK(board);
}

void suite_sched(void)
{
    RUN(sched_json_params);
    RUN(sched_credit_weights);
    RUN(sched_credit_cap);
    RUN(sched_sedf_slices);
    RUN(sched_block_before_slice_end);
    RUN(sched_wakeup_preempts);
    RUN(sched_pause_banks_nothing);
    RUN(sched_requested);
    RUN(sched_params_rules);
    RUN(sched_join_reap);
    RUN(sched_stuck_holder);
    RUN(sched_entitlement);
    RUN(sched_woken_waiter_due);
    RUN(sched_admission);
}
