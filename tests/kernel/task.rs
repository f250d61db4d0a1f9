//! The task life cycle: the first tasks, creation through `_do_fork`,
//! exit through `do_exit` (zombie until reaped, orphans to init, recursive
//! exit parked, the stack freed by the next task), limits, and no leaks
//! after many cycles and a stress run.

use crate::errno::{EAGAIN, ECHILD};
use crate::exit::{do_exit, do_wait};
use crate::fork::{kernel_thread, CloneArgs, MAX_THREADS};
use crate::ktest::{wait_until, Fail, Suite, TestCase, TestResult};
use crate::kthread::kthread_run;
use crate::pid::find_task_by_pid;
use crate::ps::{self, Counters};
use crate::sched::core::RUNQUEUES;
use crate::sched::wait::{msleep, WaitQueue};
use crate::task::{
    self, Pid, Task, EXIT_DEAD, EXIT_ZOMBIE, PF_EXITING, PF_EXITPIDONE, PF_IDLE, PF_KTHREAD,
    TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE,
};
use crate::{percpu, time};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use libkernel::uapi::{SIGCHLD, WNOHANG};

fn errno(e: crate::errno::Errno) -> Fail {
    Fail::Failed(alloc::format!("unexpected errno {}", e.0))
}

/// A child of the current task (exit signal SIGCHLD, so it becomes a
/// zombie for us to reap) running `f`.
fn spawn_child(f: impl FnOnce() -> i32 + Send + 'static, name: &str) -> Result<Pid, Fail> {
    kernel_thread(Box::new(f), name, SIGCHLD as u64).map_err(errno)
}

/// Counters once every dead task's stack has been released (the release
/// happens on another CPU's next switch).
fn settled_counters(want: &Counters) -> Counters {
    let mut c = ps::counters();
    let end = time::uptime_ns() + 2_000_000_000;
    while c != *want && time::uptime_ns() < end {
        msleep(2);
        c = ps::counters();
    }
    c
}

/// Waits (up to 2 s) until no task is still on its way out, for a
/// baseline: every descriptor belongs to an idle task or a task with a
/// pid, and the counters hold still over 2 ms. A task that was reaped (or
/// autoreaped) keeps its descriptor, stack and everything it owns until
/// the last reference goes, usually when the CPU it died on switches
/// away; a vCPU the host has descheduled may take milliseconds to do so.
/// A baseline taken before then counts memory about to be freed, and a
/// later comparison sees a "leak" of minus one task. The task count
/// drops only after the descriptor's fields are freed (`Task::_counted`);
/// the 2 ms cover the descriptor's own block. The caller holds no
/// reference to a dead task.
pub(super) fn wait_quiescent() {
    let end = time::uptime_ns() + 2_000_000_000;
    let mut last = None;
    while time::uptime_ns() < end {
        let c = ps::counters();
        if c.tasks != crate::pid::TASKLIST.lock().len() + percpu::NR_CPUS {
            last = None;
        } else if last == Some(c) {
            return;
        } else {
            last = Some(c);
        }
        msleep(2);
    }
}

/// [`ps::counters`] after [`wait_quiescent`].
fn quiescent_counters() -> Counters {
    wait_quiescent();
    ps::counters()
}

/// Compares counters; on a mismatch says which allocation sizes differ.
fn check_counters(after: Counters, base: Counters, hist: [usize; 24]) -> TestResult {
    if after == base {
        return Ok(());
    }
    let now = crate::mm::heap::live_by_size();
    let mut diff = alloc::string::String::new();
    for i in 0..24 {
        if now[i] != hist[i] {
            diff += &alloc::format!(
                " <= {} bytes: {:+};",
                1usize << i,
                now[i] as i64 - hist[i] as i64
            );
        }
    }
    Err(Fail::Failed(alloc::format!(
        "expected {base:?}, got {after:?}; live allocations by size:{diff}"
    )))
}

