// SPDX-License-Identifier: MIT
/* VM lifecycle: create (KVM, RAM, vCPUs, boot area, devices), run, destroy. */
#include "vmm/core/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "abi/rv_abi.h"
#include "abi/rv_ring.h"
#include "vmm/core/hcall.h"
#include "vmm/core/loader.h"

#define GUEST_ERROR_LOG_MAX 10

static void vm_guest_verror(struct vm *vm, const char *fmt, va_list ap)
{
    unsigned n;

    pthread_mutex_lock(&vm->lock);
    n = vm->guest_errors++;
    pthread_mutex_unlock(&vm->lock);
    if (n > GUEST_ERROR_LOG_MAX && vm->verbose < 2)
        return;
    if (n == GUEST_ERROR_LOG_MAX && vm->verbose < 2) {
        fprintf(stderr, "ringvisor: guest error: further guest errors not logged\n");
        return;
    }
    fprintf(stderr, "ringvisor: guest error: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void vm_guest_error(struct vm *vm, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vm_guest_verror(vm, fmt, ap);
    va_end(ap);
}

/* The same, as devices call it (they know no struct vm). */
static void dev_guest_error(void *opaque, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vm_guest_verror(opaque, fmt, ap);
    va_end(ap);
}

bool vm_stop(struct vm *vm, int status)
{
    bool first;
    uint64_t one = 1;

    pthread_mutex_lock(&vm->lock);
    first = !vm->stopping;
    if (first) {
        vm->stopping = true;
        vm->exit_status = status;
    }
    /* Parked vCPUs and a waiting vm_pause() must see the stop. */
    pthread_cond_broadcast(&vm->pause_cond);
    pthread_cond_broadcast(&vm->parked_cond);
    pthread_mutex_unlock(&vm->lock);
    if (first && write(vm->done_fd, &one, sizeof(one)) < 0) {
        /* eventfd writes fail only on counter overflow: cannot happen once */
    }
    return first;
}

/* ---- console and request ring ------------------------------------------ */

static int write_all(int fd, const uint8_t *buf, uint64_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -errno;
        buf += n;
        len -= (uint64_t)n;
    }
    return 0;
}

static int ring_console(void *opaque, const uint8_t *buf, uint32_t len)
{
    struct vm *vm = opaque;

    return write_all(vm->console_fd, buf, len);
}

static void vm_drain_ring(struct vm *vm)
{
    if (reqring_drain(&vm->ring) == -EPROTO)
        vm_guest_error(vm, "%s; request ring no longer served", vm->ring.why);
}

static void on_kick(void *opaque)
{
    struct vm *vm = opaque;

    vm_drain_ring(vm);
    /* The guest also kicks after emptying a full console-input ring. */
    pvcon_kick(&vm->con);
}

/* ---- hypercalls --------------------------------------------------------- */

static int64_t hc_console(void *opaque, const uint8_t *buf, uint64_t len)
{
    struct vm *vm = opaque;

    /* Keep order with output the guest queued on the ring before. */
    vm_drain_ring(vm);
    return write_all(vm->console_fd, buf, len) ? -RV_EINVAL : (int64_t)len;
}

