/*
 * syscalls2.c: the system calls Debian's programs got ENOSYS for before
 * issue 21's second round (waitid, preadv/pwritev and their -2 forms,
 * close_range, copy_file_range, fallocate, memfd_create, personality,
 * getrlimit/setrlimit, capget/capset, sethostname/setdomainname,
 * settimeofday/clock_settime) and the /proc links, checked as a glibc
 * program sees them. One "ok N - name" or "not ok N - name: why" line per
 * check; the exit status is the number of failures.
 *
 * The same binary runs under qemu-aarch64 on a Linux host (the
 * reference). The checks that would change the host (its host name, its
 * clock) run their setting half on pikern only, and say so in their name
 * on Linux; their error cases run on both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

static char why[1024];
static int on_pikern;
static const char *argv0;

#define FAIL(...) do { snprintf(why, sizeof why, __VA_ARGS__); return 0; } while (0)
#define EXPECT_ERR(call, err, what) \
    do { errno = 0; long r_ = (long)(call); \
         if (r_ != -1 || errno != (err)) \
             FAIL("%s: got %ld errno %d, want errno %d", what, r_, errno, err); } while (0)

static void check(int (*f)(void), const char *name)
{
    why[0] = 0;
    report(f(), name, why);
}

static const char *tmp_path(const char *tag)
{
    static char p[64];
    snprintf(p, sizeof p, "/tmp/sc2_%s_%d", tag, (int)getpid());
    return p;
}

/* ------------------------------------------------------------ waitid */

static int waitid_exited_nowait_rusage(void)
{
    pid_t c = fork();
    if (c == 0)
        _exit(7);
    siginfo_t si;
    memset(&si, 0xff, sizeof si);
    if (waitid(P_PID, c, &si, WEXITED | WNOWAIT) != 0)
        FAIL("waitid WNOWAIT: errno %d", errno);
    if (si.si_signo != SIGCHLD || si.si_code != CLD_EXITED || si.si_pid != c ||
        si.si_status != 7 || si.si_uid != getuid())
        FAIL("WNOWAIT siginfo signo %d code %d pid %d status %d", si.si_signo,
             si.si_code, si.si_pid, si.si_status);
    /* Still there: the raw call with a struct rusage reaps it. */
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    memset(&si, 0, sizeof si);
    if (syscall(SYS_waitid, P_ALL, 0, &si, WEXITED, &ru) != 0)
        FAIL("waitid P_ALL: errno %d", errno);
    if (si.si_pid != c || si.si_status != 7 || si.si_code != CLD_EXITED)
        FAIL("reaping siginfo pid %d status %d", si.si_pid, si.si_status);
    if (ru.ru_utime.tv_usec < 0 || ru.ru_utime.tv_usec >= 1000000 || ru.ru_nvcsw < 0)
        FAIL("rusage not filled: utime.usec %ld", (long)ru.ru_utime.tv_usec);
    EXPECT_ERR(waitid(P_PID, c, &si, WEXITED), ECHILD, "reaped child again");
    return 1;
}

static int waitid_stopped_continued_killed(void)
{
    pid_t c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    siginfo_t si;
    kill(c, SIGSTOP);
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, c, &si, WSTOPPED) != 0 || si.si_code != CLD_STOPPED ||
        si.si_status != SIGSTOP || si.si_pid != c)
        FAIL("stop: errno %d code %d status %d", errno, si.si_code, si.si_status);
    /* Reported once: now WNOHANG finds nothing, and says so with zeros. */
    memset(&si, 0xff, sizeof si);
    if (waitid(P_PID, c, &si, WSTOPPED | WNOHANG) != 0 || si.si_pid != 0 || si.si_signo != 0)
        FAIL("stop reported twice: pid %d signo %d", si.si_pid, si.si_signo);
    kill(c, SIGCONT);
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, c, &si, WCONTINUED) != 0 || si.si_code != CLD_CONTINUED ||
        si.si_status != SIGCONT)
        FAIL("continue: errno %d code %d status %d", errno, si.si_code, si.si_status);
    kill(c, SIGKILL);
    memset(&si, 0, sizeof si);
    if (waitid(P_PGID, 0, &si, WEXITED) != 0 || si.si_code != CLD_KILLED ||
        si.si_status != SIGKILL || si.si_pid != c)
        FAIL("kill: errno %d code %d status %d", errno, si.si_code, si.si_status);
    return 1;
}

