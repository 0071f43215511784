/* SPDX-License-Identifier: MIT */
/* Kernel-wide services that do not belong to one subsystem. */
#ifndef RINGOS_KERNEL_H
#define RINGOS_KERNEL_H

#include "types.h"

/* Value of key (key) on the command line, copied to (buf); false if absent. */
bool cmdline_get(const char *key, char *buf, size_t size);
bool cmdline_has(const char *word);

void demo_run(void);
/* Run self-test (name); prints "unknown test: ..." and powers off 125 if unknown. */
__noreturn void selftest_run(const char *name);
__noreturn void bench_run(const char *name);
/* test=vqbad (kernel/vqbad.c): crafted rings on the first virtio-blk device; true if all were rejected. */
bool vqbad_run(void);

/* Count CPUs from the ACPI MADT at (rsdp_pa); 0 if not found. */
uint32_t acpi_count_cpus(uint64_t rsdp_pa);
void uart_init(void);
void uart_write(const char *s, size_t n);

#endif
