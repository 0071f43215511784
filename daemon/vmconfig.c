// SPDX-License-Identifier: MIT
/* The VM config document: field-by-field checks and the VM process's argv. */
#include "daemon/vmconfig.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/rv_abi.h"
#include "daemon/api/proto.h"
#include "daemon/sched.h"
#include "vmm/core/parse.h"

#define MEM_DEFAULT (64ull << 20)
#define MEM_MIN (8ull << 20)
#define MEM_MAX (256ull << 30)
#define MAX_ARGS 256
#define MAX_ENV 256
#define MAX_FILES 256
#define MAX_STR 4096

int api_fail(struct api_err *e, int status, const char *field, const char *fmt, ...)
{
    va_list ap;

    e->status = status;
    snprintf(e->field, sizeof(e->field), "%s", field);
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return -status;
}

int vmconfig_name_ok(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > RV_API_NAME_MAX || name[0] == '.' || name[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* A string that is safe to hand to the VM process as one argument. */
static int str_field(const cJSON *v, const char *field, bool nonempty, struct api_err *e)
{
    if (!cJSON_IsString(v))
        return api_fail(e, 400, field, "%s: must be a string", field);
    if (nonempty && !v->valuestring[0])
        return api_fail(e, 400, field, "%s: must not be empty", field);
    if (strlen(v->valuestring) > MAX_STR)
        return api_fail(e, 400, field, "%s: longer than %d bytes", field, MAX_STR);
    return 0;
}

static int path_field(const cJSON *v, const char *field, struct api_err *e)
{
    int r = str_field(v, field, true, e);

    if (r)
        return r;
    /* The daemon's working directory means nothing to the client. */
    if (v->valuestring[0] != '/')
        return api_fail(e, 400, field, "%s: must be an absolute host path", field);
    return 0;
}

static int check_mem(const cJSON *v, uint64_t *mem, struct api_err *e)
{
    if (cJSON_IsString(v)) {
        if (parse_size(v->valuestring, mem))
            return api_fail(e, 400, "mem", "mem: '%.64s' is not a size like 64M or 2G",
                            v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        /* A double: reject what would not convert exactly. */
        if (v->valuedouble < 0 || v->valuedouble > (double)MEM_MAX ||
            v->valuedouble != (double)(uint64_t)v->valuedouble)
            return api_fail(e, 400, "mem", "mem: out of range (8M to 256G)");
        *mem = (uint64_t)v->valuedouble;
    } else {
        return api_fail(e, 400, "mem", "mem: must be a size string like \"64M\" or bytes");
    }
    if (*mem < MEM_MIN || *mem > MEM_MAX)
        return api_fail(e, 400, "mem", "mem: out of range (8M to 256G)");
    if (*mem % (2u << 20))
        return api_fail(e, 400, "mem", "mem: not a multiple of 2M");
    return 0;
}

static int check_string_array(const cJSON *v, const char *field, unsigned max,
                              struct api_err *e)
{
    const cJSON *it;
    unsigned n = 0;
    char sub[64];

    if (!cJSON_IsArray(v))
        return api_fail(e, 400, field, "%s: must be an array of strings", field);
    cJSON_ArrayForEach(it, v) {
        snprintf(sub, sizeof(sub), "%s[%u]", field, n);
        if (++n > max)
            return api_fail(e, 400, field, "%s: more than %u entries", field, max);
        int r = str_field(it, sub, false, e);
        if (r)
            return r;
    }
    return 0;
}

static int check_env(const cJSON *v, struct api_err *e)
{
    const cJSON *it;
    unsigned n = 0;

    if (!cJSON_IsObject(v))
        return api_fail(e, 400, "env", "env: must be an object of strings");
    cJSON_ArrayForEach(it, v) {
        char sub[64];

        snprintf(sub, sizeof(sub), "env.%.40s", it->string);
        if (++n > MAX_ENV)
            return api_fail(e, 400, "env", "env: more than %d variables", MAX_ENV);
        if (!it->string[0] || strchr(it->string, '=') || strlen(it->string) > 256)
            return api_fail(e, 400, sub, "env: '%.40s' is not a variable name", it->string);
        int r = str_field(it, sub, false, e);
        if (r)
            return r;
    }
    return 0;
}

static int check_files(const cJSON *v, struct api_err *e)
{
    const cJSON *it, *f;
    unsigned n = 0;

    if (!cJSON_IsArray(v))
        return api_fail(e, 400, "files", "files: must be an array of {host, guest}");
    cJSON_ArrayForEach(it, v) {
        char sub[64];
        int r;

        snprintf(sub, sizeof(sub), "files[%u]", n);
        if (++n > MAX_FILES)
            return api_fail(e, 400, "files", "files: more than %d entries", MAX_FILES);
        if (!cJSON_IsObject(it))
            return api_fail(e, 400, sub, "%s: must be an object {host, guest}", sub);
        cJSON_ArrayForEach(f, it) {
            if (strcmp(f->string, "host") && strcmp(f->string, "guest"))
                return api_fail(e, 400, sub, "%s: unknown field '%.40s'", sub, f->string);
        }
        r = path_field(cJSON_GetObjectItemCaseSensitive(it, "host"), "files[].host", e);
        if (!r)
            r = path_field(cJSON_GetObjectItemCaseSensitive(it, "guest"), "files[].guest", e);
        if (r)
            return r;
        /* ringvisor exec splits HOST:GUEST at the last colon. */
        if (strchr(cJSON_GetObjectItemCaseSensitive(it, "guest")->valuestring, ':'))
            return api_fail(e, 400, "files[].guest", "files[].guest: must not contain ':'");
    }
    return 0;
}

static int check_disks(const cJSON *v, struct api_err *e)
{
    const cJSON *it;
    unsigned n = 0;
    char path[4096], id[DISK_ID_MAX + 1];
    bool ro;
    const char *why;

    if (!cJSON_IsArray(v))
        return api_fail(e, 400, "disks", "disks: must be an array of \"PATH[,ro][,id=NAME]\"");
    cJSON_ArrayForEach(it, v) {
        if (++n > RV_DEV_MAX - 1)
            return api_fail(e, 400, "disks", "disks: more than %d", RV_DEV_MAX - 1);
        int r = str_field(it, "disks", true, e);
        if (r)
            return r;
        if (parse_disk(it->valuestring, path, sizeof(path), &ro, id, &why))
            return api_fail(e, 400, "disks", "disks: '%.100s': %s", it->valuestring, why);
        if (path[0] != '/')
            return api_fail(e, 400, "disks", "disks: '%.100s': must be an absolute host path",
                            it->valuestring);
    }
    return 0;
}

static const char *const known_fields[] = {
    "name", "program", "args", "env", "files", "kernel", "initrd", "cmdline",
    "mem", "cpus", "disks", "interactive", "tty", "sched", NULL,
};

/* Console options, default false: "interactive" keeps the console's input
 * open (a FIFO the daemon writes; otherwise /dev/null), "tty" makes the
 * guest treat its console as a terminal (echo, line editing, ^C). */
static const char *const bool_fields[] = { "interactive", "tty", NULL };

static int check_doc(const cJSON *doc, uint64_t *mem, struct sched_params *sched,
                     struct api_err *e)
{
    const cJSON *it, *v;
    int r;

    if (!cJSON_IsObject(doc))
        return api_fail(e, 400, "", "the body must be a JSON object");
    cJSON_ArrayForEach(it, doc) {
        bool known = false;

        for (unsigned i = 0; known_fields[i]; i++)
            known |= !strcmp(it->string, known_fields[i]);
        if (!known)
            return api_fail(e, 400, it->string, "unknown field '%.64s'", it->string);
        /* cJSON keeps duplicate keys; which one wins would be a guess. */
        for (const cJSON *j = it->next; j; j = j->next)
            if (!strcmp(j->string, it->string))
                return api_fail(e, 400, it->string, "field '%.64s' appears twice", it->string);
    }
    v = cJSON_GetObjectItemCaseSensitive(doc, "name");
    if (!v)
        return api_fail(e, 400, "name", "name: required");
    if (!cJSON_IsString(v))
        return api_fail(e, 400, "name", "name: must be a string");
    if (!vmconfig_name_ok(v->valuestring))
        return api_fail(e, 400, "name", "name: must be 1-%d of A-Z a-z 0-9 _ . - "
                        "(not starting with . or -)", RV_API_NAME_MAX);

    const cJSON *prog = cJSON_GetObjectItemCaseSensitive(doc, "program");
    const cJSON *kern = cJSON_GetObjectItemCaseSensitive(doc, "kernel");
    if (prog && kern)
        return api_fail(e, 400, "kernel", "program and kernel exclude each other");
    if (!prog && !kern)
        return api_fail(e, 400, "program", "program: required (or kernel)");
    if (prog && (r = path_field(prog, "program", e)))
        return r;
    if (kern && (r = path_field(kern, "kernel", e)))
        return r;
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "initrd"))) {
        if (!kern)
            return api_fail(e, 400, "initrd", "initrd: only with kernel");
        if ((r = path_field(v, "initrd", e)))
            return r;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "cmdline"))) {
        if ((r = str_field(v, "cmdline", false, e)))
            return r;
        if (strlen(v->valuestring) >= RV_CMDLINE_MAX - 256)
            return api_fail(e, 400, "cmdline", "cmdline: longer than %d bytes",
                            RV_CMDLINE_MAX - 257);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "args"))) {
        if (!prog)
            return api_fail(e, 400, "args", "args: only with program");
        if ((r = check_string_array(v, "args", MAX_ARGS, e)))
            return r;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "env"))) {
        if (!prog)
            return api_fail(e, 400, "env", "env: only with program");
        if ((r = check_env(v, e)))
            return r;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "files"))) {
        if (!prog)
            return api_fail(e, 400, "files", "files: only with program");
        if ((r = check_files(v, e)))
            return r;
    }
    *mem = MEM_DEFAULT;
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "mem")) && (r = check_mem(v, mem, e)))
        return r;
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "cpus"))) {
        if (!cJSON_IsNumber(v))
            return api_fail(e, 400, "cpus", "cpus: must be an integer");
        /* Range first: converting a huge double to int is undefined. */
        if (v->valuedouble < 1 || v->valuedouble > RV_MAX_VCPUS)
            return api_fail(e, 400, "cpus", "cpus: out of range (1 to %d)", RV_MAX_VCPUS);
        if (v->valuedouble != (double)(int)v->valuedouble)
            return api_fail(e, 400, "cpus", "cpus: must be an integer");
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "disks")) && (r = check_disks(v, e)))
        return r;
    for (const char *const *f = bool_fields; *f; f++)
        if ((v = cJSON_GetObjectItemCaseSensitive(doc, *f)) && !cJSON_IsBool(v))
            return api_fail(e, 400, *f, "%s: must be true or false", *f);
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "sched"))) {
        sched_params_default(sched);
        if ((r = dsched_params_parse(v, sched, "sched.", e)))
            return r;
    }
    return 0;
}

