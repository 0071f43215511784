// SPDX-License-Identifier: MIT
/* Strict parsers for sizes, counts and disk specs given on the command line. */
#include "vmm/core/parse.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
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

static bool id_ok(const char *s, size_t n)
{
    if (n == 0 || n > DISK_ID_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

int parse_disk(const char *spec, char *path, size_t path_size, bool *ro, char id[DISK_ID_MAX + 1],
               const char **why)
{
    size_t n = strcspn(spec, ",");

    *ro = false;
    id[0] = '\0';
    if (n == 0) {
        *why = "no image path (PATH[,ro][,id=NAME])";
        return -EINVAL;
    }
    if (n >= path_size) {
        *why = "image path too long";
        return -EINVAL;
    }
    memcpy(path, spec, n);
    path[n] = '\0';
    for (const char *opt = spec + n; *opt == ',';) {
        opt++;
        n = strcspn(opt, ",");
        if (n == 2 && !strncmp(opt, "ro", 2)) {
            *ro = true;
        } else if (n == 2 && !strncmp(opt, "rw", 2)) {
            *ro = false;
        } else if (n > 3 && !strncmp(opt, "id=", 3)) {
            if (!id_ok(opt + 3, n - 3)) {
                *why = "id= takes 1 to 15 of A-Z a-z 0-9 _ . - (not starting with '.')";
                return -EINVAL;
            }
            memcpy(id, opt + 3, n - 3);
            id[n - 3] = '\0';
        } else {
            *why = "unknown option (PATH[,ro][,id=NAME]; paths with commas are not supported)";
            return -EINVAL;
        }
        opt += n;
    }
    return 0;
}
