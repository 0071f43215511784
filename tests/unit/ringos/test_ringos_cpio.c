// SPDX-License-Identifier: MIT
/* cpio newc parser: well-formed archives, and every way a header can lie. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ringos/include/cpio.h"
#include "ringos_unit.h"

static size_t put_entry(uint8_t *buf, size_t off, const char *magic, const char *name,
                        uint32_t mode, const char *data, uint32_t size)
{
    size_t nl = strlen(name) + 1;
    char hdr[111];
    snprintf(hdr, sizeof(hdr), "%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", magic, 1u,
             mode, 0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, (uint32_t)nl, 0u);
    memcpy(buf + off, hdr, 110);
    off += 110;
    memcpy(buf + off, name, nl);
    off = (off + nl + 3) & ~(size_t)3;
    memcpy(buf + off, data, size);
    return (off + size + 3) & ~(size_t)3;
}

void test_ringos_cpio(void)
{
    static uint8_t buf[4096];
    size_t len = 0, off = 0;
    struct cpio_entry e;

    memset(buf, 0, sizeof(buf));
    len = put_entry(buf, len, "070701", "bin", 040755, "", 0);
    len = put_entry(buf, len, "070702", "bin/x", 0100755, "hello", 5);
    len = put_entry(buf, len, "070701", "bin/l", 0120777, "x", 1);
    len = put_entry(buf, len, "070701", "TRAILER!!!", 0, "", 0);
    CHECK(cpio_next(buf, len, &off, &e) == 1);
    CHECK(e.namelen == 3 && !memcmp(e.name, "bin", 3) && e.mode == 040755);
    CHECK(cpio_next(buf, len, &off, &e) == 1);
    CHECK(e.size == 5 && !memcmp(e.data, "hello", 5) && (e.mode & CPIO_S_IFMT) == CPIO_S_IFREG);
    CHECK(cpio_next(buf, len, &off, &e) == 1);
    CHECK((e.mode & CPIO_S_IFMT) == CPIO_S_IFLNK && e.size == 1);
    CHECK(cpio_next(buf, len, &off, &e) == 0);
    /* Zero padding after the end is a clean end, too. */
    off = 0;
    CHECK(cpio_next(buf, 0, &off, &e) == 0);
}

void test_ringos_cpio_malformed(void)
{
    static uint8_t buf[1024];
    size_t len, off;
    struct cpio_entry e;

    /* Bad magic. */
    memset(buf, 0, sizeof(buf));
    len = put_entry(buf, 0, "070707", "a", 0100644, "x", 1);
    off = 0;
    CHECK(cpio_next(buf, len, &off, &e) == -1);
    /* File size past the end of the buffer. */
    len = put_entry(buf, 0, "070701", "a", 0100644, "xyz", 3);
    memcpy(buf + 6 + 6 * 8, "7fffffff", 8);
    off = 0;
    CHECK(cpio_next(buf, len, &off, &e) == -1);
    /* Name size past the end, and a name without its NUL. */
    len = put_entry(buf, 0, "070701", "abc", 0100644, "", 0);
    memcpy(buf + 6 + 11 * 8, "ffffffff", 8);
    off = 0;
    CHECK(cpio_next(buf, len, &off, &e) == -1);
    len = put_entry(buf, 0, "070701", "abc", 0100644, "", 0);
    memcpy(buf + 6 + 11 * 8, "00000003", 8);
    off = 0;
    CHECK(cpio_next(buf, len, &off, &e) == -1);
    /* Non-hex digit in a field. */
    len = put_entry(buf, 0, "070701", "a", 0100644, "", 0);
    buf[6 + 8] = 'g';
    off = 0;
    CHECK(cpio_next(buf, len, &off, &e) == -1);
    /* Every truncation of a valid entry is either an error or a clean end, never a read past len. */
    len = put_entry(buf, 0, "070701", "name", 0100644, "data!", 5);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, buf, cut);
        off = 0;
        int r = cpio_next(copy, cut, &off, &e);
        CHECK(r <= 0 || (e.data + e.size <= copy + cut));
        free(copy);
    }
}
