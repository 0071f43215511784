// SPDX-License-Identifier: MIT
/* Synchronous hypercall dispatch: copy, check, use, write back. */
#include "vmm/core/hcall.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "abi/rv_abi.h"

static int64_t guest_error(struct hcall_env *env, int64_t err, const char *what)
{
    env->nr_errors++;
    env->last_error = what;
    return err;
}

static int64_t hc_console(struct hcall_env *env, const struct rv_hcall *hc)
{
    uint64_t gpa = hc->arg[0], len = hc->arg[1];
    const uint8_t *buf;

    if (len > RV_HC_CONSOLE_MAX)
        return guest_error(env, -RV_E2BIG, "console write too long");
    buf = mem_gpa(env->mem, gpa, len);
    if (!buf)
        return guest_error(env, -RV_EFAULT, "console buffer outside guest RAM");
    /* The bytes are passed through, never interpreted, so reading them in
     * place (rather than copying) cannot be raced into a wrong decision. */
    return env->ops->console(env->opaque, buf, len);
}

static int64_t run_one(struct hcall_env *env, struct rv_hcall *hc, bool nested);

static int64_t hc_multicall(struct hcall_env *env, const struct rv_hcall *hc)
{
    uint64_t gpa = hc->arg[0], count = hc->arg[1];
    int64_t n = 0;

    if (count > RV_HC_MULTICALL_MAX)
        return guest_error(env, -RV_E2BIG, "multicall count too large");
    /* count is bounded, so count * sizeof cannot overflow. */
    if (!mem_gpa(env->mem, gpa, count * sizeof(struct rv_hcall)))
        return guest_error(env, -RV_EFAULT, "multicall array outside guest RAM");
    for (uint64_t i = 0; i < count && !env->poweroff; i++) {
        gpa_t at = gpa + i * sizeof(struct rv_hcall);
        struct rv_hcall e;

        if (mem_read(env->mem, &e, at, sizeof(e)))
            break; /* checked above; RAM does not shrink under us */
        e.ret = run_one(env, &e, true);
        if (mem_write(env->mem, at + offsetof(struct rv_hcall, ret), &e.ret,
                      sizeof(e.ret) + sizeof(e.arg)))
            break;
        n++;
    }
    return n;
}

static int64_t run_one(struct hcall_env *env, struct rv_hcall *hc, bool nested)
{
    if (hc->flags != 0)
        return guest_error(env, -RV_EINVAL, "hypercall flags must be 0");
    switch (hc->op) {
    case RV_HC_NOP:
        return 0;
    case RV_HC_POWEROFF:
        if (hc->arg[0] > 255)
            return guest_error(env, -RV_EINVAL, "poweroff status above 255");
        env->poweroff = true;
        env->exit_status = (int)hc->arg[0];
        return 0;
    case RV_HC_CONSOLE_WRITE:
        return hc_console(env, hc);
    case RV_HC_MULTICALL:
        if (nested)
            return guest_error(env, -RV_EINVAL, "nested multicall");
        return hc_multicall(env, hc);
    case RV_HC_WALLCLOCK:
        env->ops->wallclock(env->opaque, &hc->arg[0], &hc->arg[1]);
        return 0;
    default:
        return guest_error(env, -RV_ENOSYS, "unknown hypercall");
    }
}

int hcall_handle(struct hcall_env *env, uint32_t value)
{
    gpa_t gpa = (gpa_t)value << 4;
    struct rv_hcall hc;

    /* Copy first: the guest (another vCPU) may change the block meanwhile. */
    if (mem_read(env->mem, &hc, gpa, sizeof(hc))) {
        guest_error(env, 0, "hypercall block outside guest RAM");
        return -EFAULT;
    }
    hc.ret = run_one(env, &hc, false);
    /* Write back ret and the args (OUT for some ops), never op/flags. */
    if (mem_write(env->mem, gpa + offsetof(struct rv_hcall, ret), &hc.ret,
                  sizeof(hc.ret) + sizeof(hc.arg)))
        return -EFAULT;
    return 0;
}
