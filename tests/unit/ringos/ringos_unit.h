/* SPDX-License-Identifier: MIT */
/* Minimal harness for the ringos host unit tests: CHECK records, TEST lists. */
#ifndef RINGOS_UNIT_H
#define RINGOS_UNIT_H

#include <stdio.h>

extern int ringos_unit_failed_checks;

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                 \
            ringos_unit_failed_checks++;                                                          \
        }                                                                                         \
    } while (0)

void test_ringos_cpio(void);
void test_ringos_cpio_malformed(void);
void test_ringos_elf(void);
void test_ringos_elf_malformed(void);
void test_ringos_uaccess(void);
void test_ringos_sysargs(void);
void test_ringos_sysargs_sizes(void);
void test_ringos_ext2(void);
void test_ringos_ext2_records(void);
void ringos_sysargs_list(void);

#endif
