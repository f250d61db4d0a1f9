/*
 * threads.c: POSIX threads as glibc's NPTL uses them (issue 19: clone
 * with CLONE_THREAD, thread groups, futex), checked the way a program
 * sees them. Each check prints "ok N - name" or "not ok N - name: why",
 * the last line is "threads: X/Y passed" and the exit status is the number
 * of failures. The same binary runs under qemu-aarch64 on a Linux host
 * (the reference) and on pikern; usertests (suite `threads`) runs it and
 * counts the lines.
 *
 * Each check runs in a forked child of its own with an alarm() watchdog:
 * a kernel that loses a futex wake-up makes that check fail ("hung")
 * instead of stalling the run, and a crash in one check leaves the others
 * to run.
 *
 * /proc/self/task under qemu-user lists the host's threads, and QEMU
 * runs a helper thread of its own (its RCU thread, re-created after every
 * fork): on Linux the thread counts allow the extra threads a fresh
 * process has at start-up; on pikern none.
 *
 * Internal mode: `threads_c --exec-check PID EXTRA` is the image the
 * execve-from-a-thread check runs: it exits 0 iff it is the only thread
 * (EXTRA: the allowance above) and its pid and tid are both PID. On a
 * Linux host without binfmt_misc the exec goes through qemu-aarch64
 * ($PIKERN_QEMU_USER, else the one in $PATH), as usertests' programs do.
 * `threads_c K` runs check K alone (1-based), for debugging.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* A check's time limit without progress; each should take well under a
 * second (create_join_cycles re-arms it as it goes). */
#define WATCHDOG_S 15
/* How long the parent waits for a check before killing it, should even
 * the watchdog's SIGALRM not end it: only a backstop. */
#define BACKSTOP_S 90
#define WHY_LEN 240

/* Threads a fresh process has besides its main one: QEMU's own under
 * qemu-user on Linux, 0 on pikern. */
static int extra_threads;
/* Running on Linux (under qemu-user: the reference run). */
static int on_linux;
/* What the exec check execs: this program. */
static char self_path[512] = "/bin/threads_c";

/* Records the first failure reason of a check. */
#define FAIL(...)                                                                              \
    do {                                                                                       \
        if (!why[0])                                                                           \
            snprintf(why, WHY_LEN, __VA_ARGS__);                                               \
    } while (0)

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* An absolute deadline `ms` from now on `clock`, as the timed waits take. */
static struct timespec deadline(clockid_t clock, int ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

/* Waits for `pid` (WNOHANG polls every 5 ms) for at most `ms`: 0 when it
 * was reaped, -1 on timeout or error. */
static int poll_wait(pid_t pid, int *status, int ms)
{
    double end = now_ms() + ms;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 || now_ms() > end)
            return -1;
        sleep_ms(5);
    }
}

/* Describes a wait status into `buf`. */
static const char *describe(int st, char *buf, size_t len)
{
    if (WIFEXITED(st))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
        snprintf(buf, len, "hung: the %d s watchdog (SIGALRM) ended it", WATCHDOG_S);
    else if (WIFSIGNALED(st))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(buf, len, "wait status %#x", st);
    return buf;
}

/* The tids /proc/self/task lists (at most `max`); -errno if it cannot be
 * read. */
