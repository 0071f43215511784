// SPDX-License-Identifier: MIT
// forkbench [N] [HEAP_MIB]: time N fork + _exit + wait4 rounds, after
// touching a heap of HEAP_MIB MiB (0 = none); prints "fork_us MEAN" per round
// and "fork_total_ms T".  A benchmark, not a self-check.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	size_t heap_mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
	int touch = argc > 3 ? atoi(argv[3]) : 0;
	unsigned char *heap = NULL;

	if (heap_mib) {
		heap = malloc(heap_mib << 20);
		if (!heap) {
			printf("FAIL: malloc\n");
			return 1;
		}
		memset(heap, 1, heap_mib << 20);
	}
	double t0 = now_us();
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			printf("FAIL: fork\n");
			return 1;
		}
		if (pid == 0) {
			/* touch=1: the child writes every heap page once. */
			if (touch && heap)
				for (size_t o = 0; o < heap_mib << 20; o += 4096)
					heap[o] = 2;
			_exit(0);
		}
		int ws;
		if (wait4(pid, &ws, 0, NULL) != pid) {
			printf("FAIL: wait4\n");
			return 1;
		}
	}
	double t = now_us() - t0;
	printf("fork_us %.1f\nfork_total_ms %.1f\n", t / n, t / 1e3);
	return 0;
}
