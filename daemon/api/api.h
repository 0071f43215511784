/* SPDX-License-Identifier: MIT */
/*
 * Routing of one parsed request to its resource (one file per resource:
 * system.c, vms.c, sched.c) and the reply each builds.  server.c owns the sockets.
 */
#ifndef DAEMON_API_API_H
#define DAEMON_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <http_parser.h>

#include "daemon/daemon.h"
#include "daemon/vmconfig.h"

struct api_req {
    enum http_method method;
    const char *path;       /* without the query */
    const char *query;      /* after '?', or "" */
    const char *body;
    size_t body_len;
    void *conn;             /* the connection, for a deferred answer (server_reply) */
};

struct api_resp {
    int status;
    const char *content_type;
    char *body;             /* malloc'd */
    size_t body_len;
    char allow[64];         /* the Allow header of a 405 */
    /* The answer comes later, through server_reply(req->conn, ...): the
     * connection reads no further requests until then. */
    bool deferred;
    /* A console stream (chunked): the log (stream_fd, the server owns it
     * now) from logical offset (stream_off), then what (stream_vm) writes
     * until its process ends; stream_vm NULL: to the end of the file only. */
    bool stream;
    int stream_fd;
    struct vmrec *stream_vm;
    uint64_t stream_off, stream_base;
};

/* Route (req) and fill (resp). */
void api_handle(struct daemon *d, const struct api_req *req, struct api_resp *resp);

/* Reply helpers: JSON (takes (json) and deletes it), an error document
 * {"error": {"status", "message", "field"}}, plain text. */
void api_reply_json(struct api_resp *resp, int status, cJSON *json);
void api_reply_error(struct api_resp *resp, const struct api_err *e);
void api_reply_errorf(struct api_resp *resp, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The value of (key) in query string (q) into (buf); 0 if present. */
int api_query(const char *q, const char *key, char *buf, size_t size);

/* Resources: each returns 1 if (req) was for it (resp filled), else 0. */
int api_system(struct daemon *d, const struct api_req *req, struct api_resp *resp);
int api_vms(struct daemon *d, const struct api_req *req, struct api_resp *resp);
int api_sched(struct daemon *d, const struct api_req *req, struct api_resp *resp);

#endif
