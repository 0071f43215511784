// SPDX-License-Identifier: MIT
/* ABI constants whose values the layout depends on.  Struct layout itself is
 * pinned by the _Static_asserts in abi/; unit.mk compiles each header alone. */
#include <string.h>

#include "abi/rv_abi.h"
#include "abi/rv_ring.h"
#include "tests/unit/unit.h"

static void abi_layout_slots(void)
{
    /* boot.c and the guest index PML4/PDPT slots with these shifts. */
    CHECK_EQ((RV_DIRECT_MAP_BASE >> 39) & 511, 273);
    CHECK_EQ((RV_KERNEL_BASE >> 39) & 511, 511);
    CHECK_EQ((RV_KERNEL_BASE >> 30) & 511, 510);
    CHECK_EQ(RV_DIRECT_MAP_BASE & ((1ull << 39) - 1), 0);
}

static void abi_magic(void)
{
    uint32_t m = RV_START_MAGIC;

    CHECK(memcmp(&m, "RVSI", 4) == 0);
    CHECK_EQ(RV_ABI_VERSION, 1);
}

static void abi_ring(void)
{
    /* Free-running uint32_t indices need 2^32 % slots == 0 to wrap cleanly. */
    CHECK(RV_RING_SLOTS && (RV_RING_SLOTS & (RV_RING_SLOTS - 1)) == 0);
    CHECK_EQ(sizeof(struct rv_req) - offsetof(struct rv_req, data), RV_REQ_DATA);
    CHECK(sizeof(struct rv_req_ring) % 4096 == 128); /* three pages in boot.c */
}

static void abi_hcall(void)
{
    /* The hypercall port carries GPA >> 4: the block must be 16-byte sized. */
    CHECK_EQ(sizeof(struct rv_hcall) % 16, 0);
    CHECK(RV_HC_MULTICALL_MAX * sizeof(struct rv_hcall) <= 4096);
    CHECK(RV_HC_NR == RV_HC_WALLCLOCK + 1);
    CHECK(sizeof(struct rv_start_info) <= 4096);
    CHECK(RV_MAX_VCPUS * sizeof(struct rv_vcpu_info) <= 4096);
}

void suite_abi(void)
{
    RUN(abi_layout_slots);
    RUN(abi_magic);
    RUN(abi_ring);
    RUN(abi_hcall);
}
