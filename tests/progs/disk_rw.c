// SPDX-License-Identifier: MIT
/*
 * Exercises an ext2 disk mounted by ringos at /mnt/<disk>:
 *   disk_rw read DISK     known files from mkfs.ext2 -d (see test_disk.py)
 *   disk_rw write DISK    create, write, truncate, rename, unlink, mkdir,
 *                         rmdir, readdir, stat, then sync
 *   disk_rw ro DISK       every write fails with EROFS (open for writing at once);
 *                         statfs/fstatfs report the ext2 superblock
 *   disk_rw corrupt DISK  walk everything; errors are fine, crashes are not
 *   disk_rw fsync DISK    write and fsync a file, say SYNCED, then wait
 *   disk_rw bench DISK MB sequential write+fsync and read, in MB/s
 *   disk_rw rng -         /dev/hwrng and getrandom give bytes
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static char path[512];

static const char *at(const char *disk, const char *rel)
{
	snprintf(path, sizeof(path), "/mnt/%s/%s", disk, rel);
	return path;
}

static int slurp(const char *p, char *buf, size_t n)
{
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return -errno;
	ssize_t r, got = 0;
	while ((r = read(fd, buf + got, n - 1 - got)) > 0)
		got += r;
	close(fd);
	if (r < 0)
		return -errno;
	buf[got] = 0;
	return (int)got;
}

static int put(const char *p, const char *data, size_t n, int flags)
{
	int fd = open(p, O_WRONLY | O_CREAT | flags, 0644);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, data, n);
	int e = w < 0 ? -errno : (size_t)w != n ? -EIO : 0;
	close(fd);
	return e;
}

/* The pattern byte at offset i of the big files: not periodic in the block size. */
static char pat(size_t i)
{
	return (char)('a' + (i * 7 + i / 1000) % 26);
}

static int do_read(const char *disk)
{
	static char buf[1 << 20];
	struct stat st;

	CHECK(slurp(at(disk, "hello.txt"), buf, sizeof(buf)) == 12, "read hello.txt");
	CHECK(!strcmp(buf, "hello world\n"), "hello.txt content '%s'", buf);
	CHECK(slurp(at(disk, "sub/dir/deep.txt"), buf, sizeof(buf)) == 5 && !strcmp(buf, "deep\n"),
	      "sub/dir/deep.txt");
	int n = slurp(at(disk, "big.bin"), buf, sizeof(buf));
	CHECK(n == 300000, "big.bin size %d", n);
	for (int i = 0; i < n; i++)
		CHECK(buf[i] == pat(i), "big.bin byte %d", i);
	CHECK(stat(at(disk, "big.bin"), &st) == 0 && st.st_size == 300000, "stat big.bin");
	CHECK(stat(at(disk, "sub"), &st) == 0 && S_ISDIR(st.st_mode), "stat sub");
	DIR *d = opendir(at(disk, ""));
	CHECK(d, "opendir root");
	int seen = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		seen |= (strcmp(e->d_name, "hello.txt") == 0) | (strcmp(e->d_name, "sub") == 0) << 1 |
			(strcmp(e->d_name, "lost+found") == 0) << 2;
	closedir(d);
	CHECK(seen == 7, "readdir saw %d", seen);
	CHECK(open(at(disk, "nope"), O_RDONLY) < 0 && errno == ENOENT, "ENOENT");
	printf("SUCCESS\n");
	return 0;
}

