// SPDX-License-Identifier: MIT
/*
 * The VM table and its durable form: one directory per VM under
 * STATE/vms/NAME holding vm.json (definition and last known state, written
 * atomically), the console log, and the VM process's control socket/status.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/vmconfig.h"
#include "vmm/core/control.h"

#define VM_FILE "vm.json"
#define VM_FILE_MAX (1u << 20)

int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct vmrec *vmtable_find(struct daemon *d, const char *name)
{
    for (struct vmrec *v = d->vms; v; v = v->next)
        if (!strcmp(v->name, name))
            return v;
    return NULL;
}

int vmtable_path(struct daemon *d, const struct vmrec *v, const char *file, char *buf,
                 size_t size)
{
    int n = snprintf(buf, size, "%s/vms/%s%s%s", d->state_dir, v->name, file ? "/" : "",
                     file ? file : "");

    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

struct vmrec *vmrec_new(const char *name)
{
    struct vmrec *v = calloc(1, sizeof(*v));

    if (!v)
        return NULL;
    v->ev.kind = EV_PIDFD;
    v->pidfd = v->log_fd = v->log_wd = v->in_fd = -1;
    snprintf(v->name, sizeof(v->name), "%.*s", RV_API_NAME_MAX, name);
    return v;
}

void vmrec_free(struct vmrec *v)
{
    if (!v)
        return;
    if (v->call) {
        /* Only at daemon exit: calls end at reap, and deletes need a reaped VM. */
        close(v->call->fd);
        free(v->call);
    }
    if (v->pidfd >= 0)
        close(v->pidfd);
    if (v->log_fd >= 0)
        close(v->log_fd);
    if (v->in_fd >= 0)
        close(v->in_fd);
    cJSON_Delete(v->config);
    free(v);
}

int vmtable_save(struct daemon *d, struct vmrec *v)
{
    char path[4200], tmp[4200], dir[4200];
    cJSON *doc = cJSON_CreateObject();
    char *text = NULL;
    int fd = -1, err = -ENOMEM;
    size_t len = 0;

    if (!doc)
        return -ENOMEM;
    if (!cJSON_AddItemReferenceToObject(doc, "config", v->config) ||
        !cJSON_AddStringToObject(doc, "state", v->state) ||
        !cJSON_AddStringToObject(doc, "reason", v->reason) ||
        !cJSON_AddNumberToObject(doc, "pid", v->pid) ||
        !cJSON_AddNumberToObject(doc, "start_ticks", (double)v->start_ticks) ||
        !cJSON_AddNumberToObject(doc, "created_ms", (double)v->created_ms) ||
        !cJSON_AddNumberToObject(doc, "started_ms", (double)v->started_ms) ||
        !cJSON_AddNumberToObject(doc, "ended_ms", (double)v->ended_ms) ||
        !(v->has_status ? cJSON_AddNumberToObject(doc, "exit_status", v->exit_status)
                        : cJSON_AddNullToObject(doc, "exit_status")))
        goto out;
    text = cJSON_Print(doc);
    if (!text)
        goto out;
    err = vmtable_path(d, v, NULL, dir, sizeof(dir));
    if (!err)
        err = vmtable_path(d, v, VM_FILE, path, sizeof(path));
    if (!err)
        err = vmtable_path(d, v, VM_FILE ".tmp", tmp, sizeof(tmp));
    if (err)
        goto out;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = -errno;
        goto out;
    }
    len = strlen(text);
    /* After a crash the file is the old one or the new one, never a mix:
     * the data is on disk before the rename, the rename before we go on. */
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 || rename(tmp, path) < 0) {
        err = errno ? -errno : -EIO;
        unlink(tmp);
        goto out;
    }
    close(fd);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
        fsync(fd);
    err = 0;
out:
    if (fd >= 0)
        close(fd);
    cJSON_free(text);
    /* Detach the referenced config before deleting the wrapper. */
    cJSON_Delete(doc);
    return err;
}

static int read_small(const char *path, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    ssize_t n;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || st.st_size > VM_FILE_MAX) {
        close(fd);
        return -EFBIG;
    }
    *out = malloc((size_t)st.st_size + 1);
    if (!*out) {
        close(fd);
        return -ENOMEM;
    }
    n = read(fd, *out, (size_t)st.st_size);
    close(fd);
    if (n < 0) {
        free(*out);
        return -EIO;
    }
    (*out)[n] = '\0';
    *len = (size_t)n;
    return 0;
}

