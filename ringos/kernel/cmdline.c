// SPDX-License-Identifier: MIT
/* Command line: whitespace-separated key=value words. */
#include "boot.h"
#include "kernel.h"
#include "lib.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool cmdline_get(const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key);
    const char *p = boot.cmdline;

    while (*p) {
        while (is_space(*p))
            p++;
        const char *w = p;
        while (*p && !is_space(*p))
            p++;
        if ((size_t)(p - w) > klen && !strncmp(w, key, klen) && w[klen] == '=') {
            size_t n = MIN((size_t)(p - w) - klen - 1, size - 1);
            for (size_t i = 0; i < n; i++)
                buf[i] = w[klen + 1 + i];
            buf[n] = 0;
            return true;
        }
    }
    return false;
}
