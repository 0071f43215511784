// SPDX-License-Identifier: MIT
/* libFuzzer target: the daemon's request parser (byte stream in arbitrary
 * pieces, pipelined requests) and the VM config document checks. */
#include <stdlib.h>
#include <string.h>

#include "daemon/api/http.h"
#include "daemon/vmconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_req r;
    struct api_err e;
    cJSON *cfg = NULL;
    size_t off = 0, step = size ? (size_t)data[0] % 17 + 1 : 1;

    /* The whole input as a VM config document. */
    if (vmconfig_parse((const char *)data, size, &cfg, &e) == 0) {
        char **owned, **argv = vmconfig_argv(cfg, "/rv", "/s", "/s/sched.board", &owned);

        if (!argv)
            abort();
        vmconfig_argv_free(argv, owned);
        cJSON_Delete(cfg);
    } else if (e.status < 400 || e.status > 599) {
        abort();
    }
    /* And as a request stream, fed in small pieces like a slow client. */
    http_req_init(&r);
    while (off < size) {
        size_t n = size - off < step ? size - off : step;
        size_t used = http_req_feed(&r, (const char *)data + off, n);

        if (used > n || r.body_len > RV_API_MAX_BODY || r.url_len > RV_API_MAX_URL)
            abort();
        if (r.error)
            break;
        if (r.done)
            http_req_reset(&r);
        else if (used < n)
            break;
        off += used;
    }
    http_req_free(&r);
    return 0;
}
