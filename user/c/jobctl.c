/*
 * jobctl.c: process groups, sessions, stopping and the signal calls a
 * shell relies on, checked the way a glibc program sees them. Each check
 * prints "ok N - name" or "not ok N - name: why"; the exit status is the
 * number of failures. The same binary runs under qemu-aarch64 on a Linux
 * host (the reference) and on pikern.
 *
 * The first check is the one from issue 18: a parent forks a small tree,
 * moves processes into a process group, signals the group with
 * kill(-pgrp, SIGUSR1) and polls waitpid(WNOHANG) with usleep(20 ms) and a
 * 60 s deadline; every member must get the signal, a process outside the
 * group must not, and the parent must keep running.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"


static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
    (void)sig;
    got_usr1 = 1;
}

/* Waits for `pid` with WNOHANG polls every 20 ms, for at most `ms`. */
static int poll_wait(pid_t pid, int *status, int ms)
{
    double end = now_ms() + ms;
    while (now_ms() < end) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0)
            return -1;
        usleep(20000);
    }
    return -1;
}

/* A child that waits for SIGUSR1 (at most 10 s) and exits 0 if it came. */
static pid_t usr1_child(int ready_fd, pid_t pgid)
{
    pid_t p = fork();
    if (p == 0) {
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        sigprocmask(SIG_BLOCK, &block, &old);
        signal(SIGUSR1, on_usr1);
        if (pgid >= 0)
            setpgid(0, pgid);
        char c = 'r';
        if (write(ready_fd, &c, 1) != 1)
            _exit(3);
        alarm(10);
        while (!got_usr1)
            sigsuspend(&old);
        _exit(0);
    }
    return p;
}

static void kill_pgrp_reaches_every_member(void)
{
    int fds[2];
    if (pipe(fds) < 0) {
        report(0, "kill(-pgrp) reaches every member", strerror(errno));
        return;
    }
    pid_t a = usr1_child(fds[1], 0);
    setpgid(a, a); /* both sides set it, as a shell does */
    pid_t b = usr1_child(fds[1], a);
    pid_t c = usr1_child(fds[1], a);
    setpgid(b, a);
    setpgid(c, a);
    pid_t outside = usr1_child(fds[1], -1);
    char buf[4];
    int n = 0;
    while (n < 4) {
        ssize_t r = read(fds[0], buf, 4 - n);
        if (r <= 0)
            break;
        n += r;
    }
    char why[160] = "";
    if (getpgid(a) != a || getpgid(b) != a || getpgid(c) != a)
        snprintf(why, sizeof why, "getpgid: %d %d %d, want %d", getpgid(a), getpgid(b),
                 getpgid(c), a);
    if (kill(-a, SIGUSR1) < 0 && !why[0])
        snprintf(why, sizeof why, "kill(-%d): %s", a, strerror(errno));
    pid_t kids[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        int st;
        if (poll_wait(kids[i], &st, 60000) < 0) {
            if (!why[0])
                snprintf(why, sizeof why, "member %d never exited", kids[i]);
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            if (!why[0])
                snprintf(why, sizeof why, "member %d: status %#x", kids[i], st);
        }
    }
    /* The process outside the group still waits: it must not have exited. */
    int st;
    if (waitpid(outside, &st, WNOHANG) != 0 && !why[0])
        snprintf(why, sizeof why, "the process outside the group got the signal");
    kill(outside, SIGKILL);
    waitpid(outside, &st, 0);
    close(fds[0]);
    close(fds[1]);
    report(!why[0], "kill(-pgrp) reaches every member and no one else", why);
}

