/* SPDX-License-Identifier: MIT */
/* Physical page allocator and the kernel heap on top of it. */
#ifndef RINGOS_MM_H
#define RINGOS_MM_H

#include "types.h"

void mm_init(void);
/* Allocate (n) physically contiguous pages; returns a direct-map pointer or NULL. */
void *mm_alloc_pages(size_t n);
void mm_free_pages(void *p, size_t n);
uint64_t mm_total_bytes(void);
uint64_t mm_free_bytes(void);

void heap_init(void);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

#endif
