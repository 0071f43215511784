// SPDX-License-Identifier: MIT
/* Command line: whitespace-separated key=value words. */
#include "boot.h"
#include "kernel.h"
#include "lib.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The word "key=value" (value != NULL) or the bare word "key". */
static const char *find_word(const char *key, bool with_value, size_t *len)
{
    size_t klen = strlen(key);
    const char *p = boot.cmdline;

    while (*p) {
        while (is_space(*p))
            p++;
        const char *w = p;
        while (*p && !is_space(*p))
            p++;
        if (with_value ? (size_t)(p - w) > klen && !strncmp(w, key, klen) && w[klen] == '='
                       : (size_t)(p - w) == klen && !strncmp(w, key, klen)) {
            *len = (size_t)(p - w);
            return w;
        }
    }
    return NULL;
}

bool cmdline_has(const char *word)
{
    size_t len;

    return find_word(word, false, &len) != NULL;
}

bool cmdline_get(const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key), len;
    const char *w = find_word(key, true, &len);

    if (!w)
        return false;
    size_t n = MIN(len - klen - 1, size - 1);
    for (size_t i = 0; i < n; i++)
        buf[i] = w[klen + 1 + i];
    buf[n] = 0;
    return true;
}
