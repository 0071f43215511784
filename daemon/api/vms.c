// SPDX-License-Identifier: MIT
/*
 * The VM resource: /v1/vms (list, create), /v1/vms/NAME (get, delete),
 * /v1/vms/NAME/{pause,resume,stop}, /v1/vms/NAME/console (read or follow the
 * output) and /v1/vms/NAME/console/input.  The state
 * machine lives here: each action names the states it is allowed from and
 * anything else is a 409 saying why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/api/api.h"
#include "vmm/core/control.h"

#define CONSOLE_DEFAULT_BYTES 65536
#define CONSOLE_MAX_BYTES (1 << 20)

static bool is(const struct vmrec *v, const char *state)
{
    return !strcmp(v->state, state);
}

static bool live(const struct vmrec *v)
{
    return is(v, RV_STATE_RUNNING) || is(v, RV_STATE_PAUSED) || is(v, RV_STATE_STOPPING);
}

static bool method_ok(const struct api_req *req, struct api_resp *resp, enum http_method m,
                      const char *allow)
{
    if (req->method == m)
        return true;
    snprintf(resp->allow, sizeof(resp->allow), "%s", allow);
    api_reply_errorf(resp, 405, NULL, "%s does not take %s (allowed: %s)", req->path,
                     http_method_str(req->method), allow);
    return false;
}

static void reply_vm(struct daemon *d, struct api_resp *resp, int status, struct vmrec *v)
{
    api_reply_json(resp, status, vmtable_json(d, v));
}

static void list(struct daemon *d, struct api_resp *resp)
{
    cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "vms");

    for (struct vmrec *v = d->vms; v; v = v->next)
        cJSON_AddItemToArray(a, vmtable_json(d, v));
    api_reply_json(resp, 200, o);
}

static int make_dirs(struct daemon *d, struct vmrec *v)
{
    char path[4200];
    int err;

    snprintf(path, sizeof(path), "%s/vms", d->state_dir);
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return -errno;
    err = vmtable_path(d, v, NULL, path, sizeof(path));
    if (err)
        return err;
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static void create(struct daemon *d, const struct api_req *req, struct api_resp *resp)
{
    struct api_err e;
    struct vmrec *v;
    cJSON *cfg;
    char why[256];
    int err;

    if (vmconfig_parse(req->body ? req->body : "", req->body_len, &cfg, &e)) {
        api_reply_error(resp, &e);
        return;
    }
    const char *name = cJSON_GetObjectItemCaseSensitive(cfg, "name")->valuestring;
    if (vmtable_find(d, name)) {
        api_reply_errorf(resp, 409, "name", "a VM named '%s' already exists", name);
        cJSON_Delete(cfg);
        return;
    }
    /* A guarantee the host cannot give is refused before anything starts. */
    struct sched_params sp;
    const cJSON *cpus = cJSON_GetObjectItemCaseSensitive(cfg, "cpus");
    dsched_config_params(cfg, &sp);
    const char *no = api_sched_admit(d, NULL, &sp, (uint32_t)cpus->valueint);
    if (no) {
        api_reply_errorf(resp, 409, "sched.slice_ms", "%s", no);
        cJSON_Delete(cfg);
        return;
    }
    v = vmrec_new(name);
    if (!v) {
        cJSON_Delete(cfg);
        api_reply_errorf(resp, 503, NULL, "out of memory");
        return;
    }
    v->config = cfg;
    snprintf(v->state, sizeof(v->state), "%s", RV_STATE_STOPPED);
    snprintf(v->reason, sizeof(v->reason), "being created");
    v->created_ms = now_ms();
    /* The definition is on disk before the process exists, so a daemon
     * killed in between finds the VM, not an orphan it knows nothing of. */
    err = make_dirs(d, v);
    if (!err)
        err = vmtable_save(d, v);
    if (err) {
        api_reply_errorf(resp, 500, NULL, "cannot write the VM's definition: %s", strerror(-err));
        vmtable_remove(d, v);
        return;
    }
    err = sup_spawn(d, v, why, sizeof(why));
    if (err) {
        api_reply_errorf(resp, err == -ENAMETOOLONG ? 400 : 500, NULL, "%s", why);
        vmtable_remove(d, v);
        return;
    }
    v->next = d->vms;
    d->vms = v;
    d->nr_vms++;
    if (vmtable_save(d, v))
        fprintf(stderr, "ringvisor serve: cannot save VM '%s'\n", v->name);
    reply_vm(d, resp, 201, v);
}

