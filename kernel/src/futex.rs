//! `kernel/futex/`: fast user-space locking (`futex(2)`), and the cleanup
//! of robust futexes when their owner dies.
//!
//! A futex is a 32-bit word in user memory. User space takes and releases
//! locks on it with atomics alone; the kernel is asked only to put a task
//! to sleep while the word holds a given value (`FUTEX_WAIT`) and to wake
//! sleepers (`FUTEX_WAKE`), or to move them to another word
//! (`FUTEX_CMP_REQUEUE`, for condition variables). Sleepers are kept in a
//! fixed table of hash buckets (`futex_hash_bucket`: a lock and the list
//! of waiters whose key hashes there), so unrelated futexes seldom share a
//! lock.
//!
//! No wake-up is lost (Linux's `waitwake.c` explains it at length): the
//! waiter locks its bucket, reads the word, and queues itself before
//! unlocking; the waker changes the word first, then locks the bucket to
//! find waiters. Either the waiter reads the new value and fails `EAGAIN`,
//! or it is queued by the time the waker looks. A waker skips the lock
//! when the bucket's waiter count is 0; the count is raised before the
//! waiter locks, with full barriers on both sides, so that shortcut loses
//! nothing either.
//!
//! User memory is reached as everywhere in pikern (`mm::uaccess`): a
//! software walk to the page, accessed through the linear map. Under a
//! bucket lock the walk must not fault a page in (that allocates and
//! copies), so it runs "with page faults disabled"
//! (`MmStruct::with_page_nofault`): on `EFAULT` the lock is dropped, the
//! page faulted in, and the operation retried, as Linux does. The atomic
//! operations on the word are the architecture's
//! (`arch::futex`, exclusive load/store loops).
//!
//! Every operation takes the address space explicitly: the system call
//! passes the caller's, the exit path the dying task's (already detached
//! from it), and the `futex` test suite a user address space of its own.

use crate::errno::*;
use crate::mm::uaccess::{self, copy_from_user, put_user_u64};
use crate::mm::vm::{MmStruct, USER_VA_END};
use crate::sched::core::{cond_resched, schedule};
use crate::sched::wait::schedule_timeout;
use crate::signal::{self, RestartBlock};
use crate::sync::{IrqSpinGuard, IrqSpinLock};
use crate::task::{self, set_current_state, Task, TASK_INTERRUPTIBLE, TASK_RUNNING};
use crate::time;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{fence, AtomicUsize, Ordering};
use libkernel::futex::{decode_wake_op, futex_op_cmp, AtomicOp};
use libkernel::uapi;

/// The futex may be shared with other processes: no
/// `FUTEX_PRIVATE_FLAG` (`FLAGS_SHARED`, `kernel/futex/futex.h`).
const FLAGS_SHARED: u32 = 0x01;
/// The absolute timeout is on `CLOCK_REALTIME` (`FLAGS_CLOCKRT`).
const FLAGS_CLOCKRT: u32 = 0x02;
/// A wait being restarted has a timeout (`FLAGS_HAS_TIMEOUT`).
const FLAGS_HAS_TIMEOUT: u32 = 0x04;

/// Buckets in the table: Linux sizes it at 256 per possible CPU.
const FUTEX_HASHSIZE: usize = 256 * crate::percpu::NR_CPUS;

/// What identifies a futex (`union futex_key`): the address space and the
/// word's address. Private futexes, and shared ones in anonymous memory
/// (all memory pikern has), are keyed so, as Linux keys them; `shared`
/// keeps the two apart as Linux's `FUT_OFF_MMSHARED` bit does, so a
/// `FUTEX_WAKE_PRIVATE` does not wake a shared `FUTEX_WAIT` on the same
/// word. After `fork` the child's copy of a word is another futex: its
/// address space differs. A shared futex in a file or `MAP_SHARED`
/// mapping would be keyed by the object and the offset in it (Linux: the
/// inode's sequence number and the page index), so that processes mapping
/// it meet; pikern has no such mappings yet, and `get_futex_key` is
/// where that key would be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FutexKey {
    /// The address space, by identity: it outlives its waiters, whose
    /// calls each hold a reference to it, so no other mm can take its
    /// address while they wait.
    mm: usize,
    /// The word's user address.
    address: u64,
    /// Made without `FUTEX_PRIVATE_FLAG`.
    shared: bool,
}

/// A waiter (`struct futex_q`): on the waiter's side, while it waits.
struct FutexQ {
    /// The waiting task.
    task: Arc<Task>,
    /// Wake-ups it accepts (`FUTEX_WAIT_BITSET`; all bits otherwise).
    bitset: u32,
    /// The bucket whose list holds it, plus one; [`UNQUEUED`] once a waker
    /// took it off (`lock_ptr`). Changed only under that bucket's lock
    /// (a requeue holds both); the waiter reads it without, to learn it
    /// was woken.
    lock_ptr: AtomicUsize,
}

/// [`FutexQ::lock_ptr`] of a waiter on no list (`lock_ptr == NULL`).
const UNQUEUED: usize = 0;

