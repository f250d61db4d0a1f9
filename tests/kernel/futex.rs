//! Futexes (`kernel/futex/`): `FUTEX_WAIT` and `FUTEX_WAKE` racing for
//! thousands of rounds without a lost wake-up, requeueing, timeouts on
//! both clocks, Linux's errors, a word after fork being another futex in
//! the child, `FUTEX_WAKE_OP`'s arithmetic against libkernel's, waits
//! ended by a signal, the robust list walked at exit, and the
//! `CLONE_CHILD_CLEARTID` wake.
//!
//! Kernel threads stand in for the user threads pikern does not have yet:
//! each calls `do_futex` (what `sys_futex` calls, after converting its
//! timeout with `futex_init_timeout`, as here) on a user address space
//! built here, whose words they reach through the page walk a system call
//! uses. Every test ends with no waiter left in any bucket.

use crate::errno::*;
use crate::futex::{
    do_futex, exit_robust_list, futex_init_timeout, futex_waiters_on, futex_waiters_total,
    futex_wake_tid,
};
use crate::ktest::{failed, wait_until, Fail, Suite, TestCase, TestResult};
use crate::kthread::{kthread_run, kthread_run_on};
use crate::mm::uaccess;
use crate::mm::vm::{MmStruct, PROT_READ, PROT_WRITE, USER_VA_END};
use crate::signal::RestartBlock;
use crate::task::{self, Task, TASK_INTERRUPTIBLE};
use crate::time;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI64, Ordering};
use libkernel::futex::{decode_wake_op, AtomicOp};
use libkernel::uapi::{self, futex_op, Timespec};

const PRIVATE: u32 = uapi::FUTEX_PRIVATE_FLAG;
const WAIT_PRIVATE: u32 = uapi::FUTEX_WAIT | PRIVATE;
const WAKE_PRIVATE: u32 = uapi::FUTEX_WAKE | PRIVATE;
const ANY: u32 = uapi::FUTEX_BITSET_MATCH_ANY;
const MS: u64 = 1_000_000;

/// A user address space with `pages` read-write pages at `base`, none
/// touched yet.
struct Space {
    mm: Arc<MmStruct>,
    base: u64,
}

fn space(pages: u64) -> Result<Space, Fail> {
    let mm = MmStruct::new().map_err(|e| failed(format!("MmStruct::new: errno {}", e.0)))?;
    let base = mm
        .mmap_anon(0, pages * 4096, PROT_READ | PROT_WRITE, false)
        .map_err(|e| failed(format!("mmap_anon: errno {}", e.0)))?;
    Ok(Space { mm, base })
}

fn put(mm: &MmStruct, uaddr: u64, v: u32) -> Result<(), Fail> {
    mm.write_u32(uaddr, v)
        .map_err(|e| failed(format!("write at {uaddr:#x}: errno {}", e.0)))
}

fn put64(mm: &MmStruct, uaddr: u64, v: u64) -> Result<(), Fail> {
    put(mm, uaddr, v as u32)?;
    put(mm, uaddr + 4, (v >> 32) as u32)
}

fn get(mm: &MmStruct, uaddr: u64) -> u32 {
    let mut b = [0u8; 4];
    match uaccess::copy_from_mm(mm, &mut b, uaddr) {
        Ok(()) => u32::from_le_bytes(b),
        Err(_) => u32::MAX,
    }
}

/// `futex(2)` as the system call makes it, on `mm`.
#[allow(clippy::too_many_arguments)]
fn futex(
    mm: &MmStruct,
    uaddr: u64,
    op: u32,
    val: u32,
    timeout: Option<Timespec>,
    uaddr2: u64,
    val2: u32,
    val3: u32,
) -> SysResult {
    let t = match timeout {
        Some(ts) => Some(futex_init_timeout(op, &ts)?),
        None => None,
    };
    do_futex(mm, uaddr, op, val, t, uaddr2, val2, val3)
}

fn as_i64(r: SysResult) -> i64 {
    match r {
        Ok(v) => v,
        Err(e) => e.as_neg(),
    }
}

/// The result slot of a waiter still waiting.
const RUNNING: i64 = i64::MIN;

/// A kernel thread waiting on a futex, and what its call returned.
struct Waiter {
    task: Arc<Task>,
    result: Arc<AtomicI64>,
}

impl Waiter {
    fn result(&self) -> Option<i64> {
        Some(self.result.load(Ordering::Acquire)).filter(|&r| r != RUNNING)
    }
}

/// Starts a thread making `futex(uaddr, op, val, timeout, 0, 0, val3)`.
fn waiter(
    mm: &Arc<MmStruct>,
    uaddr: u64,
    op: u32,
    val: u32,
    timeout: Option<Timespec>,
    val3: u32,
) -> Result<Waiter, Fail> {
    let result = Arc::new(AtomicI64::new(RUNNING));
    let (mm, r) = (mm.clone(), result.clone());
    let task = kthread_run(
        move || {
            r.store(
                as_i64(futex(&mm, uaddr, op, val, timeout, 0, 0, val3)),
                Ordering::Release,
            );
            0
        },
        "futex_waiter",
    )
    .map_err(|e| failed(format!("kthread_run: errno {}", e.0)))?;
    Ok(Waiter { task, result })
}

