// SPDX-License-Identifier: MIT
/* parse_size() / parse_uint(): strict parsing of command-line values. */
#include <errno.h>

#include "tests/unit/unit.h"
#include "vmm/core/parse.h"

/* Expect parse_size(s) to give (err) and, on success, (want). */
#define SIZE(s, err, want)                                  \
    do {                                                    \
        uint64_t v_ = 0xdeadbeef;                           \
        CHECK_INT(parse_size(s, &v_), err);                 \
        if ((err) == 0)                                     \
            CHECK_EQ(v_, want);                             \
        else                                                \
            CHECK_EQ(v_, 0xdeadbeef); /* untouched on error */ \
    } while (0)

static void parse_size_good(void)
{
    SIZE("64M", 0, 64ull << 20);
    SIZE("2G", 0, 2ull << 30);
    SIZE("1k", 0, 1024);
    SIZE("1K", 0, 1024);
    SIZE("3T", 0, 3ull << 40);
    SIZE("512", 0, 512);
    SIZE("0", 0, 0);
    SIZE("512B", 0, 512);
    SIZE("64MiB", 0, 64ull << 20);
    SIZE("64MB", 0, 64ull << 20);
    SIZE("64mb", 0, 64ull << 20);
    SIZE("8gib", 0, 8ull << 30);
    SIZE("007M", 0, 7ull << 20);
    SIZE("18446744073709551615", 0, UINT64_MAX);
    SIZE("17179869183G", 0, UINT64_MAX - (1ull << 30) + 1);
}

static void parse_size_bad(void)
{
    SIZE("", -EINVAL, 0);
    SIZE("M", -EINVAL, 0);
    SIZE("-1", -EINVAL, 0);
    SIZE("+1", -EINVAL, 0);
    SIZE("12x", -EINVAL, 0);
    SIZE("0x10", -EINVAL, 0);
    SIZE("1.5G", -EINVAL, 0);
    SIZE(" 64M", -EINVAL, 0);
    SIZE("64M ", -EINVAL, 0);
    SIZE("64 M", -EINVAL, 0);
    SIZE("64\n", -EINVAL, 0);
    SIZE("64MM", -EINVAL, 0);
    SIZE("64MiBB", -EINVAL, 0);
    SIZE("64iB", -EINVAL, 0);
    SIZE("64Bi", -EINVAL, 0);
    SIZE("64i", -EINVAL, 0);
    SIZE("64P", -EINVAL, 0);
}

static void parse_size_overflow(void)
{
    SIZE("18446744073709551616", -ERANGE, 0);
    SIZE("99999999999999999999999", -ERANGE, 0);
    SIZE("17179869184G", -ERANGE, 0);
    SIZE("16777216T", -ERANGE, 0);
    SIZE("18014398509481984K", -ERANGE, 0);
}

#define UINT(s, lo, hi, err, want)                          \
    do {                                                    \
        uint64_t v_ = 0xdeadbeef;                           \
        CHECK_INT(parse_uint(s, lo, hi, &v_), err);         \
        if ((err) == 0)                                     \
            CHECK_EQ(v_, want);                             \
        else                                                \
            CHECK_EQ(v_, 0xdeadbeef);                       \
    } while (0)

static void parse_uint_ranges(void)
{
    UINT("1", 1, 64, 0, 1);
    UINT("64", 1, 64, 0, 64);
    UINT("0", 1, 64, -ERANGE, 0);
    UINT("65", 1, 64, -ERANGE, 0);
    UINT("0", 0, 0, 0, 0);
    UINT("18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX);
    UINT("18446744073709551616", 0, UINT64_MAX, -ERANGE, 0);
    UINT("", 0, 10, -EINVAL, 0);
    UINT("-1", 0, 10, -EINVAL, 0);
    UINT(" 1", 0, 10, -EINVAL, 0);
    UINT("1 ", 0, 10, -EINVAL, 0);
    UINT("4K", 0, 1ull << 20, -EINVAL, 0);
    UINT("1e3", 0, 10000, -EINVAL, 0);
}

void suite_parse(void)
{
    RUN(parse_size_good);
    RUN(parse_size_bad);
    RUN(parse_size_overflow);
    RUN(parse_uint_ranges);
}