fn idle_tasks_init_and_kthreadd_are_in_place() -> TestResult {
    for (c, rq) in RUNQUEUES.iter().enumerate() {
        let idle = rq.lock().idle.clone();
        kassert!(idle.is_some(), "CPU{c} has no idle task");
        let idle = idle.unwrap();
        kassert_eq!(idle.pid(), 0);
        kassert_eq!(idle.comm().as_str(), alloc::format!("swapper/{c}").as_str());
        kassert!(idle.flags() & PF_IDLE != 0, "swapper/{c} lacks PF_IDLE");
    }
    let init = find_task_by_pid(1).ok_or(Fail::Failed("no pid 1".into()))?;
    kassert_eq!(init.comm().as_str(), "init");
    let kthreadd = find_task_by_pid(2).ok_or(Fail::Failed("no pid 2".into()))?;
    kassert_eq!(kthreadd.comm().as_str(), "kthreadd");
    kassert!(
        kthreadd.flags() & PF_KTHREAD != 0,
        "kthreadd lacks PF_KTHREAD"
    );
    // Kernel threads made by kthread_create are kthreadd's children.
    let me = task::current();
    kassert_eq!(me.ppid(), 2);
    kassert_eq!(me.static_prio.load(Ordering::Relaxed), 120);
    Ok(())
}

fn zombie_until_reaped() -> TestResult {
    // One round first: the first child, timer and wait of this task set up
    // structures that then stay (tree roots), which is not a leak.
    let warm = spawn_child(|| 0, "warmup")?;
    let _ = do_wait(warm, 0);
    let before = quiescent_counters();
    let hist = crate::mm::heap::live_by_size();
    let pid = spawn_child(|| 42, "zombie")?;
    let t = find_task_by_pid(pid).ok_or(Fail::Failed("child vanished".into()))?;
    kassert!(
        wait_until(2000, || t.exit_state.load(Ordering::Acquire) == EXIT_ZOMBIE),
        "child never became a zombie"
    );
    msleep(20);
    kassert!(
        find_task_by_pid(pid).is_some(),
        "zombie reaped without a wait"
    );
    kassert_eq!(t.exit_state.load(Ordering::Acquire), EXIT_ZOMBIE);
    kassert_eq!(t.state_char(), 'Z');
    kassert_eq!(do_wait(pid, WNOHANG), Ok(Some((pid, 42))));
    kassert!(
        find_task_by_pid(pid).is_none(),
        "reaped task still has its pid"
    );
    kassert_eq!(do_wait(pid, 0), Err(ECHILD));
    drop(t);
    check_counters(settled_counters(&before), before, hist)
}

fn wnohang_returns_none_while_the_child_runs() -> TestResult {
    let go = Arc::new(AtomicBool::new(false));
    let g = go.clone();
    let pid = spawn_child(
        move || {
            while !g.load(Ordering::Acquire) {
                msleep(1);
            }
            3
        },
        "slowchild",
    )?;
    kassert_eq!(do_wait(pid, WNOHANG), Ok(None));
    go.store(true, Ordering::Release);
    // A blocking wait sleeps until the exit wakes it.
    kassert_eq!(do_wait(-1, 0), Ok(Some((pid, 3))));
    kassert_eq!(do_wait(-1, WNOHANG), Err(ECHILD));
    Ok(())
}