static int waitid_errors(void)
{
    siginfo_t si;
    EXPECT_ERR(waitid(P_ALL, 0, &si, 0), EINVAL, "no WEXITED/WSTOPPED/WCONTINUED");
    EXPECT_ERR(waitid(P_ALL, 0, &si, WEXITED | 0x100), EINVAL, "unknown option");
    EXPECT_ERR(waitid((idtype_t)9, 0, &si, WEXITED), EINVAL, "unknown idtype");
    EXPECT_ERR(waitid(P_PID, 0, &si, WEXITED), EINVAL, "P_PID 0");
    EXPECT_ERR(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD, "no children");
    EXPECT_ERR(waitid((idtype_t)P_PIDFD, 0, &si, WEXITED), EBADF, "P_PIDFD of a tty");
    EXPECT_ERR(waitid(P_PID, getpid(), &si, WEXITED), ECHILD, "self");
    return 1;
}

/* ------------------------------------------------ vectored, positioned */

static int preadv_pwritev(void)
{
    const char *p = tmp_path("pv");
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        FAIL("open: errno %d", errno);
    unlink(p);
    char a[] = "hello ", b[] = "vectors";
    struct iovec w[2] = {{a, 6}, {b, 7}};
    if (pwritev(fd, w, 2, 100) != 13)
        FAIL("pwritev: errno %d", errno);
    if (lseek(fd, 0, SEEK_CUR) != 0)
        FAIL("pwritev moved the position");
    struct stat st;
    fstat(fd, &st);
    if (st.st_size != 113)
        FAIL("size %ld after pwritev at 100", (long)st.st_size);
    char x[4] = "", y[32] = "";
    struct iovec r[2] = {{x, 4}, {y, sizeof y}};
    ssize_t n = preadv(fd, r, 2, 102);
    if (n != 11 || memcmp(x, "llo ", 4) || memcmp(y, "vectors", 7))
        FAIL("preadv gave %zd '%.4s' '%.7s'", n, x, y);
    char z[8];
    struct iovec rz = {z, sizeof z};
    if (preadv(fd, &rz, 1, 0) != 8 || memcmp(z, "\0\0\0\0\0\0\0\0", 8))
        FAIL("the hole does not read as zeros");
    if (preadv(fd, &rz, 1, 500) != 0)
        FAIL("past the end is not 0");
    EXPECT_ERR(preadv(fd, &rz, 1, -1), EINVAL, "preadv at -1");
    int pfd[2];
    if (pipe(pfd))
        FAIL("pipe");
    EXPECT_ERR(pwritev(pfd[1], w, 2, 0), ESPIPE, "pwritev on a pipe");
    EXPECT_ERR(preadv(99, &rz, 1, 0), EBADF, "bad fd");
    close(pfd[0]);
    close(pfd[1]);
    close(fd);
    return 1;
}

static int preadv2_pwritev2(void)
{
    const char *p = tmp_path("pv2");
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        FAIL("open: errno %d", errno);
    unlink(p);
    char a[] = "0123456789";
    struct iovec w = {a, 10};
    /* Offset -1: the file position, which moves. */
    if (pwritev2(fd, &w, 1, -1, 0) != 10 || lseek(fd, 0, SEEK_CUR) != 10)
        FAIL("pwritev2 at -1: errno %d", errno);
    /* qemu-user fails every RWF_* flag with EOPNOTSUPP; Linux itself
     * (checked natively on the host) takes HIPRI, DSYNC, SYNC and APPEND
     * on a RAM file and refuses NOWAIT there (shmem has no FMODE_NOWAIT),
     * as pikern does. */
    int flags_ok = on_pikern;
    if (pwritev2(fd, &w, 1, 2, flags_ok ? RWF_HIPRI | RWF_DSYNC : 0) != 10 ||
        lseek(fd, 0, SEEK_CUR) != 10)
        FAIL("pwritev2 at 2: errno %d", errno);
    /* RWF_APPEND: at the end, whatever the offset. */
    struct iovec e = {"END", 3};
    if (pwritev2(fd, &e, 1, flags_ok ? 0 : 12, flags_ok ? RWF_APPEND : 0) != 3)
        FAIL("RWF_APPEND: errno %d", errno);
    if (flags_ok)
        EXPECT_ERR(pwritev2(fd, &e, 1, 0, RWF_NOWAIT), EOPNOTSUPP, "RWF_NOWAIT");
    char buf[32] = "";
    struct iovec r = {buf, sizeof buf};
    ssize_t n = preadv2(fd, &r, 1, 0, 0);
    if (n != 15 || memcmp(buf, "010123456789END", 15))
        FAIL("contents '%.*s' (%zd)", (int)(n > 0 ? n : 0), buf, n);
    lseek(fd, 4, SEEK_SET);
    memset(buf, 0, sizeof buf);
    r.iov_len = 3;
    if (preadv2(fd, &r, 1, -1, 0) != 3 || memcmp(buf, "234", 3) || lseek(fd, 0, SEEK_CUR) != 7)
        FAIL("preadv2 at -1 '%.3s'", buf);
    EXPECT_ERR(preadv2(fd, &r, 1, 0, 0x100), EOPNOTSUPP, "unknown RWF flag");
    EXPECT_ERR(pwritev2(fd, &w, 1, -2, 0), EINVAL, "offset -2");
    close(fd);
    return 1;
}

