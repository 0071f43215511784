// SPDX-License-Identifier: MIT
/* hcall_handle(): every op, every guest error, multicall, and what is (and is
 * never) written back into guest RAM. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "abi/rv_abi.h"
#include "tests/unit/unit.h"
#include "vmm/core/hcall.h"

#define RAM (1u << 20)
#define BLOCK 0x1000u  /* where the test's struct rv_hcall lives */
#define ARRAY 0x2000u  /* multicall arrays */
#define BUF 0x4000u    /* console bytes */

struct fake {
    uint8_t out[RV_HC_CONSOLE_MAX + 16];
    uint64_t out_len;
    int calls;
    int64_t console_ret; /* 0: return len */
    /* Set by the console hook to race the guest's block, like another vCPU. */
    struct rv_hcall *scribble;
};

static int64_t fake_console(void *opaque, const uint8_t *buf, uint64_t len)
{
    struct fake *f = opaque;

    f->calls++;
    if (f->out_len + len <= sizeof(f->out)) {
        memcpy(f->out + f->out_len, buf, len);
        f->out_len += len;
    }
    if (f->scribble) {
        f->scribble->op = 0xabcd;
        f->scribble->flags = 0x1234;
    }
    return f->console_ret ? f->console_ret : (int64_t)len;
}

static void fake_wallclock(void *opaque, uint64_t *realtime_ns, uint64_t *kvmclock_ns)
{
    (void)opaque;
    *realtime_ns = 1700000000123456789ull;
    *kvmclock_ns = 987654321;
}

static const struct hcall_ops fake_ops = {
    .console = fake_console,
    .wallclock = fake_wallclock,
};

struct t {
    struct guest_mem m;
    struct fake f;
    struct hcall_env env;
};

static struct t *setup(void)
{
    struct t *t = calloc(1, sizeof(*t));

    if (!t)
        abort();
    guest_alloc(&t->m, RAM);
    t->env = (struct hcall_env){ .mem = &t->m, .ops = &fake_ops, .opaque = &t->f };
    return t;
}

static void teardown(struct t *t)
{
    guest_free(&t->m);
    free(t);
}

static struct rv_hcall *hc_at(struct t *t, gpa_t gpa)
{
    return (struct rv_hcall *)(t->m.host + gpa);
}

/* Place a block at BLOCK and run it; returns what hcall_handle returned. */
static int call(struct t *t, uint32_t op, uint32_t flags, uint64_t a0, uint64_t a1)
{
    struct rv_hcall *hc = hc_at(t, BLOCK);

    *hc = (struct rv_hcall){ .op = op, .flags = flags, .ret = 0x5555,
                             .arg = { a0, a1, 3, 4, 5, 6 } };
    return hcall_handle(&t->env, BLOCK >> 4);
}

static void hcall_nop(void)
{
    struct t *t = setup();
    struct rv_hcall *hc = hc_at(t, BLOCK);

    CHECK_INT(call(t, RV_HC_NOP, 0, 1, 2), 0);
    CHECK_INT(hc->ret, 0);
    CHECK_EQ(hc->op, RV_HC_NOP);
    CHECK_EQ(hc->arg[0], 1);
    CHECK_EQ(hc->arg[5], 6);
    CHECK_EQ(t->env.nr_errors, 0);
    CHECK(!t->env.poweroff);
    teardown(t);
}

static void hcall_poweroff(void)
{
    struct t *t = setup();

    CHECK_INT(call(t, RV_HC_POWEROFF, 0, 255, 0), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, 0);
    CHECK(t->env.poweroff);
    CHECK_INT(t->env.exit_status, 255);
    teardown(t);

    t = setup();
    CHECK_INT(call(t, RV_HC_POWEROFF, 0, 0, 0), 0);
    CHECK(t->env.poweroff);
    CHECK_INT(t->env.exit_status, 0);
    teardown(t);
}

static void hcall_poweroff_bad_status(void)
{
    struct t *t = setup();

    CHECK_INT(call(t, RV_HC_POWEROFF, 0, 256, 0), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EINVAL);
    CHECK(!t->env.poweroff);
    CHECK_INT(call(t, RV_HC_POWEROFF, 0, UINT64_MAX, 0), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EINVAL);
    CHECK(!t->env.poweroff);
    CHECK_EQ(t->env.nr_errors, 2);
    CHECK(t->env.last_error != NULL);
    teardown(t);
}

static void hcall_flags(void)
{
    struct t *t = setup();

    CHECK_INT(call(t, RV_HC_NOP, 1, 0, 0), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EINVAL);
    /* flags are checked before the op runs. */
    CHECK_INT(call(t, RV_HC_POWEROFF, 0x80000000u, 0, 0), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EINVAL);
    CHECK(!t->env.poweroff);
    teardown(t);
}

static void hcall_unknown(void)
{
    struct t *t = setup();

    CHECK_INT(call(t, RV_HC_NR, 0, 0, 0), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_ENOSYS);
    CHECK_INT(call(t, UINT32_MAX, 0, 0, 0), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_ENOSYS);
    CHECK_EQ(t->env.nr_errors, 2);
    teardown(t);
}