fn orphan_is_reparented_to_init() -> TestResult {
    let grandchild = Arc::new(AtomicU64::new(0));
    let release = Arc::new(AtomicBool::new(false));
    let (gc, rel) = (grandchild.clone(), release.clone());
    let child = spawn_child(
        move || {
            let rel2 = rel.clone();
            let r = kernel_thread(
                Box::new(move || {
                    while !rel2.load(Ordering::Acquire) {
                        msleep(1);
                    }
                    0
                }),
                "orphan",
                SIGCHLD as u64,
            );
            if let Ok(p) = r {
                gc.store(p as u64, Ordering::Release);
            }
            0
        },
        "parent",
    )?;
    kassert_eq!(do_wait(child, 0).map(|r| r.map(|x| x.0)), Ok(Some(child)));
    let gpid = grandchild.load(Ordering::Acquire) as Pid;
    kassert!(gpid > 0, "grandchild was not created");
    let orphan = find_task_by_pid(gpid).ok_or(Fail::Failed("orphan vanished".into()))?;
    kassert_eq!(orphan.ppid(), 1);
    let init = find_task_by_pid(1).ok_or(Fail::Failed("no init".into()))?;
    kassert!(
        init.family.lock().children.contains_key(&gpid),
        "orphan is not in init's children"
    );
    drop(init);
    release.store(true, Ordering::Release);
    kassert!(
        wait_until(5000, || find_task_by_pid(gpid).is_none()),
        "init did not reap the orphan"
    );
    kassert_eq!(orphan.exit_state.load(Ordering::Acquire), EXIT_DEAD);
    Ok(())
}

fn recursive_exit_is_parked() -> TestResult {
    let pid = spawn_child(
        || {
            // Pretend an exit is already under way, as when do_exit faults.
            let me = task::current();
            me.flags.fetch_or(PF_EXITING, Ordering::SeqCst);
            drop(me);
            do_exit(9)
        },
        "recursive",
    )?;
    let t = find_task_by_pid(pid).ok_or(Fail::Failed("child vanished".into()))?;
    kassert!(
        wait_until(2000, || t.state() == TASK_UNINTERRUPTIBLE
            && !t.on_rq.load(Ordering::Acquire)),
        "recursive exit not parked in TASK_UNINTERRUPTIBLE"
    );
    kassert!(t.flags() & PF_EXITPIDONE != 0, "PF_EXITPIDONE not set");
    kassert_eq!(t.exit_state.load(Ordering::Acquire), 0);
    // It never becomes a zombie: there is nothing to reap.
    kassert_eq!(do_wait(pid, WNOHANG), Ok(None));
    Ok(())
}

fn dead_task_stack_is_freed_by_next_task() -> TestResult {
    let stacks_before = task::NR_STACKS.load(Ordering::Relaxed);
    let pid = spawn_child(|| 0, "shortlived")?;
    let t = find_task_by_pid(pid).ok_or(Fail::Failed("child vanished".into()))?;
    kassert!(
        wait_until(2000, || t.stack_release.lock().is_some()),
        "the dead task's stack was never released"
    );
    let rel = (*t.stack_release.lock()).unwrap_or_default();
    kassert!(
        rel.in_finish_task_switch,
        "stack not freed in finish_task_switch"
    );
    kassert!(rel.by_pid != pid, "the dying task freed its own stack");
    kassert_eq!(rel.on_cpu, t.task_cpu());
    kassert!(t.stack.lock().is_none(), "stack still attached");
    // Still a zombie: the descriptor outlives the stack until reaped.
    kassert_eq!(t.exit_state.load(Ordering::Acquire), EXIT_ZOMBIE);
    kassert_eq!(do_wait(pid, 0).map(|r| r.map(|x| x.0)), Ok(Some(pid)));
    kassert_eq!(task::NR_STACKS.load(Ordering::Relaxed), stacks_before);
    Ok(())
}

fn returning_kthread_exits_through_do_exit_and_is_autoreaped() -> TestResult {
    let t = kthread_run(|| 7, "returns7").map_err(errno)?;
    // Gone from the pid table is not yet done: as in Linux, exit_notify
    // reaps an autoreaped task before do_exit sets PF_EXITPIDONE. Done is
    // when the CPU it died on has switched away and dropped it.
    kassert!(
        wait_until(2000, || find_task_by_pid(t.pid()).is_none()
            && Arc::strong_count(&t) == 1),
        "kthread was not reaped automatically"
    );
    kassert_eq!(t.exit_code.load(Ordering::Relaxed), 7);
    kassert_eq!(t.exit_state.load(Ordering::Relaxed), EXIT_DEAD);
    let want = PF_EXITING | PF_EXITPIDONE | PF_KTHREAD;
    kassert_eq!(t.flags() & want, want);
    Ok(())
}

