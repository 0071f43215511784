// SPDX-License-Identifier: MIT
/* reqring_drain(): order across index wrap-around, the consumer index written
 * back, and a hostile producer breaking the ring for good. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/rv_ring.h"
#include "tests/unit/unit.h"
#include "vmm/core/reqring.h"

#define RAM (64u << 10)
#define RING 0x1000u

struct sink {
    uint8_t buf[2 * RV_RING_SLOTS * RV_REQ_DATA];
    uint32_t len;
    int calls;
};

static int sink_console(void *opaque, const uint8_t *buf, uint32_t len)
{
    struct sink *s = opaque;

    s->calls++;
    if (s->len + len <= sizeof(s->buf)) {
        memcpy(s->buf + s->len, buf, len);
        s->len += len;
    }
    return 0;
}

struct t {
    struct guest_mem m;
    struct sink s;
    struct reqring r;
    struct rv_req_ring *ring;
};

static struct t *setup(uint32_t start)
{
    struct t *t = calloc(1, sizeof(*t));

    if (!t)
        abort();
    guest_alloc(&t->m, RAM);
    if (reqring_init(&t->r, &t->m, RING, sink_console, &t->s) != 0)
        abort();
    t->ring = (struct rv_req_ring *)(t->m.host + RING);
    /* Both sides start at (start), as after a long-running guest. */
    t->r.cons = start;
    t->ring->cons = start;
    t->ring->prod = start;
    return t;
}

static void teardown(struct t *t)
{
    reqring_exit(&t->r);
    guest_free(&t->m);
    free(t);
}

/* Guest side: publish one request. */
static void produce(struct t *t, uint32_t op, const void *data, uint32_t len)
{
    struct rv_req *req = &t->ring->slot[t->ring->prod % RV_RING_SLOTS];

    req->op = op;
    req->len = len;
    memcpy(req->data, data, len < RV_REQ_DATA ? len : RV_REQ_DATA);
    t->ring->prod++;
}

static void reqring_init_outside(void)
{
    struct guest_mem m;
    struct reqring r;

    guest_alloc(&m, RAM);
    CHECK_INT(reqring_init(&r, &m, RAM - sizeof(struct rv_req_ring) + 1, sink_console, NULL),
              -EFAULT);
    CHECK_INT(reqring_init(&r, &m, UINT64_MAX - 64, sink_console, NULL), -EFAULT);
    CHECK_INT(reqring_init(&r, &m, RAM - sizeof(struct rv_req_ring), sink_console, NULL), 0);
    reqring_exit(&r);
    guest_free(&m);
}

static void reqring_empty(void)
{
    struct t *t = setup(0);

    CHECK_INT(reqring_drain(&t->r), 0);
    CHECK_EQ(t->s.calls, 0);
    CHECK_EQ(t->ring->cons, 0);
    teardown(t);
}

static void reqring_wrap(void)
{
    struct t *t = setup(UINT32_MAX - 2);
    char msg[8];

    /* Five requests whose indices wrap from UINT32_MAX - 2 to 2. */
    for (int i = 0; i < 5; i++) {
        int n = snprintf(msg, sizeof(msg), "<%d>", i);
        produce(t, RV_REQ_CONSOLE, msg, (uint32_t)n);
    }
    CHECK_EQ(t->ring->prod, 2);
    CHECK_INT(reqring_drain(&t->r), 5);
    CHECK_EQ(t->s.len, 15);
    CHECK(memcmp(t->s.buf, "<0><1><2><3><4>", 15) == 0);
    CHECK_EQ(t->s.calls, 1); /* batched per drain */
    CHECK_EQ(t->ring->cons, 2);
    CHECK_EQ(t->r.cons, 2);
    CHECK_INT(reqring_drain(&t->r), 0);
    CHECK_EQ(t->s.calls, 1);
    teardown(t);
}

static void reqring_full(void)
{
    struct t *t = setup(UINT32_MAX - 10);
    uint8_t data[RV_REQ_DATA];

    for (uint32_t i = 0; i < RV_RING_SLOTS; i++) {
        memset(data, (int)i, sizeof(data));
        produce(t, RV_REQ_CONSOLE, data, RV_REQ_DATA);
    }
    CHECK_INT(reqring_drain(&t->r), RV_RING_SLOTS);
    CHECK_EQ(t->s.len, RV_RING_SLOTS * RV_REQ_DATA);
    for (uint32_t i = 0; i < RV_RING_SLOTS; i++)
        CHECK_EQ(t->s.buf[i * RV_REQ_DATA + RV_REQ_DATA - 1], i);
    CHECK_EQ(t->ring->cons, UINT32_MAX - 10 + RV_RING_SLOTS);
    teardown(t);
}

