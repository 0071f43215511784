/* SPDX-License-Identifier: MIT */
/*
 * Writing cpio "newc" archives in memory: how `ringvisor exec` hands a
 * program, its files and its arguments to ringos as the initrd.
 */
#ifndef VMM_CPIO_H
#define VMM_CPIO_H

#include <stddef.h>
#include <stdint.h>

struct cpio {
    uint8_t *data;
    size_t len, cap;
    uint32_t next_ino;
};

/* Append an entry: a directory (S_IFDIR | perm, no data) or a regular file
 * (S_IFREG | perm).  (path) is relative to the root, without a leading '/',
 * at most 4095 bytes.  Parent directories are not implied: add them first.
 * 0, -ENOMEM or -ENAMETOOLONG. */
int cpio_add(struct cpio *c, const char *path, uint32_t mode, const void *data, size_t len)
    __attribute__((warn_unused_result));

/* Add the directories leading to (path) (relative) that are not in the
 * archive yet.  0, -ENOMEM or -ENAMETOOLONG. */
int cpio_add_parents(struct cpio *c, const char *path) __attribute__((warn_unused_result));

/* Add a regular file (guest) (leading '/' optional) with permission bits
 * (perm) and contents (data, len), and its parent directories.  0 or -errno. */
int cpio_add_file(struct cpio *c, const char *guest, uint32_t perm, const void *data, size_t len)
    __attribute__((warn_unused_result));

/* Add the host file (host) as (guest) (leading '/' optional) with its
 * permission bits, and its parent directories.  0 or -errno. */
int cpio_add_host_file(struct cpio *c, const char *host, const char *guest)
    __attribute__((warn_unused_result));

/* Add the argument file ringos reads for its first program (RV_ARGS_PATH in
 * abi/rv_abi.h): argc, envc, then the strings.  0 or -ENOMEM. */
int cpio_add_args(struct cpio *c, int argc, const char *const *argv, unsigned envc,
                  const char *const *envp)
    __attribute__((warn_unused_result));

/* Append the trailer; the archive is then c->data[0..c->len). */
int cpio_finish(struct cpio *c) __attribute__((warn_unused_result));

void cpio_free(struct cpio *c);

#endif
