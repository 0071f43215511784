// SPDX-License-Identifier: MIT
/*
 * test=vqbad: a crafted virtio-blk ring for each rule ringvisor's device side
 * enforces (vmm/dev/virtio/queue.c, blk.c).  Each must leave the device in
 * NEEDS_RESET, and after a reset the device must serve a good read again.
 */
#include "boot.h"
#include "errno.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "pci.h"
#include "printk.h"
#include "time.h"
#include "virtio.h"
#include "x86.h"

#define QSIZE 256
#define BEYOND (1ull << 40) /* far past any RAM we are given */
#define WAIT_NS (2 * NSEC_PER_SEC)

/* Offsets in the data page. */
#define HDR 0
#define STATUS 16
#define TABLE 64 /* an indirect table, up to 16 entries */
#define SECTOR 2048

/* One queue's memory, set up by hand: three pages. */
struct vqb {
    struct virtq_desc *desc;  /* page 0: QSIZE descriptors */
    volatile uint16_t *avail; /* page 1: flags, idx, ring[QSIZE] */
    volatile uint16_t *used;  /* page 1 + 1024: flags, idx, {id, len}[QSIZE] */
    uint8_t *data;            /* page 2 */
    /* What the queue registers get; a case may change them. */
    uint64_t desc_gpa, avail_gpa, used_gpa, data_gpa;
    uint16_t size;
};

