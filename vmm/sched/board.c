// SPDX-License-Identifier: MIT
/* The shared scheduler board: the file, its lock, joining and leaving (board.h). */
#include "vmm/sched/board.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vmm/sched/policy.h"

uint64_t sched_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int sched_board_init(struct sched_board *b, enum sched_policy policy, uint32_t nr_cpus)
{
    pthread_mutexattr_t a;
    int err;

    memset(b, 0, sizeof(*b));
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    /* A VM process killed while holding the lock must not stop the host. */
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    err = pthread_mutex_init(&b->lock, &a);
    pthread_mutexattr_destroy(&a);
    if (err)
        return -err;
    b->size = sizeof(*b);
    b->policy = policy;
    b->nr_cpus = nr_cpus ? (nr_cpus < SCHED_MAX_CPUS ? nr_cpus : SCHED_MAX_CPUS) : 1;
    for (uint32_t i = 0; i < SCHED_MAX_CPUS; i++) {
        b->cpu_id[i] = (int32_t)i;
        b->slot_vcpu[i] = -1;
    }
    b->version = SCHED_BOARD_VERSION;
    __atomic_store_n(&b->magic, SCHED_BOARD_MAGIC, __ATOMIC_RELEASE);
    return 0;
}

uint32_t sched_board_take_cpus(struct sched_board *b)
{
    cpu_set_t set;
    uint32_t n = 0;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        for (int c = 0; c < CPU_SETSIZE && n < SCHED_MAX_CPUS; c++)
            if (CPU_ISSET(c, &set))
                b->cpu_id[n++] = c;
    if (n == 0)
        b->cpu_id[n++] = 0;
    b->nr_cpus = n;
    for (uint32_t i = 0; i < SCHED_MAX_CPUS; i++)
        b->slot_vcpu[i] = -1;
    return n;
}

int sched_board_open(struct sched_map *m, const char *path, enum sched_policy policy,
                     const char **why)
{
    struct stat st;
    void *p;
    int fd, err;

    m->b = NULL;
    m->fd = -1;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return *why = "cannot open the scheduler board", -errno;
    /* Two processes creating the board at once: the first initialises it. */
    if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
        err = -errno;
        *why = "cannot lock the scheduler board";
        goto fail;
    }
    if (st.st_size == 0 && ftruncate(fd, sizeof(struct sched_board)) < 0) {
        err = -errno;
        *why = "cannot size the scheduler board";
        goto fail;
    }
    if (st.st_size != 0 && st.st_size != (off_t)sizeof(struct sched_board)) {
        err = -EINVAL;
        *why = "not a scheduler board of this ringvisor version (wrong size)";
        goto fail;
    }
    p = mmap(NULL, sizeof(struct sched_board), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        err = -errno;
        *why = "cannot map the scheduler board";
        goto fail;
    }
    m->b = p;
    if (st.st_size == 0) {
        err = sched_board_init(m->b, policy, 1);
        if (err) {
            *why = "cannot initialise the scheduler board's lock";
            goto fail;
        }
        sched_board_take_cpus(m->b);
    } else if (m->b->magic != SCHED_BOARD_MAGIC || m->b->version != SCHED_BOARD_VERSION ||
               m->b->size != sizeof(struct sched_board) || m->b->nr_cpus == 0 ||
               m->b->nr_cpus > SCHED_MAX_CPUS ||
               m->b->policy > SCHED_SEDF || m->b->hw_vm > SCHED_MAX_VMS ||
               m->b->hw_vcpu > SCHED_MAX_VCPUS) {
        err = -EINVAL;
        *why = "not a scheduler board of this ringvisor version";
        goto fail;
    }
    flock(fd, LOCK_UN);
    m->fd = fd;
    return 0;
fail:
    if (m->b)
        munmap(m->b, sizeof(struct sched_board));
    m->b = NULL;
    close(fd);
    return err;
}

void sched_board_close(struct sched_map *m)
{
    if (m->b)
        munmap(m->b, sizeof(struct sched_board));
    if (m->fd >= 0)
        close(m->fd);
    m->b = NULL;
    m->fd = -1;
}

void sched_lock(struct sched_board *b)
{
    if (pthread_mutex_lock(&b->lock) == EOWNERDEAD) {
        /* Its holder died mid-update: the counters may be off by its
         * entries, which reaping the dead process frees. */
        pthread_mutex_consistent(&b->lock);
        sched_reap(b, sched_now());
    }
}

void sched_unlock(struct sched_board *b)
{
    pthread_mutex_unlock(&b->lock);
}

void sched_params_default(struct sched_params *p)
{
    memset(p, 0, sizeof(*p));
    p->weight = SCHED_WEIGHT_DEFAULT;
}

const char *sched_params_check(const struct sched_params *p)
{
    if (p->weight < 1 || p->weight > SCHED_WEIGHT_MAX)
        return "weight must be 1..65535";
    if (p->cap > 100u * SCHED_MAX_VCPUS)
        return "cap must be a percentage of one CPU, 0 for none";
    if (!p->slice_ns && !p->period_ns)
        return NULL;
    if (!p->period_ns)
        return "period: needed with a slice (1 ms..10 s)";
    if (!p->slice_ns)
        return "slice: needed with a period";
    if (p->period_ns < SCHED_PERIOD_MIN_NS || p->period_ns > SCHED_PERIOD_MAX_NS)
        return "period must be 1 ms..10 s";
    if (p->slice_ns > p->period_ns)
        return "slice must be at most the period";
    return NULL;
}

double sched_utilisation(const struct sched_params *p)
{
    return p->slice_ns ? (double)p->slice_ns / (double)p->period_ns : 0;
}

