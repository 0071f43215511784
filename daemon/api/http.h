/* SPDX-License-Identifier: MIT */
/*
 * One HTTP/1.1 request at a time from a byte stream (http_parser does the
 * parsing), with the API's size limits applied as bytes arrive; and response
 * formatting.  No sockets here: the server feeds bytes, the fuzzer too.
 */
#ifndef DAEMON_API_HTTP_H
#define DAEMON_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <http_parser.h>

#include "daemon/api/proto.h"

struct http_req {
    http_parser parser;
    enum http_method method;
    char url[RV_API_MAX_URL + 1];
    size_t url_len;
    size_t header_bytes;
    char *body;             /* malloc'd, up to RV_API_MAX_BODY */
    size_t body_len;
    bool done;              /* a whole request is here */
    bool keep_alive;
    int error;              /* HTTP status to answer with, then close */
    const char *error_msg;
};

void http_req_init(struct http_req *r);
/* Forget the finished request and get ready for the next one on the same
 * connection. */
void http_req_reset(struct http_req *r);
void http_req_free(struct http_req *r);

/*
 * Feed (len) bytes.  Returns how many were consumed: parsing stops after a
 * complete request (r->done) so pipelined requests wait their turn, and on
 * an error (r->error is then the status to answer with, e.g. 400, 413, 431).
 */
size_t http_req_feed(struct http_req *r, const char *data, size_t len);

/* The standard reason phrase of (status). */
const char *http_reason(int status);

#endif
