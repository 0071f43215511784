// SPDX-License-Identifier: MIT
/* Raw disk image files: open, lock, size, capabilities. */
#include "vmm/backend/rawfile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rawfile_open(struct rawfile *f, const char *path, bool ro, const char **why)
{
    struct flock lk = { .l_type = ro ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };
    struct stat st;
    int err;

    memset(f, 0, sizeof(*f));
    f->ro = ro;
    f->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (f->fd < 0) {
        err = -errno;
        *why = errno == EACCES || errno == EROFS
                   ? (ro ? "cannot read it" : "cannot open it for writing (add ,ro?)")
                   : strerror(errno);
        return err;
    }
    if (fstat(f->fd, &st) < 0) {
        err = -errno;
        *why = "cannot stat it";
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        err = -EINVAL;
        *why = "not a regular file (a raw disk image is expected)";
        goto fail;
    }
    if (st.st_size % 512 || st.st_size == 0) {
        err = -EINVAL;
        *why = "its size is not a non-zero multiple of 512 bytes";
        goto fail;
    }
    f->size = (uint64_t)st.st_size;
    /* A writer excludes everyone, a reader excludes writers: two VMs never
     * see one image change under them. */
    if (fcntl(f->fd, F_OFD_SETLK, &lk) < 0) {
        err = -errno;
        *why = errno == EAGAIN || errno == EACCES
                   ? "it is in use by another VM (locked); use ,ro in both to share it"
                   : "cannot lock it";
        goto fail;
    }
    if (!ro) {
        /* A hole punched beyond the end changes nothing, but tells us
         * whether the file system can (discard and write zeroes use it). */
        f->punch_hole = fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                  (off_t)f->size, 512) == 0;
    }
    return 0;
fail:
    close(f->fd);
    f->fd = -1;
    return err;
}

void rawfile_close(struct rawfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}
