// SPDX-License-Identifier: MIT
/* An in-memory cpio newc writer. */
#include "vmm/core/cpio.h"

#include "abi/rv_abi.h"
#include "vmm/core/hostfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int cpio_add_parents(struct cpio *c, const char *path)
{
    char dir[CPIO_PATH_MAX + 1];

    for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
        size_t n = (size_t)(s - path);
        int seen = 0;

        if (n > CPIO_PATH_MAX)
            return -ENAMETOOLONG;
        memcpy(dir, path, n);
        dir[n] = '\0';
        /* Our archives hold tens of entries: a linear scan for the name is fine. */
        for (size_t off = 0; off + 110 <= c->len && !seen;) {
            unsigned namesz, filesz;
            char num[9] = { 0 };

            memcpy(num, c->data + off + 94, 8);
            namesz = (unsigned)strtoul(num, NULL, 16);
            memcpy(num, c->data + off + 54, 8);
            filesz = (unsigned)strtoul(num, NULL, 16);
            seen = namesz == n + 1 && !memcmp(c->data + off + 110, dir, n + 1);
            off += (110 + namesz + 3) & ~3u;
            off += (filesz + 3) & ~3u;
        }
        if (!seen) {
            int err = cpio_add(c, dir, 0040755, NULL, 0);

            if (err)
                return err;
        }
    }
    return 0;
}

int cpio_add_args(struct cpio *c, int argc, const char *const *argv, unsigned envc,
                  const char *const *envp)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int err;

    if (!f)
        return -ENOMEM;
    fprintf(f, "%d%c%u%c", argc, 0, envc, 0);
    for (int i = 0; i < argc; i++)
        fwrite(argv[i], 1, strlen(argv[i]) + 1, f);
    for (unsigned i = 0; i < envc; i++)
        fwrite(envp[i], 1, strlen(envp[i]) + 1, f);
    if (fclose(f))
        return -ENOMEM;
    err = cpio_add_parents(c, &RV_ARGS_PATH[1]);
    if (!err)
        err = cpio_add(c, &RV_ARGS_PATH[1], 0100644, buf, len);
    free(buf);
    return err;
}

int cpio_add_file(struct cpio *c, const char *guest, uint32_t perm, const void *data, size_t len)
{
    int err;

    while (*guest == '/')
        guest++;
    err = cpio_add_parents(c, guest);
    return err ? err : cpio_add(c, guest, 0100000 | (perm & 07777), data, len);
}

int cpio_add_host_file(struct cpio *c, const char *host, const char *guest)
{
    struct stat st;
    uint8_t *data = NULL;
    size_t len = 0;
    int err = hostfile_read(host, &data, &len);

    if (err)
        return err;
    if (stat(host, &st) < 0)
        st.st_mode = 0644;
    err = cpio_add_file(c, guest, st.st_mode, data, len);
    free(data);
    return err;
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
