/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous request ring: guest produces fixed-size requests, the
 * host's I/O thread consumes them after a doorbell OUT to RV_PORT_KICK (an
 * ioeventfd, ~3 us on kvm_pvm, no exit to ringvisor's user space).
 */
#ifndef RV_RING_H
#define RV_RING_H

#include <stdint.h>

#define RV_RING_SLOTS 64u /* power of two */
#define RV_REQ_DATA 120u

#define RV_REQ_CONSOLE 1u /* data[0..len) is console output */

struct rv_req {
    uint32_t op;  /* RV_REQ_* */
    uint32_t len; /* bytes of data used, <= RV_REQ_DATA */
    uint8_t data[RV_REQ_DATA];
};
_Static_assert(sizeof(struct rv_req) == 128, "rv_req layout");

/*
 * Indices are free-running uint32_t; slot = index % RV_RING_SLOTS.
 * prod is written only by the guest, cons only by the host; each sits on its
 * own cache line.  A valid ring always has 0 <= prod - cons <= RV_RING_SLOTS;
 * the host treats anything else as a broken guest and stops serving the ring.
 *
 * Guest: fill slot[prod % N], then store prod + 1 (release: the host must see
 * the slot before the index), then OUT to RV_PORT_KICK.  When full, kick and
 * wait for cons to move.
 * Host: load prod (acquire), copy each slot out before checking it, then store
 * cons (release: the guest may reuse a slot only after the host copied it).
 */
#define RV_GUEST_SHUTDOWN 1u /* guest_flags: the guest handles shutdown_vector */
struct rv_req_ring {
    uint32_t prod;        /* written by the guest */
    uint32_t guest_flags; /* written by the guest: RV_GUEST_* */
    uint8_t _pad0[56];
    uint32_t cons; /* written by the host */
    uint8_t _pad1[60];
    struct rv_req slot[RV_RING_SLOTS];
};
_Static_assert(__builtin_offsetof(struct rv_req_ring, cons) == 64, "layout");
_Static_assert(__builtin_offsetof(struct rv_req_ring, slot) == 128, "layout");
_Static_assert(sizeof(struct rv_req_ring) == 128 + 128 * RV_RING_SLOTS, "layout");

/*
 * Console input: a byte stream from the host to the guest.  prod and flags
 * are written only by the host, cons only by the guest; 0 <= prod - cons <=
 * RV_IN_RING_SIZE.  Host: copy bytes to data[prod % SIZE...], store prod
 * (release), send the MSI.  Guest: load prod (acquire), copy bytes out, store
 * cons (release); if it found the ring full, OUT to RV_PORT_KICK so the host
 * refills it.  RV_IN_EOF in flags: no bytes will follow those before prod.
 * The host sends the MSI only while guest_flags has RV_IN_WANT_IRQ, so a
 * guest without an input driver is never interrupted; a guest that sets it
 * must look at the ring once afterwards (input may have arrived before).
 */
#define RV_IN_RING_SIZE 4096u /* power of two */
#define RV_IN_EOF 1u
#define RV_IN_WANT_IRQ 1u

struct rv_in_ring {
    uint32_t prod;  /* written by the host */
    uint32_t flags; /* written by the host: RV_IN_* */
    uint8_t _pad0[56];
    uint32_t cons;        /* written by the guest */
    uint32_t guest_flags; /* written by the guest: RV_IN_WANT_IRQ */
    uint8_t _pad1[56];
    uint8_t data[RV_IN_RING_SIZE];
};
_Static_assert(__builtin_offsetof(struct rv_in_ring, cons) == 64, "layout");
_Static_assert(__builtin_offsetof(struct rv_in_ring, guest_flags) == 68, "layout");
_Static_assert(__builtin_offsetof(struct rv_in_ring, data) == 128, "layout");
_Static_assert(sizeof(struct rv_in_ring) == 128 + RV_IN_RING_SIZE, "layout");

#endif /* RV_RING_H */