static void stop_continue_and_wait_flags(void)
{
    /* The child is a job of its own, as a shell makes it: a group whose
     * parent is in another group of the session, so SIGTSTP stops it
     * (in an orphaned group it would be discarded). */
    pid_t p = fork();
    if (p == 0) {
        setpgid(0, 0);
        for (;;)
            pause();
    }
    setpgid(p, p);
    char why[160] = "";
    int st = 0;
    kill(p, SIGSTOP);
    if (waitpid(p, &st, WUNTRACED) != p || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
        snprintf(why, sizeof why, "WUNTRACED: status %#x", st);
    /* Reported once. */
    if (!why[0] && waitpid(p, &st, WUNTRACED | WNOHANG) != 0)
        snprintf(why, sizeof why, "the stop was reported twice");
    kill(p, SIGCONT);
    if (!why[0] && (waitpid(p, &st, WCONTINUED) != p || !WIFCONTINUED(st)))
        snprintf(why, sizeof why, "WCONTINUED: status %#x", st);
    kill(p, SIGTSTP);
    if (!why[0] && (waitpid(p, &st, WUNTRACED) != p || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTSTP))
        snprintf(why, sizeof why, "SIGTSTP: status %#x", st);
    /* SIGKILL ends a stopped process. */
    kill(p, SIGKILL);
    if (!why[0] && (waitpid(p, &st, 0) != p || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL))
        snprintf(why, sizeof why, "SIGKILL while stopped: status %#x", st);
    report(!why[0], "SIGSTOP/SIGTSTP, SIGCONT, SIGKILL with WUNTRACED and WCONTINUED", why);
}

static volatile sig_atomic_t chld_code, chld_pid, chld_status;
static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    chld_code = si->si_code;
    chld_pid = si->si_pid;
    chld_status = si->si_status;
}

static void sigchld_siginfo(void)
{
    struct sigaction sa = {0}, old;
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, &old);
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &orig);
    chld_code = 0;
    pid_t p = fork();
    if (p == 0)
        _exit(7);
    while (!chld_code)
        sigsuspend(&orig);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    int st;
    waitpid(p, &st, 0);
    sigaction(SIGCHLD, &old, NULL);
    char why[160] = "";
    if (chld_code != CLD_EXITED || chld_pid != p || chld_status != 7)
        snprintf(why, sizeof why, "si_code %d si_pid %d si_status %d, want %d %d 7",
                 (int)chld_code, (int)chld_pid, (int)chld_status, CLD_EXITED, p);
    report(!why[0], "SIGCHLD's siginfo: CLD_EXITED, si_pid, si_status", why);
}

/* read() on a pipe interrupted by a handler: restarted with SA_RESTART,
 * EINTR without. */
static void sa_restart(int restart)
{
    int fds[2], go[2];
    if (pipe(fds) < 0 || pipe(go) < 0)
        return;
    pid_t p = fork();
    if (p == 0) {
        struct sigaction sa = {0};
        sa.sa_handler = on_usr1;
        sa.sa_flags = restart ? SA_RESTART : 0;
        sigaction(SIGUSR1, &sa, NULL);
        char c = 'r';
        if (write(go[1], &c, 1) != 1)
            _exit(3);
        ssize_t r = read(fds[0], &c, 1);
        if (restart)
            _exit(r == 1 && c == 'd' && got_usr1 ? 0 : 1);
        _exit(r < 0 && errno == EINTR && got_usr1 ? 0 : 2);
    }
    char c;
    if (read(go[0], &c, 1) != 1)
        return;
    usleep(100000); /* let it block in read() */
    kill(p, SIGUSR1);
    usleep(100000);
    if (write(fds[1], "d", 1) != 1)
        return;
    int st = 0;
    waitpid(p, &st, 0);
    char why[80] = "";
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        snprintf(why, sizeof why, "child status %#x", st);
    report(!why[0], restart ? "SA_RESTART restarts read()" : "without SA_RESTART read() is EINTR",
           why);
    close(fds[0]);
    close(fds[1]);
    close(go[0]);
    close(go[1]);
}

static void sa_restart_on(void)
{
    sa_restart(1);
}

static void sa_restart_off(void)
{
    sa_restart(0);
}

/* A sleep stopped and continued (no handler) goes on for the time left. */
static void sleep_survives_stop(void)
{
    pid_t p = fork();
    if (p == 0) {
        double t0 = now_ms();
        struct timespec ts = {0, 400 * 1000 * 1000};
        int r = nanosleep(&ts, NULL);
        double took = now_ms() - t0;
        _exit(r == 0 && took >= 399 ? 0 : 1);
    }
    usleep(50000);
    kill(p, SIGSTOP);
    int st = 0;
    waitpid(p, &st, WUNTRACED);
    kill(p, SIGCONT);
    waitpid(p, &st, 0);
    char why[80] = "";
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        snprintf(why, sizeof why, "child status %#x (EINTR or too short)", st);
    report(!why[0], "nanosleep goes on after SIGSTOP/SIGCONT", why);
}

