// SPDX-License-Identifier: MIT
/*
 * The API socket: non-blocking connections, each with its own request parser
 * and output buffer, so a slow or stuck client holds only its own
 * connection.  Idle or half-sent connections are closed after a timeout.
 * A connection may also wait for a deferred answer (a VM's control call), or
 * follow a console log as a chunked stream read from the file as the client
 * takes it, so a slow follower costs one buffer, never the daemon's memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/api/api.h"
#include "daemon/api/http.h"

#define CONN_IDLE_MS 30000
#define CONN_IN 4096
#define CHUNK_MAX 16384

struct conn {
    struct ev ev;           /* EV_CONN */
    struct conn *next;
    int fd;
    struct http_req req;
    char in[CONN_IN];       /* received, not yet parsed (a pipelined request) */
    size_t in_len;
    char *out;              /* reply being written */
    size_t out_len, out_off;
    bool close_after;       /* close once the reply is out */
    int64_t last_ms;
    bool waiting;           /* a deferred answer is due (server_reply) */
    bool streaming;         /* following a console (api_resp.stream) */
    int stream_fd;
    struct vmrec *stream_vm; /* NULL once its process ended: drain, then the last chunk */
    uint64_t stream_off, stream_base;
};

int server_init(struct daemon *d, const char *path, int group)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->listen_ev };
    mode_t old;
    int fd, err;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* A stale socket from a dead daemon: replace it; a live one: refuse. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        close(fd);
        return -EADDRINUSE;
    }
    unlink(path);
    /* The mode is right from the moment the socket exists: access is the
     * kernel's file permission check, owner only (or owner and group). */
    old = umask(group >= 0 ? 0117 : 0177);
    err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
    umask(old);
    if (!err && group >= 0 && chown(path, (uid_t)-1, (gid_t)group) < 0)
        err = -errno;
    if (!err && listen(fd, 64) < 0)
        err = -errno;
    d->listen_ev.kind = EV_LISTEN;
    if (!err && epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        err = -errno;
    if (err) {
        close(fd);
        return err;
    }
    d->listen_fd = fd;
    d->socket_path = path;
    return 0;
}

static void conn_close(struct daemon *d, struct conn *c)
{
    for (struct conn **p = &d->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->waiting)
        sup_control_forget(d, c);
    if (c->streaming)
        close(c->stream_fd);
    http_req_free(&c->req);
    free(c->out);
    free(c);
    d->nr_conns--;
}

void server_accept(struct daemon *d)
{
    for (;;) {
        int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        struct conn *c;

        if (fd < 0)
            return;
        if (d->nr_conns >= RV_API_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
            static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                       "Connection: close\r\n\r\n";

            if (write(fd, busy, sizeof(busy) - 1) < 0) {
                /* nothing more to tell it */
            }
            close(fd);
            continue;
        }
        c->ev.kind = EV_CONN;
        c->fd = fd;
        c->last_ms = now_ms();
        http_req_init(&c->req);
        struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = &c->ev };
        if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            http_req_free(&c->req);
            free(c);
            close(fd);
            continue;
        }
        c->next = d->conns;
        d->conns = c;
        d->nr_conns++;
    }
}

/* What to wait for: the rest of a reply to go out, only the client's
 * hang-up while it waits for an answer or takes a stream, or a request. */
static void conn_events(struct daemon *d, struct conn *c)
{
    struct epoll_event ev = { .data.ptr = &c->ev };

    if (c->out_off < c->out_len)
        ev.events = EPOLLOUT | EPOLLRDHUP;
    else if (c->waiting || c->streaming)
        ev.events = EPOLLRDHUP;
    else
        ev.events = EPOLLIN | EPOLLRDHUP;
    epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Take (len) bytes of (data) as the next reply to send (copied). */
static void conn_set_out(struct conn *c, const char *head, size_t head_len, const char *body,
                         size_t body_len, const char *tail)
{
    size_t tail_len = tail ? strlen(tail) : 0;

    free(c->out);
    c->out = malloc(head_len + body_len + tail_len);
    c->out_off = 0;
    c->out_len = 0;
    if (!c->out) {
        c->close_after = true;
        c->streaming = false;
        return;
    }
    memcpy(c->out, head, head_len);
    if (body_len)
        memcpy(c->out + head_len, body, body_len);
    if (tail_len)
        memcpy(c->out + head_len + body_len, tail, tail_len);
    c->out_len = head_len + body_len + tail_len;
}

static void conn_queue(struct conn *c, const struct api_resp *r)
{
    char head[512];
    int n;

    if (r->stream) {
        /* The length is unknown until the VM ends: chunked, then close. */
        n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nServer: ringvisor\r\nContent-Type: %s\r\n"
                     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                     r->content_type);
        c->close_after = true;
        c->streaming = true;
        c->stream_fd = r->stream_fd;
        c->stream_vm = r->stream_vm;
        c->stream_off = r->stream_off;
        c->stream_base = r->stream_base;
        conn_set_out(c, head, (size_t)n, NULL, 0, NULL);
        return;
    }
    n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nServer: ringvisor\r\nContent-Length: %zu\r\n"
                     "%s%s%s%s%s%s%s\r\n",
                     r->status, http_reason(r->status), r->body_len,
                     r->body_len ? "Content-Type: " : "", r->body_len ? r->content_type : "",
                     r->body_len ? "\r\n" : "", r->allow[0] ? "Allow: " : "", r->allow,
                     r->allow[0] ? "\r\n" : "", c->close_after ? "Connection: close\r\n" : "");
    conn_set_out(c, head, (size_t)n, r->body, r->body_len, NULL);
}

