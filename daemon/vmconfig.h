/* SPDX-License-Identifier: MIT */
/*
 * VM definitions: the config document a client sends to create a VM, checked
 * field by field into a normalised form, and the `ringvisor exec|run` command
 * line that runs it.  Pure functions: no I/O, so unit tests and the fuzzer
 * can drive them.
 */
#ifndef DAEMON_VMCONFIG_H
#define DAEMON_VMCONFIG_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Why a request was refused: an HTTP status, the offending field ("" when the
 * whole document is at fault) and a message for humans. */
struct api_err {
    int status;
    char field[64];
    char msg[256];
};

/* Fill (e) and return -(status) so callers can `return api_fail(...)`. */
int api_fail(struct api_err *e, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Whether (name) is a valid VM name (see RV_API_NAME_MAX). */
int vmconfig_name_ok(const char *name);

/*
 * Check the config document (json, len bytes, not NUL-terminated) and return
 * in (*out) a new normalised object: defaults filled in (mem in bytes, cpus,
 * empty args/env/files/disks), nothing unknown.  Returns 0, or a negative
 * HTTP status with (e) naming the field: malformed JSON, unknown fields,
 * wrong types and out-of-range values are all 400.
 */
int vmconfig_parse(const char *json, size_t len, cJSON **out, struct api_err *e)
    __attribute__((warn_unused_result));

/*
 * The argument vector that runs normalised config (cfg): (exe) exec|run
 * --control-dir (dir) options... [PROGRAM ARGS...]; with (board), the VM
 * joins that scheduler board with its "sched" parameters.  Returns a NULL-terminated
 * malloc'd array of pointers into (cfg) and (exe)/(dir) plus malloc'd option
 * strings listed in (*owned) (free both with vmconfig_argv_free), or NULL when
 * out of memory.
 */
char **vmconfig_argv(const cJSON *cfg, const char *exe, const char *dir, const char *board,
                     char ***owned);
void vmconfig_argv_free(char **argv, char **owned);

#endif
