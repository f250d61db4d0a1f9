//! Generators for the process calls (`kernel/fork.c`, `exit.c`, `exec.c`,
//! `sys.c` in Linux) a worker may make itself: `execve` of programs that
//! must fail, `wait4` that never blocks, resource limits, tid addresses.
//! The calls that end a process (`exit`, a real `execve`, `clone`,
//! `rt_sigreturn`) run in children (`Worker::child`).

use crate::worker::{put_u64, Call, Worker, MAX_CHILDREN, SCRATCH, SCRATCH_LEN, USER_VA_END};
use pikern_rt::consts::*;
use pikern_rt::syscall::nr;

/// `execve(path, argv, envp)` of a path that must fail (a real program
/// would replace the worker).
pub fn execve(w: &mut Worker, c: &mut Call) {
    c.a[0] = if w.rng.chance(80) {
        let s = w.rng.pick(super::args::FAILING_EXEC);
        w.set_path(s)
    } else {
        // Readable garbage could name a real program.
        w.unreadable()
    };
    c.a[1] = w.argv();
    c.a[2] = w.argv();
}

/// `wait4(pid, status, options, rusage)`, always with `WNOHANG`: the worker
/// must not wait on a stopped child.
pub fn wait4(w: &mut Worker, c: &mut Call) {
    c.a[0] = match w.rng.below(5) {
        0 => -1i64 as u64,
        1 => 0,
        2 => w.children[w.rng.below(MAX_CHILDREN as u64) as usize] as u64,
        3 => w.rng.below(300),
        _ => w.rng.next(),
    };
    c.a[1] = if w.rng.chance(20) { 0 } else { w.wptr(4).0 };
    let opts = w.rng.pick(&[
        0,
        WUNTRACED as u64,
        WCONTINUED as u64,
        __WALL as u64,
        __WCLONE as u64,
        WNOWAIT as u64,
        0xffff,
        u64::MAX,
    ]);
    c.a[2] = opts | WNOHANG as u64;
    c.a[3] = if w.rng.chance(60) { 0 } else { w.wptr(144).0 };
}

/// `getrusage(who, usage)`: a kernel `usage` must fail for a valid `who`.
pub fn getrusage(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.rng.pick(&[
        RUSAGE_SELF as u64,
        RUSAGE_THREAD as u64,
        RUSAGE_CHILDREN as u64,
        2,
        u64::MAX,
    ]);
    let (p, k) = w.wptr(144);
    c.a[1] = p;
    c.kout = k && c.a[0] <= 1;
}

/// `set_tid_address(tidptr)`: the kernel writes 0 there when the worker
/// exits, so never the worker's own memory.
pub fn set_tid_address(w: &mut Worker, c: &mut Call) {
    c.a[0] = if w.rng.chance(50) {
        SCRATCH + (w.rng.below(1000) << 2)
    } else {
        w.hostile()
    };
}

/// `set_robust_list(head, len)`.
pub fn set_robust_list(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.hostile();
    c.a[1] = w.rng.pick(&[24, 0, 23, u64::MAX]);
}

/// `prlimit64(pid, resource, new, old)`: new limits only for the worker
/// itself (a limit set on the master or init would change the run, not
/// test the kernel), and never `RLIMIT_NOFILE` (the report pipe needs
/// room).
pub fn prlimit64(w: &mut Worker, c: &mut Call) {
    let pid = w.pid();
    c.a[0] = pid;
    c.a[1] = w.rng.pick(&[
        RLIMIT_CPU as u64,
        RLIMIT_FSIZE as u64,
        RLIMIT_STACK as u64,
        RLIMIT_NOFILE as u64,
        RLIMIT_RTTIME as u64,
        RLIM_NLIMITS as u64,
        u64::MAX,
    ]);
    c.a[2] = if (pid == 0 || pid == w.me as u64) && w.rng.chance(50) {
        let off = (SCRATCH_LEN as usize) - 8192 + 128;
        let cur = w.rng.pick(&[0, 1024, RLIM_INFINITY, 8 << 20]);
        let max = w.rng.pick(&[0, 1024, RLIM_INFINITY, 8 << 20]);
        put_u64(off, cur);
        put_u64(off + 8, max);
        if c.a[1] == RLIMIT_NOFILE as u64 {
            0
        } else {
            SCRATCH + off as u64
        }
    } else if w.rng.chance(50) {
        0
    } else {
        let h = w.hostile();
        if h < USER_VA_END {
            0
        } else {
            h
        }
    };
    c.a[3] = if w.rng.chance(30) { 0 } else { w.wptr(16).0 };
}

/// `waitid(which, upid, infop, options, ru)`: always `WNOHANG` (a worker
/// never waits for a child), with the id types and states known and not,
/// `WNOWAIT` sometimes; `infop` and `ru` NULL, the worker's memory or
/// hostile.
pub fn waitid(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.rng.pick(&[0, 1, 2, 3, 4, u64::MAX]);
    c.a[1] = match w.rng.below(4) {
        0 => 0,
        1 => w.children[w.rng.below(MAX_CHILDREN as u64) as usize] as u64,
        2 => w.rng.below(300),
        _ => w.rng.next(),
    };
    c.a[2] = if w.rng.chance(20) { 0 } else { w.wptr(128).0 };
    let states = w.rng.pick(&[
        0,
        WEXITED as u64,
        WSTOPPED as u64,
        WCONTINUED as u64,
        (WEXITED | WSTOPPED | WCONTINUED) as u64,
        (WEXITED | WNOWAIT) as u64,
        (WEXITED | __WALL) as u64,
        0xffff,
    ]);
    c.a[3] = states | WNOHANG as u64;
    c.a[4] = if w.rng.chance(60) { 0 } else { w.wptr(144).0 };
}

/// `getrlimit`/`setrlimit(resource, rlim)`: `prlimit64` on the caller,
/// with the same limits (never `RLIMIT_NOFILE` lowered).
pub fn getrlimit_setrlimit(w: &mut Worker, c: &mut Call) {
    let nr = c.nr;
    c.nr = nr::PRLIMIT64 as u64;
    prlimit64(w, c);
    c.nr = nr;
    let (resource, new, old) = (c.a[1], c.a[2], c.a[3]);
    c.a[0] = resource;
    c.a[1] = if nr == nr::SETRLIMIT as u64 {
        if new == 0 && resource == RLIMIT_NOFILE as u64 {
            0
        } else {
            new
        }
    } else {
        old
    };
}
