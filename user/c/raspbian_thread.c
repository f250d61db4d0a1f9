/*
 * raspbian_thread.c: the thread twin of raspbian_fork.c (the seed
 * experiment), built with glibc as a static aarch64 executable and
 * installed as /bin/raspbian_thread_c. Where raspbian_fork makes a second
 * process, this makes threads of one process: traced with ftrace, clone
 * reaches copy_process with CLONE_THREAD (same tgid, a new pid for each
 * thread), each thread is pinned to a CPU of its own, and the end is one
 * thread's exit(): exit_group, whose zap_other_threads kills the others
 * in their sleep, and one SIGCHLD for the whole process to its parent.
 *
 *   raspbian_thread_c [-n THREADS] [-s SECONDS]
 *
 * main prints "About to create threads " and creates THREADS threads
 * (default 3); thread i pins itself to the i-th CPU it may use (modulo
 * their number). main and every thread print one line
 *
 *   raspbian tracing tgid:<getpid()> tid:<gettid()> cpu:<sched_getcpu()>
 *
 * (with the seed's trailing space) and wait at a barrier until all have
 * printed. Then the last thread sleeps SECONDS (default 2, the seed's
 * SLEEP_DURATION; a fraction such as 0.2 is allowed), prints
 * "raspbian exit tgid:P tid:T " and calls exit(EXIT_SUCCESS); the others
 * sleep in pause() (main in pthread_join) until exit_group ends them.
 *
 * Exit status: 0 (the exiting thread's); 1 if the process outlived that
 * exit() (main's join returned) or a thread could not be created; 2 for a
 * usage error. stdout is line-buffered, so each line leaves as it is
 * printed whether or not stdout is a terminal.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 3
#define SLEEP_DURATION 2
#define MAX_THREADS 64

static int nthreads = THREADS;
static struct timespec pause_ts = {SLEEP_DURATION, 0};
static pthread_barrier_t printed;
/* The CPUs this process may run on, for pinning. */
static int cpus[CPU_SETSIZE], ncpus;

static void raspbian_thread_trace(void)
{
	printf("raspbian tracing tgid:%d tid:%d cpu:%d \n", getpid(), gettid(), sched_getcpu());
}

static void *raspbian_thread_fn(void *arg)
{
	long i = (long)arg;

	if (ncpus > 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpus[i % ncpus], &set);
		/* Best effort: an unpinned thread still shows its CPU. */
		sched_setaffinity(0, sizeof set, &set);
	}
	raspbian_thread_trace();
	pthread_barrier_wait(&printed);
	if (i == nthreads) {
		nanosleep(&pause_ts, NULL);
		printf("raspbian exit tgid:%d tid:%d \n", getpid(), gettid());
		exit(EXIT_SUCCESS);
	}
	for (;;)
		pause();
	return NULL;
}

/* A non-negative decimal number of seconds ("2", "0.25"). */
static int parse_seconds(const char *s, struct timespec *ts)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == 0 || *end != 0 || !(v >= 0) || v > 1e6)
		return -1;
	ts->tv_sec = (time_t)v;
	ts->tv_nsec = (long)((v - ts->tv_sec) * 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	int opt;
	pthread_t t[MAX_THREADS + 1];
	cpu_set_t allowed;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		if (opt == 'n')
			nthreads = atoi(optarg);
		else if (opt != 's' || parse_seconds(optarg, &pause_ts) < 0)
			nthreads = -1;
		if (nthreads < 1 || nthreads > MAX_THREADS) {
			fprintf(stderr, "usage: raspbian_thread_c [-n THREADS] [-s SECONDS]\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: raspbian_thread_c [-n THREADS] [-s SECONDS]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &allowed))
				cpus[ncpus++] = c;

	printf("About to create threads \n");
	pthread_barrier_init(&printed, NULL, nthreads + 1);
	for (long i = 1; i <= nthreads; i++) {
		int e = pthread_create(&t[i], NULL, raspbian_thread_fn, (void *)i);
		if (e) {
			fprintf(stderr, "raspbian_thread_c: pthread_create: %s\n", strerror(e));
			return EXIT_FAILURE;
		}
	}
	raspbian_thread_trace();
	pthread_barrier_wait(&printed);
	/* Never returns: the last thread's exit() ends this thread too. */
	pthread_join(t[nthreads], NULL);
	fprintf(stderr, "raspbian_thread_c: the process outlived exit() in a thread\n");
	return EXIT_FAILURE;
}
