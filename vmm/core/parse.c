// SPDX-License-Identifier: MIT
/* Strict parsers for sizes and counts given on the command line. */
#include "vmm/core/parse.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>

static int parse_digits(const char **sp, uint64_t *out)
{
    const char *s = *sp;
    uint64_t v = 0;

    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    for (; isdigit((unsigned char)*s); s++) {
        uint64_t d = (uint64_t)(*s - '0');

        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    *sp = s;
    *out = v;
    return 0;
}

int parse_size(const char *s, uint64_t *out)
{
    uint64_t v, mul = 1;
    int err = parse_digits(&s, &v);

    if (err)
        return err;
    switch (toupper((unsigned char)*s)) {
    case 'K': mul = 1ull << 10; s++; break;
    case 'M': mul = 1ull << 20; s++; break;
    case 'G': mul = 1ull << 30; s++; break;
    case 'T': mul = 1ull << 40; s++; break;
    default: break;
    }
    if (mul > 1 && (strcasecmp(s, "iB") == 0 || strcasecmp(s, "B") == 0))
        s += *s == 'B' || *s == 'b' ? 1 : 2;
    else if (mul == 1 && strcasecmp(s, "B") == 0)
        s++;
    if (*s)
        return -EINVAL;
    if (v > UINT64_MAX / mul)
        return -ERANGE;
    *out = v * mul;
    return 0;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    int err = parse_digits(&s, &v);

    if (err)
        return err;
    if (*s)
        return -EINVAL;
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}
