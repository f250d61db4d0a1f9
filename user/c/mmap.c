/*
 * mmap.c: file-backed and shared memory as Linux gives it (issue 21):
 * MAP_PRIVATE file mappings (copy-on-write), MAP_SHARED (the page cache
 * itself, seen by read() and by a forked child), MAP_FIXED and
 * MAP_FIXED_NOREPLACE, mremap, madvise(MADV_DONTNEED), msync, mincore,
 * SIGBUS past the end of a file, mmap's errors, ld.so's way of mapping a
 * library, and /proc/self/maps, smaps and smaps_rollup. Every check passes on
 * Linux (user/hosttest.sh runs this under qemu-aarch64) and on pikern.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* check.h's clock is not used here. */
static double (*const unused_clock)(void) __attribute__((unused)) = now_ms;

#define PAGE 4096L
#define FILE_PATH "/tmp/mmap_c.dat"
#define FILE_LEN (2 * PAGE + 100)

static char why[256];

/* The byte at offset i of the test file. */
static unsigned char pattern(long i) { return (unsigned char)(i * 7 + 3); }

static int make_file(void)
{
    static unsigned char buf[FILE_LEN];
    for (long i = 0; i < FILE_LEN; i++)
        buf[i] = pattern(i);
    int fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, buf, FILE_LEN) != FILE_LEN) {
        perror("mmap_c: cannot make " FILE_PATH);
        exit(1);
    }
    return fd;
}

/* Whether p[0..len) holds the file's bytes from offset off. */
static int holds_file(const unsigned char *p, long off, long len)
{
    for (long i = 0; i < len; i++)
        if (p[i] != pattern(off + i)) {
            snprintf(why, sizeof why, "byte %ld is %d, expected %d", i, p[i], pattern(off + i));
            return 0;
        }
    return 1;
}

static unsigned char file_byte(int fd, long off)
{
    unsigned char c = 0;
    if (pread(fd, &c, 1, off) != 1)
        return 0xee;
    return c;
}

/* mmap's result: the errno it failed with, or 0 if it mapped. */
static int mmap_errno(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    void *p = mmap(addr, len, prot, flags, fd, off);
    if (p != MAP_FAILED) {
        munmap(p, len);
        return 0;
    }
    return errno;
}

static void expect_errno(const char *name, int got, int want)
{
    snprintf(why, sizeof why, "errno %d (%s), expected %d (%s)", got, strerror(got), want,
             strerror(want));
    report(got == want, name, why);
}

static void private_mappings(int fd)
{
    unsigned char *p = mmap(NULL, FILE_LEN, PROT_READ, MAP_PRIVATE, fd, 0);
    report(p != MAP_FAILED && holds_file(p, 0, FILE_LEN), "private_file_mapping_reads_the_file",
           p == MAP_FAILED ? strerror(errno) : why);
    /* The rest of the last page reads zero. */
    int zero = p != MAP_FAILED;
    for (long i = FILE_LEN; zero && i < 3 * PAGE; i++)
        zero = p[i] == 0;
    report(zero, "last_page_past_eof_reads_zero", "nonzero byte after the end");
    if (p != MAP_FAILED)
        munmap(p, FILE_LEN);

    /* An offset mapping starts at that page of the file. */
    p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
    report(p != MAP_FAILED && holds_file(p, PAGE, PAGE), "private_mapping_at_offset",
           p == MAP_FAILED ? strerror(errno) : why);
    if (p != MAP_FAILED)
        munmap(p, PAGE);

    /* A write copies: the file and another mapping keep the old bytes. */
    unsigned char *w = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    unsigned char *r = mmap(NULL, FILE_LEN, PROT_READ, MAP_PRIVATE, fd, 0);
    if (w == MAP_FAILED || r == MAP_FAILED) {
        report(0, "private_write_is_not_seen_by_the_file", strerror(errno));
        return;
    }
    unsigned char before = r[10];
    w[10] = before ^ 0xff;
    snprintf(why, sizeof why, "file has %d, other mapping %d, writer %d; expected %d, %d, %d",
             file_byte(fd, 10), r[10], w[10], pattern(10), pattern(10), pattern(10) ^ 0xff);
    report(file_byte(fd, 10) == pattern(10) && r[10] == pattern(10) &&
               w[10] == (pattern(10) ^ 0xff),
           "private_write_is_not_seen_by_the_file", why);

    /* A write() to the file shows in a private page not yet copied. */
    unsigned char nb = pattern(PAGE + 5) ^ 0x55;
    pwrite(fd, &nb, 1, PAGE + 5);
    report(r[PAGE + 5] == nb, "file_write_shows_in_uncopied_private_page", "old byte seen");
    unsigned char ob = pattern(PAGE + 5);
    pwrite(fd, &ob, 1, PAGE + 5);

    /* MADV_DONTNEED: the private copy goes; the file's bytes come back. */
    int rc = madvise(w, PAGE, MADV_DONTNEED);
    snprintf(why, sizeof why, "madvise %d (%s), byte %d expected %d", rc, strerror(errno), w[10],
             pattern(10));
    report(rc == 0 && w[10] == pattern(10), "madv_dontneed_private_file_rereads_the_file", why);
    munmap(w, FILE_LEN);
    munmap(r, FILE_LEN);
}

