/* SPDX-License-Identifier: MIT */
/* Freestanding string helpers (lib/string.c). */
#ifndef RINGOS_LIB_H
#define RINGOS_LIB_H

#include "types.h"

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* Copy at most size-1 bytes and always NUL-terminate. */
size_t strlcpy(char *d, const char *s, size_t size);
uint64_t strtou64(const char *s, const char **end);

#endif