/* A whole request (or a parse error) is here: answer it. */
static void conn_answer(struct daemon *d, struct conn *c)
{
    struct api_resp resp = { .status = 500, .content_type = "application/json" };

    if (c->req.error) {
        c->close_after = true; /* the stream's framing is lost */
        api_reply_errorf(&resp, c->req.error, NULL, "%s", c->req.error_msg ? c->req.error_msg
                                                                            : "bad request");
    } else {
        char path[RV_API_MAX_URL + 1];
        char *q;
        struct api_req req = { .method = c->req.method, .body = c->req.body,
                               .body_len = c->req.body_len };

        snprintf(path, sizeof(path), "%s", c->req.url);
        q = strchr(path, '?');
        if (q)
            *q++ = '\0';
        req.path = path;
        req.query = q ? q : "";
        req.conn = c;
        c->close_after = !c->req.keep_alive;
        api_handle(d, &req, &resp);
        http_req_reset(&c->req);
        if (resp.deferred) {
            c->waiting = true;
            conn_events(d, c);
            return;
        }
    }
    conn_queue(c, &resp);
    free(resp.body);
}

/* Write what we can; returns -1 if the connection is gone. */
static int conn_flush(struct daemon *d, struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            conn_close(d, c);
            return -1;
        }
        c->out_off += (size_t)n;
    }
    if (c->out_off < c->out_len) {
        /* A client that does not read its reply: wait for it, read no more. */
        conn_events(d, c);
        return 0;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    if (c->close_after && !c->streaming) {
        conn_close(d, c);
        return -1;
    }
    conn_events(d, c);
    return 0;
}

/* Send a followed console's next chunk whenever the last one is out; the
 * file is the buffer.  Returns -1 if the connection is gone. */
static int conn_pump(struct daemon *d, struct conn *c)
{
    char buf[CHUNK_MAX], head[24];

    while (c->streaming && !c->out_len) {
        ssize_t n = console_read(c->stream_fd, c->stream_vm ? c->stream_vm->log_base
                                                            : c->stream_base,
                                 &c->stream_off, buf, sizeof(buf));

        if (n > 0) {
            int h = snprintf(head, sizeof(head), "%zx\r\n", (size_t)n);

            conn_set_out(c, head, (size_t)h, buf, (size_t)n, "\r\n");
        } else if (n == 0 && c->stream_vm) {
            return 0; /* all sent: server_console() wakes us */
        } else {
            /* The VM process ended and its output is all out (or the log
             * cannot be read): the last chunk, then close. */
            close(c->stream_fd);
            c->streaming = false;
            conn_set_out(c, "0\r\n\r\n", 5, NULL, 0, NULL);
        }
        if (conn_flush(d, c) < 0)
            return -1;
    }
    return 0;
}

/* Parse buffered bytes, answering each complete request in turn. */
static int conn_process(struct daemon *d, struct conn *c)
{
    while (!c->out_len && !c->waiting && !c->streaming && c->in_len) {
        size_t n = http_req_feed(&c->req, c->in, c->in_len);

        memmove(c->in, c->in + n, c->in_len - n);
        c->in_len -= n;
        if (!c->req.done && !c->req.error)
            break;
        conn_answer(d, c);
        if (c->waiting)
            break;
        if (conn_flush(d, c) < 0)
            return -1;
        if (c->streaming)
            return conn_pump(d, c);
    }
    return 0;
}

void server_reply(struct daemon *d, void *conn, struct api_resp *resp)
{
    struct conn *c = conn;

    c->waiting = false;
    c->last_ms = now_ms();
    conn_queue(c, resp);
    free(resp->body);
    resp->body = NULL;
    /* Then any request the client sent meanwhile (pipelined). */
    if (conn_flush(d, c) == 0 && !conn_pump(d, c))
        conn_process(d, c);
}

void server_console(struct daemon *d, struct vmrec *v, bool ended)
{
    struct conn *c = d->conns, *next;

    for (; c; c = next) {
        next = c->next;
        if (!c->streaming || c->stream_vm != v)
            continue;
        if (ended) {
            c->stream_base = v->log_base;
            c->stream_vm = NULL;
        }
        if (!c->out_len)
            conn_pump(d, c);
    }
}

void server_conn_event(struct daemon *d, struct ev *ev, uint32_t events)
{
    struct conn *c = (struct conn *)ev;

    c->last_ms = now_ms();
    if ((c->waiting || c->streaming) && (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        /* The client left: nothing more to send it. */
        conn_close(d, c);
        return;
    }
    if (events & EPOLLOUT) {
        if (conn_flush(d, c) < 0 || conn_pump(d, c) < 0 || conn_process(d, c) < 0)
            return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (c->out_len)
            return; /* still writing a reply: the rest waits */
        while (c->in_len < sizeof(c->in)) {
            ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);

            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                break;
            if (n <= 0) {
                conn_close(d, c);
                return;
            }
            c->in_len += (size_t)n;
            if (conn_process(d, c) < 0)
                return;
            if (c->out_len)
                return;
        }
    }
}

void server_tick(struct daemon *d)
{
    int64_t now = now_ms();
    struct conn *c = d->conns, *next;

    for (; c; c = next) {
        next = c->next;
        /* Waiting for a VM, or taking a stream, is not idleness. */
        if (!c->waiting && !c->streaming && now - c->last_ms > CONN_IDLE_MS)
            conn_close(d, c);
    }
}

void server_exit(struct daemon *d)
{
    while (d->conns)
        conn_close(d, d->conns);
    if (d->listen_fd >= 0) {
        close(d->listen_fd);
        unlink(d->socket_path);
    }
    d->listen_fd = -1;
}