static void shared_mappings(int fd)
{
    unsigned char *s = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (s == MAP_FAILED) {
        report(0, "shared_write_is_seen_by_read", strerror(errno));
        return;
    }
    s[20] = 0xa5;
    snprintf(why, sizeof why, "read gives %d, expected 165", file_byte(fd, 20));
    report(file_byte(fd, 20) == 0xa5, "shared_write_is_seen_by_read", why);

    unsigned char *s2 = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    report(s2 != MAP_FAILED && s2[20] == 0xa5, "shared_write_is_seen_by_other_mapping",
           "old byte in second mapping");

    pid_t pid = fork();
    if (pid == 0) {
        s[PAGE + 1] = 0x5a;
        _exit(s[20] == 0xa5 ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    snprintf(why, sizeof why, "child status %#x, byte %d, file %d", st, s[PAGE + 1],
             file_byte(fd, PAGE + 1));
    report(WIFEXITED(st) && WEXITSTATUS(st) == 0 && s[PAGE + 1] == 0x5a &&
               file_byte(fd, PAGE + 1) == 0x5a,
           "shared_write_in_forked_child_is_seen_by_parent", why);

    /* MADV_DONTNEED on a shared mapping drops nothing of the file. */
    madvise(s, PAGE, MADV_DONTNEED);
    report(s[20] == 0xa5, "madv_dontneed_shared_keeps_contents", "byte lost");

    report(msync(s, FILE_LEN, MS_SYNC) == 0, "msync_of_shared_mapping", strerror(errno));
    expect_errno("msync_async_and_sync_einval",
                 msync(s, PAGE, MS_ASYNC | MS_SYNC) == 0 ? 0 : errno, EINVAL);
    expect_errno("msync_unaligned_einval", msync(s + 1, PAGE, MS_SYNC) == 0 ? 0 : errno, EINVAL);

    unsigned char vec[3] = {0, 0, 0};
    int rc = mincore(s, 2 * PAGE, vec);
    snprintf(why, sizeof why, "mincore %d (%s), vec %d %d", rc, strerror(errno), vec[0], vec[1]);
    report(rc == 0 && (vec[0] & 1), "mincore_reports_resident_page", why);

    /* Restore the file for the checks that follow. */
    unsigned char a = pattern(20), b = pattern(PAGE + 1);
    pwrite(fd, &a, 1, 20);
    pwrite(fd, &b, 1, PAGE + 1);
    munmap(s, FILE_LEN);
    if (s2 != MAP_FAILED)
        munmap(s2, PAGE);
    expect_errno("msync_of_unmapped_range_enomem", msync(s, PAGE, MS_SYNC) == 0 ? 0 : errno,
                 ENOMEM);
}

static void anonymous_shared_and_private_across_fork(void)
{
    int *sh = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *pr = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED || pr == MAP_FAILED) {
        report(0, "shared_anonymous_memory_across_fork", strerror(errno));
        return;
    }
    *sh = 1;
    *pr = 1;
    pid_t pid = fork();
    if (pid == 0) {
        *sh = 42;
        *pr = 42;
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    snprintf(why, sizeof why, "shared %d (want 42), private %d (want 1)", *sh, *pr);
    report(*sh == 42, "shared_anonymous_memory_across_fork", why);
    report(*pr == 1, "private_anonymous_memory_is_copied_on_fork", why);

    *pr = 7;
    madvise(pr, PAGE, MADV_DONTNEED);
    snprintf(why, sizeof why, "%d after MADV_DONTNEED", *pr);
    report(*pr == 0, "madv_dontneed_private_anon_gives_zero_page", why);
    munmap(sh, PAGE);
    munmap(pr, PAGE);
}

static void fixed_mappings(int fd)
{
    unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        report(0, "map_fixed_replaces_file_mapping", strerror(errno));
        return;
    }
    unsigned char *q = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    snprintf(why, sizeof why, "got %p for %p, byte %d, first page ok %d", (void *)q,
             (void *)(p + PAGE), q == MAP_FAILED ? -1 : q[0], p[0] == pattern(0));
    report(q == p + PAGE && q[0] == 0 && p[0] == pattern(0) && file_byte(fd, PAGE) == pattern(PAGE),
           "map_fixed_replaces_file_mapping", why);

    void *n = mmap(p, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    expect_errno("map_fixed_noreplace_eexist", n == MAP_FAILED ? errno : 0, EEXIST);
    if (n != MAP_FAILED && n != (void *)p)
        munmap(n, PAGE);
    munmap(p, 2 * PAGE);
}

static void remapping(void)
{
    long n = 4;
    /* n pages and a guard page right after them (an area of its own), so
     * growing in place is impossible. */
    unsigned char *p = mmap(NULL, (n + 1) * PAGE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *guard = p + n * PAGE;
    mprotect(guard, PAGE, PROT_NONE);
    for (long i = 0; i < n * PAGE; i++)
        p[i] = (unsigned char)(i ^ 0x3c);
    void *r = mremap(p, n * PAGE, 2 * n * PAGE, 0);
    expect_errno("mremap_cannot_grow_in_place_enomem", r == MAP_FAILED ? errno : 0, ENOMEM);
    unsigned char *m = mremap(p, n * PAGE, 2 * n * PAGE, MREMAP_MAYMOVE);
    int same = m != MAP_FAILED;
    for (long i = 0; same && i < n * PAGE; i++)
        same = m[i] == (unsigned char)(i ^ 0x3c);
    int zero = same;
    for (long i = n * PAGE; zero && i < 2 * n * PAGE; i++)
        zero = m[i] == 0;
    report(same && zero, "mremap_maymove_keeps_contents", "contents differ after the move");

    /* Shrink, then grow back in place (the freed pages are free). */
    unsigned char *s = mremap(m, 2 * n * PAGE, PAGE, 0);
    unsigned char *g = mremap(m, PAGE, 2 * PAGE, 0);
    report(s == m && g == m && m[5] == (5 ^ 0x3c), "mremap_shrink_then_grow_in_place",
           "moved or lost");

    /* MREMAP_FIXED to a chosen place. */
    unsigned char *dst = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *f = mremap(m, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    report(f == dst && f[5] == (5 ^ 0x3c), "mremap_fixed_moves_to_address", "not moved");
    expect_errno("mremap_fixed_without_maymove_einval",
                 mremap(f, PAGE, PAGE, MREMAP_FIXED, dst + 8 * PAGE) == MAP_FAILED ? errno : 0,
                 EINVAL);
    munmap(f, 2 * PAGE);
    munmap(guard, PAGE);
}

static void sigbus_past_eof(int fd)
{
    /* 3 pages of a file of 2 pages and a bit: the fourth is past EOF. */
    volatile unsigned char *p = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        report(0, "access_past_eof_is_sigbus", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        (void)p[3 * PAGE];
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    snprintf(why, sizeof why, "child status %#x", st);
    report(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS, "access_past_eof_is_sigbus", why);
    munmap((void *)p, 4 * PAGE);
}

static void errors(int fd)
{
    int ro = open(FILE_PATH, O_RDONLY);
    int wo = open(FILE_PATH, O_WRONLY);
    int pfd[2];
    pipe(pfd);
    expect_errno("mmap_bad_fd_ebadf", mmap_errno(NULL, PAGE, PROT_READ, MAP_PRIVATE, 99, 0), EBADF);
    expect_errno("mmap_write_only_fd_eacces",
                 mmap_errno(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
    expect_errno("mmap_shared_write_of_read_only_fd_eacces",
                 mmap_errno(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
    expect_errno("mmap_private_write_of_read_only_fd_ok",
                 mmap_errno(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0), 0);
    expect_errno("mmap_pipe_enodev", mmap_errno(NULL, PAGE, PROT_READ, MAP_PRIVATE, pfd[0], 0),
                 ENODEV);
    expect_errno("mmap_zero_length_einval", mmap_errno(NULL, 0, PROT_READ, MAP_PRIVATE, fd, 0),
                 EINVAL);
    expect_errno("mmap_unaligned_offset_einval",
                 mmap_errno(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
    expect_errno("mmap_neither_shared_nor_private_einval",
                 mmap_errno(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
    expect_errno("mmap_huge_offset_eoverflow",
                 mmap_errno(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0x7ffffffffffff000L),
                 EOVERFLOW);
    expect_errno("mmap_huge_length_enomem",
                 mmap_errno(NULL, (size_t)-PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                 ENOMEM);
    void *p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 0);
    expect_errno("mprotect_write_of_shared_read_only_mapping_eacces",
                 p == MAP_FAILED ? -1 : (mprotect(p, PAGE, PROT_READ | PROT_WRITE) ? errno : 0),
                 EACCES);
    if (p != MAP_FAILED)
        munmap(p, PAGE);
    /* Flags ld.so and others pass are accepted. */
    expect_errno("mmap_accepts_denywrite_norserve_stack_populate",
                 mmap_errno(NULL, PAGE, PROT_READ,
                            MAP_PRIVATE | MAP_DENYWRITE | MAP_NORESERVE | MAP_POPULATE, fd, 0),
                 0);
    close(ro);
    close(wo);
    close(pfd[0]);
    close(pfd[1]);
}

/* ld.so's way: reserve the whole image from the file, map the data
 * segment over it from an offset, a PROT_NONE gap, anonymous bss, and a
 * write into the data segment's last page. */
static void like_ld_so(int fd)
{
    unsigned char *base = mmap(NULL, 6 * PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_DENYWRITE,
                               fd, 0);
    if (base == MAP_FAILED) {
        report(0, "ld_so_style_library_mapping", strerror(errno));
        return;
    }
    unsigned char *data = mmap(base + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE, fd, PAGE);
    int rc = mprotect(base + PAGE, PAGE, PROT_NONE);
    unsigned char *bss = mmap(base + 3 * PAGE, 3 * PAGE, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    int ok = data == base + 2 * PAGE && rc == 0 && bss == base + 3 * PAGE;
    ok = ok && holds_file(base, 0, PAGE) && holds_file(data, PAGE, PAGE);
    if (ok) {
        data[PAGE - 1] = 0; /* the zeroing of the last partial page */
        bss[0] = 1;
        ok = data[PAGE - 1] == 0 && file_byte(fd, 2 * PAGE - 1) == pattern(2 * PAGE - 1);
    }
    report(ok, "ld_so_style_library_mapping", why);
    munmap(base, 6 * PAGE);
}

static void proc_maps(void)
{
    int fd = open(FILE_PATH, O_RDONLY);
    void *p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, PAGE);
    void *brk_before = sbrk(0);
    sbrk(PAGE); /* a heap for [heap] */
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int lines = 0, parsed = 0, file = 0, heap = 0, stack = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long start, end, off, ino;
        unsigned maj, min;
        char perms[8], name[256] = "";
        lines++;
        int n = sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %255s", &start, &end, perms, &off, &maj,
                       &min, &ino, name);
        if (n >= 7 && start < end && strlen(perms) == 4)
            parsed++;
        if (start == (unsigned long)p && !strcmp(name, FILE_PATH) && !strcmp(perms, "r--s") &&
            off == PAGE && ino != 0)
            file = 1;
        if (!strcmp(name, "[heap]"))
            heap = 1;
        if (!strcmp(name, "[stack]"))
            stack = 1;
    }
    if (f)
        fclose(f);
    snprintf(why, sizeof why, "%d lines, %d parsed, file %d heap %d stack %d", lines, parsed, file,
             heap, stack);
    report(lines > 3 && parsed == lines, "proc_maps_lines_parse", why);
    report(file, "proc_maps_names_the_mapped_file", why);
    /* qemu-user writes the maps file itself and names no [heap]. */
    if (getenv("PIKERN_QEMU_USER"))
        report(1, "proc_maps_names_heap # SKIP qemu-user's maps has no [heap]", "");
    else
        report(heap, "proc_maps_names_heap", why);
    report(stack, "proc_maps_names_stack", why);
    /* smaps, before anything is unmapped: the same areas as maps, each
     * with its size and page counts. */
    f = fopen("/proc/self/smaps", "r");
    int areas = 0, sized = 0, counted = 0;
    unsigned long area_kb = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long start, end, kb;
        /* A field's name (FilePmdMapped:) may start with a hex digit, but
         * is no range. */
        if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
            areas++;
            area_kb = (end - start) / 1024;
        } else if (sscanf(line, "Size: %lu kB", &kb) == 1 && kb == area_kb) {
            sized++;
        } else if (sscanf(line, "Pss: %lu kB", &kb) == 1) {
            counted++;
        }
    }
    if (f)
        fclose(f);
    snprintf(why, sizeof why, "%d areas (maps: %d lines), %d with their Size, %d with a Pss", areas,
             lines, sized, counted);
    report(areas == lines && sized == areas && counted == areas, "smaps_lists_every_area", why);

    sbrk(-PAGE);
    (void)brk_before;
    munmap(p, PAGE);
    close(fd);

    f = fopen("/proc/self/smaps_rollup", "r");
    int rollup = 0, rss = 0, pss_anon = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long kb;
        if (strstr(line, "[rollup]"))
            rollup = 1;
        if (sscanf(line, "Rss: %lu kB", &kb) == 1 && kb > 0)
            rss = 1;
        if (!strncmp(line, "Pss_Anon:", 9))
            pss_anon = 1;
    }
    if (f)
        fclose(f);
    snprintf(why, sizeof why, "rollup %d rss %d pss_anon %d", rollup, rss, pss_anon);
    report(rollup && rss && pss_anon, "smaps_rollup_present", why);
}

int main(void)
{
    int fd = make_file();
    private_mappings(fd);
    shared_mappings(fd);
    anonymous_shared_and_private_across_fork();
    fixed_mappings(fd);
    remapping();
    sigbus_past_eof(fd);
    errors(fd);
    like_ld_so(fd);
    proc_maps();
    close(fd);
    unlink(FILE_PATH);
    printf("mmap: %d/%d passed\n", checks - failures, checks);
    return failures != 0;
}
