// SPDX-License-Identifier: MIT
/* The daemon's own resources: GET /v1/version and GET /v1/health. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "abi/rv_abi.h"
#include "daemon/api/api.h"

#define RINGVISOR_VERSION "0.1.0"

static int method_is(const struct api_req *req, struct api_resp *resp, enum http_method m,
                     const char *allow)
{
    if (req->method == m)
        return 1;
    snprintf(resp->allow, sizeof(resp->allow), "%s", allow);
    api_reply_errorf(resp, 405, NULL, "%s does not take %s (allowed: %s)", req->path,
                     http_method_str(req->method), allow);
    return 0;
}

int api_system(struct daemon *d, const struct api_req *req, struct api_resp *resp)
{
    cJSON *o;

    if (!strcmp(req->path, RV_API_PREFIX "/version")) {
        if (method_is(req, resp, HTTP_GET, "GET")) {
            o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "version", RINGVISOR_VERSION);
            cJSON_AddNumberToObject(o, "api_version", RV_API_VERSION);
            cJSON_AddNumberToObject(o, "abi_version", RV_ABI_VERSION);
            api_reply_json(resp, 200, o);
        }
        return 1;
    }
    if (!strcmp(req->path, RV_API_PREFIX "/health")) {
        if (method_is(req, resp, HTTP_GET, "GET")) {
            unsigned live = 0;

            for (struct vmrec *v = d->vms; v; v = v->next)
                live += v->pid > 0;
            o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "status", "ok");
            cJSON_AddNumberToObject(o, "pid", getpid());
            cJSON_AddNumberToObject(o, "uptime_s", (double)(now_ms() - d->started_ms) / 1e3);
            cJSON_AddNumberToObject(o, "vms", d->nr_vms);
            cJSON_AddNumberToObject(o, "vm_processes", live);
            cJSON_AddNumberToObject(o, "connections", d->nr_conns);
            api_reply_json(resp, 200, o);
        }
        return 1;
    }
    return 0;
}