/// Waits until `n` waiters are queued on the word (sleeping, not only
/// queued: a waker must find them in the bucket).
fn wait_queued(mm: &MmStruct, uaddr: u64, shared: bool, n: usize) -> Result<(), Fail> {
    let ok = wait_until(5000, || futex_waiters_on(mm, uaddr, shared) == n);
    kassert!(
        ok,
        "expected {n} waiters on {uaddr:#x}, saw {}",
        futex_waiters_on(mm, uaddr, shared)
    );
    Ok(())
}

/// Waits until every waiter has returned and its thread is gone.
fn wait_done(ws: &[&Waiter]) -> Result<(), Fail> {
    let ok = wait_until(10_000, || {
        ws.iter().all(|w| {
            w.result().is_some()
                && crate::pid::find_task_by_pid(w.task.pid()).is_none()
                && Arc::strong_count(&w.task) == 1
        })
    });
    kassert!(ok, "futex waiters did not return and exit within 10 s");
    Ok(())
}

/// Nothing queued, nothing counted, in any bucket.
fn no_waiter_left() -> TestResult {
    let (queued, counted) = futex_waiters_total();
    kassert!(
        queued == 0 && counted == 0,
        "{queued} waiters queued and {counted} counted after the test"
    );
    Ok(())
}

fn wait_and_wake_race_10000_times_without_a_lost_wakeup() -> TestResult {
    // Two threads on two CPUs hand a turn back and forth through one
    // word: each waits while the word is the other's, then bumps it and
    // wakes. The bump and wake often land between the other side's read
    // and its wait: that wait must fail EAGAIN or be woken, never sleep
    // on, or the hand-over stalls.
    const HANDOVERS: u32 = 10_000;
    let s = space(1)?;
    let w = s.base;
    put(&s.mm, w, 0)?;
    let errors = Arc::new(AtomicI64::new(0));
    let mut ts = Vec::new();
    for side in 0..2u32 {
        let (mm, errors) = (s.mm.clone(), errors.clone());
        let t = kthread_run_on(
            move || loop {
                let v = get(&mm, w);
                if v >= HANDOVERS {
                    let _ = futex(&mm, w, WAKE_PRIVATE, 1, None, 0, 0, 0);
                    return 0;
                }
                if v % 2 != side {
                    match futex(&mm, w, WAIT_PRIVATE, v, None, 0, 0, 0) {
                        Ok(0) | Err(EAGAIN) => {}
                        r => {
                            errors.store(as_i64(r), Ordering::Release);
                            return 1;
                        }
                    }
                    continue;
                }
                if mm.write_u32(w, v + 1).is_err() {
                    errors.store(-1, Ordering::Release);
                    return 1;
                }
                let _ = futex(&mm, w, WAKE_PRIVATE, 1, None, 0, 0, 0);
            },
            if side == 0 {
                "futex_ping"
            } else {
                "futex_pong"
            },
            1 << (1 + side),
        )
        .map_err(|e| failed(format!("kthread_run_on: errno {}", e.0)))?;
        ts.push(t);
    }
    let done = wait_until(120_000, || {
        get(&s.mm, w) >= HANDOVERS || errors.load(Ordering::Acquire) != 0
    });
    let reached = get(&s.mm, w);
    if !done {
        // Unstick them so the test does not leave two threads asleep.
        put(&s.mm, w, HANDOVERS)?;
        let _ = futex(&s.mm, w, WAKE_PRIVATE, 2, None, 0, 0, 0);
    }
    let gone = wait_until(10_000, || {
        ts.iter()
            .all(|t| crate::pid::find_task_by_pid(t.pid()).is_none() && Arc::strong_count(t) == 1)
    });
    kassert_eq!(errors.load(Ordering::Acquire), 0);
    kassert!(
        done,
        "hand-over stalled at {reached} of {HANDOVERS}: a wake-up was lost"
    );
    kassert!(gone, "the two threads did not exit");
    no_waiter_left()
}

fn requeue_wakes_some_and_moves_the_rest() -> TestResult {
    let s = space(1)?;
    let (f1, f2) = (s.base, s.base + 64);
    put(&s.mm, f1, 0)?;
    put(&s.mm, f2, 0)?;
    let ws = [
        waiter(&s.mm, f1, WAIT_PRIVATE, 0, None, 0)?,
        waiter(&s.mm, f1, WAIT_PRIVATE, 0, None, 0)?,
        waiter(&s.mm, f1, WAIT_PRIVATE, 0, None, 0)?,
    ];
    wait_queued(&s.mm, f1, false, 3)?;
    // Wake 1, move up to 2 (val2): 3 in all.
    let op = uapi::FUTEX_REQUEUE | PRIVATE;
    kassert_eq!(futex(&s.mm, f1, op, 1, None, f2, 2, 0), Ok(3));
    kassert_eq!(futex_waiters_on(&s.mm, f1, false), 0);
    kassert_eq!(futex_waiters_on(&s.mm, f2, false), 2);
    kassert!(
        wait_until(5000, || ws.iter().filter(|w| w.result() == Some(0)).count()
            == 1),
        "the woken waiter did not return 0"
    );
    // The moved ones sleep on f2 now: a wake there returns them.
    kassert_eq!(futex(&s.mm, f1, WAKE_PRIVATE, 10, None, 0, 0, 0), Ok(0));
    kassert_eq!(futex(&s.mm, f2, WAKE_PRIVATE, 10, None, 0, 0, 0), Ok(2));
    wait_done(&ws.iter().collect::<Vec<_>>())?;
    for w in &ws {
        kassert_eq!(w.result(), Some(0));
    }
    no_waiter_left()
}