/// An entry of a bucket's list: the futex the waiter waits on (a requeue
/// changes it) and the waiter.
struct Queued {
    key: FutexKey,
    q: Arc<FutexQ>,
}

/// One bucket (`struct futex_hash_bucket`).
struct FutexHashBucket {
    /// Waiters queued plus those about to queue (`waiters`): a waker that
    /// reads 0 knows nobody waits without taking the lock.
    waiters: AtomicUsize,
    /// The waiters, oldest first (Linux's `plist` keeps FIFO order among
    /// tasks of one priority, and pikern has no real-time priorities).
    chain: IrqSpinLock<Vec<Queued>>,
}

impl FutexHashBucket {
    const fn new() -> Self {
        FutexHashBucket {
            waiters: AtomicUsize::new(0),
            chain: IrqSpinLock::named(&"&hb->lock", Vec::new()),
        }
    }
}

/// The table (`futex_queues`).
static FUTEX_QUEUES: [FutexHashBucket; FUTEX_HASHSIZE] =
    [const { FutexHashBucket::new() }; FUTEX_HASHSIZE];

/// A locked bucket's list.
type Chain = IrqSpinGuard<'static, Vec<Queued>>;

/// The bucket of `key` (`futex_hash`).
fn futex_hash(key: &FutexKey) -> usize {
    libkernel::futex::futex_hash(key.mm as u64, key.address, key.shared, FUTEX_HASHSIZE)
}

/// Tasks to wake once the bucket locks are released (`wake_q`): the
/// woken waiter then finds its bucket free, and a waiter's last
/// reference to its task is never dropped under a spin lock.
#[derive(Default)]
struct WakeQ(Vec<Arc<FutexQ>>);

impl WakeQ {
    /// Wakes them all (`wake_up_q`).
    fn wake_up(self) {
        for q in self.0 {
            crate::sched::wake_up_process(&q.task);
        }
    }
}

/// An emptied list gives its buffer back, so the heap returns to its
/// baseline once nobody waits (the leak checks compare it).
fn release_if_empty(chain: &mut Vec<Queued>) {
    if chain.is_empty() && chain.capacity() != 0 {
        *chain = Vec::new();
    }
}

/// Counts a waiter-to-be, then locks its bucket (`futex_q_lock`). The
/// count goes up first, with a full barrier (Linux's (A)): a waker that
/// changed the word and then reads a count of 0 knows this waiter will
/// read the new value.
fn futex_q_lock(hb: usize) -> Chain {
    FUTEX_QUEUES[hb].waiters.fetch_add(1, Ordering::SeqCst);
    FUTEX_QUEUES[hb].chain.lock()
}

/// Unlocks a bucket the waiter did not queue on (`futex_q_unlock`).
fn futex_q_unlock(hb: usize, chain: Chain) {
    drop(chain);
    FUTEX_QUEUES[hb].waiters.fetch_sub(1, Ordering::SeqCst);
}

/// Whether anybody waits, or is about to, in bucket `hb`
/// (`futex_hb_waiters_pending`). The barrier (Linux's (B)) orders the
/// caller's change of the word before the read of the count.
fn futex_hb_waiters_pending(hb: usize) -> bool {
    fence(Ordering::SeqCst);
    FUTEX_QUEUES[hb].waiters.load(Ordering::SeqCst) != 0
}

/// Takes entry `e`, just removed from bucket `hb`'s list, as woken
/// (`futex_wake_mark`): the store to `lock_ptr` is the waiter's sign that
/// it was woken, and may return from then on.
fn futex_wake_mark(hb: usize, e: Queued, wake_q: &mut WakeQ) {
    FUTEX_QUEUES[hb].waiters.fetch_sub(1, Ordering::Relaxed);
    e.q.lock_ptr.store(UNQUEUED, Ordering::Release);
    wake_q.0.push(e.q);
}

/// The key of the futex at `uaddr` (`get_futex_key`): `EINVAL` for an
/// unaligned word, `EFAULT` for one outside user space (`access_ok`).
/// A private futex needs nothing more (its page is read later). A shared
/// one is looked up through its page, as Linux does with
/// `get_user_pages_fast` for writing, which faults it in and breaks
/// copy-on-write: for an anonymous page the key is then the mm and the
/// address, and a page that cannot be written is `EFAULT` (Linux: "a RO
/// anonymous page will never change and thus doesn't make sense for futex
/// operations"). A file-backed page would give an object-based key here.
fn get_futex_key(mm: &MmStruct, uaddr: u64, flags: u32) -> Result<FutexKey, Errno> {
    if !uaddr.is_multiple_of(4) {
        return Err(EINVAL);
    }
    if uaddr.checked_add(4).is_none_or(|end| end > USER_VA_END) {
        return Err(EFAULT);
    }
    let shared = flags & FLAGS_SHARED != 0;
    if shared {
        uaccess::fault_in_user_writeable(mm, uaddr)?;
    }
    Ok(FutexKey {
        mm: mm as *const MmStruct as usize,
        address: uaddr,
        shared,
    })
}