/* ---------------------------------------------------------- close_range */

static int close_range_and_cloexec(void)
{
    for (int i = 10; i <= 13; i++)
        if (dup2(1, i) != i)
            FAIL("dup2 %d", i);
    if (syscall(SYS_close_range, 11, 12, 0) != 0)
        FAIL("close_range 11..12: errno %d", errno);
    if (fcntl(10, F_GETFD) < 0 || fcntl(13, F_GETFD) < 0)
        FAIL("closed outside the range");
    if (fcntl(11, F_GETFD) != -1 || fcntl(12, F_GETFD) != -1)
        FAIL("11 or 12 still open");
    if (syscall(SYS_close_range, 13, 13, CLOSE_RANGE_CLOEXEC) != 0 ||
        fcntl(13, F_GETFD) != FD_CLOEXEC || fcntl(10, F_GETFD) != 0)
        FAIL("CLOSE_RANGE_CLOEXEC: errno %d flags %d", errno, fcntl(13, F_GETFD));
    EXPECT_ERR(syscall(SYS_close_range, 5, 4, 0), EINVAL, "fd > max_fd");
    EXPECT_ERR(syscall(SYS_close_range, 10, 13, 0x80), EINVAL, "unknown flag");
    if (syscall(SYS_close_range, 10, ~0U, CLOSE_RANGE_UNSHARE) != 0)
        FAIL("close_range 10..~0 UNSHARE: errno %d", errno);
    if (fcntl(10, F_GETFD) != -1 || fcntl(13, F_GETFD) != -1 || fcntl(1, F_GETFD) < 0)
        FAIL("10..~0 left 10 or 13 open, or closed 1");
    return 1;
}

/* ------------------------------------------------------ copy_file_range */