static char altstack[64 * 1024];
static volatile uintptr_t handler_sp;
static volatile int handler_onstack;
static void on_usr2_alt(int sig)
{
    (void)sig;
    int local;
    handler_sp = (uintptr_t)&local;
    stack_t cur;
    sigaltstack(NULL, &cur);
    handler_onstack = cur.ss_flags & SS_ONSTACK;
}

static void sigaltstack_runs_handler_there(void)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0}, old;
    char why[120] = "";
    if (sigaltstack(&ss, &old) < 0)
        snprintf(why, sizeof why, "sigaltstack: %s", strerror(errno));
    stack_t small = {.ss_sp = altstack, .ss_size = 1024, .ss_flags = 0};
    if (!why[0] && (sigaltstack(&small, NULL) == 0 || errno != ENOMEM))
        snprintf(why, sizeof why, "a 1 KiB stack was not ENOMEM");
    struct sigaction sa = {0};
    sa.sa_handler = on_usr2_alt;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    uintptr_t lo = (uintptr_t)altstack, hi = lo + sizeof altstack;
    if (!why[0] && !(handler_sp >= lo && handler_sp < hi))
        snprintf(why, sizeof why, "handler ran at %#lx, not in [%#lx, %#lx)",
                 (unsigned long)handler_sp, (unsigned long)lo, (unsigned long)hi);
    if (!why[0] && !handler_onstack)
        snprintf(why, sizeof why, "SS_ONSTACK not reported inside the handler");
    stack_t now;
    sigaltstack(NULL, &now);
    if (!why[0] && (now.ss_flags & SS_ONSTACK))
        snprintf(why, sizeof why, "SS_ONSTACK after the handler returned");
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    sigaltstack(NULL, &now);
    if (!why[0] && !(now.ss_flags & SS_DISABLE))
        snprintf(why, sizeof why, "SS_DISABLE not reported after disabling");
    signal(SIGUSR2, SIG_DFL);
    report(!why[0], "sigaltstack: SA_ONSTACK handler on the alternate stack", why);
}

static void sigtimedwait_and_sigqueue(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    char why[160] = "";
    kill(getpid(), SIGUSR2);
    sigset_t pend;
    sigpending(&pend);
    if (!sigismember(&pend, SIGUSR2))
        snprintf(why, sizeof why, "sigpending lacks SIGUSR2");
    siginfo_t si;
    struct timespec ts = {1, 0};
    int s = sigtimedwait(&set, &si, &ts);
    if (!why[0] && (s != SIGUSR2 || si.si_pid != getpid() || si.si_code != SI_USER))
        snprintf(why, sizeof why, "got %d pid %d code %d", s, si.si_pid, si.si_code);
    union sigval v = {.sival_int = 42};
    sigqueue(getpid(), SIGRTMIN + 1, v);
    v.sival_int = 43;
    sigqueue(getpid(), SIGRTMIN + 1, v);
    /* Real-time signals queue: both come, in order, with their values. */
    s = sigtimedwait(&set, &si, &ts);
    if (!why[0] && (s != SIGRTMIN + 1 || si.si_code != SI_QUEUE || si.si_value.sival_int != 42))
        snprintf(why, sizeof why, "first sigqueue: %d code %d value %d", s, si.si_code,
                 si.si_value.sival_int);
    s = sigtimedwait(&set, &si, &ts);
    if (!why[0] && (s != SIGRTMIN + 1 || si.si_value.sival_int != 43))
        snprintf(why, sizeof why, "second sigqueue: %d value %d", s, si.si_value.sival_int);
    struct timespec short_ts = {0, 50 * 1000 * 1000};
    double t0 = now_ms();
    s = sigtimedwait(&set, &si, &short_ts);
    if (!why[0] && (s != -1 || errno != EAGAIN || now_ms() - t0 < 49))
        snprintf(why, sizeof why, "empty wait: %d errno %d", s, errno);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    report(!why[0], "sigpending, sigtimedwait, sigqueue (queued, in order)", why);
}