static double num(const cJSON *doc, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Rebuild one VM from its vm.json; the config goes through the same checks
 * as an API request, so a damaged file cannot smuggle in anything. */
static int load_one(struct daemon *d, const char *name)
{
    char path[4200], *text = NULL, *cfgtext = NULL;
    struct api_err e;
    struct vmrec *v = vmrec_new(name);
    cJSON *doc = NULL, *s;
    size_t len = 0;
    int err;

    if (!v)
        return -ENOMEM;
    err = vmtable_path(d, v, VM_FILE, path, sizeof(path));
    if (!err)
        err = read_small(path, &text, &len);
    if (err)
        goto fail;
    err = -EINVAL;
    doc = cJSON_ParseWithLength(text, len);
    if (!doc)
        goto fail;
    cfgtext = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(doc, "config"));
    if (!cfgtext || vmconfig_parse(cfgtext, strlen(cfgtext), &v->config, &e))
        goto fail;
    s = cJSON_GetObjectItemCaseSensitive(v->config, "name");
    if (strcmp(s->valuestring, name))
        goto fail;
    s = cJSON_GetObjectItemCaseSensitive(doc, "state");
    snprintf(v->state, sizeof(v->state), "%s", cJSON_IsString(s) ? s->valuestring : RV_STATE_UNKNOWN);
    s = cJSON_GetObjectItemCaseSensitive(doc, "reason");
    snprintf(v->reason, sizeof(v->reason), "%s", cJSON_IsString(s) ? s->valuestring : "");
    v->pid = (pid_t)num(doc, "pid");
    v->start_ticks = (uint64_t)num(doc, "start_ticks");
    v->created_ms = (int64_t)num(doc, "created_ms");
    v->started_ms = (int64_t)num(doc, "started_ms");
    v->ended_ms = (int64_t)num(doc, "ended_ms");
    s = cJSON_GetObjectItemCaseSensitive(doc, "exit_status");
    v->has_status = cJSON_IsNumber(s);
    v->exit_status = v->has_status ? s->valueint : 0;
    cJSON_Delete(doc);
    free(text);
    cJSON_free(cfgtext);

    /* A VM that was live when the last daemon went away: still ours if the
     * same process (pid and start time) is there; else what its status file
     * says, or an honest "crashed". */
    if (!strcmp(v->state, RV_STATE_RUNNING) || !strcmp(v->state, RV_STATE_PAUSED) ||
        !strcmp(v->state, RV_STATE_STOPPING)) {
        uint64_t ticks = 0;
        double cpu;
        uint64_t rss;

        if (v->pid > 0 && sup_proc_stats(v->pid, &cpu, &rss, &ticks) == 0 &&
            ticks == v->start_ticks) {
            v->child = false;
            if (sup_watch(d, v) == 0) {
                snprintf(v->reason, sizeof(v->reason), "re-adopted after a daemon restart");
                console_watch(d, v);
                /* It may have been paused or resumed since: ask it, without
                 * waiting (a hung VM must not hold up the daemon's start). */
                sup_query(d, v);
            }
        } else {
            sup_reap(d, v);
        }
    }
    v->next = d->vms;
    d->vms = v;
    d->nr_vms++;
    if (vmtable_save(d, v))
        fprintf(stderr, "ringvisor serve: cannot save VM '%s'\n", v->name);
    return 0;
fail:
    fprintf(stderr, "ringvisor serve: skipping VM '%s': unreadable %s\n", name, VM_FILE);
    cJSON_Delete(doc);
    free(text);
    cJSON_free(cfgtext);
    vmrec_free(v);
    return err;
}

int vmtable_load(struct daemon *d)
{
    char path[4200];
    struct dirent *de;
    DIR *dir;

    snprintf(path, sizeof(path), "%s/vms", d->state_dir);
    dir = opendir(path);
    if (!dir)
        return errno == ENOENT ? 0 : -errno;
    while ((de = readdir(dir))) {
        if (!vmconfig_name_ok(de->d_name))
            continue;
        /* A bad file costs that VM, not the daemon. */
        (void)load_one(d, de->d_name);
    }
    closedir(dir);
    return 0;
}

void vmtable_remove(struct daemon *d, struct vmrec *v)
{
    static const char *const files[] = { VM_FILE, VM_FILE ".tmp", VM_CONSOLE_LOG, VM_CONSOLE_IN,
                                         CTL_SOCKET, CTL_STATUS, CTL_STATUS ".tmp" };
    char path[4200];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        if (!vmtable_path(d, v, files[i], path, sizeof(path)))
            unlink(path);
    if (!vmtable_path(d, v, NULL, path, sizeof(path)))
        rmdir(path);
    vmrec_free(v);
}

cJSON *vmtable_json(struct daemon *d, struct vmrec *v)
{
    cJSON *o = cJSON_CreateObject();
    bool live = v->pid > 0 && (!strcmp(v->state, RV_STATE_RUNNING) ||
                               !strcmp(v->state, RV_STATE_PAUSED) ||
                               !strcmp(v->state, RV_STATE_STOPPING));
    double cpu = 0;
    uint64_t rss = 0, ticks = 0;
    int64_t end = live ? now_ms() : v->ended_ms;

    (void)d;
    if (!o)
        return NULL;
    if (live && sup_proc_stats(v->pid, &cpu, &rss, &ticks))
        cpu = 0, rss = 0;
    cJSON_AddStringToObject(o, "name", v->name);
    cJSON_AddStringToObject(o, "state", v->state);
    cJSON_AddStringToObject(o, "reason", v->reason);
    if (v->pid > 0)
        cJSON_AddNumberToObject(o, "pid", v->pid);
    else
        cJSON_AddNullToObject(o, "pid");
    if (v->has_status)
        cJSON_AddNumberToObject(o, "exit_status", v->exit_status);
    else
        cJSON_AddNullToObject(o, "exit_status");
    cJSON_AddNumberToObject(o, "created_ms", (double)v->created_ms);
    cJSON_AddNumberToObject(o, "uptime_s",
                            v->started_ms && end > v->started_ms ? (end - v->started_ms) / 1e3 : 0);
    cJSON_AddNumberToObject(o, "cpu_s", cpu);
    cJSON_AddNumberToObject(o, "rss_bytes", (double)rss);
    cJSON_AddItemReferenceToObject(o, "config", v->config);
    return o;
}
