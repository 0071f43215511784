// SPDX-License-Identifier: MIT
// shootdown: one thread keeps writing a page while another makes it
// read-only.  Once mprotect has returned, no write may land (on SMP the
// writer's CPU must have dropped its writable TLB entry): the writer faults
// instead, and its SIGSEGV handler waits until the page is writable again.
// On kvm_pvm this also passed with the remote flush left out (the host's
// shadow MMU propagated the PTE change itself); it guards the semantics.
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define ROUNDS 20

static volatile long *page;
static volatile int writable = 1, started, faults;

static void on_segv(int sig)
{
	(void)sig;
	faults++;
	while (!writable)
		;
}

static void *writer(void *arg)
{
	(void)arg;
	started = 1;
	for (;;)
		page[0]++;
	return NULL;
}

static void pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };

	nanosleep(&ts, NULL);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_segv };
	pthread_t t;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED, "mmap");
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction");
	CHECK(pthread_create(&t, NULL, writer, NULL) == 0, "pthread_create");
	while (!started)
		;
	for (int i = 0; i < ROUNDS; i++) {
		pause_ms(2);
		writable = 0;
		CHECK(mprotect((void *)page, 4096, PROT_READ) == 0, "mprotect");
		long v1 = page[0];
		pause_ms(5);
		long v2 = page[0];
		CHECK(v1 == v2, "round %d: %ld writes landed after mprotect(PROT_READ)", i, v2 - v1);
		CHECK(mprotect((void *)page, 4096, PROT_READ | PROT_WRITE) == 0, "mprotect rw");
		writable = 1;
	}
	printf("faults %d, writes %ld\n", faults, page[0]);
	printf("SUCCESS\n");
	return 0;
}
