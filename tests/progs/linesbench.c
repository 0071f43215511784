// SPDX-License-Identifier: MIT
// linesbench [N]: write N short lines to stdout, one write(2) each, and print
// the time taken on stderr as "lines_ms T".  A benchmark, not a self-check.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	struct timespec a, b;
	char line[32];

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		int len = snprintf(line, sizeof(line), "line %d\n", i);
		if (write(1, line, len) != len)
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	dprintf(2, "lines_ms %.1f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
	return 0;
}
