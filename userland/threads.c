// SPDX-License-Identifier: MIT
// threads: 4 pthreads each count to a million under a shared mutex, then
// report the total and how the work was spread.
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4
#define PER_THREAD 1000000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long total;

static void *count(void *arg)
{
	long *mine = arg;

	for (long i = 0; i < PER_THREAD; i++) {
		pthread_mutex_lock(&lock);
		total++;
		pthread_mutex_unlock(&lock);
		(*mine)++;
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	long counts[NTHREADS] = { 0 };

	for (int i = 0; i < NTHREADS; i++) {
		if (pthread_create(&t[i], NULL, count, &counts[i]) != 0) {
			fprintf(stderr, "threads: pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		printf("thread %d counted %ld\n", i, counts[i]);
	}
	printf("total %ld (expected %d)\n", total, NTHREADS * PER_THREAD);
	return total == NTHREADS * PER_THREAD ? 0 : 1;
}
