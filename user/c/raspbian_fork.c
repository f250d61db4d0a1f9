/*
 * raspbian_fork.c: the seed experiment's program (raspbian_test_fork.c in
 * shared/seeds/000_*.txt), built with glibc as a static aarch64 executable
 * and installed as /bin/raspbian_fork_c. Tracing it with ftrace on pikern
 * should show what the seed shows on Linux 4.19: fork() is the clone system
 * call reaching copy_process, parent and child each sleep (on their own
 * CPUs when idle), both leave through exit_group -> do_exit, and each one's
 * exit sends SIGCHLD to its parent (the child's, once reparented, to init).
 *
 * main prints "About to fork process", forks, and then both processes run
 * raspbian_proc_process(): PROC_TIMES times, print
 * "raspbian tracing ppid:<getppid()> pid:<getpid()>" and sleep
 * SLEEP_DURATION seconds; then exit(EXIT_SUCCESS). It takes about 6 s.
 *
 * Differences from the seed's listing, none visible in the output: its
 * unused `fork_times` counter is gone (this build uses -Werror), and a
 * failed fork is reported instead of ignored.
 *
 * stdio note: when stdout is not a terminal, glibc buffers it fully, so
 * "About to fork process" is still in the buffer at fork() and both
 * processes print it at exit (each has a copy of the buffer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PROC_TIMES 3
#define SLEEP_DURATION 2

void raspbian_proc_process(void)
{
	int proc_times = 0;

	for (proc_times = 0; proc_times < PROC_TIMES; proc_times++) {
		printf("raspbian tracing ppid:%d pid:%d \n", getppid(), getpid());
		sleep(SLEEP_DURATION);
	}

	exit(EXIT_SUCCESS);
}

int main(void)
{
	pid_t pid;

	printf("About to fork process \n");

	pid = fork();
	if (pid == -1) {
		perror("raspbian_fork_c: fork");
		return EXIT_FAILURE;
	}

	raspbian_proc_process();
	return EXIT_SUCCESS; /* not reached: raspbian_proc_process exits */
}