static int copy_file_range_files(void)
{
    char pa[64], pb[64];
    strcpy(pa, tmp_path("cfa"));
    strcpy(pb, tmp_path("cfb"));
    int a = open(pa, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int b = open(pb, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (a < 0 || b < 0)
        FAIL("open: errno %d", errno);
    static char data[100000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 7 + i / 251);
    if (write(a, data, sizeof data) != (ssize_t)sizeof data)
        FAIL("write");
    /* Given offsets: read and updated, the positions stay. */
    loff_t in = 1000, out = 10;
    ssize_t n = copy_file_range(a, &in, b, &out, 90000, 0);
    if (n != 90000 || in != 91000 || out != 90010)
        FAIL("copy 90000: got %zd in %lld out %lld errno %d", n, (long long)in,
             (long long)out, errno);
    if (lseek(a, 0, SEEK_CUR) != (off_t)sizeof data || lseek(b, 0, SEEK_CUR) != 0)
        FAIL("a given offset moved a position");
    static char back[90000];
    if (pread(b, back, 90000, 10) != 90000 || memcmp(back, data + 1000, 90000))
        FAIL("copied bytes differ");
    /* NULL offsets: the positions, which move; short at the end. */
    lseek(a, 99990, SEEK_SET);
    lseek(b, 0, SEEK_SET);
    n = copy_file_range(a, NULL, b, NULL, 50, 0);
    if (n != 10 || lseek(a, 0, SEEK_CUR) != 100000 || lseek(b, 0, SEEK_CUR) != 10)
        FAIL("copy at the end: %zd, positions %ld %ld", n, (long)lseek(a, 0, SEEK_CUR),
             (long)lseek(b, 0, SEEK_CUR));
    if (copy_file_range(a, NULL, b, NULL, 50, 0) != 0)
        FAIL("copy past the end is not 0");
    EXPECT_ERR(copy_file_range(a, NULL, b, NULL, 5, 1), EINVAL, "flags 1");
    in = 0;
    out = 10;
    EXPECT_ERR(copy_file_range(a, &in, a, &out, 100, 0), EINVAL, "overlapping ranges");
    int d = open("/tmp", O_RDONLY | O_DIRECTORY);
    EXPECT_ERR(copy_file_range(d, NULL, b, NULL, 5, 0), EISDIR, "from a directory");
    close(d);
    int ro = open(pb, O_RDONLY);
    in = 0;
    EXPECT_ERR(copy_file_range(a, &in, ro, NULL, 5, 0), EBADF, "to a read-only fd");
    close(ro);
    int m = memfd_create("cfr", 0);
    in = 0;
    EXPECT_ERR(copy_file_range(a, &in, m, NULL, 5, 0), EXDEV, "across file systems");
    close(m);
    close(a);
    close(b);
    unlink(pa);
    unlink(pb);
    return 1;
}

/* ------------------------------------------------------------ fallocate */

static int fallocate_modes(void)
{
    const char *p = tmp_path("fa");
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        FAIL("open: errno %d", errno);
    struct stat st;
    if (fallocate(fd, 0, 4096, 10000) != 0 || fstat(fd, &st) || st.st_size != 14096)
        FAIL("mode 0: errno %d size %ld", errno, (long)st.st_size);
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 100000) != 0 || fstat(fd, &st) ||
        st.st_size != 14096)
        FAIL("KEEP_SIZE: errno %d size %ld", errno, (long)st.st_size);
    char buf[8192];
    memset(buf, 'x', sizeof buf);
    pwrite(fd, buf, sizeof buf, 0);
    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 5000) != 0)
        FAIL("PUNCH_HOLE: errno %d", errno);
    pread(fd, buf, sizeof buf, 0);
    for (int i = 0; i < 8192; i++) {
        char want = (i >= 100 && i < 5100) ? 0 : 'x';
        if (buf[i] != want)
            FAIL("byte %d is %d after the punch", i, buf[i]);
    }
    fstat(fd, &st);
    if (st.st_size != 14096)
        FAIL("the punch changed the size to %ld", (long)st.st_size);
    EXPECT_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10), EOPNOTSUPP, "PUNCH_HOLE alone");
    EXPECT_ERR(fallocate(fd, 0x100, 0, 10), EOPNOTSUPP, "unknown mode");
    EXPECT_ERR(fallocate(fd, 0, 0, 0), EINVAL, "len 0");
    EXPECT_ERR(fallocate(fd, 0, -1, 10), EINVAL, "offset -1");
    int ro = open(p, O_RDONLY);
    EXPECT_ERR(fallocate(ro, 0, 0, 10), EBADF, "read-only fd");
    close(ro);
    int pfd[2];
    pipe(pfd);
    EXPECT_ERR(fallocate(pfd[1], 0, 0, 10), ESPIPE, "pipe");
    close(pfd[0]);
    close(pfd[1]);
    close(fd);
    unlink(p);
    return 1;
}

/* -------------------------------------------------------- memfd_create */

