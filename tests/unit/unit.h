/* SPDX-License-Identifier: MIT */
/*
 * The host-only unit-test runner: CHECK macros, one line per test, and the
 * helpers the module tests share (malloc-backed guest RAM, an ELF builder).
 */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/core/mem.h"

/* Mark the running test failed with a printf-style reason. */
void unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Report a known bug in the code under test: printed, counted, but not a
 * failure, so the build stays green until the owner fixes it. */
void unit_known_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run (fn) as the test called (name) and print its result line. */
void unit_run(const char *name, void (*fn)(void));
bool unit_failed(void);
/* End the running test early as skipped (counted as passed): for tests that
 * need something the host may refuse, like a 5 GiB MAP_NORESERVE mapping. */
void unit_skip(const char *why);

#define RUN(fn) unit_run(#fn, fn)

/* Checks return from the test on failure: later checks usually depend on it. */
#define CHECK(cond)                                             \
    do {                                                        \
        if (!(cond)) {                                          \
            unit_fail(__FILE__, __LINE__, "%s", #cond);         \
            return;                                             \
        }                                                       \
    } while (0)

#define CHECK_EQ(a, b)                                                        \
    do {                                                                      \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                      \
        if (a_ != b_) {                                                       \
            unit_fail(__FILE__, __LINE__, "%s == %s (0x%" PRIx64              \
                      " != 0x%" PRIx64 ")", #a, #b, a_, b_);                  \
            return;                                                           \
        }                                                                     \
    } while (0)

/* Signed variant, so -errno values print readably. */
#define CHECK_INT(a, b)                                                       \
    do {                                                                      \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                         \
        if (a_ != b_) {                                                       \
            unit_fail(__FILE__, __LINE__, "%s == %s (%" PRId64 " != %" PRId64 \
                      ")", #a, #b, a_, b_);                                   \
            return;                                                           \
        }                                                                     \
    } while (0)

/* Guest RAM of (size) bytes backed by zeroed, page-aligned host memory (page
 * tables are read as uint64_t).  Aborts if the host is out of memory. */
void guest_alloc(struct guest_mem *m, uint64_t size);
void guest_free(struct guest_mem *m);

/* One PT_LOAD (or other) program header for elf_build(). */
struct test_phdr {
    uint32_t type;
    uint64_t offset, filesz, memsz, paddr, vaddr;
};

/* Write a minimal x86-64 ET_EXEC image into (buf) (>= 64 + 56 * nr bytes):
 * the ELF header at 0 and (nr) program headers right after it.  Returns the
 * header bytes used; segment data is the caller's business. */
size_t elf_build(uint8_t *buf, uint64_t entry, const struct test_phdr *ph, int nr);

/* Suites, one per module: each runs its tests with RUN(). */
void suite_abi(void);
void suite_mem(void);
void suite_loader(void);
void suite_boot(void);
void suite_hcall(void);
void suite_reqring(void);
void suite_parse(void);
void suite_bus(void);
void suite_pvcon(void);
void suite_cpio(void);
void suite_virtq(void);
void suite_api(void);
void suite_sched(void);

#endif
