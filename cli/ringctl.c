// SPDX-License-Identifier: MIT
/*
 * ringctl: the thin client of `ringvisor serve`.  Each command is one HTTP
 * request on the daemon's UNIX socket; replies are printed as tables, or as
 * the daemon's JSON with --json.  Knows the daemon only through proto.h.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <http_parser.h>

#include "daemon/api/proto.h"

#define REPLY_MAX (4u << 20)

static const char usage[] =
    "usage: ringctl [--socket PATH] [--json] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  create NAME [--mem SIZE] [--cpus N] [--disk SPEC]... [--env K=V]...\n"
    "              [--add HOST:GUEST]... [-i] [-t] -- PROGRAM [ARGS...]\n"
    "                             -i: console input open (interactive), -t: the guest\n"
    "                             treats its console as a terminal\n"
    "  create -f CONFIG.json      create a VM from a config document\n"
    "  list                       all VMs\n"
    "  show NAME                  one VM (state, pid, exit status, figures)\n"
    "  pause NAME | resume NAME\n"
    "  stop NAME [--force] [--timeout S]\n"
    "  rm NAME\n"
    "  logs NAME [--bytes N] [--follow]  the recent console output (and what follows)\n"
    "  console NAME [--bytes N]   attach: output streamed, keys sent as input (raw\n"
    "                             terminal); Ctrl-] detaches.  From a pipe: sends it,\n"
    "                             exits once output settles after its end\n"
    "  top [--count N]            live per-VM CPU and memory, every second\n"
    "  sched NAME [--weight W] [--cap PCT] [--slice MS --period MS] [--extra|--no-extra]\n"
    "                             show or change a VM's scheduling, live (also\n"
    "                             options of create)\n"
    "  sched-report [--window S]  the policy, and each VM's requested and received\n"
    "                             CPU share, allocation error and wait time\n"
    "  version                    the daemon's version and health\n"
    "\n"
    "options:\n"
    "  --socket PATH   the daemon's socket (default " RV_API_SOCKET_DEFAULT ")\n"
    "  --json          print the daemon's JSON replies\n";

struct reply {
    int status;
    char *body;
    size_t len;
    bool done;
};

static int reply_append(struct reply *r, const char *at, size_t len)
{
    if (len > REPLY_MAX - r->len)
        return -1;
    char *nb = realloc(r->body, r->len + len + 1);
    if (!nb)
        return -1;
    r->body = nb;
    memcpy(r->body + r->len, at, len);
    r->len += len;
    r->body[r->len] = '\0';
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    return reply_append(p->data, at, len);
}

static int on_complete(http_parser *p)
{
    ((struct reply *)p->data)->done = true;
    return 0;
}

/* One request; returns 0 with (r) filled, or -1 after printing why. */
static int request_len(const char *sock, const char *method, const char *path, const char *body,
                       size_t blen, struct reply *r);

static int request(const char *sock, const char *method, const char *path, const char *body,
                   struct reply *r)
{
    return request_len(sock, method, path, body, body ? strlen(body) : 0, r);
}

