/* SPDX-License-Identifier: MIT */
/*
 * The scheduler board: one shared-memory file per host (the daemon's, or one
 * named with --sched-board) that every VM process on the host maps.  It holds
 * each VM's scheduling parameters and accounting and each vCPU thread's state,
 * under one process-shared lock.  There is no scheduler thread: every vCPU
 * thread runs the policy (policy.c) itself at its decision points (asking to
 * run, the end of its slice, the guest blocking or waking) and hands CPUs to
 * the others.  At most nr_cpus vCPUs across all VMs hold a grant to enter
 * KVM_RUN at once; the rest wait on a futex word in their board entry.
 *
 * Only ringvisor processes write the board; a guest never sees it.  Layout
 * changes bump SCHED_BOARD_VERSION: a process refuses a board of another
 * version rather than misread it.
 */
#ifndef VMM_SCHED_BOARD_H
#define VMM_SCHED_BOARD_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SCHED_BOARD_MAGIC 0x42535652u /* "RVSB" */
#define SCHED_BOARD_VERSION 3u
#define SCHED_MAX_VMS 512u
#define SCHED_MAX_VCPUS 2048u
#define SCHED_NAME_MAX 64u
#define SCHED_MAX_CPUS 64u    /* host CPUs a board hands out */

enum sched_policy { SCHED_CREDIT = 0, SCHED_SEDF = 1 };

/* Parameter ranges, checked by sched_params_check(). */
#define SCHED_WEIGHT_DEFAULT 256u
#define SCHED_WEIGHT_MAX 65535u
#define SCHED_PERIOD_MIN_NS 1000000ull      /* 1 ms */
#define SCHED_PERIOD_MAX_NS 10000000000ull  /* 10 s */

struct sched_params {
    uint32_t weight;    /* credit: relative share, 1..65535 */
    uint32_t cap;       /* percent of one host CPU, 0 for none */
    uint64_t slice_ns;  /* SEDF: guaranteed CPU time per period, 0 for none */
    uint64_t period_ns; /* SEDF */
    uint32_t extra;     /* SEDF: may also run on time nobody else wants */
    uint32_t pad;
};

enum sched_vstate {
    SV_FREE = 0,   /* unused entry */
    SV_OFF,        /* joined but not asking to run (paused, stopping) */
    SV_WAITING,    /* wants a CPU; sleeps on (grant) */
    SV_RUNNING,    /* holds a grant: may be in KVM_RUN */
    SV_BLOCKED,    /* the guest said it is halting: in KVM_RUN without a grant */
};

struct sched_vcpu {
    uint32_t state;     /* enum sched_vstate */
    uint32_t grant;     /* futex word: bumped whenever the entry's state is
                         * changed for it by another thread */
    int32_t vm;         /* index of its struct sched_vm */
    int32_t tid;        /* the vCPU thread, for a preemption signal */
    uint32_t preempt;   /* asked to give up its grant at the next check */
    int32_t cpu;        /* the host CPU its thread was last seen on */
    uint64_t since;     /* CLOCK_MONOTONIC ns of the last state change */
    uint64_t mark;      /* ... and of the last charge while running */
    uint64_t wake_at;   /* SV_BLOCKED: when the guest said its timer is due, or 0 */
    int32_t slot;       /* SV_RUNNING: which of the board's CPUs it holds, else -1 */
    uint32_t woken;     /* SV_WAITING after the guest woke from a halt */
};

struct sched_vm {
    uint32_t in_use;
    int32_t pid;                 /* the VM process */
    char name[SCHED_NAME_MAX];
    struct sched_params p;
    uint32_t nr_vcpus;           /* entries in use by this VM */
    uint32_t nr_running;         /* of them holding a grant */
    uint32_t nr_waiting;
    uint32_t first_vcpu;         /* its entries are first_vcpu.. + nr_vcpus */
    /* Accounting, all by timestamps of actual CPU time (thread CPU clocks). */
    uint64_t used_ns;            /* CPU time consumed since joining */
    uint64_t wait_ns;            /* time its vCPUs wanted a CPU and had none */
    uint64_t joined;             /* CLOCK_MONOTONIC ns */
    uint64_t vtime;              /* credit: CPU time scaled by 256/weight */
    uint64_t cap_start, cap_used;/* the current cap window */
    uint64_t deadline, left;     /* SEDF: end of the current period, guaranteed
                                  * time left in it */
};