static void hcall_console(void)
{
    struct t *t = setup();

    memcpy(t->m.host + BUF, "hello, world\n", 13);
    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, BUF, 13), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, 13);
    CHECK_EQ(t->f.out_len, 13);
    CHECK(memcmp(t->f.out, "hello, world\n", 13) == 0);
    /* The last byte of RAM, the maximum length, and len 0. */
    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, RAM - 1, 1), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, 1);
    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, 0, RV_HC_CONSOLE_MAX), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, RV_HC_CONSOLE_MAX);
    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, BUF, 0), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, 0);
    /* The host console's error goes back to the guest as is. */
    t->f.console_ret = -5;
    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, BUF, 4), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -5);
    CHECK_EQ(t->env.nr_errors, 0);
    teardown(t);
}

static void hcall_console_fault(void)
{
    struct t *t = setup();

    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, RAM, 1), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EFAULT);
    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, RAM - 4, 5), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EFAULT);
    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, 1ull << 40, 1), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EFAULT);
    /* gpa + len wraps to a small, valid-looking address. */
    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, UINT64_MAX - 1, 4), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EFAULT);
    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, UINT64_MAX - 15, 32), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EFAULT);
    CHECK_EQ(t->f.calls, 0);
    CHECK_EQ(t->env.nr_errors, 5);
    teardown(t);
}

static void hcall_console_too_long(void)
{
    struct t *t = setup();

    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, 0, RV_HC_CONSOLE_MAX + 1), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_E2BIG);
    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, 0, UINT64_MAX), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_E2BIG);
    CHECK_EQ(t->f.calls, 0);
    teardown(t);
}

static void hcall_wallclock(void)
{
    struct t *t = setup();
    struct rv_hcall *hc = hc_at(t, BLOCK);

    CHECK_INT(call(t, RV_HC_WALLCLOCK, 0, 0, 0), 0);
    CHECK_INT(hc->ret, 0);
    CHECK_EQ(hc->arg[0], 1700000000123456789ull);
    CHECK_EQ(hc->arg[1], 987654321);
    CHECK_EQ(hc->arg[2], 3); /* untouched IN args come back unchanged */
    teardown(t);
}

static void hcall_block_outside(void)
{
    struct t *t = setup();
    uint8_t *before = malloc(RAM);

    CHECK(before != NULL);
    for (uint32_t i = 0; i < RAM; i++)
        t->m.host[i] = (uint8_t)(i * 13);
    memcpy(before, t->m.host, RAM);
    CHECK_INT(hcall_handle(&t->env, RAM >> 4), -EFAULT);
    /* A block that starts in RAM but ends past it. */
    CHECK_INT(hcall_handle(&t->env, (RAM - 32) >> 4), -EFAULT);
    CHECK_INT(hcall_handle(&t->env, UINT32_MAX), -EFAULT);
    CHECK(memcmp(before, t->m.host, RAM) == 0);
    CHECK_EQ(t->env.nr_errors, 3);
    /* The last whole block in RAM is fine. */
    *hc_at(t, RAM - 64) = (struct rv_hcall){ .op = RV_HC_NOP, .ret = 9 };
    CHECK_INT(hcall_handle(&t->env, (RAM - 64) >> 4), 0);
    CHECK_INT(hc_at(t, RAM - 64)->ret, 0);
    free(before);
    teardown(t);
}

static void hcall_no_op_writeback(void)
{
    struct t *t = setup();
    struct rv_hcall *hc = hc_at(t, BLOCK);

    /* Another vCPU rewrites op/flags while the call runs: the host wrote
     * back only ret and args, so the guest's new op/flags survive. */
    t->f.scribble = hc;
    memcpy(t->m.host + BUF, "x", 1);
    CHECK_INT(call(t, RV_HC_CONSOLE_WRITE, 0, BUF, 1), 0);
    CHECK_EQ(hc->op, 0xabcd);
    CHECK_EQ(hc->flags, 0x1234);
    CHECK_INT(hc->ret, 1);
    teardown(t);
}

static void set_entry(struct t *t, int i, uint32_t op, uint64_t a0, uint64_t a1)
{
    *hc_at(t, ARRAY + 64u * (unsigned)i) = (struct rv_hcall){
        .op = op, .ret = 0x7777, .arg = { a0, a1 } };
}