static int task_tids(pid_t *tids, int max)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -errno;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n < max)
            tids[n] = atoi(e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

/* The `Threads:` line of /proc/self/status; -1 if there is none. */
static int status_threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

/* `VmSize:` of /proc/self/status in kB; -1 if there is none. */
static long status_vmsize(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Checks that /proc/self/task lists the `n` tids of `want` and nothing
 * else (besides `extra_threads`). An exited thread leaves the list only
 * after its joiner was woken (the tid word is cleared in do_exit, the
 * task is released later), so this polls for up to 2 s. */
static void tasks_are(const pid_t *want, int n, char *why, const char *when)
{
    pid_t seen[64];
    double end = now_ms() + 2000;
    for (;;) {
        int got = task_tids(seen, 64);
        if (got < 0) {
            FAIL("%s: opendir /proc/self/task: %s", when, strerror(-got));
            return;
        }
        int missing = -1;
        for (int i = 0; i < n && missing < 0; i++) {
            int found = 0;
            for (int j = 0; j < got && j < 64; j++)
                found |= seen[j] == want[i];
            if (!found)
                missing = want[i];
        }
        if (missing < 0 && got == n + extra_threads)
            return;
        if (now_ms() > end) {
            if (missing >= 0)
                FAIL("%s: tid %d is not in /proc/self/task (%d entries)", when, missing, got);
            else
                FAIL("%s: /proc/self/task has %d entries, expected %d", when, got,
                     n + extra_threads);
            return;
        }
        sleep_ms(2);
    }
}

/* Threads that start, wait for `go` and return: for the checks that need
 * some threads alive while the main one does something. */
struct parked {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int go;
};

static void park(struct parked *p)
{
    pthread_mutex_lock(&p->lock);
    while (!p->go)
        pthread_cond_wait(&p->cond, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

static void unpark(struct parked *p)
{
    pthread_mutex_lock(&p->lock);
    p->go = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

/* --------------------------------------------------------- 1: a mutex */

#define COUNTER_THREADS 16
#define COUNTER_LOOPS 10000

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
/* Read and written in two steps: without mutual exclusion (or with
 * memory that is not shared) increments are lost. */
static volatile long counter;

static void *count_up(void *arg)
{
    long *mine = arg;
    for (int i = 0; i < COUNTER_LOOPS; i++) {
        pthread_mutex_lock(&counter_lock);
        long v = counter;
        counter = v + 1;
        pthread_mutex_unlock(&counter_lock);
        (*mine)++;
    }
    return NULL;
}

static void mutex_counter(char *why)
{
    pthread_t t[COUNTER_THREADS];
    long per[COUNTER_THREADS] = {0};
    for (int i = 0; i < COUNTER_THREADS; i++) {
        int e = pthread_create(&t[i], NULL, count_up, &per[i]);
        if (e) {
            FAIL("pthread_create %d: %s", i, strerror(e));
            return;
        }
    }
    for (int i = 0; i < COUNTER_THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < COUNTER_THREADS; i++)
        if (per[i] != COUNTER_LOOPS)
            FAIL("thread %d counted %ld, expected %d", i, per[i], COUNTER_LOOPS);
    if (counter != (long)COUNTER_THREADS * COUNTER_LOOPS)
        FAIL("counter %ld, expected %d (lost updates)", counter, COUNTER_THREADS * COUNTER_LOOPS);
}

/* ------------------------------------------- 2: condition-variable ping-pong */

#define PINGPONG_ROUNDS 1000

static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond[2] = {PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};
static int pp_turn, pp_next;
static signed char pp_log[2 * PINGPONG_ROUNDS];

/* Waits for its turn, logs itself, hands the turn over and wakes only the
 * other thread (each has its own condition variable). */
static void *pingpong(void *arg)
{
    int me = (int)(long)arg;
    for (int i = 0; i < PINGPONG_ROUNDS; i++) {
        pthread_mutex_lock(&pp_lock);
        while (pp_turn != me)
            pthread_cond_wait(&pp_cond[me], &pp_lock);
        if (pp_next < 2 * PINGPONG_ROUNDS)
            pp_log[pp_next] = (signed char)me;
        pp_next++;
        pp_turn = !me;
        pthread_cond_signal(&pp_cond[!me]);
        pthread_mutex_unlock(&pp_lock);
    }
    return NULL;
}

static void cond_pingpong(char *why)
{
    pthread_t t[2];
    memset(pp_log, -1, sizeof pp_log);
    /* The second thread starts first, so it must wait for the first. */
    for (int i = 1; i >= 0; i--) {
        int e = pthread_create(&t[i], NULL, pingpong, (void *)(long)i);
        if (e) {
            FAIL("pthread_create: %s", strerror(e));
            return;
        }
    }
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    if (pp_next != 2 * PINGPONG_ROUNDS)
        FAIL("%d turns, expected %d", pp_next, 2 * PINGPONG_ROUNDS);
    for (int i = 0; i < 2 * PINGPONG_ROUNDS; i++)
        if (pp_log[i] != i % 2) {
            FAIL("turn %d taken by thread %d, expected %d", i, pp_log[i], i % 2);
            break;
        }
}

/* ---------------------------------------------------------- 3: a barrier */

#define BARRIER_THREADS 5
#define BARRIER_PHASES 20

static pthread_barrier_t barrier;
static atomic_int arrived[BARRIER_PHASES];
static atomic_int serial[BARRIER_PHASES];
static atomic_int barrier_errors;
static int early_phase = -1, early_count;

/* Every phase: arrive, wait, then see that everyone arrived. */
static void *barrier_phases_thread(void *arg)
{
    (void)arg;
    for (int p = 0; p < BARRIER_PHASES; p++) {
        atomic_fetch_add(&arrived[p], 1);
        int r = pthread_barrier_wait(&barrier);
        if (r == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&serial[p], 1);
        else if (r != 0)
            atomic_fetch_add(&barrier_errors, 1);
        int n = atomic_load(&arrived[p]);
        if (n != BARRIER_THREADS && early_phase < 0) {
            early_phase = p;
            early_count = n;
        }
    }
    return NULL;
}

static void barrier_phases(char *why)
{
    pthread_t t[BARRIER_THREADS];
    pthread_barrier_init(&barrier, NULL, BARRIER_THREADS);
    for (int i = 0; i < BARRIER_THREADS; i++) {
        int e = pthread_create(&t[i], NULL, barrier_phases_thread, NULL);
        if (e) {
            FAIL("pthread_create %d: %s", i, strerror(e));
            return;
        }
    }
    for (int i = 0; i < BARRIER_THREADS; i++)
        pthread_join(t[i], NULL);
    if (early_phase >= 0)
        FAIL("phase %d: a thread passed the barrier when %d of %d had arrived", early_phase,
             early_count, BARRIER_THREADS);
    for (int p = 0; p < BARRIER_PHASES; p++)
        if (serial[p] != 1)
            FAIL("phase %d: %d PTHREAD_BARRIER_SERIAL_THREAD returns, expected 1", p,
                 atomic_load(&serial[p]));
    if (barrier_errors)
        FAIL("%d pthread_barrier_wait errors", atomic_load(&barrier_errors));
    pthread_barrier_destroy(&barrier);
}

/* ------------------------------------------------------- 4: timed waits */

#define TIMEOUT_MS 200

static sem_t post_sem;

static void *post_later(void *arg)
{
    (void)arg;
    sleep_ms(50);
    sem_post(&post_sem);
    return NULL;
}

/* Checks that a timed wait took at least TIMEOUT_MS (the deadline) and
 * not absurdly longer. */
static void took(double ms, const char *what, char *why)
{
    if (ms < TIMEOUT_MS - 1 || ms > 5000)
        FAIL("%s timed out after %.1f ms, expected %d ms", what, ms, TIMEOUT_MS);
}

static void timedwait_times_out(char *why)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    /* The default clock (CLOCK_REALTIME), then CLOCK_MONOTONIC: glibc
     * passes FUTEX_CLOCK_REALTIME for the first only. */
    for (int mono = 0; mono <= 1; mono++) {
        pthread_condattr_t attr;
        pthread_cond_t c;
        pthread_condattr_init(&attr);
        if (mono)
            pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&c, &attr);
        pthread_mutex_lock(&m);
        double t0 = now_ms();
        struct timespec ts = deadline(mono ? CLOCK_MONOTONIC : CLOCK_REALTIME, TIMEOUT_MS);
        int r = pthread_cond_timedwait(&c, &m, &ts);
        double ms = now_ms() - t0;
        pthread_mutex_unlock(&m);
        const char *what = mono ? "pthread_cond_timedwait (CLOCK_MONOTONIC)"
                                : "pthread_cond_timedwait (CLOCK_REALTIME)";
        if (r != ETIMEDOUT)
            FAIL("%s returned %d (%s), expected ETIMEDOUT", what, r, strerror(r));
        took(ms, what, why);
        pthread_cond_destroy(&c);
    }
    sem_init(&post_sem, 0, 0);
    double t0 = now_ms();
    struct timespec ts = deadline(CLOCK_REALTIME, TIMEOUT_MS);
    int r = sem_timedwait(&post_sem, &ts);
    double ms = now_ms() - t0;
    if (r != -1 || errno != ETIMEDOUT)
        FAIL("sem_timedwait returned %d errno %d, expected ETIMEDOUT", r, errno);
    took(ms, "sem_timedwait", why);
    /* A post before the deadline ends the wait early. */
    pthread_t t;
    int e = pthread_create(&t, NULL, post_later, NULL);
    if (e) {
        FAIL("pthread_create: %s", strerror(e));
        return;
    }
    t0 = now_ms();
    ts = deadline(CLOCK_REALTIME, 10000);
    r = sem_timedwait(&post_sem, &ts);
    ms = now_ms() - t0;
    if (r != 0)
        FAIL("sem_timedwait with a post after 50 ms: %s", strerror(errno));
    else if (ms > 5000)
        FAIL("sem_timedwait returned %.0f ms after a post at 50 ms", ms);
    pthread_join(t, NULL);
}

/* ------------------------------------------------------ 5: __thread */

#define TLS_THREADS 8

static __thread int tls_value = 42;
static __thread char tls_name[16];
static pthread_barrier_t tls_barrier;

struct tls_result {
    int id, initial, initial_name_empty, after, name_ok;
    void *addr;
};

/* Reads the initial values, writes its own, waits until every thread
 * has written, then checks its values are still its own. */
static void *tls_thread(void *arg)
{
    struct tls_result *r = arg;
    r->initial = tls_value;
    r->initial_name_empty = tls_name[0] == 0;
    tls_value = 1000 + r->id;
    snprintf(tls_name, sizeof tls_name, "thread %d", r->id);
    r->addr = &tls_value;
    pthread_barrier_wait(&tls_barrier);
    char want[16];
    snprintf(want, sizeof want, "thread %d", r->id);
    r->after = tls_value;
    r->name_ok = strcmp(tls_name, want) == 0;
    return NULL;
}

static void tls_private(char *why)
{
    pthread_t t[TLS_THREADS];
    struct tls_result r[TLS_THREADS];
    tls_value = 7;
    strcpy(tls_name, "main");
    pthread_barrier_init(&tls_barrier, NULL, TLS_THREADS);
    for (int i = 0; i < TLS_THREADS; i++) {
        r[i] = (struct tls_result){.id = i};
        int e = pthread_create(&t[i], NULL, tls_thread, &r[i]);
        if (e) {
            FAIL("pthread_create %d: %s", i, strerror(e));
            return;
        }
    }
    for (int i = 0; i < TLS_THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < TLS_THREADS; i++) {
        if (r[i].initial != 42 || !r[i].initial_name_empty)
            FAIL("thread %d started with tls_value %d, expected 42 (the TLS image)", i,
                 r[i].initial);
        if (r[i].after != 1000 + i || !r[i].name_ok)
            FAIL("thread %d's tls_value became %d, expected %d", i, r[i].after, 1000 + i);
        if (r[i].addr == (void *)&tls_value)
            FAIL("thread %d's tls_value is at the main thread's address", i);
        for (int j = 0; j < i; j++)
            if (r[i].addr == r[j].addr)
                FAIL("threads %d and %d share tls_value at %p", j, i, r[i].addr);
    }
    if (tls_value != 7 || strcmp(tls_name, "main") != 0)
        FAIL("the main thread's tls_value became %d", tls_value);
}

/* -------------------------------------------------- 6: getpid, gettid */

#define ID_THREADS 8

struct ids {
    pid_t pid, tid, ppid;
};

static void *record_ids(void *arg)
{
    struct ids *r = arg;
    r->pid = getpid();
    r->tid = gettid();
    r->ppid = getppid();
    return NULL;
}

static void getpid_same_gettid_distinct(char *why)
{
    pthread_t t[ID_THREADS];
    struct ids r[ID_THREADS];
    pid_t pid = getpid(), ppid = getppid();
    if (gettid() != pid)
        FAIL("main thread: gettid() %d != getpid() %d", gettid(), pid);
    for (int i = 0; i < ID_THREADS; i++) {
        int e = pthread_create(&t[i], NULL, record_ids, &r[i]);
        if (e) {
            FAIL("pthread_create %d: %s", i, strerror(e));
            return;
        }
    }
    for (int i = 0; i < ID_THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < ID_THREADS; i++) {
        if (r[i].pid != pid)
            FAIL("thread %d: getpid() %d, expected the process's %d", i, r[i].pid, pid);
        if (r[i].ppid != ppid)
            FAIL("thread %d: getppid() %d, expected %d", i, r[i].ppid, ppid);
        if (r[i].tid == pid || r[i].tid <= 0)
            FAIL("thread %d: gettid() %d (the process's pid is %d)", i, r[i].tid, pid);
        for (int j = 0; j < i; j++)
            if (r[i].tid == r[j].tid)
                FAIL("threads %d and %d both have tid %d", j, i, r[i].tid);
    }
}

/* ------------------------------------------------- 7: /proc/self/task */

#define TASK_THREADS 5

struct parked_thread {
    struct parked *park;
    pid_t tid;
    sem_t started;
};

static void *park_thread(void *arg)
{
    struct parked_thread *p = arg;
    p->tid = gettid();
    sem_post(&p->started);
    park(p->park);
    return NULL;
}

/* Starts `n` threads that wait for `park->go`; their tids go in `tids`
 * (tids[0] is the main thread's). Returns how many started. */
static int start_parked(struct parked *park, pthread_t *t, struct parked_thread *pt, pid_t *tids,
                        int n, char *why)
{
    tids[0] = gettid();
    for (int i = 0; i < n; i++) {
        pt[i].park = park;
        sem_init(&pt[i].started, 0, 0);
        int e = pthread_create(&t[i], NULL, park_thread, &pt[i]);
        if (e) {
            FAIL("pthread_create %d: %s", i, strerror(e));
            return i;
        }
        while (sem_wait(&pt[i].started) < 0)
            ;
        tids[i + 1] = pt[i].tid;
    }
    return n;
}

static void proc_task_lists_live_threads(char *why)
{
    struct parked park = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    pthread_t t[TASK_THREADS];
    struct parked_thread pt[TASK_THREADS];
    pid_t tids[TASK_THREADS + 1];
    tids[0] = gettid();
    tasks_are(tids, 1, why, "one thread");
    int n = start_parked(&park, t, pt, tids, TASK_THREADS, why);
    if (n == TASK_THREADS)
        tasks_are(tids, TASK_THREADS + 1, why, "with the threads alive");
    unpark(&park);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    tasks_are(tids, 1, why, "after pthread_join");
}

/* ------------------------------- 8: a process signal finds the unblocking thread */

#define SIG_THREADS 4
#define SIG_RECEIVER 2

static atomic_int nhits;
static pid_t hits[8];

static void record_hit(int sig)
{
    (void)sig;
    int i = atomic_fetch_add(&nhits, 1);
    if (i < 8)
        hits[i] = gettid();
}

struct sig_thread {
    int id;
    pid_t tid;
    pthread_barrier_t *ready;
    atomic_int *stop;
};

/* All threads start with SIGUSR1 blocked (inherited); the receiver
 * unblocks it and sleeps in short naps until the handler has run. */
static void *sig_thread(void *arg)
{
    struct sig_thread *s = arg;
    s->tid = gettid();
    if (s->id == SIG_RECEIVER) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    }
    pthread_barrier_wait(s->ready);
    while (!atomic_load(s->stop))
        sleep_ms(1);
    return NULL;
}

static void process_signal_to_unblocking_thread(char *why)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct sigaction sa = {0};
    sa.sa_handler = record_hit;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, SIG_THREADS + 1);
    atomic_int stop = 0;
    pthread_t t[SIG_THREADS];
    struct sig_thread s[SIG_THREADS];
    for (int i = 0; i < SIG_THREADS; i++) {
        s[i] = (struct sig_thread){.id = i, .ready = &ready, .stop = &stop};
        int e = pthread_create(&t[i], NULL, sig_thread, &s[i]);
        if (e) {
            FAIL("pthread_create %d: %s", i, strerror(e));
            return;
        }
    }
    pthread_barrier_wait(&ready);
    kill(getpid(), SIGUSR1);
    double end = now_ms() + 5000;
    while (atomic_load(&nhits) == 0 && now_ms() < end)
        sleep_ms(1);
    sleep_ms(20); /* a second delivery would show now */
    atomic_store(&stop, 1);
    for (int i = 0; i < SIG_THREADS; i++)
        pthread_join(t[i], NULL);
    int n = atomic_load(&nhits);
    if (n != 1)
        FAIL("the handler ran %d times, expected once", n);
    else if (hits[0] != s[SIG_RECEIVER].tid)
        FAIL("the handler ran in tid %d, expected %d (the one thread not blocking SIGUSR1; "
             "main is %d)",
             hits[0], s[SIG_RECEIVER].tid, getpid());
    sigset_t pend;
    sigpending(&pend);
    if (sigismember(&pend, SIGUSR1))
        FAIL("SIGUSR1 still pending after it was handled");
}