/* Connect to the daemon's socket; returns the fd or -1 after printing why. */
static int dial(const char *sock)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(sock) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "ringctl: socket path too long\n");
        return -1;
    }
    strcpy(sa.sun_path, sock);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "ringctl: cannot reach the daemon at %s: %s\n", sock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int request_len(const char *sock, const char *method, const char *path, const char *body,
                       size_t blen, struct reply *r)
{
    static const http_parser_settings settings = { .on_body = on_body,
                                                   .on_message_complete = on_complete };
    http_parser p;
    char *req = NULL, buf[65536];
    int fd, n;

    memset(r, 0, sizeof(*r));
    fd = dial(sock);
    if (fd < 0)
        return -1;
    n = asprintf(&req, "%s %s HTTP/1.1\r\nHost: ringvisor\r\nConnection: close\r\n"
                       "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                 method, path, blen);
    if (n < 0 || write_all(fd, req, (size_t)n) || (blen && write_all(fd, body, blen))) {
        fprintf(stderr, "ringctl: cannot send the request\n");
        free(req);
        close(fd);
        return -1;
    }
    free(req);
    http_parser_init(&p, HTTP_RESPONSE);
    p.data = r;
    while (!r->done) {
        ssize_t got = read(fd, buf, sizeof(buf));

        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            break;
        /* Zero bytes tells the parser the stream ended (a body to EOF). */
        if (http_parser_execute(&p, &settings, buf, (size_t)got) != (size_t)got ||
            got == 0)
            break;
    }
    close(fd);
    if (!r->done) {
        fprintf(stderr, "ringctl: bad or incomplete reply from the daemon\n");
        free(r->body);
        return -1;
    }
    r->status = p.status_code;
    return 0;
}

/* Print the daemon's error document; returns the exit status. */
static int fail(const struct reply *r)
{
    cJSON *doc = r->body ? cJSON_Parse(r->body) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");

    fprintf(stderr, "ringctl: %s (HTTP %d)\n", cJSON_IsString(m) ? m->valuestring : "error",
            r->status);
    cJSON_Delete(doc);
    return 1;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    return cJSON_IsString(v) ? v->valuestring : "-";
}

static double num(const cJSON *o, const char *k, bool *null)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    if (null)
        *null = !cJSON_IsNumber(v);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_row(const cJSON *vm)
{
    bool nopid, nostatus;
    double pid = num(vm, "pid", &nopid), st = num(vm, "exit_status", &nostatus);
    char pids[16], sts[16];

    snprintf(pids, sizeof(pids), nopid ? "-" : "%.0f", pid);
    snprintf(sts, sizeof(sts), nostatus ? "-" : "%.0f", st);
    printf("%-20s %-9s %8s %9.1f %8.2f %9.1f %5s\n", str(vm, "name"), str(vm, "state"), pids,
           num(vm, "uptime_s", NULL), num(vm, "cpu_s", NULL),
           num(vm, "rss_bytes", NULL) / (1024.0 * 1024.0), sts);
}

static void print_header(void)
{
    printf("%-20s %-9s %8s %9s %8s %9s %5s\n", "NAME", "STATE", "PID", "UPTIME_S", "CPU_S",
           "RSS_MIB", "EXIT");
}

static void print_show(const cJSON *vm)
{
    bool nopid, nostatus;
    double pid = num(vm, "pid", &nopid), st = num(vm, "exit_status", &nostatus);
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(vm, "config");

    printf("name:        %s\n", str(vm, "name"));
    printf("state:       %s (%s)\n", str(vm, "state"), str(vm, "reason"));
    if (nopid)
        printf("pid:         -\n");
    else
        printf("pid:         %.0f\n", pid);
    if (nostatus)
        printf("exit_status: -\n");
    else
        printf("exit_status: %.0f\n", st);
    printf("uptime:      %.1f s\n", num(vm, "uptime_s", NULL));
    printf("cpu:         %.2f s\n", num(vm, "cpu_s", NULL));
    printf("rss:         %.1f MiB\n", num(vm, "rss_bytes", NULL) / (1024.0 * 1024.0));
    printf("program:     %s\n", str(cfg, "program"));
    printf("mem:         %.0f MiB, cpus %.0f\n", num(cfg, "mem", NULL) / (1024.0 * 1024.0),
           num(cfg, "cpus", NULL));
}

/*
 * A scheduling option into (doc)'s "sched" object: W weight, C cap, S slice,
 * P period (numbers; anything else goes as a string, for the daemon to name
 * in its error), X extra, x no extra.
 */
static void sched_opt(cJSON *doc, int opt, const char *val)
{
    static const char *const names[] = { ['W'] = "weight", ['C'] = "cap", ['S'] = "slice_ms",
                                         ['P'] = "period_ms", ['X'] = "extra", ['x'] = "extra" };
    cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "sched");
    char *end;
    double v;

    if (!s)
        s = cJSON_AddObjectToObject(doc, "sched");
    cJSON_DeleteItemFromObjectCaseSensitive(s, names[opt]);
    if (opt == 'X' || opt == 'x') {
        cJSON_AddBoolToObject(s, "extra", opt == 'X');
        return;
    }
    v = strtod(val, &end);
    if (end != val && !*end)
        cJSON_AddNumberToObject(s, names[opt], v);
    else
        cJSON_AddStringToObject(s, names[opt], val);
}