static void delete(struct daemon *d, struct vmrec *v, struct api_resp *resp)
{
    if (live(v)) {
        api_reply_errorf(resp, 409, NULL, "VM '%s' is %s: stop it first", v->name, v->state);
        return;
    }
    for (struct vmrec **p = &d->vms; *p; p = &(*p)->next)
        if (*p == v) {
            *p = v->next;
            break;
        }
    d->nr_vms--;
    vmtable_remove(d, v);
    resp->status = 204;
}

/* The VM process answered a pause or resume (or did not, in time). */
static void pause_resume_done(struct daemon *d, struct vmrec *v, void *conn, bool pause,
                              int err, const char *why)
{
    struct api_resp resp = { .status = 500 };

    /* The process may have ended, or been stopped, while we waited. */
    if (!err && !is(v, pause ? RV_STATE_RUNNING : RV_STATE_PAUSED))
        err = -ESRCH, why = "the VM changed state meanwhile";
    if (!err) {
        snprintf(v->state, sizeof(v->state), "%s", pause ? RV_STATE_PAUSED : RV_STATE_RUNNING);
        snprintf(v->reason, sizeof(v->reason), "%s on request", pause ? "paused" : "resumed");
        if (vmtable_save(d, v))
            fprintf(stderr, "ringvisor serve: cannot save VM '%s'\n", v->name);
    }
    /* No answer, or a garbled one: the request may or may not have been
     * carried out; learn the truth from the VM process when it talks again. */
    if ((err == -ETIMEDOUT || err == -EPROTO) && v->pid > 0)
        sup_query(d, v);
    if (!conn)
        return; /* the client left */
    if (err)
        api_reply_errorf(&resp, err == -ETIMEDOUT ? 504 : err == -ESRCH ? 409 : 500, NULL,
                         "cannot %s VM '%s': %s", pause ? "pause" : "resume", v->name, why);
    else
        reply_vm(d, &resp, 200, v);
    server_reply(d, conn, &resp);
}

static void pause_done(struct daemon *d, struct vmrec *v, void *conn, int err, const char *why)
{
    pause_resume_done(d, v, conn, true, err, why);
}

static void resume_done(struct daemon *d, struct vmrec *v, void *conn, int err, const char *why)
{
    pause_resume_done(d, v, conn, false, err, why);
}

static void pause_resume(struct daemon *d, struct vmrec *v, bool pause, const struct api_req *req,
                         struct api_resp *resp)
{
    const char *from = pause ? RV_STATE_RUNNING : RV_STATE_PAUSED;
    char why[160];
    int err;

    if (!is(v, from)) {
        api_reply_errorf(resp, 409, NULL, "cannot %s VM '%s': it is %s, not %s",
                         pause ? "pause" : "resume", v->name, v->state, from);
        return;
    }
    /* The answer waits for the VM process; the daemon does not. */
    err = sup_control(d, v, pause ? CTL_OP_PAUSE : CTL_OP_RESUME,
                      pause ? pause_done : resume_done, req->conn, why, sizeof(why));
    if (err) {
        api_reply_errorf(resp, err == -EBUSY ? 409 : 500, NULL, "cannot %s VM '%s': %s",
                         pause ? "pause" : "resume", v->name, why);
        return;
    }
    resp->deferred = true;
}

static void stop(struct daemon *d, struct vmrec *v, const struct api_req *req,
                 struct api_resp *resp)
{
    int timeout = RV_API_STOP_TIMEOUT_DEFAULT, err;
    bool force = false;
    const cJSON *it;
    cJSON *doc = NULL;