fn cmp_requeue_checks_the_word_and_its_counts() -> TestResult {
    let s = space(1)?;
    let (f1, f2) = (s.base, s.base + 4096 - 4);
    put(&s.mm, f1, 7)?;
    put(&s.mm, f2, 0)?;
    let ws = [
        waiter(&s.mm, f1, WAIT_PRIVATE, 7, None, 0)?,
        waiter(&s.mm, f1, WAIT_PRIVATE, 7, None, 0)?,
        waiter(&s.mm, f1, WAIT_PRIVATE, 7, None, 0)?,
    ];
    wait_queued(&s.mm, f1, false, 3)?;
    let op = uapi::FUTEX_CMP_REQUEUE | PRIVATE;
    // The word no longer holds val3: nothing moves.
    kassert_eq!(futex(&s.mm, f1, op, 1, None, f2, 1, 8), Err(EAGAIN));
    kassert_eq!(futex_waiters_on(&s.mm, f1, false), 3);
    // Counts are ints: a negative one is EINVAL.
    kassert_eq!(futex(&s.mm, f1, op, 0, None, f2, u32::MAX, 7), Err(EINVAL));
    kassert_eq!(futex(&s.mm, f1, op, u32::MAX, None, f2, 1, 7), Err(EINVAL));
    // Wake none, move one.
    kassert_eq!(futex(&s.mm, f1, op, 0, None, f2, 1, 7), Ok(1));
    kassert_eq!(futex_waiters_on(&s.mm, f1, false), 2);
    kassert_eq!(futex_waiters_on(&s.mm, f2, false), 1);
    // Onto itself (allowed without PI): wake 1, "move" the other in place.
    kassert_eq!(futex(&s.mm, f1, op, 1, None, f1, 10, 7), Ok(2));
    kassert_eq!(futex_waiters_on(&s.mm, f1, false), 1);
    kassert_eq!(futex(&s.mm, f2, WAKE_PRIVATE, 1, None, 0, 0, 0), Ok(1));
    kassert_eq!(futex(&s.mm, f1, WAKE_PRIVATE, 1, None, 0, 0, 0), Ok(1));
    wait_done(&ws.iter().collect::<Vec<_>>())?;
    for w in &ws {
        kassert_eq!(w.result(), Some(0));
    }
    no_waiter_left()
}

fn wake_count_0_still_wakes_one_and_bitsets_select() -> TestResult {
    let s = space(1)?;
    let w = s.base;
    put(&s.mm, w, 0)?;
    let wait_bitset = uapi::FUTEX_WAIT_BITSET | PRIVATE;
    let wake_bitset = uapi::FUTEX_WAKE_BITSET | PRIVATE;
    let a = waiter(&s.mm, w, wait_bitset, 0, None, 0b01)?;
    let b = waiter(&s.mm, w, wait_bitset, 0, None, 0b10)?;
    wait_queued(&s.mm, w, false, 2)?;
    // Only waiters whose bitset shares a bit with the waker's.
    kassert_eq!(futex(&s.mm, w, wake_bitset, 10, None, 0, 0, 0b100), Ok(0));
    kassert_eq!(futex(&s.mm, w, wake_bitset, 10, None, 0, 0, 0b10), Ok(1));
    kassert!(wait_until(5000, || b.result() == Some(0)), "b not woken");
    kassert_eq!(a.result(), None);
    // Linux's `if (++ret >= nr_wake) break`: a count of 0 wakes one.
    kassert_eq!(futex(&s.mm, w, WAKE_PRIVATE, 0, None, 0, 0, 0), Ok(1));
    wait_done(&[&a, &b])?;
    kassert_eq!(a.result(), Some(0));
    no_waiter_left()
}