/* ---------------------------------- 9: exit() in a thread ends the process */

static void *sleep_forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *exit_42_soon(void *arg)
{
    (void)arg;
    sleep_ms(50);
    exit(42);
}

static void exit_from_thread_ends_process(char *why)
{
    pid_t p = fork();
    if (p == 0) {
        pthread_t a, b;
        if (pthread_create(&a, NULL, sleep_forever, NULL) ||
            pthread_create(&b, NULL, exit_42_soon, NULL))
            _exit(2);
        /* Never returns: exit(42) in b must end this thread too. */
        pthread_join(b, NULL);
        _exit(3);
    }
    int st;
    char buf[80];
    double t0 = now_ms();
    if (poll_wait(p, &st, 5000) < 0) {
        kill(p, SIGKILL);
        waitpid(p, &st, 0);
        FAIL("the process lived on after exit(42) in a thread (%s)", describe(st, buf, sizeof buf));
        return;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 42)
        FAIL("%s, expected status 42 (2: pthread_create failed, 3: only the thread ended)",
             describe(st, buf, sizeof buf));
    else if (now_ms() - t0 < 45)
        FAIL("exited after %.0f ms, before the thread's exit at 50 ms", now_ms() - t0);
}

/* ------------------ 10: pthread_exit in main; the process lives until the last thread */