    if (req->body_len) {
        doc = cJSON_ParseWithLength(req->body, req->body_len);
        if (!cJSON_IsObject(doc)) {
            cJSON_Delete(doc);
            api_reply_errorf(resp, 400, NULL, "the body must be a JSON object");
            return;
        }
        cJSON_ArrayForEach(it, doc) {
            if (!strcmp(it->string, "force")) {
                if (!cJSON_IsBool(it)) {
                    api_reply_errorf(resp, 400, "force", "force: must be true or false");
                    goto out;
                }
                force = cJSON_IsTrue(it);
            } else if (!strcmp(it->string, "timeout_s")) {
                if (!cJSON_IsNumber(it)) {
                    api_reply_errorf(resp, 400, "timeout_s", "timeout_s: must be an integer");
                    goto out;
                }
                if (it->valuedouble < 0 || it->valuedouble > RV_API_STOP_TIMEOUT_MAX ||
                    it->valuedouble != (double)(int)it->valuedouble) {
                    api_reply_errorf(resp, 400, "timeout_s", "timeout_s: must be an integer from 0 to %d",
                                     RV_API_STOP_TIMEOUT_MAX);
                    goto out;
                }
                timeout = it->valueint;
            } else {
                api_reply_errorf(resp, 400, it->string, "unknown field '%.64s'", it->string);
                goto out;
            }
        }
    }
    if (!live(v)) {
        api_reply_errorf(resp, 409, NULL, "cannot stop VM '%s': it is %s", v->name, v->state);
        goto out;
    }
    if (is(v, RV_STATE_STOPPING) && !force) {
        api_reply_errorf(resp, 409, NULL, "VM '%s' is already stopping (use force)", v->name);
        goto out;
    }
    err = sup_stop(d, v, timeout, force);
    if (err && err != -ESRCH) {
        api_reply_errorf(resp, 500, NULL, "cannot stop VM '%s': %s", v->name, strerror(-err));
        goto out;
    }
    reply_vm(d, resp, 202, v);
out:
    cJSON_Delete(doc);
}

/* GET console[?bytes=N][&follow=1]: the last N bytes; with follow, then
 * everything the VM writes until its process ends (a chunked stream). */
static void console(struct daemon *d, struct vmrec *v, const struct api_req *req,
                    struct api_resp *resp)
{
    char path[4200], arg[32];
    long want = CONSOLE_DEFAULT_BYTES;
    bool follow = false;
    struct stat st;
    off_t from;
    ssize_t n;
    int fd;