static int memfd_create_file(void)
{
    int fd = memfd_create("sc2test", MFD_CLOEXEC);
    if (fd < 0)
        FAIL("memfd_create: errno %d", errno);
    if (fcntl(fd, F_GETFD) != FD_CLOEXEC)
        FAIL("MFD_CLOEXEC not set");
    if (write(fd, "memfd data", 10) != 10 || ftruncate(fd, 8192))
        FAIL("write/ftruncate: errno %d", errno);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED || memcmp(m, "memfd data", 10))
        FAIL("mmap: errno %d", errno);
    m[5000] = 'Q';
    char c = 0;
    pread(fd, &c, 1, 5000);
    if (c != 'Q')
        FAIL("a store through the mapping is not in the file");
    char link[64], want[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, want, sizeof want - 1);
    if (n < 0)
        FAIL("readlink: errno %d", errno);
    want[n] = 0;
    if (strcmp(want, "/memfd:sc2test (deleted)"))
        FAIL("/proc/self/fd says '%s'", want);
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int seen = 0;
    while (maps && fgets(line, sizeof line, maps))
        if (strstr(line, "/memfd:sc2test (deleted)"))
            seen = 1;
    if (maps)
        fclose(maps);
    if (!seen)
        FAIL("no /memfd:sc2test line in /proc/self/maps");
    munmap(m, 8192);
    close(fd);
    EXPECT_ERR(memfd_create("x", 0x100), EINVAL, "unknown flag");
    char longname[300];
    memset(longname, 'n', 250);
    longname[250] = 0;
    EXPECT_ERR(memfd_create(longname, 0), EINVAL, "250-byte name");
    longname[249] = 0;
    fd = memfd_create(longname, MFD_ALLOW_SEALING);
    if (fd < 0)
        FAIL("249-byte name: errno %d", errno);
    if (fcntl(fd, F_GETFD) != 0)
        FAIL("close-on-exec without MFD_CLOEXEC");
    close(fd);
    EXPECT_ERR(memfd_create((char *)8, 0), EFAULT, "bad name pointer");
    return 1;
}

/* ---------------------------------------------------------- personality */

/* The address of a stack variable in a new exec of this program. */
static unsigned long exec_stack_address(const char *self)
{
    int pfd[2];
    if (pipe(pfd))
        return 0;
    pid_t c = fork();
    if (c == 0) {
        dup2(pfd[1], 1);
        execl(self, self, "--stack-address", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    char buf[64] = "";
    ssize_t n = read(pfd[0], buf, sizeof buf - 1);
    close(pfd[0]);
    waitpid(c, NULL, 0);
    return n > 0 ? strtoul(buf, NULL, 16) : 0;
}

static int personality_addr_no_randomize(void)
{
    int old = personality(0xffffffff);
    if (old != PER_LINUX)
        FAIL("personality is %#x, not PER_LINUX", old);
    if (personality(PER_LINUX | ADDR_NO_RANDOMIZE) != old)
        FAIL("setting did not return the old one");
    if (personality(0xffffffff) != (PER_LINUX | ADDR_NO_RANDOMIZE))
        FAIL("query after set gave %#x", personality(0xffffffff));
    /* qemu-user cannot exec another aarch64 program without binfmt_misc:
     * the exec half runs on pikern. */
    if (!on_pikern) {
        personality(PER_LINUX);
        return 1;
    }
    char self[256];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        FAIL("readlink /proc/self/exe: errno %d", errno);
    self[n] = 0;
    unsigned long a = exec_stack_address(self), b = exec_stack_address(self);
    if (!a || a != b)
        FAIL("ADDR_NO_RANDOMIZE: stacks at %#lx and %#lx", a, b);
    personality(PER_LINUX);
    /* With randomisation (pikern, unless booted with norandmaps; qemu-user
     * lays its guests out alike every time). */
    char cmdline[1024] = "";
    int cf = open("/proc/cmdline", O_RDONLY);
    if (cf >= 0) {
        read(cf, cmdline, sizeof cmdline - 1);
        close(cf);
    }
    if (!strstr(cmdline, "norandmaps")) {
        unsigned long c = exec_stack_address(self), d = exec_stack_address(self);
        if (!c || c == d)
            FAIL("randomised stacks both at %#lx", c);
    }
    return 1;
}

/* ------------------------------------------------------------- rlimits */

static int getrlimit_setrlimit(void)
{
    struct rlimit r, p;
    if (syscall(SYS_getrlimit, RLIMIT_NOFILE, &r) != 0)
        FAIL("getrlimit: errno %d", errno);
    if (prlimit(0, RLIMIT_NOFILE, NULL, &p) != 0 || p.rlim_cur != r.rlim_cur ||
        p.rlim_max != r.rlim_max)
        FAIL("getrlimit and prlimit64 disagree");
    struct rlimit lower = {r.rlim_cur > 64 ? 64 : r.rlim_cur, r.rlim_max};
    if (syscall(SYS_setrlimit, RLIMIT_NOFILE, &lower) != 0)
        FAIL("setrlimit: errno %d", errno);
    if (syscall(SYS_getrlimit, RLIMIT_NOFILE, &p) != 0 || p.rlim_cur != lower.rlim_cur)
        FAIL("setrlimit did not take: cur %lu", (unsigned long)p.rlim_cur);
    struct rlimit bad = {r.rlim_max, 1};
    if (r.rlim_max > 1)
        EXPECT_ERR(syscall(SYS_setrlimit, RLIMIT_NOFILE, &bad), EINVAL, "cur > max");
    EXPECT_ERR(syscall(SYS_getrlimit, 99, &p), EINVAL, "resource 99");
    EXPECT_ERR(syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)8), EFAULT, "bad pointer");
    if (syscall(SYS_setrlimit, RLIMIT_NOFILE, &r) != 0)
        FAIL("restoring: errno %d", errno);
    return 1;
}

