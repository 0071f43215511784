// SPDX-License-Identifier: MIT
// malloc_stress: raw brk and mmap first, then thousands of malloc, realloc
// and free calls of random sizes up to 1 MiB, checking every byte written.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SLOTS 512
#define ROUNDS 20000
#define MAX_SIZE (1 << 20)

#define CHECK(cond, ...)                              \
	do {                                          \
		if (!(cond)) {                        \
			printf("FAIL: " __VA_ARGS__); \
			printf("\n");                 \
			exit(1);                      \
		}                                     \
	} while (0)

struct slot {
	unsigned char *p;
	size_t size;
	unsigned char tag;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64: deterministic, so a failure can be replayed. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Mostly small blocks, some medium, a few near 1 MiB (mmap territory). */
static size_t rnd_size(void)
{
	switch (rnd() % 8) {
	case 0:
		return rnd() % MAX_SIZE + 1;
	case 1:
	case 2:
		return rnd() % 65536 + 1;
	default:
		return rnd() % 512 + 1;
	}
}

static unsigned char pattern(const struct slot *s, size_t i)
{
	return (unsigned char)(s->tag + i * 7 + (i >> 9));
}

static void fill(struct slot *s, size_t from)
{
	for (size_t i = from; i < s->size; i++)
		s->p[i] = pattern(s, i);
}

static void verify(const struct slot *s, size_t upto, int index)
{
	for (size_t i = 0; i < upto; i++)
		CHECK(s->p[i] == pattern(s, i), "slot %d (size %zu) byte %zu corrupted",
		      index, s->size, i);
}

/* Grow the break by hand (musl's sbrk refuses), use it, give it back. */
static void test_brk(void)
{
	uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);
	uintptr_t want = start + (1 << 20);
	CHECK(start != 0, "brk(0) returned 0");
	CHECK((uintptr_t)syscall(SYS_brk, want) == want, "brk could not grow by 1 MiB");
	memset((void *)start, 0xab, 1 << 20);
	CHECK(((unsigned char *)start)[(1 << 20) - 1] == 0xab, "brk memory lost a write");
	CHECK((uintptr_t)syscall(SYS_brk, start) == start, "brk could not shrink back");
}

static void test_mmap(void)
{
	size_t len = 4 << 20;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap 4 MiB: %s", strerror(errno));
	for (size_t i = 0; i < len; i += 4096)
		CHECK(p[i] == 0, "fresh anonymous mmap is not zeroed at %zu", i);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (unsigned char)(i >> 12);
	for (size_t i = 0; i < len; i += 4096)
		CHECK(p[i] == (unsigned char)(i >> 12), "mmap page %zu lost a write", i >> 12);
	/* Punch a hole in the middle: both ends must stay usable. */
	CHECK(munmap(p + (1 << 20), 1 << 20) == 0, "partial munmap: %s", strerror(errno));
	p[0] = 1;
	p[len - 1] = 2;
	CHECK(munmap(p, 1 << 20) == 0 && munmap(p + (2 << 20), 2 << 20) == 0,
	      "munmap: %s", strerror(errno));
}

int main(void)
{
	static struct slot slots[SLOTS];
	size_t live = 0, peak = 0;

	test_brk();
	test_mmap();
	for (int round = 0; round < ROUNDS; round++) {
		int i = (int)(rnd() % SLOTS);
		struct slot *s = &slots[i];

		if (!s->p) {
			s->size = rnd_size();
			s->tag = (unsigned char)rnd();
			s->p = malloc(s->size);
			CHECK(s->p, "malloc(%zu) failed in round %d", s->size, round);
			fill(s, 0);
			live += s->size;
		} else if (rnd() % 4 == 0) {
			size_t old = s->size, keep;
			size_t size = rnd_size();
			unsigned char *p = realloc(s->p, size);
			CHECK(p, "realloc(%zu) failed in round %d", size, round);
			s->p = p;
			s->size = size;
			keep = old < size ? old : size;
			verify(s, keep, i);
			fill(s, keep);
			live += size - old;
		} else {
			verify(s, s->size, i);
			free(s->p);
			s->p = NULL;
			live -= s->size;
		}
		if (live > peak)
			peak = live;
	}
	for (int i = 0; i < SLOTS; i++) {
		if (slots[i].p) {
			verify(&slots[i], slots[i].size, i);
			free(slots[i].p);
		}
	}
	/* calloc must hand back zeroes even when memory is being reused. */
	unsigned char *z = calloc(1, MAX_SIZE);
	CHECK(z, "calloc 1 MiB failed");
	for (size_t i = 0; i < MAX_SIZE; i++)
		CHECK(z[i] == 0, "calloc memory not zero at %zu", i);
	free(z);
	printf("peak live %zu KiB over %d rounds\n", peak >> 10, ROUNDS);
	printf("SUCCESS\n");
	return 0;
}
