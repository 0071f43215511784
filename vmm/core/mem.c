// SPDX-License-Identifier: MIT
/* Guest RAM: allocation, layout around the MMIO hole, checked translation. */
#include "vmm/core/mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void mem_layout(struct guest_mem *mem, uint64_t size)
{
    uint64_t low = size < MEM_HOLE_START ? size : MEM_HOLE_START;

    mem->size = size;
    mem->nr_regions = 1;
    mem->region[0] = (struct mem_region){ .gpa = 0, .size = low, .host_off = 0 };
    if (size > low) {
        mem->region[1] = (struct mem_region){
            .gpa = MEM_HOLE_END, .size = size - low, .host_off = low };
        mem->nr_regions = 2;
    }
}

int mem_create(struct guest_mem *mem, uint64_t size)
{
    int err;

    memset(mem, 0, sizeof(*mem));
    mem->memfd = -1;
    if (size == 0 || size % (2u << 20))
        return -EINVAL;
    mem->memfd = memfd_create("ringvisor-ram", MFD_CLOEXEC);
    if (mem->memfd < 0)
        return -errno;
    if (ftruncate(mem->memfd, (off_t)size) < 0) {
        err = -errno;
        goto err_fd;
    }
    /* MAP_NORESERVE: guest RAM is demand-allocated, as on every VMM. */
    mem->host = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_NORESERVE, mem->memfd, 0);
    if (mem->host == MAP_FAILED) {
        err = -errno;
        mem->host = NULL;
        goto err_fd;
    }
    /* Large pages where the host allows them for shmem; harmless otherwise. */
    (void)madvise(mem->host, size, MADV_HUGEPAGE);
    mem_layout(mem, size);
    return 0;

err_fd:
    close(mem->memfd);
    mem->memfd = -1;
    return err;
}

void mem_destroy(struct guest_mem *mem)
{
    if (mem->host)
        munmap(mem->host, mem->size);
    if (mem->memfd >= 0)
        close(mem->memfd);
    mem->host = NULL;
    mem->memfd = -1;
}

void *mem_gpa(const struct guest_mem *mem, gpa_t gpa, uint64_t len)
{
    for (int i = 0; i < mem->nr_regions; i++) {
        const struct mem_region *r = &mem->region[i];

        if (gpa < r->gpa)
            continue;
        /* Compare offsets, never gpa + len: a guest can make that wrap. */
        uint64_t off = gpa - r->gpa;
        if (off > r->size || len > r->size - off)
            continue;
        if (off == r->size && len == 0)
            continue;
        return mem->host + r->host_off + off;
    }
    return NULL;
}

int mem_read(const struct guest_mem *mem, void *dst, gpa_t gpa, uint64_t len)
{
    const void *src = mem_gpa(mem, gpa, len);

    if (!src)
        return -EFAULT;
    memcpy(dst, src, len);
    return 0;
}

int mem_write(const struct guest_mem *mem, gpa_t gpa, const void *src, uint64_t len)
{
    void *dst = mem_gpa(mem, gpa, len);

    if (!dst)
        return -EFAULT;
    memcpy(dst, src, len);
    return 0;
}

gpa_t mem_end(const struct guest_mem *mem)
{
    const struct mem_region *r = &mem->region[mem->nr_regions - 1];

    return r->gpa + r->size;
}