/* -------------------------------------------------------- capabilities */

struct cap_header { uint32_t version; int pid; };
struct cap_data { uint32_t effective, permitted, inheritable; };

static int capget_capset(void)
{
    struct cap_header h = {0x20080522, 0};
    struct cap_data d[2];
    memset(d, 0xee, sizeof d);
    if (syscall(SYS_capget, &h, d) != 0)
        FAIL("capget v3: errno %d", errno);
    if (geteuid() == 0 && on_pikern &&
        (d[0].effective != 0xffffffff || d[1].effective != 0x1ff ||
         d[0].permitted != 0xffffffff || d[1].permitted != 0x1ff || d[0].inheritable ||
         d[1].inheritable))
        FAIL("root's sets: eff %#x %#x perm %#x %#x", d[0].effective, d[1].effective,
             d[0].permitted, d[1].permitted);
    if (d[0].effective & ~d[0].permitted)
        FAIL("effective not within permitted");
    struct cap_header bad = {0x12345678, 0};
    EXPECT_ERR(syscall(SYS_capget, &bad, d), EINVAL, "bad version");
    if (bad.version != 0x20080522)
        FAIL("version written back: %#x", bad.version);
    bad.version = 1;
    if (syscall(SYS_capget, &bad, NULL) != 0 || bad.version != 0x20080522)
        FAIL("the NULL-data probe: errno %d version %#x", errno, bad.version);
    /* Setting the sets to what they are is allowed; raising is not. */
    struct cap_data same[2];
    memcpy(same, d, sizeof same);
    if (syscall(SYS_capset, &h, same) != 0)
        FAIL("capset of the same sets: errno %d", errno);
    if (!on_pikern || d[1].permitted == 0x1ff) {
        same[1].permitted = same[1].effective = 0xffffffff;
        EXPECT_ERR(syscall(SYS_capset, &h, same), EPERM, "raising beyond the last cap");
    }
    struct cap_header other = {0x20080522, 999999};
    EXPECT_ERR(syscall(SYS_capget, &other, d), ESRCH, "capget of no process");
    return 1;
}

/* --------------------------------------------------- host and domain names */

static int read_proc_line(const char *path, char *out, size_t len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, out, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    out[n] = 0;
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = 0;
    return 0;
}

static int hostname_domainname(void)
{
    struct utsname u;
    char proc[128];
    uname(&u);
    if (read_proc_line("/proc/sys/kernel/hostname", proc, sizeof proc) || strcmp(proc, u.nodename))
        FAIL("/proc/sys/kernel/hostname '%s', uname '%s'", proc, u.nodename);
    if (!on_pikern)
        return 1; /* setting would rename the host */
    char old[65];
    strcpy(old, u.nodename);
    if (sethostname("pitest-host", 11) != 0 || setdomainname("pitest.dom", 10) != 0)
        FAIL("set: errno %d", errno);
    uname(&u);
    if (strcmp(u.nodename, "pitest-host") || strcmp(u.domainname, "pitest.dom"))
        FAIL("uname says '%s' '%s'", u.nodename, u.domainname);
    if (read_proc_line("/proc/sys/kernel/hostname", proc, sizeof proc) ||
        strcmp(proc, "pitest-host"))
        FAIL("/proc/sys/kernel/hostname says '%s'", proc);
    if (read_proc_line("/proc/sys/kernel/domainname", proc, sizeof proc) ||
        strcmp(proc, "pitest.dom"))
        FAIL("/proc/sys/kernel/domainname says '%s'", proc);
    char big[80];
    memset(big, 'h', sizeof big);
    EXPECT_ERR(sethostname(big, 65), EINVAL, "65 bytes");
    char *volatile badp = (char *)8;
    EXPECT_ERR(sethostname(badp, 5), EFAULT, "bad pointer");
    if (sethostname(big, 64) != 0 || (uname(&u), strlen(u.nodename) != 64))
        FAIL("64 bytes: errno %d", errno);
    sethostname(old, strlen(old));
    setdomainname("(none)", 6);
    return 1;
}