struct pipes {
    int go[2], done[2];
};

static void *wait_go_then_report(void *arg)
{
    struct pipes *p = arg;
    char c;
    if (read(p->go[0], &c, 1) != 1)
        exit(4);
    pid_t me = getpid();
    if (write(p->done[1], &me, sizeof me) != sizeof me)
        exit(5);
    return NULL; /* the last thread returning ends the process with 0 */
}

static void pthread_exit_in_main(char *why)
{
    struct pipes p;
    if (pipe(p.go) < 0 || pipe(p.done) < 0) {
        FAIL("pipe: %s", strerror(errno));
        return;
    }
    pid_t child = fork();
    if (child == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, wait_go_then_report, &p))
            _exit(2);
        pthread_exit(NULL);
    }
    close(p.go[0]);
    close(p.done[1]);
    int st;
    char buf[80];
    /* Time for main to call pthread_exit; the thread waits for `go`. */
    sleep_ms(200);
    pid_t r = waitpid(child, &st, WNOHANG);
    if (r != 0) {
        FAIL("the process ended (%s; 2: pthread_create failed) while a thread was still running",
             r == child ? describe(st, buf, sizeof buf) : "waitpid failed");
        return;
    }
    if (write(p.go[1], "g", 1) != 1)
        FAIL("write: %s", strerror(errno));
    pid_t said = 0;
    if (read(p.done[0], &said, sizeof said) != sizeof said)
        FAIL("the thread never reported after main's pthread_exit");
    else if (said != child)
        FAIL("the thread's getpid() was %d, expected %d", said, child);
    if (poll_wait(child, &st, 5000) < 0) {
        kill(child, SIGKILL);
        waitpid(child, &st, 0);
        FAIL("the process did not end when its last thread returned");
    } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        FAIL("%s, expected status 0", describe(st, buf, sizeof buf));
    }
    close(p.go[1]);
    close(p.done[0]);
}

