// SPDX-License-Identifier: MIT
// segv: stores through a NULL pointer; must be killed by SIGSEGV (the host
// then sees status 139). Reaching the end is a failure.
#include <stdio.h>

int main(void)
{
	/* volatile so the compiler cannot turn the store into a trap insn. */
	volatile int *volatile p = NULL;

	printf("writing to NULL\n");
	fflush(stdout);
	*p = 42;
	printf("FAIL: the store to NULL did not fault\n");
	return 1;
}
