// SPDX-License-Identifier: MIT
// date: print the current UTC time from CLOCK_REALTIME.
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0) {
		perror("clock_gettime");
		return 1;
	}
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S UTC %Y", &tm);
	printf("%s\n", buf);
	return 0;
}
