// SPDX-License-Identifier: MIT
// cow_cases: fork's copy-on-write sharing case by case.  Regions are large
// enough (> 64 writable pages per page table) that ringos shares them rather
// than copying at fork.  Both sides writing the same pages, a fork of a fork
// (three sharers), brk heap, anonymous mmap, the stack, MAP_SHARED, munmap
// and execve in the child, mprotect of a shared read-only page, and no page
// leaked: sysinfo's free RAM is back to its pre-fork level at the end.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define BIG (1 << 20)

static unsigned char *brk_mem, *anon, *shared, *ro;

static int all(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* Fill one byte per page: enough to copy every page. */
static void touch(unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i += 4096)
		p[i] = v;
}

static int touched(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i += 4096)
		if (p[i] != v)
			return 0;
	return 1;
}

/* Run (fn) in a child; returns its exit status, or -1. */
static int in_child(int (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn());
	int ws;
	if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws))
		return -1;
	return WEXITSTATUS(ws);
}

static unsigned long free_ram(void)
{
	struct sysinfo si;

	return sysinfo(&si) == 0 ? si.freeram * si.mem_unit : 0;
}

static int child_writes_all(void)
{
	if (!all(brk_mem, BIG, 1) || !all(anon, BIG, 2))
		return 10;
	memset(brk_mem, 0x51, BIG);
	memset(anon, 0x52, BIG);
	return all(brk_mem, BIG, 0x51) && all(anon, BIG, 0x52) ? 0 : 11;
}

static int grandchild(void)
{
	/* Three address spaces share the second half now. */
	if (!touched(anon, BIG / 2, 0x61) || !touched(anon + BIG / 2, BIG / 2, 2))
		return 20;
	touch(anon, BIG, 0x71);
	return touched(anon, BIG, 0x71) ? 0 : 21;
}

static int child_forks(void)
{
	touch(anon, BIG / 2, 0x61); /* half private, half still shared by three */
	int st = in_child(grandchild);
	if (st)
		return st;
	if (!touched(anon, BIG / 2, 0x61) || !touched(anon + BIG / 2, BIG / 2, 2))
		return 22;
	return 0;
}

static volatile unsigned char *parent_deep; /* main's stack array */

static int child_stack(void)
{
	volatile unsigned char deep[BIG / 2];

	if (parent_deep[0] != 0x31)
		return 30;
	memset((void *)parent_deep, 0x33, BIG / 2);
	memset((void *)deep, 0x34, sizeof(deep));
	return parent_deep[0] == 0x33 && deep[sizeof(deep) - 1] == 0x34 ? 0 : 31;
}

static int child_shared(void)
{
	if (!touched(shared, BIG, 4))
		return 40;
	touch(shared, BIG, 0x44);
	return 0;
}

static int child_munmap(void)
{
	if (munmap(anon, BIG) != 0)
		return 50;
	return touched(brk_mem, BIG, 1) ? 0 : 51;
}

static int child_mprotect(void)
{
	if (mprotect(ro, BIG, PROT_READ | PROT_WRITE) != 0)
		return 60;
	touch(ro, BIG, 0x66);
	return 0;
}

static const char *self;

static int child_exec(void)
{
	touch(anon, BIG / 4, 0x77); /* some private copies for exec to drop */
	execl(self, self, "exit0", (char *)NULL);
	return 70;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exit0"))
		return 0;
	self = "/proc/self/exe";

	/* musl's sbrk refuses to grow: ask brk(2) itself. */
	unsigned long cur = syscall(SYS_brk, 0);
	brk_mem = syscall(SYS_brk, cur + BIG) == (long)(cur + BIG) ? (unsigned char *)cur : (void *)-1;
	anon = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(brk_mem != (void *)-1 && anon != MAP_FAILED && shared != MAP_FAILED && ro != MAP_FAILED,
	      "setup");
	memset(brk_mem, 1, BIG);
	memset(anon, 2, BIG);
	touch(shared, BIG, 4);
	memset(ro, 5, BIG);
	CHECK(mprotect(ro, BIG, PROT_READ) == 0, "mprotect read-only");
	volatile unsigned char deep[BIG / 2];
	memset((void *)deep, 0x31, sizeof(deep));
	parent_deep = deep;
	/* A first fork sets up the kernel's caches; later ones must not leak. */
	CHECK(in_child(child_writes_all) == 0, "warm-up child");
	unsigned long before = free_ram();

	int st = in_child(child_writes_all);
	CHECK(st == 0, "child writes to brk heap and mmap: status %d", st);
	CHECK(all(brk_mem, BIG, 1) && all(anon, BIG, 2), "the child's writes show in the parent");

	/* Parent and child both write the same shared pages. */
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		touch(anon, BIG, 0x81);
		usleep(10000);
		_exit(touched(anon, BIG, 0x81) ? 0 : 80);
	}
	touch(anon, BIG, 0x82);
	int ws;
	CHECK(waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
	      "both writing: child saw %#x", ws);
	CHECK(touched(anon, BIG, 0x82), "both writing: the parent's pages changed");
	touch(anon, BIG, 2);

	st = in_child(child_forks);
	CHECK(st == 0, "fork of a fork: status %d", st);
	CHECK(touched(anon, BIG, 2), "fork of a fork: a descendant's writes show in the parent");

	st = in_child(child_stack);
	CHECK(st == 0, "stack: status %d", st);
	CHECK(deep[0] == 0x31 && deep[sizeof(deep) - 1] == 0x31, "the child's stack writes show in the parent");

	st = in_child(child_shared);
	CHECK(st == 0, "MAP_SHARED: status %d", st);
	CHECK(touched(shared, BIG, 0x44), "MAP_SHARED: the child's writes do not show in the parent");

	st = in_child(child_munmap);
	CHECK(st == 0, "munmap in the child: status %d", st);
	CHECK(touched(anon, BIG, 2), "munmap in the child changed the parent");

	st = in_child(child_mprotect);
	CHECK(st == 0, "mprotect in the child: status %d", st);
	CHECK(all(ro, BIG, 5), "a shared read-only page made writable was not copied");

	st = in_child(child_exec);
	CHECK(st == 0, "execve in the child: status %d", st);
	CHECK(touched(anon, BIG, 2), "execve in the child changed the parent");

	/* The parent's own writes after all those children. */
	memset(brk_mem, 9, BIG);
	memset(anon, 9, BIG);
	unsigned long after = free_ram();
	CHECK(after == before, "free RAM %lu before the forks, %lu after: %ld bytes leaked",
	      before, after, (long)(before - after));
	printf("SUCCESS\n");
	return 0;
}
