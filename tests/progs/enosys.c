// SPDX-License-Identifier: MIT
// enosys: syscall numbers that do not exist must fail with ENOSYS and not
// kill the process.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	static const long numbers[] = { 500, 1000, 100000 };

	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		errno = 0;
		long rc = syscall(numbers[i]);
		if (rc != -1 || errno != ENOSYS) {
			printf("FAIL: syscall(%ld) returned %ld, errno %d (%s)\n",
			       numbers[i], rc, errno, strerror(errno));
			return 1;
		}
	}
	printf("SUCCESS\n");
	return 0;
}
