/*
 * vdso.c: glibc's clocks through the vDSO, as any program gets them
 * (nothing here names the vDSO except the checks of where it is):
 * AT_SYSINFO_EHDR points at an ELF with the vDSO's symbols; clock_gettime,
 * gettimeofday and time make no system call (the raw_syscalls:sys_enter
 * event, filtered to this pid, sees none between two markers); every
 * clock agrees with the system call (vDSO <= syscall <= vDSO, read in
 * that order); CLOCK_MONOTONIC never goes back across vDSO and system
 * calls; clock_getres agrees; the clocks the vDSO leaves to the kernel
 * (CPU time, bad ids) still work; /proc/self/maps names [vdso] and [vvar]
 * where the kernel has the file; a signal handler (glibc gives no
 * SA_RESTORER) returns through the vDSO's __kernel_rt_sigreturn, and
 * backtrace() in the handler unwinds through it to the interrupted code;
 * after mremap moves the vDSO, handlers return to its new place. The same binary passes on Linux (run
 * under qemu-aarch64 the syscall-count check is skipped: no tracefs).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define TRACING "/sys/kernel/tracing"
#define NSEC 1000000000LL

static long long ns(const struct timespec *t)
{
    return t->tv_sec * NSEC + t->tv_nsec;
}

static int write_file(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    if (fd < 0)
        return -1;
    int n = write(fd, s, strlen(s));
    close(fd);
    return n == (int)strlen(s) ? 0 : -1;
}

/* Where the vDSO is, and that it is the one the kernel describes. */
static void check_auxv(void)
{
    unsigned long base = getauxval(AT_SYSINFO_EHDR);
    char why[128];
    snprintf(why, sizeof why, "AT_SYSINFO_EHDR = %#lx", base);
    int ok = base != 0 && base % 4096 == 0 && memcmp((void *)base, ELFMAG, SELFMAG) == 0;
    if (ok) {
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
        ok = eh->e_type == ET_DYN && eh->e_machine == EM_AARCH64;
        if (!ok)
            snprintf(why, sizeof why, "e_type %d e_machine %d", eh->e_type, eh->e_machine);
    }
    report(ok, "AT_SYSINFO_EHDR points at the vDSO's ELF header", why);
}

/* /proc/self/maps: [vdso] at AT_SYSINFO_EHDR, [vvar] below it, read-only
 * (newer Linux puts [vvar_vclock] between them). QEMU's user mode has a
 * vDSO of its own without a data page: there (no tracefs either) a
 * missing [vvar] is not counted. */
static void check_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) {
        printf("ok %d - /proc/self/maps names [vdso] and [vvar] # SKIP no /proc/self/maps\n", ++checks);
        return;
    }
    unsigned long base = getauxval(AT_SYSINFO_EHDR), lo, hi;
    char line[256], perms[8];
    int vdso = 0, vvar = 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
            continue;
        if (strstr(line, "[vdso]") && lo == base && strcmp(perms, "r-xp") == 0)
            vdso = 1;
        if (strstr(line, "[vvar]") && hi <= base && base - hi < (1 << 20) && perms[0] == 'r' && perms[1] == '-')
            vvar = 1;
    }
    fclose(f);
    if (access(TRACING "/events/raw_syscalls/sys_enter/enable", W_OK) != 0)
        vvar = 1;
    report(vdso && vvar, "/proc/self/maps names [vdso] and [vvar]",
           vdso ? "no read-only [vvar] line just below the vDSO" : "no r-xp [vdso] line at AT_SYSINFO_EHDR");
}