fn timeouts_relative_and_absolute_on_both_clocks_give_etimedout() -> TestResult {
    let s = space(1)?;
    let w = s.base;
    put(&s.mm, w, 3)?;
    let ms20 = Timespec::from_ns(20 * MS);
    let cases: [(&str, u32, bool); 4] = [
        ("FUTEX_WAIT, relative", WAIT_PRIVATE, false),
        ("FUTEX_WAIT shared, relative", uapi::FUTEX_WAIT, false),
        (
            "FUTEX_WAIT_BITSET, absolute CLOCK_MONOTONIC",
            uapi::FUTEX_WAIT_BITSET | PRIVATE,
            true,
        ),
        (
            "FUTEX_WAIT_BITSET, absolute CLOCK_REALTIME",
            uapi::FUTEX_WAIT_BITSET | PRIVATE | uapi::FUTEX_CLOCK_REALTIME,
            true,
        ),
    ];
    for (what, op, absolute) in cases {
        let t0 = time::uptime_ns();
        // pikern's CLOCK_REALTIME reads as CLOCK_MONOTONIC does.
        let ts = if absolute {
            Timespec::from_ns(t0 + 20 * MS)
        } else {
            ms20
        };
        let r = futex(&s.mm, w, op, 3, Some(ts), 0, 0, ANY);
        let took = time::uptime_ns() - t0;
        kassert!(r == Err(ETIMEDOUT), "{what}: {r:?}, expected ETIMEDOUT");
        kassert!(
            took >= 20 * MS,
            "{what}: timed out after {} us",
            took / 1000
        );
        kassert!(took < 5000 * MS, "{what}: took {} ms", took / MS);
        kassert_eq!(futex_waiters_on(&s.mm, w, op & PRIVATE == 0), 0);
    }
    // A deadline already past: at once, but only once the word matched.
    let past = Some(Timespec::from_ns(1));
    let op = uapi::FUTEX_WAIT_BITSET | PRIVATE;
    kassert_eq!(futex(&s.mm, w, op, 3, past, 0, 0, ANY), Err(ETIMEDOUT));
    kassert_eq!(futex(&s.mm, w, op, 4, past, 0, 0, ANY), Err(EAGAIN));
    kassert_eq!(
        futex(
            &s.mm,
            w,
            WAIT_PRIVATE,
            3,
            Some(Timespec::default()),
            0,
            0,
            0
        ),
        Err(ETIMEDOUT)
    );
    // A waiter woken before its timeout returns 0, not ETIMEDOUT.
    let long = waiter(
        &s.mm,
        w,
        WAIT_PRIVATE,
        3,
        Some(Timespec::from_ns(10_000 * MS)),
        0,
    )?;
    wait_queued(&s.mm, w, false, 1)?;
    kassert_eq!(futex(&s.mm, w, WAKE_PRIVATE, 1, None, 0, 0, 0), Ok(1));
    wait_done(&[&long])?;
    kassert_eq!(long.result(), Some(0));
    no_waiter_left()
}

fn linux_errors_for_bad_words_values_and_commands() -> TestResult {
    let s = space(2)?;
    let w = s.base;
    put(&s.mm, w, 1)?;
    let mm = &s.mm;
    let shared_wait = uapi::FUTEX_WAIT;
    // The word holds something else.
    kassert_eq!(futex(mm, w, WAIT_PRIVATE, 0, None, 0, 0, 0), Err(EAGAIN));
    kassert_eq!(futex(mm, w, shared_wait, 0, None, 0, 0, 0), Err(EAGAIN));
    // Unaligned: EINVAL, before anything is read.
    kassert_eq!(
        futex(mm, w + 1, WAIT_PRIVATE, 1, None, 0, 0, 0),
        Err(EINVAL)
    );
    kassert_eq!(
        futex(mm, w + 2, WAKE_PRIVATE, 1, None, 0, 0, 0),
        Err(EINVAL)
    );
    // Bitset 0 matches nobody: EINVAL.
    let op = uapi::FUTEX_WAIT_BITSET | PRIVATE;
    kassert_eq!(futex(mm, w, op, 1, None, 0, 0, 0), Err(EINVAL));
    let op = uapi::FUTEX_WAKE_BITSET | PRIVATE;
    kassert_eq!(futex(mm, w, op, 1, None, 0, 0, 0), Err(EINVAL));
    // Nothing mapped there: a wait must read the word (EFAULT), a shared
    // key needs the page (EFAULT), a private wake needs neither (0).
    let hole = 0x10_0000;
    kassert_eq!(futex(mm, hole, WAIT_PRIVATE, 0, None, 0, 0, 0), Err(EFAULT));
    kassert_eq!(futex(mm, hole, shared_wait, 0, None, 0, 0, 0), Err(EFAULT));
    kassert_eq!(
        futex(mm, hole, uapi::FUTEX_WAKE, 1, None, 0, 0, 0),
        Err(EFAULT)
    );
    kassert_eq!(futex(mm, hole, WAKE_PRIVATE, 1, None, 0, 0, 0), Ok(0));
    // Past the end of user space: EFAULT whatever the command.
    kassert_eq!(
        futex(mm, USER_VA_END, WAKE_PRIVATE, 1, None, 0, 0, 0),
        Err(EFAULT)
    );
    kassert_eq!(
        futex(mm, USER_VA_END - 4, WAKE_PRIVATE, 1, None, 0, 0, 0),
        Ok(0)
    );
    kassert_eq!(
        futex(mm, u64::MAX - 3, WAIT_PRIVATE, 0, None, 0, 0, 0),
        Err(EFAULT)
    );
    // A read-only anonymous page: private waits read it; a shared key
    // on it is EFAULT, as in Linux.
    let ro = mm
        .mmap_anon(0, 4096, PROT_READ, false)
        .map_err(|e| failed(format!("mmap_anon: errno {}", e.0)))?;
    kassert_eq!(futex(mm, ro, WAIT_PRIVATE, 1, None, 0, 0, 0), Err(EAGAIN));
    kassert_eq!(futex(mm, ro, shared_wait, 0, None, 0, 0, 0), Err(EFAULT));
    // Bad timespecs: EINVAL from the conversion the system call makes.
    for (sec, nsec) in [(0, 1_000_000_000), (0, -1), (-1, 0)] {
        let ts = Some(Timespec {
            tv_sec: sec,
            tv_nsec: nsec,
        });
        kassert_eq!(futex(mm, w, WAIT_PRIVATE, 1, ts, 0, 0, 0), Err(EINVAL));
    }
    // FUTEX_CLOCK_REALTIME only with the absolute waits; PI commands,
    // FUTEX_FD and unknown ones: ENOSYS.
    let rt = uapi::FUTEX_CLOCK_REALTIME;
    kassert_eq!(
        futex(mm, w, WAIT_PRIVATE | rt, 1, None, 0, 0, 0),
        Err(ENOSYS)
    );
    kassert_eq!(
        futex(mm, w, WAKE_PRIVATE | rt, 1, None, 0, 0, 0),
        Err(ENOSYS)
    );
    for cmd in [
        uapi::FUTEX_FD,
        uapi::FUTEX_LOCK_PI,
        uapi::FUTEX_UNLOCK_PI,
        uapi::FUTEX_TRYLOCK_PI,
        uapi::FUTEX_WAIT_REQUEUE_PI,
        uapi::FUTEX_CMP_REQUEUE_PI,
        uapi::FUTEX_LOCK_PI2,
        14,
        127,
    ] {
        kassert!(
            futex(mm, w, cmd | PRIVATE, 1, None, 0, 0, 0) == Err(ENOSYS),
            "command {cmd} did not fail ENOSYS"
        );
    }
    // No waiters: a wake wakes nobody.
    kassert_eq!(futex(mm, w, WAKE_PRIVATE, 1, None, 0, 0, 0), Ok(0));
    kassert_eq!(futex(mm, w, uapi::FUTEX_WAKE, 1, None, 0, 0, 0), Ok(0));
    no_waiter_left()
}

