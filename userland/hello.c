// SPDX-License-Identifier: MIT
// hello: the smallest demo program; proves a static binary runs.
#include <stdio.h>

int main(void)
{
	printf("Hello from ringos!\n");
	return 0;
}
