// SPDX-License-Identifier: MIT
// sleeper: prints "sleeper: up" and sleeps until killed (issue 5: the
// guest's first console line, and an idle VM for the capacity count).
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	printf("sleeper: up\n");
	fflush(stdout);
	for (;;)
		sleep(3600);
}