/* ------------------------------ 11: fork in a thread gives a one-thread child */

struct forker {
    pid_t parent;
    pid_t child;
};

/* The child's checks, as bits of its exit status. */
static int forked_child_checks(pid_t parent)
{
    int bad = 0;
    if (getpid() != gettid())
        bad |= 1;
    if (getppid() != parent)
        bad |= 2;
    pid_t tids[8];
    int n = task_tids(tids, 8);
    /* Without /proc/PID/task, running and exiting is what is left. */
    if (n >= 0 && n != 1 + extra_threads)
        bad |= 4;
    /* glibc's state is consistent: the child can make a thread. */
    pthread_t t;
    struct ids r = {0};
    if (pthread_create(&t, NULL, record_ids, &r) || pthread_join(t, NULL) || r.pid != getpid())
        bad |= 8;
    return bad;
}

static void *fork_from_thread(void *arg)
{
    struct forker *f = arg;
    fflush(stdout);
    f->child = fork();
    if (f->child == 0)
        _exit(forked_child_checks(f->parent));
    return NULL;
}

static void fork_from_thread_one_thread_child(char *why)
{
    struct parked park = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    pthread_t t[2], ft;
    struct parked_thread pt[2];
    pid_t tids[3];
    int n = start_parked(&park, t, pt, tids, 2, why);
    struct forker f = {.parent = getpid(), .child = -1};
    int e = pthread_create(&ft, NULL, fork_from_thread, &f);
    if (e)
        FAIL("pthread_create: %s", strerror(e));
    else
        pthread_join(ft, NULL);
    if (f.child < 0) {
        if (!e)
            FAIL("fork in a thread failed");
    } else {
        /* The main thread waits for a child another thread forked. */
        int st;
        char buf[80];
        if (poll_wait(f.child, &st, 5000) < 0) {
            kill(f.child, SIGKILL);
            waitpid(f.child, &st, 0);
            FAIL("the child did not exit (%s)", describe(st, buf, sizeof buf));
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            FAIL("child: %s (bits: 1 getpid != gettid, 2 getppid, 4 /proc/self/task count, 8 "
                 "pthread_create in the child)",
                 describe(st, buf, sizeof buf));
        }
    }
    unpark(&park);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* --------------------------------- 12: execve in a thread replaces the process */

/* The exec'd image (`--exec-check PID EXTRA`): 0 iff this is the only
 * thread and it has the old process's pid as its pid and tid; else bits
 * 8, 16, 32 (apart from the exec'ing process's own 2 and 3). */
static int exec_check(char **argv)
{
    int bad = 0;
    pid_t pid = atoi(argv[2]);
    extra_threads = atoi(argv[3]);
    if (getpid() != pid)
        bad |= 8;
    if (gettid() != pid)
        bad |= 16;
    pid_t tids[8];
    int n = task_tids(tids, 8);
    if (n < 0)
        n = status_threads() + extra_threads;
    if (n != 1 + extra_threads)
        bad |= 32;
    return bad;
}

static void *exec_self(void *arg)
{
    (void)arg;
    char pid[16], extra[16];
    snprintf(pid, sizeof pid, "%d", getpid());
    snprintf(extra, sizeof extra, "%d", extra_threads);
    char *argv[] = {"threads_c", "--exec-check", pid, extra, NULL};
    execv(self_path, argv);
    /* A Linux host without binfmt_misc cannot exec an aarch64 program
     * itself: go through qemu-aarch64, as usertests does. */
    if (errno == ENOEXEC) {
        const char *qemu = getenv("PIKERN_QEMU_USER");
        char *qargv[] = {"qemu-aarch64", "-0", "threads_c", self_path, "--exec-check",
                         pid,            extra, NULL};
        if (qemu)
            execv(qemu, qargv);
        else
            execvp("qemu-aarch64", qargv);
    }
    _exit(100 + (errno & 63));
}

static void exec_from_thread(char *why)
{
    pid_t p = fork();
    if (p == 0) {
        pthread_t a, b;
        if (pthread_create(&a, NULL, sleep_forever, NULL) ||
            pthread_create(&b, NULL, exec_self, NULL))
            _exit(2);
        /* Never returns: the exec ends this thread. */
        pthread_join(b, NULL);
        _exit(3);
    }
    int st;
    char buf[80];
    if (poll_wait(p, &st, 10000) < 0) {
        kill(p, SIGKILL);
        waitpid(p, &st, 0);
        FAIL("the process did not finish (%s)", describe(st, buf, sizeof buf));
    } else if (WIFEXITED(st) && WEXITSTATUS(st) >= 100) {
        FAIL("execv %.120s failed: %s", self_path, strerror(WEXITSTATUS(st) - 100));
    } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        FAIL("%s (2: pthread_create failed, 3: the exec returned to the old image; else bits: 8 "
             "getpid != the old pid, 16 gettid != pid, 32 not one thread)",
             describe(st, buf, sizeof buf));
    }
}

