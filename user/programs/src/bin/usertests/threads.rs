//! Suite `threads`: threads of one process (issue 19: `CLONE_THREAD`,
//! thread groups, futexes), as glibc's pthreads and pikern-rt's
//! [`pikern_rt::thread`] make them.
//!
//! - `threads_c` (user/c/threads.c) must pass all its [`THREADS_CHECKS`]
//!   checks: mutex, condition variable, barrier, timed waits, `__thread`,
//!   pid/tid, `/proc/self/task`, signal delivery, exit/exec/fork in a
//!   thread, 2,000 create+join cycles, tgkill.
//! - `raspbian_thread_c` and `raspbian_thread`, the thread twins of
//!   raspbian_fork: their lines share one tgid, have distinct tids, show
//!   each thread on the CPU it pinned itself to, and the process ends with
//!   the exiting thread's status 0, reaped once.
//! - the runtime's own `thread::spawn` / `join`.
//!
//! `make user-hosttest` runs it on Linux under qemu-aarch64 too.

use crate::ktap::{Suite, TestResult};
use crate::spawn::*;
use crate::util::*;
use alloc::format;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, Ordering};
use pikern_rt::consts::*;
use pikern_rt::{sys, thread, Errno};

pub static SUITE: Suite = Suite {
    name: "threads",
    tests: tests![
        rt_spawn_and_join,
        per_thread_comm,
        process_calls_from_a_thread,
        ps_t_lists_threads,
        itimer_is_the_processs,
        clone_flags_checked,
        threads_c,
        raspbian_thread_c,
        raspbian_thread_rust,
    ],
};

// ------------------------------------------------------- pikern-rt threads

const RT_THREADS: usize = 4;
const RT_LOOPS: i32 = 1000;

static RT_COUNT: AtomicI32 = AtomicI32::new(0);
static RT_TIDS: [AtomicI32; RT_THREADS] = [const { AtomicI32::new(0) }; RT_THREADS];
static RT_PIDS: [AtomicI32; RT_THREADS] = [const { AtomicI32::new(0) }; RT_THREADS];

fn rt_worker(i: usize) {
    RT_TIDS[i].store(sys::gettid(), Ordering::Relaxed);
    RT_PIDS[i].store(sys::getpid(), Ordering::Relaxed);
    for _ in 0..RT_LOOPS {
        RT_COUNT.fetch_add(1, Ordering::Relaxed);
    }
}

/// `thread::spawn` makes threads of this process that share its memory,
/// and `join` returns once each has exited (the tid word cleared and
/// futex-woken by the kernel). In a child, so that a join that never
/// returns is killed after 10 s.
fn rt_spawn_and_join() -> TestResult {
    let pid = ok!(in_child_async(|| {
        let mut threads = Vec::new();
        for i in 0..RT_THREADS {
            // SAFETY: rt_worker uses atomics only, no heap.
            match unsafe { thread::spawn(rt_worker, i) } {
                Ok(t) => threads.push(t),
                Err(e) => fail!("thread::spawn: {e:?}"),
            }
        }
        let tids: Vec<i32> = threads.iter().map(|t| t.tid()).collect();
        for t in threads {
            t.join();
        }
        let me = sys::getpid();
        check_eq!(
            RT_COUNT.load(Ordering::Relaxed),
            RT_THREADS as i32 * RT_LOOPS
        );
        for i in 0..RT_THREADS {
            check_eq!(RT_PIDS[i].load(Ordering::Relaxed), me);
            let tid = RT_TIDS[i].load(Ordering::Relaxed);
            check!(
                tid == tids[i],
                "thread {i}: gettid {tid}, clone said {}",
                tids[i]
            );
            check!(tid != me, "thread {i} has the process's pid as its tid");
            check!(!tids[..i].contains(&tid), "tid {tid} twice in {tids:?}");
        }
        // The threads were not children: nothing to wait for.
        check_err!(sys::wait4(-1, None, WNOHANG), Errno::ECHILD);
        Ok(())
    }));
    match wait_timeout(pid, 10_000) {
        Ok(Some(st)) => child_passed(Ok(st)),
        Ok(None) => fail!("the threads were never joined in 10 s (killed)"),
        Err(e) => fail!("wait4: {e:?}"),
    }
}

// -------------------------------------------------------------- threads_c

/// The checks threads.c makes (its `all[]`).
const THREADS_CHECKS: usize = 14;

/// user/c/threads.c (glibc's pthreads): [`THREADS_CHECKS`] checks, each
/// in a child of its own under a 15 s watchdog, all passing on Linux
/// (qemu-aarch64) too.
fn threads_c() -> TestResult {
    let out = spawn("threads_c", &[], None)?.wait(5 * 60_000)?;
    check_c_program(&out, "threads", THREADS_CHECKS)
}