/// One more turn of a retry loop (a word that could not be read or
/// changed under the bucket lock, faulted in, tried again): a task being
/// killed stops retrying (`EINTR`: a retry loop must never make a task
/// unkillable), and a loop that keeps failing is named on the console
/// (rate limited), since on Linux each turn makes progress. A worker of
/// the fuzz soak once stayed in a futex call with SIGKILL pending.
fn retry(tries: &mut u32, what: &str, uaddr: u64) -> Result<(), Errno> {
    *tries += 1;
    if task::with_current(crate::signal::kill_pending) {
        return Err(EINTR);
    }
    if tries.is_multiple_of(10_000) {
        static LIMIT: crate::printk::RateLimit = crate::printk::RateLimit::new();
        if LIMIT.allow() {
            println!(
                "futex: {what} at {uaddr:#x} by {}[{}] retried {} times",
                task::with_current(|t| t.comm()),
                task::current_pid(),
                tries
            );
        }
    }
    cond_resched();
    Ok(())
}

/// Reads the word, faulting its page in (`get_user`): with no lock held.
fn get_user_u32(mm: &MmStruct, uaddr: u64) -> Result<u32, Errno> {
    let mut b = [0u8; 4];
    uaccess::copy_from_mm(mm, &mut b, uaddr)?;
    Ok(u32::from_le_bytes(b))
}

/// Reads a user `u64` of `mm` (a robust-list pointer or offset).
fn get_user_u64(mm: &MmStruct, uaddr: u64) -> Result<u64, Errno> {
    let mut b = [0u8; 8];
    uaccess::copy_from_mm(mm, &mut b, uaddr)?;
    Ok(u64::from_le_bytes(b))
}

/// Locks the bucket of `uaddr` with the word holding `val`
/// (`futex_wait_setup`): returns the key, the bucket and its locked list;
/// `EAGAIN` if the word holds something else. The word is read under the
/// lock without faulting; if its page is missing, the lock is dropped,
/// the page faulted in, and everything done again.
fn futex_wait_setup(
    mm: &MmStruct,
    uaddr: u64,
    val: u32,
    flags: u32,
) -> Result<(FutexKey, usize, Chain), Errno> {
    let mut tries = 0;
    loop {
        let key = get_futex_key(mm, uaddr, flags)?;
        let hb = futex_hash(&key);
        let chain = futex_q_lock(hb);
        match uaccess::get_user_u32_nofault(mm, uaddr) {
            Ok(uval) if uval == val => return Ok((key, hb, chain)),
            Ok(_) => {
                futex_q_unlock(hb, chain);
                return Err(EAGAIN);
            }
            Err(_) => {
                futex_q_unlock(hb, chain);
                get_user_u32(mm, uaddr)?;
                retry(&mut tries, "wait", uaddr)?;
            }
        }
    }
}

/// Queues `q` on the locked bucket, unlocks it and sleeps until woken,
/// `abs_time` (monotonic ns) or a signal (`futex_queue` and
/// `futex_wait_queue`). The task is `TASK_INTERRUPTIBLE` before it is
/// visible to wakers, so a wake-up between the unlock and `schedule()`
/// makes it runnable again and is not lost.
fn futex_wait_queue(
    hb: usize,
    mut chain: Chain,
    key: FutexKey,
    q: &Arc<FutexQ>,
    abs_time: Option<u64>,
) {
    set_current_state(TASK_INTERRUPTIBLE);
    q.lock_ptr.store(hb + 1, Ordering::Relaxed);
    chain.push(Queued { key, q: q.clone() });
    // The count futex_q_lock raised stays: it now counts this waiter.
    drop(chain);
    // Woken already, or a signal came before the state was set (schedule
    // does not check for one): do not sleep.
    if q.lock_ptr.load(Ordering::Acquire) != UNQUEUED && !signal::signal_pending() {
        match abs_time {
            None => schedule(),
            Some(t) => {
                let now = time::uptime_ns();
                if now < t {
                    schedule_timeout(t - now);
                }
            }
        }
    }
    set_current_state(TASK_RUNNING);
}

/// Takes `q` off its bucket if a waker has not (`futex_unqueue`); true if
/// it was still queued (a timeout, a signal or a spurious wake-up ended
/// the sleep), false if it was woken. A requeue may move it meanwhile:
/// `lock_ptr` is read again under the lock, and the walk repeated if it
/// changed.
fn futex_unqueue(q: &Arc<FutexQ>) -> bool {
    loop {
        let lp = q.lock_ptr.load(Ordering::Acquire);
        if lp == UNQUEUED {
            return false;
        }
        let hb = lp - 1;
        let mut chain = FUTEX_QUEUES[hb].chain.lock();
        if q.lock_ptr.load(Ordering::Relaxed) != lp {
            continue;
        }
        let mine = chain
            .iter()
            .position(|e| Arc::ptr_eq(&e.q, q))
            .map(|i| chain.remove(i));
        release_if_empty(&mut chain);
        FUTEX_QUEUES[hb].waiters.fetch_sub(1, Ordering::Relaxed);
        q.lock_ptr.store(UNQUEUED, Ordering::Relaxed);
        drop(chain);
        debug_assert!(mine.is_some(), "futex_q not on the list lock_ptr names");
        return true;
    }
}