int vmconfig_parse(const char *json, size_t len, cJSON **out, struct api_err *e)
{
    const char *end = NULL;
    cJSON *doc, *v;
    struct sched_params sched;
    uint64_t mem = 0;
    int r;

    *out = NULL;
    sched_params_default(&sched);
    doc = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!doc) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;

        return api_fail(e, 400, "", "malformed JSON near byte %zu", at);
    }
    /* Trailing bytes after the document (other than white space) are an error. */
    while (end && (size_t)(end - json) < len && strchr(" \t\r\n", *end) && *end)
        end++;
    if (end && (size_t)(end - json) < len) {
        cJSON_Delete(doc);
        return api_fail(e, 400, "", "malformed JSON: data after the document at byte %zu",
                        (size_t)(end - json));
    }
    r = check_doc(doc, &mem, &sched, e);
    if (r) {
        cJSON_Delete(doc);
        return r;
    }
    /* Normalise: mem in bytes, every optional list present. */
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "mem");
    if (!cJSON_AddNumberToObject(doc, "mem", (double)mem))
        goto nomem;
    if (!cJSON_GetObjectItemCaseSensitive(doc, "cpus") && !cJSON_AddNumberToObject(doc, "cpus", 1))
        goto nomem;
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "sched");
    if (!(v = dsched_params_json(&sched)))
        goto nomem;
    cJSON_AddItemToObject(doc, "sched", v);
    if (!cJSON_GetObjectItemCaseSensitive(doc, "disks") && !cJSON_AddArrayToObject(doc, "disks"))
        goto nomem;
    for (const char *const *f = bool_fields; *f; f++)
        if (!cJSON_GetObjectItemCaseSensitive(doc, *f) && !cJSON_AddFalseToObject(doc, *f))
            goto nomem;
    if (cJSON_GetObjectItemCaseSensitive(doc, "program")) {
        if (!cJSON_GetObjectItemCaseSensitive(doc, "args") && !cJSON_AddArrayToObject(doc, "args"))
            goto nomem;
        if (!cJSON_GetObjectItemCaseSensitive(doc, "env") && !cJSON_AddObjectToObject(doc, "env"))
            goto nomem;
        if (!cJSON_GetObjectItemCaseSensitive(doc, "files") &&
            !cJSON_AddArrayToObject(doc, "files"))
            goto nomem;
    }
    *out = doc;
    return 0;