static int do_write(const char *disk)
{
	static char buf[1 << 20];
	struct stat st;

	/* New files, one large enough for double-indirect blocks on 1 KiB disks. */
	CHECK(put(at(disk, "new.txt"), "new file\n", 9, O_EXCL) == 0, "create new.txt");
	for (size_t i = 0; i < 400000; i++)
		buf[i] = pat(i);
	CHECK(put(at(disk, "big2.bin"), buf, 400000, O_TRUNC) == 0, "write big2.bin");
	/* Overwrite in the middle, append, truncate. */
	int fd = open(at(disk, "hello.txt"), O_RDWR);
	CHECK(fd >= 0, "open hello.txt rw");
	CHECK(pwrite(fd, "HELLO", 5, 0) == 5, "pwrite");
	close(fd);
	CHECK(put(at(disk, "hello.txt"), "again\n", 6, O_APPEND) == 0, "append");
	fd = open(at(disk, "sub/dir/../../big.bin"), O_RDWR);
	CHECK(fd >= 0 && ftruncate(fd, 3000) == 0, "ftruncate big.bin");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 3000, "size after ftruncate");
	close(fd);
	/* truncate(2) by path: shrink, then grow with zeroes. */
	CHECK(put(at(disk, "trunc.tmp"), "0123456789", 10, 0) == 0, "create trunc.tmp");
	CHECK(truncate(at(disk, "trunc.tmp"), 4) == 0, "truncate to 4");
	CHECK(truncate(at(disk, "trunc.tmp"), 6) == 0, "truncate to 6");
	CHECK(slurp(at(disk, "trunc.tmp"), buf, sizeof(buf)) == 6 && !memcmp(buf, "0123\0\0", 6),
	      "trunc.tmp after truncate");
	CHECK(truncate(at(disk, "sub"), 0) < 0 && errno == EISDIR, "truncate a directory: %d", errno);
	CHECK(truncate(at(disk, "nope"), 0) < 0 && errno == ENOENT, "truncate a missing file");
	CHECK(unlink(at(disk, "trunc.tmp")) == 0, "unlink trunc.tmp");
	/* Directories. */
	CHECK(mkdir(at(disk, "newdir"), 0755) == 0, "mkdir newdir");
	CHECK(mkdir(at(disk, "newdir/inner"), 0755) == 0, "mkdir inner");
	CHECK(put(at(disk, "newdir/inner/f.txt"), "inner\n", 6, 0) == 0, "create inner file");
	CHECK(mkdir(at(disk, "gone"), 0755) == 0, "mkdir gone");
	CHECK(rmdir(at(disk, "newdir")) < 0 && errno == ENOTEMPTY, "rmdir non-empty");
	CHECK(rmdir(at(disk, "gone")) == 0, "rmdir gone");
	/* Many entries: the directory grows past one block. */
	for (int i = 0; i < 120; i++) {
		char name[64];
		snprintf(name, sizeof(name), "newdir/file-with-a-longish-name-%03d", i);
		CHECK(put(at(disk, name), name, strlen(name), 0) == 0, "create %s", name);
	}
	for (int i = 0; i < 120; i += 2) {
		char name[64];
		snprintf(name, sizeof(name), "newdir/file-with-a-longish-name-%03d", i);
		CHECK(unlink(at(disk, name)) == 0, "unlink %s", name);
	}
	/* Renames: same directory, across directories, over an existing file, a directory. */
	char a[512], b[512];
	strcpy(a, at(disk, "new.txt"));
	CHECK(rename(a, at(disk, "renamed.txt")) == 0, "rename new.txt");
	strcpy(a, at(disk, "renamed.txt"));
	CHECK(rename(a, at(disk, "sub/moved.txt")) == 0, "rename across dirs");
	strcpy(a, at(disk, "sub/dir/deep.txt"));
	strcpy(b, at(disk, "sub/moved.txt"));
	CHECK(put(b, "moved\n", 6, O_TRUNC) == 0, "rewrite moved.txt");
	CHECK(rename(a, b) == 0, "rename over existing");
	strcpy(a, at(disk, "newdir/inner"));
	CHECK(rename(a, at(disk, "sub/inner2")) == 0, "rename a directory");
	/* Check what we wrote reads back before syncing. */
	CHECK(slurp(at(disk, "sub/moved.txt"), buf, sizeof(buf)) == 5 && !strcmp(buf, "deep\n"),
	      "moved.txt has deep's content");
	CHECK(slurp(at(disk, "sub/inner2/f.txt"), buf, sizeof(buf)) == 6, "inner2/f.txt");
	CHECK(stat(at(disk, "big2.bin"), &st) == 0 && st.st_size == 400000, "stat big2");
	/* A file unlinked while open keeps its data until closed. */
	CHECK(put(at(disk, "tmpopen"), "x", 1, 0) == 0, "create tmpopen");
	fd = open(at(disk, "tmpopen"), O_RDONLY);
	CHECK(fd >= 0 && unlink(at(disk, "tmpopen")) == 0, "unlink open file");
	CHECK(read(fd, buf, 1) == 1 && buf[0] == 'x', "read unlinked file");
	close(fd);
	sync();
	printf("SUCCESS\n");
	return 0;
}