static void print_sched_row(const cJSON *v)
{
    bool none;
    double rcv = num(v, "received", &none), err = num(v, "error", NULL);
    char rcvs[16], errs[16], waits[16], sedf[32];

    snprintf(rcvs, sizeof(rcvs), none ? "-" : "%.1f%%", rcv * 100);
    snprintf(errs, sizeof(errs), none ? "-" : "%+.1f%%", err * 100);
    snprintf(waits, sizeof(waits), none ? "-" : "%.0f", num(v, "wait_ms", NULL));
    if (num(v, "period_ms", NULL) > 0)
        snprintf(sedf, sizeof(sedf), "%.0f/%.0f%s", num(v, "slice_ms", NULL),
                 num(v, "period_ms", NULL),
                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "extra")) ? "+x" : "");
    else
        snprintf(sedf, sizeof(sedf), "%s",
                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "extra")) ? "+x" : "-");
    printf("%-20s %6.0f %5.0f %12s %9.1f%% %9s %7s %8s\n", str(v, "name"),
           num(v, "weight", NULL), num(v, "cap", NULL), sedf, num(v, "requested", NULL) * 100,
           rcvs, errs, waits);
}

static void print_sched_header(void)
{
    printf("%-20s %6s %5s %12s %10s %9s %7s %8s\n", "NAME", "WEIGHT", "CAP", "SLICE/PERIOD",
           "REQUESTED", "RECEIVED", "ERROR", "WAIT_MS");
}

/* Print (r) per (json)/(kind); returns the exit status. */
static int output(const struct reply *r, bool json, char kind)
{
    cJSON *doc, *it;

    if (r->status >= 400)
        return fail(r);
    if (kind == 't') { /* plain text: the console */
        fwrite(r->body ? r->body : "", 1, r->len, stdout);
        return 0;
    }
    if (json) {
        if (r->len)
            printf("%s\n", r->body);
        return 0;
    }
    doc = r->len ? cJSON_Parse(r->body) : NULL;
    switch (kind) {
    case 'l':
        print_header();
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "vms"))
            print_row(it);
        break;
    case 's':
        print_show(doc);
        break;
    case 'S': /* one VM's scheduling */
        printf("policy %s\n", str(doc, "policy"));
        print_sched_header();
        print_sched_row(doc);
        break;
    case 'R': /* sched-report */
        printf("policy %s, %.0f host CPU%s, window %.0f s\n", str(doc, "policy"),
               num(doc, "cpus", NULL), num(doc, "cpus", NULL) == 1 ? "" : "s",
               num(doc, "window_s", NULL));
        print_sched_header();
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "vms"))
            print_sched_row(it);
        break;
    case 'v': {
        char *s = cJSON_Print(doc);

        if (s)
            printf("%s\n", s);
        cJSON_free(s);
        break;
    }
    default:
        if (doc)
            printf("%s: %s\n", str(doc, "name"), str(doc, "state"));
        break;
    }
    cJSON_Delete(doc);
    return 0;
}

static int simple(const char *sock, const char *method, const char *path, const char *body,
                  bool json, char kind)
{
    struct reply r;
    int st;

    if (request(sock, method, path, body, &r))
        return 1;
    st = output(&r, json, kind);
    free(r.body);
    return st;
}

static char *vm_path(const char *name, const char *sub)
{
    static char path[256];

    snprintf(path, sizeof(path), "%s/vms/%.*s%s", RV_API_PREFIX, RV_API_NAME_MAX, name, sub);
    return path;
}

