// SPDX-License-Identifier: MIT
// files [INPUT EXPECTED]: reads INPUT (a file added with --add) and compares
// it with EXPECTED, then works in a fresh directory under /tmp: create,
// write, lseek, pread, stat, ftruncate, O_APPEND, O_EXCL, rename, readdir,
// unlink and rmdir, checking every result.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define BIG 10000

static char dir[64];

static const char *in_dir(const char *name)
{
	static char buf[2][128];
	static int which;

	which ^= 1;
	snprintf(buf[which], sizeof(buf[which]), "%s/%s", dir, name);
	return buf[which];
}

static void check_input(const char *path, const char *expected)
{
	char buf[4096];
	struct stat st;
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY);

	CHECK_ERRNO(fd >= 0, "open %s", path);
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	CHECK_ERRNO(n == 0, "read %s", path);
	buf[got] = '\0';
	CHECK_ERRNO(strcmp(buf, expected) == 0, "%s holds '%s', want '%s'", path, buf, expected);
	CHECK_ERRNO(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == got,
	      "fstat %s: size %lld, want %zd", path, (long long)st.st_size, got);
	close(fd);
	printf("input: %s ok\n", path);
}

static void check_rw(void)
{
	static char data[BIG], back[BIG];
	struct stat st;
	char c;
	int fd;

	for (int i = 0; i < BIG; i++)
		data[i] = (char)('a' + i % 26);
	fd = open(in_dir("data"), O_RDWR | O_CREAT | O_TRUNC, 0640);
	CHECK_ERRNO(fd >= 0, "create %s", in_dir("data"));
	CHECK_ERRNO(write(fd, data, BIG) == BIG, "write %d bytes", BIG);
	CHECK_ERRNO(fstat(fd, &st) == 0 && st.st_size == BIG && S_ISREG(st.st_mode),
	      "fstat size %lld, want %d", (long long)st.st_size, BIG);
	CHECK_ERRNO((st.st_mode & 0777) == 0640, "mode %o, want 640", st.st_mode & 0777);
	CHECK_ERRNO(lseek(fd, 0, SEEK_CUR) == BIG, "offset after write");
	CHECK_ERRNO(lseek(fd, 0, SEEK_SET) == 0 && read(fd, back, BIG) == BIG &&
	      memcmp(data, back, BIG) == 0, "read back what was written");
	CHECK_ERRNO(read(fd, &c, 1) == 0, "read at end of file is not 0");
	CHECK_ERRNO(lseek(fd, 5000, SEEK_SET) == 5000 && read(fd, &c, 1) == 1 && c == data[5000],
	      "lseek SEEK_SET then read");
	CHECK_ERRNO(lseek(fd, -1, SEEK_END) == BIG - 1 && read(fd, &c, 1) == 1 && c == data[BIG - 1],
	      "lseek SEEK_END then read");
	CHECK_ERRNO(pread(fd, &c, 1, 26) == 1 && c == 'a' && lseek(fd, 0, SEEK_CUR) == BIG,
	      "pread must not move the offset");
	CHECK_ERRNO(lseek(fd, -1, SEEK_SET) == -1 && errno == EINVAL, "negative lseek is not EINVAL");

	/* Shrink, then grow: the new tail must read as zeroes. */
	CHECK_ERRNO(ftruncate(fd, 100) == 0, "ftruncate to 100");
	CHECK_ERRNO(stat(in_dir("data"), &st) == 0 && st.st_size == 100, "size after shrink %lld",
	      (long long)st.st_size);
	CHECK_ERRNO(ftruncate(fd, 8192) == 0, "ftruncate to 8192");
	CHECK_ERRNO(pread(fd, back, 8192, 0) == 8192 && memcmp(back, data, 100) == 0,
	      "contents after grow");
	for (int i = 100; i < 8192; i++)
		CHECK_ERRNO(back[i] == 0, "byte %d after ftruncate grow is %d", i, back[i]);

	/* Writing past the end leaves a zero-filled gap. */
	CHECK_ERRNO(pwrite(fd, "Z", 1, 9000) == 1 && fstat(fd, &st) == 0 && st.st_size == 9001,
	      "pwrite past end: size %lld", (long long)st.st_size);
	CHECK_ERRNO(pread(fd, &c, 1, 8500) == 1 && c == 0, "gap byte not zero");
	close(fd);

	fd = open(in_dir("data"), O_WRONLY | O_APPEND);
	CHECK_ERRNO(fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 && write(fd, "END", 3) == 3,
	      "O_APPEND write");
	close(fd);
	CHECK_ERRNO(stat(in_dir("data"), &st) == 0 && st.st_size == 9004, "O_APPEND must write at the end");
	CHECK_ERRNO(open(in_dir("data"), O_WRONLY | O_CREAT | O_EXCL, 0600) == -1 && errno == EEXIST,
	      "O_EXCL on an existing file is not EEXIST");
	CHECK_ERRNO(open(in_dir("missing"), O_RDONLY) == -1 && errno == ENOENT,
	      "opening a missing file is not ENOENT");
	printf("read/write/seek/truncate: ok\n");
}

