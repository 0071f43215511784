// SPDX-License-Identifier: MIT
// slowcat MS SIZE: copies stdin to stdout, but first sleeps MS milliseconds
// and then reads at most SIZE bytes at a time, so input piles up in the
// kernel faster than it is read: a reader slower than its input must get
// every byte all the same (flow control, not loss).
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 0;
	size_t size = argc > 2 ? (size_t)atol(argv[2]) : 4096;
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };
	char buf[4096];
	ssize_t n;

	if (size == 0 || size > sizeof(buf))
		size = sizeof(buf);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		; /* a signal cut it short: sleep the rest */
	while ((n = read(0, buf, size)) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(1, buf + off, n - off);
			if (w < 0)
				return 1;
			off += w;
		}
	}
	return n < 0;
}
