// SPDX-License-Identifier: MIT
/* Dispatch to the resources, and the JSON reply and error forms they share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api/api.h"

void api_reply_json(struct api_resp *resp, int status, cJSON *json)
{
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;

    cJSON_Delete(json);
    free(resp->body);
    if (!text) {
        resp->status = 500;
        resp->content_type = "application/json";
        resp->body = strdup("{\"error\":{\"status\":500,\"message\":\"out of memory\",\"field\":null}}");
        resp->body_len = resp->body ? strlen(resp->body) : 0;
        return;
    }
    resp->status = status;
    resp->content_type = "application/json";
    resp->body_len = strlen(text);
    /* cJSON's allocator is malloc: the body is freed with free(). */
    resp->body = text;
}

void api_reply_error(struct api_resp *resp, const struct api_err *e)
{
    cJSON *o = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(o, "error");

    cJSON_AddNumberToObject(err, "status", e->status);
    cJSON_AddStringToObject(err, "message", e->msg);
    if (e->field[0])
        cJSON_AddStringToObject(err, "field", e->field);
    else
        cJSON_AddNullToObject(err, "field");
    api_reply_json(resp, e->status, o);
}

void api_reply_errorf(struct api_resp *resp, int status, const char *field, const char *fmt, ...)
{
    struct api_err e = { .status = status };
    va_list ap;

    snprintf(e.field, sizeof(e.field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
    va_end(ap);
    api_reply_error(resp, &e);
}

int api_query(const char *q, const char *key, char *buf, size_t size)
{
    size_t kl = strlen(key);

    while (q && *q) {
        const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);

        if ((size_t)(end - q) > kl && !strncmp(q, key, kl) && q[kl] == '=') {
            snprintf(buf, size, "%.*s", (int)(end - q - (ptrdiff_t)kl - 1), q + kl + 1);
            return 0;
        }
        if ((size_t)(end - q) == kl && !strncmp(q, key, kl)) {
            snprintf(buf, size, "%s", "");
            return 0;
        }
        q = amp ? amp + 1 : NULL;
    }
    return -1;
}

void api_handle(struct daemon *d, const struct api_req *req, struct api_resp *resp)
{
    if (api_system(d, req, resp) || api_sched(d, req, resp) || api_vms(d, req, resp))
        return;
    api_reply_errorf(resp, 404, NULL, "no such route: %.200s", req->path);
}
