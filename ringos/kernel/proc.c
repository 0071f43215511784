// SPDX-License-Identifier: MIT
/*
 * Processes: creation, the round-robin scheduler over all CPUs (each CPU's
 * LAPIC ticks preempt user mode only), per-CPU idle threads, sleep/wakeup,
 * fork, exit, wait4 and kill.  The big kernel lock (smp.h) orders CPUs;
 * disabling interrupts orders a CPU against its own interrupt handlers.
 */
#include "errno.h"
#include "hv.h"
#include "lib.h"
#include "mm.h"
#include "platform.h"
#include "printk.h"
#include "proc.h"
#include "smp.h"
#include "time.h"
#include "tty.h"
#include "uaccess.h"
#include "vfs.h"
#include "vm.h"
#include "x86.h"

#define MSR_FS_BASE 0xc0000100
#define TICK_HZ 100

static struct proc *procs;
static int next_pid = 1;
static bool timer_on;
static uint8_t fpu_init_state[512] __aligned(16);

void ctx_switch(uint64_t *save_sp, uint64_t new_sp);
extern char thread_start[];

static void fpu_save(uint8_t *area)
{
    __asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

static void fpu_restore(const uint8_t *area)
{
    __asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

struct proc *proc_find(int pid)
{
    for (struct proc *p = procs; p; p = p->next)
        if (p->pid == pid && p->state != P_FREE)
            return p;
    return NULL;
}

static void proc_free(struct proc *p);

/* Free exited threads: their own kernel stacks were in use until they left. */
static void proc_reap_detached(void)
{
    unsigned long f = irq_save();
    for (struct proc *p = procs, *n; p; p = n) {
        n = p->next;
        if (p->detached && p->state == P_ZOMBIE && !p->on_cpu)
            proc_free(p);
    }
    irq_restore(f);
}

static struct proc *proc_alloc(void)
{
    proc_reap_detached();

    struct proc *p = kzalloc(sizeof(*p));

    if (!p)
        return NULL;
    p->kstack = mm_alloc_pages(KSTACK_SIZE / PAGE_SIZE);
    if (!p->kstack) {
        kfree(p);
        return NULL;
    }
    p->pid = p->tgid = next_pid++;
    p->leader = p;
    p->umask = 022;
    memcpy(p->fpu, fpu_init_state, sizeof(p->fpu));
    /* ctx_switch pops r15..rbp, then returns into thread_start. */
    uint64_t *sp = (uint64_t *)proc_tf(p);
    *--sp = (uint64_t)thread_start;
    for (int i = 0; i < 6; i++)
        *--sp = 0;
    p->ksp = (uint64_t)sp;
    unsigned long f = irq_save();
    p->next = procs;
    procs = p;
    irq_restore(f);
    return p;
}

static void proc_free(struct proc *p)
{
    for (struct proc **pp = &procs; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    mm_free_pages(p->kstack, KSTACK_SIZE / PAGE_SIZE);
    kfree(p);
}

/*
 * Run (next) on this CPU.  The kernel lock is held throughout and passes to
 * (next), so no other CPU sees (prev) off the CPU before its registers are
 * saved.  CR3 always matches the current thread's mm (the kernel root for
 * idle threads): vm_tlb_shootdown() relies on that.
 */
static void switch_to(struct proc *next)
{
    struct cpu *c = this_cpu();
    struct proc *prev = c->cur;

    if (next == prev)
        return;
    fpu_save(prev->fpu);
    prev->on_cpu = false;
    next->on_cpu = true;
    next->cpu = c->id;
    c->cur = next;
    c->kstack_top = (uint64_t)next->kstack + KSTACK_SIZE;
    gdt_set_rsp0(c->kstack_top);
    if (next->mm != prev->mm) {
        if (next->mm)
            vm_activate(next->mm);
        else
            vm_activate_kernel();
    }
    if (next->mm && next->fsbase != c->hw_fsbase) {
        wrmsr(MSR_FS_BASE, next->fsbase);
        c->hw_fsbase = next->fsbase;
    }
    fpu_restore(next->fpu);
    ctx_switch(&prev->ksp, next->ksp);
}

/* C side of thread_start: the first thing a new thread runs. */
void thread_start_tail(void)
{
    irq_enable();
}

static void proc_timer_arm(void);

/* (p) may run now: wake an idle CPU for it (the others look at their next tick). */
static void proc_make_runnable(struct proc *p)
{
    p->state = P_RUNNABLE;
    p->wake_ns = 0;
    if (!p->on_cpu)
        smp_kick_idle();
}

static void proc_wake_timers(void)
{
    uint64_t now = time_ns();

    for (struct proc *p = procs; p; p = p->next) {
        if (p->state == P_SLEEPING && p->wake_ns && now >= p->wake_ns) {
            proc_make_runnable(p);
            p->timed_out = true;
        }
    }
}

/* The next runnable thread no CPU runs, round-robin after (after); NULL if none. */
static struct proc *proc_pick(struct proc *after)
{
    if (!procs)
        return NULL;
    struct proc *start = after && after->next ? after->next : procs, *p = start;
    do {
        if (p->state == P_RUNNABLE && !p->on_cpu)
            return p;
        p = p->next ? p->next : procs;
    } while (p != start);
    return NULL;
}

/* Let another thread run; the caller keeps the CPU if nobody else wants it. */
void proc_yield(void)
{
    unsigned long f = irq_save();
    struct cpu *c = this_cpu();
    struct proc *self = c->cur, *next;

    c->need_resched = false;
    proc_wake_timers();
    next = proc_pick(self == c->idle ? NULL : self);
    if (!next)
        next = self->state == P_RUNNABLE && self != c->idle ? self : c->idle;
    switch_to(next);
    irq_restore(f);
}

/*
 * Each CPU's idle thread: runs whatever is runnable, else halts with the
 * kernel lock released.  A CPU that makes a thread runnable sees `halted`
 * and sends an IPI; one that arrives before the hlt is caught by the
 * platform's idle-window fixup, so no wakeup is lost.
 */
static __noreturn void proc_idle_loop(void)
{
    struct cpu *c = this_cpu(); /* the idle thread never migrates */

    for (;;) {
        irq_disable();
        proc_wake_timers();
        if (timer_on && !c->timer_armed)
            proc_timer_arm();
        struct proc *p = proc_pick(NULL);
        if (p) {
            switch_to(p);
            continue;
        }
        c->halted = true;
        kernel_unlock();
        cpu_idle();
        irq_disable();
        kernel_lock();
        c->halted = false;
    }
}

void proc_cpu_prepare(struct cpu *c)
{
    struct proc *p = kzalloc(sizeof(*p));

    if (p)
        p->kstack = mm_alloc_pages(KSTACK_SIZE / PAGE_SIZE);
    if (!p || !p->kstack)
        panic("cpu %u: no memory for the idle thread", c->id);
    strlcpy(p->name, "idle", sizeof(p->name));
    p->state = P_RUNNABLE;
    p->cpu = c->id;
    memcpy(p->fpu, fpu_init_state, sizeof(p->fpu));
    /* ctx_switch pops r15..rbp and returns into proc_idle_loop as if called. */
    uint64_t *sp = (uint64_t *)(p->kstack + KSTACK_SIZE);
    *--sp = 0;
    *--sp = (uint64_t)proc_idle_loop;
    for (int i = 0; i < 6; i++)
        *--sp = 0;
    p->ksp = (uint64_t)sp;
    c->idle = p;
}

__noreturn void proc_cpu_start(void)
{
    struct cpu *c = this_cpu();
    struct proc boot_ctx = { .on_cpu = true }; /* the boot stack, never resumed */

    c->cur = &boot_ctx;
    switch_to(c->idle);
    panic("cpu %u: boot context resumed", c->id);
}

int proc_count(void)
{
    int n = 0;

    for (struct proc *p = procs; p; p = p->next)
        if (p == p->leader && p->state != P_ZOMBIE && p->state != P_FREE)
            n++;
    return n;
}

/*
 * One-shot timer: at the earliest sleeper's deadline or after one time
 * slice, whichever is first, so that sleeps end on time (a periodic tick
 * would round every sleep up to the next tick).
 */
static void proc_timer_arm(void)
{
    uint64_t now = time_ns(), next = now + NSEC_PER_SEC / TICK_HZ;

    for (struct proc *p = procs; p; p = p->next)
        if (p->state == P_SLEEPING && p->wake_ns && p->wake_ns < next)
            next = p->wake_ns;
    next = next > now + 20000 ? next : now + 20000;
    apic_timer_oneshot(next - now);
    this_cpu()->timer_armed = true;
    this_cpu()->timer_due = next;
}

static void proc_timer_start(void)
{
    timer_on = true;
    proc_timer_arm();
}

void proc_timer_keepalive(void)
{
    proc_timer_start();
}

/* This CPU's timer fired (kernel lock held). */
void proc_tick(void)
{
    this_cpu()->timer_armed = false;
    if (!timer_on)
        return;
    tty_poll();
    proc_wake_timers();
    this_cpu()->need_resched = true;
    proc_timer_arm();
}

static bool proc_signal_pending(struct proc *p)
{
    return p->sigpending & ~p->sigmask;
}

int proc_sleep(void *chan)
{
    unsigned long f = irq_save();

    if (proc_signal_pending(current)) {
        irq_restore(f);
        return -EINTR;
    }
    current->chan = chan;
    current->state = P_SLEEPING;
    proc_yield();
    current->chan = NULL;
    irq_restore(f);
    return proc_signal_pending(current) ? -EINTR : 0;
}

char proc_poll_chan;

void proc_wakeup(void *chan)
{
    unsigned long f = irq_save();

    /* Pollers wait for any change: every wakeup is one for them. */
    for (struct proc *p = procs; p; p = p->next)
        if (p->state == P_SLEEPING && (p->chan == chan || p->chan == &proc_poll_chan))
            proc_make_runnable(p);
    irq_restore(f);
}

int proc_sleep_until(void *chan, uint64_t deadline)
{
    unsigned long f = irq_save();

    if (deadline)
        proc_timer_start();
    current->wake_ns = deadline;
    current->timed_out = false;
    int err = proc_sleep(chan);
    current->wake_ns = 0;
    irq_restore(f);
    if (current->timed_out)
        return -110;
    return err;
}

long sys_nanosleep_ns(uint64_t ns)
{
    unsigned long f = irq_save();
    static char sleep_chan;

    proc_timer_start();
    current->wake_ns = time_ns() + ns;
    current->chan = &sleep_chan;
    current->state = P_SLEEPING;
    proc_timer_arm();
    proc_yield();
    current->chan = NULL;
    bool early = current->wake_ns != 0;
    current->wake_ns = 0;
    irq_restore(f);
    return early && proc_signal_pending(current) ? -EINTR : 0;
}

static bool sig_default_ignored(int sig)
{
    return sig == SIGCHLD || sig == 23 /* SIGURG */ || sig == 28 /* SIGWINCH */ ||
           sig == 18 /* SIGCONT */;
}

void proc_signal(struct proc *p, int sig)
{
    if (sig <= 0 || sig >= NSIG)
        return;
    /* Ignored signals are discarded at generation, so they never interrupt a sleep. */
    uint64_t h = p->act[sig].handler;
    if (sig != SIGKILL && (h == SIG_IGN || (h == SIG_DFL && sig_default_ignored(sig))))
        return;
    unsigned long f = irq_save();
    p->sigpending |= 1ull << (sig - 1);
    p->sigpid[sig] = current ? current->tgid : 0;
    if (p->state == P_SLEEPING && (sig == SIGKILL || !(p->sigmask & (1ull << (sig - 1))))) {
        p->state = P_RUNNABLE;
        smp_kick_idle();
    } else if (p->on_cpu && p->cpu != this_cpu()->id) {
        smp_kick(&cpus[p->cpu]); /* into the kernel, where signals are delivered */
    }
    irq_restore(f);
}

static int proc_live_threads(int tgid)
{
    int n = 0;

    for (struct proc *p = procs; p; p = p->next)
        if (p->tgid == tgid && p->state != P_ZOMBIE && p->state != P_FREE)
            n++;
    return n;
}

static int futex_wake(struct mm *mm, uint64_t uaddr, int n);

void proc_vfork_release(struct proc *p)
{
    if (p->vfork_waiter) {
        p->vfork_waiter = NULL;
        proc_wakeup(&p->vfork_waiter);
    }
}

void proc_signal_all(int sig)
{
    for (struct proc *p = procs; p; p = p->next)
        if (p->state != P_ZOMBIE && p == p->leader)
            proc_signal(p, sig);
}

__noreturn void proc_exit(int wstatus)
{
    struct proc *p = current;
    bool thread = p != p->leader;

    if (p->tgid == 1 && (!thread || proc_live_threads(1) == 1)) {
        int status = (wstatus & 0x7f) ? 128 + (wstatus & 0x7f) : (wstatus >> 8) & 0xff;
        vfs_sync(NULL); /* disks keep what process 1 wrote */
        hv_poweroff(status);
    }
    if (!thread && proc_live_threads(p->tgid) > 1)
        proc_exit_group(wstatus); /* simplification: the leader takes its threads along */
    if (p->clear_tid && p->mm) {
        uint32_t zero = 0;
        if (copy_to_user(p->clear_tid, &zero, 4) == 0)
            futex_wake(p->mm, p->clear_tid, 1);
    }
    proc_vfork_release(p);
    files_put(p->files);
    p->files = NULL;
    if (p->cwd)
        vfs_iput(p->cwd);
    p->cwd = NULL;
    /* Leave the page tables we may be about to free. */
    vm_activate_kernel();
    vm_put(p->mm);
    p->mm = NULL;
    irq_disable();
    if (thread) {
        p->detached = true;
        p->state = P_ZOMBIE;
        proc_wakeup(&p->leader->tgid); /* a leader in proc_exit_group counts us */
        proc_yield();
        panic("exited thread %d ran again", p->pid);
    }
    struct proc *init = proc_find(1);
    for (struct proc *c = procs; c; c = c->next) {
        if (c->parent == p) {
            c->parent = init;
            if (c->state == P_ZOMBIE && init)
                proc_wakeup(init);
        }
    }
    p->wstatus = wstatus;
    p->state = P_ZOMBIE;
    if (p->parent) {
        proc_signal(p->parent, SIGCHLD);
        proc_wakeup(p->parent);
    }
    proc_yield();
    panic("zombie %d ran again", p->pid);
}

__noreturn void proc_exit_group(int wstatus)
{
    struct proc *p = current;

    if (p->tgid == 1) {
        int status = (wstatus & 0x7f) ? 128 + (wstatus & 0x7f) : (wstatus >> 8) & 0xff;
        vfs_sync(NULL); /* disks keep what process 1 wrote */
        hv_poweroff(status);
    }
    /* The other threads die at their next return to user mode: wake the
     * sleepers, interrupt those running on other CPUs. */
    for (struct proc *t = procs; t; t = t->next) {
        if (t->tgid == p->tgid && t != p && t->state != P_ZOMBIE) {
            t->sigpending |= 1ull << (SIGKILL - 1);
            if (t->state == P_SLEEPING)
                proc_make_runnable(t);
            else if (t->on_cpu)
                smp_kick(&cpus[t->cpu]);
        }
    }
    struct proc *leader = p->leader;
    if (p != leader && leader->state != P_ZOMBIE) {
        /* Let the leader report the status to the parent. */
        leader->wstatus = wstatus;
        proc_exit(wstatus);
    }
    /* Not proc_sleep(): our own pending SIGKILL would end it at once. */
    irq_disable();
    while (proc_live_threads(p->tgid) > 1) {
        p->chan = &leader->tgid;
        p->state = P_SLEEPING;
        proc_yield();
        p->chan = NULL;
    }
    irq_enable();
    proc_exit(wstatus);
}

long sys_wait4(int pid, uint64_t ustatus, int options)
{
    bool interrupted = false;

    if (ustatus && !uaccess_range_ok(ustatus, 4))
        return -EFAULT;
    for (;;) {
        bool have = false;
        unsigned long f = irq_save();
        for (struct proc *c = procs; c; c = c->next) {
            if (c->detached || c->parent != current->leader || (pid > 0 && c->pid != pid))
                continue;
            have = true;
            if (c->state != P_ZOMBIE)
                continue;
            int cpid = c->pid, st = c->wstatus;
            proc_free(c);
            irq_restore(f);
            if (ustatus && copy_to_user(ustatus, &st, 4))
                return -EFAULT;
            return cpid;
        }
        irq_restore(f);
        if (!have)
            return -ECHILD;
        if (options & 1 /* WNOHANG */)
            return 0;
        if (interrupted)
            return -EINTR;
        /* A child that exited while we slept wins over the signal it sent. */
        interrupted = proc_sleep(current) != 0;
    }
}

long sys_kill(int pid, int sig)
{
    if (sig < 0 || sig >= NSIG)
        return -EINVAL;
    struct proc *p = proc_find(pid > 0 ? pid : current->tgid);
    if (!p || p->state == P_ZOMBIE)
        return -ESRCH;
    if (sig)
        proc_signal(p, sig);
    return 0;
}

#define CLONE_VM 0x100
#define CLONE_FILES 0x400
#define CLONE_VFORK 0x4000
#define CLONE_THREAD 0x10000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_CHILD_SETTID 0x1000000

long sys_fork(struct trap_frame *tf, uint64_t flags, uint64_t stack, uint64_t ptid,
              uint64_t ctid, uint64_t tls)
{
    if ((flags & CLONE_THREAD) && !(flags & CLONE_VM))
        return -EINVAL;
    struct proc *c = proc_alloc();
    if (!c)
        return -ENOMEM;
    if (flags & CLONE_VM) {
        c->mm = current->mm;
        c->mm->refs++;
    } else {
        c->mm = vm_clone(current->mm, tf->rsp, current->fsbase);
    }
    if (flags & CLONE_FILES) {
        c->files = current->files;
        c->files->refs++;
    } else {
        c->files = files_clone(current->files);
    }
    if (!c->mm || !c->files) {
        vm_put(c->mm);
        files_put(c->files);
        proc_free(c);
        return -ENOMEM;
    }
    if (flags & CLONE_THREAD) {
        c->tgid = current->tgid;
        c->leader = current->leader;
        c->parent = NULL;
    } else {
        c->parent = current->leader;
    }
    c->cwd = current->cwd;
    vfs_iget(c->cwd);
    c->umask = current->umask;
    c->fsbase = (flags & CLONE_SETTLS) ? tls : current->fsbase;
    memcpy(c->act, current->act, sizeof(c->act));
    c->sigmask = current->sigmask;
    memcpy(c->name, current->name, sizeof(c->name));
    memcpy(c->exe, current->exe, sizeof(c->exe));
    fpu_save(c->fpu);
    struct trap_frame *ctf = proc_tf(c);
    *ctf = *tf;
    ctf->rax = 0;
    if (stack)
        ctf->rsp = stack;
    if (flags & CLONE_PARENT_SETTID)
        copy_to_user(ptid, &c->pid, 4);
    if (flags & CLONE_CHILD_SETTID) {
        if (flags & CLONE_VM)
            copy_to_user(ctid, &c->pid, 4);
        else if (uaccess_range_ok(ctid, 4))
            vm_write(c->mm, ctid, &c->pid, 4);
    }
    if (flags & CLONE_CHILD_CLEARTID)
        c->clear_tid = ctid;
    proc_timer_start();
    int pid = c->pid;
    proc_make_runnable(c);
    if (flags & CLONE_VFORK) {
        /* The child borrows our memory until it execs or exits. */
        c->vfork_waiter = current;
        while (c->vfork_waiter)
            proc_sleep(&c->vfork_waiter);
    }
    return pid;
}

/* ---- futexes: sleepers keyed by (address space, user address) ---------- */

static void *futex_chan(struct mm *mm, uint64_t uaddr)
{
    return (void *)((uint64_t)mm ^ (uaddr << 1) ^ 1);
}

static int futex_wake(struct mm *mm, uint64_t uaddr, int n)
{
    void *chan = futex_chan(mm, uaddr);
    int woken = 0;
    unsigned long f = irq_save();

    for (struct proc *p = procs; p && woken < n; p = p->next) {
        if (p->state == P_SLEEPING && p->chan == chan) {
            proc_make_runnable(p);
            woken++;
        }
    }
    irq_restore(f);
    return woken;
}

long sys_futex(uint64_t uaddr, int op, uint32_t val, uint64_t utimeout, uint32_t val3)
{
    int cmd = op & 0x7f; /* without FUTEX_PRIVATE_FLAG / FUTEX_CLOCK_REALTIME */
    uint32_t cur;

    (void)val3;
    if ((uaddr & 3) || !uaccess_range_ok(uaddr, 4))
        return -EINVAL;
    switch (cmd) {
    case 0: /* FUTEX_WAIT */
    case 9: { /* FUTEX_WAIT_BITSET */
        uint64_t deadline = 0;
        if (utimeout) {
            int64_t ts[2];
            if (copy_from_user(ts, utimeout, sizeof(ts)))
                return -EFAULT;
            if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NSEC_PER_SEC)
                return -EINVAL;
            uint64_t ns = ts[0] * NSEC_PER_SEC + ts[1];
            if (cmd == 0) {
                deadline = time_ns() + ns;
            } else {
                uint64_t now = (op & 256) ? time_realtime_ns() : time_ns();
                deadline = time_ns() + (ns > now ? ns - now : 0);
            }
            proc_timer_start();
        }
        unsigned long f = irq_save();
        if (copy_from_user(&cur, uaddr, 4)) {
            irq_restore(f);
            return -EFAULT;
        }
        if (cur != val) {
            irq_restore(f);
            return -EAGAIN;
        }
        if (deadline && time_ns() >= deadline) {
            irq_restore(f);
            return -110; /* ETIMEDOUT */
        }
        current->wake_ns = deadline;
        current->timed_out = false;
        if (deadline)
            proc_timer_arm();
        int err = proc_sleep(futex_chan(current->mm, uaddr));
        current->wake_ns = 0;
        irq_restore(f);
        if (current->timed_out)
            return -110;
        return err;
    }
    case 1:  /* FUTEX_WAKE */
    case 10: /* FUTEX_WAKE_BITSET */
        return futex_wake(current->mm, uaddr, val);
    case 3: /* FUTEX_REQUEUE */
    case 4: /* FUTEX_CMP_REQUEUE: waking them all is a permitted spurious wakeup */
        return futex_wake(current->mm, uaddr, 0x7fffffff);
    default:
        return -ENOSYS;
    }
}

__noreturn void proc_start_init(const char *path, char *const argv[], char *const envp[],
                                const char *cwd)
{
    static struct proc boot_proc = { .on_cpu = true }; /* the boot context, never run again */
    struct proc *p;

    fpu_save(fpu_init_state);
    p = proc_alloc();
    if (!p)
        panic("init: out of memory");
    this_cpu()->cur = &boot_proc;
    p->files = files_create();
    struct inode *con;
    if (vfs_lookup(vfs_root, "/dev/console", true, &con) == 0) {
        struct file *f = file_open_inode(con, O_RDWR);
        for (int i = 0; i < 3; i++) {
            file_get(f);
            fd_alloc(p->files, f, i, false);
        }
        file_put(f);
    }
    struct inode *dir = vfs_root;
    if (cwd && (vfs_lookup(vfs_root, cwd, true, &dir) || !S_ISDIR(dir->mode))) {
        printk("ringos: cwd=%s: no such directory, using /\n", cwd);
        dir = vfs_root;
    }
    p->cwd = dir;
    vfs_iget(dir);
    int err = exec_load(p, path, argv, envp);
    if (err) {
        printk("ringos: cannot run init %s: error %d\n", path, -err);
        hv_poweroff(127);
    }
    p->state = P_RUNNABLE;
    irq_disable();
    smp_start(); /* the other CPUs wait for the kernel lock, which init's sysretq frees */
    switch_to(p);
    panic("init returned to the boot context");
}

/* ---- signals ---------------------------------------------------------- */

long sys_rt_sigaction(int sig, uint64_t uact, uint64_t uold, uint64_t size)
{
    struct ksigaction a;

    if (sig <= 0 || sig >= NSIG || size != 8)
        return -EINVAL;
    if (uact && (sig == SIGKILL || sig == 19 /* SIGSTOP */))
        return -EINVAL;
    if (uold && copy_to_user(uold, &current->act[sig], sizeof(a)))
        return -EFAULT;
    if (uact) {
        if (copy_from_user(&a, uact, sizeof(a)))
            return -EFAULT;
        current->act[sig] = a;
    }
    return 0;
}

long sys_rt_sigprocmask(int how, uint64_t uset, uint64_t uold, uint64_t size)
{
    uint64_t set, old = current->sigmask;

    if (size != 8)
        return -EINVAL;
    if (uset) {
        if (copy_from_user(&set, uset, 8))
            return -EFAULT;
        set &= ~((1ull << (SIGKILL - 1)) | (1ull << (19 - 1)));
        if (how == 0)
            current->sigmask |= set;
        else if (how == 1)
            current->sigmask &= ~set;
        else if (how == 2)
            current->sigmask = set;
        else
            return -EINVAL;
    }
    if (uold && copy_to_user(uold, &old, 8))
        return -EFAULT;
    return 0;
}

/* Linux x86-64 signal frame: what musl's handlers and sigreturn expect. */
struct sigcontext_k {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
    uint64_t eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2, fpstate;
    uint64_t reserved[8];
};
struct ucontext_k {
    uint64_t flags, link;
    uint64_t ss_sp;
    uint32_t ss_flags, _pad;
    uint64_t ss_size;
    struct sigcontext_k mc;
    uint64_t sigmask;
};
struct rt_sigframe {
    uint64_t pretcode;
    struct ucontext_k uc;
    uint8_t info[128];
};
_Static_assert(sizeof(struct sigcontext_k) == 256, "sigcontext layout");
_Static_assert(__builtin_offsetof(struct ucontext_k, mc) == 40, "ucontext layout");

static uint64_t fault_addr[1];

static bool signal_deliver(struct trap_frame *tf, int sig)
{
    struct ksigaction *a = &current->act[sig];
    struct rt_sigframe fr;
    uint8_t fpu[512] __aligned(16);

    memset(&fr, 0, sizeof(fr));
    uint64_t sp = tf->rsp - 128;
    sp = ALIGN_DOWN(sp - sizeof(fpu), 64);
    uint64_t fpu_at = sp;
    sp = ALIGN_DOWN(sp - sizeof(fr), 16) - 8; /* as if just called */
    fpu_save(fpu);
    struct sigcontext_k *mc = &fr.uc.mc;
    mc->r8 = tf->r8; mc->r9 = tf->r9; mc->r10 = tf->r10; mc->r11 = tf->r11;
    mc->r12 = tf->r12; mc->r13 = tf->r13; mc->r14 = tf->r14; mc->r15 = tf->r15;
    mc->rdi = tf->rdi; mc->rsi = tf->rsi; mc->rbp = tf->rbp; mc->rbx = tf->rbx;
    mc->rdx = tf->rdx; mc->rax = tf->rax; mc->rcx = tf->rcx; mc->rsp = tf->rsp;
    mc->rip = tf->rip; mc->eflags = tf->rflags; mc->cs = 0x33; mc->ss = 0x2b;
    mc->err = tf->error;
    mc->trapno = tf->vector;
    mc->cr2 = sig == SIGSEGV ? fault_addr[0] : 0;
    mc->fpstate = fpu_at;
    fr.uc.sigmask = current->has_restore_mask ? current->restore_mask : current->sigmask;
    current->has_restore_mask = false;
    fr.pretcode = a->restorer;
    int32_t *si = (int32_t *)fr.info;
    si[0] = sig;
    si[4] = current->sigpid[sig]; /* si_pid; si_code 0 = SI_USER */
    if (sig == SIGCHLD)
        si[2] = 1; /* CLD_EXITED */
    /* Interrupted slow syscall: restart it after the handler if asked to. */
    if (current->in_syscall && tf->rax == (uint64_t)-EINTR && (a->flags & SA_RESTART)) {
        tf->rax = current->syscall_nr;
        tf->rip -= 2;
        mc->rax = tf->rax;
        mc->rip = tf->rip;
    }
    if (sig == SIGSEGV) {
        si[2] = 1; /* SEGV_MAPERR */
        memcpy(fr.info + 16, &fault_addr[0], 8);
    }
    if (!(a->flags & SA_RESTORER) || !uaccess_range_ok(sp, fpu_at + sizeof(fpu) - sp) ||
        copy_to_user(sp, &fr, sizeof(fr)) || copy_to_user(fpu_at, fpu, sizeof(fpu)))
        return false;
    tf->rdi = sig;
    tf->rsi = sp + __builtin_offsetof(struct rt_sigframe, info);
    tf->rdx = sp + __builtin_offsetof(struct rt_sigframe, uc);
    tf->rax = 0;
    tf->rsp = sp;
    tf->rip = a->handler;
    tf->rflags &= ~0x500ull; /* DF, TF */
    tf->vector = 0x100;      /* RCX/R11 need not survive into the handler */
    if (!(a->flags & SA_NODEFER))
        current->sigmask |= 1ull << (sig - 1);
    current->sigmask |= a->mask;
    if (a->flags & SA_RESETHAND)
        a->handler = SIG_DFL;
    return true;
}

long sys_rt_sigsuspend(uint64_t umask, uint64_t size)
{
    uint64_t mask;
    static char chan;

    if (size != 8)
        return -EINVAL;
    if (copy_from_user(&mask, umask, 8))
        return -EFAULT;
    current->restore_mask = current->sigmask;
    current->has_restore_mask = true;
    current->sigmask = mask & ~((1ull << (SIGKILL - 1)) | (1ull << (19 - 1)));
    while (!proc_signal_pending(current))
        proc_sleep(&chan);
    return -EINTR;
}

long sys_rt_sigreturn(struct trap_frame *tf)
{
    struct ucontext_k uc;
    uint8_t fpu[512] __aligned(16);
    uint64_t at = tf->rsp; /* the handler's ret popped pretcode */

    current->in_syscall = false; /* the restored RAX is no syscall result */

    if (copy_from_user(&uc, at, sizeof(uc)))
        proc_exit_group(SIGSEGV);
    struct sigcontext_k *mc = &uc.mc;
    if (mc->fpstate && copy_from_user(fpu, mc->fpstate, sizeof(fpu)) == 0) {
        uint32_t *mxcsr = (uint32_t *)(fpu + 24);
        *mxcsr &= 0xffff; /* reserved bits would #GP */
        fpu_restore(fpu);
    }
    tf->r8 = mc->r8; tf->r9 = mc->r9; tf->r10 = mc->r10; tf->r11 = mc->r11;
    tf->r12 = mc->r12; tf->r13 = mc->r13; tf->r14 = mc->r14; tf->r15 = mc->r15;
    tf->rdi = mc->rdi; tf->rsi = mc->rsi; tf->rbp = mc->rbp; tf->rbx = mc->rbx;
    tf->rdx = mc->rdx; tf->rcx = mc->rcx; tf->rsp = mc->rsp; tf->rip = mc->rip;
    tf->rflags = mc->eflags;
    tf->vector = 0; /* restore RCX/R11 exactly: through the stub */
    current->sigmask = uc.sigmask & ~((1ull << (SIGKILL - 1)) | (1ull << (19 - 1)));
    return mc->rax;
}


/* Kill the current process for a user fault at (addr) unless it handles SIGSEGV. */
void proc_fault(struct trap_frame *tf, uint64_t addr, int sig)
{
    struct ksigaction *a = &current->act[sig];
    uint64_t bit = 1ull << (sig - 1);

    fault_addr[0] = addr;
    if (a->handler > SIG_IGN && !(current->sigmask & bit) && signal_deliver(tf, sig))
        return;
    printk("ringos: pid %d (%s): %s at 0x%lx ip 0x%lx\n", current->pid, current->name,
           sig == SIGSEGV ? "SIGSEGV" : "SIGILL/SIGFPE", addr, tf->rip);
    proc_exit_group(sig);
}

void user_exit_work(struct trap_frame *tf)
{
    bool sys = current->in_syscall;

    if (this_cpu()->need_resched)
        proc_yield();
    while (proc_signal_pending(current)) {
        uint64_t pend = current->sigpending & ~current->sigmask;
        int sig = __builtin_ctzll(pend) + 1;
        current->sigpending &= ~(1ull << (sig - 1));
        struct ksigaction *a = &current->act[sig];
        if (sig == SIGKILL || a->handler == SIG_DFL) {
            if (sig_default_ignored(sig) && sig != SIGKILL)
                continue;
            proc_exit_group(sig);
        }
        if (a->handler == SIG_IGN)
            continue;
        if (!signal_deliver(tf, sig))
            proc_exit_group(SIGSEGV);
        break;
    }
    if (current->has_restore_mask) {
        current->sigmask = current->restore_mask;
        current->has_restore_mask = false;
    }
    (void)sys;
    current->in_syscall = false;
}

void proc_set_fsbase(uint64_t v)
{
    current->fsbase = v;
    wrmsr(MSR_FS_BASE, v);
    this_cpu()->hw_fsbase = v;
}
