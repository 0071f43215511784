/* SPDX-License-Identifier: MIT */
/* Parsing of command-line values: sizes ("64M", "2G"), counts, disk specs. */
#ifndef VMM_PARSE_H
#define VMM_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_ID_MAX 15 /* bytes: a directory name in the guest and a GET_ID */

/* Parse (s) as a byte size: digits with an optional K, M, G or T suffix
 * (powers of 1024, case-insensitive, optionally followed by "B" or "iB").
 * Returns 0, or -EINVAL (malformed) / -ERANGE (overflows 64 bits). */
int parse_size(const char *s, uint64_t *out) __attribute__((warn_unused_result));

/* Parse (s) as a decimal integer in [min, max].  0, -EINVAL or -ERANGE. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
    __attribute__((warn_unused_result));

/*
 * Parse a --disk value "PATH[,ro][,rw][,id=NAME]" into (path) (at most
 * path_size - 1 bytes), (*ro) and (id) ("" when not given).  NAME is 1 to
 * DISK_ID_MAX of [A-Za-z0-9_.-], not starting with '.'.  Returns 0, or
 * -EINVAL with (*why) set to a constant reason.
 */
int parse_disk(const char *spec, char *path, size_t path_size, bool *ro, char id[DISK_ID_MAX + 1],
               const char **why) __attribute__((warn_unused_result));

#endif
