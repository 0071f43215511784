// SPDX-License-Identifier: MIT
// pthreads: 4 threads add to a mutex-protected counter (4 x 100000), each
// with its own TLS and thread id, meet at a barrier, and are joined.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 4
#define ITERS 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t barrier;
static long counter;
static __thread long tls_count;
static pid_t tids[NTHREADS];

static void *worker(void *arg)
{
	intptr_t id = (intptr_t)arg;

	tids[id] = (pid_t)syscall(SYS_gettid);
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
		tls_count++;
	}
	/* Everyone waits here: needs working futex wait/wake. */
	pthread_barrier_wait(&barrier);
	return (void *)(intptr_t)(tls_count == ITERS ? id + 100 : -1);
}

int main(void)
{
	pthread_t t[NTHREADS];

	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (intptr_t i = 0; i < NTHREADS; i++) {
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
			printf("FAIL: pthread_create %ld\n", (long)i);
			return 1;
		}
	}
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		if (pthread_join(t[i], &ret) != 0 || (intptr_t)ret != i + 100) {
			printf("FAIL: thread %d returned %ld (its TLS count was wrong?)\n", i,
			       (long)(intptr_t)ret);
			return 1;
		}
	}
	for (int i = 0; i < NTHREADS; i++) {
		for (int j = 0; j < i; j++) {
			if (tids[i] == tids[j] || tids[i] == getpid()) {
				printf("FAIL: threads share thread id %d\n", tids[i]);
				return 1;
			}
		}
	}
	printf("counter=%ld\n", counter);
	if (counter != NTHREADS * ITERS || tls_count != 0) {
		printf("FAIL: counter %ld, want %d\n", counter, NTHREADS * ITERS);
		return 1;
	}
	printf("SUCCESS\n");
	return 0;
}