/* --------------------------------------------------------- setting time */

static int settimeofday_clock_settime(void)
{
    struct timespec ts = {5, 0};
    EXPECT_ERR(clock_settime(CLOCK_MONOTONIC, &ts), EINVAL, "CLOCK_MONOTONIC");
    EXPECT_ERR(clock_settime(CLOCK_BOOTTIME, &ts), EINVAL, "CLOCK_BOOTTIME");
    ts.tv_nsec = 2000000000;
    EXPECT_ERR(clock_settime(CLOCK_REALTIME, &ts), EINVAL, "tv_nsec 2e9");
    struct timeval tv = {5, 1000000};
    EXPECT_ERR(settimeofday(&tv, NULL), EINVAL, "tv_usec 1e6");
    tv.tv_usec = -1;
    EXPECT_ERR(settimeofday(&tv, NULL), EINVAL, "tv_usec -1");
    if (!on_pikern)
        return 1; /* setting would move the host's clock */
    struct timespec before, after, mono0, mono1;
    clock_gettime(CLOCK_MONOTONIC, &mono0);
    clock_gettime(CLOCK_REALTIME, &before);
    struct timespec set = {before.tv_sec + 1000000, before.tv_nsec};
    if (clock_settime(CLOCK_REALTIME, &set) != 0)
        FAIL("clock_settime: errno %d", errno);
    /* glibc reads CLOCK_REALTIME in the vDSO: its data page moved. */
    clock_gettime(CLOCK_REALTIME, &after);
    long d = after.tv_sec - before.tv_sec;
    if (d < 1000000 || d > 1000002)
        FAIL("CLOCK_REALTIME moved by %ld s", d);
    struct timeval g;
    gettimeofday(&g, NULL);
    if (g.tv_sec < set.tv_sec || g.tv_sec > set.tv_sec + 2 || time(NULL) < set.tv_sec)
        FAIL("gettimeofday/time disagree: %ld", (long)g.tv_sec);
    clock_gettime(CLOCK_REALTIME_COARSE, &after);
    if (after.tv_sec < set.tv_sec - 1)
        FAIL("CLOCK_REALTIME_COARSE did not move: %ld", (long)after.tv_sec);
    clock_gettime(CLOCK_MONOTONIC, &mono1);
    if (mono1.tv_sec - mono0.tv_sec > 2)
        FAIL("CLOCK_MONOTONIC moved too");
    /* settimeofday back, and a time zone. */
    /* Back, a second on: CLOCK_REALTIME never goes below
     * CLOCK_MONOTONIC, which it started equal to here. */
    struct timeval back = {before.tv_sec + (mono1.tv_sec - mono0.tv_sec) + 1, 0};
    struct timezone tz = {-60, 0};
    /* glibc refuses a time and a zone in one call; the kernel takes both. */
    if (syscall(SYS_settimeofday, &back, &tz) != 0)
        FAIL("settimeofday: errno %d", errno);
    struct timezone tz2 = {1, 1};
    gettimeofday(&g, &tz2);
    if (g.tv_sec > back.tv_sec + 2 || g.tv_sec < back.tv_sec || tz2.tz_minuteswest != -60)
        FAIL("after settimeofday: %ld, tz %d", (long)g.tv_sec, tz2.tz_minuteswest);
    struct timezone badtz = {16 * 60, 0};
    EXPECT_ERR(settimeofday(NULL, &badtz), EINVAL, "zone 16 h west");
    struct timeval zero = {0, 0};
    EXPECT_ERR(settimeofday(&zero, NULL), EINVAL, "a time before boot");
    tz.tz_minuteswest = 0;
    settimeofday(NULL, &tz);
    return 1;
}

