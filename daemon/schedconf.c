// SPDX-License-Identifier: MIT
/* Scheduling parameters in JSON: checked field by field (pure, like vmconfig.c). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/sched.h"

/* "sched.weight" or "weight": the field's full name for errors. */
static const char *full(char *buf, size_t size, const char *prefix, const char *name)
{
    snprintf(buf, size, "%s%.40s", prefix, name);
    return buf;
}

/* An integer field in lo..hi. */
static int int_field(const cJSON *it, const char *prefix, double lo, double hi, double *out,
                     struct api_err *e)
{
    char f[64];

    full(f, sizeof(f), prefix, it->string);
    if (!cJSON_IsNumber(it))
        return api_fail(e, 400, f, "%s: must be a number", f);
    if (isnan(it->valuedouble) || it->valuedouble < lo || it->valuedouble > hi ||
        it->valuedouble != floor(it->valuedouble))
        return api_fail(e, 400, f, "%s: must be an integer %g..%g", f, lo, hi);
    *out = it->valuedouble;
    return 0;
}

int dsched_params_parse(const cJSON *obj, struct sched_params *p, const char *prefix,
                        struct api_err *e)
{
    struct sched_params n = *p;
    const cJSON *it;
    const char *bad;
    char f[64];
    double x;
    int r;

    if (!cJSON_IsObject(obj))
        return api_fail(e, 400, prefix[0] ? "sched" : "", "%s must be an object of weight, cap, "
                        "slice_ms, period_ms, extra", prefix[0] ? "sched" : "the body");
    cJSON_ArrayForEach(it, obj) {
        /* cJSON keeps duplicate keys; which one wins would be a guess. */
        for (const cJSON *j = it->next; j; j = j->next)
            if (!strcmp(j->string, it->string))
                return api_fail(e, 400, full(f, sizeof(f), prefix, it->string),
                                "%s: appears twice", f);
        if (!strcmp(it->string, "weight")) {
            if ((r = int_field(it, prefix, 1, SCHED_WEIGHT_MAX, &x, e)))
                return r;
            n.weight = (uint32_t)x;
        } else if (!strcmp(it->string, "cap")) {
            if ((r = int_field(it, prefix, 0, 100.0 * SCHED_MAX_VCPUS, &x, e)))
                return r;
            n.cap = (uint32_t)x;
        } else if (!strcmp(it->string, "slice_ms") || !strcmp(it->string, "period_ms")) {
            /* Both 0: no guarantee. */
            if ((r = int_field(it, prefix, 0, SCHED_PERIOD_MAX_NS / 1000000, &x, e)))
                return r;
            if (it->string[0] == 's')
                n.slice_ns = (uint64_t)x * 1000000ull;
            else
                n.period_ns = (uint64_t)x * 1000000ull;
        } else if (!strcmp(it->string, "extra")) {
            if (!cJSON_IsBool(it))
                return api_fail(e, 400, full(f, sizeof(f), prefix, "extra"),
                                "%s: must be true or false", f);
            n.extra = cJSON_IsTrue(it);
        } else {
            return api_fail(e, 400, full(f, sizeof(f), prefix, it->string),
                            "%s: unknown field (weight, cap, slice_ms, period_ms, extra)", f);
        }
    }
    if ((bad = sched_params_check(&n))) {
        const char *name = !strncmp(bad, "weight", 6) ? "weight"
                           : !strncmp(bad, "cap", 3)  ? "cap"
                           : !strncmp(bad, "period", 6) ? "period_ms"
                                                        : "slice_ms";

        return api_fail(e, 400, full(f, sizeof(f), prefix, name), "%s: %s", f, bad);
    }
    *p = n;
    return 0;
}

cJSON *dsched_params_json(const struct sched_params *p)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "weight", p->weight);
    cJSON_AddNumberToObject(o, "cap", p->cap);
    cJSON_AddNumberToObject(o, "slice_ms", (double)p->slice_ns / 1e6);
    cJSON_AddNumberToObject(o, "period_ms", (double)p->period_ns / 1e6);
    cJSON_AddBoolToObject(o, "extra", p->extra);
    return o;
}


void dsched_config_params(const cJSON *cfg, struct sched_params *p)
{
    struct api_err e;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(cfg, "sched");

    sched_params_default(p);
    /* Checked when the VM was created or changed: it parses. */
    if (s && dsched_params_parse(s, p, "sched.", &e))
        sched_params_default(p);
}
