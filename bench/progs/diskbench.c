// SPDX-License-Identifier: MIT
/*
 * Disk benchmark for issue 4: the same static binary runs natively on the
 * host (on the raw image file) and as process 1 of ringos (on a file in the
 * ext2 file system of a virtio-blk disk), and prints one "NAME VALUE" line.
 *
 *   diskbench write FILE MIB            sequential 1 MiB writes from offset 0
 *                                       of an existing file (no allocation),
 *                                       then fsync; the fsync is timed
 *   diskbench read FILE MIB             sequential 1 MiB reads from offset 0
 *   diskbench randread FILE NPROC MS    4 KiB preads at random 4 KiB-aligned
 *                                       offsets of the whole file, NPROC
 *                                       processes (each one at a time: queue
 *                                       depth NPROC), for MS milliseconds
 *
 * MB/s are 10^6 bytes per second.  ringos has no io_uring or AIO, so a queue
 * depth above one is made of processes, here and on the host alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1u << 20)
#define IO 4096u
#define MAX_PROCS 64

static char buf[CHUNK] __attribute__((aligned(4096)));

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what)
{
    fprintf(stderr, "diskbench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int open_file(const char *path, int flags)
{
    int fd = open(path, flags);

    if (fd < 0)
        fail(path);
    return fd;
}

static void seq_write(const char *path, unsigned mib)
{
    int fd = open_file(path, O_WRONLY);

    /* Not a constant page: nothing on the way may shortcut zeroes. */
    for (unsigned i = 0; i < CHUNK; i++)
        buf[i] = (char)(i * 131 + (i >> 12));
    uint64_t t0 = now_ns();
    for (unsigned i = 0; i < mib; i++) {
        buf[0] = (char)i;
        if (write(fd, buf, CHUNK) != (ssize_t)CHUNK)
            fail("write");
    }
    if (fsync(fd))
        fail("fsync");
    uint64_t t1 = now_ns();
    close(fd);
    printf("seq_write_mbps %.1f\n", (double)mib * CHUNK * 1e3 / (double)(t1 - t0));
}

static void seq_read(const char *path, unsigned mib)
{
    int fd = open_file(path, O_RDONLY);
    uint64_t t0 = now_ns();

    for (unsigned i = 0; i < mib; i++) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n != (ssize_t)CHUNK)
            fail(n < 0 ? "read" : "short read");
    }
    uint64_t t1 = now_ns();
    close(fd);
    printf("seq_read_mbps %.1f\n", (double)mib * CHUNK * 1e3 / (double)(t1 - t0));
}

/* xorshift64*: a different stream per process. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* One process's loop: preads until (end_ns); writes "ops end_ns" to (out). */
static void rand_worker(const char *path, unsigned id, uint64_t start_ns, uint64_t end_ns,
                        int out)
{
    int fd = open_file(path, O_RDONLY);
    off_t size = lseek(fd, 0, SEEK_END);
    uint64_t blocks = (uint64_t)size / IO, s = 0x9e3779b97f4a7c15ull * (id + 1), ops = 0;

    if (blocks == 0) {
        errno = EINVAL;
        fail("file smaller than 4 KiB");
    }
    while (now_ns() < start_ns)
        ;
    uint64_t t;
    do {
        off_t off = (off_t)(rnd(&s) % blocks) * IO;
        if (pread(fd, buf, IO, off) != (ssize_t)IO)
            fail("pread");
        ops++;
    } while ((t = now_ns()) < end_ns);
    close(fd);
    char line[64];
    int n = snprintf(line, sizeof(line), "%llu %llu\n", (unsigned long long)ops,
                     (unsigned long long)t);
    if (write(out, line, (size_t)n) != n)
        fail("write to parent");
}

static void rand_read(const char *path, unsigned nproc, unsigned ms)
{
    int p[2];

    if (nproc < 1 || nproc > MAX_PROCS) {
        fprintf(stderr, "diskbench: 1-%d processes\n", MAX_PROCS);
        exit(2);
    }
    if (pipe(p))
        fail("pipe");
    /* Everyone starts together once all are forked (forks take a while in a guest). */
    uint64_t start = now_ns() + 20000000ull + nproc * 2000000ull;
    uint64_t end = start + (uint64_t)ms * 1000000ull;
    for (unsigned i = 0; i < nproc; i++) {
        pid_t pid = fork();
        if (pid < 0)
            fail("fork");
        if (pid == 0) {
            close(p[0]);
            rand_worker(path, i, start, end, p[1]);
            _exit(0);
        }
    }
    close(p[1]);
    char text[MAX_PROCS * 48];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(text) - 1 && (n = read(p[0], text + got, sizeof(text) - 1 - got)) > 0)
        got += (size_t)n;
    text[got] = 0;
    int status, bad = 0;
    while (wait(&status) > 0)
        bad |= !WIFEXITED(status) || WEXITSTATUS(status);
    if (bad) {
        fprintf(stderr, "diskbench: a worker failed\n");
        exit(1);
    }
    uint64_t ops = 0, last = end;
    unsigned lines = 0;
    for (char *l = text; *l; lines++) {
        unsigned long long o, t;
        if (sscanf(l, "%llu %llu", &o, &t) != 2)
            break;
        ops += o;
        last = t > last ? t : last;
        l = strchr(l, '\n');
        if (!l)
            break;
        l++;
    }
    if (lines != nproc) {
        fprintf(stderr, "diskbench: %u of %u workers reported\n", lines, nproc);
        exit(1);
    }
    printf("randread_iops %.0f\n", (double)ops * 1e9 / (double)(last - start));
    printf("randread_ops %llu\n", (unsigned long long)ops);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "write"))
        seq_write(argv[2], (unsigned)atoi(argv[3]));
    else if (argc == 4 && !strcmp(argv[1], "read"))
        seq_read(argv[2], (unsigned)atoi(argv[3]));
    else if (argc == 5 && !strcmp(argv[1], "randread"))
        rand_read(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
    else {
        fprintf(stderr, "usage: diskbench write|read FILE MIB | randread FILE NPROC MS\n");
        return 2;
    }
    return 0;
}
