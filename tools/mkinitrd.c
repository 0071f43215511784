// SPDX-License-Identifier: MIT
/*
 * mkinitrd: write the initrd `ringvisor exec` would build, at build time.
 * It makes the demo archive that `ringvisor run` boots by default.
 *
 *   mkinitrd OUT [--env K=V]... [--add HOST:GUEST]... -- PROGRAM-ARGV...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/core/cpio.h"

#define MAX_ENV 64

static int fail(const char *what, const char *arg, int err)
{
    fprintf(stderr, "mkinitrd: %s '%s': %s\n", what, arg, strerror(err));
    return 1;
}

int main(int argc, char **argv)
{
    const char *env[MAX_ENV];
    unsigned nr_env = 0;
    struct cpio c = { 0 };
    FILE *out;
    int i, err = 0;

    if (argc < 2) {
        fputs("usage: mkinitrd OUT [--env K=V]... [--add HOST:GUEST]... -- ARGV...\n", stderr);
        return 2;
    }
    for (i = 2; i < argc && strcmp(argv[i], "--"); i += 2) {
        char *colon;

        if (i + 1 >= argc)
            return fail("missing value after", argv[i], EINVAL);
        if (!strcmp(argv[i], "--env") && nr_env < MAX_ENV) {
            env[nr_env++] = argv[i + 1];
        } else if (!strcmp(argv[i], "--add") && (colon = strrchr(argv[i + 1], ':'))) {
            *colon = '\0';
            err = cpio_add_host_file(&c, argv[i + 1], colon + 1);
            if (err)
                return fail("cannot add", argv[i + 1], -err);
        } else {
            return fail("bad option", argv[i], EINVAL);
        }
    }
    if (i + 1 >= argc)
        return fail("no program after", "--", EINVAL);
    err = cpio_add_parents(&c, "tmp/x");
    if (!err)
        err = cpio_add_args(&c, argc - i - 1, (const char *const *)argv + i + 1, nr_env, env);
    if (!err)
        err = cpio_finish(&c);
    if (err)
        return fail("cannot build", argv[1], -err);
    out = fopen(argv[1], "wb");
    if (!out)
        return fail("cannot create", argv[1], errno);
    if (fwrite(c.data, 1, c.len, out) != c.len)
        err = errno;
    if (fclose(out) && !err)
        err = errno;
    if (err)
        return fail("cannot write", argv[1], err);
    cpio_free(&c);
    return 0;
}
