// SPDX-License-Identifier: MIT
/* libFuzzer target: a hostile kernel image through elf_parse(), elf_load()
 * into a small guest (so paddr often falls outside RAM) and boot_build(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/rv_abi.h"
#include "vmm/arch/x86/boot.h"
#include "vmm/core/loader.h"

#define RAM (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Kept across inputs: allocating 4 MiB per run would dominate. */
    static struct guest_mem mem = { .memfd = -1 };
    struct boot_config cfg = {
        .host_kind = size & 1 ? RV_HOST_PVM : RV_HOST_HWVIRT,
        .nr_vcpus = 2,
        .cmdline = "console=hvc0",
    };
    struct elf_image img;
    struct boot_result out;
    const char *why = NULL;

    if (!mem.host) {
        mem.host = malloc(RAM);
        if (!mem.host)
            abort();
        mem_layout(&mem, RAM);
    }
    if (elf_parse(data, size, &img, &why) != 0) {
        if (!why)
            abort(); /* every refusal carries a reason */
        return 0;
    }
    if (img.nr_seg < 1 || img.nr_seg > ELF_MAX_SEGMENTS || img.lo >= img.hi)
        abort();
    for (int i = 0; i < img.nr_seg; i++) {
        const struct elf_segment *s = &img.seg[i];

        /* The parser promised these; elf_load() relies on them. */
        if (s->filesz > s->memsz || s->offset > size || s->filesz > size - s->offset ||
            s->paddr < img.lo || s->paddr + s->memsz > img.hi)
            abort();
    }
    if (elf_load(&mem, &img, data) != 0)
        return 0;
    if (boot_build(&mem, &img, &cfg, &out, &why) != 0) {
        if (!why)
            abort();
        return 0;
    }
    /* Everything the host placed must be in RAM. */
    if (!mem_gpa(&mem, out.pml4, 8192) || !mem_gpa(&mem, out.start_info, 4096) ||
        !mem_gpa(&mem, out.req_ring, 4096) || out.area_hi > RAM)
        abort();
    return 0;
}
