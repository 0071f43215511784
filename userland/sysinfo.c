// SPDX-License-Identifier: MIT
// sysinfo: uptime, memory and CPU counts as the kernel reports them.
#include <stdio.h>
#include <sys/sysinfo.h>
#include <unistd.h>

int main(void)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0) {
		perror("sysinfo");
		return 1;
	}
	/* mem_unit scales every memory field (1 on 64-bit, but be exact). */
	unsigned long long unit = si.mem_unit ? si.mem_unit : 1;
	printf("uptime:    %ld s\n", si.uptime);
	printf("memory:    %llu KiB total, %llu KiB free\n",
	       si.totalram * unit / 1024, si.freeram * unit / 1024);
	printf("processes: %u\n", si.procs);
	printf("cpus:      %ld online, %ld configured\n",
	       sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_CONF));
	printf("page size: %ld\n", sysconf(_SC_PAGESIZE));
	return 0;
}
