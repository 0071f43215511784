// SPDX-License-Identifier: MIT
/*
 * System-call microbenchmarks for issue 3: the same static binary runs
 * natively and as process 1 of ringos, and prints one "NAME NS_PER_OP" line
 * per operation (plus "pf_per_s N" for the page-fault test).
 *
 *   microbench [-s SCALE] [ONLY...]   (SCALE multiplies every iteration count)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ul
#define PF_PAGES 2048ul /* 8 MiB per page-fault round */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what)
{
    fprintf(stderr, "microbench: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* syscall(), not getpid(): a libc may cache the pid. */
static void op_getpid(unsigned long n)
{
    for (unsigned long i = 0; i < n; i++)
        syscall(SYS_getpid);
}

static int write_fd = -1;
static char write_buf[4096];

/* pwrite at offset 0: one system call per 4 KiB write, the file stays 4 KiB. */
static void op_write(unsigned long n)
{
    for (unsigned long i = 0; i < n; i++)
        if (pwrite(write_fd, write_buf, sizeof(write_buf), 0) != sizeof(write_buf))
            fail("pwrite /tmp");
}

static int ping[2] = { -1, -1 }, pong[2] = { -1, -1 };
static pid_t echo_pid = -1;

/* The child echoes every byte back until its pipe closes. */
static void pipe_setup(void)
{
    char c;

    if (pipe(ping) < 0 || pipe(pong) < 0)
        fail("pipe");
    echo_pid = fork();
    if (echo_pid < 0)
        fail("fork");
    if (echo_pid == 0) {
        close(ping[1]);
        close(pong[0]);
        while (read(ping[0], &c, 1) == 1)
            if (write(pong[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(ping[0]);
    close(pong[1]);
}

static void op_pipe(unsigned long n)
{
    char c = 'x';

    for (unsigned long i = 0; i < n; i++)
        if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
            fail("pipe round trip");
}

static void pipe_teardown(void)
{
    int st;

    close(ping[1]);
    close(pong[0]);
    if (waitpid(echo_pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
        fail("pipe echo child");
}

/*
 * Raw fork/exit/wait4 system calls, so the count of kernel entries is the
 * same everywhere (musl's fork() adds rt_sigprocmask and set_tid_address).
 */
static void op_fork(unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) {
        long pid = syscall(SYS_fork);
        int st;

        if (pid == 0)
            syscall(SYS_exit, 0);
        if (pid < 0)
            fail("fork");
        if (syscall(SYS_wait4, pid, &st, 0, NULL) != pid)
            fail("wait4");
    }
}

/* (n) rounds of PF_PAGES first touches each; the mmap/munmap is not timed. */
static uint64_t pagefault_ns(unsigned long n)
{
    uint64_t total = 0;

    for (unsigned long r = 0; r < n; r++) {
        volatile char *p = mmap(NULL, PF_PAGES * PAGE, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        uint64_t t0;

        if (p == MAP_FAILED)
            fail("mmap");
        t0 = now_ns();
        for (unsigned long i = 0; i < PF_PAGES; i++)
            p[i * PAGE] = 1;
        total += now_ns() - t0;
        munmap((void *)p, PF_PAGES * PAGE);
    }
    return total;
}

struct bench {
    const char *name;
    void (*op)(unsigned long n);
    unsigned long iters;
    void (*setup)(void);
    void (*teardown)(void);
};

static void write_setup(void)
{
    memset(write_buf, 'w', sizeof(write_buf));
    write_fd = open("/tmp/microbench.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (write_fd < 0)
        fail("open /tmp/microbench.dat");
}

static void write_teardown(void)
{
    close(write_fd);
    unlink("/tmp/microbench.dat");
}

static const struct bench benches[] = {
    { "getpid", op_getpid, 20000, NULL, NULL },
    { "write4k", op_write, 10000, write_setup, write_teardown },
    { "pipe_rtt", op_pipe, 2000, pipe_setup, pipe_teardown },
    { "fork_exit_wait", op_fork, 200, NULL, NULL },
};

static int wanted(int argc, char **argv, const char *name)
{
    if (argc == 0)
        return 1;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long scale = 1;

    if (argc > 2 && strcmp(argv[1], "-s") == 0) {
        scale = strtoul(argv[2], NULL, 0);
        argc -= 2;
        argv += 2;
    }
    if (scale == 0) {
        fprintf(stderr, "usage: microbench [-s SCALE] [getpid|write4k|pipe_rtt|"
                        "fork_exit_wait|pagefault...]\n");
        return 2;
    }
    argc--;
    argv++;
    setvbuf(stdout, NULL, _IOLBF, 0);

    for (size_t b = 0; b < sizeof(benches) / sizeof(benches[0]); b++) {
        const struct bench *bm = &benches[b];
        unsigned long n = bm->iters * scale;
        uint64_t t0, t;

        if (!wanted(argc, argv, bm->name))
            continue;
        if (bm->setup)
            bm->setup();
        bm->op(n / 10 + 1); /* warm-up: first touches, caches, lazy setup */
        t0 = now_ns();
        bm->op(n);
        t = now_ns() - t0;
        if (bm->teardown)
            bm->teardown();
        printf("%s %.1f\n", bm->name, (double)t / (double)n);
    }
    if (wanted(argc, argv, "pagefault")) {
        unsigned long rounds = 4 * scale;
        double ns;

        pagefault_ns(1); /* warm-up: the kernel's own first allocations */
        ns = (double)pagefault_ns(rounds) / (double)(rounds * PF_PAGES);
        printf("pagefault %.1f\n", ns);
        printf("pf_per_s %.0f\n", 1e9 / ns);
    }
    return 0;
}
