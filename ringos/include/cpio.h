/* SPDX-License-Identifier: MIT */
/* cpio "newc" archive reader: a pure parser, also built into the host unit tests. */
#ifndef RINGOS_CPIO_H
#define RINGOS_CPIO_H

#include <stddef.h>
#include <stdint.h>

struct cpio_entry {
    const char *name; /* not NUL-terminated: use namelen */
    size_t namelen;   /* without the NUL */
    uint32_t mode;    /* st_mode: S_IFREG/S_IFDIR/S_IFLNK | permissions */
    const uint8_t *data;
    uint64_t size;
};

#define CPIO_S_IFMT 0170000u
#define CPIO_S_IFDIR 0040000u
#define CPIO_S_IFREG 0100000u
#define CPIO_S_IFLNK 0120000u

/*
 * Parse the entry at (*off) in (buf, len) into (e) and advance (*off).
 * Returns 1 for an entry, 0 at "TRAILER!!!" or a clean end of the buffer,
 * -1 if the archive is malformed (bad magic, field or length out of range).
 * Every length is checked against len before use.
 */
int cpio_next(const uint8_t *buf, size_t len, size_t *off, struct cpio_entry *e);

#endif