struct sched_board {
    uint32_t magic, version;
    uint32_t size;               /* sizeof(struct sched_board) */
    uint32_t policy;             /* enum sched_policy, host-wide */
    uint32_t nr_cpus;            /* grants that may be held at once: one per CPU */
    uint32_t nr_running;
    uint32_t hw_vm, hw_vcpu;     /* scans stop at these high-water marks */
    uint64_t vclock;             /* credit: the virtual time of the busiest
                                  * demand; a waking VM starts near it */
    int32_t cpu_id[SCHED_MAX_CPUS];  /* the host CPU of each grant slot */
    int32_t slot_vcpu[SCHED_MAX_CPUS]; /* the entry holding each slot, or -1 */
    pthread_mutex_t lock;        /* robust and process-shared */
    struct sched_vm vm[SCHED_MAX_VMS];
    struct sched_vcpu vcpu[SCHED_MAX_VCPUS];
};

/* A process's view of a board. */
struct sched_map {
    struct sched_board *b;
    int fd;
};

/*
 * Open the board at (path), creating and initialising it (policy, the CPUs
 * of this process's affinity) if it does not exist or is empty.  An existing
 * board keeps its policy and CPUs.  Returns 0 or -errno with (*why) set.
 */
int sched_board_open(struct sched_map *m, const char *path, enum sched_policy policy,
                     const char **why) __attribute__((warn_unused_result));
void sched_board_close(struct sched_map *m);
/* Initialise the board at (b) (also for unit tests, on private memory)
 * with host CPUs 0..nr_cpus-1. */
int sched_board_init(struct sched_board *b, enum sched_policy policy, uint32_t nr_cpus);
/* Hand out the CPUs this process may use (its affinity); lock held, no VM
 * running.  Returns how many. */
uint32_t sched_board_take_cpus(struct sched_board *b);

/* Take and drop the board lock; a holder that died is recovered from. */
void sched_lock(struct sched_board *b);
void sched_unlock(struct sched_board *b);

/* NULL if (p) is valid for (policy), else what is wrong with it. */
const char *sched_params_check(const struct sched_params *p);
void sched_params_default(struct sched_params *p);

/*
 * SEDF admission, lock held: NULL if a VM with (nr_vcpus) vCPUs and
 * parameters (p) fits beside the guarantees already given (all of them at
 * most the board's CPUs, each at most its vCPUs), else why not.  (self) is
 * the VM being changed, -1 for a new one.  Under credit, guarantees are not
 * in force and everything fits.
 */
const char *sched_admit(const struct sched_board *b, int self, const struct sched_params *p,
                        uint32_t nr_vcpus);
/* The same rule given the guarantees (held) already promised elsewhere. */
const char *sched_admit_sum(const struct sched_board *b, double held,
                            const struct sched_params *p, uint32_t nr_vcpus);
/* slice / period: the share of one CPU a guarantee takes (0 without one). */
double sched_utilisation(const struct sched_params *p);

/*
 * With the lock held: add a VM (pid, name) with (nr_vcpus) vCPU entries, all
 * SV_OFF; returns its index and the first vCPU entry in (*first_vcpu), or
 * -ENOSPC, or -EBUSY when its SEDF guarantee does not fit (sched_admit).
 * sched_leave() frees them, handing on any grants.
 */
int sched_join(struct sched_board *b, pid_t pid, const char *name,
               const struct sched_params *p, uint32_t nr_vcpus, uint64_t now,
               int *first_vcpu);
void sched_leave(struct sched_board *b, int vm, uint64_t now);

/* With the lock held: free the entries of VM processes that no longer exist.
 * Returns how many VMs were reaped. */
int sched_reap(struct sched_board *b, uint64_t now);

/* Futex wakes and preemption signals between VM processes (board.c). */
struct sched_ops;
extern const struct sched_ops sched_host_ops;

/* The signal that tells a vCPU thread to check the scheduler: blocked
 * outside KVM_RUN and taken by it inside (KVM_SET_SIGNAL_MASK). */
#define SCHED_SIGNAL SIGUSR2

/*
 * The host CPU of the slot running entry (vcpu) holds, or -1 (not running,
 * or a one-CPU board where there is nothing to choose); and pinning thread
 * (tid) (0: the caller) to CPU (cpu), best effort: a CPU outside the
 * thread's allowed set is refused and it runs where the host puts it.
 */
int sched_slot_cpu(const struct sched_board *b, int vcpu);
void sched_pin(pid_t tid, int cpu);

/* Find a VM by process id; -1 if none. */
int sched_find_pid(const struct sched_board *b, pid_t pid);

uint64_t sched_now(void);

#endif
