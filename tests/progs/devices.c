// SPDX-License-Identifier: MIT
// devices: the files every program may rely on: /dev/null, /dev/zero,
// /dev/urandom, /dev/console and /proc/self/exe; prints the working
// directory for the host to check.
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

int main(int argc, char **argv)
{
	unsigned char buf[64], buf2[64];
	char exe[PATH_MAX], cwd[PATH_MAX];
	int fd;

	(void)argc;
	fd = open("/dev/null", O_RDWR);
	CHECK_ERRNO(fd >= 0, "open /dev/null");
	CHECK_ERRNO(write(fd, "x", 1) == 1 && read(fd, buf, sizeof(buf)) == 0, "/dev/null");
	close(fd);

	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 0xff, sizeof(buf));
	CHECK_ERRNO(fd >= 0 && read(fd, buf, sizeof(buf)) == sizeof(buf), "read /dev/zero");
	for (size_t i = 0; i < sizeof(buf); i++)
		CHECK_ERRNO(buf[i] == 0, "/dev/zero gave %d", buf[i]);
	close(fd);

	fd = open("/dev/urandom", O_RDONLY);
	CHECK_ERRNO(fd >= 0 && read(fd, buf, sizeof(buf)) == sizeof(buf) &&
	      read(fd, buf2, sizeof(buf2)) == sizeof(buf2), "read /dev/urandom");
	/* 64 equal bytes from a random source: not going to happen. */
	CHECK_ERRNO(memcmp(buf, buf2, sizeof(buf)) != 0, "/dev/urandom repeats itself");
	close(fd);

	fd = open("/dev/console", O_WRONLY);
	CHECK_ERRNO(fd >= 0, "open /dev/console");
	close(fd);

	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK_ERRNO(n > 0, "readlink /proc/self/exe");
	exe[n] = '\0';
	CHECK_ERRNO(strcmp(basename(exe), basename(argv[0])) == 0, "/proc/self/exe is %s, argv[0] %s",
	      exe, argv[0]);
	printf("exe=%s\n", exe);
	CHECK_ERRNO(getcwd(cwd, sizeof(cwd)), "getcwd");
	printf("cwd=%s\n", cwd);
	printf("SUCCESS\n");
	return 0;
}
