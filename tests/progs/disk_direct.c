// SPDX-License-Identifier: MIT
/*
 * Large reads of an ext2 file on a ringos disk, which the device writes
 * straight into the program's pages when they are block aligned like the
 * file (and go through the buffer cache otherwise):
 *
 *   disk_direct DISK    /mnt/DISK/direct.bin holds pat(i) (see test_disk.py)
 *
 * Every read is checked against the known content: aligned and unaligned
 * buffers, blocks partly in the cache, blocks changed in the cache and not
 * yet written (the cache must win), untouched (demand-zero) and
 * copy-on-write buffers, a fork while the buffer is shared, holes, the end
 * of the file, and buffers that run into an unmapped or read-only page (a
 * short read or EFAULT, never a crash).  The file keeps the change it makes
 * (DIRTY_OFF); test_disk.py checks it on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define MIB (1u << 20)
/* The change made through the cache, left dirty there while reads cover it. */
#define DIRTY_OFF (2 * MIB + 100)
#define DIRTY_LEN 9000u
#define SPARSE_GAP (3 * MIB)

static size_t size;

/* Same as pattern() in test_disk.py and pat() in disk_rw.c. */
static char pat(size_t i)
{
	return (char)('a' + (i * 7 + i / 1000) % 26);
}

/* What the file holds at offset i once DIRTY_LEN bytes at DIRTY_OFF are 'Z'. */
static char want(size_t i, int dirty)
{
	return dirty && i >= DIRTY_OFF && i < DIRTY_OFF + DIRTY_LEN ? 'Z' : pat(i);
}

/* 0, or 1 after printing the first byte of (buf) that differs from the file. */
static int differs(const char *what, const char *buf, size_t off, size_t n, int dirty)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != want(off + i, dirty)) {
			printf("FAIL: %s: byte %zu (file offset %zu) is %d, not %d\n", what, i, off + i,
			       buf[i], want(off + i, dirty));
			return 1;
		}
	}
	return 0;
}

/* pread (n) at (off) into (buf): all of it, or up to the end of the file. */
static int read_check(const char *what, int fd, char *buf, size_t off, size_t n, int dirty)
{
	ssize_t r = pread(fd, buf, n, (off_t)off);
	size_t expect = off >= size ? 0 : n < size - off ? n : size - off;

	CHECK(r >= 0, "%s: pread %zu at %zu: %s", what, n, off, strerror(errno));
	CHECK((size_t)r == expect, "%s: pread %zu at %zu gave %zd, not %zu", what, n, off, r, expect);
	return differs(what, buf, off, (size_t)r, dirty);
}

static char *map(size_t n)
{
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK_ERRNO(p != MAP_FAILED, "mmap %zu", n);
	return p;
}

/* Sequential 1 MiB reads into an aligned buffer, as a copy program would. */
static int sequential(int fd, char *buf, int dirty)
{
	size_t off = 0;
	ssize_t r;

	CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
	while ((r = read(fd, buf, MIB)) > 0) {
		if (differs("sequential", buf, off, (size_t)r, dirty))
			return 1;
		off += (size_t)r;
	}
	CHECK(r == 0 && off == size, "sequential: read %zd, %zu of %zu bytes", r, off, size);
	return 0;
}

/* Aligned, misaligned and offset-matching buffers, at the start, middle and end. */
static int alignments(int fd, char *buf, int dirty)
{
	static const size_t offs[] = { 0, 4096, 12 * 1024, 300 * 1024 + 1024, MIB + 512, 4 * MIB };
	char name[64];

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		/* Memory aligned like the file: the direct path. */
		snprintf(name, sizeof(name), "aligned at %zu", offs[i]);
		if (read_check(name, fd, buf + offs[i] % 4096, offs[i], MIB + 8192, dirty))
			return 1;
		/* Not aligned: the buffer cache. */
		snprintf(name, sizeof(name), "misaligned at %zu", offs[i]);
		if (read_check(name, fd, buf + 1, offs[i], 700 * 1024, dirty))
			return 1;
		/* Off by 100 in both: a partial first block, then whole ones. */
		snprintf(name, sizeof(name), "both +100 at %zu", offs[i]);
		if (read_check(name, fd, buf + 100, offs[i] + 100, 256 * 1024, dirty))
			return 1;
	}
	/* Up to and past the end of the file. */
	if (read_check("to the end", fd, buf, size - size % 4096 - 64 * 1024, MIB, dirty) ||
	    read_check("past the end", fd, buf, size + 4096, MIB, dirty))
		return 1;
	return 0;
}

/* Small reads put scattered blocks (and read-ahead) in the cache; a large read covers them. */
static int partly_cached(int fd, char *buf)
{
	char small[512];

	for (size_t off = 3 * MIB; off < 3 * MIB + 600 * 1024; off += 37 * 1024 + 512)
		if (read_check("small", fd, small, off, sizeof(small), 0))
			return 1;
	return read_check("over cached blocks", fd, buf, 3 * MIB - 8192, MIB, 0);
}

/* A change that is still only in the cache wins over the disk. */
static int dirty_blocks(int fd, char *buf)
{
	char z[DIRTY_LEN];

	memset(z, 'Z', sizeof(z));
	CHECK(pwrite(fd, z, sizeof(z), DIRTY_OFF) == (ssize_t)sizeof(z), "pwrite: %s",
	      strerror(errno));
	return read_check("over dirty blocks", fd, buf, 2 * MIB - 64 * 1024, MIB, 1) ||
	       read_check("over dirty blocks, unaligned", fd, buf + 8, 2 * MIB, 128 * 1024, 1) ||
	       sequential(fd, buf, 1);
}

