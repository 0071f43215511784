// SPDX-License-Identifier: MIT
/* The virtqueue walk against a hostile driver: one test per rule, plus the
 * virtio-pci transport and the PCI host bridge as a guest drives them. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vmm/dev/pci_host.h"
#include "vmm/dev/virtio/pci.h"
#include "vmm/dev/virtio/queue.h"

#define RAM (64u << 10)
#define DESC 0x1000u
#define AVAIL 0x2000u
#define USED 0x3000u
#define BUF 0x8000u
#define QSIZE 8

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

static struct guest_mem mem;
static struct vq q;

static struct desc *D(gpa_t table, unsigned i)
{
    return (struct desc *)mem_gpa(&mem, table + 16u * i, 16);
}

static uint16_t *avail16(unsigned i)
{
    return (uint16_t *)mem_gpa(&mem, AVAIL + 2u * i, 2);
}

/* A fresh queue of QSIZE entries over zeroed RAM. */
static void setup(void)
{
    if (!mem.host)
        guest_alloc(&mem, RAM);
    memset(mem.host, 0, RAM);
    memset(&q, 0, sizeof(q));
    q.mem = &mem;
    vq_reset(&q);
    q.size = QSIZE;
    q.desc = DESC;
    q.avail = AVAIL;
    q.used = USED;
    q.ready = true;
}

/* Offer chain (head) as the n-th available entry. */
static void offer(uint16_t n, uint16_t head)
{
    *avail16(2 + n % QSIZE) = head;
    *avail16(1) = (uint16_t)(n + 1);
}

static void set(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    *D(DESC, i) = (struct desc){ addr, len, flags, next };
}

static struct vq_elem e;

