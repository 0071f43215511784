// SPDX-License-Identifier: MIT
/* Runs every ringos host unit test; prints ok/FAIL per test and a summary line. */
#include <string.h>

#include "ringos_unit.h"

int ringos_unit_failed_checks;

static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
    { "cpio", test_ringos_cpio },
    { "cpio_malformed", test_ringos_cpio_malformed },
    { "elf", test_ringos_elf },
    { "elf_malformed", test_ringos_elf_malformed },
    { "uaccess", test_ringos_uaccess },
    { "sysargs", test_ringos_sysargs },
    { "sysargs_sizes", test_ringos_sysargs_sizes },
    { "ext2", test_ringos_ext2 },
    { "ext2_records", test_ringos_ext2_records },
};

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;

    if (argc > 1 && !strcmp(argv[1], "--list-syscalls")) {
        ringos_sysargs_list();
        return 0;
    }
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        int before = ringos_unit_failed_checks;
        tests[i].fn();
        if (ringos_unit_failed_checks == before) {
            printf("ok %s\n", tests[i].name);
            passed++;
        } else {
            printf("FAIL %s\n", tests[i].name);
            failed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