/* --------------------------------------------- 13: 2,000 create + join */

#define CYCLES 2000

static void *plus_one(void *arg)
{
    return (void *)((long)arg + 1);
}

static void create_join_cycles(char *why)
{
    long vm_early = -1;
    for (long i = 0; i < CYCLES; i++) {
        pthread_t t;
        void *r = NULL;
        int e = pthread_create(&t, NULL, plus_one, (void *)i);
        if (e) {
            FAIL("pthread_create #%ld: %s", i, strerror(e));
            return;
        }
        e = pthread_join(t, &r);
        if (e || (long)r != i + 1) {
            FAIL("pthread_join #%ld: %s, value %ld", i, strerror(e), (long)r);
            return;
        }
        if (i == 20)
            vm_early = status_vmsize();
        /* The watchdog catches a hang, not a slow host: each 100 cycles
         * that finish give the next 100 its full time. (A loaded 2-core
         * host running 4 vCPUs took from 2 s to over 15 s for all 2000.) */
        if (i % 100 == 99)
            alarm(WATCHDOG_S);
    }
    /* glibc reuses a joined thread's stack: the address space does not
     * grow with the number of threads made. (Under qemu-user VmSize is
     * QEMU's, which grows with its own per-thread state.) */
    long vm = status_vmsize();
    if (!on_linux && vm_early > 0 && vm > vm_early + 1024)
        FAIL("VmSize grew from %ld kB (20 threads) to %ld kB (%d threads)", vm_early, vm, CYCLES);
    double end = now_ms() + 2000;
    int n;
    while ((n = status_threads()) != 1 + extra_threads && n >= 0 && now_ms() < end)
        sleep_ms(2);
    if (n >= 0 && n != 1 + extra_threads)
        FAIL("/proc/self/status says Threads: %d after the joins, expected %d", n,
             1 + extra_threads);
    pid_t me = gettid();
    tasks_are(&me, 1, why, "after the joins");
}

