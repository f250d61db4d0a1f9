//! User processes end to end: a real `execve`, `fork` and `exit` through
//! the system calls. The dead task's stack is freed by the next task for
//! user processes too, and 10,000 fork/exit/wait cycles (and a fork bomb)
//! leave the memory and task accounting exactly where it was.

use crate::ktest::{Fail, Suite, TestCase, TestResult};
use crate::pid::find_task_by_pid;
use crate::ps::{self, Counters};
use crate::sched::wait::msleep;
use crate::task::Task;
use crate::{fs, time};
use alloc::format;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;

/// Accounting a leak would show in: tasks, stacks, free pages, heap, user
/// pages, page-table pages, open files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Snapshot {
    counters: Counters,
    user_pages: usize,
    pt_pages: usize,
    files: usize,
}

fn snapshot() -> Snapshot {
    Snapshot {
        counters: ps::counters(),
        user_pages: crate::mm::page_alloc::USER_PAGES.load(Ordering::Relaxed),
        pt_pages: crate::mm::vm::PT_PAGES.load(Ordering::Relaxed),
        files: fs::NR_FILES.load(Ordering::Relaxed),
    }
}

fn settled(want: &Snapshot) -> Snapshot {
    let end = time::uptime_ns() + 3_000_000_000;
    let mut s = snapshot();
    while s != *want && time::uptime_ns() < end {
        msleep(5);
        s = snapshot();
    }
    s
}

/// A baseline once every exited task is gone (see
/// `task::wait_quiescent`), and nothing else moves.
fn quiescent_snapshot() -> Snapshot {
    super::task::wait_quiescent();
    settled(&snapshot())
}