/// `FUTEX_WAIT`'s loop (`__futex_wait`): 0 when woken, `EAGAIN` if the
/// word changed, `ETIMEDOUT`, or `ERESTARTSYS` for a signal. A wake-up
/// with none of these (a stale wake-up meant for an earlier sleep) waits
/// again, checking the word again.
fn __futex_wait(
    mm: &MmStruct,
    uaddr: u64,
    flags: u32,
    val: u32,
    abs_time: Option<u64>,
    bitset: u32,
) -> SysResult {
    if bitset == 0 {
        return Err(EINVAL);
    }
    let q = Arc::new(FutexQ {
        task: task::current(),
        bitset,
        lock_ptr: AtomicUsize::new(UNQUEUED),
    });
    loop {
        let (key, hb, chain) = futex_wait_setup(mm, uaddr, val, flags)?;
        futex_wait_queue(hb, chain, key, &q, abs_time);
        if !futex_unqueue(&q) {
            return Ok(0);
        }
        if abs_time.is_some_and(|t| time::uptime_ns() >= t) {
            return Err(ETIMEDOUT);
        }
        if signal::signal_pending() {
            return Err(ERESTARTSYS);
        }
    }
}

/// Sleeps while the word at `uaddr` holds `val` (`futex_wait`), until
/// woken by a waker whose bitset shares a bit with `bitset`, until
/// `abs_time` (monotonic ns), or until a signal. Interrupted without a
/// timeout it is restarted unless a handler without `SA_RESTART` runs
/// (`ERESTARTSYS`); with one, a handler always makes it `EINTR`, and
/// otherwise `restart_syscall` goes on waiting until the same time.
#[inline(never)]
#[no_mangle]
pub fn futex_wait(
    mm: &MmStruct,
    uaddr: u64,
    flags: u32,
    val: u32,
    abs_time: Option<u64>,
    bitset: u32,
) -> SysResult {
    let r = __futex_wait(mm, uaddr, flags, val, abs_time, bitset);
    match (r, abs_time) {
        (Err(e), Some(time)) if e == ERESTARTSYS => {
            *task::current().restart_block.lock() = RestartBlock::Futex {
                uaddr,
                val,
                time,
                bitset,
                flags: flags | FLAGS_HAS_TIMEOUT,
            };
            Err(ERESTART_RESTARTBLOCK)
        }
        _ => r,
    }
}

/// `restart_syscall` of an interrupted timed wait (`futex_wait_restart`).
pub fn futex_wait_restart(uaddr: u64, val: u32, time: u64, bitset: u32, flags: u32) -> SysResult {
    let mm = current_mm()?;
    let abs_time = (flags & FLAGS_HAS_TIMEOUT != 0).then_some(time);
    futex_wait(&mm, uaddr, flags, val, abs_time, bitset)
}

/// Wakes the waiters of bucket list `chain` (bucket `hb`) on `key` whose
/// bitset shares a bit with `bitset`: up to `nr_wake`, but always one if
/// any matches (Linux's `if (++ret >= nr_wake) break`: a count of 0 wakes
/// one). Returns how many.
fn wake_matching(
    hb: usize,
    chain: &mut Vec<Queued>,
    key: &FutexKey,
    nr_wake: i32,
    bitset: u32,
    wake_q: &mut WakeQ,
) -> i64 {
    let mut woken = 0i64;
    let mut i = 0;
    while i < chain.len() {
        if chain[i].key == *key && chain[i].q.bitset & bitset != 0 {
            let e = chain.remove(i);
            futex_wake_mark(hb, e, wake_q);
            woken += 1;
            if woken >= nr_wake as i64 {
                break;
            }
        } else {
            i += 1;
        }
    }
    release_if_empty(chain);
    woken
}

/// Wakes up to `nr_wake` waiters on `uaddr` whose bitset shares a bit
/// with `bitset` (`futex_wake`); returns how many.
#[inline(never)]
#[no_mangle]
pub fn futex_wake(mm: &MmStruct, uaddr: u64, flags: u32, nr_wake: i32, bitset: u32) -> SysResult {
    if bitset == 0 {
        return Err(EINVAL);
    }
    let key = get_futex_key(mm, uaddr, flags)?;
    let hb = futex_hash(&key);
    if !futex_hb_waiters_pending(hb) {
        return Ok(0);
    }
    let mut wake_q = WakeQ::default();
    let mut chain = FUTEX_QUEUES[hb].chain.lock();
    let woken = wake_matching(hb, &mut chain, &key, nr_wake, bitset, &mut wake_q);
    drop(chain);
    wake_q.wake_up();
    Ok(woken)
}

/// Two buckets locked (`double_lock_hb`): the lower-numbered first, so two
/// tasks locking one pair cannot deadlock; one lock if they are the same.
enum DoubleLock {
    One(Chain),
    /// The lock taken second, then the first: fields drop in order, and
    /// each guard restores the IRQ state it found, so the second must be
    /// released first. The flag says whether the first argument's bucket
    /// is the one locked second.
    Two(Chain, Chain, bool),
}