fn private_and_shared_keys_are_different_futexes() -> TestResult {
    let s = space(1)?;
    let w = s.base;
    put(&s.mm, w, 0)?;
    let shared = waiter(&s.mm, w, uapi::FUTEX_WAIT, 0, None, 0)?;
    wait_queued(&s.mm, w, true, 1)?;
    kassert_eq!(futex(&s.mm, w, WAKE_PRIVATE, 1, None, 0, 0, 0), Ok(0));
    kassert_eq!(futex(&s.mm, w, uapi::FUTEX_WAKE, 1, None, 0, 0, 0), Ok(1));
    wait_done(&[&shared])?;
    kassert_eq!(shared.result(), Some(0));
    no_waiter_left()
}

fn futex_on_a_copy_on_write_page_after_fork_is_per_mm() -> TestResult {
    let s = space(1)?;
    let w = s.base;
    put(&s.mm, w, 0)?;
    let child =
        s.mm.copy_mm()
            .map_err(|e| failed(format!("copy_mm: errno {}", e.0)))?;
    for (op, shared) in [(WAIT_PRIVATE, false), (uapi::FUTEX_WAIT, true)] {
        let wake = if shared {
            uapi::FUTEX_WAKE
        } else {
            WAKE_PRIVATE
        };
        let c = waiter(&child, w, op, 0, None, 0)?;
        wait_queued(&child, w, shared, 1)?;
        kassert_eq!(futex_waiters_on(&s.mm, w, shared), 0);
        // The parent's word is another futex: its wake finds nobody.
        kassert_eq!(futex(&s.mm, w, wake, 1, None, 0, 0, 0), Ok(0));
        kassert_eq!(c.result(), None);
        kassert_eq!(futex(&child, w, wake, 1, None, 0, 0, 0), Ok(1));
        wait_done(&[&c])?;
        kassert_eq!(c.result(), Some(0));
    }
    // And another word: the parent's write does not reach the child's
    // copy, whose waiter still sleeps on 0.
    put(&s.mm, w, 5)?;
    kassert_eq!(get(&child, w), 0);
    kassert_eq!(
        futex(&child, w, WAIT_PRIVATE, 5, None, 0, 0, 0),
        Err(EAGAIN)
    );
    let c = waiter(&child, w, WAIT_PRIVATE, 0, None, 0)?;
    wait_queued(&child, w, false, 1)?;
    kassert_eq!(futex(&child, w, WAKE_PRIVATE, 1, None, 0, 0, 0), Ok(1));
    wait_done(&[&c])?;
    no_waiter_left()
}

