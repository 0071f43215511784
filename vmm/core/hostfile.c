// SPDX-License-Identifier: MIT
/* Reading the host files a user names: kernels, initrds, programs, --add files. */
#include "vmm/core/hostfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int hostfile_read(const char *path, uint8_t **buf, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int err = 0;
    size_t off = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        err = -errno;
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        err = -EISDIR;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        err = -EINVAL;
        goto out;
    }
    if ((uint64_t)st.st_size > HOSTFILE_MAX) {
        err = -EFBIG;
        goto out;
    }
    *len = (size_t)st.st_size;
    *buf = malloc(*len ? *len : 1);
    if (!*buf) {
        err = -ENOMEM;
        goto out;
    }
    while (off < *len) {
        ssize_t n = read(fd, *buf + off, *len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? -errno : -EIO;
            free(*buf);
            *buf = NULL;
            goto out;
        }
        off += (size_t)n;
    }
out:
    close(fd);
    return err;
}
