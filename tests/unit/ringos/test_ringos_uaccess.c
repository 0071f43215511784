// SPDX-License-Identifier: MIT
/* User pointer range checks: the boundaries, kernel addresses and wrap-around. */
#include "ringos/include/uaccess.h"
#include "ringos_unit.h"

void test_ringos_uaccess(void)
{
    CHECK(uaccess_range_ok(0x400000, 4096));
    CHECK(uaccess_range_ok(USER_LIMIT - 8, 8));
    CHECK(!uaccess_range_ok(USER_LIMIT - 8, 9));
    CHECK(!uaccess_range_ok(USER_LIMIT, 1));
    CHECK(!uaccess_range_ok(0, 1));            /* page zero */
    CHECK(!uaccess_range_ok(USER_BASE - 1, 1));
    CHECK(uaccess_range_ok(USER_BASE, 1));
    CHECK(!uaccess_range_ok(0xffff888000000000ull, 8)); /* direct map */
    CHECK(!uaccess_range_ok(0xffffffff80000000ull, 1)); /* kernel image */
    CHECK(!uaccess_range_ok(0x400000, ~0ull));          /* wraps */
    CHECK(!uaccess_range_ok(0x400000, ~0ull - 0x3fffff)); /* wraps exactly to 0 */
    CHECK(!uaccess_range_ok(0x0000800000000000ull, 1)); /* non-canonical */
    CHECK(uaccess_range_ok(0x400000, 0));
    CHECK(!uaccess_range_ok(~0ull, 0));
}