fn double_lock_hb(hb1: usize, hb2: usize) -> DoubleLock {
    if hb1 == hb2 {
        return DoubleLock::One(FUTEX_QUEUES[hb1].chain.lock());
    }
    let first = FUTEX_QUEUES[hb1.min(hb2)].chain.lock();
    let second = FUTEX_QUEUES[hb1.max(hb2)].chain.lock_nested(1);
    DoubleLock::Two(second, first, hb1 > hb2)
}

impl DoubleLock {
    /// The first argument's bucket list, and the second's if it is
    /// another one.
    fn chains(&mut self) -> (&mut Vec<Queued>, Option<&mut Vec<Queued>>) {
        match self {
            DoubleLock::One(a) => (&mut **a, None),
            DoubleLock::Two(second, first, false) => (&mut **first, Some(&mut **second)),
            DoubleLock::Two(second, first, true) => (&mut **second, Some(&mut **first)),
        }
    }
}

/// Wakes `nr_wake` waiters on `key1` and moves up to `nr_requeue` more to
/// `key2`, with both buckets locked (the loop of `futex_requeue`);
/// returns how many were woken or moved. A moved waiter sleeps on as a
/// waiter of `key2`: its `lock_ptr` names its new bucket, and the bucket
/// counts follow it (`requeue_futex`).
#[allow(clippy::too_many_arguments)]
fn requeue_locked(
    locks: &mut DoubleLock,
    hb1: usize,
    hb2: usize,
    key1: &FutexKey,
    key2: &FutexKey,
    nr_wake: i32,
    nr_requeue: i32,
    wake_q: &mut WakeQ,
) -> i64 {
    let (nr_wake, nr_requeue) = (nr_wake as i64, nr_requeue as i64);
    let (c1, mut c2) = locks.chains();
    let mut task_count = 0i64;
    let mut i = 0;
    while i < c1.len() {
        if task_count - nr_wake >= nr_requeue {
            break;
        }
        if c1[i].key != *key1 {
            i += 1;
            continue;
        }
        task_count += 1;
        if task_count <= nr_wake {
            let e = c1.remove(i);
            futex_wake_mark(hb1, e, wake_q);
            continue;
        }
        match c2.as_deref_mut() {
            None => {
                c1[i].key = *key2;
                i += 1;
            }
            Some(c2) => {
                let mut e = c1.remove(i);
                FUTEX_QUEUES[hb1].waiters.fetch_sub(1, Ordering::Relaxed);
                FUTEX_QUEUES[hb2].waiters.fetch_add(1, Ordering::Relaxed);
                e.key = *key2;
                e.q.lock_ptr.store(hb2 + 1, Ordering::Release);
                c2.push(e);
            }
        }
    }
    release_if_empty(c1);
    task_count
}

/// `FUTEX_REQUEUE` and, with `cmpval`, `FUTEX_CMP_REQUEUE`
/// (`futex_requeue`): if the first word still holds `cmpval` (else
/// `EAGAIN`), wakes `nr_wake` of its waiters and moves up to `nr_requeue`
/// others to the second word. The second bucket's count is raised first,
/// so a waker there does not skip it while waiters arrive.
#[allow(clippy::too_many_arguments)]
fn futex_requeue(
    mm: &MmStruct,
    uaddr1: u64,
    flags: u32,
    uaddr2: u64,
    nr_wake: i32,
    nr_requeue: i32,
    cmpval: Option<u32>,
) -> SysResult {
    if nr_wake < 0 || nr_requeue < 0 {
        return Err(EINVAL);
    }
    let mut tries = 0;
    loop {
        let key1 = get_futex_key(mm, uaddr1, flags)?;
        let key2 = get_futex_key(mm, uaddr2, flags)?;
        let (hb1, hb2) = (futex_hash(&key1), futex_hash(&key2));
        FUTEX_QUEUES[hb2].waiters.fetch_add(1, Ordering::SeqCst);
        let mut locks = double_lock_hb(hb1, hb2);
        let done = |locks: DoubleLock| {
            drop(locks);
            FUTEX_QUEUES[hb2].waiters.fetch_sub(1, Ordering::SeqCst);
        };
        if let Some(cmpval) = cmpval {
            match uaccess::get_user_u32_nofault(mm, uaddr1) {
                Ok(curval) if curval != cmpval => {
                    done(locks);
                    return Err(EAGAIN);
                }
                Ok(_) => {}
                Err(_) => {
                    done(locks);
                    get_user_u32(mm, uaddr1)?;
                    retry(&mut tries, "cmp_requeue", uaddr1)?;
                    continue;
                }
            }
        }
        let mut wake_q = WakeQ::default();
        let n = requeue_locked(
            &mut locks,
            hb1,
            hb2,
            &key1,
            &key2,
            nr_wake,
            nr_requeue,
            &mut wake_q,
        );
        done(locks);
        wake_q.wake_up();
        return Ok(n);
    }
}