static int do_ro(const char *disk)
{
	static char buf[64];

	CHECK(slurp(at(disk, "hello.txt"), buf, sizeof(buf)) == 12, "read on ro disk");
	CHECK(put(at(disk, "x"), "x", 1, 0) == -EROFS, "create: %d", put(at(disk, "x"), "x", 1, 0));
	CHECK(mkdir(at(disk, "d"), 0755) < 0 && errno == EROFS, "mkdir errno %d", errno);
	CHECK(unlink(at(disk, "hello.txt")) < 0 && errno == EROFS, "unlink errno %d", errno);
	/* Linux refuses to open for writing (or truncating) on a read-only mount. */
	static const int wflags[] = { O_RDWR, O_WRONLY, O_WRONLY | O_TRUNC, O_RDONLY | O_TRUNC,
				      O_RDWR | O_CREAT };
	for (unsigned i = 0; i < sizeof(wflags) / sizeof(wflags[0]); i++) {
		int fd = open(at(disk, "hello.txt"), wflags[i], 0644);
		CHECK(fd < 0 && errno == EROFS, "open flags %#x: fd %d errno %d", wflags[i], fd, errno);
	}
	int fd = open(at(disk, "hello.txt"), O_RDONLY | O_CREAT, 0644);
	CHECK(fd >= 0, "O_RDONLY|O_CREAT of an existing file: errno %d", errno);
	CHECK(truncate(at(disk, "hello.txt"), 0) < 0 && errno == EROFS, "truncate errno %d", errno);
	CHECK(slurp(at(disk, "hello.txt"), buf, sizeof(buf)) == 12, "hello.txt unchanged");
	/* statfs: test_disk.py's images are mkfs.ext2 ... 16M. */
	struct statfs sf, ff;
	CHECK(statfs(at(disk, ""), &sf) == 0, "statfs errno %d", errno);
	CHECK(sf.f_type == 0xef53, "f_type %#lx", (unsigned long)sf.f_type);
	CHECK(sf.f_bsize == 1024 || sf.f_bsize == 4096, "f_bsize %ld", (long)sf.f_bsize);
	CHECK((long long)sf.f_blocks * sf.f_bsize == 16 << 20, "f_blocks %llu",
	      (unsigned long long)sf.f_blocks);
	CHECK(sf.f_bfree > 0 && sf.f_bfree < sf.f_blocks && sf.f_bavail <= sf.f_bfree,
	      "f_bfree %llu f_bavail %llu", (unsigned long long)sf.f_bfree,
	      (unsigned long long)sf.f_bavail);
	CHECK(sf.f_files > 11 && sf.f_ffree > 0 && sf.f_ffree < sf.f_files, "f_files %llu f_ffree %llu",
	      (unsigned long long)sf.f_files, (unsigned long long)sf.f_ffree);
	CHECK(sf.f_namelen == 255 && (sf.f_flags & ST_RDONLY), "f_namelen %ld f_flags %#lx",
	      (long)sf.f_namelen, (unsigned long)sf.f_flags);
	CHECK(fstatfs(fd, &ff) == 0 && ff.f_type == sf.f_type && ff.f_blocks == sf.f_blocks,
	      "fstatfs errno %d", errno);
	close(fd);
	CHECK(fstatfs(-1, &ff) < 0 && errno == EBADF, "fstatfs(-1) errno %d", errno);
	CHECK(statfs("/", &ff) == 0 && ff.f_type != 0xef53 && ff.f_bsize > 0 && !(ff.f_flags & ST_RDONLY),
	      "statfs / type %#lx", (unsigned long)ff.f_type);
	printf("SUCCESS\n");
	return 0;
}

