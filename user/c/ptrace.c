/*
 * ptrace.c: what strace and a debugger need from ptrace(2), checked as a
 * glibc program sees it. Each check prints "ok N - name" or "not ok N -
 * name: why"; the exit status is the number of failures. The expected
 * values are Linux's (man 2 ptrace, kernel/ptrace.c): the same binary
 * runs on Linux, but not under qemu-user, which has no ptrace.
 *
 * `ptrace_c K` runs check K alone (1-based).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#ifndef NT_ARM_SYSTEM_CALL
#define NT_ARM_SYSTEM_CALL 0x404
#endif
#define GET_SYSCALL_INFO 0x420e

static char why[256];
static int debug; /* `ptrace_c K -v`: the stops of check 1 on stderr */
#define FAIL(...) (snprintf(why, sizeof why, __VA_ARGS__), 0)

/* The raw call: -1 with errno on failure, PEEK's result in *data. */
static long pt(long req, pid_t pid, long addr, long data)
{
    return syscall(SYS_ptrace, req, pid, addr, data);
}

/* waitpid with __WALL, retried on EINTR. */
static pid_t wait_all(pid_t pid, int *st)
{
    pid_t r;
    do
        r = waitpid(pid, st, __WALL);
    while (r < 0 && errno == EINTR);
    return r;
}

/* A child that asks to be traced and stops itself, then runs `body`. */
static pid_t traced_child(int (*body)(void))
{
    pid_t p = fork();
    if (p == 0) {
        if (pt(PTRACE_TRACEME, 0, 0, 0) != 0)
            _exit(100);
        raise(SIGSTOP);
        _exit(body());
    }
    return p;
}

