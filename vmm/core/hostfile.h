/* SPDX-License-Identifier: MIT */
/* Reading the host files a user names: kernels, initrds, programs, --add files. */
#ifndef VMM_HOSTFILE_H
#define VMM_HOSTFILE_H

#include <stddef.h>
#include <stdint.h>

/* Whole files are read into memory: refuse the absurd before allocating. */
#define HOSTFILE_MAX (1ull << 30)

/* Read a whole regular file of at most HOSTFILE_MAX bytes into a malloc'd
 * buffer.  0 or -errno, with -EFBIG for a file too large and -EISDIR /
 * -EINVAL for non-regular files. */
int hostfile_read(const char *path, uint8_t **buf, size_t *len)
    __attribute__((warn_unused_result));

#endif
