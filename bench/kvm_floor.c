// SPDX-License-Identifier: MIT
/*
 * The floor: the least any KVM VMM can do to boot a guest to its first exit
 * (create VM, one memory slot, one vCPU, KVM_RUN to an OUT, tear down).
 * bench.py times this whole process so ringvisor is compared like for like.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_MEM_SIZE 0x10000ul /* 64 KiB: the smallest slot that looks like a VM */
#define FLOOR_ENTRY 0x1000ul
#define FLOOR_PORT 0x10

/* out %al,$0x10; hlt -- one instruction to the first exit, in real mode. */
static const uint8_t floor_code[] = { 0xe6, FLOOR_PORT, 0xf4 };

/*
 * Boot one VM to its first KVM_EXIT_IO and destroy it.  (kvm) is an open
 * /dev/kvm, (run_size) its KVM_GET_VCPU_MMAP_SIZE.  Returns 0 or -errno.
 */
static int floor_once(int kvm, size_t run_size)
{
    struct kvm_userspace_memory_region region;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_run *run;
    void *mem;
    int vm, vcpu, ret;

    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return -errno;

    mem = mmap(NULL, FLOOR_MEM_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
        ret = -errno;
        goto err_vm;
    }
    memcpy((uint8_t *)mem + FLOOR_ENTRY, floor_code, sizeof(floor_code));

    region = (struct kvm_userspace_memory_region){
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = FLOOR_MEM_SIZE,
        .userspace_addr = (uintptr_t)mem,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        ret = -errno;
        goto err_mem;
    }

    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) {
        ret = -errno;
        goto err_mem;
    }
    run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) {
        ret = -errno;
        goto err_vcpu;
    }

    /* The reset state is real mode at ffff:fff0; move CS to 0 so the code
     * sits in our slot instead of needing memory at the top of 4 GiB. */
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) {
        ret = -errno;
        goto err_run;
    }
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) {
        ret = -errno;
        goto err_run;
    }
    memset(&regs, 0, sizeof(regs));
    regs.rip = FLOOR_ENTRY;
    regs.rflags = 0x2;
    regs.rax = 0x42;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) {
        ret = -errno;
        goto err_run;
    }

    /* A signal may interrupt KVM_RUN before the guest gets anywhere. */
    do {
        ret = ioctl(vcpu, KVM_RUN, 0);
    } while (ret < 0 && (errno == EINTR || errno == EAGAIN));
    if (ret < 0) {
        ret = -errno;
        goto err_run;
    }
    if (run->exit_reason != KVM_EXIT_IO || run->io.port != FLOOR_PORT ||
        run->io.direction != KVM_EXIT_IO_OUT) {
        fprintf(stderr, "kvm-floor: unexpected exit %u (port 0x%x)\n",
                run->exit_reason, run->io.port);
        ret = -EPROTO;
        goto err_run;
    }
    ret = 0;

err_run:
    munmap(run, run_size);
err_vcpu:
    close(vcpu);
err_mem:
    /* KVM's MMU notifier drops the slot's mappings, so unmapping before the
     * VM fd is closed is safe. */
    munmap(mem, FLOOR_MEM_SIZE);
err_vm:
    close(vm);
    return ret;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    unsigned long loops = 0;
    uint64_t *samples = NULL;
    int kvm, mmap_size, ret = 0;

    if (argc == 3 && strcmp(argv[1], "--loop") == 0) {
        loops = strtoul(argv[2], NULL, 0);
        if (loops == 0) {
            fprintf(stderr, "kvm-floor: --loop needs N > 0\n");
            return 2;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [--loop N]\n", argv[0]);
        return 2;
    }

    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        perror("kvm-floor: /dev/kvm");
        return 1;
    }
    mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size <= 0) {
        perror("kvm-floor: KVM_GET_VCPU_MMAP_SIZE");
        return 1;
    }

    if (loops == 0) {
        ret = floor_once(kvm, (size_t)mmap_size);
        if (ret < 0)
            fprintf(stderr, "kvm-floor: %s\n", strerror(-ret));
        return ret < 0;
    }

    samples = calloc(loops, sizeof(*samples));
    if (!samples) {
        perror("kvm-floor");
        return 1;
    }
    for (unsigned long i = 0; i < loops; i++) {
        uint64_t t0 = now_ns();

        ret = floor_once(kvm, (size_t)mmap_size);
        samples[i] = now_ns() - t0;
        if (ret < 0) {
            fprintf(stderr, "kvm-floor: iteration %lu: %s\n", i, strerror(-ret));
            return 1;
        }
    }
    qsort(samples, loops, sizeof(*samples), cmp_u64);
    printf("kvm-floor: %lu loops, median %.1f us per create->first-exit->destroy"
           " (min %.1f, max %.1f)\n",
           loops, samples[loops / 2] / 1e3, samples[0] / 1e3,
           samples[loops - 1] / 1e3);
    free(samples);
    return 0;
}
