// SPDX-License-Identifier: MIT
/* An in-memory cpio newc writer. */
#include "vmm/core/cpio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CPIO_PATH_MAX 4095

static int reserve(struct cpio *c, size_t more)
{
    size_t cap = c->cap ? c->cap : 4096;

    if (c->len + more < c->len)
        return -ENOMEM;
    while (cap < c->len + more)
        cap *= 2;
    if (cap != c->cap) {
        uint8_t *p = realloc(c->data, cap);

        if (!p)
            return -ENOMEM;
        c->data = p;
        c->cap = cap;
    }
    return 0;
}

static void pad4(struct cpio *c)
{
    while (c->len % 4)
        c->data[c->len++] = 0;
}

int cpio_add(struct cpio *c, const char *path, uint32_t mode, const void *data, size_t len)
{
    size_t namesz = strlen(path) + 1;
    char hdr[111];
    int err;

    if (namesz > CPIO_PATH_MAX + 1)
        return -ENAMETOOLONG;
    if (len > UINT32_MAX)
        return -ENOMEM; /* newc sizes are 32-bit */
    err = reserve(c, sizeof(hdr) + namesz + 3 + len + 3);
    if (err)
        return err;
    /* magic, ino, mode, uid, gid, nlink, mtime, filesize, dev maj/min,
     * rdev maj/min, namesize, check */
    snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             ++c->next_ino, mode, 0u, 0u, (mode & 0040000) ? 2u : 1u, 0u, (uint32_t)len, 0u,
             0u, 0u, 0u, (uint32_t)namesz, 0u);
    memcpy(c->data + c->len, hdr, 110);
    c->len += 110;
    memcpy(c->data + c->len, path, namesz);
    c->len += namesz;
    pad4(c);
    if (len)
        memcpy(c->data + c->len, data, len);
    c->len += len;
    pad4(c);
    return 0;
}

int cpio_finish(struct cpio *c)
{
    return cpio_add(c, "TRAILER!!!", 0, NULL, 0);
}

void cpio_free(struct cpio *c)
{
    free(c->data);
    memset(c, 0, sizeof(*c));
}
