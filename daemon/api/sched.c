// SPDX-License-Identifier: MIT
/*
 * The scheduler resource: /v1/sched (the host's policy and each VM's
 * requested and received share, allocation error and wait time over a recent
 * window) and /v1/vms/NAME/sched (a VM's parameters: read, or change live
 * with PATCH; the change is kept in its definition).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api/api.h"
#include "daemon/sched.h"
#include "vmm/core/parse.h"

/* ?window=S, 1..DSCHED_WINDOW_MAX_S; -1 after replying with an error. */
static int window(const struct api_req *req, struct api_resp *resp)
{
    char buf[32];
    uint64_t w = DSCHED_WINDOW_DEFAULT_S;

    if (!api_query(req->query, "window", buf, sizeof(buf)) &&
        parse_uint(buf, 1, DSCHED_WINDOW_MAX_S, &w)) {
        api_reply_errorf(resp, 400, "window", "window: must be whole seconds, 1 to %d",
                         DSCHED_WINDOW_MAX_S);
        return -1;
    }
    return (int)w;
}

static const char *name_of(void *ctx, pid_t pid)
{
    struct daemon *d = ctx;

    for (struct vmrec *v = d->vms; v; v = v->next)
        if (v->pid == pid)
            return v->name;
    return NULL;
}

const char *api_sched_admit(struct daemon *d, const struct vmrec *self,
                            const struct sched_params *p, uint32_t nr_vcpus)
{
    double held = 0;

    /* The definitions of live VMs, not the board: a VM just created may
     * not have joined it yet. */
    for (struct vmrec *v = d->vms; v; v = v->next) {
        struct sched_params q;

        if (v == self || !v->pid)
            continue;
        dsched_config_params(v->config, &q);
        held += sched_utilisation(&q);
    }
    return sched_admit_sum(d->sched->map.b, held, p, nr_vcpus);
}

static void reply_vm_sched(struct daemon *d, struct vmrec *v, struct api_resp *resp, int w)
{
    struct sched_params p;
    cJSON *o = v->pid ? dsched_vm_json(d->sched, v->pid, w) : NULL;

    if (!o) {
        /* Not on the board (stopped, or still starting): the definition. */
        dsched_config_params(v->config, &p);
        o = dsched_params_json(&p);
    }
    cJSON_AddStringToObject(o, "name", v->name);
    cJSON_AddStringToObject(o, "policy", dsched_policy_name(d->sched->map.b->policy));
    api_reply_json(resp, 200, o);
}

static void patch(struct daemon *d, struct vmrec *v, const struct api_req *req,
                  struct api_resp *resp)
{
    struct sched_params p;
    struct api_err e;
    cJSON *body = cJSON_ParseWithLength(req->body ? req->body : "", req->body_len);
    int err;

    if (!body) {
        api_reply_errorf(resp, 400, NULL, "the body is not valid JSON");
        return;
    }
    dsched_config_params(v->config, &p);
    err = dsched_params_parse(body, &p, "", &e);
    cJSON_Delete(body);
    if (err) {
        api_reply_error(resp, &e);
        return;
    }
    const cJSON *cpus = cJSON_GetObjectItemCaseSensitive(v->config, "cpus");
    const char *no = api_sched_admit(d, v, &p, (uint32_t)cpus->valueint);
    if (no) {
        api_reply_errorf(resp, 409, "slice_ms", "%s", no);
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(v->config, "sched"))
        cJSON_ReplaceItemInObjectCaseSensitive(v->config, "sched", dsched_params_json(&p));
    else
        cJSON_AddItemToObject(v->config, "sched", dsched_params_json(&p));
    err = vmtable_save(d, v);
    if (err) {
        api_reply_errorf(resp, 500, NULL, "cannot save the VM's definition: %s", strerror(-err));
        return;
    }
    /* A VM that is not on the board (stopped, starting) takes the new
     * parameters from its definition when it joins. */
    if (v->pid)
        (void)dsched_apply(d->sched, v->pid, &p);
    reply_vm_sched(d, v, resp, DSCHED_WINDOW_DEFAULT_S);
}

int api_sched(struct daemon *d, const struct api_req *req, struct api_resp *resp)
{
    const char *vms = RV_API_PREFIX "/vms/";
    const char *tail = "/sched";
    size_t n = strlen(req->path), vl = strlen(vms), tl = strlen(tail);
    char name[RV_API_NAME_MAX + 1];
    struct vmrec *v;
    int w;

    if (!strcmp(req->path, RV_API_PREFIX "/sched")) {
        if (req->method != HTTP_GET) {
            snprintf(resp->allow, sizeof(resp->allow), "GET");
            api_reply_errorf(resp, 405, NULL, "%s takes GET only", req->path);
        } else if ((w = window(req, resp)) > 0) {
            api_reply_json(resp, 200, dsched_report(d->sched, w, name_of, d));
        }
        return 1;
    }
    /* /v1/vms/NAME/sched, NAME without a '/'. */
    if (n <= vl + tl || strncmp(req->path, vms, vl) || strcmp(req->path + n - tl, tail) ||
        memchr(req->path + vl, '/', n - vl - tl) || n - vl - tl > RV_API_NAME_MAX)
        return 0;
    snprintf(name, sizeof(name), "%.*s", (int)(n - vl - tl), req->path + vl);
    v = vmtable_find(d, name);
    if (!v) {
        api_reply_errorf(resp, 404, NULL, "no VM named '%.40s'", name);
    } else if (req->method == HTTP_GET) {
        if ((w = window(req, resp)) > 0)
            reply_vm_sched(d, v, resp, w);
    } else if (req->method == HTTP_PATCH) {
        patch(d, v, req, resp);
    } else {
        snprintf(resp->allow, sizeof(resp->allow), "GET, PATCH");
        api_reply_errorf(resp, 405, NULL, "%s takes GET or PATCH", req->path);
    }
    return 1;
}