/// Runs `path args` as a user process (a kernel thread that execs it, a
/// child of kthreadd) and waits for it to be gone; returns its task and
/// wait status.
fn run_user(argv: &[&'static str], timeout_ms: u64) -> Result<(Arc<Task>, i32), Fail> {
    run_user_as(argv, timeout_ms, false)
}

/// [`run_user`]; with `make_it_fail`, the process and its children are the
/// ones fault injection's task filter fails (`/proc/PID/make-it-fail`).
fn run_user_as(
    argv: &[&'static str],
    timeout_ms: u64,
    make_it_fail: bool,
) -> Result<(Arc<Task>, i32), Fail> {
    if fs::lookup_path("/", argv[0].as_bytes()).is_err() {
        return Err(Fail::Skipped("program not in the initramfs"));
    }
    let args: alloc::vec::Vec<&'static str> = argv.to_vec();
    let t = crate::kthread::kthread_run(
        move || {
            // Its output would mix with this KTAP: send it to /dev/null.
            if let Ok(null) = fs::lookup_path("/", b"/dev/null") {
                let mut t = fs::FdTable::default();
                for fd in 0..3 {
                    let _ = t.install_at(fd, fs::File::new(null.clone(), 2), false);
                }
                *crate::task::current().files.lock() =
                    Some(Arc::new(crate::sync::IrqSpinLock::new(t)));
            }
            crate::task::current()
                .make_it_fail
                .store(make_it_fail, Ordering::Relaxed);
            let e = crate::exec::kernel_execve(args[0], &args, &["PATH=/bin"]);
            200 + e.errno().0
        },
        "usertest",
    )
    .map_err(|e| Fail::Failed(format!("kthread_run: errno {}", e.0)))?;
    let end = time::uptime_ns() + timeout_ms * 1_000_000;
    while (find_task_by_pid(t.pid()).is_some() || Arc::strong_count(&t) > 1)
        && time::uptime_ns() < end
    {
        msleep(5);
    }
    if find_task_by_pid(t.pid()).is_some() {
        return Err(Fail::Failed(format!(
            "{} did not finish in {timeout_ms} ms",
            argv[0]
        )));
    }
    let code = t.exit_code.load(Ordering::Relaxed);
    Ok((t, code))
}

fn user_process_stack_is_freed_by_next_task() -> TestResult {
    let (t, code) = run_user(&["/bin/hello"], 10_000)?;
    kassert_eq!(code, 0);
    let rel = (*t.stack_release.lock()).unwrap_or_default();
    kassert!(
        rel.in_finish_task_switch,
        "stack not freed in finish_task_switch"
    );
    kassert!(
        rel.by_pid != t.pid(),
        "the dying process freed its own stack"
    );
    kassert!(t.mm.lock().is_none(), "address space not released");
    Ok(())
}

fn no_leak_after_10000_fork_exit_wait_cycles() -> TestResult {
    // Warm up: first use of per-CPU structures by user processes.
    run_user(&["/bin/forkloop", "200"], 60_000)?;
    let base = quiescent_snapshot();
    let (_, code) = run_user(&["/bin/forkloop", "10000"], 600_000)?;
    kassert_eq!(code, 0);
    let after = settled(&base);
    // Pages, tasks, stacks, page tables and files must match exactly. The
    // heap may differ by one B-tree node (a map grown once, kept for
    // reuse; a known 304-byte difference still to be traced): a leak of
    // even one byte per cycle would show as 10,000 bytes.
    let heap_diff = after.counters.heap_bytes.abs_diff(base.counters.heap_bytes);
    kassert!(
        heap_diff <= 512,
        "heap grew by {heap_diff} bytes over 10,000 cycles"
    );
    let same = |s: Snapshot| Snapshot {
        counters: Counters {
            heap_bytes: 0,
            ..s.counters
        },
        ..s
    };
    kassert_eq!(same(after), same(base));
    Ok(())
}

/// A fork that fails after its pid was allocated gives the pid back: with
/// allocations failing at random for `forkloop` and its children, most
/// failed forks fail in `copy_mm` (page tables, copy-on-write), which
/// once returned without freeing the pid. Afterwards every pid in use
/// belongs to a task again.
fn failed_forks_give_their_pids_back() -> TestResult {
    let base = quiescent_snapshot();
    let pids = || {
        let tl = crate::pid::TASKLIST.lock();
        (tl.pids_in_use(), tl.len())
    };
    let (in_use, hashed) = pids();
    kassert_eq!(in_use, hashed);
    crate::fault_inject::set("1,3,0,-1,task-filter").map_err(|e| Fail::Failed(e.into()))?;
    let mut failed = 0;
    for _ in 0..30 {
        let r = run_user_as(&["/bin/forkloop", "50"], 60_000, true);
        if !matches!(r, Ok((_, 0))) {
            failed += 1;
        }
    }
    let injected = crate::fault_inject::status();
    crate::fault_inject::set("0,0,0,0").map_err(|e| Fail::Failed(e.into()))?;
    kassert!(failed > 0, "no run failed; fault injection: {injected}");
    let after = settled(&base);
    let (in_use, hashed) = pids();
    kassert_eq!(in_use, hashed);
    kassert_eq!(after.counters.tasks, base.counters.tasks);
    kassert_eq!(after.user_pages, base.user_pages);
    Ok(())
}

fn fork_bomb_is_refused_and_everything_returns() -> TestResult {
    let base = quiescent_snapshot();
    // The fork suite of usertests ends with a bounded fork bomb that must
    // hit EAGAIN and kill everything it made.
    let (_, code) = run_user(&["/bin/usertests", "fork"], 600_000)?;
    kassert_eq!(code, 0);
    let after = settled(&base);
    kassert_eq!(after.counters.tasks, base.counters.tasks);
    kassert_eq!(after.counters.stacks, base.counters.stacks);
    kassert_eq!(after.user_pages, base.user_pages);
    kassert_eq!(after.pt_pages, base.pt_pages);
    kassert_eq!(after.files, base.files);
    Ok(())
}

/// The user-process suite.
pub const SUITE: Suite = Suite {
    name: "fork",
    cases: &[
        TestCase {
            name: "user_process_stack_is_freed_by_next_task",
            run: user_process_stack_is_freed_by_next_task,
        },
        TestCase {
            name: "no_leak_after_10000_fork_exit_wait_cycles",
            run: no_leak_after_10000_fork_exit_wait_cycles,
        },
        TestCase {
            name: "fork_bomb_is_refused_and_everything_returns",
            run: fork_bomb_is_refused_and_everything_returns,
        },
        TestCase {
            name: "failed_forks_give_their_pids_back",
            run: failed_forks_give_their_pids_back,
        },
    ],
    manual: false,
};
