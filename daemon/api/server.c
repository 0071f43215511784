// SPDX-License-Identifier: MIT
/*
 * The API socket: non-blocking connections, each with its own request parser
 * and output buffer, so a slow or stuck client holds only its own
 * connection.  Idle or half-sent connections are closed after a timeout.
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

static void conn_queue(struct conn *c, const struct api_resp *r)
{
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nServer: ringvisor\r\nContent-Length: %zu\r\n"
                     "%s%s%s%s%s%s%s\r\n",
                     r->status, http_reason(r->status), r->body_len,
                     r->body_len ? "Content-Type: " : "", r->body_len ? r->content_type : "",
                     r->body_len ? "\r\n" : "", r->allow[0] ? "Allow: " : "", r->allow,
                     r->allow[0] ? "\r\n" : "", c->close_after ? "Connection: close\r\n" : "");

    free(c->out);
    c->out = malloc((size_t)n + r->body_len);
    c->out_off = 0;
    c->out_len = 0;
    if (!c->out) {
        c->close_after = true;
        return;
    }
    memcpy(c->out, head, (size_t)n);
    if (r->body_len)
        memcpy(c->out + n, r->body, r->body_len);
    c->out_len = (size_t)n + r->body_len;
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
        c->close_after = !c->req.keep_alive;
        api_handle(d, &req, &resp);
        http_req_reset(&c->req);
    }
    conn_queue(c, &resp);
    free(resp.body);
}

/* Write what we can; returns -1 if the connection is gone. */
static int conn_flush(struct daemon *d, struct conn *c)
{
    struct epoll_event ev = { .data.ptr = &c->ev };

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
        ev.events = EPOLLOUT | EPOLLRDHUP;
        epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev);
        return 0;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    if (c->close_after) {
        conn_close(d, c);
        return -1;
    }
    ev.events = EPOLLIN | EPOLLRDHUP;
    epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    return 0;
}

/* Parse buffered bytes, answering each complete request in turn. */
static int conn_process(struct daemon *d, struct conn *c)
{
    while (!c->out_len && c->in_len) {
        size_t n = http_req_feed(&c->req, c->in, c->in_len);

        memmove(c->in, c->in + n, c->in_len - n);
        c->in_len -= n;
        if (!c->req.done && !c->req.error)
            break;
        conn_answer(d, c);
        if (conn_flush(d, c) < 0)
            return -1;
    }
    return 0;
}

void server_conn_event(struct daemon *d, struct ev *ev, uint32_t events)
{
    struct conn *c = (struct conn *)ev;

    c->last_ms = now_ms();
    if (events & EPOLLOUT) {
        if (conn_flush(d, c) < 0 || conn_process(d, c) < 0)
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
        if (now - c->last_ms > CONN_IDLE_MS)
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
