// SPDX-License-Identifier: MIT
/* kmalloc/kfree: power-of-two buckets carved from pages, whole pages for big blocks. */
#include "lib.h"
#include "mm.h"
#include "platform.h"
#include "printk.h"

#define HEAP_MAGIC 0x6b6d656du /* "memk" */
#define HEAP_MIN_SHIFT 5       /* 32-byte blocks, header included */
#define HEAP_MAX_SHIFT 11      /* 2048 */
#define HEAP_LARGE 0xffffu

/* 16 bytes, so returned blocks keep 16-byte alignment. */
struct heap_hdr {
    uint32_t magic;
    uint32_t bucket; /* shift, or HEAP_LARGE */
    uint64_t pages;  /* HEAP_LARGE only */
};

struct heap_free {
    struct heap_free *next;
};

static struct heap_free *buckets[HEAP_MAX_SHIFT + 1];

void heap_init(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(buckets); i++)
        buckets[i] = NULL;
}

static bool heap_refill(unsigned shift)
{
    char *page = mm_alloc_pages(1);

    if (!page)
        return false;
    for (size_t off = 0; off < PAGE_SIZE; off += 1ull << shift) {
        struct heap_free *f = (struct heap_free *)(page + off);
        f->next = buckets[shift];
        buckets[shift] = f;
    }
    return true;
}

void *kmalloc(size_t size)
{
    size_t need = size + sizeof(struct heap_hdr);
    struct heap_hdr *h;

    if (need < size)
        return NULL; /* overflow */
    if (need > (1u << HEAP_MAX_SHIFT)) {
        size_t pages = (need + PAGE_SIZE - 1) / PAGE_SIZE;
        h = mm_alloc_pages(pages);
        if (!h)
            return NULL;
        *h = (struct heap_hdr){ HEAP_MAGIC, HEAP_LARGE, pages };
        return h + 1;
    }
    unsigned shift = HEAP_MIN_SHIFT;
    while ((1ull << shift) < need)
        shift++;

    unsigned long f = irq_save();
    if (!buckets[shift] && !heap_refill(shift)) {
        irq_restore(f);
        return NULL;
    }
    h = (struct heap_hdr *)buckets[shift];
    buckets[shift] = buckets[shift]->next;
    irq_restore(f);
    *h = (struct heap_hdr){ HEAP_MAGIC, shift, 0 };
    return h + 1;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);

    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    if (!p)
        return;
    struct heap_hdr *h = (struct heap_hdr *)p - 1;
    if (h->magic != HEAP_MAGIC)
        panic("kfree: bad block %p", p);
    h->magic = 0; /* catch double frees */
    if (h->bucket == HEAP_LARGE) {
        mm_free_pages(h, h->pages);
        return;
    }
    unsigned shift = h->bucket; /* the free-list link overwrites the header */
    if (shift < HEAP_MIN_SHIFT || shift > HEAP_MAX_SHIFT)
        panic("kfree: bad bucket in %p", p);
    unsigned long f = irq_save();
    struct heap_free *fr = (struct heap_free *)h;
    fr->next = buckets[shift];
    buckets[shift] = fr;
    irq_restore(f);
}