static void hcall_multicall(void)
{
    struct t *t = setup();

    memcpy(t->m.host + BUF, "abc", 3);
    set_entry(t, 0, RV_HC_NOP, 0, 0);
    set_entry(t, 1, RV_HC_CONSOLE_WRITE, BUF, 3);
    set_entry(t, 2, RV_HC_WALLCLOCK, 0, 0);
    set_entry(t, 3, RV_HC_NR, 0, 0);
    set_entry(t, 4, RV_HC_CONSOLE_WRITE, RAM, 1);
    CHECK_INT(call(t, RV_HC_MULTICALL, 0, ARRAY, 5), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, 5);
    CHECK_INT(hc_at(t, ARRAY)->ret, 0);
    CHECK_INT(hc_at(t, ARRAY + 64)->ret, 3);
    CHECK_INT(hc_at(t, ARRAY + 128)->ret, 0);
    CHECK_EQ(hc_at(t, ARRAY + 128)->arg[0], 1700000000123456789ull);
    CHECK_EQ(hc_at(t, ARRAY + 128)->arg[1], 987654321);
    CHECK_INT(hc_at(t, ARRAY + 192)->ret, -RV_ENOSYS);
    CHECK_INT(hc_at(t, ARRAY + 256)->ret, -RV_EFAULT);
    CHECK_EQ(hc_at(t, ARRAY + 64)->op, RV_HC_CONSOLE_WRITE);
    CHECK(memcmp(t->f.out, "abc", 3) == 0);
    /* count 0 runs nothing. */
    CHECK_INT(call(t, RV_HC_MULTICALL, 0, ARRAY, 0), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, 0);
    teardown(t);
}

static void hcall_multicall_max(void)
{
    struct t *t = setup();

    for (int i = 0; i < (int)RV_HC_MULTICALL_MAX; i++)
        set_entry(t, i, RV_HC_NOP, 0, 0);
    CHECK_INT(call(t, RV_HC_MULTICALL, 0, ARRAY, RV_HC_MULTICALL_MAX), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, RV_HC_MULTICALL_MAX);
    CHECK_INT(hc_at(t, ARRAY + 64 * (RV_HC_MULTICALL_MAX - 1))->ret, 0);
    set_entry(t, 0, RV_HC_NOP, 0, 0);
    CHECK_INT(call(t, RV_HC_MULTICALL, 0, ARRAY, RV_HC_MULTICALL_MAX + 1), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_E2BIG);
    CHECK_INT(hc_at(t, ARRAY)->ret, 0x7777); /* nothing ran */
    CHECK_INT(call(t, RV_HC_MULTICALL, 0, ARRAY, UINT64_MAX), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_E2BIG);
    teardown(t);
}

static void hcall_multicall_fault(void)
{
    struct t *t = setup();

    CHECK_INT(call(t, RV_HC_MULTICALL, 0, RAM, 1), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EFAULT);
    /* Starts in RAM, the last entry runs past the end: nothing runs. */
    *hc_at(t, RAM - 64) = (struct rv_hcall){ .op = RV_HC_NOP, .ret = 0x7777 };
    CHECK_INT(call(t, RV_HC_MULTICALL, 0, RAM - 64, 2), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EFAULT);
    CHECK_INT(hc_at(t, RAM - 64)->ret, 0x7777);
    CHECK_INT(call(t, RV_HC_MULTICALL, 0, UINT64_MAX - 63, 2), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, -RV_EFAULT);
    teardown(t);
}

static void hcall_multicall_nested(void)
{
    struct t *t = setup();

    set_entry(t, 0, RV_HC_NOP, 0, 0);
    set_entry(t, 1, RV_HC_MULTICALL, ARRAY, 3);
    set_entry(t, 2, RV_HC_WALLCLOCK, 0, 0);
    CHECK_INT(call(t, RV_HC_MULTICALL, 0, ARRAY, 3), 0);
    CHECK_INT(hc_at(t, BLOCK)->ret, 3);
    CHECK_INT(hc_at(t, ARRAY)->ret, 0);
    CHECK_INT(hc_at(t, ARRAY + 64)->ret, -RV_EINVAL);
    CHECK_INT(hc_at(t, ARRAY + 128)->ret, 0);
    CHECK_EQ(hc_at(t, ARRAY + 128)->arg[1], 987654321);
    teardown(t);
}

static void hcall_multicall_poweroff(void)
{
    struct t *t = setup();

    /* Poweroff does not return: entries after it are not run. */
    set_entry(t, 0, RV_HC_NOP, 0, 0);
    set_entry(t, 1, RV_HC_POWEROFF, 7, 0);
    set_entry(t, 2, RV_HC_NOP, 0, 0);
    CHECK_INT(call(t, RV_HC_MULTICALL, 0, ARRAY, 3), 0);
    CHECK(t->env.poweroff);
    CHECK_INT(t->env.exit_status, 7);
    CHECK_INT(hc_at(t, BLOCK)->ret, 2);
    CHECK_INT(hc_at(t, ARRAY + 128)->ret, 0x7777);
    teardown(t);
}

void suite_hcall(void)
{
    RUN(hcall_nop);
    RUN(hcall_poweroff);
    RUN(hcall_poweroff_bad_status);
    RUN(hcall_flags);
    RUN(hcall_unknown);
    RUN(hcall_console);
    RUN(hcall_console_fault);
    RUN(hcall_console_too_long);
    RUN(hcall_wallclock);
    RUN(hcall_block_outside);
    RUN(hcall_no_op_writeback);
    RUN(hcall_multicall);
    RUN(hcall_multicall_max);
    RUN(hcall_multicall_fault);
    RUN(hcall_multicall_nested);
    RUN(hcall_multicall_poweroff);
}