/* -------------------------------------- 14: pthread_kill, tgkill */

#define KILL_THREADS 3

static void pthread_kill_and_tgkill(char *why)
{
    struct sigaction sa = {0};
    sa.sa_handler = record_hit;
    sigaction(SIGUSR2, &sa, NULL);
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, KILL_THREADS + 1);
    atomic_int stop = 0;
    pthread_t t[KILL_THREADS];
    struct sig_thread s[KILL_THREADS];
    for (int i = 0; i < KILL_THREADS; i++) {
        /* id -1: no thread unblocks anything (SIGUSR2 is not blocked). */
        s[i] = (struct sig_thread){.id = -1, .ready = &ready, .stop = &stop};
        int e = pthread_create(&t[i], NULL, sig_thread, &s[i]);
        if (e) {
            FAIL("pthread_create %d: %s", i, strerror(e));
            return;
        }
    }
    pthread_barrier_wait(&ready);
    double end;
    int e = pthread_kill(t[1], SIGUSR2);
    if (e)
        FAIL("pthread_kill: %s", strerror(e));
    end = now_ms() + 5000;
    while (atomic_load(&nhits) < 1 && now_ms() < end)
        sleep_ms(1);
    if (tgkill(getpid(), s[2].tid, SIGUSR2) != 0)
        FAIL("tgkill(%d, %d): %s", getpid(), s[2].tid, strerror(errno));
    end = now_ms() + 5000;
    while (atomic_load(&nhits) < 2 && now_ms() < end)
        sleep_ms(1);
    /* A tid and a tgid that do not go together: ESRCH, nothing sent. */
    if (tgkill(getppid(), s[2].tid, SIGUSR2) != -1 || errno != ESRCH)
        FAIL("tgkill(parent %d, our tid %d) was not ESRCH", getppid(), s[2].tid);
    if (tgkill(getpid(), 0x3ffffff0, 0) != -1 || errno != ESRCH)
        FAIL("tgkill to a tid that does not exist was not ESRCH");
    if (tgkill(getpid(), s[0].tid, 0) != 0)
        FAIL("tgkill(pid, tid, 0) to a live thread: %s", strerror(errno));
    sleep_ms(20);
    atomic_store(&stop, 1);
    for (int i = 0; i < KILL_THREADS; i++)
        pthread_join(t[i], NULL);
    int n = atomic_load(&nhits);
    if (n != 2)
        FAIL("the handler ran %d times, expected 2", n);
    else if (hits[0] != s[1].tid || hits[1] != s[2].tid)
        FAIL("the handler ran in tids %d and %d, expected %d (pthread_kill) and %d (tgkill); "
             "main is %d",
             hits[0], hits[1], s[1].tid, s[2].tid, getpid());
}

