/* SPDX-License-Identifier: MIT */
/* The self-checking test programs' checks: print "FAIL: why" and fail. */
#ifndef TESTS_PROGS_CHECK_H
#define TESTS_PROGS_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In main: return 1. */
#define CHECK(cond, ...)                                  \
	do {                                              \
		if (!(cond)) {                            \
			printf("FAIL: " __VA_ARGS__);     \
			printf("\n");                     \
			return 1;                         \
		}                                         \
	} while (0)

/* Anywhere, after a failed call: also say errno, and exit(1). */
#define CHECK_ERRNO(cond, ...)                                     \
	do {                                                       \
		if (!(cond)) {                                     \
			printf("FAIL: " __VA_ARGS__);              \
			printf(" (errno: %s)\n", strerror(errno)); \
			exit(1);                                   \
		}                                                  \
	} while (0)

#endif
