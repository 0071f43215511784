/* SPDX-License-Identifier: MIT */
/*
 * The control API's wire contract, shared by the daemon (daemon/api/) and its
 * thin client (cli/ringctl): HTTP/1.1 with JSON bodies on a UNIX socket.
 * docs/api.md describes each route; docs/openapi.yaml is the machine form.
 */
#ifndef DAEMON_API_PROTO_H
#define DAEMON_API_PROTO_H

/* Bumped on any incompatible change; routes carry it as their /vN prefix. */
#define RV_API_VERSION 1
#define RV_API_PREFIX "/v1"

#define RV_API_SOCKET_DEFAULT "/run/ringvisor/ringvisor.sock"
#define RV_API_STATE_DEFAULT "/var/lib/ringvisor"

/* Requests over these limits are refused (431, 413, 414) before any parsing
 * of their content, so one client cannot make the daemon buffer without end. */
#define RV_API_MAX_HEADERS 8192  /* request line + headers, bytes */
#define RV_API_MAX_URL 1024
#define RV_API_MAX_BODY 65536
#define RV_API_MAX_CONNS 256     /* open client connections */

/* A VM name: 1-32 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
#define RV_API_NAME_MAX 32

/* VM states (the "state" field).  Transitions: running <-> paused (pause,
 * resume); running|paused -> stopping (stop) -> stopped; running|paused ->
 * exited (the guest powered off) or crashed (the VM process died by a
 * signal nobody asked for, or vanished without a status); any of the last
 * three -> deleted (rm).  "unknown": after a daemon restart, a VM process
 * that could not be checked. */
#define RV_STATE_RUNNING "running"
#define RV_STATE_PAUSED "paused"
#define RV_STATE_STOPPING "stopping"
#define RV_STATE_STOPPED "stopped"
#define RV_STATE_EXITED "exited"
#define RV_STATE_CRASHED "crashed"
#define RV_STATE_UNKNOWN "unknown"

/* Default seconds a graceful stop waits before it kills the VM process. */
#define RV_API_STOP_TIMEOUT_DEFAULT 10
#define RV_API_STOP_TIMEOUT_MAX 3600

#endif