static void hc_wallclock(void *opaque, uint64_t *realtime_ns, uint64_t *kvmclock_ns)
{
    struct vm *vm = opaque;
    struct kvm_clock_data c = { 0 };
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ioctl(vm->fd, KVM_GET_CLOCK, &c) < 0)
        c.clock = 0;
    *kvmclock_ns = c.clock;
    *realtime_ns = (c.flags & KVM_CLOCK_REALTIME)
                       ? c.realtime
                       : (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const struct hcall_ops vm_hcall_ops = {
    .console = hc_console,
    .wallclock = hc_wallclock,
};

static int port_hcall(struct vcpu *vcpu, void *opaque, uint64_t port,
                      uint8_t *data, uint32_t len, bool is_write)
{
    struct vm *vm = opaque;
    struct hcall_env env = { .mem = &vm->mem, .ops = &vm_hcall_ops, .opaque = vm };
    uint32_t value;

    (void)vcpu;
    if (!is_write || len != 4 || port != RV_PORT_HCALL) {
        vm_guest_error(vm, "hypercall port accessed with %s of %u bytes at %#lx",
                       is_write ? "write" : "read", len, (unsigned long)port);
        if (!is_write)
            memset(data, 0xff, len);
        return 0;
    }
    memcpy(&value, data, 4);
    if (hcall_handle(&env, value) < 0)
        vm_guest_error(vm, "hypercall block at GPA %#llx is outside guest RAM",
                       (unsigned long long)value << 4);
    else if (env.nr_errors)
        vm_guest_error(vm, "hypercall: %s", env.last_error);
    if (env.poweroff) {
        /* Everything the guest printed before powering off goes out first. */
        vm_drain_ring(vm);
        vm_stop(vm, env.exit_status);
    }
    return 0;
}

/* RV_PORT_KICK while it is not (yet) an ioeventfd: drain inline. */
static int port_kick(struct vcpu *vcpu, void *opaque, uint64_t port,
                     uint8_t *data, uint32_t len, bool is_write)
{
    (void)vcpu, (void)port, (void)data, (void)len, (void)is_write;
    vm_drain_ring(opaque);
    return 0;
}

/* The guest's idle notices (RV_FEAT_SCHED); anything else is ignored. */
static int port_sched(struct vcpu *vcpu, void *opaque, uint64_t port,
                      uint8_t *data, uint32_t len, bool is_write)
{
    struct vm *vm = opaque;

    (void)port;
    if (!is_write) {
        /* inl: a block that answers whether the wake notice is wanted. */
        uint32_t r = RV_SCHED_R_WAKE, us = 0;
        struct kvm_regs regs;

        if (len == 4 && ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0) {
            us = (uint32_t)regs.rbx;
            r = sched_vcpu_block(&vm->sched, &vcpu->sched, us, true) ? RV_SCHED_R_WAKE : 0;
        }
        memset(data, 0, len);
        memcpy(data, &r, len < 4 ? len : 4);
        return 0;
    }
    uint32_t v = 0;

    if (len == 1 || len == 4)
        memcpy(&v, data, len); /* x86 is little-endian: the low byte first */
    if ((v & RV_SCHED_OP_MASK) == RV_SCHED_BLOCK)
        (void)sched_vcpu_block(&vm->sched, &vcpu->sched, v >> RV_SCHED_US_SHIFT, false);
    else if ((v & RV_SCHED_OP_MASK) == RV_SCHED_WAKE)
        sched_vcpu_wake(&vm->sched, &vcpu->sched);
    return 0;
}

/*
 * The doorbell starts as an exit to us and becomes an ioeventfd (~3 us, no
 * exit) once the VM has lived KICK_IOEVENTFD_DELAY_MS.  Registering an
 * ioeventfd starts an SRCU grace period that VM teardown must then wait for
 * (~15-20 ms measured on kvm_pvm), which would triple the cost of a VM that
 * boots, prints and exits in a few milliseconds.
 */
#define KICK_IOEVENTFD_DELAY_MS 50

static void on_kick_timer(void *opaque)
{
    struct vm *vm = opaque;
    struct kvm_ioeventfd kick = {
        .addr = RV_PORT_KICK, .len = 1, .flags = KVM_IOEVENTFD_FLAG_PIO, .fd = vm->kick_fd };

    if (ioctl(vm->fd, KVM_IOEVENTFD, &kick) < 0 && vm->verbose)
        fprintf(stderr, "ringvisor: no ioeventfd for the doorbell (%s): kicks stay exits\n",
                strerror(errno));
    for (unsigned i = 0; i < vm->nr_vpci; i++) {
        int err = vpci_use_ioeventfds(vm->vpci[i]);

        if (err && vm->verbose)
            fprintf(stderr, "ringvisor: %s: no ioeventfds (%s): queue kicks stay exits\n",
                    vm->vpci[i]->name, strerror(-err));
    }
}

/* The PCI bus and the virtio devices the configuration asks for.  Before
 * the boot area is built: the start-info page lists them. */
static int vm_pci_create(struct vm *vm, const struct vm_config *cfg, const char **why,
                         enum vm_error_kind *kind)
{
    struct vpci_env env = { .mem = &vm->mem, .irq = &vm->irq, .io = &vm->io, .vm_fd = vm->fd,
                            .guest_error = dev_guest_error, .opaque = vm };
    int err;

    *why = "cannot set up the PCI bus";
    err = pci_host_init(&vm->pci, &vm->bus);
    for (unsigned i = 0; !err && i < cfg->nr_disks; i++) {
        const struct vm_disk *d = &cfg->disks[i];
        const char *disk_why = NULL;

        err = vblk_create(&vm->blk[i], d->path, d->ro, d->name, &env, &vm->pci, &disk_why);
        if (err) {
            snprintf(vm->why_buf, sizeof(vm->why_buf), "disk '%s': %s", d->path, disk_why);
            *why = vm->why_buf;
            *kind = err == -ENOMEM || err == -ENOSPC ? VM_ERR_HOST : VM_ERR_INPUT;
            return err;
        }
        vm->nr_blk++;
        vm->vpci[vm->nr_vpci++] = &vm->blk[i]->pci;
    }
    if (!err && cfg->virtio_console) {
        *why = "cannot set up virtio-console";
        err = vcons_create(&vm->cons, cfg->console_in_fd, cfg->console_fd, &env, &vm->pci);
        if (!err)
            vm->vpci[vm->nr_vpci++] = &vm->cons->pci;
    }
    if (!err && cfg->rng) {
        *why = "cannot set up virtio-rng";
        err = vrng_create(&vm->rng, &env, &vm->pci);
        if (!err)
            vm->vpci[vm->nr_vpci++] = &vm->rng->pci;
    }
    for (unsigned i = 0; !err && i < vm->nr_vpci; i++)
        vpci_describe(vm->vpci[i], &vm->devs[i]);
    return err;
}

static int vm_devices_init(struct vm *vm, const char **why)
{
    struct itimerspec when = { .it_value.tv_nsec = KICK_IOEVENTFD_DELAY_MS * 1000000l };
    int err;

    *why = "cannot set up the hypercall and request-ring ports";
    err = bus_register(&vm->bus, BUS_PIO, RV_PORT_HCALL, 4, port_hcall, vm);
    if (!err)
        err = bus_register(&vm->bus, BUS_PIO, RV_PORT_KICK, 1, port_kick, vm);
    if (!err)
        err = reqring_init(&vm->ring, &vm->mem, vm->boot.req_ring, ring_console, vm);
    if (err)
        return err;
    vm->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    vm->kick_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (vm->kick_fd < 0 || vm->kick_timer_fd < 0)
        return -errno;
    if (timerfd_settime(vm->kick_timer_fd, 0, &when, NULL) < 0)
        return -errno;
    err = iothread_add(&vm->io, vm->kick_fd, on_kick, vm);
    if (!err)
        err = iothread_add(&vm->io, vm->kick_timer_fd, on_kick_timer, vm);
    if (!err && vm->irqchip) {
        *why = "cannot set up the shutdown event (MSI routing, irqfd)";
        vm->shutdown_gsi = irq_alloc(&vm->irq);
        err = vm->shutdown_gsi < 0 ? vm->shutdown_gsi
                                   : irq_route(&vm->irq, vm->shutdown_gsi, true, 0xfee00000u,
                                               SHUTDOWN_VECTOR);
    }
    if (!err && vm->boot.con_in) {
        *why = "cannot set up console input (MSI routing, irqfd)";
        err = pvcon_init(&vm->con, &vm->irq, &vm->mem, vm->boot.con_in, PVCON_VECTOR,
                         vm->console_in_fd, &vm->io);
    }
    return err;
}

/* ---- create / destroy --------------------------------------------------- */

static int vm_create_vcpus(struct vm *vm)
{
    int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

    if (sz < 0)
        return -errno;
    vm->run_size = (size_t)sz;
    vm->vcpu = calloc(vm->nr_vcpus, sizeof(*vm->vcpu));
    if (!vm->vcpu)
        return -ENOMEM;
    for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
        struct vcpu *v = &vm->vcpu[i];

        v->vm = vm;
        v->index = i;
        v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
        if (v->fd < 0)
            return -errno;
        v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
        if (v->run == MAP_FAILED) {
            v->run = NULL;
            return -errno;
        }
        int err = arch_vcpu_init(v);
        if (err)
            return err;
    }
    return 0;
}