/* ------------------------------------------------------------- main */

struct check {
    const char *name;
    void (*run)(char *why);
};

static const struct check all[] = {
    {"16 threads count to 160000 under a mutex", mutex_counter},
    {"condition-variable ping-pong alternates strictly", cond_pingpong},
    {"pthread_barrier: every phase waits for all threads", barrier_phases},
    {"pthread_cond_timedwait and sem_timedwait time out with ETIMEDOUT", timedwait_times_out},
    {"__thread variables are private to each thread", tls_private},
    {"getpid() is the same in every thread, gettid() distinct", getpid_same_gettid_distinct},
    {"/proc/self/task lists exactly the live threads", proc_task_lists_live_threads},
    {"a process signal goes to the one thread not blocking it",
     process_signal_to_unblocking_thread},
    {"exit() in a thread ends the process with its status", exit_from_thread_ends_process},
    {"pthread_exit in main: the process lives until its last thread", pthread_exit_in_main},
    {"fork in a thread gives a one-thread child", fork_from_thread_one_thread_child},
    {"execve in a thread: one thread, with the process's pid", exec_from_thread},
    {"2000 pthread_create + pthread_join, then one thread again", create_join_cycles},
    {"pthread_kill and tgkill reach one thread; a wrong tgid is ESRCH", pthread_kill_and_tgkill},
};

/* Runs one check in a child of its own under the watchdog. The child
 * writes why it failed into a pipe and exits; the parent reads the pipe
 * only after reaping it, without blocking, so a grandchild that inherited
 * the write end (or a hung check) cannot hold the read up. */
static void run_check(const struct check *c)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
        report(0, c->name, "pipe2 for the result failed");
        return;
    }
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        close(fds[0]);
        alarm(WATCHDOG_S);
        char why[WHY_LEN] = "";
        c->run(why);
        if (why[0] && write(fds[1], why, strlen(why)) < 0)
            _exit(1);
        _exit(why[0] ? 1 : 0);
    }
    close(fds[1]);
    char why[WHY_LEN] = "";
    int st = 0;
    if (p < 0) {
        snprintf(why, sizeof why, "fork: %s", strerror(errno));
    } else if (poll_wait(p, &st, BACKSTOP_S * 1000) < 0) {
        kill(p, SIGKILL);
        waitpid(p, &st, 0);
        snprintf(why, sizeof why, "did not end after the watchdog's SIGALRM");
    } else {
        ssize_t n = read(fds[0], why, sizeof why - 1);
        why[n > 0 ? n : 0] = 0;
        if (!why[0] && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
            describe(st, why, sizeof why);
    }
    close(fds[0]);
    report(!why[0], c->name, why);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--exec-check") == 0)
        return exec_check(argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    ssize_t len = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (len > 0)
        self_path[len] = 0;
    struct utsname u;
    on_linux = uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0;
    if (on_linux) {
        pid_t tids[8];
        int n = task_tids(tids, 8);
        extra_threads = n > 1 ? n - 1 : 0;
    }
    int n = sizeof all / sizeof all[0];
    int only = argc > 1 ? atoi(argv[1]) : 0;
    for (int i = 0; i < n; i++)
        if (!only || only == i + 1)
            run_check(&all[i]);
    printf("threads: %d/%d passed\n", checks - failures, checks);
    return failures;
}
