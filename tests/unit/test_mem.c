// SPDX-License-Identifier: MIT
/* mem_gpa(): the one checked GPA -> host translation, including overflow and
 * the 3-4 GiB MMIO hole. */
#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* A layout over a fake host base: mem_gpa() only computes pointers, and these
 * tests never dereference them. */
static struct guest_mem fake(uint64_t size)
{
    struct guest_mem m = { .host = (uint8_t *)(uintptr_t)0x100000000000ull, .memfd = -1 };

    mem_layout(&m, size);
    return m;
}

static void mem_in_range(void)
{
    struct guest_mem m = fake(64 * MiB);

    CHECK_EQ(m.nr_regions, 1);
    CHECK(mem_gpa(&m, 0, 1) == m.host);
    CHECK(mem_gpa(&m, 0x1234, 16) == m.host + 0x1234);
    CHECK(mem_gpa(&m, 0, 64 * MiB) == m.host);
    CHECK_EQ(mem_end(&m), 64 * MiB);
}

static void mem_last_byte(void)
{
    struct guest_mem m = fake(64 * MiB);

    CHECK(mem_gpa(&m, 64 * MiB - 1, 1) == m.host + 64 * MiB - 1);
    CHECK(mem_gpa(&m, 64 * MiB - 4, 4) != NULL);
    CHECK(mem_gpa(&m, 64 * MiB - 4, 5) == NULL);
}

static void mem_one_past_end(void)
{
    struct guest_mem m = fake(64 * MiB);

    CHECK(mem_gpa(&m, 64 * MiB, 1) == NULL);
    CHECK(mem_gpa(&m, 64 * MiB + 4096, 1) == NULL);
    CHECK(mem_gpa(&m, 0, 64 * MiB + 1) == NULL);
}

static void mem_len0(void)
{
    struct guest_mem m = fake(64 * MiB);

    /* len 0 checks the address alone: the end is not an address in RAM. */
    CHECK(mem_gpa(&m, 64 * MiB - 1, 0) != NULL);
    CHECK(mem_gpa(&m, 64 * MiB, 0) == NULL);
    CHECK(mem_gpa(&m, 0, 0) == m.host);
}

static void mem_overflow(void)
{
    struct guest_mem m = fake(64 * MiB);
    struct guest_mem big = fake(5 * GiB);

    CHECK(mem_gpa(&m, UINT64_MAX - 1, 4) == NULL);
    CHECK(mem_gpa(&m, UINT64_MAX, 1) == NULL);
    CHECK(mem_gpa(&m, UINT64_MAX, 0) == NULL);
    /* A wrap back into RAM must not pass: gpa + len == small. */
    CHECK(mem_gpa(&m, 16, UINT64_MAX - 8) == NULL);
    CHECK(mem_gpa(&m, 0x1000, UINT64_MAX) == NULL);
    CHECK(mem_gpa(&big, 4 * GiB + 16, UINT64_MAX - 8) == NULL);
    CHECK(mem_gpa(&big, UINT64_MAX - 1, 4) == NULL);
}

static void mem_hole(void)
{
    struct guest_mem m = fake(5 * GiB);

    CHECK_EQ(m.nr_regions, 2);
    CHECK_EQ(m.region[0].gpa, 0);
    CHECK_EQ(m.region[0].size, 3 * GiB);
    CHECK_EQ(m.region[1].gpa, 4 * GiB);
    CHECK_EQ(m.region[1].size, 2 * GiB);
    CHECK_EQ(m.region[1].host_off, 3 * GiB);
    CHECK_EQ(mem_end(&m), 6 * GiB);
    CHECK(mem_gpa(&m, 3 * GiB - 1, 1) == m.host + 3 * GiB - 1);
    CHECK(mem_gpa(&m, 3 * GiB, 1) == NULL);
    CHECK(mem_gpa(&m, 3 * GiB, 0) == NULL);
    CHECK(mem_gpa(&m, 3 * GiB + 123, 8) == NULL);
    CHECK(mem_gpa(&m, 4 * GiB - 1, 1) == NULL);
    /* A range may not straddle the hole even though both ends are RAM. */
    CHECK(mem_gpa(&m, 3 * GiB - 8, GiB + 16) == NULL);
    CHECK(mem_gpa(&m, 3 * GiB - 8, 16) == NULL);
}

static void mem_second_region(void)
{
    struct guest_mem m = fake(5 * GiB);

    CHECK(mem_gpa(&m, 4 * GiB, 1) == m.host + 3 * GiB);
    CHECK(mem_gpa(&m, 4 * GiB + 0x5000, 8) == m.host + 3 * GiB + 0x5000);
    CHECK(mem_gpa(&m, 6 * GiB - 1, 1) == m.host + 5 * GiB - 1);
    CHECK(mem_gpa(&m, 6 * GiB, 1) == NULL);
    CHECK(mem_gpa(&m, 6 * GiB, 0) == NULL);
    CHECK(mem_gpa(&m, 4 * GiB, 2 * GiB) != NULL);
    CHECK(mem_gpa(&m, 4 * GiB, 2 * GiB + 1) == NULL);
}

static void mem_exact_3g(void)
{
    struct guest_mem m = fake(3 * GiB);

    CHECK_EQ(m.nr_regions, 1);
    CHECK(mem_gpa(&m, 4 * GiB, 1) == NULL);
}

static void mem_read_write(void)
{
    struct guest_mem m;
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, back[8] = { 0 };

    guest_alloc(&m, 64 * 1024);
    CHECK_INT(mem_write(&m, 64 * 1024 - 8, buf, 8), 0);
    CHECK_INT(mem_read(&m, back, 64 * 1024 - 8, 8), 0);
    CHECK(memcmp(buf, back, 8) == 0);
    CHECK_INT(mem_write(&m, 64 * 1024 - 7, buf, 8), -EFAULT);
    CHECK_INT(mem_read(&m, back, UINT64_MAX - 3, 8), -EFAULT);
    guest_free(&m);
}

void suite_mem(void)
{
    RUN(mem_in_range);
    RUN(mem_last_byte);
    RUN(mem_one_past_end);
    RUN(mem_len0);
    RUN(mem_overflow);
    RUN(mem_hole);
    RUN(mem_second_region);
    RUN(mem_exact_3g);
    RUN(mem_read_write);
}