static int vm_load(struct vm *vm, const struct vm_config *cfg, const char **why,
                   enum vm_error_kind *kind)
{
    struct elf_image img;
    struct kvm_clock_data clk = { 0 };
    struct boot_config bc = {
        .nr_vcpus = vm->nr_vcpus, .cmdline = cfg->cmdline ? cfg->cmdline : "",
        .initrd = cfg->initrd, .initrd_size = cfg->initrd_size,
        /* Input arrives as an MSI, which needs the in-kernel local APIC;
         * with virtio-console, stdin is that device's. */
        .con_in = vm->irqchip && !cfg->virtio_console, .con_in_vector = PVCON_VECTOR,
        .shutdown_vector = vm->irqchip ? SHUTDOWN_VECTOR : 0,
        .con_flags = cfg->console_flags,
        .devs = vm->devs, .nr_devs = vm->nr_vpci,
    };
    struct timespec ts;
    int err;

    *kind = VM_ERR_INPUT;
    err = elf_parse(cfg->kernel, cfg->kernel_size, &img, why);
    if (err)
        return err;
    err = elf_load(&vm->mem, &img, cfg->kernel);
    if (err) {
        *why = "kernel image does not fit in guest memory";
        return err;
    }
    bc.host_kind = vm->host_kind;
    bc.gbpages = arch_gbpages(vm);
    bc.tsc_khz = arch_tsc_khz(vm);
    bc.features = RV_FEAT_KVMCLOCK;
    if (vm->sched.map.b)
        bc.features |= RV_FEAT_SCHED;
    if (vm->irqchip)
        bc.features |= RV_FEAT_LAPIC | RV_FEAT_TSC_DEADLINE;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ioctl(vm->fd, KVM_GET_CLOCK, &clk) == 0) {
        bc.kvmclock_ns = clk.clock;
        bc.realtime_ns = (clk.flags & KVM_CLOCK_REALTIME)
                             ? clk.realtime
                             : (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    }
    return boot_build(&vm->mem, &img, &bc, &vm->boot, why);
}