static void vq_good_chain(void)
{
    uint32_t used[2];

    setup();
    set(0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
    set(1, BUF + 0x100, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    set(2, BUF + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
    CHECK_INT(vq_pop(&q, &e), 0); /* nothing offered yet */
    offer(0, 0);
    CHECK_INT(vq_pop(&q, &e), 1);
    CHECK_EQ(e.head, 0);
    CHECK(e.n_out == 1 && e.n_in == 2 && e.out_len == 16 && e.in_len == 513);
    CHECK(e.iov[0].iov_base == mem.host + BUF && e.iov[2].iov_len == 1);
    CHECK_INT(vq_pop(&q, &e), 0);
    vq_push(&q, 0, 513);
    CHECK_EQ(*(uint16_t *)mem_gpa(&mem, USED + 2, 2), 1);
    memcpy(used, mem_gpa(&mem, USED + 4, 8), 8);
    CHECK(used[0] == 0 && used[1] == 513);
    CHECK(!q.broken);
}

/* Each case breaks the queue with a reason and it stays broken. */
static bool breaks(void)
{
    int r = vq_pop(&q, &e);

    return r == -EPROTO && q.broken && q.why && vq_pop(&q, &e) == -EPROTO;
}

static void vq_avail_index_jump(void)
{
    setup();
    set(0, BUF, 8, 0, 0);
    *avail16(1) = QSIZE + 1;
    CHECK(breaks());
}

static void vq_head_out_of_range(void)
{
    setup();
    offer(0, QSIZE);
    CHECK(breaks());
}

static void vq_loop_is_bounded(void)
{
    setup();
    set(0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    set(1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
    offer(0, 0);
    CHECK(breaks());
}

static void vq_next_out_of_range(void)
{
    setup();
    set(0, BUF, 8, VIRTQ_DESC_F_NEXT, QSIZE);
    offer(0, 0);
    CHECK(breaks());
}

static void vq_buffer_outside_ram(void)
{
    setup();
    set(0, RAM - 4, 8, 0, 0); /* straddles the end */
    offer(0, 0);
    CHECK(breaks());
    setup();
    set(0, ~0ull - 3, 8, 0, 0); /* wraps */
    offer(0, 0);
    CHECK(breaks());
    setup();
    set(0, BUF, 0xffffffffu, 0, 0);
    offer(0, 0);
    CHECK(breaks());
}

static void vq_readable_after_writable(void)
{
    setup();
    set(0, BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    set(1, BUF, 8, 0, 0);
    offer(0, 0);
    CHECK(breaks());
}

static void vq_length_overflow(void)
{
    setup();
    /* Each buffer lies in RAM, but the total does not fit 32 bits: the
     * same 60 KiB region named many times cannot add up to 4 GiB with 8
     * entries, so use the sum rule on a big queue instead. */
    q.size = 128;
    for (unsigned i = 0; i < 127; i++)
        *D(DESC, i) = (struct desc){ 0, RAM, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1) };
    *D(DESC, 127) = (struct desc){ 0, RAM, 0, 0 };
    *avail16(2) = 0;
    *avail16(1) = 1;
    CHECK_INT(vq_pop(&q, &e), 1); /* 128 x 64 KiB = 8 MiB: fine */
    CHECK(e.out_len == 128u * RAM);
}

static void vq_indirect(void)
{
    const gpa_t table = 0x4000;

    setup();
    *D(table, 0) = (struct desc){ BUF, 16, VIRTQ_DESC_F_NEXT, 1 };
    *D(table, 1) = (struct desc){ BUF + 0x100, 64, VIRTQ_DESC_F_WRITE, 0 };
    set(0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0, 0);
    CHECK(breaks()); /* feature not negotiated */

    setup();
    q.indirect = true;
    *D(table, 0) = (struct desc){ BUF, 16, VIRTQ_DESC_F_NEXT, 1 };
    *D(table, 1) = (struct desc){ BUF + 0x100, 64, VIRTQ_DESC_F_WRITE, 0 };
    set(0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0, 0);
    CHECK_INT(vq_pop(&q, &e), 1);
    CHECK(e.n_out == 1 && e.n_in == 1 && e.in_len == 64);

    static const struct {
        uint64_t addr;
        uint32_t len;
        uint16_t flags;
    } bad[] = {
        { table, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT },
        { table, 0, VIRTQ_DESC_F_INDIRECT },
        { table, 24, VIRTQ_DESC_F_INDIRECT },
        { table, 16 * (QSIZE + 1), VIRTQ_DESC_F_INDIRECT },
        { RAM - 16, 32, VIRTQ_DESC_F_INDIRECT },
        { table + 8, 32, VIRTQ_DESC_F_INDIRECT },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setup();
        q.indirect = true;
        *D(table, 0) = (struct desc){ BUF, 16, VIRTQ_DESC_F_NEXT, 1 };
        *D(table, 1) = (struct desc){ BUF + 0x100, 64, VIRTQ_DESC_F_WRITE, 0 };
        set(0, bad[i].addr, bad[i].len, bad[i].flags, 1);
        offer(0, 0);
        if (!breaks()) {
            unit_fail(__FILE__, __LINE__, "bad indirect case %u accepted", i);
            return;
        }
    }
    /* An indirect descriptor inside the table. */
    setup();
    q.indirect = true;
    *D(table, 0) = (struct desc){ table, 32, VIRTQ_DESC_F_INDIRECT, 0 };
    set(0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0, 0);
    CHECK(breaks());
    /* A loop inside the table. */
    setup();
    q.indirect = true;
    *D(table, 0) = (struct desc){ BUF, 8, VIRTQ_DESC_F_NEXT, 1 };
    *D(table, 1) = (struct desc){ BUF, 8, VIRTQ_DESC_F_NEXT, 0 };
    set(0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0, 0);
    CHECK(breaks());
}

static void vq_ring_checked_on_every_use(void)
{
    setup();
    q.size = 3;
    CHECK(!vq_check(&q) && q.broken);
    setup();
    q.size = 0;
    CHECK(!vq_check(&q));
    setup();
    q.size = VQ_MAX_SIZE * 2;
    CHECK(!vq_check(&q));
    setup();
    q.desc = DESC + 8; /* misaligned */
    CHECK(!vq_check(&q));
    setup();
    CHECK(vq_check(&q));
    q.used = RAM - 8; /* moved outside after it was fine */
    set(0, BUF, 8, 0, 0);
    offer(0, 0);
    CHECK(breaks());
}

static void vq_signal_suppression(void)
{
    setup();
    set(0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    offer(0, 0);
    CHECK_INT(vq_pop(&q, &e), 1);
    vq_push(&q, 0, 8);
    *avail16(0) = VIRTQ_AVAIL_F_NO_INTERRUPT;
    CHECK(!vq_should_signal(&q));
    *avail16(0) = 0;
    CHECK(vq_should_signal(&q));
    /* EVENT_IDX: used_event = 5 means "interrupt when used idx passes 5". */
    q.event_idx = true;
    *avail16(2 + QSIZE) = 5;
    for (uint16_t n = 1; n < 5; n++) {
        vq_push(&q, 0, 8);
        CHECK(!vq_should_signal(&q));
    }
    vq_push(&q, 0, 8); /* used idx 6: passed 5 */
    CHECK(vq_should_signal(&q));
}

/* A device that holds an interrupt back asks later whether it is still
 * wanted: no once the driver has taken the entries and moved used_event. */
static void vq_signal_pending_later(void)
{
    setup();
    q.event_idx = true;
    set(0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    offer(0, 0);
    CHECK_INT(vq_pop(&q, &e), 1);
    *avail16(2 + QSIZE) = 0; /* the driver wants the next one */
    CHECK(!vq_signal_pending(&q));
    vq_push(&q, 0, 8);
    CHECK_INT(vq_used_event(&q), 0);
    CHECK(vq_signal_pending(&q));
    CHECK(vq_signal_pending(&q)); /* asking changes nothing */
    *avail16(2 + QSIZE) = 1;      /* it took entry 0 on its own */
    CHECK_INT(vq_used_event(&q), 1);
    CHECK(!vq_signal_pending(&q));
    vq_push(&q, 0, 8);
    CHECK(vq_signal_pending(&q));
    CHECK(vq_should_signal(&q));
    CHECK(!vq_signal_pending(&q)); /* signalled */
}

/* EVENT_IDX, the other way: the device publishes avail_event so that the
 * driver kicks for the next entry (without it the driver stops kicking). */
static void vq_avail_event(void)
{
    uint16_t *avail_event;

    setup();
    q.event_idx = true;
    avail_event = (uint16_t *)mem_gpa(&mem, USED + 4 + 8 * QSIZE, 2);
    set(0, BUF, 8, 0, 0);
    set(1, BUF, 8, 0, 0);
    offer(0, 0);
    CHECK_INT(vq_pop(&q, &e), 1);
    CHECK_EQ(*avail_event, 1);
    CHECK_INT(vq_pop(&q, &e), 0);
    CHECK_EQ(*avail_event, 1);
    offer(1, 1);
    CHECK_INT(vq_pop(&q, &e), 1);
    CHECK_EQ(*avail_event, 2);
}

static void vq_copy_across_buffers(void)
{
    char out[8];

    setup();
    memcpy(mem.host + BUF, "abc", 3);
    memcpy(mem.host + BUF + 0x10, "defgh", 5);
    set(0, BUF, 3, VIRTQ_DESC_F_NEXT, 1);
    set(1, BUF + 0x10, 5, VIRTQ_DESC_F_NEXT, 2);
    set(2, BUF + 0x20, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
    set(3, BUF + 0x30, 4, VIRTQ_DESC_F_WRITE, 0);
    offer(0, 0);
    CHECK_INT(vq_pop(&q, &e), 1);
    CHECK_EQ(vq_copy_out(&e, 2, out, 8), 6);
    CHECK(!memcmp(out, "cdefgh", 6));
    CHECK_EQ(vq_copy_in(&e, 3, "XYZW", 4), 4);
    CHECK(!memcmp(mem.host + BUF + 0x23, "X", 1) && !memcmp(mem.host + BUF + 0x30, "YZW", 3));
    CHECK_EQ(vq_copy_in(&e, 7, "12", 2), 1); /* only one byte of room left */
}

/* ---- virtio-pci and the PCI host ----------------------------------------- */

static unsigned notified, resets, guest_errors;

static void t_config_read(struct vpci *v, uint32_t off, uint8_t *data, uint32_t len)
{
    (void)v;
    for (uint32_t i = 0; i < len; i++)
        data[i] = (uint8_t)(off + i);
}

static void t_notify(struct vpci *v, uint16_t qi)
{
    (void)v, (void)qi;
    notified++;
}

static void t_reset(struct vpci *v)
{
    (void)v;
    resets++;
}

static const struct vdev_ops t_ops = {
    .name = "test", .id = 4, .class_rev = 0x00ff0000,
    .config_read = t_config_read, .notify = t_notify, .reset = t_reset,
};

static void t_guest_error(void *opaque, const char *fmt, ...)
{
    (void)opaque, (void)fmt;
    guest_errors++;
}

static struct bus bus;
static struct pci_host host;
static struct irq irq;
static struct vpci v;

static int bar_w(uint64_t off, uint64_t val, uint32_t len)
{
    uint8_t d[8];

    memcpy(d, &val, 8);
    return vpci_bar_access(&v.fn, off, d, len, true);
}

static uint64_t bar_r(uint64_t off, uint32_t len)
{
    uint8_t d[8] = { 0 };
    uint64_t val = 0;

    (void)vpci_bar_access(&v.fn, off, d, len, false);
    memcpy(&val, d, len);
    return val;
}

static void cfg_w(unsigned slot, uint32_t reg, uint32_t val, uint32_t len)
{
    uint32_t a = 0x80000000u | slot << 11 | (reg & 0xfc);
    uint8_t d[4];

    memcpy(d, &a, 4);
    (void)pci_host_pio(NULL, &host, PCI_CFG_ADDR_PORT, d, 4, true);
    memcpy(d, &val, 4);
    (void)pci_host_pio(NULL, &host, PCI_CFG_DATA_PORT + (reg & 3), d, len, true);
}

static uint32_t cfg_r(unsigned slot, uint32_t reg, uint32_t len)
{
    uint32_t a = 0x80000000u | slot << 11 | (reg & 0xfc), val = 0;
    uint8_t d[4];

    memcpy(d, &a, 4);
    (void)pci_host_pio(NULL, &host, PCI_CFG_ADDR_PORT, d, 4, true);
    (void)pci_host_pio(NULL, &host, PCI_CFG_DATA_PORT + (reg & 3), d, len, false);
    memcpy(&val, d, len);
    return val;
}

static bool vpci_setup(void)
{
    struct vpci_env env = { .mem = &mem, .irq = &irq, .io = NULL, .vm_fd = -1,
                            .guest_error = t_guest_error };

    setup();
    memset(&bus, 0, sizeof(bus));
    vpci_exit(&v);
    irq_exit(&irq);
    irq_init(&irq, -1);
    if (pci_host_init(&host, &bus) || vpci_init(&v, &t_ops, NULL, 2, 1ull << 5, "t0", 0, &env,
                                                &host))
        return false;
    notified = resets = guest_errors = 0;
    return true;
}

static void pci_config_space(void)
{
    uint32_t size;
    uint8_t cap;
    unsigned vendor_caps = 0;

    CHECK(vpci_setup());
    CHECK_EQ(cfg_r(0, 0, 4), 0x00081b36);          /* host bridge */
    CHECK_EQ(cfg_r(1, 0, 4), 0x10441af4);          /* virtio, id 4 */
    CHECK_EQ(cfg_r(1, PCI_REVISION, 1), 1);
    CHECK_EQ(cfg_r(2, 0, 4), 0xffffffffu);         /* empty slot */
    CHECK_EQ(cfg_r(1, 0, 2), 0x1af4);
    /* Sizing BAR 0: write all-ones, read the mask, restore. */
    uint32_t bar = cfg_r(1, PCI_BAR0, 4);
    cfg_w(1, PCI_BAR0, 0xffffffffu, 4);
    size = cfg_r(1, PCI_BAR0, 4);
    CHECK_EQ(~(size & ~0xfu) + 1, VPCI_BAR_SIZE);
    CHECK_EQ(size & 0xf, 0x4);                      /* 64-bit memory */
    cfg_w(1, PCI_BAR0, bar, 4);
    CHECK_EQ(pci_fn_bar0(&v.fn), PCI_MMIO_BASE);
    /* Read-only fields stay. */
    cfg_w(1, 0, 0x12345678, 4);
    CHECK_EQ(cfg_r(1, 0, 4), 0x10441af4);
    /* Capabilities: four virtio structures and MSI-X, well linked. */
    CHECK(cfg_r(1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    for (cap = (uint8_t)cfg_r(1, PCI_CAP_PTR, 1); cap; cap = (uint8_t)cfg_r(1, cap + 1u, 1)) {
        CHECK(cap >= 0x40 && cap % 4 == 0);
        if (cfg_r(1, cap, 1) == PCI_CAP_ID_VNDR)
            vendor_caps++;
        else
            CHECK_EQ(cap, v.msix_cap);
    }
    CHECK_EQ(vendor_caps, 4);
    /* An access crossing the data dword reads all-ones. */
    uint8_t d[4];
    CHECK_INT(pci_host_pio(NULL, &host, PCI_CFG_DATA_PORT + 2, d, 4, false), 0);
    CHECK(d[0] == 0xff && d[3] == 0xff);
    /* BAR decoding follows the command register. */
    uint64_t one = 0;
    CHECK_INT(pci_host_mmio(NULL, &host, PCI_MMIO_BASE + VPCI_COMMON_OFF + 0x12, (uint8_t *)&one, 2,
                            false), 0);
    CHECK_EQ(one & 0xffff, 0xffff);
    cfg_w(1, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    CHECK_INT(pci_host_mmio(NULL, &host, PCI_MMIO_BASE + VPCI_COMMON_OFF + 0x12, (uint8_t *)&one, 2,
                            false), 0);
    CHECK_EQ(one & 0xffff, 2); /* num_queues */
}

/* Feature negotiation, queue set-up, kicks, reset. */
static void vpci_lifecycle(void)
{
    uint64_t kicks;

    CHECK(vpci_setup());
    CHECK_EQ(bar_r(0x04, 4), 1u << 5 | 1u << 28 | 1u << 29);
    bar_w(0x00, 1, 4);
    CHECK_EQ(bar_r(0x04, 4), 1); /* VERSION_1 */
    bar_w(0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    /* Without VERSION_1, FEATURES_OK does not stick (legacy drivers). */
    bar_w(0x14, 0x0b, 1);
    CHECK_EQ(bar_r(0x14, 1) & VIRTIO_STATUS_FEATURES_OK, 0);
    bar_w(0x14, 0, 1);
    CHECK_EQ(resets, 1);
    /* Features we never offered are refused too. */
    bar_w(0x08, 0, 4);
    bar_w(0x0c, 1u << 7, 4);
    bar_w(0x08, 1, 4);
    bar_w(0x0c, 1, 4);
    bar_w(0x14, 0x0b, 1);
    CHECK_EQ(bar_r(0x14, 1) & VIRTIO_STATUS_FEATURES_OK, 0);
    bar_w(0x14, 0, 1);
    bar_w(0x08, 0, 4);
    bar_w(0x0c, 1u << 5 | 1u << 29, 4);
    bar_w(0x08, 1, 4);
    bar_w(0x0c, 1, 4);
    bar_w(0x14, 0x0b, 1);
    CHECK(bar_r(0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
    /* Queue 0 at our ring; queue 5 does not exist. */
    bar_w(0x16, 5, 2);
    CHECK_EQ(bar_r(0x18, 2), 0);
    bar_w(0x16, 0, 2);
    CHECK_EQ(bar_r(0x18, 2), VQ_MAX_SIZE);
    bar_w(0x18, QSIZE, 2);
    bar_w(0x20, DESC, 4);
    bar_w(0x24, 0, 4);
    bar_w(0x28, AVAIL, 8);
    bar_w(0x30, USED, 8);
    bar_w(0x1c, 1, 2);
    CHECK(v.vq[0].ready && v.vq[0].event_idx && !v.vq[0].broken);
    /* Enabled: its shape is fixed. */
    bar_w(0x18, 2, 2);
    CHECK_EQ(bar_r(0x18, 2), QSIZE);
    bar_w(0x14, 0x0f, 1);
    /* A kick reaches the queue's eventfd. */
    bar_w(VPCI_NOTIFY_OFF + 0 * VPCI_NOTIFY_MULT, 0, 2);
    CHECK(read(v.kick_fd[0], &kicks, 8) == 8 && kicks == 2); /* DRIVER_OK + the kick */
    /* Queue 1 enabled outside RAM: NEEDS_RESET, the VM goes on. */
    bar_w(0x16, 1, 2);
    bar_w(0x20, RAM, 8);
    bar_w(0x1c, 1, 2);
    CHECK(bar_r(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
    CHECK_EQ(guest_errors, 1);
    /* Reset brings everything back. */
    bar_w(0x14, 0, 1);
    CHECK_EQ(bar_r(0x14, 1), 0);
    CHECK(!v.vq[0].ready && !v.vq[1].broken);
    /* Device configuration goes to the device. */
    CHECK_EQ(bar_r(VPCI_DEVICE_OFF + 4, 2), 0x0504);
}

static void vpci_msix_masking(void)
{
    uint64_t n = 0;
    int fd;

    CHECK(vpci_setup());
    fd = irq.fd[v.gsi[1]];
    bar_w(0x16, 0, 2);
    bar_w(0x1a, 1, 2); /* queue 0 -> vector 1 */
    CHECK_EQ(bar_r(0x1a, 2), 1);
    bar_w(0x1a, 7, 2); /* no such vector */
    CHECK_EQ(bar_r(0x1a, 2), VPCI_NO_VECTOR);
    bar_w(0x1a, 1, 2);
    /* MSI-X off: the interrupt waits in the PBA. */
    pthread_mutex_lock(&v.lock);
    v.vq[0].size = QSIZE;
    v.vq[0].desc = DESC, v.vq[0].avail = AVAIL, v.vq[0].used = USED;
    vpci_signal_queue(&v, 0);
    pthread_mutex_unlock(&v.lock);
    CHECK(read(fd, &n, 8) < 0);
    CHECK_EQ(bar_r(VPCI_PBA_OFF, 4), 2);
    CHECK_EQ(bar_r(VPCI_ISR_OFF, 1), 1);
    CHECK_EQ(bar_r(VPCI_ISR_OFF, 1), 0); /* read clears */
    /* Enable MSI-X in the capability; the entry is still masked. */
    cfg_w(1, v.msix_cap + 2u, 0x8000, 2);
    CHECK(v.msix_enabled);
    CHECK(read(fd, &n, 8) < 0);
    bar_w(VPCI_MSIX_OFF + 16, 0xfee00000, 4);
    bar_w(VPCI_MSIX_OFF + 16 + 8, 0x41, 4);
    CHECK(!irq.routed[v.gsi[1]]); /* masked: no half-written message reaches KVM */
    bar_w(VPCI_MSIX_OFF + 16 + 12, 0, 4); /* unmask: the pending one fires */
    CHECK(irq.routed[v.gsi[1]] && irq.data[v.gsi[1]] == 0x41 && irq.addr[v.gsi[1]] == 0xfee00000);
    CHECK(read(fd, &n, 8) == 8 && n == 1);
    CHECK_EQ(bar_r(VPCI_PBA_OFF, 4), 0);
    /* Odd-sized table accesses are ignored. */
    bar_w(VPCI_MSIX_OFF + 16 + 8, 0x99, 2);
    CHECK(irq.data[v.gsi[1]] == 0x41);
}

void suite_virtq(void)
{
    RUN(vq_good_chain);
    RUN(vq_avail_index_jump);
    RUN(vq_head_out_of_range);
    RUN(vq_loop_is_bounded);
    RUN(vq_next_out_of_range);
    RUN(vq_buffer_outside_ram);
    RUN(vq_readable_after_writable);
    RUN(vq_length_overflow);
    RUN(vq_indirect);
    RUN(vq_ring_checked_on_every_use);
    RUN(vq_signal_suppression);
    RUN(vq_signal_pending_later);
    RUN(vq_avail_event);
    RUN(vq_copy_across_buffers);
    RUN(pci_config_space);
    RUN(vpci_lifecycle);
    RUN(vpci_msix_masking);
    vpci_exit(&v);
    irq_exit(&irq);
    guest_free(&mem);
}