fn task_limit_gives_eagain() -> TestResult {
    // Earlier tests' tasks may still be on their way out: the limit is
    // set from a count that no longer moves.
    let before = quiescent_counters();
    let old = MAX_THREADS.load(Ordering::Relaxed);
    MAX_THREADS.store(before.tasks + 3, Ordering::Relaxed);
    let stop = Arc::new(AtomicBool::new(false));
    let mut pids = Vec::new();
    let mut err = None;
    for _ in 0..10 {
        let s = stop.clone();
        match spawn_child(
            move || {
                while !s.load(Ordering::Acquire) {
                    msleep(1);
                }
                0
            },
            "limited",
        ) {
            Ok(p) => pids.push(p),
            Err(_) => {
                err = Some(
                    crate::fork::_do_fork(CloneArgs {
                        flags: SIGCHLD as u64,
                        name: "over",
                        thread_fn: Some(Box::new(|| 0)),
                        cpus_allowed: None,
                        user_regs: None,
                        tls: None,
                        parent_tid: 0,
                        child_tid: 0,
                    })
                    .err(),
                );
                break;
            }
        }
    }
    MAX_THREADS.store(old, Ordering::Relaxed);
    stop.store(true, Ordering::Release);
    for p in &pids {
        let _ = do_wait(*p, 0);
    }
    let created = pids.len();
    drop((pids, stop));
    kassert_eq!(created, 3);
    kassert_eq!(err, Some(Some(EAGAIN)));
    kassert_eq!(settled_counters(&before), before);
    Ok(())
}