/* create NAME [opts] -- PROGRAM ARGS, or create -f FILE. */
static int cmd_create(const char *sock, bool json, int argc, char **argv)
{
    static const struct option opts[] = {
        { "mem", required_argument, NULL, 'm' }, { "cpus", required_argument, NULL, 'c' },
        { "disk", required_argument, NULL, 'd' }, { "env", required_argument, NULL, 'e' },
        { "add", required_argument, NULL, 'a' }, { "file", required_argument, NULL, 'f' },
        { "interactive", no_argument, NULL, 'i' }, { "tty", no_argument, NULL, 't' },
        { "weight", required_argument, NULL, 'W' }, { "cap", required_argument, NULL, 'C' },
        { "slice", required_argument, NULL, 'S' }, { "period", required_argument, NULL, 'P' },
        { "extra", no_argument, NULL, 'X' },
        { 0 },
    };
    cJSON *doc = cJSON_CreateObject(), *env = NULL, *disks = NULL, *files = NULL, *args;
    const char *file = NULL;
    char *body = NULL, real[PATH_MAX];
    const char *name = NULL;
    int c, st = 2;

    /* NAME comes first, then the options, then -- PROGRAM ARGS. */
    if (argc > 1 && argv[1][0] != '-') {
        name = argv[1];
        argv++;
        argc--;
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "+f:it", opts, NULL)) != -1) {
        switch (c) {
        case 'i': cJSON_AddTrueToObject(doc, "interactive"); break;
        case 't': cJSON_AddTrueToObject(doc, "tty"); break;
        case 'm': cJSON_AddStringToObject(doc, "mem", optarg); break;
        case 'c': cJSON_AddNumberToObject(doc, "cpus", atof(optarg)); break;
        case 'f': file = optarg; break;
        case 'd':
            if (!disks)
                disks = cJSON_AddArrayToObject(doc, "disks");
            cJSON_AddItemToArray(disks, cJSON_CreateString(optarg));
            break;
        case 'e': {
            char *eq = strchr(optarg, '=');

            if (!eq) {
                fprintf(stderr, "ringctl: --env '%s' is not K=V\n", optarg);
                goto out;
            }
            *eq = '\0';
            if (!env)
                env = cJSON_AddObjectToObject(doc, "env");
            cJSON_AddStringToObject(env, optarg, eq + 1);
            break;
        }
        case 'a': {
            char *colon = strrchr(optarg, ':');
            cJSON *f;

            if (!colon || !realpath((*colon = '\0', optarg), real)) {
                fprintf(stderr, "ringctl: --add '%s' is not HOSTPATH:GUESTPATH\n", optarg);
                goto out;
            }
            if (!files)
                files = cJSON_AddArrayToObject(doc, "files");
            f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "host", real);
            cJSON_AddStringToObject(f, "guest", colon + 1);
            cJSON_AddItemToArray(files, f);
            break;
        }
        case 'W': case 'C': case 'S': case 'P': case 'X':
            sched_opt(doc, c, optarg);
            break;
        default: fputs(usage, stderr); goto out;
        }
    }
    if (file) {
        FILE *fp = fopen(file, "r");
        size_t n;

        body = calloc(1, RV_API_MAX_BODY + 1);
        if (!fp || !body) {
            fprintf(stderr, "ringctl: cannot read '%s': %s\n", file, strerror(errno));
            if (fp)
                fclose(fp);
            goto out;
        }
        n = fread(body, 1, RV_API_MAX_BODY, fp);
        body[n] = '\0';
        fclose(fp);
    } else {
        if (!name) {
            fputs("ringctl: create needs NAME -- PROGRAM [ARGS...]\n", stderr);
            goto out;
        }
        cJSON_AddStringToObject(doc, "name", name);
        if (optind < argc && !strcmp(argv[optind], "--"))
            optind++;
        if (optind >= argc) {
            fputs("ringctl: create needs a PROGRAM\n", stderr);
            goto out;
        }
        /* The daemon runs elsewhere: give it an absolute path. */
        cJSON_AddStringToObject(doc, "program", realpath(argv[optind], real) ? real
                                                                              : argv[optind]);
        args = cJSON_AddArrayToObject(doc, "args");
        for (int i = optind + 1; i < argc; i++)
            cJSON_AddItemToArray(args, cJSON_CreateString(argv[i]));
        body = cJSON_PrintUnformatted(doc);
    }
    st = body ? simple(sock, "POST", RV_API_PREFIX "/vms", body, json, 'c') : 1;
out:
    free(body);
    cJSON_Delete(doc);
    return st;
}

/* A followed console: the chunked reply of GET console?follow=1, its body
 * written to stdout as it arrives. */
