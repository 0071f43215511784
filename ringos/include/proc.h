/* SPDX-License-Identifier: MIT */
/* Processes, the round-robin scheduler, sleep/wakeup, fork/exec/exit/wait and signals. */
#ifndef RINGOS_PROC_H
#define RINGOS_PROC_H

#include "cpu.h"
#include "smp.h"
#include "types.h"

struct mm;
struct files;
struct inode;

enum proc_state { P_FREE, P_RUNNABLE, P_SLEEPING, P_ZOMBIE };

#define NSIG 65
#define SIGINT 2
#define SIGKILL 9
#define SIGSEGV 11
#define SIGPIPE 13
#define SIGTERM 15
#define SIGCHLD 17
#define SIG_DFL 0
#define SIG_IGN 1
#define SA_SIGINFO 4
#define SA_RESTORER 0x04000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000

struct ksigaction {
    uint64_t handler, flags, restorer, mask;
};

struct proc {
    int pid;  /* thread id */
    int tgid; /* process id: the leader's pid */
    struct proc *leader;
    bool detached;  /* a CLONE_THREAD thread: reaped by the kernel, not by wait4 */
    bool timed_out; /* the last timed sleep ended by its deadline */
    struct proc *vfork_waiter; /* parent blocked in clone(CLONE_VFORK) until exec/exit */
    enum proc_state state;
    struct proc *parent;
    struct mm *mm;
    struct files *files;
    struct inode *cwd;
    uint32_t umask;
    uint8_t *kstack; /* KSTACK_SIZE bytes; the user trap frame sits at its top */
    uint64_t ksp;    /* saved kernel RSP while switched out */
    uint64_t fsbase;
    int wstatus;     /* wait status once a zombie */
    void *chan;      /* what a sleeper waits for */
    uint64_t wake_ns; /* timed sleep deadline, 0 = none */
    uint64_t clear_tid;
    struct ksigaction act[NSIG];
    uint64_t sigmask, sigpending;
    uint64_t restore_mask; /* rt_sigsuspend: the mask to put back after the handler */
    bool has_restore_mask;
    int sigpid[NSIG];  /* sender of each pending signal (siginfo si_pid) */
    uint64_t syscall_nr; /* of the syscall in progress, for SA_RESTART */
    bool in_syscall;
    bool on_cpu;      /* running (or switching) on cpus[cpu]: no other CPU may pick it */
    unsigned cpu;
    char name[16];
    char exe[256];
    struct proc *next; /* all processes */
    uint8_t fpu[512] __aligned(16);
};

#define KSTACK_SIZE 16384

/* The thread running on this CPU.  A thread is current wherever it runs, so
 * the value is stable for the thread even across a migration. */
static inline struct proc *proc_current(void)
{
    struct proc *p;

    __asm__ volatile("mov %%gs:24, %0" : "=r"(p));
    return p;
}
#define current proc_current()

static inline struct trap_frame *proc_tf(struct proc *p)
{
    return (struct trap_frame *)(p->kstack + KSTACK_SIZE) - 1;
}

/* Start process 1 from (path) with argv/envp (NULL-terminated); does not return. */
__noreturn void proc_start_init(const char *path, char *const argv[], char *const envp[],
                                const char *cwd);
void proc_yield(void);
/* Sleep on (chan) until woken or a signal is pending; returns -EINTR then, else 0. */
int proc_sleep(void *chan);
void proc_wakeup(void *chan);
/* proc_sleep with a time_ns() deadline (0 = none): 0, -EINTR or -ETIMEDOUT. */
int proc_sleep_until(void *chan, uint64_t deadline);
/* Sleepers on this are woken by every proc_wakeup (poll, select). */
extern char proc_poll_chan;
void proc_tick(void);
/* Keep the scheduler timer running even with nothing to preempt. */
void proc_timer_keepalive(void);
/* End the calling thread (SYS_exit); the whole process for its leader. */
__noreturn void proc_exit(int wstatus);
/* End every thread of the calling process (exit_group, fatal signals). */
__noreturn void proc_exit_group(int wstatus);
/* Post (sig) to (p). */
void proc_signal(struct proc *p, int sig);
struct proc *proc_find(int pid);
/* Post (sig) to every process (console ^C: there are no process groups yet). */
void proc_signal_all(int sig);

/* Create (c)'s idle thread (before the CPU schedules). */
void proc_cpu_prepare(struct cpu *c);
/* Leave the boot stack for this CPU's idle thread, holding the kernel lock. */
__noreturn void proc_cpu_start(void);
/* Live processes (thread-group leaders), for sysinfo. */
int proc_count(void);

/* Called before every return to user mode: signals, rescheduling. */
void user_exit_work(struct trap_frame *tf);

/* Syscalls implemented in proc.c/exec.c. */
long sys_fork(struct trap_frame *tf, uint64_t flags, uint64_t stack, uint64_t ptid,
              uint64_t ctid, uint64_t tls);
long sys_futex(uint64_t uaddr, int op, uint32_t val, uint64_t utimeout, uint32_t val3);
void proc_vfork_release(struct proc *p);
long sys_execve(struct trap_frame *tf, uint64_t upath, uint64_t uargv, uint64_t uenvp);
long sys_wait4(int pid, uint64_t ustatus, int options);
long sys_kill(int pid, int sig);
long sys_rt_sigaction(int sig, uint64_t uact, uint64_t uold, uint64_t size);
long sys_rt_sigprocmask(int how, uint64_t uset, uint64_t uold, uint64_t size);
long sys_rt_sigreturn(struct trap_frame *tf);
long sys_rt_sigsuspend(uint64_t umask, uint64_t size);
long sys_nanosleep_ns(uint64_t ns);
/* Build (p)'s new image from (path) (kernel strings); 0 or -errno. */
int exec_load(struct proc *p, const char *path, char *const argv[], char *const envp[]);

#endif
