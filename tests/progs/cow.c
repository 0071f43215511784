// SPDX-License-Identifier: MIT
// cow: after fork, writes by the child to a global, the heap and the stack
// must not show in the parent, and writes by the parent not in the child.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HEAP_SIZE (4 << 20)

static int global_counter = 1234;
static char global_buf[3 * 4096] = "initial global";

/* Returns 1 when (p) has (n) bytes of (v). */
static int all(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

int main(void)
{
	unsigned char *heap = malloc(HEAP_SIZE);
	char stack_buf[64] = "initial stack";
	int go[2], ws;

	if (!heap || pipe(go) < 0) {
		printf("FAIL: setup\n");
		return 1;
	}
	memset(heap, 0x11, HEAP_SIZE);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		printf("FAIL: fork\n");
		return 1;
	}
	if (pid == 0) {
		char c;
		/* Wait until the parent has written its own copies. */
		if (read(go[0], &c, 1) != 1)
			_exit(10);
		if (global_counter != 1234 || heap[0] != 0x11 || strcmp(stack_buf, "initial stack"))
			_exit(11); /* the parent's writes leaked into the child */
		global_counter = 99;
		strcpy(global_buf, "child global");
		strcpy(stack_buf, "child stack");
		memset(heap, 0x22, HEAP_SIZE);
		if (global_counter != 99 || !all(heap, HEAP_SIZE, 0x22))
			_exit(12);
		_exit(0);
	}
	/* Parent writes first (to copies the child must not see)... */
	global_counter = 5678;
	heap[0] = 0x33;
	strcpy(stack_buf, "parent stack");
	if (write(go[1], "x", 1) != 1) {
		printf("FAIL: write to pipe\n");
		return 1;
	}
	if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws)) {
		printf("FAIL: child wait status %#x\n", ws);
		return 1;
	}
	if (WEXITSTATUS(ws) != 0) {
		printf("FAIL: child check %d failed (11: parent's writes visible in child)\n",
		       WEXITSTATUS(ws));
		return 1;
	}
	/* ...then checks the child's writes did not reach it. */
	if (global_counter != 5678 || strcmp(global_buf, "initial global") ||
	    strcmp(stack_buf, "parent stack") || heap[0] != 0x33 ||
	    !all(heap + 1, HEAP_SIZE - 1, 0x11)) {
		printf("FAIL: the child's writes are visible in the parent\n");
		return 1;
	}
	printf("SUCCESS\n");
	return 0;
}
