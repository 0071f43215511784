// SPDX-License-Identifier: MIT
// exit_status N: exits with status N, so the host can check it is passed on.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int status = argc > 1 ? atoi(argv[1]) : 0;

	printf("exiting with %d\n", status);
	return status;
}
