// SPDX-License-Identifier: MIT
// exec PROG [ARGS]: runs PROG in a forked child (status must be 0), checks
// that a missing program gives ENOENT, then replaces itself with PROG.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp)
{
	char *missing[] = { "/nonexistent/prog", NULL };
	int ws;

	if (argc < 2) {
		printf("FAIL: usage: exec PROG [ARGS]\n");
		return 1;
	}
	if (execve(missing[0], missing, envp) != -1 || errno != ENOENT) {
		printf("FAIL: execve of a missing file: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		printf("FAIL: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		execve(argv[1], argv + 1, envp);
		printf("FAIL: execve %s in the child: %s\n", argv[1], strerror(errno));
		_exit(1);
	}
	if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		printf("FAIL: child running %s ended with wait status %#x\n", argv[1], ws);
		return 1;
	}
	printf("child ok; now execve %s\n", argv[1]);
	fflush(stdout);
	execve(argv[1], argv + 1, envp);
	printf("FAIL: execve %s: %s\n", argv[1], strerror(errno));
	return 1;
}