/* Visit everything under (dir); count errors, never stop. */
static void walk(const char *dir, int depth, int *files, int *errs)
{
	static char buf[65536];
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		(*errs)++;
		return;
	}
	while ((e = readdir(d))) {
		char p[1024];
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st)) {
			(*errs)++;
			continue;
		}
		(*files)++;
		if (S_ISDIR(st.st_mode) && depth < 8)
			walk(p, depth + 1, files, errs);
		else if (slurp(p, buf, sizeof(buf)) < 0)
			(*errs)++;
	}
	closedir(d);
}

static int do_corrupt(const char *disk)
{
	int files = 0, errs = 0;

	walk(at(disk, ""), 0, &files, &errs);
	/* Writes may fail too; they must fail cleanly. */
	int w = put(at(disk, "after-corruption"), "x", 1, 0);
	int m = mkdir(at(disk, "dir-after"), 0755) ? errno : 0;
	sync();
	printf("walked %d entries, %d errors, write %d, mkdir %d\n", files, errs, w, m);
	printf("SUCCESS\n");
	return 0;
}

static int do_fsync(const char *disk)
{
	static char buf[200000];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pat(i);
	int fd = open(at(disk, "synced.bin"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "create synced.bin");
	CHECK(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), "write synced.bin");
	CHECK(fsync(fd) == 0, "fsync: errno %d", errno);
	printf("SYNCED\n");
	fflush(stdout);
	for (;;)
		pause();
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int do_bench(const char *disk, int mb)
{
	static char buf[1 << 20];
	int fd = open(at(disk, "bench.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0, "create bench.bin");
	memset(buf, 'b', sizeof(buf));
	double t0 = now();
	for (int i = 0; i < mb; i++)
		CHECK(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), "write");
	CHECK(fsync(fd) == 0, "fsync");
	double t1 = now();
	close(fd);
	/* Read from a remount would be cold; this reads what is cached or not. */
	fd = open(at(disk, "bench.bin"), O_RDONLY);
	for (int i = 0; i < mb; i++)
		CHECK(read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), "read");
	double t2 = now();
	close(fd);
	printf("write %.1f MB/s, read %.1f MB/s\n", mb / (t1 - t0), mb / (t2 - t1));
	fd = open(at(disk, "big.bin"), O_RDONLY);
	if (fd >= 0) {
		/* big.bin was never read: a cold sequential read. */
		double t3 = now();
		ssize_t n, tot = 0;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			tot += n;
		printf("cold read %.1f MB/s (%zd bytes)\n", tot / 1e6 / (now() - t3), tot);
		close(fd);
	}
	printf("SUCCESS\n");
	return 0;
}

static int do_rng(void)
{
	unsigned char a[64] = { 0 }, b[64] = { 0 };
	int fd = open("/dev/hwrng", O_RDONLY);

	CHECK(fd >= 0, "open /dev/hwrng: errno %d", errno);
	CHECK(read(fd, a, sizeof(a)) == (ssize_t)sizeof(a), "read /dev/hwrng");
	close(fd);
	CHECK(getrandom(b, sizeof(b), 0) == (ssize_t)sizeof(b), "getrandom");
	int za = 0, zb = 0;
	for (size_t i = 0; i < sizeof(a); i++)
		za += !a[i], zb += !b[i];
	CHECK(za < 8 && zb < 8 && memcmp(a, b, sizeof(a)), "bytes look random");
	printf("SUCCESS\n");
	return 0;
}

int main(int argc, char **argv)
{
	CHECK(argc >= 3, "usage: disk_rw read|write|ro|corrupt|fsync|bench DISK [MB]");
	const char *disk = argv[2];
	if (!strcmp(argv[1], "read"))
		return do_read(disk);
	if (!strcmp(argv[1], "write"))
		return do_write(disk);
	if (!strcmp(argv[1], "ro"))
		return do_ro(disk);
	if (!strcmp(argv[1], "corrupt"))
		return do_corrupt(disk);
	if (!strcmp(argv[1], "fsync"))
		return do_fsync(disk);
	if (!strcmp(argv[1], "rng"))
		return do_rng();
	if (!strcmp(argv[1], "bench"))
		return do_bench(disk, argc > 3 ? atoi(argv[3]) : 16);
	CHECK(0, "unknown mode %s", argv[1]);
}