nomem:
    cJSON_Delete(doc);
    return api_fail(e, 500, "", "out of memory");
}

/* A malloc'd decimal string, or NULL. */
static char *fmt_u64(uint64_t x)
{
    char *s;

    return asprintf(&s, "%llu", (unsigned long long)x) < 0 ? NULL : s;
}

void vmconfig_argv_free(char **argv, char **owned)
{
    for (size_t i = 0; owned && owned[i]; i++)
        free(owned[i]);
    free(owned);
    free(argv);
}

char **vmconfig_argv(const cJSON *cfg, const char *exe, const char *dir, const char *board,
                     char ***owned)
{
    const cJSON *prog = cJSON_GetObjectItemCaseSensitive(cfg, "program"), *v, *it;
    size_t cap = 48 + 2 * (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cfg, "disks"));
    size_t n = 0, no = 0;
    char **argv, **own;

    if (prog) {
        cap += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cfg, "args"));
        cap += 2 * (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cfg, "env"));
        cap += 2 * (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cfg, "files"));
    }
    argv = calloc(cap, sizeof(*argv));
    own = calloc(cap, sizeof(*own));
    if (!argv || !own)
        goto nomem;
#define OWN(s)                                                                      \
    do {                                                                            \
        if (!(own[no] = (s)))                                                       \
            goto nomem;                                                             \
        argv[n++] = own[no++];                                                      \
    } while (0)
    argv[n++] = (char *)exe;
    argv[n++] = prog ? "exec" : "run";
    argv[n++] = "--control-dir";
    argv[n++] = (char *)dir;
    v = cJSON_GetObjectItemCaseSensitive(cfg, "mem");
    argv[n++] = "--mem";
    if (asprintf(&own[no], "%lluK", (unsigned long long)v->valuedouble / 1024) < 0) {
        own[no] = NULL;
        goto nomem;
    }
    argv[n++] = own[no++];
    v = cJSON_GetObjectItemCaseSensitive(cfg, "cpus");
    argv[n++] = "--cpus";
    if (asprintf(&own[no], "%d", v->valueint) < 0) {
        own[no] = NULL;
        goto nomem;
    }
    argv[n++] = own[no++];
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(cfg, "disks")) {
        argv[n++] = "--disk";
        argv[n++] = it->valuestring;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "tty")))
        argv[n++] = "--console-tty";
    if (board) {
        struct sched_params p;

        dsched_config_params(cfg, &p);
        argv[n++] = "--sched-board";
        argv[n++] = (char *)board;
        argv[n++] = "--name";
        argv[n++] = cJSON_GetObjectItemCaseSensitive(cfg, "name")->valuestring;
        argv[n++] = "--weight";
        OWN(fmt_u64(p.weight));
        argv[n++] = "--cap";
        OWN(fmt_u64(p.cap));
        if (p.slice_ns) {
            argv[n++] = "--slice";
            OWN(fmt_u64(p.slice_ns / 1000000));
            argv[n++] = "--period";
            OWN(fmt_u64(p.period_ns / 1000000));
        }
        if (p.extra)
            argv[n++] = "--extra";
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(cfg, "cmdline"))) {
        argv[n++] = "--cmdline";
        argv[n++] = v->valuestring;
    }
    if (!prog) {
        argv[n++] = "--kernel";
        argv[n++] = cJSON_GetObjectItemCaseSensitive(cfg, "kernel")->valuestring;
        if ((v = cJSON_GetObjectItemCaseSensitive(cfg, "initrd"))) {
            argv[n++] = "--initrd";
            argv[n++] = v->valuestring;
        }
        return *owned = own, argv;
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(cfg, "env")) {
        char *s;

        argv[n++] = "--env";
        if (asprintf(&s, "%s=%s", it->string, it->valuestring) < 0)
            s = NULL;
        OWN(s);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(cfg, "files")) {
        char *s;

        argv[n++] = "--add";
        if (asprintf(&s, "%s:%s", cJSON_GetObjectItemCaseSensitive(it, "host")->valuestring,
                     cJSON_GetObjectItemCaseSensitive(it, "guest")->valuestring) < 0)
            s = NULL;
        OWN(s);
    }
    /* "--" keeps a program named like an option from being read as one. */
    argv[n++] = "--";
    argv[n++] = prog->valuestring;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(cfg, "args"))
        argv[n++] = it->valuestring;
#undef OWN
    *owned = own;
    return argv;
nomem:
    vmconfig_argv_free(argv, own);
    return NULL;
}
