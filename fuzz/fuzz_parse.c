// SPDX-License-Identifier: MIT
/* libFuzzer target: parse_size(), parse_uint() and parse_disk() on any NUL-terminated
 * string, cross-checked against strtoull() on plain digit strings. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/core/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    uint64_t v = 0, u = 0, lim = 0;
    int es, eu, digits;

    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = 0;
    /* The parsers see the string up to the first NUL, and so does this. */
    digits = s[0] != 0;
    for (size_t i = 0; s[i]; i++)
        digits &= isdigit((unsigned char)s[i]) != 0;

    es = parse_size(s, &v);
    eu = parse_uint(s, 0, UINT64_MAX, &u);
    if ((es != 0 && es != -EINVAL && es != -ERANGE) ||
        (eu != 0 && eu != -EINVAL && eu != -ERANGE))
        abort();
    /* A plain decimal number means the same to both parsers and to libc. */
    if (digits) {
        unsigned long long want;

        errno = 0;
        want = strtoull(s, NULL, 10);
        if (errno == ERANGE ? (eu != -ERANGE || es != -ERANGE)
                            : (eu != 0 || es != 0 || u != want || v != want))
            abort();
    } else if (eu == 0) {
        abort(); /* parse_uint takes digits only */
    }
    if (eu == 0 && parse_uint(s, 1, 64, &lim) == 0 && (lim < 1 || lim > 64))
        abort();

    /* --disk: a result is a non-empty path and a valid (or no) id. */
    char path[64], id[DISK_ID_MAX + 1];
    const char *why = NULL;
    bool ro;
    if (parse_disk(s, path, sizeof(path), &ro, id, &why) == 0) {
        if (!path[0] || strchr(path, ',') || strlen(id) > DISK_ID_MAX || id[0] == '.')
            abort();
    } else if (!why) {
        abort();
    }
    free(s);
    return 0;
}