int vm_create(struct vm *vm, const struct vm_config *cfg, const char **why,
              enum vm_error_kind *kind)
{
    int err;

    memset(vm, 0, sizeof(*vm));
    vm->kvm_fd = vm->fd = vm->kick_fd = vm->kick_timer_fd = vm->done_fd = -1;
    vm->io.epfd = vm->io.stopfd = -1;
    vm->mem.memfd = -1;
    vm->verbose = cfg->verbose;
    vm->console_fd = cfg->console_fd;
    vm->console_in_fd = cfg->console_in_fd;
    vm->nr_vcpus = cfg->nr_vcpus;
    vm->ctl_fd = -1;
    pthread_mutex_init(&vm->lock, NULL);
    pthread_cond_init(&vm->pause_cond, NULL);
    pthread_cond_init(&vm->parked_cond, NULL);
    irq_init(&vm->irq, -1);
    *kind = VM_ERR_HOST;

    vm->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (vm->done_fd < 0) {
        err = -errno;
        *why = "eventfd";
        goto fail;
    }
    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0) {
        err = -errno;
        *why = errno == ENOENT ? "/dev/kvm does not exist (is KVM available?)"
               : errno == EACCES || errno == EPERM
                   ? "no permission to open /dev/kvm (join group kvm, or run as root)"
                   : "cannot open /dev/kvm";
        *kind = VM_ERR_INPUT;
        goto fail;
    }
    vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->fd < 0) {
        err = -errno;
        *why = "KVM_CREATE_VM failed";
        goto fail;
    }
    vm->irq.vm_fd = vm->fd;
    err = arch_vm_init(vm);
    if (err) {
        *why = "cannot set up the VM (irqchip, TSS)";
        goto fail;
    }
    err = mem_create(&vm->mem, cfg->mem_size);
    if (err) {
        *why = "cannot allocate guest memory";
        goto fail;
    }
    for (int i = 0; i < vm->mem.nr_regions; i++) {
        struct kvm_userspace_memory_region r = {
            .slot = (uint32_t)i, .guest_phys_addr = vm->mem.region[i].gpa,
            .memory_size = vm->mem.region[i].size,
            .userspace_addr = (uintptr_t)(vm->mem.host + vm->mem.region[i].host_off),
        };
        if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
            err = -errno;
            *why = "KVM_SET_USER_MEMORY_REGION failed";
            goto fail;
        }
    }
    err = vm_create_vcpus(vm);
    if (err) {
        *why = "cannot create vCPUs";
        goto fail;
    }
    vm->host_kind = arch_detect_host(vm);
    if (cfg->sched_board) {
        err = sched_member_join(&vm->sched, cfg->sched_board, cfg->sched_policy, cfg->name,
                                &cfg->sched, vm->nr_vcpus, why);
        if (err) {
            *kind = VM_ERR_INPUT;
            goto fail;
        }
        err = bus_register(&vm->bus, BUS_PIO, RV_PORT_SCHED, 4, port_sched, vm);
        if (err) {
            *why = "cannot register the scheduler port";
            goto fail;
        }
    }
    err = iothread_init(&vm->io);
    if (err) {
        *why = "cannot start the I/O thread";
        goto fail;
    }
    err = vm_pci_create(vm, cfg, why, kind);
    if (err)
        goto fail;
    err = vm_load(vm, cfg, why, kind);
    if (err)
        goto fail;
    *kind = VM_ERR_HOST;
    err = vm_devices_init(vm, why);
    if (err)
        goto fail;
    for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
        err = arch_vcpu_setup(&vm->vcpu[i]);
        if (err) {
            *why = "cannot set the vCPU entry state";
            goto fail;
        }
    }
    return 0;

