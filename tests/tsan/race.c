/*
 * race.c — the ThreadSanitizer canary (tests/tsan/race.sh): two threads
 * write one plain int with nothing ordering the writes (each thread is
 * created before the other is joined), so a TSan build must report a data
 * race at the second write and, with the TSAN_OPTIONS of the tsan preset
 * (halt_on_error=1, exitcode=66), stop there with status 66: the line
 * after the race is never printed.  Outside a TSan build it prints it.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

static int shared;

static void *writer(void *arg)
{
	shared = (int)(intptr_t)arg;
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	if (pthread_create(&a, NULL, writer, (void *)1) || pthread_create(&b, NULL, writer, (void *)2))
		return 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("after the race: shared=%d\n", shared);
	return 0;
}