/* Waits for the child's first stop (its SIGSTOP). */
static int first_stop(pid_t p)
{
    int st;
    if (wait_all(p, &st) != p || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
        return FAIL("first stop: status %#x", st);
    return 1;
}

static void finish(pid_t p)
{
    int st;
    kill(p, SIGKILL);
    while (wait_all(p, &st) == p && !WIFEXITED(st) && !WIFSIGNALED(st))
        ;
}

/* ------------------------------------------------------------------ 1 */

static int exec_true(void)
{
    execl("/bin/true", "true", (char *)0);
    return 99;
}

/* A mini strace: TRACEME, SIGSTOP, then every syscall stop of an exec of
 * /bin/true, the exec event and the exit event, with the syscall info. */
static void mini_strace_counts_syscall_stops(void)
{
    int ok = 1, st, enters = 0, exits = 0, exec_ev = 0, exit_ev = 0;
    int info_ok = 0, x7_ok = 1;
    pid_t p = traced_child(exec_true);
    ok = first_stop(p);
    if (ok && pt(PTRACE_SETOPTIONS, p, 0,
                 PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT) != 0)
        ok = FAIL("SETOPTIONS: %s", strerror(errno));
    int in_call = 0;
    while (ok) {
        if (pt(PTRACE_SYSCALL, p, 0, 0) != 0) {
            ok = FAIL("PTRACE_SYSCALL: %s", strerror(errno));
            break;
        }
        if (wait_all(p, &st) != p) {
            ok = FAIL("wait: %s", strerror(errno));
            break;
        }
        if (WIFEXITED(st))
            break;
        if (!WIFSTOPPED(st)) {
            ok = FAIL("status %#x", st);
            break;
        }
        int sig = st >> 8;
        if (debug)
            fprintf(stderr, "# stop %#x\n", st);
        if (sig == (SIGTRAP | 0x80)) {
            struct user_regs_struct r;
            struct iovec iov = { &r, sizeof r };
            if (pt(PTRACE_GETREGSET, p, NT_PRSTATUS, (long)&iov) != 0)
                ok = FAIL("GETREGSET: %s", strerror(errno));
            if (r.regs[7] != (unsigned long long)in_call)
                x7_ok = 0;
            if (debug)
                fprintf(stderr, "#  x7 %llu x8 %llu x0 %#llx\n", r.regs[7], r.regs[8], r.regs[0]);
            unsigned char info[88];
            long n = pt(GET_SYSCALL_INFO, p, sizeof info, (long)info);
            if (!in_call) {
                enters++;
                uint64_t nr;
                memcpy(&nr, info + 24, 8);
                if (n == 80 && info[0] == 1 && nr == r.regs[8])
                    info_ok++;
            } else {
                exits++;
                if (n == 33 && info[0] == 2)
                    info_ok++;
            }
            in_call = !in_call;
        } else if (sig == (SIGTRAP | PTRACE_EVENT_EXEC << 8)) {
            exec_ev++;
        } else if (sig == (SIGTRAP | PTRACE_EVENT_EXIT << 8)) {
            exit_ev++;
        } else {
            ok = FAIL("unexpected stop %#x", st);
        }
    }
    if (ok && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        ok = FAIL("status %#x", st);
    if (ok && (enters < 2 || exits + 1 != enters))
        ok = FAIL("%d entry and %d exit stops", enters, exits);
    if (ok && (exec_ev != 1 || exit_ev != 1))
        ok = FAIL("%d exec and %d exit events", exec_ev, exit_ev);
    if (ok && info_ok != enters + exits)
        ok = FAIL("GET_SYSCALL_INFO right at %d of %d stops", info_ok, enters + exits);
    if (ok && !x7_ok)
        ok = FAIL("x7 is not 0 at entry and 1 at exit");
    if (!ok)
        finish(p);
    else
        printf("# %d syscall-entry stops, %d exit stops\n", enters, exits);
    report(ok, "mini strace: syscall stops, exec and exit events", why);
}

/* ------------------------------------------------------------------ 2 */

static void seize_and_interrupt(void)
{
    int ok = 1, st;
    pid_t p = fork();
    if (p == 0) {
        for (;;)
            pause();
    }
    if (pt(PTRACE_SEIZE, p, 0, PTRACE_O_EXITKILL) != 0)
        ok = FAIL("SEIZE: %s", strerror(errno));
    /* Seized, not stopped: requests that need a stop fail. */
    long v;
    if (ok && (pt(PTRACE_PEEKDATA, p, (long)&v, (long)&v) != -1 || errno != ESRCH))
        ok = FAIL("PEEKDATA of a running tracee: not ESRCH");
    if (ok && waitpid(p, &st, WNOHANG | __WALL) != 0)
        ok = FAIL("a seized tracee reported %#x before any stop", st);
    if (ok && pt(PTRACE_INTERRUPT, p, 0, 0) != 0)
        ok = FAIL("INTERRUPT: %s", strerror(errno));
    if (ok && (wait_all(p, &st) != p || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP ||
               st >> 16 != PTRACE_EVENT_STOP))
        ok = FAIL("after INTERRUPT: status %#x", st);
    if (ok && pt(PTRACE_CONT, p, 0, 0) != 0)
        ok = FAIL("CONT: %s", strerror(errno));
    /* Interrupted again while in pause(): the call restarts. */
    usleep(20000);
    if (ok && pt(PTRACE_INTERRUPT, p, 0, 0) != 0)
        ok = FAIL("second INTERRUPT: %s", strerror(errno));
    if (ok && (wait_all(p, &st) != p || st >> 16 != PTRACE_EVENT_STOP))
        ok = FAIL("second INTERRUPT: status %#x", st);
    kill(p, SIGKILL);
    if (ok && (wait_all(p, &st) != p || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL))
        ok = FAIL("SIGKILL of a stopped tracee: status %#x", st);
    report(ok, "SEIZE, INTERRUPT gives PTRACE_EVENT_STOP, SIGKILL ends a stop", why);
}

/* ------------------------------------------------------------------ 3 */

static int forks_grandchild(void)
{
    pid_t g = fork();
    if (g == 0)
        _exit(7);
    int st;
    if (waitpid(g, &st, 0) != g || !WIFEXITED(st))
        return 50;
    return WEXITSTATUS(st); /* 7 if the real parent got its child back */
}

static void tracefork_auto_attaches(void)
{
    int ok, st;
    pid_t p = traced_child(forks_grandchild);
    ok = first_stop(p);
    if (ok && pt(PTRACE_SETOPTIONS, p, 0, PTRACE_O_TRACEFORK) != 0)
        ok = FAIL("SETOPTIONS: %s", strerror(errno));
    if (ok)
        pt(PTRACE_CONT, p, 0, 0);
    pid_t g = 0;
    int fork_ev = 0, g_stop = 0, g_exit = -1, p_exit = -1;
    while (ok && p_exit < 0) {
        pid_t w = wait_all(-1, &st);
        if (w < 0) {
            ok = FAIL("wait: %s", strerror(errno));
            break;
        }
        if (w == p && WIFSTOPPED(st) && st >> 8 == (SIGTRAP | PTRACE_EVENT_FORK << 8)) {
            unsigned long msg = 0;
            pt(PTRACE_GETEVENTMSG, p, 0, (long)&msg);
            g = msg;
            fork_ev++;
            pt(PTRACE_CONT, p, 0, 0);
        } else if (w == p && WIFEXITED(st)) {
            p_exit = WEXITSTATUS(st);
        } else if (w == p && WIFSTOPPED(st)) {
            pt(PTRACE_CONT, p, 0, WSTOPSIG(st));
        } else if (w != p && WIFSTOPPED(st)) {
            if (WSTOPSIG(st) == SIGSTOP && !g_stop)
                g_stop = w;
            pt(PTRACE_CONT, w, 0, 0);
        } else if (w != p && WIFEXITED(st)) {
            g_exit = WEXITSTATUS(st);
        }
    }
    if (ok && fork_ev != 1)
        ok = FAIL("%d fork events", fork_ev);
    if (ok && (g_stop != g || g <= 0))
        ok = FAIL("grandchild %d: first stop from %d", g, g_stop);
    if (ok && g_exit != 7)
        ok = FAIL("the tracer saw the grandchild exit with %d", g_exit);
    if (ok && p_exit != 7)
        ok = FAIL("the real parent got %d from its child", p_exit);
    report(ok, "TRACEFORK: the child is attached, stops with SIGSTOP, both parents see its exit", why);
}

/* ------------------------------------------------------------------ 4 */

static volatile long data_word = 0x1234;
static const long ro_word = 0x1111;
__attribute__((noinline)) static int ret_one(void)
{
    return 1;
}
static int (*volatile ret_one_p)(void) = ret_one;

static int check_pokes(void)
{
    int bad = 0;
    if (data_word != 0x5678)
        bad |= 1;
    if (*(volatile const long *)&ro_word != 0x2222)
        bad |= 2;
    if (ret_one_p() != 2)
        bad |= 4;
    return bad;
}

static void peek_poke_data_and_text(void)
{
    int ok, st;
    pid_t p = traced_child(check_pokes);
    ok = first_stop(p);
    long v = 0;
    if (ok && (pt(PTRACE_PEEKDATA, p, (long)&data_word, (long)&v) != 0 || v != 0x1234))
        ok = FAIL("PEEKDATA: %#lx", v);
    if (ok && pt(PTRACE_POKEDATA, p, (long)&data_word, 0x5678) != 0)
        ok = FAIL("POKEDATA: %s", strerror(errno));
    if (ok && pt(PTRACE_POKEDATA, p, (long)&ro_word, 0x2222) != 0)
        ok = FAIL("POKEDATA of read-only data: %s", strerror(errno));
    /* ret_one is "mov w0, #1; ret": make it "mov w0, #2". */
    long insn = 0;
    if (ok && pt(PTRACE_PEEKTEXT, p, (long)ret_one, (long)&insn) != 0)
        ok = FAIL("PEEKTEXT: %s", strerror(errno));
    if (ok && (uint32_t)insn != 0x52800020)
        ok = FAIL("ret_one starts with %#x, not mov w0, #1", (uint32_t)insn);
    if (ok && pt(PTRACE_POKETEXT, p, (long)ret_one, (insn & ~0xffffffffL) | 0x52800040) != 0)
        ok = FAIL("POKETEXT: %s", strerror(errno));
    if (ok && (pt(PTRACE_PEEKDATA, p, 8, (long)&v) != -1 || errno != EIO))
        ok = FAIL("PEEKDATA at 8: not EIO");
    if (ok && (pt(PTRACE_PEEKDATA, p, (long)&data_word, 8) != -1 || errno != EFAULT))
        ok = FAIL("PEEKDATA into a bad buffer: not EFAULT");
    char buf[8] = { 0 };
    struct iovec l = { buf, sizeof buf }, r = { (void *)&ro_word, sizeof ro_word };
    if (ok && (process_vm_readv(p, &l, 1, &r, 1, 0) != 8 || *(long *)buf != 0x2222))
        ok = FAIL("process_vm_readv: %s", strerror(errno));
    if (ok)
        pt(PTRACE_CONT, p, 0, 0);
    if (ok && (wait_all(p, &st) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
        ok = FAIL("child status %#x (bits: 1 data, 2 rodata, 4 text)", st);
    if (ok && (data_word != 0x1234 || ro_word != 0x1111 || ret_one_p() != 1))
        ok = FAIL("the tracer's own copy changed");
    if (!ok)
        finish(p);
    report(ok, "PEEK/POKE data, read-only data and text (copy on write), process_vm_readv", why);
}

/* ------------------------------------------------------------------ 5 */

static int getpid_calls(void)
{
    long a = syscall(SYS_getpid);   /* the tracer makes it return 4242 */
    long b = syscall(SYS_getppid);  /* the tracer turns it into getpid */
    return (a == 4242 ? 0 : 1) | (b == getpid() ? 0 : 2);
}

/* Runs the tracee to the next syscall stop; returns its x8 or -1. */
static long next_syscall_stop(pid_t p, struct user_regs_struct *r)
{
    int st;
    struct iovec iov = { r, sizeof *r };
    if (pt(PTRACE_SYSCALL, p, 0, 0) != 0 || wait_all(p, &st) != p || !WIFSTOPPED(st))
        return -1;
    if (pt(PTRACE_GETREGSET, p, NT_PRSTATUS, (long)&iov) != 0 || iov.iov_len != sizeof *r)
        return -1;
    return r->regs[8];
}

static void getregset_changes_registers(void)
{
    int ok, st;
    pid_t p = traced_child(getpid_calls);
    ok = first_stop(p);
    struct user_regs_struct r;
    struct iovec iov = { &r, sizeof r };
    int found = 0;
    /* Entry of getpid, then its exit: x0 becomes 4242. */
    for (int i = 0; ok && i < 200 && !found; i++)
        found = next_syscall_stop(p, &r) == SYS_getpid;
    if (ok && !found)
        ok = FAIL("no getpid entry stop");
    int nr = 0;
    struct iovec niov = { &nr, sizeof nr };
    if (ok && (pt(PTRACE_GETREGSET, p, NT_ARM_SYSTEM_CALL, (long)&niov) != 0 || nr != SYS_getpid))
        ok = FAIL("NT_ARM_SYSTEM_CALL: %d", nr);
    if (ok && next_syscall_stop(p, &r) != SYS_getpid)
        ok = FAIL("no getpid exit stop");
    if (ok && (long)r.regs[0] != p)
        ok = FAIL("getpid exit: x0 %lld, not %d", r.regs[0], p);
    r.regs[0] = 4242;
    if (ok && pt(PTRACE_SETREGSET, p, NT_PRSTATUS, (long)&iov) != 0)
        ok = FAIL("SETREGSET: %s", strerror(errno));
    /* Entry of getppid: the number becomes getpid's. */
    if (ok && next_syscall_stop(p, &r) != SYS_getppid)
        ok = FAIL("no getppid entry stop");
    nr = SYS_getpid;
    if (ok && pt(PTRACE_SETREGSET, p, NT_ARM_SYSTEM_CALL, (long)&niov) != 0)
        ok = FAIL("SETREGSET NT_ARM_SYSTEM_CALL: %s", strerror(errno));
    if (ok)
        pt(PTRACE_CONT, p, 0, 0);
    if (ok && (wait_all(p, &st) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
        ok = FAIL("child status %#x (1: x0 not changed, 2: number not changed)", st);
    if (!ok)
        finish(p);
    report(ok, "GETREGSET/SETREGSET: x0 at syscall exit, the number at entry", why);
}

/* ------------------------------------------------------------------ 6 */

static volatile sig_atomic_t got_usr2;
static void on_usr2(int s)
{
    (void)s;
    got_usr2 = 1;
}

static int raises_usr1_twice(void)
{
    signal(SIGUSR2, on_usr2);
    raise(SIGUSR1); /* suppressed by the tracer, or it would kill us */
    raise(SIGUSR1); /* turned into SIGUSR2 */
    return got_usr2 ? 0 : 1;
}

static void signal_delivery_stop_suppress_and_change(void)
{
    int ok, st;
    pid_t p = traced_child(raises_usr1_twice);
    ok = first_stop(p);
    if (ok)
        pt(PTRACE_CONT, p, 0, 0);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (ok && (wait_all(p, &st) != p || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGUSR1))
        ok = FAIL("first SIGUSR1: status %#x", st);
    if (ok && (pt(PTRACE_GETSIGINFO, p, 0, (long)&si) != 0 || si.si_signo != SIGUSR1 ||
               si.si_code != SI_TKILL || si.si_pid != p))
        ok = FAIL("GETSIGINFO: signo %d code %d pid %d", si.si_signo, si.si_code, si.si_pid);
    if (ok)
        pt(PTRACE_CONT, p, 0, 0);
    if (ok && (wait_all(p, &st) != p || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGUSR1))
        ok = FAIL("second SIGUSR1: status %#x", st);
    /* Delivered at once, without another stop. */
    if (ok)
        pt(PTRACE_CONT, p, 0, SIGUSR2);
    if (ok && (wait_all(p, &st) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
        ok = FAIL("child status %#x", st);
    if (!ok)
        finish(p);
    report(ok, "signal-delivery-stop: GETSIGINFO, suppressed with 0, changed by CONT's data", why);
}

/* ------------------------------------------------------------------ 7 */

static int read_tracer_pid(pid_t p)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/status", p);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *t = strstr(buf, "TracerPid:");
    return t ? atoi(t + 10) : -1;
}

/* P forks C (the tracee) and T (its tracer, not its parent). While T
 * traces C, C's getppid is still P, /proc/C/status says TracerPid T, and
 * P's wait does not see C's stops; when C dies, T sees it first, and P
 * reaps it afterwards. */
static void attach_by_a_sibling(void)
{
    int ok = 1, st;
    int p2c[2], c2p[2], t2p[2], p2t[2];
    if (pipe(p2c) || pipe(c2p) || pipe(t2p) || pipe(p2t)) {
        report(0, "attach by a sibling", "pipe");
        return;
    }
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        char b;
        /* A byte from P asks for getppid. */
        while (read(p2c[0], &b, 1) == 1) {
            pid_t pp = getppid();
            if (write(c2p[1], &pp, sizeof pp) < 0)
                _exit(3);
        }
        _exit(4);
    }
    pid_t t = fork();
    if (t == 0) {
        int r = 0;
        char b = 1;
        if (pt(PTRACE_ATTACH, c, 0, 0) != 0)
            _exit(10);
        if (pt(PTRACE_ATTACH, c, 0, 0) != -1 || errno != EPERM)
            r |= 1;
        if (wait_all(c, &st) != c || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
            _exit(11);
        if (read_tracer_pid(c) != getpid())
            r |= 2;
        if (pt(PTRACE_INTERRUPT, c, 0, 0) != -1 || errno != EIO)
            r |= 4;
        if (pt(0x7777, c, 0, 0) != -1 || errno != EIO)
            r |= 8;
        /* P checks its wait now, while C is stopped. */
        if (write(t2p[1], &b, 1) != 1 || read(p2t[0], &b, 1) != 1)
            _exit(12);
        pt(PTRACE_CONT, c, 0, 0);
        if (pt(PTRACE_CONT, c, 0, 0) != -1 || errno != ESRCH)
            r |= 16;
        /* P asks C for getppid, then lets this go on. */
        if (write(t2p[1], &b, 1) != 1 || read(p2t[0], &b, 1) != 1)
            _exit(14);
        kill(c, SIGTERM);
        if (wait_all(c, &st) != c || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTERM)
            _exit(13);
        pt(PTRACE_CONT, c, 0, SIGTERM);
        if (wait_all(c, &st) != c || !WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM)
            r |= 32;
        _exit(r);
    }
    char b = 1;
    if (read(t2p[0], &b, 1) != 1)
        ok = FAIL("tracer never got C stopped");
    if (ok && waitpid(c, &st, WNOHANG | WUNTRACED) != 0)
        ok = FAIL("the real parent saw a ptrace stop: %#x", st);
    if (ok && read_tracer_pid(c) != t)
        ok = FAIL("TracerPid %d, not %d", read_tracer_pid(c), t);
    if (write(p2t[1], &b, 1) != 1 || read(t2p[0], &b, 1) != 1)
        ok = ok ? FAIL("pipe to the tracer") : 0;
    pid_t pp = 0;
    if (ok && (write(p2c[1], &b, 1) != 1 || read(c2p[0], &pp, sizeof pp) != sizeof pp))
        ok = FAIL("no getppid answer");
    if (ok && pp != parent)
        ok = FAIL("getppid in the tracee: %d, not %d", pp, parent);
    if (write(p2t[1], &b, 1) != 1)
        ok = ok ? FAIL("pipe to the tracer") : 0;
    if (waitpid(t, &st, 0) != t || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        ok = ok ? FAIL("tracer status %#x", st) : 0;
    if (ok && (waitpid(c, &st, 0) != c || !WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM))
        ok = FAIL("the real parent reaped %#x", st);
    if (!ok) {
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
    }
    int fds[] = { p2c[0], p2c[1], c2p[0], c2p[1], t2p[0], t2p[1], p2t[0], p2t[1] };
    for (unsigned i = 0; i < sizeof fds / sizeof fds[0]; i++)
        close(fds[i]);
    report(ok, "ATTACH by a sibling: getppid, TracerPid, real parent's wait, both told of the death", why);
}

/* ------------------------------------------------------------------ 8 */

static void error_cases(void)
{
    int ok = 1, st;
    if (pt(PTRACE_ATTACH, 1, 0, 0) != -1 || errno != EPERM)
        ok = FAIL("ATTACH to pid 1: %s", strerror(errno));
    if (ok && (pt(PTRACE_ATTACH, getpid(), 0, 0) != -1 || errno != EPERM))
        ok = FAIL("ATTACH to oneself: %s", strerror(errno));
    if (ok && (pt(PTRACE_ATTACH, 999999, 0, 0) != -1 || errno != ESRCH))
        ok = FAIL("ATTACH to no such pid: %s", strerror(errno));
    if (ok && (pt(PTRACE_SEIZE, 999999, 0, 0) != -1 || errno != ESRCH))
        ok = FAIL("SEIZE of no such pid: %s", strerror(errno));
    pid_t p = fork();
    if (p == 0) {
        for (;;)
            pause();
    }
    long v;
    if (ok && (pt(PTRACE_PEEKDATA, p, (long)&v, (long)&v) != -1 || errno != ESRCH))
        ok = FAIL("PEEKDATA of an untraced child: %s", strerror(errno));
    if (ok && (pt(PTRACE_SEIZE, p, 0, 1L << 30) != -1 || errno != EIO))
        ok = FAIL("SEIZE with bad options: %s", strerror(errno));
    if (ok && (pt(PTRACE_SEIZE, p, 8, 0) != -1 || errno != EIO))
        ok = FAIL("SEIZE with an address: %s", strerror(errno));
    if (ok && pt(PTRACE_SEIZE, p, 0, 0) != 0)
        ok = FAIL("SEIZE: %s", strerror(errno));
    if (ok && (pt(PTRACE_SEIZE, p, 0, 0) != -1 || errno != EPERM))
        ok = FAIL("SEIZE twice: %s", strerror(errno));
    if (ok && pt(PTRACE_INTERRUPT, p, 0, 0) != 0)
        ok = FAIL("INTERRUPT: %s", strerror(errno));
    if (ok && wait_all(p, &st) != p)
        ok = FAIL("wait");
    if (ok && (pt(PTRACE_CONT, p, 0, 65) != -1 || errno != EIO))
        ok = FAIL("CONT with signal 65: %s", strerror(errno));
    if (ok && (pt(PTRACE_SETOPTIONS, p, 0, 1L << 30) != -1 || errno != EINVAL))
        ok = FAIL("SETOPTIONS with a bad bit: %s", strerror(errno));
    if (ok && pt(PTRACE_DETACH, p, 0, 0) != 0)
        ok = FAIL("DETACH: %s", strerror(errno));
    if (ok && (pt(PTRACE_CONT, p, 0, 0) != -1 || errno != ESRCH))
        ok = FAIL("CONT after DETACH: %s", strerror(errno));
    usleep(10000);
    if (ok && read_tracer_pid(p) != 0)
        ok = FAIL("TracerPid after DETACH: %d", read_tracer_pid(p));
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    pid_t q = fork();
    if (q == 0) {
        if (pt(PTRACE_TRACEME, 0, 0, 0) != 0)
            _exit(1);
        _exit(pt(PTRACE_TRACEME, 0, 0, 0) == -1 && errno == EPERM ? 0 : 2);
    }
    if (ok && (waitpid(q, &st, 0) != q || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
        ok = FAIL("TRACEME twice: status %#x", st);
    report(ok, "errors: EPERM, ESRCH, EIO, EINVAL as Linux", why);
}

/* ------------------------------------------------------------------ 9 */

/* A tracer that exits kills its PTRACE_O_EXITKILL tracee and lets an
 * ordinary one go on. */
static void tracer_exit_detaches_or_kills(void)
{
    int ok = 1, st;
    pid_t a = fork();
    if (a == 0) {
        for (;;)
            pause();
    }
    pid_t b = fork();
    if (b == 0) {
        sleep(1);
        _exit(6);
    }
    pid_t t = fork();
    if (t == 0) {
        if (pt(PTRACE_SEIZE, a, 0, PTRACE_O_EXITKILL) || pt(PTRACE_SEIZE, b, 0, 0))
            _exit(1);
        _exit(0);
    }
    if (waitpid(t, &st, 0) != t || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        ok = FAIL("tracer status %#x", st);
    if (ok && (waitpid(a, &st, 0) != a || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL))
        ok = FAIL("EXITKILL tracee: status %#x", st);
    if (ok && (waitpid(b, &st, 0) != b || !WIFEXITED(st) || WEXITSTATUS(st) != 6))
        ok = FAIL("detached tracee: status %#x", st);
    if (!ok) {
        kill(a, SIGKILL);
        kill(b, SIGKILL);
        while (wait(&st) > 0)
            ;
    }
    report(ok, "tracer exit: EXITKILL kills, otherwise detaches", why);
}

/* ----------------------------------------------------------------- 10 */

/* With PTRACE_SEIZE, an auto-attached child's first stop is a
 * PTRACE_EVENT_STOP (SIGTRAP), not a SIGSTOP. */
static void seized_fork_child_starts_in_event_stop(void)
{
    int ok = 1, st, go[2];
    if (pipe(go)) {
        report(0, "seized fork", "pipe");
        return;
    }
    pid_t p = fork();
    if (p == 0) {
        char b;
        if (read(go[0], &b, 1) != 1)
            _exit(20);
        _exit(forks_grandchild());
    }
    if (pt(PTRACE_SEIZE, p, 0, PTRACE_O_TRACEFORK | PTRACE_O_EXITKILL) != 0)
        ok = FAIL("SEIZE: %s", strerror(errno));
    char b = 1;
    if (write(go[1], &b, 1) != 1)
        ok = FAIL("pipe");
    pid_t g = 0;
    int g_first = -1, g_exit = -1, p_exit = -1;
    while (ok && p_exit < 0) {
        pid_t w = wait_all(-1, &st);
        if (w < 0) {
            ok = FAIL("wait: %s", strerror(errno));
        } else if (w == p && WIFEXITED(st)) {
            p_exit = WEXITSTATUS(st);
        } else if (w == p && st >> 8 == (SIGTRAP | PTRACE_EVENT_FORK << 8)) {
            unsigned long msg = 0;
            pt(PTRACE_GETEVENTMSG, p, 0, (long)&msg);
            g = msg;
            pt(PTRACE_CONT, p, 0, 0);
        } else if (w == p && WIFSTOPPED(st)) {
            pt(PTRACE_CONT, p, 0, WSTOPSIG(st));
        } else if (w != p && WIFSTOPPED(st)) {
            if (g_first < 0)
                g_first = st >> 8;
            pt(PTRACE_CONT, w, 0, 0);
        } else if (w != p && WIFEXITED(st)) {
            g_exit = WEXITSTATUS(st);
        }
    }
    if (ok && g_first != (SIGTRAP | PTRACE_EVENT_STOP << 8))
        ok = FAIL("grandchild %d's first stop %#x", g, g_first);
    if (ok && (g_exit != 7 || p_exit != 7))
        ok = FAIL("exits: grandchild %d, child %d", g_exit, p_exit);
    close(go[0]);
    close(go[1]);
    if (!ok)
        finish(p);
    report(ok, "SEIZE + TRACEFORK: the new child first stops in PTRACE_EVENT_STOP", why);
}

/* ----------------------------------------------------------------- 11 */

/* A seized tracee's group stop: PTRACE_EVENT_STOP with the stop signal;
 * PTRACE_LISTEN keeps it stopped until SIGCONT, which it reports with
 * PTRACE_EVENT_STOP and SIGTRAP, then SIGCONT's own delivery stop. */
static void group_stop_and_listen(void)
{
    int ok = 1, st;
    pid_t p = fork();
    if (p == 0) {
        for (;;)
            pause();
    }
    if (pt(PTRACE_SEIZE, p, 0, PTRACE_O_EXITKILL) != 0)
        ok = FAIL("SEIZE: %s", strerror(errno));
    kill(p, SIGSTOP);
    /* First the signal-delivery-stop of SIGSTOP, then the group stop. */
    if (ok && (wait_all(p, &st) != p || !WIFSTOPPED(st) || st >> 8 != SIGSTOP))
        ok = FAIL("SIGSTOP delivery stop: status %#x", st);
    if (ok)
        pt(PTRACE_CONT, p, 0, SIGSTOP);
    if (ok && (wait_all(p, &st) != p || st >> 8 != (SIGSTOP | PTRACE_EVENT_STOP << 8)))
        ok = FAIL("group stop: status %#x", st);
    if (ok && pt(PTRACE_LISTEN, p, 0, 0) != 0)
        ok = FAIL("LISTEN: %s", strerror(errno));
    usleep(20000);
    if (ok && waitpid(p, &st, WNOHANG | __WALL) != 0)
        ok = FAIL("a listening tracee reported %#x before SIGCONT", st);
    long v;
    if (ok && (pt(PTRACE_PEEKDATA, p, (long)&v, (long)&v) != -1 || errno != ESRCH))
        ok = FAIL("PEEKDATA of a listening tracee: %s", strerror(errno));
    kill(p, SIGCONT);
    if (ok && (wait_all(p, &st) != p || st >> 8 != (SIGTRAP | PTRACE_EVENT_STOP << 8)))
        ok = FAIL("after SIGCONT: status %#x", st);
    if (ok)
        pt(PTRACE_CONT, p, 0, 0);
    if (ok && (wait_all(p, &st) != p || !WIFSTOPPED(st) || st >> 8 != SIGCONT))
        ok = FAIL("SIGCONT delivery stop: status %#x", st);
    kill(p, SIGKILL);
    while (wait_all(p, &st) == p && !WIFSIGNALED(st))
        ;
    report(ok, "group stop of a seized tracee: PTRACE_EVENT_STOP, LISTEN, SIGCONT", why);
}

int main(int argc, char **argv)
{
    static void (*const all[])(void) = {
        mini_strace_counts_syscall_stops,
        seize_and_interrupt,
        tracefork_auto_attaches,
        peek_poke_data_and_text,
        getregset_changes_registers,
        signal_delivery_stop_suppress_and_change,
        attach_by_a_sibling,
        error_cases,
        tracer_exit_detaches_or_kills,
        seized_fork_child_starts_in_event_stop,
        group_stop_and_listen,
    };
    int n = sizeof all / sizeof all[0];
    setvbuf(stdout, NULL, _IOLBF, 0);
    (void)now_ms; /* check.h's clock: not needed here */
    int only = argc > 1 ? atoi(argv[1]) : 0;
    debug = argc > 2;
    for (int i = 0; i < n; i++)
        if (!only || only == i + 1)
            all[i]();
    printf("ptrace: %d/%d passed\n", checks - failures, checks);
    return failures;
}
