/* SPDX-License-Identifier: MIT */
/* Parsing of command-line values: sizes ("64M", "2G") and counts. */
#ifndef VMM_PARSE_H
#define VMM_PARSE_H

#include <stdint.h>

/* Parse (s) as a byte size: digits with an optional K, M, G or T suffix
 * (powers of 1024, case-insensitive, optionally followed by "B" or "iB").
 * Returns 0, or -EINVAL (malformed) / -ERANGE (overflows 64 bits). */
int parse_size(const char *s, uint64_t *out) __attribute__((warn_unused_result));

/* Parse (s) as a decimal integer in [min, max].  0, -EINVAL or -ERANGE. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
    __attribute__((warn_unused_result));

#endif
