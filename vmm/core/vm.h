/* SPDX-License-Identifier: MIT */
/*
 * One VM: its KVM handles, guest RAM, bus, vCPUs, I/O thread and lifecycle.
 * Everything a VM owns hangs off struct vm; there is no global state, so a
 * process could hold several.
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/arch/x86/boot.h"
#include "vmm/core/bus.h"
#include "vmm/core/iothread.h"
#include "vmm/core/irq.h"
#include "vmm/core/mem.h"
#include "vmm/core/reqring.h"
#include "vmm/dev/pci_host.h"
#include "vmm/dev/pvcon.h"
#include "vmm/dev/virtio/blk.h"
#include "vmm/dev/virtio/console.h"
#include "vmm/dev/virtio/rng.h"
#include "vmm/sched/member.h"

struct kvm_run;

struct vm_disk {
    const char *path;
    bool ro;
    char name[16];          /* "vda", or the user's id= */
};

struct vm_config {
    const uint8_t *kernel;  /* ELF image bytes */
    size_t kernel_size;
    const uint8_t *initrd;  /* may be NULL */
    size_t initrd_size;
    const char *cmdline;
    uint64_t mem_size;      /* multiple of 2 MiB */
    uint32_t nr_vcpus;
    int verbose;            /* 0 quiet, 1 -v, 2 -vv */
    int console_fd;         /* where guest console output goes */
    int console_in_fd;      /* where console input comes from, or -1 */
    uint32_t console_flags; /* RV_CON_* (RV_CON_TTY: a raw-mode terminal) */
    struct vm_disk disks[RV_DEV_MAX];
    unsigned nr_disks;
    bool rng;               /* add a virtio-rng device */
    bool virtio_console;    /* stdin/stdout as a virtio-console device */
    /* The host scheduler: the board to join (NULL: the host's own threads
     * scheduling), the policy a new board gets, this VM's parameters and the
     * name it is reported under. */
    const char *sched_board;
    enum sched_policy sched_policy;
    struct sched_params sched;
    const char *name;
};

struct vcpu {
    struct vm *vm;
    uint32_t index;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool started;
    struct sched_vcpu_local sched;
};

struct vm {
    int kvm_fd;
    int fd;
    uint32_t host_kind;     /* RV_HOST_* */
    bool irqchip;           /* in-kernel LAPIC/IOAPIC */
    int verbose;
    int console_fd;
    int console_in_fd;
    struct guest_mem mem;
    struct bus bus;
    struct boot_result boot;
    struct reqring ring;
    struct pvcon con;
    struct iothread io;
    struct irq irq;         /* MSI routes and irqfds */
    int shutdown_gsi;       /* the graceful-shutdown MSI, or <= 0 */
    struct pci_host pci;
    struct vblk *blk[RV_DEV_MAX];
    unsigned nr_blk;
    struct vrng *rng;
    struct vcons *cons;
    struct vpci *vpci[RV_DEV_MAX]; /* every virtio device, in slot order */
    unsigned nr_vpci;
    struct rv_dev devs[RV_DEV_MAX]; /* what the start-info page lists */
    char why_buf[512];      /* vm_create's reason when it names a file */
    int kick_fd;            /* eventfd behind RV_PORT_KICK */
    int kick_timer_fd;      /* when to make kick_fd an ioeventfd */
    uint32_t nr_vcpus;
    struct vcpu *vcpu;
    size_t run_size;
    struct sched_member sched;  /* on the host scheduler's board when sched.map.b */

    pthread_mutex_t lock;   /* protects the fields below */
    bool stopping;
    int exit_status;
    int done_fd;            /* eventfd: the VM has ended */
    unsigned guest_errors;  /* logged guest errors, for rate limiting */
    bool paused;            /* vCPUs are to park (vm_pause) */
    uint32_t nr_parked;     /* vCPU threads parked */
    pthread_cond_t pause_cond; /* parked vCPUs wait here for resume or stop */
    pthread_cond_t parked_cond; /* vm_pause waits here for every vCPU */
    uint64_t paused_clock;  /* kvmclock at pause, restored at resume */

    /* An optional control channel vm_run serves from its thread when (ctl_fd)
     * is readable; -1 for none.  Set after vm_create(), before vm_run(). */
    int ctl_fd;
    void (*ctl_fn)(void *opaque);
    void *ctl_opaque;
};

/* Why vm_create() failed: a user error (bad image, too little memory: exit
 * status 2) or the host (KVM refused something: status 1). */
enum vm_error_kind { VM_ERR_INPUT, VM_ERR_HOST };

/*
 * Create a VM from (cfg): open /dev/kvm, allocate RAM, create vCPUs, load the
 * kernel and build the boot area.  On failure returns -errno, sets (*why) to a
 * constant reason and (*kind); nothing is left allocated.
 */
int vm_create(struct vm *vm, const struct vm_config *cfg, const char **why,
              enum vm_error_kind *kind) __attribute__((warn_unused_result));

/*
 * Run the VM until the guest powers off, fails, or (sigfd) (a signalfd, or -1)
 * delivers a signal.  Returns the exit status: the guest's poweroff status,
 * 1 after a guest failure (a diagnostic was printed), 128 + signal number.
 */
int vm_run(struct vm *vm, int sigfd);

void vm_destroy(struct vm *vm);

/* Guest-visible constants of the shutdown request (RV_FEAT_SHUTDOWN). */
#define SHUTDOWN_VECTOR 0x41
#define SHUTDOWN_GRACE_MS 5000 /* how long a guest may take before it is stopped */

/* Ask the guest to shut down gracefully; false if it cannot be asked. */
bool vm_request_shutdown(struct vm *vm);

/* End the VM with (status); the first caller wins.  Returns true for it. */
bool vm_stop(struct vm *vm, int status);

/*
 * Stop every vCPU (each parks outside KVM_RUN) and the guest clock; returns
 * once all have parked.  -EBUSY if already paused, -ESHUTDOWN if stopping.
 * From a thread other than the vCPUs' (vm_run's control channel).
 */
int vm_pause(struct vm *vm);
/* Restore the guest clock to its value at pause and release the vCPUs;
 * -EBUSY if not paused. */
int vm_resume(struct vm *vm);
bool vm_paused(struct vm *vm);
/* vcpu.c: park the calling vCPU while the VM is paused. */
void vcpu_park(struct vcpu *vcpu);

/* Log a guest error (rate-limited per VM) to stderr. */
void vm_guest_error(struct vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* vcpu.c */
void *vcpu_main(void *arg);
void vcpu_kick(struct vcpu *vcpu);
void vcpu_dump(struct vcpu *vcpu, const char *reason);

/* arch/x86: host detection and vCPU entry state. */
int arch_vm_init(struct vm *vm) __attribute__((warn_unused_result));
int arch_vcpu_init(struct vcpu *vcpu) __attribute__((warn_unused_result));
uint32_t arch_detect_host(struct vm *vm);
uint64_t arch_tsc_khz(struct vm *vm);
bool arch_gbpages(struct vm *vm);
int arch_vcpu_setup(struct vcpu *vcpu) __attribute__((warn_unused_result));
void arch_vcpu_dump(struct vcpu *vcpu);

#endif