fn wake_op_changes_the_word_as_libkernel_computes() -> TestResult {
    let s = space(4)?;
    let mm = &s.mm;
    let (f1, f2) = (s.base, s.base + 4);
    let wake_op = uapi::FUTEX_WAKE_OP | PRIVATE;
    put(mm, f1, 0)?;
    // Every operation, plain and shifted, on words around the edges: the
    // exclusive loop in arch::futex must compute what AtomicOp::apply does.
    let olds = [0u32, 1, 5, 0x7fff_ffff, 0x8000_0000, u32::MAX];
    for op in 0..5u32 {
        for shift in [0, uapi::FUTEX_OP_OPARG_SHIFT] {
            // A shift count above 31 is masked (and makes Linux's "fix
            // this program" line): one such case, not a console full.
            let opargs: &[u32] = if shift == 0 {
                &[0, 1, 4, 31, 0x7ff, 0xfff]
            } else {
                &[0, 1, 4, 31]
            };
            for &old in &olds {
                for &oparg in opargs {
                    let val3 = futex_op(op | shift, oparg, uapi::FUTEX_OP_CMP_EQ, 0);
                    let d = decode_wake_op(val3);
                    let want = AtomicOp::from_raw(op).unwrap().apply(old, d.oparg);
                    put(mm, f2, old)?;
                    kassert_eq!(futex(mm, f1, wake_op, 1, None, f2, 1, val3), Ok(0));
                    let got = get(mm, f2);
                    kassert!(
                        got == want,
                        "op {op} shift {shift} oparg {oparg:#x} on {old:#x}: {got:#x}, expected {want:#x}"
                    );
                }
            }
        }
    }
    let bad_shift = futex_op(uapi::FUTEX_OP_OPARG_SHIFT | uapi::FUTEX_OP_SET, 33, 0, 0);
    kassert_eq!(futex(mm, f1, wake_op, 1, None, f2, 1, bad_shift), Ok(0));
    kassert_eq!(get(mm, f2), 2);
    // Waiters on both words: the first is always woken, the second only
    // if the comparison of the old value holds.
    let add1_if = |cmp, arg| futex_op(uapi::FUTEX_OP_ADD, 1, cmp, arg);
    put(mm, f2, 5)?;
    let a = waiter(&s.mm, f1, WAIT_PRIVATE, 0, None, 0)?;
    let b = waiter(&s.mm, f2, WAIT_PRIVATE, 5, None, 0)?;
    wait_queued(mm, f1, false, 1)?;
    wait_queued(mm, f2, false, 1)?;
    let val3 = add1_if(uapi::FUTEX_OP_CMP_GT, 5);
    kassert_eq!(futex(mm, f1, wake_op, 1, None, f2, 1, val3), Ok(1));
    kassert_eq!(get(mm, f2), 6);
    kassert_eq!(futex_waiters_on(mm, f2, false), 1);
    let a2 = waiter(&s.mm, f1, WAIT_PRIVATE, 0, None, 0)?;
    wait_queued(mm, f1, false, 1)?;
    let val3 = add1_if(uapi::FUTEX_OP_CMP_EQ, 6);
    kassert_eq!(futex(mm, f1, wake_op, 1, None, f2, 1, val3), Ok(2));
    kassert_eq!(get(mm, f2), 7);
    wait_done(&[&a, &b, &a2])?;
    // An unknown operation leaves the word alone; an unknown comparison
    // comes after the operation: both ENOSYS.
    kassert_eq!(
        futex(mm, f1, wake_op, 1, None, f2, 1, futex_op(5, 1, 0, 0)),
        Err(ENOSYS)
    );
    kassert_eq!(get(mm, f2), 7);
    let val3 = futex_op(uapi::FUTEX_OP_ADD, 1, 6, 0);
    kassert_eq!(futex(mm, f1, wake_op, 1, None, f2, 1, val3), Err(ENOSYS));
    kassert_eq!(get(mm, f2), 8);
    // A page never touched is faulted in, and one shared copy-on-write
    // with a child is copied: the operation lands in this mm only.
    let fresh = s.base + 2 * 4096;
    let set9 = futex_op(uapi::FUTEX_OP_SET, 9, 0, 0);
    kassert_eq!(futex(mm, f1, wake_op, 1, None, fresh, 1, set9), Ok(0));
    kassert_eq!(get(mm, fresh), 9);
    let child = mm
        .copy_mm()
        .map_err(|e| failed(format!("copy_mm: errno {}", e.0)))?;
    let set3 = futex_op(uapi::FUTEX_OP_SET, 3, 0, 0);
    kassert_eq!(futex(mm, f1, wake_op, 1, None, fresh, 1, set3), Ok(0));
    kassert_eq!((get(mm, fresh), get(&child, fresh)), (3, 9));
    // A read-only or missing second word: EFAULT; a missing first word
    // of a private futex is never read.
    let ro = mm
        .mmap_anon(0, 4096, PROT_READ, false)
        .map_err(|e| failed(format!("mmap_anon: errno {}", e.0)))?;
    kassert_eq!(futex(mm, f1, wake_op, 1, None, ro, 1, set3), Err(EFAULT));
    kassert_eq!(
        futex(mm, f1, wake_op, 1, None, 0x10_0000, 1, set3),
        Err(EFAULT)
    );
    kassert_eq!(futex(mm, 0x10_0000, wake_op, 1, None, f2, 1, set3), Ok(0));
    no_waiter_left()
}

