// SPDX-License-Identifier: MIT
/* The initrd writer behind `ringvisor exec` and the demo archive: newc
 * headers and alignment, implied parent directories (once each), the
 * argument file with empty strings, host files and their errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/rv_abi.h"
#include "tests/unit/unit.h"
#include "vmm/core/cpio.h"

struct entry {
    char name[256];
    uint32_t mode;
    const uint8_t *data;
    uint32_t size;
};

static uint32_t hex8(const uint8_t *p)
{
    char num[9] = { 0 };

    memcpy(num, p, 8);
    return (uint32_t)strtoul(num, NULL, 16);
}

/* Walk (c) into (e); returns the number of entries before the trailer, or
 * -1 if the archive is malformed. */
static int entries(const struct cpio *c, struct entry *e, int max)
{
    size_t off = 0;
    int n = 0;

    while (off + 110 <= c->len) {
        const uint8_t *h = c->data + off;
        uint32_t namesz = hex8(h + 94), filesz = hex8(h + 54);

        if (memcmp(h, "070701", 6) || off % 4 || namesz == 0 || namesz > 256)
            return -1;
        if (!strcmp((const char *)h + 110, "TRAILER!!!"))
            return n;
        if (n == max)
            return -1;
        memcpy(e[n].name, h + 110, namesz);
        e[n].mode = hex8(h + 14);
        off += (110 + namesz + 3) & ~3u;
        e[n].data = c->data + off;
        e[n].size = filesz;
        off += (filesz + 3) & ~3u;
        n++;
    }
    return -1;
}

static void test_cpio_parents_once(void)
{
    struct cpio c = { 0 };
    struct entry e[8];

    CHECK_EQ(cpio_add_parents(&c, "bin/x"), 0);
    CHECK_EQ(cpio_add(&c, "bin/x", 0100755, "abc", 3), 0);
    CHECK_EQ(cpio_add_parents(&c, "bin/sub/y"), 0);
    CHECK_EQ(cpio_add_parents(&c, "bin/z"), 0);
    CHECK_EQ(cpio_finish(&c), 0);
    CHECK_EQ(entries(&c, e, 8), 3);
    CHECK(!strcmp(e[0].name, "bin") && e[0].mode == 040755);
    CHECK(!strcmp(e[1].name, "bin/x") && e[1].size == 3 && !memcmp(e[1].data, "abc", 3));
    CHECK(!strcmp(e[2].name, "bin/sub") && e[2].mode == 040755);
    cpio_free(&c);
}

static void test_cpio_args_keep_empty_strings(void)
{
    const char *argv[] = { "prog", "", "two words", "" }, *env[] = { "A=", "B=1" };
    static const char want[] = "4\0" "2\0" "prog\0" "\0" "two words\0" "\0" "A=\0" "B=1";
    struct cpio c = { 0 };
    struct entry e[4];
    int n;

    CHECK_EQ(cpio_add_args(&c, 4, argv, 2, env), 0);
    CHECK_EQ(cpio_finish(&c), 0);
    n = entries(&c, e, 4);
    CHECK_EQ(n, 2);
    CHECK(!strcmp(e[0].name, ".ringos"));
    CHECK(!strcmp(e[1].name, &RV_ARGS_PATH[1]));
    CHECK_EQ(e[1].size, sizeof(want));
    CHECK(!memcmp(e[1].data, want, sizeof(want)));
    cpio_free(&c);
}

static void test_cpio_host_files(void)
{
    char path[] = "/tmp/rv-cpio-XXXXXX";
    struct cpio c = { 0 };
    struct entry e[4];
    int fd = mkstemp(path);

    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "hello", 5), 5);
    CHECK_EQ(fchmod(fd, 0750), 0);
    close(fd);
    CHECK_EQ(cpio_add_host_file(&c, path, "/etc/greeting"), 0);
    CHECK_EQ(cpio_add_host_file(&c, "/nonexistent/file", "/x"), -ENOENT);
    CHECK_EQ(cpio_add_host_file(&c, "/", "/x"), -EISDIR);
    unlink(path);
    CHECK_EQ(cpio_finish(&c), 0);
    CHECK_EQ(entries(&c, e, 4), 2);
    CHECK(!strcmp(e[1].name, "etc/greeting") && e[1].mode == 0100750);
    CHECK(e[1].size == 5 && !memcmp(e[1].data, "hello", 5));
    cpio_free(&c);
}

static void test_cpio_long_names(void)
{
    struct cpio c = { 0 };
    char *name = malloc(5000);

    CHECK(name);
    memset(name, 'a', 4999);
    name[4999] = 0;
    CHECK_EQ(cpio_add(&c, name, 0100644, NULL, 0), -ENAMETOOLONG);
    name[2000] = '/';
    CHECK_EQ(cpio_add_parents(&c, name), 0);
    CHECK_EQ(cpio_add(&c, name, 0100644, NULL, 0), -ENAMETOOLONG);
    free(name);
    cpio_free(&c);
}

void suite_cpio(void)
{
    RUN(test_cpio_parents_once);
    RUN(test_cpio_args_keep_empty_strings);
    RUN(test_cpio_host_files);
    RUN(test_cpio_long_names);
}