static void set_desc(struct virtq_desc *t, uint16_t i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    t[i] = (struct virtq_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

/* Publish one chain at (head) as avail entry 0. */
static void post(struct vqb *b, uint16_t head)
{
    b->avail[2] = head;
    b->avail[1] = 1;
}

/* A block request header: (type), sector (sector). */
static void header(struct vqb *b, uint32_t type, uint64_t sector)
{
    uint32_t *h = (uint32_t *)(b->data + HDR);

    h[0] = type;
    h[1] = 0;
    *(uint64_t *)(h + 2) = sector;
    b->data[STATUS] = 0xff;
}

static uint64_t hdr_gpa(struct vqb *b) { return b->data_gpa + HDR; }
static uint64_t status_gpa(struct vqb *b) { return b->data_gpa + STATUS; }
static uint64_t table_gpa(struct vqb *b) { return b->data_gpa + TABLE; }
static struct virtq_desc *table(struct vqb *b) { return (struct virtq_desc *)(b->data + TABLE); }

/* ---- the good request ------------------------------------------------- */

/* Read sector 0: header, 512 writable bytes, status. */
static void c_good(struct vqb *b)
{
    header(b, 0 /* VIRTIO_BLK_T_IN */, 0);
    set_desc(b->desc, 0, hdr_gpa(b), 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(b->desc, 1, b->data_gpa + SECTOR, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    set_desc(b->desc, 2, status_gpa(b), 1, VIRTQ_DESC_F_WRITE, 0);
    post(b, 0);
}

/* ---- one crafted ring per rule ---------------------------------------- */

static void c_buf_beyond(struct vqb *b)
{
    header(b, 0, 0);
    set_desc(b->desc, 0, hdr_gpa(b), 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(b->desc, 1, BEYOND, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    set_desc(b->desc, 2, status_gpa(b), 1, VIRTQ_DESC_F_WRITE, 0);
    post(b, 0);
}

static void c_buf_wraps(struct vqb *b)
{
    header(b, 0, 0);
    set_desc(b->desc, 0, hdr_gpa(b), 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(b->desc, 1, 0xfffffffffffff000ull, 0x2000, VIRTQ_DESC_F_WRITE, 0);
    post(b, 0);
}

static void c_next_beyond(struct vqb *b)
{
    header(b, 0, 0);
    set_desc(b->desc, 0, hdr_gpa(b), 16, VIRTQ_DESC_F_NEXT, QSIZE);
    post(b, 0);
}

static void c_loop(struct vqb *b)
{
    header(b, 0, 0);
    set_desc(b->desc, 0, hdr_gpa(b), 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(b->desc, 1, hdr_gpa(b), 16, VIRTQ_DESC_F_NEXT, 0);
    post(b, 0);
}

/* Through every descriptor and on into the first again: QSIZE + 1 buffers. */
static void c_too_long(struct vqb *b)
{
    header(b, 0, 0);
    for (unsigned i = 0; i < QSIZE; i++)
        set_desc(b->desc, (uint16_t)i, hdr_gpa(b), 16, VIRTQ_DESC_F_NEXT,
                 (uint16_t)((i + 1) % QSIZE));
    post(b, 0);
}

/* A good two-entry table: header, then status; used by the indirect cases. */
static void good_table(struct vqb *b)
{
    header(b, 0, 0);
    set_desc(table(b), 0, hdr_gpa(b), 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(table(b), 1, status_gpa(b), 1, VIRTQ_DESC_F_WRITE, 0);
}

static void c_indirect_off(struct vqb *b)
{
    good_table(b);
    set_desc(b->desc, 0, table_gpa(b), 32, VIRTQ_DESC_F_INDIRECT, 0);
    post(b, 0);
}

static void c_indirect_nested(struct vqb *b)
{
    good_table(b);
    set_desc(table(b), 0, table_gpa(b), 32, VIRTQ_DESC_F_INDIRECT, 0);
    set_desc(b->desc, 0, table_gpa(b), 32, VIRTQ_DESC_F_INDIRECT, 0);
    post(b, 0);
}

static void c_indirect_next(struct vqb *b)
{
    good_table(b);
    set_desc(b->desc, 0, table_gpa(b), 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    set_desc(b->desc, 1, status_gpa(b), 1, VIRTQ_DESC_F_WRITE, 0);
    post(b, 0);
}

static void c_indirect_len(struct vqb *b)
{
    good_table(b);
    set_desc(b->desc, 0, table_gpa(b), 24, VIRTQ_DESC_F_INDIRECT, 0);
    post(b, 0);
}

static void c_indirect_beyond(struct vqb *b)
{
    set_desc(b->desc, 0, BEYOND, 32, VIRTQ_DESC_F_INDIRECT, 0);
    post(b, 0);
}

static void c_read_after_write(struct vqb *b)
{
    header(b, 0, 0);
    set_desc(b->desc, 0, status_gpa(b), 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    set_desc(b->desc, 1, hdr_gpa(b), 16, 0, 0);
    post(b, 0);
}

/*
 * Device-readable buffers adding up to more than 4 GiB, each inside RAM: the
 * largest RAM range, again and again.  The header's type is one no device
 * implements, so a host missing the check would answer UNSUPP, not write.
 */
static void c_over_4g(struct vqb *b)
{
    uint64_t base = 0, len = 0;

    for (uint32_t i = 0; i < boot.nr_mem; i++)
        if (boot.mem[i].type == RV_MEM_RAM && boot.mem[i].size > len)
            base = boot.mem[i].base, len = boot.mem[i].size;
    len = MIN(len, 1ull << 31);
    uint64_t n = MIN((1ull << 32) / len + 2, QSIZE - 2u);
    header(b, 0xfff0, 0);
    set_desc(b->desc, 0, hdr_gpa(b), 16, VIRTQ_DESC_F_NEXT, 1);
    for (uint16_t i = 1; i <= n; i++)
        set_desc(b->desc, i, base, (uint32_t)len, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
    set_desc(b->desc, (uint16_t)(n + 1), status_gpa(b), 1, VIRTQ_DESC_F_WRITE, 0);
    post(b, 0);
}

static void c_idx_jump(struct vqb *b)
{
    c_good(b);
    b->avail[1] = QSIZE + 1;
}

static void c_head_beyond(struct vqb *b)
{
    c_good(b);
    b->avail[2] = QSIZE;
}

static void c_no_status(struct vqb *b)
{
    header(b, 0, 0);
    set_desc(b->desc, 0, hdr_gpa(b), 16, 0, 0);
    post(b, 0);
}

static void c_no_header(struct vqb *b)
{
    set_desc(b->desc, 0, status_gpa(b), 1, VIRTQ_DESC_F_WRITE, 0);
    post(b, 0);
}

static void c_ring_beyond(struct vqb *b)
{
    c_good(b);
    b->used_gpa = BEYOND;
}

static void c_ring_misaligned(struct vqb *b)
{
    c_good(b);
    b->desc_gpa += 8;
}

static void c_size_not_pow2(struct vqb *b)
{
    c_good(b);
    b->size = 3;
}

static const struct vqcase {
    const char *rule;
    void (*craft)(struct vqb *b);
    bool indirect; /* negotiate VIRTIO_F_INDIRECT_DESC */
} cases[] = {
    { "buffer outside RAM", c_buf_beyond, false },
    { "buffer address + length overflows", c_buf_wraps, false },
    { "next beyond the table", c_next_beyond, false },
    { "chain loops (0 -> 1 -> 0)", c_loop, false },
    { "chain longer than the queue", c_too_long, false },
    { "indirect without the feature", c_indirect_off, false },
    { "indirect inside indirect", c_indirect_nested, true },
    { "indirect with NEXT", c_indirect_next, true },
    { "indirect length not 16 x n", c_indirect_len, true },
    { "indirect table outside RAM", c_indirect_beyond, true },
    { "readable after writable", c_read_after_write, false },
    { "readable buffers over 4 GiB", c_over_4g, false },
    { "avail idx ahead by more than the size", c_idx_jump, false },
    { "avail head beyond the queue", c_head_beyond, false },
    { "request without status byte", c_no_status, false },
    { "request without header", c_no_header, false },
    { "used ring outside RAM", c_ring_beyond, false },
    { "descriptor table misaligned", c_ring_misaligned, false },
    { "queue size not a power of 2", c_size_not_pow2, false },
};

/*
 * Reset (d), negotiate, lay out a fresh queue 0 in (b) as (craft) says,
 * enable it, set DRIVER_OK and kick.  0, or -ENODEV if the device refuses.
 */
static int vq_start(struct virtio_dev *d, struct vqb *b, void (*craft)(struct vqb *b),
                    bool indirect)
{
    if (virtio_negotiate(d, indirect ? 1ull << VIRTIO_F_INDIRECT_DESC : 0))
        return -ENODEV;
    memset(b->desc, 0, 3 * PAGE_SIZE);
    b->desc_gpa = virt_to_phys(b->desc);
    b->avail_gpa = virt_to_phys((void *)b->avail);
    b->used_gpa = virt_to_phys((void *)b->used);
    b->data_gpa = virt_to_phys(b->data);
    b->size = QSIZE;
    craft(b);
    volatile uint16_t *kick =
        virtio_queue_raw(d, 0, b->size, b->desc_gpa, b->avail_gpa, b->used_gpa);
    if (!kick)
        return -ENODEV;
    virtio_ready(d);
    *kick = 0;
    return 0;
}

/* Did (d) set NEEDS_RESET within WAIT_NS? */
static bool wait_needs_reset(struct virtio_dev *d)
{
    uint64_t end = time_ns() + WAIT_NS;

    do {
        if (virtio_status(d) & VIRTIO_STATUS_NEEDS_RESET)
            return true;
        cpu_relax();
    } while (time_ns() < end);
    return false;
}

/* A good read of sector 0 on a freshly reset device: true if it completes. */
static bool good_read(struct virtio_dev *d, struct vqb *b)
{
    if (vq_start(d, b, c_good, false))
        return false;
    uint64_t end = time_ns() + WAIT_NS;
    while (b->used[1] != 1) {
        if (time_ns() > end || (virtio_status(d) & VIRTIO_STATUS_NEEDS_RESET))
            return false;
        cpu_relax();
    }
    barrier(); /* the entry after the index (x86 keeps loads ordered) */
    const volatile uint32_t *e = (const volatile uint32_t *)(b->used + 2);
    uint32_t id = e[0], len = e[1];
    uint8_t st = *(volatile uint8_t *)(b->data + STATUS);
    return id == 0 && len == 513 && st == 0;
}

bool vqbad_run(void)
{
    const struct rv_dev *l = NULL;
    struct vqb b;

    for (uint32_t i = 0; i < boot.nr_devs && !l; i++)
        if (boot.devs[i].virtio_id == VIRTIO_ID_BLOCK)
            l = &boot.devs[i];
    if (!l) {
        printk("vqbad: no virtio-blk device in the start-info list (ringvisor --disk)\n");
        return false;
    }
    struct virtio_dev *d = virtio_dev_map(l);
    uint8_t *mem = mm_alloc_pages(3);
    if (!d || !mem) {
        printk("vqbad: out of memory\n");
        return false;
    }
    pci_enable(d->bus, d->devfn);
    b.desc = (struct virtq_desc *)mem;
    b.avail = (volatile uint16_t *)(mem + PAGE_SIZE);
    b.used = (volatile uint16_t *)(mem + PAGE_SIZE + 1024);
    b.data = mem + 2 * PAGE_SIZE;

    bool ok = good_read(d, &b);
    printk("vqbad: %s: good read %s\n", d->name, ok ? "ok" : "FAILED");
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        bool broke = vq_start(d, &b, cases[i].craft, cases[i].indirect) == 0 &&
                     wait_needs_reset(d);
        bool good = good_read(d, &b);
        printk("vqbad: %-40s %s, good read after reset %s\n", cases[i].rule,
               broke ? "needs reset" : "NOT REJECTED", good ? "ok" : "FAILED");
        ok &= broke && good;
    }
    virtio_fail(d);
    return ok;
}
