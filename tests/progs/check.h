/* SPDX-License-Identifier: MIT */
/* The self-checking test programs' CHECK: print "FAIL: why" and return 1 from main. */
#ifndef TESTS_PROGS_CHECK_H
#define TESTS_PROGS_CHECK_H

#include <stdio.h>

#define CHECK(cond, ...)                                  \
	do {                                              \
		if (!(cond)) {                            \
			printf("FAIL: " __VA_ARGS__);     \
			printf("\n");                     \
			return 1;                         \
		}                                         \
	} while (0)

#endif
