/* SPDX-License-Identifier: MIT */
/*
 * A raw disk image file behind a virtual disk: opened read-only or
 * read-write, locked against a second writer (an OFD lock, which lives as
 * long as the open file and works across processes), its size checked, and
 * what the file system under it can do (punching holes) found out.
 */
#ifndef VMM_BACKEND_RAWFILE_H
#define VMM_BACKEND_RAWFILE_H

#include <stdbool.h>
#include <stdint.h>

struct rawfile {
    int fd;
    uint64_t size;     /* bytes, a multiple of 512 */
    bool ro;
    bool punch_hole;   /* fallocate(PUNCH_HOLE) works: discard, write zeroes */
};

/* Open (path); on failure returns -errno and sets (*why) to a constant
 * reason fit for "disk 'PATH': WHY". */
int rawfile_open(struct rawfile *f, const char *path, bool ro, const char **why)
    __attribute__((warn_unused_result));
void rawfile_close(struct rawfile *f);

#endif