struct stream {
    int fd;
    http_parser p;
    int status;
    bool ended;             /* the last chunk came: the VM process is gone */
    struct reply err;       /* the body of an error reply */
    int64_t last_out_ms;
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int stream_headers(http_parser *p)
{
    ((struct stream *)p->data)->status = p->status_code;
    return 0;
}

static int stream_body(http_parser *p, const char *at, size_t len)
{
    struct stream *s = p->data;

    if (s->status != 200)
        return reply_append(&s->err, at, len);
    s->last_out_ms = mono_ms();
    return write_all(STDOUT_FILENO, at, len) ? -1 : 0;
}

static int stream_done(http_parser *p)
{
    ((struct stream *)p->data)->ended = true;
    return 0;
}

static int stream_open(struct stream *s, const char *sock, const char *name, long bytes)
{
    char req[512];
    int n;

    memset(s, 0, sizeof(*s));
    s->fd = dial(sock);
    if (s->fd < 0)
        return -1;
    n = snprintf(req, sizeof(req), "GET %s?follow=1&bytes=%ld HTTP/1.1\r\nHost: ringvisor\r\n"
                                   "\r\n", vm_path(name, "/console"), bytes);
    if (write_all(s->fd, req, (size_t)n)) {
        fprintf(stderr, "ringctl: cannot send the request\n");
        close(s->fd);
        return -1;
    }
    http_parser_init(&s->p, HTTP_RESPONSE);
    s->p.data = s;
    s->last_out_ms = mono_ms();
    return 0;
}

/* Take what the stream has; returns 1 when it is over (ended or broken). */
static int stream_read(struct stream *s)
{
    static const http_parser_settings settings = { .on_headers_complete = stream_headers,
                                                   .on_body = stream_body,
                                                   .on_message_complete = stream_done };
    char buf[16384];
    ssize_t n = read(s->fd, buf, sizeof(buf));

    if (n < 0 && errno == EINTR)
        return 0;
    if (n < 0)
        return 1;
    if (http_parser_execute(&s->p, &settings, buf, (size_t)n) != (size_t)n || n == 0)
        return 1;
    return s->ended;
}

/* Report an error reply of the stream; returns the exit status. */
static int stream_close(struct stream *s)
{
    int st = 0;

    if (s->status != 200) {
        s->err.status = s->status;
        st = s->status ? fail(&s->err) : (fprintf(stderr, "ringctl: no reply from the daemon\n"), 1);
    }
    free(s->err.body);
    close(s->fd);
    return st;
}

static int cmd_follow(const char *sock, const char *name, long bytes)
{
    struct stream s;

    if (stream_open(&s, sock, name, bytes))
        return 1;
    while (!stream_read(&s))
        ;
    return stream_close(&s);
}

#define DETACH_KEY 0x1d /* Ctrl-] as in telnet and virsh console */
#define SETTLE_MS 1000   /* after the end of piped input, output this quiet ends it */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

/* Send (len) bytes as console input; the daemon may take fewer while the
 * guest is behind: send the rest after a pause.  Returns 0 or -1 (the
 * VM takes no input: reason printed once). */
static int send_input(const char *sock, const char *name, const char *buf, size_t len)
{
    char path[256];

    snprintf(path, sizeof(path), "%s", vm_path(name, "/console/input"));
    while (len) {
        struct reply r;
        cJSON *doc;
        double w;

        if (request_len(sock, "POST", path, buf, len, &r))
            return -1;
        if (r.status != 200) {
            fail(&r);
            free(r.body);
            return -1;
        }
        doc = cJSON_Parse(r.body ? r.body : "");
        w = num(doc, "written", NULL);
        cJSON_Delete(doc);
        free(r.body);
        if (w < 0 || w > (double)len)
            return -1;
        buf += (size_t)w;
        len -= (size_t)w;
        if (len)
            usleep(20000);
    }
    return 0;
}

/*
 * Attach to NAME's console: its output streamed to stdout, stdin sent as
 * input.  A terminal is put in raw mode (the guest, or nobody, echoes) and
 * restored on the way out; Ctrl-] detaches.  Ends when the VM process ends,
 * at Ctrl-], or, for input that is not a terminal, once its end was sent
 * and output has been quiet for SETTLE_MS.
 */
static int cmd_console(const char *sock, const char *name, long bytes)
{
    struct termios saved, raw;
    struct sigaction sa = { .sa_handler = on_signal };
    bool tty = isatty(STDIN_FILENO), restore = false, in_open = true, input_ok = true;
    struct stream s;
    struct reply r;
    cJSON *doc;
    int st;

    /* Early and plain: a VM that is not there, and whether it takes input. */
    if (request(sock, "GET", vm_path(name, ""), NULL, &r))
        return 1;
    if (r.status != 200) {
        st = fail(&r);
        free(r.body);
        return st;
    }
    doc = cJSON_Parse(r.body ? r.body : "");
    input_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "config"), "interactive"));
    cJSON_Delete(doc);
    free(r.body);
    if (stream_open(&s, sock, name, bytes < 0 ? 0 : bytes))
        return 1;
    /* The stream's start is fixed when its head arrives: input goes after,
     * so no answer to it can fall before the start. */
    while (!s.status && !stream_read(&s))
        ;
    if (s.status != 200 || s.ended) {
        /* An error (the whole message), or a VM that had ended: no attach. */
        while (!s.ended && !stream_read(&s))
            ;
        return stream_close(&s);
    }
    if (tty) {
        if (tcgetattr(STDIN_FILENO, &saved) == 0) {
            /* Keys go to the guest as typed: no local echo, editing or ^C. */
            raw = saved;
            raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
            raw.c_iflag &= ~(tcflag_t)(ICRNL | IXON | INLCR | IGNCR);
            raw.c_cc[VMIN] = 1;
            raw.c_cc[VTIME] = 0;
            restore = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
        }
        fprintf(stderr, "[attached to %s%s; Ctrl-] detaches]\r\n", name,
                input_ok ? "" : ", read-only: created without --interactive");
    }
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        struct pollfd pfd[2] = { { .fd = s.fd, .events = POLLIN },
                                 { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN } };
        int64_t quiet = mono_ms() - s.last_out_ms;
        int n;

        if (got_signal)
            break;
        if (!in_open && quiet >= SETTLE_MS)
            break;
        n = poll(pfd, 2, in_open ? -1 : (int)(SETTLE_MS - quiet));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (pfd[0].revents && stream_read(&s))
            break;
        if (pfd[1].revents) {
            char buf[4096], *esc;
            ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));

            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                in_open = false; /* now wait for the output to settle */
                s.last_out_ms = mono_ms();
                continue;
            }
            esc = memchr(buf, DETACH_KEY, (size_t)got);
            if (input_ok && (esc ? esc - buf : got) > 0 &&
                send_input(sock, name, buf, (size_t)(esc ? esc - buf : got)))
                input_ok = false;
            if (esc)
                break;
        }
    }
    if (restore)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    if (tty)
        fprintf(stderr, "\r\n[%s from %s]\n", s.ended ? "console closed: the VM ended"
                                                       : "detached", name);
    return stream_close(&s);
}