static void sessions_and_groups(void)
{
    int fds[2];
    if (pipe(fds) < 0)
        return;
    pid_t p = fork();
    if (p == 0) {
        int bad = 0;
        pid_t me = getpid();
        if (setsid() != me)
            bad |= 1;
        if (getsid(0) != me || getpgid(0) != me || getpgrp() != me)
            bad |= 2;
        /* A session leader cannot change its group, nor make a new session. */
        if (setpgid(0, 0) != -1 || errno != EPERM)
            bad |= 4;
        if (setsid() != -1 || errno != EPERM)
            bad |= 8;
        /* Its group is orphaned: SIGTSTP's default action does nothing. */
        raise(SIGTSTP);
        char c = (char)bad;
        if (write(fds[1], &c, 1) != 1)
            _exit(9);
        _exit(0);
    }
    char c = 0x7f;
    char why[120] = "";
    int st = 0;
    if (read(fds[0], &c, 1) != 1)
        snprintf(why, sizeof why, "the child stopped or died (SIGTSTP in an orphaned group)");
    else if (c)
        snprintf(why, sizeof why, "child checks failed: mask %#x", c);
    waitpid(p, &st, 0);
    if (!why[0] && getsid(p) != -1)
        snprintf(why, sizeof why, "getsid of a reaped pid succeeded");
    /* setpgid rules seen from the parent. */
    if (!why[0] && (setpgid(1, 1) != -1 || errno != ESRCH))
        snprintf(why, sizeof why, "setpgid(1): errno %d, want ESRCH", errno);
    if (!why[0] && (setpgid(0, -1) != -1 || errno != EINVAL))
        snprintf(why, sizeof why, "setpgid(0, -1): errno %d, want EINVAL", errno);
    close(fds[0]);
    close(fds[1]);
    report(!why[0], "setsid, getsid, getpgid, setpgid rules, orphaned SIGTSTP", why);
}

static void wait_for_a_group(void)
{
    pid_t a = fork();
    if (a == 0) {
        setpgid(0, 0);
        usleep(200000);
        _exit(3);
    }
    setpgid(a, a);
    pid_t other = fork();
    if (other == 0) {
        usleep(50000);
        _exit(4);
    }
    int st = 0;
    char why[120] = "";
    /* Only the group's child is reported, although the other exits first. */
    pid_t r = waitpid(-a, &st, 0);
    if (r != a || !WIFEXITED(st) || WEXITSTATUS(st) != 3)
        snprintf(why, sizeof why, "waitpid(-%d) gave %d status %#x", a, r, st);
    r = waitpid(0, &st, 0);
    if (!why[0] && (r != other || WEXITSTATUS(st) != 4))
        snprintf(why, sizeof why, "waitpid(0) gave %d status %#x", r, st);
    report(!why[0], "waitpid(-pgid) and waitpid(0) wait for a process group", why);
}

