// SPDX-License-Identifier: MIT
// efault: bad user pointers (NULL, a kernel address, a non-canonical one,
// one running past the end of user space, an unmapped page) passed to many
// system calls must give EFAULT, and ringos must keep running.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static const uint64_t bad[] = {
	0,                     /* NULL */
	0xffff888000000000ull, /* the kernel's direct map */
	0x0000800000000000ull, /* non-canonical */
	0x00007ffffffffff0ull, /* 16 bytes below the end: every buffer runs past it */
	0,                     /* an unmapped user page, filled in by main */
};

static int failures;

/* Raw syscalls: libc wrappers may check pointers themselves. */
static void expect(const char *what, uint64_t p, long r)
{
	if (r != -1 || errno != EFAULT) {
		printf("FAIL: %s(%#llx) returned %ld errno %d, not EFAULT\n", what,
		       (unsigned long long)p, r, r == -1 ? errno : 0);
		failures++;
	}
}

#define TRY(name, ...) do { if (getenv("EFAULT_TRACE")) fprintf(stderr, "%s %#llx\n", name, (unsigned long long)p); expect(name, p, syscall(__VA_ARGS__)); } while (0)

int main(void)
{
	int fds[2];
	char buf[64];
	uint64_t gap[8];

	CHECK(pipe(fds) == 0, "pipe");
	CHECK(write(fds[1], "x", 1) == 1, "write to the pipe");
	/* A page that is in user space but unmapped. */
	char *hole = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(hole != MAP_FAILED && munmap(hole, 4096) == 0, "mmap/munmap");
	memcpy(gap, bad, sizeof(bad));
	gap[4] = (uint64_t)hole;
	int zero = open("/dev/zero", O_RDONLY);
	int root = open("/", O_RDONLY | O_DIRECTORY);
	CHECK(zero >= 0 && root >= 0, "open /dev/zero and /");

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t p = gap[i];
		TRY("read", SYS_read, zero, p, 32);
		TRY("write", SYS_write, 1, p, 32);
		TRY("pread64", SYS_pread64, zero, p, 32, 0);
		TRY("open", SYS_open, p, O_RDONLY);
		TRY("openat", SYS_openat, AT_FDCWD, p, O_RDONLY);
		TRY("stat", SYS_stat, p, buf);
		TRY("stat buf", SYS_stat, "/", p);
		TRY("fstat", SYS_fstat, 0, p);
		TRY("newfstatat", SYS_newfstatat, AT_FDCWD, "/", p, 0);
		TRY("statx", SYS_statx, AT_FDCWD, "/", 0, 0x7ff, p);
		TRY("access", SYS_access, p, 0);
		TRY("pipe", SYS_pipe, p);
		TRY("pipe2", SYS_pipe2, p, 0);
		if (p && p != (uint64_t)hole) /* NULL: no status wanted; a hole: no child to report */
			TRY("wait4", SYS_wait4, -1, p, 0, 0);
		TRY("clock_gettime", SYS_clock_gettime, CLOCK_MONOTONIC, p);
		TRY("nanosleep", SYS_nanosleep, p, 0);
		TRY("clock_nanosleep", SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, p, 0);
		TRY("uname", SYS_uname, p);
		TRY("getcwd", SYS_getcwd, p, 64);
		TRY("chdir", SYS_chdir, p);
		TRY("mkdir", SYS_mkdir, p, 0755);
		TRY("unlink", SYS_unlink, p);
		TRY("rename", SYS_rename, p, "/tmp/x");
		TRY("readlink", SYS_readlink, "/proc/self/exe", p, 64);
		/* NULL: no new action / mask, no old one wanted. */
		TRY("rt_sigaction", SYS_rt_sigaction, SIGUSR1, p ? p : 1, 0, 8);
		TRY("rt_sigprocmask", SYS_rt_sigprocmask, SIG_BLOCK, p ? p : 1, 0, 8);
		if (p != (uint64_t)hole) /* FUTEX_WAKE with no waiter reads nothing */
			TRY("futex", SYS_futex, p, 1 /* FUTEX_WAKE */, 1, 0, 0, 0);
		TRY("poll", SYS_poll, p, 1, 0);
		TRY("ppoll", SYS_ppoll, p, 1, 0, 0, 8);
		if (p) { /* NULL: an empty set */
			struct timespec ts0 = { 0, 0 };
			uint64_t tv0[2] = { 0, 0 };
			TRY("select", SYS_select, 1, p, 0, 0, tv0);
			TRY("pselect6", SYS_pselect6, 1, p, 0, 0, &ts0, 0);
		}
		TRY("getrandom", SYS_getrandom, p, 16, 0);
		TRY("sysinfo", SYS_sysinfo, p);
		TRY("writev", SYS_writev, 1, p, 1);
		TRY("readv", SYS_readv, zero, p, 1);
		TRY("execve", SYS_execve, p, 0, 0);
		TRY("getdents64", SYS_getdents64, root, p, 64);
		TRY("gettimeofday", SYS_gettimeofday, p == 0 ? 1 : p, 0);
		TRY("sched_getaffinity", SYS_sched_getaffinity, 0, 8, p);
		TRY("rt_sigpending", SYS_rt_sigpending, p, 8);
		TRY("prlimit64", SYS_prlimit64, 0, RLIMIT_NOFILE, 0, p ? p : 1);
		/* Pointers inside what a good pointer points at. */
		struct { uint64_t base, len; } iov = { p, 8 };
		TRY("writev iov_base", SYS_writev, 1, &iov, 1);
		TRY("readv iov_base", SYS_readv, zero, &iov, 1);
		char *argv[] = { (char *)p, NULL };
		if (p) /* NULL ends the list */
			TRY("execve argv[0]", SYS_execve, "/proc/self/exe", argv, 0);
	}
	/* The pipe still works: nothing above broke the kernel. */
	CHECK(read(fds[0], buf, 1) == 1 && buf[0] == 'x', "the pipe after the bad calls");
	CHECK(failures == 0, "%d calls did not return EFAULT", failures);
	printf("SUCCESS\n");
	return 0;
}
