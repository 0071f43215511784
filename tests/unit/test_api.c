// SPDX-License-Identifier: MIT
/* The daemon's untrusted-input parsers: HTTP requests under the API limits
 * and the VM config document. */
#include <string.h>

#include "daemon/api/http.h"
#include "daemon/vmconfig.h"
#include "tests/unit/unit.h"

static void test_http_pipelined(void)
{
    static const char two[] = "GET /v1/version HTTP/1.1\r\nHost: x\r\n\r\n"
                              "POST /v1/vms HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
    struct http_req r;
    size_t n;

    http_req_init(&r);
    n = http_req_feed(&r, two, sizeof(two) - 1);
    CHECK(r.done && !r.error);
    CHECK(!strcmp(r.url, "/v1/version") && r.method == HTTP_GET);
    CHECK(n < sizeof(two) - 1);
    http_req_reset(&r);
    n += http_req_feed(&r, two + n, sizeof(two) - 1 - n);
    CHECK(r.done && r.method == HTTP_POST && r.body_len == 2 && !memcmp(r.body, "{}", 2));
    CHECK_EQ(n, sizeof(two) - 1);
    http_req_free(&r);
}

static void test_http_limits(void)
{
    struct http_req r;
    char big[RV_API_MAX_HEADERS + 100];

    http_req_init(&r);
    http_req_feed(&r, "POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 42);
    CHECK_INT(r.error, 413);
    http_req_free(&r);

    http_req_init(&r);
    memset(big, 'a', sizeof(big));
    http_req_feed(&r, "GET / HTTP/1.1\r\nX: ", 19);
    http_req_feed(&r, big, sizeof(big));
    CHECK_INT(r.error, 431);
    http_req_free(&r);

    http_req_init(&r);
    http_req_feed(&r, "\x01\x02 nonsense\r\n\r\n", 15);
    CHECK_INT(r.error, 400);
    http_req_free(&r);
}

static int parse(const char *json, struct api_err *e)
{
    cJSON *out = NULL;
    int r = vmconfig_parse(json, strlen(json), &out, e);

    cJSON_Delete(out);
    return r;
}

static void test_vmconfig(void)
{
    struct api_err e;
    cJSON *cfg = NULL;
    char **argv, **owned;
    const char *ok = "{\"name\":\"a\",\"program\":\"/bin/p\",\"args\":[\"x\"],\"env\":{\"K\":\"V\"},"
                     "\"mem\":\"32M\",\"cpus\":2,\"disks\":[\"/d.img,ro\"]}";

    CHECK_INT(vmconfig_parse(ok, strlen(ok), &cfg, &e), 0);
    argv = vmconfig_argv(cfg, "/rv", "/s/vms/a", NULL, &owned);
    CHECK(argv != NULL);
    CHECK(!strcmp(argv[1], "exec") && !strcmp(argv[3], "/s/vms/a"));
    CHECK(!strcmp(argv[5], "32768K") && !strcmp(argv[7], "2"));
    CHECK(!strcmp(argv[8], "--disk") && !strcmp(argv[9], "/d.img,ro"));
    CHECK(!strcmp(argv[10], "--env") && !strcmp(argv[11], "K=V"));
    CHECK(!strcmp(argv[12], "--") && !strcmp(argv[13], "/bin/p") && !strcmp(argv[14], "x"));
    CHECK(argv[15] == NULL);
    vmconfig_argv_free(argv, owned);
    cJSON_Delete(cfg);

    CHECK_INT(parse("{\"name\":\"a\",\"program\":\"/p\",\"x\":1}", &e), -400);
    CHECK(!strcmp(e.field, "x"));
    CHECK_INT(parse("{\"name\":\"a\",\"program\":\"/p\",\"cpus\":1.5}", &e), -400);
    CHECK(!strcmp(e.field, "cpus"));
    CHECK_INT(parse("{\"name\":\"a\",\"program\":\"/p\",\"name\":\"b\"}", &e), -400);
    CHECK_INT(parse("{\"name\":\"a\",\"kernel\":\"/k\",\"program\":\"/p\"}", &e), -400);
    CHECK_INT(parse("{\"name\":\"a\",\"program\":\"/p\",\"mem\":1e300}", &e), -400);
    CHECK(!strcmp(e.field, "mem"));
    CHECK_INT(parse("{\"name\":\"../x\",\"program\":\"/p\"}", &e), -400);
    CHECK(!strcmp(e.field, "name"));
    CHECK_INT(parse("{\"name\":\"a\",\"program\":\"/p\"} x", &e), -400);
    CHECK_INT(parse("{\"name\":\"a\",\"kernel\":\"/k\",\"initrd\":\"/i\"}", &e), 0);
}

void suite_api(void)
{
    RUN(test_http_pipelined);
    RUN(test_http_limits);
    RUN(test_vmconfig);
}