/// Applies `FUTEX_WAKE_OP`'s encoded operation to the word at `uaddr` and
/// returns its comparison of the old value (`futex_atomic_op_inuser`),
/// without faulting: `EFAULT` or `EAGAIN` ask the caller to unlock, fix
/// and retry. `ENOSYS` for an unknown operation (the word untouched) or
/// comparison (after the operation, as in Linux).
fn futex_atomic_op_inuser(encoded: u32, mm: &MmStruct, uaddr: u64) -> Result<bool, Errno> {
    let d = decode_wake_op(encoded);
    if let Some(shift) = d.bad_shift {
        static LIMIT: crate::printk::RateLimit = crate::printk::RateLimit::new();
        if LIMIT.allow() {
            println!(
                "futex_wake_op: {} tries to shift op by {shift}; fix this program",
                task::current().comm()
            );
        }
    }
    let op = AtomicOp::from_raw(d.op).ok_or(ENOSYS)?;
    let oldval = uaccess::futex_atomic_op_inuser(mm, uaddr, op, d.oparg)?;
    futex_op_cmp(d.cmp, oldval, d.cmparg).ok_or(ENOSYS)
}

/// `FUTEX_WAKE_OP` (`futex_wake_op`): with both buckets locked, changes
/// the second word atomically, wakes up to `nr_wake` waiters on the first
/// and, if the comparison of the second word's old value holds, up to
/// `nr_wake2` on the second (what a condition variable's signal with its
/// mutex released needed, in one call).
fn futex_wake_op(
    mm: &MmStruct,
    uaddr1: u64,
    flags: u32,
    uaddr2: u64,
    nr_wake: i32,
    nr_wake2: i32,
    encoded: u32,
) -> SysResult {
    let mut tries = 0;
    loop {
        let key1 = get_futex_key(mm, uaddr1, flags)?;
        let key2 = get_futex_key(mm, uaddr2, flags)?;
        let (hb1, hb2) = (futex_hash(&key1), futex_hash(&key2));
        let mut locks = double_lock_hb(hb1, hb2);
        let cond = match futex_atomic_op_inuser(encoded, mm, uaddr2) {
            Ok(cond) => cond,
            Err(e) => {
                drop(locks);
                if e == EFAULT {
                    uaccess::fault_in_user_writeable(mm, uaddr2)?;
                } else if e != EAGAIN {
                    return Err(e);
                }
                retry(&mut tries, "wake_op", uaddr2)?;
                continue;
            }
        };
        let mut wake_q = WakeQ::default();
        let (c1, c2) = locks.chains();
        let any = uapi::FUTEX_BITSET_MATCH_ANY;
        let mut ret = wake_matching(hb1, c1, &key1, nr_wake, any, &mut wake_q);
        if cond {
            let c2 = c2.unwrap_or(c1);
            ret += wake_matching(hb2, c2, &key2, nr_wake2, any, &mut wake_q);
        }
        drop(locks);
        wake_q.wake_up();
        return Ok(ret);
    }
}

/// The futex operations (`do_futex`): `op`'s command and flags, `val`,
/// the absolute timeout in monotonic ns (from [`futex_init_timeout`]),
/// `uaddr2`, `val2` (the timeout argument's low 32 bits, a count for the
/// requeue and wake-op commands) and `val3`, in address space `mm`.
/// The priority-inheritance commands fail `ENOSYS`, as on a Linux built
/// without `CONFIG_FUTEX_PI`.
#[inline(never)]
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub fn do_futex(
    mm: &MmStruct,
    uaddr: u64,
    op: u32,
    val: u32,
    timeout: Option<u64>,
    uaddr2: u64,
    val2: u32,
    val3: u32,
) -> SysResult {
    let cmd = op & uapi::FUTEX_CMD_MASK;
    let mut flags = 0;
    if op & uapi::FUTEX_PRIVATE_FLAG == 0 {
        flags |= FLAGS_SHARED;
    }
    if op & uapi::FUTEX_CLOCK_REALTIME != 0 {
        flags |= FLAGS_CLOCKRT;
        if !matches!(
            cmd,
            uapi::FUTEX_WAIT_BITSET | uapi::FUTEX_WAIT_REQUEUE_PI | uapi::FUTEX_LOCK_PI2
        ) {
            return Err(ENOSYS);
        }
    }
    let any = uapi::FUTEX_BITSET_MATCH_ANY;
    match cmd {
        uapi::FUTEX_WAIT => futex_wait(mm, uaddr, flags, val, timeout, any),
        uapi::FUTEX_WAIT_BITSET => futex_wait(mm, uaddr, flags, val, timeout, val3),
        uapi::FUTEX_WAKE => futex_wake(mm, uaddr, flags, val as i32, any),
        uapi::FUTEX_WAKE_BITSET => futex_wake(mm, uaddr, flags, val as i32, val3),
        uapi::FUTEX_REQUEUE => {
            futex_requeue(mm, uaddr, flags, uaddr2, val as i32, val2 as i32, None)
        }
        uapi::FUTEX_CMP_REQUEUE => futex_requeue(
            mm,
            uaddr,
            flags,
            uaddr2,
            val as i32,
            val2 as i32,
            Some(val3),
        ),
        uapi::FUTEX_WAKE_OP => {
            futex_wake_op(mm, uaddr, flags, uaddr2, val as i32, val2 as i32, val3)
        }
        _ => Err(ENOSYS),
    }
}