/* Untouched anonymous memory (demand-zero) and pages a fork made copy-on-write. */
static int fresh_and_cow(int fd)
{
	char *fresh = map(2 * MIB);

	if (read_check("into untouched pages", fd, fresh, 0, 2 * MIB, 1))
		return 1;
	char *cow = map(MIB);
	memset(cow, 'x', MIB);
	int go[2], done[2];
	CHECK_ERRNO(pipe(go) == 0 && pipe(done) == 0, "pipe");
	pid_t pid = fork();
	CHECK_ERRNO(pid >= 0, "fork");
	if (pid == 0) {
		/* The child's copy must not see the parent's read. */
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		for (size_t i = 0; i < MIB; i++)
			if (cow[i] != 'x')
				_exit(3);
		_exit(write(done[1], "k", 1) == 1 ? 0 : 4);
	}
	if (read_check("into copy-on-write pages", fd, cow, MIB, MIB, 1))
		return 1;
	char c;
	CHECK(write(go[1], "g", 1) == 1 && read(done[0], &c, 1) == 1, "child did not answer");
	int st;
	CHECK_ERRNO(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child saw the parent's read (status %#x)", st);
	munmap(fresh, 2 * MIB);
	munmap(cow, MIB);
	return 0;
}

/* A read into memory that stops being writable part way: a short read, or EFAULT. */
static int bad_buffers(int fd)
{
	size_t n = 512 * 1024, hole = 200 * 1024;
	char *p = map(n);

	memset(p, 0, n);
	CHECK_ERRNO(munmap(p + hole, 4096) == 0, "munmap");
	ssize_t r = pread(fd, p, n, 0);
	CHECK(r == -1 ? errno == EFAULT : r > 0 && (size_t)r <= hole,
	      "read over an unmapped page gave %zd (%s)", r, r < 0 ? strerror(errno) : "");
	if (r > 0 && differs("before the unmapped page", p, 0, (size_t)r, 1))
		return 1;
	/* The unmapped page first: nothing read at all. */
	r = pread(fd, p + hole, n - hole, 0);
	CHECK(r == -1 && errno == EFAULT, "read into an unmapped page gave %zd", r);
	/* A read-only page part way (ro), and after it. */
	size_t ro = 64 * 1024;
	CHECK_ERRNO(mprotect(p + ro, 4096, PROT_READ) == 0, "mprotect");
	r = pread(fd, p, 128 * 1024, 0);
	CHECK(r == -1 ? errno == EFAULT : r > 0 && (size_t)r <= ro,
	      "read over a read-only page gave %zd (%s)", r, r < 0 ? strerror(errno) : "");
	if (r > 0 && differs("before the read-only page", p, 0, (size_t)r, 1))
		return 1;
	r = pread(fd, p + ro, 128 * 1024, (off_t)ro);
	CHECK(r == -1 && errno == EFAULT, "read into a read-only page gave %zd", r);
	if (read_check("after the read-only page", fd, p + ro + 4096, ro + 4096, hole - ro - 4096, 1))
		return 1;
	munmap(p, n);
	return 0;
}

/* A hole reads as zeroes, between two written blocks. */
static int holes(const char *dir, char *buf)
{
	char path[512], blk[4096];

	snprintf(path, sizeof(path), "%s/sparse.bin", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_ERRNO(fd >= 0, "create %s", path);
	memset(blk, 'h', sizeof(blk));
	CHECK(pwrite(fd, blk, sizeof(blk), 0) == (ssize_t)sizeof(blk) &&
	      pwrite(fd, blk, sizeof(blk), SPARSE_GAP) == (ssize_t)sizeof(blk), "pwrite sparse");
	CHECK(fsync(fd) == 0, "fsync sparse");
	ssize_t r = pread(fd, buf, 4 * MIB, 0);
	CHECK(r == SPARSE_GAP + 4096, "sparse read gave %zd", r);
	for (size_t i = 0; i < (size_t)r; i++)
		CHECK(buf[i] == (i < 4096 || i >= SPARSE_GAP ? 'h' : 0), "sparse byte %zu is %d", i,
		      buf[i]);
	close(fd);
	CHECK(unlink(path) == 0, "unlink sparse");
	return 0;
}

int main(int argc, char **argv)
{
	char dir[256], path[512];
	struct stat st;

	if (argc != 2) {
		fprintf(stderr, "usage: disk_direct DISK\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "/mnt/%s", argv[1]);
	snprintf(path, sizeof(path), "%s/direct.bin", dir);
	int fd = open(path, O_RDWR);
	CHECK_ERRNO(fd >= 0, "open %s", path);
	CHECK_ERRNO(fstat(fd, &st) == 0, "fstat");
	size = (size_t)st.st_size;
	CHECK(size > 5 * MIB, "%s has %zu bytes", path, size);
	char *buf = map(4 * MIB + 8192);
	if (sequential(fd, buf, 0) || alignments(fd, buf, 0) || partly_cached(fd, buf) ||
	    dirty_blocks(fd, buf) || alignments(fd, buf, 1) || fresh_and_cow(fd) ||
	    bad_buffers(fd) || holes(dir, buf))
		return 1;
	close(fd);
	printf("SUCCESS\n");
	return 0;
}
