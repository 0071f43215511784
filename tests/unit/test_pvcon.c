// SPDX-License-Identifier: MIT
/* Console input ring, host side: pvcon_push() against hostile consumer indices. */
#include <string.h>

#include "abi/rv_ring.h"
#include "tests/unit/unit.h"
#include "vmm/dev/pvcon.h"

static uint8_t ring[RV_IN_RING_SIZE];

static void pvcon_push_wraps_free_running_indices(void)
{
    uint32_t prod = UINT32_MAX - 2, cons = prod;

    CHECK_EQ(pvcon_push(ring, &prod, cons, (const uint8_t *)"abcdef", 6), 6);
    CHECK_EQ(prod, 3u);
    CHECK(ring[(UINT32_MAX - 2) % RV_IN_RING_SIZE] == 'a');
    CHECK(ring[2] == 'f');
}

static void pvcon_push_stops_when_full(void)
{
    static uint8_t big[RV_IN_RING_SIZE + 100];
    uint32_t prod = 10, cons = 10;

    CHECK_EQ(pvcon_push(ring, &prod, cons, big, sizeof(big)), RV_IN_RING_SIZE);
    CHECK_EQ(pvcon_push(ring, &prod, cons, big, 1), 0);
}

static void pvcon_push_ignores_cons_beyond_prod(void)
{
    uint32_t prod = 100;

    /* A guest that moves cons past prod gains no room (and no overflow). */
    CHECK_EQ(pvcon_push(ring, &prod, 5000, (const uint8_t *)"x", 1), 0);
    CHECK_EQ(pvcon_push(ring, &prod, 101, (const uint8_t *)"x", 1), 0);
    CHECK_EQ(prod, 100u);
}

void suite_pvcon(void)
{
    RUN(pvcon_push_wraps_free_running_indices);
    RUN(pvcon_push_stops_when_full);
    RUN(pvcon_push_ignores_cons_beyond_prod);
}