    if (!api_query(req->query, "bytes", arg, sizeof(arg))) {
        char *end;

        want = strtol(arg, &end, 10);
        if (!arg[0] || *end || want < 0 || want > CONSOLE_MAX_BYTES) {
            api_reply_errorf(resp, 400, "bytes", "bytes: must be 0 to %d", CONSOLE_MAX_BYTES);
            return;
        }
    }
    if (!api_query(req->query, "follow", arg, sizeof(arg))) {
        if (strcmp(arg, "1") && strcmp(arg, "true") && strcmp(arg, "0") && strcmp(arg, "false")) {
            api_reply_errorf(resp, 400, "follow", "follow: must be 1, true, 0 or false");
            return;
        }
        follow = !strcmp(arg, "1") || !strcmp(arg, "true");
    }
    resp->status = 200;
    resp->content_type = "text/plain; charset=utf-8";
    if (vmtable_path(d, v, VM_CONSOLE_LOG, path, sizeof(path)) ||
        (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        if (follow)
            api_reply_errorf(resp, 404, NULL, "VM '%s' has no console log", v->name);
        return;
    }
    if (fstat(fd, &st) < 0) {
        close(fd);
        return;
    }
    from = st.st_size > want ? st.st_size - want : 0;
    if (follow) {
        /* The server reads the file from here as the client takes it. */
        resp->stream = true;
        resp->stream_fd = fd;
        resp->stream_vm = live(v) && v->log_fd >= 0 ? v : NULL;
        resp->stream_base = v->log_base;
        resp->stream_off = v->log_base + (uint64_t)from;
        return;
    }
    resp->body = malloc((size_t)want + 1);
    if (resp->body && (n = pread(fd, resp->body, (size_t)want, from)) > 0)
        resp->body_len = (size_t)n;
    close(fd);
}

/* POST console/input: the body's bytes, as typed, to the guest's console. */
static void console_in(struct daemon *d, struct vmrec *v, const struct api_req *req,
                       struct api_resp *resp)
{
    char why[200];
    size_t written;
    cJSON *o;
    int err;

    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v->config, "interactive"))) {
        api_reply_errorf(resp, 409, NULL, "VM '%s' was created without \"interactive\": its "
                         "console input is closed", v->name);
        return;
    }
    if (!live(v) || is(v, RV_STATE_STOPPING)) {
        api_reply_errorf(resp, 409, NULL, "VM '%s' is %s: its console takes no input",
                         v->name, v->state);
        return;
    }
    err = console_input(d, v, req->body, req->body_len, &written, why, sizeof(why));
    if (err) {
        api_reply_errorf(resp, 500, NULL, "%s", why);
        return;
    }
    /* Short when the guest has not read its earlier input (64 KiB queued):
     * the client sends the rest later. */
    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "written", (double)written);
    api_reply_json(resp, 200, o);
}

int api_vms(struct daemon *d, const struct api_req *req, struct api_resp *resp)
{
    const char *base = RV_API_PREFIX "/vms";
    size_t bl = strlen(base);
    char name[RV_API_NAME_MAX + 2];
    const char *rest, *slash;
    struct vmrec *v;

    if (strncmp(req->path, base, bl) || (req->path[bl] && req->path[bl] != '/'))
        return 0;
    if (!req->path[bl] || !strcmp(req->path + bl, "/")) {
        if (req->method == HTTP_GET)
            list(d, resp);
        else if (req->method == HTTP_POST)
            create(d, req, resp);
        else
            method_ok(req, resp, HTTP_GET, "GET, POST");
        return 1;
    }
    rest = req->path + bl + 1;
    slash = strchr(rest, '/');
    if ((size_t)(slash ? slash - rest : (ptrdiff_t)strlen(rest)) > RV_API_NAME_MAX) {
        api_reply_errorf(resp, 404, NULL, "no such VM");
        return 1;
    }
    snprintf(name, sizeof(name), "%.*s", (int)(slash ? slash - rest : (ptrdiff_t)strlen(rest)),
             rest);
    v = vmtable_find(d, name);
    if (!v) {
        api_reply_errorf(resp, 404, NULL, "no VM named '%.40s'", name);
        return 1;
    }
    if (!slash) {
        if (req->method == HTTP_GET)
            reply_vm(d, resp, 200, v);
        else if (req->method == HTTP_DELETE)
            delete(d, v, resp);
        else
            method_ok(req, resp, HTTP_GET, "GET, DELETE");
        return 1;
    }
    if (!strcmp(slash, "/pause") || !strcmp(slash, "/resume")) {
        if (method_ok(req, resp, HTTP_POST, "POST"))
            pause_resume(d, v, !strcmp(slash, "/pause"), req, resp);
    } else if (!strcmp(slash, "/stop")) {
        if (method_ok(req, resp, HTTP_POST, "POST"))
            stop(d, v, req, resp);
    } else if (!strcmp(slash, "/console")) {
        if (method_ok(req, resp, HTTP_GET, "GET"))
            console(d, v, req, resp);
    } else if (!strcmp(slash, "/console/input")) {
        if (method_ok(req, resp, HTTP_POST, "POST"))
            console_in(d, v, req, resp);
    } else {
        api_reply_errorf(resp, 404, NULL, "no such route: %.200s", req->path);
    }
    return 1;
}
