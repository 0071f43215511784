// SPDX-License-Identifier: MIT
// fork_pipe: a child writes through a pipe to its parent and exits 42; the
// parent reads to EOF and checks the message, wait4's status and rusage.
// Then three children at once, reaped with wait4(-1).
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	pid_t parent = getpid();
	char buf[256], expect[256];
	size_t got = 0;
	struct rusage ru;
	int pfd[2], ws;

	CHECK(pipe(pfd) == 0, "pipe: %s", strerror(errno));
	/* Flush first, or the child would print our buffered output again. */
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(pfd[0]);
		if (getppid() != parent) {
			printf("FAIL: child: getppid()=%d, parent is %d\n", getppid(), parent);
			_exit(1);
		}
		snprintf(buf, sizeof(buf), "hello from child %d", getpid());
		printf("child: writing '%s'\n", buf);
		if (write(pfd[1], buf, strlen(buf)) != (ssize_t)strlen(buf))
			_exit(1);
		close(pfd[1]);
		fflush(stdout);
		_exit(42);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
		CHECK(n >= 0, "read: %s", strerror(errno));
		if (n == 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	close(pfd[0]);
	snprintf(expect, sizeof(expect), "hello from child %d", pid);
	printf("parent: read '%s'\n", buf);
	CHECK(strcmp(buf, expect) == 0, "expected '%s'", expect);
	CHECK(wait4(pid, &ws, 0, &ru) == pid, "wait4: %s", strerror(errno));
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 42, "child wait status %#x, want exit 42", ws);
	CHECK(wait4(-1, &ws, WNOHANG, NULL) == -1 && errno == ECHILD,
	      "wait4 with no children left did not fail with ECHILD");

	int seen = 0;
	for (int i = 1; i <= 3; i++) {
		pid = fork();
		CHECK(pid >= 0, "fork %d: %s", i, strerror(errno));
		if (pid == 0)
			_exit(i);
	}
	for (int i = 0; i < 3; i++) {
		CHECK(wait4(-1, &ws, 0, NULL) > 0, "wait4(-1): %s", strerror(errno));
		CHECK(WIFEXITED(ws), "child %d did not exit normally", i);
		seen |= 1 << WEXITSTATUS(ws);
	}
	CHECK(seen == 0xe, "exit statuses seen %#x, want 1, 2 and 3", seen);
	printf("SUCCESS\n");
	return 0;
}