/// The commands whose fourth argument is a timeout
/// (`futex_cmd_has_timeout`); for the others it is `val2`.
fn futex_cmd_has_timeout(cmd: u32) -> bool {
    matches!(
        cmd,
        uapi::FUTEX_WAIT
            | uapi::FUTEX_LOCK_PI
            | uapi::FUTEX_LOCK_PI2
            | uapi::FUTEX_WAIT_BITSET
            | uapi::FUTEX_WAIT_REQUEUE_PI
    )
}

/// The absolute timeout, in monotonic ns, of a `timespec` given to `op`
/// (`futex_init_timeout`): `FUTEX_WAIT`'s is relative to now; the others'
/// are absolute, on `CLOCK_MONOTONIC` or, with `FUTEX_CLOCK_REALTIME`,
/// `CLOCK_REALTIME`, which in pikern counts from boot as the monotonic
/// clock does (`time::posix_timers`), so both are the same deadline.
/// `EINVAL` for a negative or non-normalised `timespec`.
pub fn futex_init_timeout(op: u32, ts: &uapi::Timespec) -> Result<u64, Errno> {
    if !ts.is_valid() {
        return Err(EINVAL);
    }
    let t = ts.as_ns();
    if op & uapi::FUTEX_CMD_MASK == uapi::FUTEX_WAIT {
        Ok(time::uptime_ns().saturating_add(t))
    } else {
        Ok(t)
    }
}

/// The calling task's address space.
fn current_mm() -> Result<Arc<MmStruct>, Errno> {
    let me = task::current();
    let mm = me.mm.lock().clone();
    mm.ok_or(EFAULT)
}

/// `futex(uaddr, op, val, utime, uaddr2, val3)`.
pub fn sys_futex(uaddr: u64, op: u32, val: u32, utime: u64, uaddr2: u64, val3: u32) -> SysResult {
    let mut timeout = None;
    if utime != 0 && futex_cmd_has_timeout(op & uapi::FUTEX_CMD_MASK) {
        let mut b = [0u8; 16];
        copy_from_user(&mut b, utime)?;
        timeout = Some(futex_init_timeout(op, &uapi::Timespec::from_bytes(&b))?);
    }
    let mm = current_mm()?;
    do_futex(&mm, uaddr, op, val, timeout, uaddr2, utime as u32, val3)
}

/// `set_robust_list(head, len)`: records the task's list of robust locks,
/// walked when it exits (`len` must be the one size Linux knows).
pub fn sys_set_robust_list(head: u64, len: u64) -> SysResult {
    if len != uapi::ROBUST_LIST_HEAD_SIZE {
        return Err(EINVAL);
    }
    task::with_current(|t| t.robust_list.store(head, Ordering::Relaxed));
    Ok(0)
}

/// `get_robust_list(pid, head_ptr, len_ptr)`: the list head of task `pid`
/// (0: the caller), `ESRCH` if there is none. Linux also asks
/// `ptrace_may_access` (`EPERM`); pikern's processes all run as root.
pub fn sys_get_robust_list(pid: task::Pid, head_ptr: u64, len_ptr: u64) -> SysResult {
    let p = if pid == 0 {
        task::current()
    } else {
        crate::pid::find_task_by_pid(pid).ok_or(ESRCH)?
    };
    let head = p.robust_list.load(Ordering::Relaxed);
    put_user_u64(len_ptr, uapi::ROBUST_LIST_HEAD_SIZE)?;
    put_user_u64(head_ptr, head)?;
    Ok(0)
}

/// One robust-list entry of dying task `tsk` (`handle_futex_death`):
/// if the lock word at `uaddr` names `tsk` as its owner, marks it
/// `FUTEX_OWNER_DIED` (clearing the owner, keeping `FUTEX_WAITERS`) with a
/// compare-and-exchange, and wakes a waiter if there were any, which then
/// recovers the lock. A pending entry (the lock being taken or released)
/// whose word is 0 gets a wake-up alone: its holder released it, or a
/// woken waiter died before taking it. `Err` ends the walk: the list is
/// not to be trusted.
fn handle_futex_death(
    mm: &MmStruct,
    uaddr: u64,
    tsk: &Task,
    pi: bool,
    pending_op: bool,
) -> Result<(), ()> {
    let any = uapi::FUTEX_BITSET_MATCH_ANY;
    if !uaddr.is_multiple_of(4) {
        return Err(());
    }
    // Bounded: the task is exiting (SIGKILL may well be pending), and a
    // word other threads keep changing must not keep it from dying.
    for _ in 0..ROBUST_DEATH_TRIES {
        let uval = get_user_u32(mm, uaddr).map_err(|_| ())?;
        if pending_op && !pi && uval == 0 {
            let _ = futex_wake(mm, uaddr, FLAGS_SHARED, 1, any);
            return Ok(());
        }
        if uval & uapi::FUTEX_TID_MASK != tsk.pid() as u32 {
            return Ok(());
        }
        let mval = (uval & uapi::FUTEX_WAITERS) | uapi::FUTEX_OWNER_DIED;
        match uaccess::futex_atomic_cmpxchg_inatomic(mm, uaddr, uval, mval) {
            Ok(nval) if nval == uval => {}
            // Changed under us: look again.
            Ok(_) => continue,
            Err(e) if e == EFAULT => {
                uaccess::fault_in_user_writeable(mm, uaddr).map_err(|_| ())?;
                continue;
            }
            Err(_) => {
                cond_resched();
                continue;
            }
        }
        // PI futexes are woken by their PI state; pikern has none.
        if !pi && uval & uapi::FUTEX_WAITERS != 0 {
            let _ = futex_wake(mm, uaddr, FLAGS_SHARED, 1, any);
        }
        return Ok(());
    }
    Err(())
}