// -------------------------------------------------------- raspbian_thread

/// Threads each version makes besides main (`-n`).
const RASPBIAN_THREADS: usize = 3;

/// `raspbian tracing tgid:P tid:T cpu:C ` (the seed's trailing space).
fn parse_tracing(line: &str) -> Option<(i32, i32, i32)> {
    let rest = line.strip_prefix("raspbian tracing tgid:")?;
    let (tgid, rest) = rest.strip_suffix(' ')?.split_once(" tid:")?;
    let (tid, cpu) = rest.split_once(" cpu:")?;
    Some((tgid.parse().ok()?, tid.parse().ok()?, cpu.parse().ok()?))
}

/// The CPUs this process may use, lowest first.
fn allowed_cpus() -> Vec<i32> {
    let mut mask = [0u8; 8];
    if sys::sched_getaffinity(0, &mut mask).is_err() {
        return Vec::new();
    }
    let mask = u64::from_le_bytes(mask);
    (0..64).filter(|c| mask & (1 << c) != 0).collect()
}

/// Runs one version with `-n 3 -s 0.2` and checks its output: the first
/// line, one tracing line from main (tid = tgid = the pid) and one from
/// each thread (same tgid, distinct tids, thread i on the i-th allowed
/// CPU), then the exit line of the last thread; status 0 after the
/// 0.2 s sleep; and no second child to reap (threads are not children).
fn check_raspbian_thread(name: &str) -> TestResult {
    let n = format!("{RASPBIAN_THREADS}");
    let out = spawn(name, &["-n", &n, "-s", "0.2"], None)?.wait(DEFAULT_TIMEOUT_MS)?;
    check!(
        out.status.exit_code() == Some(0),
        "{:?}; stdout {:?}; stderr {:?}",
        out.status,
        out.stdout,
        out.stderr
    );
    check_err!(sys::wait4(-1, None, WNOHANG), Errno::ECHILD);
    let lines = out.lines();
    check!(
        lines.len() == RASPBIAN_THREADS + 3,
        "{} lines, expected {}: {lines:?}",
        lines.len(),
        RASPBIAN_THREADS + 3
    );
    check_eq!(lines[0], "About to create threads ");
    let (mut tids, mut cpus) = (Vec::new(), Vec::new());
    for line in &lines[1..=RASPBIAN_THREADS + 1] {
        let Some((tgid, tid, cpu)) = parse_tracing(line) else {
            fail!("malformed line {line:?} in {lines:?}");
        };
        check!(
            tgid == out.pid,
            "tgid {tgid}, expected the process's pid {}",
            out.pid
        );
        check!(!tids.contains(&tid), "tid {tid} twice: {lines:?}");
        tids.push(tid);
        if tid != out.pid {
            cpus.push(cpu);
        }
    }
    check!(
        tids.contains(&out.pid),
        "no line from the main thread (tid {}): {lines:?}",
        out.pid
    );
    // Thread i pinned itself to the (i % count)-th allowed CPU.
    let allowed = allowed_cpus();
    if !allowed.is_empty() {
        let mut want: Vec<i32> = (1..=RASPBIAN_THREADS)
            .map(|i| allowed[i % allowed.len()])
            .collect();
        want.sort_unstable();
        cpus.sort_unstable();
        check!(
            cpus == want,
            "the threads ran on CPUs {cpus:?}, expected {want:?}"
        );
    }
    let last = lines[RASPBIAN_THREADS + 2];
    let exiter = last
        .strip_prefix(&format!("raspbian exit tgid:{} tid:", out.pid))
        .and_then(|t| t.strip_suffix(' '))
        .and_then(|t| t.parse::<i32>().ok());
    check!(
        exiter.is_some_and(|t| t != out.pid && tids.contains(&t)),
        "last line {last:?}: expected the exit line of one of the threads {tids:?}"
    );
    check!(
        (190..10_000).contains(&out.elapsed_ms),
        "the process ended after {} ms, expected a little over 200",
        out.elapsed_ms
    );
    Ok(())
}

fn raspbian_thread_c() -> TestResult {
    check_raspbian_thread("raspbian_thread_c")
}

fn raspbian_thread_rust() -> TestResult {
    check_raspbian_thread("raspbian_thread")
}

// ------------------------------------------------- clone and clone3 checks

/// A `clone`/`clone3` that wrongly succeeded without `CLONE_VM` made a
/// copy of this process that returns here: it leaves at once.
fn leave_if_child(r: Result<i32, Errno>) -> Result<i32, Errno> {
    if r == Ok(0) {
        sys::exit_group(0);
    }
    r
}