const char *sched_admit_sum(const struct sched_board *b, double held,
                            const struct sched_params *p, uint32_t nr_vcpus)
{
    double want = sched_utilisation(p);

    if (b->policy != SCHED_SEDF || !p->slice_ns)
        return NULL;
    if (want > nr_vcpus)
        return "the guarantee is more than its vCPUs can use (slice/period > vCPUs)";
    if (held + want > b->nr_cpus + 1e-9)
        return "the host's CPUs are already promised: the guarantees of all VMs "
               "(slice/period) may add up to the number of CPUs at most";
    return NULL;
}

const char *sched_admit(const struct sched_board *b, int self, const struct sched_params *p,
                        uint32_t nr_vcpus)
{
    double held = 0;

    for (uint32_t i = 0; i < b->hw_vm && i < SCHED_MAX_VMS; i++)
        if (b->vm[i].in_use && (int)i != self)
            held += sched_utilisation(&b->vm[i].p);
    return sched_admit_sum(b, held, p, nr_vcpus);
}

int sched_join(struct sched_board *b, pid_t pid, const char *name,
               const struct sched_params *p, uint32_t nr_vcpus, uint64_t now,
               int *first_vcpu)
{
    uint32_t vm, run = 0, first = 0;

    if (sched_admit(b, -1, p, nr_vcpus))
        return -EBUSY;
    for (vm = 0; vm < SCHED_MAX_VMS && b->vm[vm].in_use; vm++)
        ;
    if (vm == SCHED_MAX_VMS || nr_vcpus == 0)
        return -ENOSPC;
    for (uint32_t i = 0; i < SCHED_MAX_VCPUS && run < nr_vcpus; i++) {
        if (b->vcpu[i].state != SV_FREE) {
            run = 0;
            continue;
        }
        if (run++ == 0)
            first = i;
    }
    if (run < nr_vcpus)
        return -ENOSPC;

    struct sched_vm *v = &b->vm[vm];

    memset(v, 0, sizeof(*v));
    v->in_use = 1;
    v->pid = pid;
    strncpy(v->name, name ? name : "", sizeof(v->name) - 1);
    v->p = *p;
    v->nr_vcpus = nr_vcpus;
    v->first_vcpu = first;
    v->joined = v->cap_start = now;
    v->vtime = b->vclock; /* no credit for the time before it existed */
    v->deadline = now + p->period_ns;
    v->left = p->slice_ns;
    for (uint32_t i = first; i < first + nr_vcpus; i++) {
        memset(&b->vcpu[i], 0, sizeof(b->vcpu[i]));
        b->vcpu[i].state = SV_OFF;
        b->vcpu[i].slot = -1;
        b->vcpu[i].cpu = -1;
        b->vcpu[i].vm = (int32_t)vm;
        b->vcpu[i].since = now;
    }
    if (vm + 1 > b->hw_vm)
        b->hw_vm = vm + 1;
    if (first + nr_vcpus > b->hw_vcpu)
        b->hw_vcpu = first + nr_vcpus;
    *first_vcpu = (int)first;
    return (int)vm;
}

void sched_leave(struct sched_board *b, int vm, uint64_t now)
{
    struct sched_vm *v = &b->vm[vm];

    if (!v->in_use)
        return;
    for (uint32_t i = v->first_vcpu; i < v->first_vcpu + v->nr_vcpus; i++) {
        sched_set_state(b, (int)i, SV_OFF, now);
        b->vcpu[i].state = SV_FREE;
    }
    v->in_use = 0;
    v->pid = 0;
}

int sched_reap(struct sched_board *b, uint64_t now)
{
    int n = 0;

    for (uint32_t i = 0; i < b->hw_vm; i++)
        if (b->vm[i].in_use && kill(b->vm[i].pid, 0) < 0 && errno == ESRCH) {
            sched_leave(b, (int)i, now);
            n++;
        }
    if (n)
        sched_dispatch(b, now, &sched_host_ops);
    return n;
}

int sched_find_pid(const struct sched_board *b, pid_t pid)
{
    for (uint32_t i = 0; i < b->hw_vm; i++)
        if (b->vm[i].in_use && b->vm[i].pid == pid)
            return (int)i;
    return -1;
}

int sched_slot_cpu(const struct sched_board *b, int vcpu)
{
    const struct sched_vcpu *e = &b->vcpu[vcpu];

    if (b->nr_cpus < 2 || e->state != SV_RUNNING || e->slot < 0 ||
        (uint32_t)e->slot >= SCHED_MAX_CPUS || b->cpu_id[e->slot] < 0 ||
        b->cpu_id[e->slot] >= CPU_SETSIZE)
        return -1;
    return b->cpu_id[e->slot];
}

void sched_pin(pid_t tid, int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(tid, sizeof(set), &set);
}

static void host_wake(struct sched_board *b, int vcpu)
{
    const struct sched_vcpu *e = &b->vcpu[vcpu];
    int cpu = sched_slot_cpu(b, vcpu);

    /* A thread granted a CPU slot wakes up on that CPU: left on the CPU it
     * last ran on, it could wait there behind another granted vCPU for a
     * host tick before it could move itself. */
    if (cpu >= 0 && e->tid > 0)
        sched_pin(e->tid, cpu);
    /* Not FUTEX_PRIVATE: the waiter is in another process. */
    syscall(SYS_futex, &b->vcpu[vcpu].grant, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void host_preempt(struct sched_board *b, int vcpu)
{
    const struct sched_vcpu *e = &b->vcpu[vcpu];

    /* Under the board lock a running entry's thread has not left its loop
     * (it gives up the grant under the lock first), so (tid) is still its. */
    if (e->tid > 0)
        syscall(SYS_tgkill, b->vm[e->vm].pid, e->tid, SCHED_SIGNAL);
}

const struct sched_ops sched_host_ops = { .wake = host_wake, .preempt = host_preempt };