/// Turns [`handle_futex_death`] gives a word that keeps changing.
const ROBUST_DEATH_TRIES: u32 = 10_000;

/// A robust-list pointer at `uaddr`: the entry, and its bit 0, which
/// marks a PI futex (`fetch_robust_entry`).
fn fetch_robust_entry(mm: &MmStruct, uaddr: u64) -> Result<(u64, bool), Errno> {
    let v = get_user_u64(mm, uaddr)?;
    Ok((v & !1, v & 1 != 0))
}

/// Walks the robust-futex list of task `tsk`, which is exiting or
/// exec'ing, in its address space `mm` (`exit_robust_list`), then forgets
/// it. It is user memory and may be garbage: any fault ends the walk
/// silently, and at most `ROBUST_LIST_LIMIT` entries are visited, so a
/// circular list ends too. The entry being added or removed
/// (`list_op_pending`) is handled last, once, even if it is on the list.
pub fn exit_robust_list(tsk: &Task, mm: &MmStruct) {
    // Only the task itself registers a list, and it is exiting or
    // exec'ing here: a plain load and store (no atomic exchange on every
    // exit of a process that never registered one).
    let head = tsk.robust_list.load(Ordering::Relaxed);
    if head == 0 {
        return;
    }
    tsk.robust_list.store(0, Ordering::Relaxed);
    let Ok((mut entry, mut pi)) = fetch_robust_entry(mm, head) else {
        return;
    };
    let Ok(futex_offset) = get_user_u64(mm, head + uapi::ROBUST_LIST_FUTEX_OFFSET) else {
        return;
    };
    let Ok((pending, pip)) = fetch_robust_entry(mm, head + uapi::ROBUST_LIST_OP_PENDING) else {
        return;
    };
    let mut limit = uapi::ROBUST_LIST_LIMIT;
    while entry != head {
        // The next entry is read before this one's lock is released to a
        // waiter, which may reuse the memory.
        let next = fetch_robust_entry(mm, entry);
        if entry != pending
            && handle_futex_death(mm, entry.wrapping_add(futex_offset), tsk, pi, false).is_err()
        {
            return;
        }
        let Ok((next_entry, next_pi)) = next else {
            return;
        };
        entry = next_entry;
        pi = next_pi;
        limit -= 1;
        if limit == 0 {
            break;
        }
        cond_resched();
    }
    if pending != 0 {
        let _ = handle_futex_death(mm, pending.wrapping_add(futex_offset), tsk, pip, true);
    }
}

/// Wakes one waiter on the tid word `CLONE_CHILD_CLEARTID` named, just
/// cleared by the exiting task (`mm_release`). Linux's wake is shared (no
/// `FUTEX_PRIVATE_FLAG`), the key glibc's `pthread_join` waits on; a
/// joiner waiting on the private key instead, which Linux would leave
/// asleep, is woken if no shared waiter was.
pub fn futex_wake_tid(mm: &MmStruct, uaddr: u64) {
    let any = uapi::FUTEX_BITSET_MATCH_ANY;
    if futex_wake(mm, uaddr, FLAGS_SHARED, 1, any) == Ok(0) {
        let _ = futex_wake(mm, uaddr, 0, 1, any);
    }
}

/// Waiters queued on the futex at `uaddr` of `mm` (private or shared
/// key): what the `futex` test suite checks a timed-out, interrupted,
/// woken or requeued waiter against.
pub fn futex_waiters_on(mm: &MmStruct, uaddr: u64, shared: bool) -> usize {
    let key = FutexKey {
        mm: mm as *const MmStruct as usize,
        address: uaddr,
        shared,
    };
    FUTEX_QUEUES[futex_hash(&key)]
        .chain
        .lock()
        .iter()
        .filter(|e| e.key == key)
        .count()
}

/// Waiters queued in the whole table, and the sum of the bucket counts
/// (which also count waiters about to queue): both 0 when nobody waits.
pub fn futex_waiters_total() -> (usize, usize) {
    FUTEX_QUEUES.iter().fold((0, 0), |(q, c), hb| {
        (
            q + hb.chain.lock().len(),
            c + hb.waiters.load(Ordering::Relaxed),
        )
    })
}