/// `struct clone_args` words (flags, pidfd, child_tid, parent_tid,
/// exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup),
/// with room for one more word, as bytes.
fn clone_args(words: &[u64]) -> [u8; 96] {
    let mut b = [0u8; 96];
    for (i, w) in words.iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    b
}

/// `clone` and `clone3` refuse what Linux refuses, before creating
/// anything: `CLONE_THREAD` without `CLONE_SIGHAND`, `CLONE_SIGHAND`
/// without `CLONE_VM` (`EINVAL`); a `clone_args` shorter than its first
/// version (`EINVAL`), longer than a page or with unknown non-zero bytes
/// (`E2BIG`), an exit signal with `CLONE_THREAD`, a stack without a size
/// (`EINVAL`). A plain `clone3` fork works, and its child's status comes
/// back.
fn clone_flags_checked() -> TestResult {
    let sigchld = SIGCHLD as u64;
    for flags in [
        CLONE_THREAD | sigchld,
        CLONE_THREAD | CLONE_VM | sigchld,
        CLONE_SIGHAND | sigchld,
    ] {
        // SAFETY: refused before anything is created; a wrongly created
        // child is a copy (no CLONE_VM) or never returns (leave_if_child).
        check_err!(
            leave_if_child(unsafe {
                sys::clone(flags, 0, core::ptr::null_mut(), 0, core::ptr::null_mut())
            }),
            Errno::EINVAL
        );
    }
    let fork = clone_args(&[0, 0, 0, 0, sigchld]);
    // qemu-aarch64's user mode (the host reference) has no clone3; glibc
    // falls back to clone there. Linux 6.1 and pikern have it.
    // SAFETY: a size below the first version is refused at once.
    if unsafe { sys::clone3(&fork[..8]) } == Err(Errno::ENOSYS) {
        skip!("clone3 is ENOSYS here (qemu-aarch64 user mode); the clone checks passed");
    }
    // SAFETY: as above; every one of these is refused.
    unsafe {
        check_err!(leave_if_child(sys::clone3(&fork[..8])), Errno::EINVAL);
        let mut big = [0u8; 4104];
        big[..88].copy_from_slice(&fork[..88]);
        check_err!(leave_if_child(sys::clone3(&big)), Errno::E2BIG);
        let mut extra = fork;
        extra[88] = 1;
        check_err!(leave_if_child(sys::clone3(&extra)), Errno::E2BIG);
        let thread_sig = clone_args(&[CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, 0, 0, 0, sigchld]);
        check_err!(
            leave_if_child(sys::clone3(&thread_sig[..88])),
            Errno::EINVAL
        );
        let no_size = clone_args(&[0, 0, 0, 0, sigchld, 0x1000, 0]);
        check_err!(leave_if_child(sys::clone3(&no_size[..88])), Errno::EINVAL);
    }
    // A fork through clone3, with the zero word past the known ones.
    // SAFETY: without CLONE_VM the child runs on a copy of this process.
    let pid = ok!(unsafe { sys::clone3(&fork) });
    if pid == 0 {
        sys::exit_group(7);
    }
    let mut status = 0;
    check_eq!(ok!(sys::wait4(pid, Some(&mut status), 0)), pid);
    check_eq!(status, 7 << 8);
    Ok(())
}

// ------------------------------------------------------ per-thread names

static NAMED_TID: AtomicI32 = AtomicI32::new(0);
static NAMED_GO: AtomicI32 = AtomicI32::new(0);

fn named_worker(_: usize) {
    // PR_SET_NAME names the calling thread only.
    let _ = sys::prctl(PR_SET_NAME, c"worker-one".as_ptr() as usize);
    NAMED_TID.store(sys::gettid(), Ordering::Release);
    while NAMED_GO.load(Ordering::Acquire) == 0 {
        let _ = sys::futex_wait(&NAMED_GO, 0, None);
    }
}

