// SPDX-License-Identifier: MIT
/* Request parsing with http_parser under the API's limits; reason phrases. */
#include "daemon/api/http.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static struct http_req *req_of(http_parser *p)
{
    return p->data;
}

static int fail(struct http_req *r, int status, const char *msg)
{
    r->error = status;
    r->error_msg = msg;
    return -1; /* makes http_parser stop with HPE_CB_* */
}

static int on_message_begin(http_parser *p)
{
    struct http_req *r = req_of(p);

    r->url_len = 0;
    r->url[0] = '\0';
    r->header_bytes = 0;
    r->body_len = 0;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct http_req *r = req_of(p);

    if (len > RV_API_MAX_URL - r->url_len)
        return fail(r, 414, "the request target is too long");
    memcpy(r->url + r->url_len, at, len);
    r->url_len += len;
    r->url[r->url_len] = '\0';
    return 0;
}

static int on_header_bytes(http_parser *p, const char *at, size_t len)
{
    struct http_req *r = req_of(p);

    (void)at;
    r->header_bytes += len;
    if (r->header_bytes > RV_API_MAX_HEADERS)
        return fail(r, 431, "the request headers are too large");
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct http_req *r = req_of(p);

    /* Refuse an announced oversized body before reading any of it.
     * content_length is ULLONG_MAX when absent (e.g. chunked). */
    if (p->content_length != ULLONG_MAX && p->content_length > RV_API_MAX_BODY)
        return fail(r, 413, "the request body is too large");
    r->method = (enum http_method)p->method;
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct http_req *r = req_of(p);

    if (len > RV_API_MAX_BODY - r->body_len)
        return fail(r, 413, "the request body is too large");
    if (!r->body) {
        r->body = malloc(RV_API_MAX_BODY + 1);
        if (!r->body)
            return fail(r, 503, "out of memory");
    }
    memcpy(r->body + r->body_len, at, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct http_req *r = req_of(p);

    r->done = true;
    r->keep_alive = http_should_keep_alive(p) != 0;
    /* One request at a time: the rest of the buffer waits for the reply. */
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_bytes,
    .on_header_value = on_header_bytes,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http_req_init(struct http_req *r)
{
    memset(r, 0, sizeof(*r));
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
}

void http_req_reset(struct http_req *r)
{
    r->done = false;
    r->body_len = 0;
    r->url_len = 0;
    r->url[0] = '\0';
    http_parser_pause(&r->parser, 0);
}

void http_req_free(struct http_req *r)
{
    free(r->body);
    r->body = NULL;
}

size_t http_req_feed(struct http_req *r, const char *data, size_t len)
{
    size_t n;

    if (r->done || r->error)
        return 0;
    n = http_parser_execute(&r->parser, &settings, data, len);
    if (r->done || r->error)
        return n;
    if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK) {
        r->error = 400;
        r->error_msg = http_errno_description(HTTP_PARSER_ERRNO(&r->parser));
    }
    return n;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}
