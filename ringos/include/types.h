/* SPDX-License-Identifier: MIT */
/* Basic types and helper macros shared by all of ringos. */
#ifndef RINGOS_TYPES_H
#define RINGOS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KERNEL_BASE 0xffffffff80000000ull

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define PAGE_SIZE 4096ull

#define __noreturn __attribute__((noreturn))
#define __aligned(n) __attribute__((aligned(n)))
#define __noinline __attribute__((noinline))
#define barrier() __asm__ volatile("" ::: "memory")

/* Kernel-image and direct-map addresses to guest-physical addresses. */
uint64_t virt_to_phys(const void *va);
void *phys_to_virt(uint64_t pa);

#endif