/// A thread's name is its own: `prctl(PR_SET_NAME)` in a thread shows in
/// `/proc/self/task/TID/comm` and not in the leader's; writing a thread's
/// `comm` file renames it (glibc's `pthread_setname_np` for another
/// thread).
fn per_thread_comm() -> TestResult {
    let pid = ok!(in_child_async(|| {
        NAMED_TID.store(0, Ordering::Relaxed);
        NAMED_GO.store(0, Ordering::Relaxed);
        let before = ok!(read_text("/proc/self/comm"));
        // SAFETY: named_worker uses atomics and system calls only.
        let t = ok!(unsafe { thread::spawn(named_worker, 0) });
        while NAMED_TID.load(Ordering::Acquire) == 0 {
            let _ = sys::sched_yield();
        }
        let tid = t.tid();
        let path = format!("/proc/self/task/{tid}/comm");
        let named = read_text(&path);
        let leader = read_text("/proc/self/comm");
        let renamed = write_file(&path, b"renamed").and_then(|()| read_text(&path));
        NAMED_GO.store(1, Ordering::Release);
        let _ = sys::futex_wake(&NAMED_GO, 1);
        t.join();
        check_eq!(ok!(named).as_str(), "worker-one\n");
        check_eq!(ok!(leader), before);
        check_eq!(ok!(renamed).as_str(), "renamed\n");
        Ok(())
    }));
    match ok!(wait_timeout(pid, 10_000)) {
        Some(st) => child_passed(Ok(st)),
        None => {
            let _ = sys::kill(pid, SIGKILL);
            let _ = wait_for(pid);
            fail!("the named thread never ran or was never joined")
        }
    }
}

// ----------------------------------------- process calls from a thread

/// What the thread of [`process_calls_from_a_thread`] saw: setpgid's
/// result, then the group, +1 so that 0 means "not yet".
static PG_RESULT: AtomicI32 = AtomicI32::new(0);
static PG_GROUP: AtomicI32 = AtomicI32::new(0);

fn pgrp_worker(_: usize) {
    let r = sys::setpgid(0, 0).map_or(-1, |_| 0);
    PG_GROUP.store(sys::getpgid(0).map_or(-1, |g| g as i32), Ordering::Relaxed);
    PG_RESULT.store(r + 1, Ordering::Release);
    loop {
        let _ = sys::nanosleep(&sys::Timespec::from_ms(1000), None);
    }
}