static void check_stdio(void)
{
	char line[64];
	FILE *f = fopen(in_dir("text"), "w");

	CHECK_ERRNO(f, "fopen w");
	fprintf(f, "line one\nline %d\n", 2);
	CHECK_ERRNO(fclose(f) == 0, "fclose");
	f = fopen(in_dir("text"), "r");
	CHECK_ERRNO(f && fgets(line, sizeof(line), f) && strcmp(line, "line one\n") == 0 &&
	      fgets(line, sizeof(line), f) && strcmp(line, "line 2\n") == 0 &&
	      !fgets(line, sizeof(line), f), "stdio round trip");
	fclose(f);
	printf("stdio: ok\n");
}

static void check_dirs(void)
{
	const char *want[] = { "renamed", "sub", "text" };
	int seen[3] = { 0 }, dots = 0;
	struct dirent *e;
	struct stat st;

	CHECK_ERRNO(rename(in_dir("data"), in_dir("renamed")) == 0, "rename");
	CHECK_ERRNO(stat(in_dir("data"), &st) == -1 && errno == ENOENT, "old name still exists");
	CHECK_ERRNO(stat(in_dir("renamed"), &st) == 0 && st.st_size == 9004, "renamed file size");
	CHECK_ERRNO(mkdir(in_dir("sub"), 0755) == 0, "mkdir sub");
	CHECK_ERRNO(mkdir(in_dir("sub"), 0755) == -1 && errno == EEXIST, "mkdir twice is not EEXIST");
	CHECK_ERRNO(stat(in_dir("sub"), &st) == 0 && S_ISDIR(st.st_mode), "sub is not a directory");
	CHECK_ERRNO(close(open(in_dir("sub/inner"), O_CREAT | O_WRONLY, 0600)) == 0, "create sub/inner");

	/* readdir goes through getdents64. */
	DIR *d = opendir(dir);
	CHECK_ERRNO(d, "opendir %s", dir);
	while ((e = readdir(d)) != NULL) {
		int known = 0;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
			dots++;
			continue;
		}
		for (int i = 0; i < 3; i++) {
			if (strcmp(e->d_name, want[i]) == 0) {
				seen[i]++;
				known = 1;
			}
		}
		CHECK_ERRNO(known, "unexpected directory entry '%s'", e->d_name);
	}
	closedir(d);
	CHECK_ERRNO(seen[0] == 1 && seen[1] == 1 && seen[2] == 1,
	      "readdir saw renamed=%d sub=%d text=%d, want each once", seen[0], seen[1], seen[2]);
	CHECK_ERRNO(dots == 2, "readdir saw %d of . and ..", dots);

	CHECK_ERRNO(chdir(in_dir("sub")) == 0 && access("inner", F_OK) == 0, "chdir into sub");
	CHECK_ERRNO(chdir("/") == 0, "chdir /");
	CHECK_ERRNO(rmdir(in_dir("sub")) == -1 && errno == ENOTEMPTY, "rmdir of a non-empty dir");
	CHECK_ERRNO(unlink(in_dir("sub/inner")) == 0 && rmdir(in_dir("sub")) == 0, "remove sub");
	CHECK_ERRNO(unlink(in_dir("renamed")) == 0 && unlink(in_dir("text")) == 0, "unlink files");
	CHECK_ERRNO(unlink(in_dir("text")) == -1 && errno == ENOENT, "unlink twice is not ENOENT");
	CHECK_ERRNO(rmdir(dir) == 0, "rmdir %s", dir);
	CHECK_ERRNO(stat(dir, &st) == -1 && errno == ENOENT, "%s still exists", dir);
	printf("directories: ok\n");
}

int main(int argc, char **argv)
{
	if (argc == 3)
		check_input(argv[1], argv[2]);
	else if (argc != 1)
		CHECK_ERRNO(0, "usage: files [INPUT EXPECTED]");
	/* A per-process name, so that host runs in parallel do not collide. */
	snprintf(dir, sizeof(dir), "/tmp/files.%d", getpid());
	CHECK_ERRNO(mkdir(dir, 0700) == 0, "mkdir %s", dir);
	check_rw();
	check_stdio();
	check_dirs();
	printf("SUCCESS\n");
	return 0;
}