/// Creates and reaps `n` children on each CPU in parallel.
fn create_exit_cycles(per_cpu: usize) -> Result<usize, Fail> {
    let done = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for cpu in 0..percpu::NR_CPUS {
        let d = done.clone();
        let w = crate::kthread::kthread_run_on(
            move || {
                for _ in 0..per_cpu {
                    match kernel_thread(Box::new(|| 0), "cycle", SIGCHLD as u64) {
                        Ok(pid) => {
                            if do_wait(pid, 0).is_ok() {
                                d.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(_) => return 1,
                    }
                }
                0
            },
            "cycler",
            1 << cpu,
        )
        .map_err(errno)?;
        workers.push(w);
    }
    // Gone means reaped and released by the CPU it last ran on: only our
    // handle still refers to it.
    let ok = wait_until(300_000, || {
        workers
            .iter()
            .all(|w| find_task_by_pid(w.pid()).is_none() && Arc::strong_count(w) == 1)
    });
    if !ok {
        return Err(Fail::Failed("create/exit workers did not finish".into()));
    }
    Ok(done.load(Ordering::Relaxed))
}

fn no_leak_after_10000_create_exit_cycles() -> TestResult {
    // Warm up first so lazily grown structures (queues, trees) reach their
    // working size before the baseline is taken.
    create_exit_cycles(50)?;
    let base = quiescent_counters();
    let hist = crate::mm::heap::live_by_size();
    let n = create_exit_cycles(2500)?;
    kassert_eq!(n, 10_000);
    check_counters(settled_counters(&base), base, hist)
}

/// A small xorshift generator: reproducible randomness for the stress test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

static STRESS_WQ: WaitQueue = WaitQueue::new();

fn stress_worker(seed: u64, until: u64, live: Arc<AtomicUsize>, spawned: Arc<AtomicUsize>) -> i32 {
    let mut rng = Rng(seed | 1);
    while time::uptime_ns() < until {
        match rng.next() % 8 {
            0 => msleep(rng.next() % 5),
            1 => crate::sched::yield_now(),
            2 => {
                let spin_until = time::uptime_ns() + (rng.next() % 500) * 1000;
                while time::uptime_ns() < spin_until {
                    core::hint::spin_loop();
                }
            }
            3 => {
                STRESS_WQ.wake_up_all();
            }
            4 => {
                // Sleep on the shared queue, woken by a peer or a timeout.
                task::set_current_state(TASK_INTERRUPTIBLE);
                STRESS_WQ.prepare_to_wait(TASK_INTERRUPTIBLE);
                crate::sched::wait::schedule_timeout(2_000_000);
                STRESS_WQ.finish_wait();
            }
            5 if rng.next().is_multiple_of(4) => {
                // Exit early, handing the slot to a new task.
                let (l, s) = (live.clone(), spawned.clone());
                let seed2 = rng.next();
                if kthread_run(move || stress_worker(seed2, until, l, s), "stress").is_ok() {
                    spawned.fetch_add(1, Ordering::Relaxed);
                    live.fetch_add(1, Ordering::Relaxed);
                }
                live.fetch_sub(1, Ordering::Relaxed);
                return 0;
            }
            _ => msleep(1),
        }
    }
    live.fetch_sub(1, Ordering::Relaxed);
    0
}

fn stress_hundreds_of_threads_for_20_seconds() -> TestResult {
    create_exit_cycles(10)?;
    let live = Arc::new(AtomicUsize::new(0));
    let spawned = Arc::new(AtomicUsize::new(0));
    let base = quiescent_counters();
    let hist = crate::mm::heap::live_by_size();
    let until = time::uptime_ns() + 20_000_000_000;
    for i in 0..300u64 {
        let (l, s) = (live.clone(), spawned.clone());
        l.fetch_add(1, Ordering::Relaxed);
        s.fetch_add(1, Ordering::Relaxed);
        if kthread_run(move || stress_worker(i * 7919 + 1, until, l, s), "stress").is_err() {
            live.fetch_sub(1, Ordering::Relaxed);
            spawned.fetch_sub(1, Ordering::Relaxed);
        }
    }
    let started = spawned.load(Ordering::Relaxed);
    kassert!(
        started >= 300,
        "only {started} of 300 stress threads started"
    );
    msleep(20_000);
    // Wake any sleeper on the shared queue so everyone sees the deadline.
    let finished = wait_until(30_000, || {
        STRESS_WQ.wake_up_all();
        live.load(Ordering::Acquire) == 0
    });
    kassert!(
        finished,
        "{} stress threads still alive 30 s after the deadline",
        live.load(Ordering::Acquire)
    );
    kassert!(
        spawned.load(Ordering::Relaxed) > 300,
        "no thread exited early and was replaced"
    );
    check_counters(settled_counters(&base), base, hist)
}

fn ps_listing_shows_states() -> TestResult {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let spinner = crate::kthread::kthread_run_on(
        move || {
            while !s.load(Ordering::Relaxed) {
                core::hint::spin_loop();
            }
            0
        },
        "ps_spinner",
        1 << 3,
    )
    .map_err(errno)?;
    let s2 = stop.clone();
    let sleeper = kthread_run(
        move || {
            static WQ: WaitQueue = WaitQueue::new();
            WQ.wait_event(TASK_INTERRUPTIBLE, || s2.load(Ordering::Relaxed));
            0
        },
        "ps_sleeper",
    )
    .map_err(errno)?;
    wait_until(1000, || sleeper.state() == TASK_INTERRUPTIBLE);
    let listing = ps::format_listing();
    stop.store(true, Ordering::Relaxed);
    crate::sched::wake_up_process(&sleeper);
    let line_of = |t: &Arc<Task>| {
        listing
            .lines()
            .find(|l| l.split_whitespace().next() == Some(alloc::format!("{}", t.pid()).as_str()))
            .map(alloc::string::String::from)
            .unwrap_or_default()
    };
    let (sp, sl) = (line_of(&spinner), line_of(&sleeper));
    wait_until(2000, || {
        find_task_by_pid(spinner.pid()).is_none() && find_task_by_pid(sleeper.pid()).is_none()
    });
    kassert!(
        sp.contains(" R ") && sp.contains("ps_spinner"),
        "spinner line: {sp:?}"
    );
    kassert!(sp.contains("0x00200040"), "spinner flags: {sp:?}");
    kassert!(
        sl.contains(" S ") && sl.contains("ps_sleeper"),
        "sleeper line: {sl:?}"
    );
    kassert!(listing.contains("swapper/0"), "no idle task in:\n{listing}");
    Ok(())
}

/// The task life-cycle suite.
/// Magic SysRq's `t` and `w`: a thread asleep in `msleep` (state D) is
/// listed with the call trace of where it sleeps; `w` lists it too but
/// not the idle tasks.
fn sysrq_show_state_tells_where_each_task_sleeps() -> TestResult {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let t = kthread_run(
        move || {
            while !s.load(Ordering::Relaxed) {
                msleep(10);
            }
            0
        },
        "sysrq-sleeper",
    )
    .map_err(errno)?;
    let mut text = alloc::string::String::new();
    let mut blocked = alloc::string::String::new();
    // Catch it asleep (it wakes every 10 ms for a moment).
    let found = wait_until(2_000, || {
        text.clear();
        blocked.clear();
        let _ = crate::sysrq::write_state(&mut text, false);
        let _ = crate::sysrq::write_state(&mut blocked, true);
        text.contains("task:sysrq-sleeper   state:D")
            && blocked.contains("task:sysrq-sleeper   state:D")
    });
    stop.store(true, Ordering::Relaxed);
    kassert!(found, "the sleeper was never listed in state D:\n{text}");
    let mine = text
        .split("task:")
        .find(|b| b.starts_with("sysrq-sleeper"))
        .unwrap_or("");
    kassert!(
        // context_switch is never inlined; __schedule may be.
        mine.contains("msleep") && mine.contains("context_switch"),
        "no call trace through msleep:\n{mine}"
    );
    kassert!(
        text.contains("task:swapper/0"),
        "idle tasks missing:\n{text}"
    );
    kassert!(!blocked.contains("task:swapper/0"), "w listed an idle task");
    kassert!(text.contains("cpu#3: nr_running"), "no per-CPU lines");
    kassert!(crate::sysrq::handle_sysrq(b'l'), "l is a command");
    kassert!(!crate::sysrq::handle_sysrq(b'?'), "? is not a command");
    wait_until(2_000, || find_task_by_pid(t.pid()).is_none());
    Ok(())
}

pub const SUITE: Suite = Suite {
    name: "task",
    cases: &[
        TestCase {
            name: "idle_tasks_init_and_kthreadd_are_in_place",
            run: idle_tasks_init_and_kthreadd_are_in_place,
        },
        TestCase {
            name: "zombie_until_reaped",
            run: zombie_until_reaped,
        },
        TestCase {
            name: "wnohang_returns_none_while_the_child_runs",
            run: wnohang_returns_none_while_the_child_runs,
        },
        TestCase {
            name: "orphan_is_reparented_to_init",
            run: orphan_is_reparented_to_init,
        },
        TestCase {
            name: "dead_task_stack_is_freed_by_next_task",
            run: dead_task_stack_is_freed_by_next_task,
        },
        TestCase {
            name: "returning_kthread_exits_through_do_exit_and_is_autoreaped",
            run: returning_kthread_exits_through_do_exit_and_is_autoreaped,
        },
        TestCase {
            name: "task_limit_gives_eagain",
            run: task_limit_gives_eagain,
        },
        TestCase {
            name: "ps_listing_shows_states",
            run: ps_listing_shows_states,
        },
        TestCase {
            name: "no_leak_after_10000_create_exit_cycles",
            run: no_leak_after_10000_create_exit_cycles,
        },
        TestCase {
            name: "stress_hundreds_of_threads_for_20_seconds",
            run: stress_hundreds_of_threads_for_20_seconds,
        },
        TestCase {
            name: "recursive_exit_is_parked",
            run: recursive_exit_is_parked,
        },
        TestCase {
            name: "sysrq_show_state_tells_where_each_task_sleeps",
            run: sysrq_show_state_tells_where_each_task_sleeps,
        },
    ],
    manual: false,
};
