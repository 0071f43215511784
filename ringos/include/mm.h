/* SPDX-License-Identifier: MIT */
/* Physical page allocator and the kernel heap on top of it. */
#ifndef RINGOS_MM_H
#define RINGOS_MM_H

#include "types.h"

void mm_init(void);
/* Allocate (n) physically contiguous pages; returns a direct-map pointer or NULL. */
void *mm_alloc_pages(size_t n);
/* Free (n) pages from (p) whatever their reference counts (single owner). */
void mm_free_pages(void *p, size_t n);
/* Reference counts of single pages shared between address spaces: a page
 * starts with 1 when allocated.  mm_page_get() fails (false) when the count
 * would overflow; mm_page_put() frees the page when it drops to 0. */
bool mm_page_get(void *p);
void mm_page_put(void *p);
unsigned mm_page_refs(void *p);
uint64_t mm_total_bytes(void);
uint64_t mm_free_bytes(void);

void heap_init(void);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

#endif
