// SPDX-License-Identifier: MIT
/* cpio newc (070701, and 070702 with checksums we ignore) entry parser. */
#include "cpio.h"

#define CPIO_HDR 110

static int cpio_hex(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 8; i++) {
        uint8_t c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t cpio_pad4(size_t x)
{
    return (x + 3) & ~(size_t)3;
}

int cpio_next(const uint8_t *buf, size_t len, size_t *off, struct cpio_entry *e)
{
    size_t o = *off;
    uint32_t f[13];

    /* Archivers pad the end with zeros: a clean end is not an error. */
    if (o >= len || len - o < CPIO_HDR)
        return 0;
    if (buf[o] != '0' || buf[o + 1] != '7' || buf[o + 2] != '0' || buf[o + 3] != '7' ||
        buf[o + 4] != '0' || (buf[o + 5] != '1' && buf[o + 5] != '2'))
        return -1;
    for (int i = 0; i < 13; i++)
        if (cpio_hex(buf + o + 6 + 8 * i, &f[i]))
            return -1;
    /* fields: ino mode uid gid nlink mtime filesize devmajor devminor
     * rdevmajor rdevminor namesize check */
    uint32_t mode = f[1], filesize = f[6], namesize = f[11];
    if (namesize == 0 || namesize > 4096)
        return -1;
    size_t name_off = o + CPIO_HDR;
    /* Both tests: name_off + namesize must not pass len. */
    if (namesize > len - name_off)
        return -1;
    if (buf[name_off + namesize - 1] != 0)
        return -1;
    size_t data_off = cpio_pad4(name_off + namesize);
    if (data_off > len || filesize > len - data_off)
        return -1;
    e->name = (const char *)buf + name_off;
    e->namelen = namesize - 1;
    e->mode = mode;
    e->data = buf + data_off;
    e->size = filesize;
    *off = cpio_pad4(data_off + filesize);
    if (e->namelen == 10) {
        const char *t = "TRAILER!!!";
        int same = 1;
        for (int i = 0; i < 10; i++)
            same &= e->name[i] == t[i];
        if (same)
            return 0;
    }
    return 1;
}