/// What `send_signal` does once `prepare_signal` let a signal through:
/// the pending bit, then a wake-up of an interruptible sleep. Kernel
/// threads ignore every signal, so the test makes the delivery itself.
fn signal_kthread(t: &Arc<Task>, sig: u32) {
    t.pending.fetch_or(1 << (sig - 1), Ordering::SeqCst);
    core::sync::atomic::fence(Ordering::SeqCst);
    crate::sched::core::try_to_wake_up(t, TASK_INTERRUPTIBLE);
}

fn signal_ends_a_wait_with_the_restart_linux_chooses() -> TestResult {
    let s = space(1)?;
    let w = s.base;
    put(&s.mm, w, 0)?;
    // The thread records its result and, for the timed wait, the restart
    // block, then drops the signal: it has no handler to run it.
    for timed in [false, true] {
        let result = Arc::new(AtomicI64::new(RUNNING));
        let block = Arc::new(crate::sync::IrqSpinLock::new(RestartBlock::None));
        let (mm, r, b) = (s.mm.clone(), result.clone(), block.clone());
        let timeout = timed.then(|| Timespec::from_ns(60_000 * MS));
        let t0 = time::uptime_ns();
        let t = kthread_run(
            move || {
                let v = futex(&mm, w, WAIT_PRIVATE, 0, timeout, 0, 0, 0);
                let me = task::current();
                *b.lock() = core::mem::take(&mut *me.restart_block.lock());
                me.pending.store(0, Ordering::SeqCst);
                r.store(as_i64(v), Ordering::Release);
                0
            },
            "futex_sig",
        )
        .map_err(|e| failed(format!("kthread_run: errno {}", e.0)))?;
        wait_queued(&s.mm, w, false, 1)?;
        signal_kthread(&t, uapi::SIGUSR1);
        let w8 = Waiter {
            task: t,
            result: result.clone(),
        };
        wait_done(&[&w8])?;
        // The interrupted waiter left its bucket.
        kassert_eq!(futex_waiters_on(&s.mm, w, false), 0);
        let got = w8.result();
        if !timed {
            // Restarted unless a handler without SA_RESTART runs.
            kassert_eq!(got, Some(ERESTARTSYS.as_neg()));
            let b = *block.lock();
            kassert!(
                matches!(b, RestartBlock::None),
                "an untimed wait set a restart block"
            );
        } else {
            // EINTR with a handler, else restart_syscall waits on until
            // the same absolute time.
            kassert_eq!(got, Some(ERESTART_RESTARTBLOCK.as_neg()));
            let b = *block.lock();
            match b {
                RestartBlock::Futex {
                    uaddr,
                    val,
                    time,
                    bitset,
                    ..
                } => {
                    kassert_eq!((uaddr, val, bitset), (w, 0, ANY));
                    kassert!(
                        time >= t0 + 60_000 * MS && time < t0 + 65_000 * MS,
                        "restart time {time} for a 60 s wait from {t0}"
                    );
                }
                other => return Err(failed(format!("restart block {other:?}, expected Futex"))),
            }
        }
    }
    // A signal already pending: the wait does not sleep at all.
    let result = Arc::new(AtomicI64::new(RUNNING));
    let (mm, r) = (s.mm.clone(), result.clone());
    let t = kthread_run(
        move || {
            let me = task::current();
            me.pending
                .fetch_or(1 << (uapi::SIGUSR1 - 1), Ordering::SeqCst);
            let v = futex(&mm, w, WAIT_PRIVATE, 0, None, 0, 0, 0);
            me.pending.store(0, Ordering::SeqCst);
            r.store(as_i64(v), Ordering::Release);
            0
        },
        "futex_sig",
    )
    .map_err(|e| failed(format!("kthread_run: errno {}", e.0)))?;
    let w9 = Waiter { task: t, result };
    wait_done(&[&w9])?;
    kassert_eq!(w9.result(), Some(ERESTARTSYS.as_neg()));
    no_waiter_left()
}