/// Process groups are the process's: a thread that is not the leader
/// makes its process a group leader with `setpgid(0, 0)`. After the
/// leader's own `exit()` the thread runs on, and `kill(-pgrp)` still
/// reaches the process: it ends killed by that signal, reaped once.
fn process_calls_from_a_thread() -> TestResult {
    let pid = ok!(in_child_async(|| {
        // SAFETY: pgrp_worker uses atomics and system calls only.
        let _t = ok!(unsafe { thread::spawn(pgrp_worker, 0) });
        while PG_RESULT.load(Ordering::Acquire) == 0 {
            let _ = sys::sched_yield();
        }
        if PG_RESULT.load(Ordering::Relaxed) != 1
            || PG_GROUP.load(Ordering::Relaxed) != sys::getpid()
        {
            sys::exit_group(3);
        }
        // The leader alone: the process lives on in its thread.
        sys::exit(0)
    }));
    // The group exists once the thread has made it.
    let made = eventually(5_000, || sys::getpgid(pid) == Ok(pid as usize));
    if !made {
        let _ = sys::kill(pid, SIGKILL);
        let _ = wait_for(pid);
        fail!("setpgid(0, 0) in a thread did not make the process a group leader");
    }
    // Not reapable while its thread runs.
    ok!(sys::nanosleep(&sys::Timespec::from_ms(100), None));
    check_eq!(ok!(sys::wait4(pid, None, WNOHANG)), 0);
    ok!(sys::kill(-pid, SIGTERM));
    match ok!(wait_timeout(pid, 10_000)) {
        Some(st) => check_eq!(st.term_signal(), Some(SIGTERM)),
        None => {
            let _ = sys::kill(pid, SIGKILL);
            let _ = wait_for(pid);
            fail!("kill(-pgrp) did not end the process whose leader had exited");
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ ps -T

static PS_READY: AtomicI32 = AtomicI32::new(0);

fn ps_sleeper(_: usize) {
    PS_READY.fetch_add(1, Ordering::Release);
    loop {
        let _ = sys::nanosleep(&sys::Timespec::from_ms(1000), None);
    }
}

/// The project's `ps -T` gives each thread a line, its process's pid
/// first and its own id (`SPID`) second, from `/proc/PID/task`: a child
/// with two threads besides its main one has three lines, with three
/// distinct ids. Plain `ps` lists the process once. (Under qemu-aarch64
/// the host adds QEMU's own threads: at least three there.)
fn ps_t_lists_threads() -> TestResult {
    let pid = ok!(in_child_async(|| {
        for i in 0..2 {
            // SAFETY: ps_sleeper uses atomics and system calls only.
            let _ = ok!(unsafe { thread::spawn(ps_sleeper, i) });
        }
        while PS_READY.load(Ordering::Acquire) < 2 {
            let _ = sys::sched_yield();
        }
        // Ready (the parent polls /proc); wait to be killed.
        loop {
            let _ = sys::nanosleep(&sys::Timespec::from_ms(1000), None);
        }
    }));
    // The child is ready once its threads exist (polled through /proc).
    let ready = eventually(5_000, || {
        read_text(&format!("/proc/{pid}/status")).is_ok_and(|s| {
            s.lines()
                .any(|l| l == "Threads:\t3" || (!on_pikern() && l.starts_with("Threads:")))
        })
    });
    let threads = run("ps", &["-T"], None);
    let plain = run("ps", &[], None);
    let _ = sys::kill(pid, SIGKILL);
    let _ = wait_for(pid);
    check!(ready, "the child never had 3 threads");
    let (threads, plain) = (threads?, plain?);
    check_eq!(threads.status.exit_code(), Some(0));
    let lines = threads.lines();
    check_eq!(lines[0], "  PID  SPID  PPID S CPU  NI    FLAGS CMD");
    let p = format!("{pid}");
    let mine: Vec<Vec<&str>> = lines[1..]
        .iter()
        .map(|l| l.split_ascii_whitespace().collect::<Vec<_>>())
        .filter(|f| f.first() == Some(&p.as_str()))
        .collect();
    let mut spids: Vec<&str> = mine.iter().filter_map(|f| f.get(1).copied()).collect();
    spids.sort_unstable();
    spids.dedup();
    if on_pikern() {
        check!(mine.len() == 3, "lines {mine:?}");
    } else {
        check!(mine.len() >= 3, "lines {mine:?}");
    }
    check_eq!(spids.len(), mine.len());
    check!(
        spids.contains(&p.as_str()),
        "the leader {p} is not among {spids:?}"
    );
    let once = plain
        .lines()
        .iter()
        .filter(|l| l.split_ascii_whitespace().next() == Some(p.as_str()))
        .count();
    check_eq!(once, 1);
    Ok(())
}

// ------------------------------------------------- the process's itimer

fn itimer_thread(_: usize) {
    let _ = sys::nanosleep(&sys::Timespec::from_ms(100), None);
    sys::exit_group(0);
}

/// Tasks in pikern's `/proc/meminfo` (`Tasks:`), `None` elsewhere.
fn live_tasks() -> Option<u64> {
    let text = read_text("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("Tasks:"))?;
    line.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// [`live_tasks`] once the count holds still: a reaped task's descriptor
/// is freed by a kworker a little later (Linux's deferred put), so the
/// previous test's last task may still be counted for a moment.
fn settled_tasks() -> Option<u64> {
    let mut last = live_tasks();
    let mut same = 0;
    for _ in 0..80 {
        let _ = sys::nanosleep(&sys::Timespec::from_ms(25), None);
        let now = live_tasks();
        same = if now == last { same + 1 } else { 0 };
        if same == 4 {
            break;
        }
        last = now;
    }
    last
}

/// `ITIMER_REAL` belongs to the process (`signal->real_timer`): the
/// leader arms a 10 ms periodic timer (SIGALRM ignored) and leaves with
/// `exit()`; its thread ends the process with `exit_group` 100 ms later.
/// The process is reaped with the thread's status, and the timer ends
/// with it: on pikern the task count is back where it was (a timer kept
/// per thread outlived the process, re-arming itself and holding the
/// leader's descriptor for ever).
fn itimer_is_the_processs() -> TestResult {
    let before = settled_tasks();
    let pid = ok!(in_child_async(|| {
        let ign = sys::SigAction::disposition(SIG_IGN);
        // SAFETY: SIG_IGN runs no code.
        ok!(unsafe { sys::rt_sigaction(SIGALRM, Some(&ign), None) });
        let every = libkernel::uapi::Itimerval {
            interval_ns: 10_000_000,
            value_ns: 10_000_000,
        };
        ok!(sys::setitimer(libkernel::uapi::ITIMER_REAL, &every, None));
        // SAFETY: itimer_thread uses system calls only.
        let _t = ok!(unsafe { thread::spawn(itimer_thread, 0) });
        sys::exit(0)
    }));
    match ok!(wait_timeout(pid, 10_000)) {
        Some(st) => check_eq!(st.exit_code(), Some(0)),
        None => {
            let _ = sys::kill(pid, SIGKILL);
            let _ = wait_for(pid);
            fail!("the process never ended");
        }
    }
    if let Some(before) = before {
        // The leader's descriptor goes with its last reference: at once,
        // or within a timer period or two.
        let back = eventually(2_000, || live_tasks() == Some(before));
        check!(back, "Tasks {before} -> {:?}", live_tasks());
    }
    Ok(())
}