static int cmd_top(const char *sock, int count)
{
    for (int i = 0; count <= 0 || i < count; i++) {
        struct reply r;
        int st;

        if (request(sock, "GET", RV_API_PREFIX "/vms", NULL, &r))
            return 1;
        if (isatty(STDOUT_FILENO))
            printf("\033[H\033[2J");
        st = output(&r, false, 'l');
        free(r.body);
        fflush(stdout);
        if (st)
            return st;
        if (count <= 0 || i + 1 < count)
            sleep(1);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' }, { 0 },
    };
    const char *sock = RV_API_SOCKET_DEFAULT, *cmd, *name = NULL;
    bool json = false, force = false, follow = false;
    int c, timeout = -1, count = 0, window = 0;
    long bytes = -1;
    char body[128], path[256];
    cJSON *sched = cJSON_CreateObject();

    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 's': sock = optarg; break;
        case 'j': json = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind >= argc) {
        fputs(usage, stderr);
        return 2;
    }
    cmd = argv[optind++];
    if (!strcmp(cmd, "create"))
        return cmd_create(sock, json, argc - optind + 1, argv + optind - 1);
    /* The other commands: NAME and their options, in any order. */
    for (int i = optind; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;

        if (!strcmp(a, "--json"))
            json = true;
        else if (!strcmp(a, "--force") || !strcmp(a, "-f"))
            force = true;
        else if (!strcmp(a, "--timeout") && has_val)
            timeout = atoi(argv[++i]);
        else if (!strcmp(a, "--follow"))
            follow = true;
        else if (!strcmp(a, "--bytes") && has_val)
            bytes = atol(argv[++i]);
        else if (!strcmp(a, "--count") && has_val)
            count = atoi(argv[++i]);
        else if (!strcmp(a, "--window") && has_val)
            window = atoi(argv[++i]);
        else if ((!strcmp(a, "--weight") || !strcmp(a, "--cap") || !strcmp(a, "--slice") ||
                  !strcmp(a, "--period")) && has_val)
            sched_opt(sched, a[2] == 'w' ? 'W' : a[2] == 'c' ? 'C' : a[2] == 's' ? 'S' : 'P',
                      argv[++i]);
        else if (!strcmp(a, "--extra") || !strcmp(a, "--no-extra"))
            sched_opt(sched, a[2] == 'e' ? 'X' : 'x', NULL);
        else if (a[0] == '-') {
            fprintf(stderr, "ringctl: %s: unknown option or missing value '%s'\n", cmd, a);
            return 2;
        } else if (name) {
            fprintf(stderr, "ringctl: unexpected argument '%s'\n", a);
            return 2;
        } else {
            name = a;
        }
    }
    if (!strcmp(cmd, "list"))
        return simple(sock, "GET", RV_API_PREFIX "/vms", NULL, json, 'l');
    if (!strcmp(cmd, "version"))
        return simple(sock, "GET", RV_API_PREFIX "/version", NULL, json, 'v') ||
               simple(sock, "GET", RV_API_PREFIX "/health", NULL, json, 'v');
    if (!strcmp(cmd, "top"))
        return cmd_top(sock, count);
    if (!strcmp(cmd, "sched-report")) {
        snprintf(path, sizeof(path), RV_API_PREFIX "/sched?window=%d", window > 0 ? window : 10);
        return simple(sock, "GET", path, NULL, json, 'R');
    }
    if (!name) {
        fprintf(stderr, "ringctl: %s needs a VM NAME\n", cmd);
        return 2;
    }
    if (!strcmp(cmd, "show"))
        return simple(sock, "GET", vm_path(name, ""), NULL, json, 's');
    if (!strcmp(cmd, "sched")) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(sched, "sched");
        char *b = s ? cJSON_PrintUnformatted(s) : NULL;
        int st = simple(sock, s ? "PATCH" : "GET", vm_path(name, "/sched"), b, json, 'S');

        free(b);
        cJSON_Delete(sched);
        return st;
    }
    if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) {
        snprintf(path, sizeof(path), "%s", vm_path(name, !strcmp(cmd, "pause") ? "/pause"
                                                                               : "/resume"));
        return simple(sock, "POST", path, NULL, json, 'c');
    }
    if (!strcmp(cmd, "stop")) {
        if (timeout >= 0)
            snprintf(body, sizeof(body), "{\"force\":%s,\"timeout_s\":%d}",
                     force ? "true" : "false", timeout);
        else
            snprintf(body, sizeof(body), "{\"force\":%s}", force ? "true" : "false");
        return simple(sock, "POST", vm_path(name, "/stop"), body, json, 'c');
    }
    if (!strcmp(cmd, "rm")) {
        struct reply r;
        int st;

        if (request(sock, "DELETE", vm_path(name, ""), NULL, &r))
            return 1;
        st = r.status >= 400 ? fail(&r) : 0;
        if (!st && !json)
            printf("%s: deleted\n", name);
        free(r.body);
        return st;
    }
    if (!strcmp(cmd, "console"))
        return cmd_console(sock, name, bytes);
    if (!strcmp(cmd, "logs") && follow)
        return cmd_follow(sock, name, bytes < 0 ? 65536 : bytes);
    if (!strcmp(cmd, "logs")) {
        snprintf(path, sizeof(path), "%s", vm_path(name, "/console"));
        if (bytes >= 0)
            snprintf(path + strlen(path), sizeof(path) - strlen(path), "?bytes=%ld", bytes);
        return simple(sock, "GET", path, NULL, false, 't');
    }
    fprintf(stderr, "ringctl: unknown command '%s' (see ringctl --help)\n", cmd);
    return 2;
}