fn robust_list_marks_owner_died_and_wakes_at_exit() -> TestResult {
    let s = space(2)?;
    let mm = &s.mm;
    let me = task::current();
    let pid = me.pid() as u32;
    let list = s.base;
    // struct robust_list_head at `list`; entries are a `next` pointer
    // followed, at futex_offset 8, by the lock word.
    let e1 = list + 0x100; // held, with a waiter
    let e2 = list + 0x200; // held by another thread
    let e3 = list + 0x300; // held, no waiter
    let pending = list + 0x400; // being released: word 0, a waiter
    put64(mm, list, e1)?;
    put64(mm, list + 8, 8)?;
    put64(mm, list + 16, pending)?;
    put64(mm, e1, e2)?;
    put64(mm, e2, e3)?;
    put64(mm, e3, list)?;
    let held_waited = pid | uapi::FUTEX_WAITERS;
    put(mm, e1 + 8, held_waited)?;
    put(mm, e2 + 8, (pid + 1) & uapi::FUTEX_TID_MASK)?;
    put(mm, e3 + 8, pid)?;
    put(mm, pending + 8, 0)?;
    // glibc's robust mutexes wait on the shared key, as the kernel wakes.
    let w1 = waiter(&s.mm, e1 + 8, uapi::FUTEX_WAIT, held_waited, None, 0)?;
    let w4 = waiter(&s.mm, pending + 8, uapi::FUTEX_WAIT, 0, None, 0)?;
    wait_queued(mm, e1 + 8, true, 1)?;
    wait_queued(mm, pending + 8, true, 1)?;
    me.robust_list.store(list, Ordering::Relaxed);
    exit_robust_list(&me, mm);
    kassert_eq!(me.robust_list.load(Ordering::Relaxed), 0);
    kassert_eq!(
        get(mm, e1 + 8),
        uapi::FUTEX_WAITERS | uapi::FUTEX_OWNER_DIED
    );
    kassert_eq!(get(mm, e2 + 8), (pid + 1) & uapi::FUTEX_TID_MASK);
    kassert_eq!(get(mm, e3 + 8), uapi::FUTEX_OWNER_DIED);
    kassert_eq!(get(mm, pending + 8), 0);
    wait_done(&[&w1, &w4])?;
    kassert_eq!((w1.result(), w4.result()), (Some(0), Some(0)));
    // A circular list ends at ROBUST_LIST_LIMIT; a bad head at once.
    let e5 = list + 0x500;
    put64(mm, list, e5)?;
    put64(mm, list + 16, 0)?;
    put64(mm, e5, e5)?;
    put(mm, e5 + 8, pid)?;
    me.robust_list.store(list, Ordering::Relaxed);
    exit_robust_list(&me, mm);
    kassert_eq!(get(mm, e5 + 8), uapi::FUTEX_OWNER_DIED);
    me.robust_list.store(0x10_0000, Ordering::Relaxed);
    exit_robust_list(&me, mm);
    kassert_eq!(me.robust_list.load(Ordering::Relaxed), 0);
    no_waiter_left()
}

fn cleared_tid_wakes_a_joiner_on_either_key() -> TestResult {
    let s = space(1)?;
    let tid = s.base + 16;
    put(&s.mm, tid, 0)?;
    for op in [uapi::FUTEX_WAIT, WAIT_PRIVATE] {
        let j = waiter(&s.mm, tid, op, 0, None, 0)?;
        wait_queued(&s.mm, tid, op & PRIVATE == 0, 1)?;
        futex_wake_tid(&s.mm, tid);
        wait_done(&[&j])?;
        kassert_eq!(j.result(), Some(0));
    }
    no_waiter_left()
}

/// The futex suite.
pub const SUITE: Suite = Suite {
    name: "futex",
    cases: &[
        TestCase {
            name: "wait_and_wake_race_10000_times_without_a_lost_wakeup",
            run: wait_and_wake_race_10000_times_without_a_lost_wakeup,
        },
        TestCase {
            name: "requeue_wakes_some_and_moves_the_rest",
            run: requeue_wakes_some_and_moves_the_rest,
        },
        TestCase {
            name: "cmp_requeue_checks_the_word_and_its_counts",
            run: cmp_requeue_checks_the_word_and_its_counts,
        },
        TestCase {
            name: "wake_count_0_still_wakes_one_and_bitsets_select",
            run: wake_count_0_still_wakes_one_and_bitsets_select,
        },
        TestCase {
            name: "timeouts_relative_and_absolute_on_both_clocks_give_etimedout",
            run: timeouts_relative_and_absolute_on_both_clocks_give_etimedout,
        },
        TestCase {
            name: "linux_errors_for_bad_words_values_and_commands",
            run: linux_errors_for_bad_words_values_and_commands,
        },
        TestCase {
            name: "private_and_shared_keys_are_different_futexes",
            run: private_and_shared_keys_are_different_futexes,
        },
        TestCase {
            name: "futex_on_a_copy_on_write_page_after_fork_is_per_mm",
            run: futex_on_a_copy_on_write_page_after_fork_is_per_mm,
        },
        TestCase {
            name: "wake_op_changes_the_word_as_libkernel_computes",
            run: wake_op_changes_the_word_as_libkernel_computes,
        },
        TestCase {
            name: "signal_ends_a_wait_with_the_restart_linux_chooses",
            run: signal_ends_a_wait_with_the_restart_linux_chooses,
        },
        TestCase {
            name: "robust_list_marks_owner_died_and_wakes_at_exit",
            run: robust_list_marks_owner_died_and_wakes_at_exit,
        },
        TestCase {
            name: "cleared_tid_wakes_a_joiner_on_either_key",
            run: cleared_tid_wakes_a_joiner_on_either_key,
        },
    ],
    manual: false,
};