/* --------------------------------------------------------- /proc links */

static int proc_fd_and_exe_links(void)
{
    char buf[256], link[64];
    const char *p = tmp_path("lnk");
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n < 0)
        FAIL("readlink fd: errno %d", errno);
    buf[n] = 0;
    if (strcmp(buf, p))
        FAIL("fd link '%s', want '%s'", buf, p);
    unlink(p);
    n = readlink(link, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    char want[80];
    snprintf(want, sizeof want, "%s (deleted)", p);
    if (strcmp(buf, want))
        FAIL("unlinked: '%s'", buf);
    close(fd);
    int pfd[2];
    pipe(pfd);
    struct stat st;
    fstat(pfd[0], &st);
    snprintf(link, sizeof link, "/proc/self/fd/%d", pfd[0]);
    n = readlink(link, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)st.st_ino);
    if (strcmp(buf, want))
        FAIL("pipe link '%s', want '%s'", buf, want);
    close(pfd[0]);
    close(pfd[1]);
    n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        FAIL("readlink exe: errno %d", errno);
    buf[n] = 0;
    /* argv[0] names this program too (qemu-user's own /proc/self/exe is
     * qemu's, so it is no reference). */
    const char *ref = strchr(argv0, '/') ? argv0 : on_pikern ? "/proc/self/exe" : buf;
    struct stat a, b;
    if (buf[0] != '/' || stat(buf, &a) || stat(ref, &b) || a.st_ino != b.st_ino ||
        a.st_dev != b.st_dev)
        FAIL("exe link '%s' is not this program (%s)", buf, ref);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--stack-address")) {
        int here;
        printf("%lx\n", (unsigned long)&here);
        return 0;
    }
    struct utsname u;
    uname(&u);
    on_pikern = !strcmp(u.sysname, "pikern");
    argv0 = argv[0];
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct { int (*f)(void); const char *name; } all[] = {
        {waitid_exited_nowait_rusage, "waitid: WEXITED, WNOWAIT, rusage, CLD_EXITED"},
        {waitid_stopped_continued_killed, "waitid: CLD_STOPPED, CLD_CONTINUED, CLD_KILLED, P_PGID"},
        {waitid_errors, "waitid: EINVAL, ECHILD, EBADF cases"},
        {preadv_pwritev, "preadv/pwritev at a position"},
        {preadv2_pwritev2, "preadv2/pwritev2: offset -1, RWF_APPEND, EOPNOTSUPP"},
        {close_range_and_cloexec, "close_range with CLOSE_RANGE_CLOEXEC and UNSHARE"},
        {copy_file_range_files, "copy_file_range between files and its errors"},
        {fallocate_modes, "fallocate: 0, KEEP_SIZE, PUNCH_HOLE and errors"},
        {memfd_create_file, "memfd_create: mmap, /proc links, flags"},
        {personality_addr_no_randomize, on_pikern ? "personality: query, ADDR_NO_RANDOMIZE at exec"
                                                  : "personality: query and set (exec skipped on Linux)"},
        {getrlimit_setrlimit, "getrlimit/setrlimit as prlimit64"},
        {capget_capset, "capget/capset: root's sets, versions, EPERM"},
        {hostname_domainname, on_pikern ? "sethostname/setdomainname, uname, /proc/sys"
                                          : "hostname in /proc/sys (setting skipped on Linux)"},
        {settimeofday_clock_settime, on_pikern ? "settimeofday/clock_settime move CLOCK_REALTIME"
                                               : "settimeofday/clock_settime errors (setting skipped on Linux)"},
        {proc_fd_and_exe_links, "readlink of /proc/self/fd/N and /proc/self/exe"},
    };
    int n = sizeof all / sizeof all[0];
    /* `syscalls2_c K` runs check K alone (1-based), for debugging. */
    int only = argc > 1 ? atoi(argv[1]) : 0;
    for (int i = 0; i < n; i++)
        if (!only || only == i + 1)
            check(all[i].f, all[i].name);
    printf("syscalls2: %d/%d passed\n", checks - failures, checks);
    return failures;
}