static void reqring_len0_and_guest_cons_ignored(void)
{
    struct t *t = setup(100);

    produce(t, RV_REQ_CONSOLE, "", 0);
    produce(t, RV_REQ_CONSOLE, "ab", 2);
    /* The guest's copy of cons is never read back by the host. */
    t->ring->cons = 5000;
    CHECK_INT(reqring_drain(&t->r), 2);
    CHECK_EQ(t->s.len, 2);
    CHECK_EQ(t->ring->cons, 102);
    teardown(t);
}

/* After -EPROTO once, the ring is ignored for good, whatever the guest does. */
static void expect_dead(struct t *t)
{
    uint32_t cons = t->ring->cons;
    int calls = t->s.calls;

    CHECK_INT(reqring_drain(&t->r), 0);
    t->ring->prod = t->r.cons + 1;
    t->ring->slot[t->r.cons % RV_RING_SLOTS] = (struct rv_req){ .op = RV_REQ_CONSOLE, .len = 1 };
    CHECK_INT(reqring_drain(&t->r), 0);
    CHECK_INT(reqring_drain(&t->r), 0);
    CHECK_EQ(t->s.calls, calls);
    CHECK_EQ(t->ring->cons, cons);
    CHECK(t->r.broken);
    CHECK(t->r.why != NULL);
}

static void reqring_prod_too_far(void)
{
    struct t *t = setup(UINT32_MAX - 3);

    t->ring->prod = UINT32_MAX - 3 + RV_RING_SLOTS + 1;
    CHECK_INT(reqring_drain(&t->r), -EPROTO);
    CHECK_EQ(t->s.calls, 0);
    CHECK_EQ(t->r.cons, UINT32_MAX - 3);
    expect_dead(t);
    teardown(t);
}

static void reqring_prod_behind(void)
{
    struct t *t = setup(10);

    t->ring->prod = 9; /* prod - cons wraps to UINT32_MAX */
    CHECK_INT(reqring_drain(&t->r), -EPROTO);
    expect_dead(t);
    teardown(t);
}

static void reqring_len_too_big(void)
{
    struct t *t = setup(0);

    produce(t, RV_REQ_CONSOLE, "ok", 2);
    produce(t, RV_REQ_CONSOLE, "bad", 3);
    t->ring->slot[1].len = RV_REQ_DATA + 1;
    produce(t, RV_REQ_CONSOLE, "never", 5);
    CHECK_INT(reqring_drain(&t->r), -EPROTO);
    /* What came before the bad entry is delivered and consumed. */
    CHECK_EQ(t->s.len, 2);
    CHECK(memcmp(t->s.buf, "ok", 2) == 0);
    CHECK_EQ(t->ring->cons, 1);
    expect_dead(t);
    teardown(t);
}

static void reqring_len_huge(void)
{
    struct t *t = setup(7);

    produce(t, RV_REQ_CONSOLE, "", 0);
    t->ring->slot[7].len = UINT32_MAX;
    CHECK_INT(reqring_drain(&t->r), -EPROTO);
    CHECK_EQ(t->s.calls, 0);
    expect_dead(t);
    teardown(t);
}

static void reqring_unknown_op(void)
{
    struct t *t = setup(0);

    produce(t, 0, "x", 1);
    CHECK_INT(reqring_drain(&t->r), -EPROTO);
    CHECK_EQ(t->s.calls, 0);
    CHECK_EQ(t->ring->cons, 0);
    expect_dead(t);
    teardown(t);

    t = setup(0);
    produce(t, RV_REQ_CONSOLE + 1, "x", 1);
    CHECK_INT(reqring_drain(&t->r), -EPROTO);
    expect_dead(t);
    teardown(t);
}

void suite_reqring(void)
{
    RUN(reqring_init_outside);
    RUN(reqring_empty);
    RUN(reqring_wrap);
    RUN(reqring_full);
    RUN(reqring_len0_and_guest_cons_ignored);
    RUN(reqring_prod_too_far);
    RUN(reqring_prod_behind);
    RUN(reqring_len_too_big);
    RUN(reqring_len_huge);
    RUN(reqring_unknown_op);
}