static void prctl_name_pdeathsig_subreaper(void)
{
    char why[160] = "", name[16] = "";
    char old[16] = "";
    prctl(PR_GET_NAME, old);
    if (prctl(PR_SET_NAME, "a-very-long-name-cut") != 0 || prctl(PR_GET_NAME, name) != 0 ||
        strcmp(name, "a-very-long-nam") != 0)
        snprintf(why, sizeof why, "PR_GET_NAME gave \"%s\"", name);
    prctl(PR_SET_NAME, old);
    /* A subreaper adopts its grandchild when the child dies, and the
     * grandchild's PR_SET_PDEATHSIG signal tells it so. */
    int fds[2];
    if (!why[0] && pipe(fds) < 0)
        snprintf(why, sizeof why, "pipe: %s", strerror(errno));
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int sub = 0;
    prctl(PR_GET_CHILD_SUBREAPER, &sub);
    if (!why[0] && sub != 1)
        snprintf(why, sizeof why, "PR_GET_CHILD_SUBREAPER gave %d", sub);
    pid_t child = fork();
    if (child == 0) {
        pid_t gc = fork();
        if (gc == 0) {
            sigset_t block, old;
            sigemptyset(&block);
            sigaddset(&block, SIGUSR1);
            sigprocmask(SIG_BLOCK, &block, &old);
            signal(SIGUSR1, on_usr1);
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            char c = 'r';
            if (write(fds[1], &c, 1) != 1)
                _exit(3);
            alarm(10);
            while (!got_usr1)
                sigsuspend(&old);
            /* Adopted by the subreaper, not by init. */
            _exit(getppid() == 1 ? 9 : 0);
        }
        char c;
        if (read(fds[0], &c, 1) != 1)
            _exit(4);
        _exit(0);
    }
    int st = 0;
    waitpid(child, &st, 0);
    /* The grandchild is now ours: wait for it. */
    pid_t r = wait(&st);
    if (!why[0] && (r <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
        snprintf(why, sizeof why, "grandchild: wait gave %d status %#x", r, st);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    close(fds[0]);
    close(fds[1]);
    report(!why[0], "prctl: PR_SET_NAME, PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER", why);
}

static volatile sig_atomic_t alarms;
static void on_alrm(int sig)
{
    (void)sig;
    alarms++;
}

static void itimer_real_and_alarm(void)
{
    char why[160] = "";
    struct sigaction sa = {0};
    sa.sa_handler = on_alrm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    alarms = 0;
    struct itimerval it = {{0, 50000}, {0, 100000}}, cur;
    if (setitimer(ITIMER_REAL, &it, NULL) != 0)
        snprintf(why, sizeof why, "setitimer: %s", strerror(errno));
    getitimer(ITIMER_REAL, &cur);
    if (!why[0] && (cur.it_interval.tv_usec != 50000 || cur.it_value.tv_sec != 0 ||
                    cur.it_value.tv_usec <= 0 || cur.it_value.tv_usec > 100000))
        snprintf(why, sizeof why, "getitimer: interval %ld value %ld.%06ld",
                 (long)cur.it_interval.tv_usec, (long)cur.it_value.tv_sec,
                 (long)cur.it_value.tv_usec);
    /* Periodic: at least 3 in 500 ms (about 9 are due). */
    double end = now_ms() + 500;
    while (now_ms() < end)
        usleep(10000);
    int seen = alarms;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    if (!why[0] && seen < 3)
        snprintf(why, sizeof why, "%d SIGALRMs in 500 ms with a 50 ms interval", seen);
    usleep(150000);
    if (!why[0] && alarms != seen)
        snprintf(why, sizeof why, "SIGALRM after the timer was disarmed");
    /* alarm() reports the seconds left of the previous one. */
    alarm(5);
    unsigned left = alarm(0);
    if (!why[0] && (left < 4 || left > 5))
        snprintf(why, sizeof why, "alarm(0) after alarm(5) gave %u", left);
    signal(SIGALRM, SIG_DFL);
    report(!why[0], "setitimer/getitimer ITIMER_REAL (periodic SIGALRM), alarm", why);
}

static volatile sig_atomic_t vtalrms, profs;

static void on_vtalrm(int sig)
{
    (void)sig;
    vtalrms++;
}

static void on_prof(int sig)
{
    (void)sig;
    profs++;
}

static long tv_us(struct timeval tv)
{
    return tv.tv_sec * 1000000L + tv.tv_usec;
}

/* Burns system time: the kernel zeroes the buffer on each read. */
static void read_zero_for(int fd, char *buf, size_t len, double ms, volatile sig_atomic_t *until)
{
    double end = now_ms() + ms;
    while (now_ms() < end && !(until && *until))
        if (read(fd, buf, len) < 0)
            break;
}

/*
 * ITIMER_VIRTUAL counts the process's user time only, ITIMER_PROF its
 * user and system time: a process that spins in user mode gets SIGVTALRM,
 * one that spends its time in read() gets SIGPROF while its virtual
 * timer barely moves; sleeping moves neither; a child does not inherit
 * them (fork(2)); and getitimer reports what is left.
 */
static void itimer_virtual_and_prof(void)
{
    char why[200] = "";
    struct sigaction sa = {0};
    sa.sa_handler = on_vtalrm;
    sigaction(SIGVTALRM, &sa, NULL);
    sa.sa_handler = on_prof;
    sigaction(SIGPROF, &sa, NULL);
    vtalrms = profs = 0;

    /* Periodic virtual timer, user-mode spinning: 3 expiries. */
    struct itimerval v = {{0, 20000}, {0, 20000}}, cur, old;
    if (setitimer(ITIMER_VIRTUAL, &v, NULL) != 0)
        snprintf(why, sizeof why, "setitimer(ITIMER_VIRTUAL): %s", strerror(errno));
    double end = now_ms() + 30000;
    volatile unsigned long spin = 0;
    while (!why[0] && vtalrms < 3 && now_ms() < end)
        spin++;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_VIRTUAL, &off, &old);
    if (!why[0] && vtalrms < 3)
        snprintf(why, sizeof why, "%d SIGVTALRMs after 30 s of user-mode spinning", (int)vtalrms);
    if (!why[0] && (old.it_interval.tv_usec != 20000 || tv_us(old.it_value) <= 0 ||
                    tv_us(old.it_value) > 20000))
        snprintf(why, sizeof why, "setitimer's old value: interval %ld value %ld us",
                 (long)old.it_interval.tv_usec, tv_us(old.it_value));
    getitimer(ITIMER_VIRTUAL, &cur);
    if (!why[0] && (tv_us(cur.it_value) != 0 || tv_us(cur.it_interval) != 0))
        snprintf(why, sizeof why, "disarmed ITIMER_VIRTUAL reads %ld us", tv_us(cur.it_value));

    /* Sleeping uses no CPU time: neither timer moves much, none fires.
     * (Linux adds one tick to a new value, so up to 2 s + 10 ms is left.) */
    struct itimerval p = {{0, 0}, {2, 0}};
    setitimer(ITIMER_VIRTUAL, &p, NULL);
    setitimer(ITIMER_PROF, &p, NULL);
    usleep(300000);
    getitimer(ITIMER_PROF, &cur);
    if (!why[0] && (tv_us(cur.it_value) < 1800000 || tv_us(cur.it_value) > 2010000))
        snprintf(why, sizeof why, "ITIMER_PROF left %ld us of 2 s after sleeping 300 ms",
                 tv_us(cur.it_value));

    /* A child starts with neither timer. */
    pid_t c = fork();
    if (c == 0) {
        struct itimerval a, b;
        getitimer(ITIMER_VIRTUAL, &a);
        getitimer(ITIMER_PROF, &b);
        _exit(tv_us(a.it_value) || tv_us(b.it_value) ? 1 : 0);
    }
    int st = 0;
    waitpid(c, &st, 0);
    if (!why[0] && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        snprintf(why, sizeof why, "the child inherited the CPU-time timers (status %#x)", st);

    /* System time: ITIMER_PROF (50 ms) fires, the virtual one (2 s) does not. */
    struct itimerval pr = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_PROF, &pr, NULL);
    static char buf[1 << 20];
    int fd = open("/dev/zero", O_RDONLY);
    read_zero_for(fd, buf, sizeof buf, 30000, &profs);
    close(fd);
    if (!why[0] && profs != 1)
        snprintf(why, sizeof why, "%d SIGPROFs from 50 ms of read()", (int)profs);
    if (!why[0] && vtalrms != 3)
        snprintf(why, sizeof why, "SIGVTALRM from system time (%d)", (int)vtalrms);
    setitimer(ITIMER_VIRTUAL, &off, NULL);
    setitimer(ITIMER_PROF, &off, NULL);
    if (!why[0] && setitimer(3, &off, NULL) != -1)
        snprintf(why, sizeof why, "setitimer(3) succeeded");
    signal(SIGVTALRM, SIG_DFL);
    signal(SIGPROF, SIG_DFL);
    report(!why[0], "ITIMER_VIRTUAL (user time) and ITIMER_PROF (all CPU time)", why);
}

/*
 * CPU time is split into user and system time: spinning in user mode
 * shows as ru_utime, read() of /dev/zero as ru_stime; times() agrees with
 * getrusage; wait4's rusage and RUSAGE_CHILDREN report a child's.
 */
static void cputime_user_and_system(void)
{
    char why[200] = "";
    struct rusage r0, r1, r2;
    getrusage(RUSAGE_SELF, &r0);
    double end = now_ms() + 400;
    volatile unsigned long spin = 0;
    while (now_ms() < end)
        for (int i = 0; i < 10000; i++)
            spin++;
    getrusage(RUSAGE_SELF, &r1);
    static char buf[1 << 20];
    int fd = open("/dev/zero", O_RDONLY);
    read_zero_for(fd, buf, sizeof buf, 400, NULL);
    close(fd);
    getrusage(RUSAGE_SELF, &r2);
    long du1 = tv_us(r1.ru_utime) - tv_us(r0.ru_utime), ds1 = tv_us(r1.ru_stime) - tv_us(r0.ru_stime);
    long du2 = tv_us(r2.ru_utime) - tv_us(r1.ru_utime), ds2 = tv_us(r2.ru_stime) - tv_us(r1.ru_stime);
    if (du1 <= ds1)
        snprintf(why, sizeof why, "spinning: user %ld us <= system %ld us", du1, ds1);
    else if (ds2 <= du2)
        snprintf(why, sizeof why, "read(): system %ld us <= user %ld us", ds2, du2);
    struct tms t;
    times(&t);
    long hz = sysconf(_SC_CLK_TCK);
    long tu = t.tms_utime * 1000000L / hz, ts = t.tms_stime * 1000000L / hz;
    if (!why[0] && (ts <= 0 || labs(ts - tv_us(r2.ru_stime)) > 30000 ||
                    labs(tu - tv_us(r2.ru_utime)) > 30000))
        snprintf(why, sizeof why, "times() %ld/%ld us vs getrusage %ld/%ld us", tu, ts,
                 tv_us(r2.ru_utime), tv_us(r2.ru_stime));
    pid_t c = fork();
    if (c == 0) {
        int z = open("/dev/zero", O_RDONLY);
        read_zero_for(z, buf, sizeof buf, 200, NULL);
        _exit(0);
    }
    struct rusage cr;
    int st;
    if (wait4(c, &st, 0, &cr) != c)
        snprintf(why, sizeof why, "wait4: %s", strerror(errno));
    else if (!why[0] && tv_us(cr.ru_stime) <= 0)
        snprintf(why, sizeof why, "wait4's rusage: child system time %ld us", tv_us(cr.ru_stime));
    struct rusage ch;
    getrusage(RUSAGE_CHILDREN, &ch);
    if (!why[0] && tv_us(ch.ru_stime) < tv_us(cr.ru_stime))
        snprintf(why, sizeof why, "RUSAGE_CHILDREN system %ld us < the child's %ld us",
                 tv_us(ch.ru_stime), tv_us(cr.ru_stime));
    report(!why[0], "CPU time split into user (ru_utime) and system (ru_stime) time", why);
}

int main(int argc, char **argv)
{
    static void (*const all[])(void) = {
        kill_pgrp_reaches_every_member,
        stop_continue_and_wait_flags,
        sigchld_siginfo,
        sa_restart_on,
        sa_restart_off,
        sleep_survives_stop,
        sigaltstack_runs_handler_there,
        sigtimedwait_and_sigqueue,
        sessions_and_groups,
        wait_for_a_group,
        prctl_name_pdeathsig_subreaper,
        itimer_real_and_alarm,
        itimer_virtual_and_prof,
        cputime_user_and_system,
    };
    int n = sizeof all / sizeof all[0];
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* `jobctl_c K` runs check K alone (1-based), for debugging. */
    int only = argc > 1 ? atoi(argv[1]) : 0;
    for (int i = 0; i < n; i++)
        if (!only || only == i + 1)
            all[i]();
    printf("jobctl: %d/%d passed\n", checks - failures, checks);
    return failures;
}