fail:
    vm_destroy(vm);
    return err;
}

void vm_destroy(struct vm *vm)
{
    if (vm->io.epfd >= 0)
        iothread_exit(&vm->io);
    vm->io.epfd = -1;
    for (unsigned i = 0; i < vm->nr_blk; i++)
        vblk_destroy(vm->blk[i]);
    vm->nr_blk = 0;
    vrng_destroy(vm->rng);
    vm->rng = NULL;
    vcons_destroy(vm->cons);
    vm->cons = NULL;
    vm->nr_vpci = 0;
    reqring_exit(&vm->ring);
    for (uint32_t i = 0; vm->vcpu && i < vm->nr_vcpus; i++) {
        if (vm->vcpu[i].run)
            munmap(vm->vcpu[i].run, vm->run_size);
        if (vm->vcpu[i].fd > 0)
            close(vm->vcpu[i].fd);
    }
    free(vm->vcpu);
    vm->vcpu = NULL;
    sched_member_leave(&vm->sched);
    mem_destroy(&vm->mem);
    if (vm->kick_fd >= 0)
        close(vm->kick_fd);
    if (vm->kick_timer_fd >= 0)
        close(vm->kick_timer_fd);
    irq_exit(&vm->irq);
    if (vm->fd >= 0)
        close(vm->fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    if (vm->done_fd >= 0)
        close(vm->done_fd);
    vm->kick_fd = vm->kick_timer_fd = vm->fd = vm->kvm_fd = vm->done_fd = -1;
    pthread_cond_destroy(&vm->pause_cond);
    pthread_cond_destroy(&vm->parked_cond);
    pthread_mutex_destroy(&vm->lock);
}

/* ---- pause / resume ----------------------------------------------------- */

bool vm_paused(struct vm *vm)
{
    bool p;

    pthread_mutex_lock(&vm->lock);
    p = vm->paused;
    pthread_mutex_unlock(&vm->lock);
    return p;
}

int vm_pause(struct vm *vm)
{
    struct kvm_clock_data clk = { 0 };
    uint32_t started = 0;
    int err = 0;

    pthread_mutex_lock(&vm->lock);
    if (vm->stopping || vm->paused) {
        err = vm->stopping ? -ESHUTDOWN : -EBUSY;
        pthread_mutex_unlock(&vm->lock);
        return err;
    }
    vm->paused = true;
    pthread_mutex_unlock(&vm->lock);
    for (uint32_t i = 0; i < vm->nr_vcpus; i++)
        if (vm->vcpu[i].started) {
            vcpu_kick(&vm->vcpu[i]);
            started++;
        }
    pthread_mutex_lock(&vm->lock);
    while (vm->nr_parked < started && !vm->stopping)
        pthread_cond_wait(&vm->parked_cond, &vm->lock);
    pthread_mutex_unlock(&vm->lock);
    /* Every vCPU is out of KVM_RUN: the clock read now is where the guest
     * stopped, and resume puts it back there. */
    if (ioctl(vm->fd, KVM_GET_CLOCK, &clk) == 0)
        vm->paused_clock = clk.clock;
    return 0;
}

int vm_resume(struct vm *vm)
{
    struct kvm_clock_data clk = { .clock = vm->paused_clock };

    pthread_mutex_lock(&vm->lock);
    if (!vm->paused) {
        pthread_mutex_unlock(&vm->lock);
        return -EBUSY;
    }
    pthread_mutex_unlock(&vm->lock);
    /* KVM makes each vCPU refresh its kvmclock page before it next runs. */
    if (vm->paused_clock && ioctl(vm->fd, KVM_SET_CLOCK, &clk) < 0 && vm->verbose)
        fprintf(stderr, "ringvisor: KVM_SET_CLOCK: %s: guest clock jumps\n", strerror(errno));
    pthread_mutex_lock(&vm->lock);
    vm->paused = false;
    pthread_cond_broadcast(&vm->pause_cond);
    pthread_mutex_unlock(&vm->lock);
    return 0;
}

/* ---- run ---------------------------------------------------------------- */

static void on_kick_signal(int sig)
{
    (void)sig; /* only interrupts KVM_RUN */
}

/*
 * Ask the guest to shut down: an MSI, if it said it handles one (ringos then
 * sends SIGTERM to its processes and powers off when process 1 ends).
 * Returns false if it did not, and the caller must stop the VM itself.
 */
bool vm_request_shutdown(struct vm *vm)
{
    const struct rv_req_ring *r = mem_gpa(&vm->mem, vm->boot.req_ring, sizeof(*r));

    if (vm->shutdown_gsi <= 0 || !r ||
        !(__atomic_load_n(&r->guest_flags, __ATOMIC_ACQUIRE) & RV_GUEST_SHUTDOWN))
        return false;
    irq_raise(&vm->irq, vm->shutdown_gsi);
    return true;
}

int vm_run(struct vm *vm, int sigfd)
{
    int timeout = -1; /* ms, once a graceful shutdown is under way */
    struct sigaction sa = { .sa_handler = on_kick_signal };
    struct pollfd pfd[3] = { { .fd = vm->done_fd, .events = POLLIN },
                             { .fd = sigfd, .events = POLLIN },
                             { .fd = vm->ctl_fd, .events = POLLIN } };
    int err;

    sigaction(SIGUSR1, &sa, NULL);
    if (vm->sched.map.b) {
        sigset_t s;

        /* The scheduler's signal goes to vCPU threads, which take it only
         * inside KVM_RUN; every other thread keeps it blocked. */
        sigaction(SCHED_SIGNAL, &sa, NULL);
        sigemptyset(&s);
        sigaddset(&s, SCHED_SIGNAL);
        pthread_sigmask(SIG_BLOCK, &s, NULL);
    }
    if (vm->con.file)
        pvcon_fill(&vm->con); /* unpollable input: the first chunk, before threads */
    err = iothread_start(&vm->io);
    if (err) {
        fprintf(stderr, "ringvisor: cannot start the I/O thread: %s\n", strerror(-err));
        return 1;
    }
    for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
        err = pthread_create(&vm->vcpu[i].thread, NULL, vcpu_main, &vm->vcpu[i]);
        if (err) {
            fprintf(stderr, "ringvisor: cannot start vCPU %u: %s\n", i, strerror(err));
            vm_stop(vm, 1);
            break;
        }
        vm->vcpu[i].started = true;
    }
    for (;;) {
        /* A negative fd is ignored by poll(): no signalfd, no channel. */
        int n = poll(pfd, 3, timeout);

        if (n < 0 && errno != EINTR)
            break;
        if (n == 0) {
            /* The guest did not finish in time: stop it as SIGTERM would. */
            vm_stop(vm, 128 + SIGTERM);
            break;
        }
        if (pfd[0].revents)
            break;
        if (vm->ctl_fd >= 0 && pfd[2].revents)
            vm->ctl_fn(vm->ctl_opaque);
        if (sigfd >= 0 && pfd[1].revents) {
            struct signalfd_siginfo si;

            if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
                /* The first SIGTERM is a request the guest may honour (a
                 * stop from the daemon is one); another signal, or the
                 * same one again, ends the VM now. */
                if (si.ssi_signo == SIGTERM && timeout < 0 && vm_request_shutdown(vm)) {
                    if (vm->verbose)
                        fprintf(stderr, "ringvisor: SIGTERM: asked the guest to shut down\n");
                    timeout = SHUTDOWN_GRACE_MS;
                    continue;
                }
                if (vm->verbose)
                    fprintf(stderr, "ringvisor: signal %u: stopping the VM\n", si.ssi_signo);
                vm_stop(vm, 128 + (int)si.ssi_signo);
                break;
            }
        }
    }
    for (uint32_t i = 0; i < vm->nr_vcpus; i++)
        if (vm->vcpu[i].started)
            vcpu_kick(&vm->vcpu[i]);
    for (uint32_t i = 0; i < vm->nr_vcpus; i++)
        if (vm->vcpu[i].started)
            pthread_join(vm->vcpu[i].thread, NULL);
    vm_drain_ring(vm);
    return vm->exit_status;
}