static const struct {
    clockid_t id;
    const char *name;
} clocks[] = {
    {CLOCK_REALTIME, "CLOCK_REALTIME"},
    {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
    {CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"},
    {CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"},
    {CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"},
    {CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
    {CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"},
    {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
};
#define NCLOCKS (sizeof clocks / sizeof clocks[0])

/* libc (vDSO) <= syscall <= libc, for every clock, many times. */
static void check_agreement(void)
{
    char why[200] = "";
    int ok = 1;
    for (unsigned i = 0; i < NCLOCKS && ok; i++) {
        for (int n = 0; n < 2000 && ok; n++) {
            struct timespec a, s, b;
            int ra = clock_gettime(clocks[i].id, &a);
            long rs = syscall(SYS_clock_gettime, clocks[i].id, &s);
            int rb = clock_gettime(clocks[i].id, &b);
            if (ra || rs || rb || ns(&a) > ns(&s) || ns(&s) > ns(&b) || a.tv_nsec >= NSEC ||
                b.tv_nsec < 0) {
                ok = 0;
                snprintf(why, sizeof why, "%s: libc %lld.%09ld, syscall %lld.%09ld, libc %lld.%09ld (%d %ld %d)",
                         clocks[i].name, (long long)a.tv_sec, a.tv_nsec, (long long)s.tv_sec, s.tv_nsec,
                         (long long)b.tv_sec, b.tv_nsec, ra, rs, rb);
            }
        }
    }
    report(ok, "every clock agrees with the system call", why);
}

/* CLOCK_MONOTONIC never goes back, whichever way it is read. */
static void check_monotonic(void)
{
    struct timespec t;
    long long last = 0;
    char why[128] = "";
    int ok = 1;
    for (int n = 0; n < 100000 && ok; n++) {
        if (n % 3 == 2)
            syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
        else
            clock_gettime(CLOCK_MONOTONIC, &t);
        if (ns(&t) < last) {
            ok = 0;
            snprintf(why, sizeof why, "read %d: %lld after %lld", n, ns(&t), last);
        }
        last = ns(&t);
    }
    report(ok, "CLOCK_MONOTONIC never goes back across vDSO and system calls", why);
}

/* gettimeofday and time agree with CLOCK_REALTIME from the system call
 * (time() may read the coarse clock, up to a tick behind). */
static void check_gettimeofday(void)
{
    struct timespec a, b;
    struct timeval tv, stv;
    struct timezone tz = {-1, -1};
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &a);
    int r = gettimeofday(&tv, &tz);
    long rs = syscall(SYS_gettimeofday, &stv, NULL);
    time_t t = time(NULL);
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
    long long us = tv.tv_sec * 1000000LL + tv.tv_usec, sus = stv.tv_sec * 1000000LL + stv.tv_usec;
    char why[200];
    snprintf(why, sizeof why, "%lld.%09ld <= gettimeofday %lld us (%d), syscall %lld us (%ld), time %lld <= %lld.%09ld",
             (long long)a.tv_sec, a.tv_nsec, us, r, sus, rs, (long long)t, (long long)b.tv_sec, b.tv_nsec);
    report(r == 0 && rs == 0 && ns(&a) / 1000 <= us && us <= sus && sus <= ns(&b) / 1000 &&
               tv.tv_usec < 1000000 && tz.tz_minuteswest == 0 && tz.tz_dsttime == 0 &&
               a.tv_sec - 1 <= t && t <= b.tv_sec,
           "gettimeofday and time agree with CLOCK_REALTIME", why);
}

/* clock_getres through libc is what the system call says. */
static void check_getres(void)
{
    char why[160] = "";
    int ok = 1;
    for (unsigned i = 0; i < NCLOCKS; i++) {
        struct timespec a = {-1, -1}, s = {-2, -2};
        int ra = clock_getres(clocks[i].id, &a);
        long rs = syscall(SYS_clock_getres, clocks[i].id, &s);
        if (ra || rs || ns(&a) != ns(&s) || ns(&a) <= 0) {
            ok = 0;
            snprintf(why, sizeof why, "%s: libc %ld ns (%d), syscall %ld ns (%ld)", clocks[i].name, a.tv_nsec, ra,
                     s.tv_nsec, rs);
        }
    }
    report(ok, "clock_getres agrees with the system call", why);
}

/* What the vDSO leaves to the kernel: a bad clock id, CPU time. */
static void check_fallbacks(void)
{
    struct timespec t;
    errno = 0;
    int r = clock_gettime(12345, &t);
    int e = errno;
    errno = 0;
    int rr = clock_getres(-1000, &t);
    int er = errno;
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    double until = now_ms() + 50;
    while (now_ms() < until)
        ;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    char why[160];
    snprintf(why, sizeof why, "bad id: %d errno %d, getres %d errno %d; thread CPU time %lld -> %lld ns", r, e, rr, er,
             ns(&c0), ns(&c1));
    report(r == -1 && e == EINVAL && rr == -1 && er == EINVAL && ns(&c1) > ns(&c0),
           "bad clock ids fail EINVAL, CPU-time clocks advance", why);
}

/* The raw_syscalls:sys_enter events of this pid between two getppid()
 * markers, while libc reads every clock many times: none expected. */
static void check_no_syscalls(void)
{
    char filter[64], buf[4096];
    snprintf(filter, sizeof filter, "common_pid == %d\n", getpid());
    if (access(TRACING "/events/raw_syscalls/sys_enter/enable", W_OK) != 0) {
        printf("ok %d - the clocks make no system call # SKIP no tracefs\n", ++checks);
        return;
    }
    int ok = write_file(TRACING "/events/raw_syscalls/sys_enter/filter", filter) == 0 &&
             write_file(TRACING "/trace", "") == 0 &&
             write_file(TRACING "/events/raw_syscalls/sys_enter/enable", "1") == 0;
    syscall(SYS_getppid);
    struct timespec t;
    struct timeval tv;
    long long sum = 0;
    for (int n = 0; n < 1000; n++) {
        for (unsigned i = 0; i < NCLOCKS; i++)
            if (clocks[i].id != CLOCK_PROCESS_CPUTIME_ID && clocks[i].id != CLOCK_THREAD_CPUTIME_ID) {
                clock_gettime(clocks[i].id, &t);
                sum += t.tv_nsec;
            }
        gettimeofday(&tv, NULL);
        sum += time(NULL) + tv.tv_usec;
        clock_getres(CLOCK_MONOTONIC, &t);
    }
    syscall(SYS_getppid);
    write_file(TRACING "/events/raw_syscalls/sys_enter/enable", "0");
    write_file(TRACING "/events/raw_syscalls/sys_enter/filter", "0\n");
    /* Count the events between the markers (NR 173, getppid). */
    int fd = open(TRACING "/trace", O_RDONLY), markers = 0, between = 0, first_nr = -1;
    char line[256];
    int len = 0;
    ssize_t n;
    while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (len < (int)sizeof line - 1)
                    line[len++] = buf[i];
                continue;
            }
            line[len] = 0;
            len = 0;
            char *p = strstr(line, "sys_enter: NR ");
            if (line[0] == '#' || !p)
                continue;
            int nr = atoi(p + 14);
            if (nr == SYS_getppid)
                markers++;
            else if (markers == 1 && between++ == 0)
                first_nr = nr;
        }
    }
    if (fd >= 0)
        close(fd);
    write_file(TRACING "/trace", "");
    char why[160];
    snprintf(why, sizeof why, "%d markers, %d system calls between them (the first: NR %d), setup %s (sum %lld)",
             markers, between, first_nr, ok ? "ok" : "failed", sum % 10);
    report(ok && markers == 2 && between == 0, "the clocks make no system call", why);
}

static void *trace[32];
static int trace_len;
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    trace_len = backtrace(trace, 32);
    handled++;
}

static void on_usr1_count(int sig)
{
    (void)sig;
    handled++;
}

/* The code the signal interrupts (inside raise, called from here). */
__attribute__((noinline)) static void interrupted(void)
{
    raise(SIGUSR1);
    __asm__ volatile("" ::: "memory");
}
__attribute__((noinline)) static void interrupted_end(void)
{
    __asm__ volatile("");
}

/* The handler's return address is the vDSO's trampoline, and the unwinder
 * steps through it (its CFI, or the `mov x8, #139; svc #0` it knows) into
 * the interrupted code: interrupted() is on the backtrace. */
static void check_sigreturn(void)
{
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    struct sigaction got;
    sigaction(SIGUSR1, NULL, &got);
    interrupted();
    uintptr_t base = getauxval(AT_SYSINFO_EHDR), lo = (uintptr_t)interrupted, hi = (uintptr_t)interrupted_end;
    int in_vdso = -1, in_interrupted = -1;
    for (int i = 0; i < trace_len; i++) {
        uintptr_t pc = (uintptr_t)trace[i];
        if (in_vdso < 0 && pc - base < 4096)
            in_vdso = i;
        if (pc - lo < (hi > lo ? hi - lo : 256) && in_vdso >= 0 && i > in_vdso)
            in_interrupted = i;
    }
    if (handled == 1 && trace_len == 0) {
        /* Dynamically linked, backtrace() loads libgcc_s.so.1, which the
         * initramfs does not have: the handler returned, nothing to walk. */
        printf("ok %d - a handler returns through __kernel_rt_sigreturn # SKIP backtrace() has no unwinder "
               "(no libgcc_s.so.1)\n",
               ++checks);
        return;
    }
    char why[200];
    snprintf(why, sizeof why, "handled %d, %d frames, vDSO frame %d, interrupted() frame %d, SA_RESTORER %s",
             handled, trace_len, in_vdso, in_interrupted, (got.sa_flags & 0x04000000) ? "set" : "unset");
    report(handled == 1 && in_vdso > 0 && in_interrupted > in_vdso,
           "a handler returns through __kernel_rt_sigreturn; backtrace() unwinds through it", why);
}

/* The length of the /proc/self/maps line named `name` (0: none). */
static unsigned long maps_len(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[256];
    unsigned long lo, hi, len = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, name) && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
            len = hi - lo;
    if (f)
        fclose(f);
    return len;
}

/* mremap moves the vDSO and handlers return to its new place (Linux's
 * vdso_mremap): in a child, since libc's clock pointers go stale. QEMU's
 * user mode (its own vDSO, no [vvar]) does not follow the move. */
static void check_mremap(void)
{
    unsigned long len = maps_len("[vdso]"), base = getauxval(AT_SYSINFO_EHDR);
    if (!len || !maps_len("[vvar]")) {
        printf("ok %d - the vDSO moved by mremap still returns from handlers # SKIP no [vdso] and [vvar] "
               "(QEMU's user mode?)\n",
               ++checks);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* A handler that touches nothing of libc's (backtrace() would
         * dlopen, and the loader would read the vDSO's old place). */
        struct sigaction sa = {.sa_handler = on_usr1_count};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        void *to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        void *got = mremap((void *)base, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
        if (got != to)
            _exit(2);
        handled = 0;
        raise(SIGUSR1);
        _exit(handled == 1 ? 0 : 3);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    char why[96];
    snprintf(why, sizeof why, "child status %#x (2: mremap failed, 3: not handled)", status);
    report(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the vDSO moved by mremap still returns from handlers",
           why);
}

int main(void)
{
    check_auxv();
    check_maps();
    check_agreement();
    check_monotonic();
    check_gettimeofday();
    check_getres();
    check_fallbacks();
    check_no_syscalls();
    check_sigreturn();
    check_mremap();
    printf("vdso: %d/%d passed\n", checks - failures, checks);
    return failures != 0;
}
