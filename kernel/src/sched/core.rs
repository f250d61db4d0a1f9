//! The core scheduler (Linux's `kernel/sched/core.c`): `schedule()` ->
//! `__schedule()` -> `context_switch()` -> `cpu_switch_to` ->
//! `finish_task_switch()`, wake-ups (`try_to_wake_up`,
//! `wake_up_new_task`), CPU selection and migration (`select_task_rq`,
//! `set_task_cpu`), the tick, load balancing and the idle loop.
//!
//! Locking, as in Linux: `p.pi_lock` is taken before a runqueue lock; two
//! runqueue locks are taken in CPU order; the runqueue lock is held across
//! the context switch and released by the next task in
//! `finish_task_switch`.

use super::fair::{Enqueue, RunQueue};
use crate::arch::{context, cpu};
use crate::errno::{SysResult, EINVAL};
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::percpu::{self, NR_CPUS};
use crate::pid::find_process_by_pid;
use crate::preempt::{self, preempt_count, preempt_disable, preempt_enable_no_resched};
use crate::smp::{self, IpiKind};
use crate::sync::{IrqSpinGuard, IrqSpinLock};
use crate::task::{self, Pid, Task, PF_IDLE, PF_KTHREAD, TASK_DEAD, TASK_RUNNING, TASK_WAKING};
use alloc::format;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use libkernel::preempt::{PREEMPT_OFFSET, SCHEDULE_PREEMPT_COUNT};

/// The runqueues, one per CPU, each with its own lock.
pub static RUNQUEUES: [IrqSpinLock<RunQueue>; NR_CPUS] =
    [rq_new(0), rq_new(1), rq_new(2), rq_new(3)];

/// One runqueue; every runqueue lock is of one class, `&rq->lock` (two are
/// taken together with `lock_nested`, in CPU order).
const fn rq_new(cpu: usize) -> IrqSpinLock<RunQueue> {
    IrqSpinLock::named(&"&rq->lock", RunQueue::new(cpu))
}

/// Locks this CPU's runqueue (`this_rq_lock`). IRQs are masked and
/// preemption disabled before the CPU is read, so the runqueue locked is
/// the one of the CPU the caller runs on, and stays so until it unlocks.
#[inline(always)]
pub fn this_rq_lock() -> IrqSpinGuard<'static, RunQueue> {
    let flags = cpu::local_irq_save();
    RUNQUEUES[percpu::smp_processor_id()].lock_irqs_masked(flags)
}

/// `nr_running` of each runqueue, readable without its lock (balancing).
pub static NR_RUNNING: [AtomicUsize; NR_CPUS] = [const { AtomicUsize::new(0) }; NR_CPUS];

static SCHED_READY: AtomicBool = AtomicBool::new(false);

/// Ticks between periodic balancing passes on a busy CPU.
const BALANCE_INTERVAL_TICKS: u64 = 4;

/// Makes the code running on this CPU its idle task `swapper/N` (pid 0):
/// the boot context becomes a task the scheduler can switch away from.
pub fn init_idle(cpu_nr: usize) {
    let idle = Arc::new(Task::new(
        0,
        &format!("swapper/{cpu_nr}"),
        PF_IDLE | PF_KTHREAD,
        None,
    ));
    idle.cpu.store(cpu_nr, Ordering::Relaxed);
    idle.cpus_allowed.store(1 << cpu_nr, Ordering::Relaxed);
    idle.on_cpu.store(true, Ordering::Relaxed);
    // `current` from here on (before the lock, whose preemption count
    // then lands in this task and comes back out of it).
    cpu::set_current(Arc::as_ptr(&idle) as usize);
    let mut rq = RUNQUEUES[cpu_nr].lock();
    // A B-tree keeps its root node once it has one: create it now, so the
    // first task queued here later does not look like a heap leak.
    rq.enqueue_entity(&idle, Enqueue::PutPrev);
    rq.dequeue_entity(&idle);
    crate::timer::prime(cpu_nr, &idle);
    percpu::cpu(cpu_nr).set_current_task(Arc::as_ptr(&idle));
    rq.curr = Some(idle.clone());
    // The idle task lives as long as the kernel: this reference is never
    // given back, so `idle_task` can hand it out without a lock.
    IDLE_TASKS[cpu_nr].store(Arc::into_raw(idle.clone()).cast_mut(), Ordering::Release);
    rq.idle = Some(idle);
    drop(rq);
    SCHED_READY.store(true, Ordering::Release);
}

/// Each CPU's idle task, set once by `init_idle` (Linux's `idle_task(cpu)`,
/// which also reads `rq->idle` without the runqueue lock).
static IDLE_TASKS: [AtomicPtr<Task>; NR_CPUS] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; NR_CPUS];

/// CPU `cpu`'s idle task (`idle_task`), once it has one. Reports from IRQ
/// context (SysRq) use this: they must not wait for a runqueue lock.
pub fn idle_task(cpu: usize) -> Option<&'static Task> {
    let p = IDLE_TASKS.get(cpu)?.load(Ordering::Acquire);
    // SAFETY: set from an Arc that is never released (see init_idle).
    unsafe { p.as_ref() }
}

/// True once this CPU has a current task.
pub fn sched_ready() -> bool {
    SCHED_READY.load(Ordering::Acquire) && !percpu::this_cpu().current_task().is_null()
}

/// Asks the task running on `rq`'s CPU to reschedule (`resched_curr`).
fn resched_curr(rq: &RunQueue) {
    let pc = percpu::cpu(rq.cpu);
    let local = rq.cpu == percpu::smp_processor_id();
    if local {
        // The running task is current (this runqueue is locked here).
        preempt::set_preempt_need_resched();
    }
    if pc.need_resched.swap(true, Ordering::AcqRel) {
        return;
    }
    if !local {
        // Folded into that CPU's running task on the way out of the IPI.
        smp::send_ipi(rq.cpu, IpiKind::Reschedule);
    }
}

/// Makes `p`, if it is running, pass through the return-to-user work
/// soon (Linux's `kick_process`): its CPU is asked to reschedule, which
/// the way back to user space notices. A tracer's `PTRACE_INTERRUPT`, and
/// a task that stops itself there, use it.
pub fn kick_process(p: &Task) {
    let rq = task_rq_lock(p);
    if p.on_cpu.load(Ordering::Acquire) {
        resched_curr(&rq);
    }
    drop(rq);
}

/// Does this CPU's running task need to reschedule?
pub fn need_resched() -> bool {
    percpu::this_cpu().need_resched.load(Ordering::Acquire)
}

/// Gives up the CPU (`schedule`): loops while a reschedule is pending.
/// Preemption is off around each `__schedule`, as in Linux.
pub fn schedule() {
    loop {
        preempt_disable();
        __schedule(false, None);
        preempt_enable_no_resched();
        if !need_resched() {
            break;
        }
    }
}

/// An explicit preemption point for long kernel loops (`cond_resched`):
/// reschedules if the tick or a wake-up asked for it.
pub fn cond_resched() {
    if need_resched() && preempt_count() == 0 {
        preempt::preempt_schedule();
    }
}

/// Complains when the caller may not sleep (`might_sleep`): a spin lock
/// held, preemption disabled, IRQs off or in an IRQ handler. Every path
/// that can sleep calls it first, so the bug shows even when the sleep
/// happens not to be needed.
#[track_caller]
#[inline(always)]
pub fn might_sleep() {
    if preempt_count() != 0 || cpu::irqs_disabled() {
        might_sleep_report(core::panic::Location::caller());
    }
}

#[cold]
#[inline(never)]
fn might_sleep_report(at: &core::panic::Location<'static>) {
    if !sched_ready() || crate::panic::dying() {
        return;
    }
    let count = preempt_count();
    let mut s = alloc::string::String::new();
    let _ = task::with_current_raw(|t| {
        use core::fmt::Write;
        let _ = writeln!(
            s,
            "BUG: sleeping function called from invalid context at {}:{}",
            at.file(),
            at.line()
        );
        let _ = writeln!(
            s,
            "in_atomic(): {}, irqs_disabled(): {}, non_block: 0, pid: {}, name: {}",
            (count != 0) as u32,
            cpu::irqs_disabled() as u32,
            t.pid(),
            t.comm().as_str()
        );
        let _ = writeln!(s, "preempt_count: {count:x}, expected: 0");
        let _ = crate::lockdep::write_held_locks(&mut s);
        let _ = crate::panic::write_backtrace(&mut s, crate::arch::backtrace::current_fp(), None);
    });
    crate::panic::warn_report(&s, false);
}

/// Checks at every voluntary switch that the task holds nothing it may
/// not sleep with (`schedule_debug`): "scheduling while atomic".
#[inline(always)]
fn schedule_debug(prev: &Task, expected: u32) {
    if preempt_count() != expected {
        schedule_bug(prev, expected);
    }
}

#[cold]
#[inline(never)]
fn schedule_bug(prev: &Task, expected: u32) {
    use core::fmt::Write;
    let mut s = alloc::string::String::new();
    let _ = writeln!(
        s,
        "BUG: scheduling while atomic: {}/{}/{:#010x}",
        prev.comm().as_str(),
        prev.pid(),
        preempt_count().wrapping_sub(expected)
    );
    let _ = crate::lockdep::write_held_locks(&mut s);
    let _ = crate::panic::write_backtrace(&mut s, crate::arch::backtrace::current_fp(), None);
    crate::panic::warn_report(&s, false);
}

/// Gives the CPU to another runnable task if there is one (`sched_yield`).
/// With nobody queued on this CPU there is no one to yield to: schedule()
/// would only pick the caller again, so it is skipped (the tick still
/// charges the time).
pub fn yield_now() {
    let rq = this_rq_lock();
    // Nobody queued here (the running task is outside the tree): the
    // tree's length says so without walking down to its last entry.
    if rq.cfs.is_empty() {
        if !need_resched() {
            return;
        }
    } else if let (Some(curr), Some(last)) = (&rq.curr, rq.cfs.last_vruntime()) {
        // Behind everyone queued here, as CFS's yield skips the task.
        let vr = curr.se.vruntime.load(Ordering::Relaxed);
        curr.se.vruntime.store(vr.max(last + 1), Ordering::Relaxed);
    }
    // Straight on with the lock held, as Linux's do_sched_yield: no second
    // lock round trip. The count __schedule expects: the lock's, and
    // schedule()'s own (taken here, under the lock, where nothing can
    // preempt between the two).
    preempt_disable();
    __schedule(false, Some(rq));
    preempt_enable_no_resched();
    if need_resched() {
        schedule();
    }
}

/// The main scheduler function. With `preempt`, the running task is
/// preempted and stays runnable whatever its state; otherwise a task that
/// set a sleeping state leaves the runqueue. `locked`: this CPU's
/// runqueue, if the caller holds it already (sched_yield).
#[inline(never)]
#[no_mangle]
pub fn __schedule(preempt: bool, locked: Option<IrqSpinGuard<'static, RunQueue>>) {
    #[cfg(feature = "ktest")]
    if locked.is_none() {
        crate::ktest::hooks::schedule_entry();
    }
    // IRQs masked and the runqueue locked before the CPU is read: a task
    // preempted between reading its CPU and locking would otherwise lock
    // the runqueue of a CPU it has left.
    let mut rq = locked.unwrap_or_else(this_rq_lock);
    // Looked up once: every this_cpu() reads TPIDR_EL1 and checks it.
    let pc = percpu::this_cpu();
    let cpu_nr = pc.cpu;
    // Cheap checks that stay on: this CPU's runqueue (and below: the task
    // it runs is the one running this code).
    if rq.cpu != cpu_nr {
        sched_state_bug(rq.cpu, cpu_nr);
    }
    if !preempt {
        // SAFETY: the running task stays alive while it runs.
        schedule_debug(unsafe { &*task::current_ptr() }, SCHEDULE_PREEMPT_COUNT);
    }
    rq.update_curr();
    crate::watchdog::touch_softlockup_watchdog_at(cpu_nr, rq.clock_counter);
    let prev_is_idle = rq.curr_is_idle();
    // The CPU's reference to prev moves out of `curr` while the next task
    // is chosen, and back if prev keeps the CPU; `curr` then takes over
    // next's reference from the tree: no reference-count traffic on a
    // switch. Nobody else looks at `curr` without this lock.
    let prev = rq.curr.take().expect("__schedule before init_idle");
    if !core::ptr::eq(Arc::as_ptr(&prev), task::current_ptr()) {
        sched_state_bug(rq.cpu, cpu_nr);
    }
    let prev_state = prev.state();
    let voluntary = !preempt && prev_state != TASK_RUNNING;
    let migrate = !voluntary
        && !prev.may_run_on(cpu_nr)
        && prev.on_rq.load(Ordering::Relaxed)
        && !prev_is_idle;
    if voluntary || migrate {
        // `prev` holds a reference of its own: this is not the last.
        drop(rq.deactivate_task(&prev));
    }
    if migrate {
        // Its affinity no longer allows this CPU (`migration_cpu_stop`).
        prev.migrate_pending.store(true, Ordering::Release);
    }
    let next = rq.pick_next_task(&prev, prev_is_idle);
    pc.need_resched.store(false, Ordering::Release);
    preempt::clear_preempt_need_resched();
    let Some(next) = next else {
        rq.curr = Some(prev);
        return;
    };
    rq.nr_switches += 1;
    if voluntary {
        prev.nvcsw.fetch_add(1, Ordering::Relaxed);
    } else {
        prev.nivcsw.fetch_add(1, Ordering::Relaxed);
    }
    if Arc::ptr_eq(&next, &prev) {
        sched_state_bug_task("__schedule: picked the running task from the tree", &next);
    }
    // A task moved here while still switching out elsewhere: wait until
    // that CPU is done with its registers and stack.
    wait_off_cpu(&next);
    next.on_cpu.store(true, Ordering::Release);
    crate::trace::events::sched_switch(&prev, &next, preempt);
    pc.set_current_task(Arc::as_ptr(&next));
    rq.curr = Some(next);
    context_switch(rq, prev);
}

/// Waits until `p` is switched out on the CPU it ran on (Linux's
/// `smp_cond_load_acquire(&p->on_cpu, !VAL)`). That takes microseconds; a
/// second means the CPU it is on will never switch it out (or the vCPU is
/// descheduled), and spinning silently with IRQs off would hang this CPU
/// without a word: say so once, and go on waiting.
#[inline(always)]
fn wait_off_cpu(p: &Task) {
    if p.on_cpu.load(Ordering::Acquire) {
        wait_off_cpu_slow(p);
    }
}

#[cold]
#[inline(never)]
fn wait_off_cpu_slow(p: &Task) {
    let mut wait = crate::sync::SpinWait::new();
    while p.on_cpu.load(Ordering::Acquire) {
        if wait.spin() {
            crate::watchdog::on_cpu_wait_report(p);
        }
    }
}

/// A task's scheduler state is impossible (queued twice, picked while it
/// runs): stop with the facts before a CPU waits for itself forever.
#[cold]
#[inline(never)]
pub(super) fn sched_state_bug_task(what: &str, p: &Task) -> ! {
    panic!(
        "{what}: pid {} ({}) cpu {} on_rq {} on_cpu {} state {:#x}, on CPU {}",
        p.pid(),
        p.comm(),
        p.task_cpu(),
        p.on_rq.load(Ordering::Relaxed) as u8,
        p.on_cpu.load(Ordering::Relaxed) as u8,
        p.state(),
        percpu::smp_processor_id()
    );
}

/// The runqueue or `current` is not what this CPU should see: a lock
/// taken on the wrong CPU or a stale `current`. Continuing would strand a
/// runqueue lock and hang every CPU later, so stop here with the facts.
#[cold]
#[inline(never)]
fn sched_state_bug(rq_cpu: usize, cpu_nr: usize) -> ! {
    panic!(
        "__schedule: runqueue of CPU {rq_cpu} locked on CPU {cpu_nr}, current {:#x}, CPU's current {:#x}",
        task::current_ptr() as usize,
        percpu::this_cpu().current_task() as usize
    );
}

/// Switches to the runqueue's `curr` (already set to the next task);
/// returns when `prev` is scheduled again.
#[inline(never)]
#[no_mangle]
pub fn context_switch(rq: IrqSpinGuard<'_, RunQueue>, prev: Arc<Task>) {
    // next is `curr` already, which holds its reference.
    let next = rq.curr.as_deref().expect("next is curr");
    let prev_ctx = prev.thread_ptr();
    let next_ctx = next.thread_ptr();
    context::switch_user_state(&prev, next);
    let next_ptr = next as *const Task as usize;
    // The runqueue lock stays held (with IRQs off) across the switch and is
    // released by whoever runs next, in finish_task_switch.
    rq.hand_over();
    // From here `current` is next: SP_EL0 belongs to the CPU, not to the
    // saved context.
    cpu::set_current(next_ptr);
    let last = Arc::into_raw(prev) as usize;
    // SAFETY: both contexts belong to live tasks (the runqueue holds next,
    // `last` holds prev); prev is no longer `curr`, so nothing else switches
    // it in before this save completes (on_cpu is still set).
    let last = unsafe { context::cpu_switch_to(prev_ctx, next_ctx, last) };
    // SAFETY: `last` is the Arc::into_raw of the task that ran before us on
    // this CPU, handed over by cpu_switch_to.
    finish_task_switch(unsafe { Arc::from_raw(last as *const Task) });
}

/// Runs in the *next* task after every switch: drops the runqueue lock,
/// lets `prev` be woken elsewhere, and if `prev` is dead releases its kernel
/// stack and the CPU's reference to its descriptor.
#[inline(never)]
#[no_mangle]
pub fn finish_task_switch(prev: Arc<Task>) {
    let cpu_nr = percpu::smp_processor_id();
    let rq_lock = &RUNQUEUES[cpu_nr];
    // Only the lock prev's __schedule took on this CPU may be released
    // here.
    // (prev's own CPU field may already name another CPU: a balancing pass
    // can pull it from the tree while it finishes switching out here.)
    if rq_lock.owner() != Some(Arc::as_ptr(&prev) as usize) {
        panic!(
            "finish_task_switch: CPU {cpu_nr} releasing a runqueue lock prev (pid {}) does not hold (owner {:?})",
            prev.pid(),
            rq_lock.owner()
        );
    }
    // Read the state before on_cpu is cleared: after that, prev may be
    // woken and run on another CPU (unless it is dead).
    let prev_state = prev.state();
    prev.on_cpu.store(false, Ordering::Release);
    // SAFETY: __schedule on this CPU took this lock and handed it over.
    unsafe { rq_lock.force_unlock() };
    // The preemption the lock disabled, in the task now running (its
    // count includes it: it went through __schedule, or is new and starts
    // at FORK_PREEMPT_COUNT).
    preempt::preempt_count_sub(PREEMPT_OFFSET);
    // Checked with a plain load first: the flag is almost never set, and
    // the swap is a read-modify-write loop. Moved before IRQs come back,
    // so this task cannot be preempted with prev on no runqueue.
    if prev.migrate_pending.load(Ordering::Acquire)
        && prev.migrate_pending.swap(false, Ordering::AcqRel)
    {
        move_queued_task(&prev);
    }
    cpu::local_irq_enable();
    #[cfg(feature = "ktest")]
    crate::ktest::hooks::finish_task_switch_irqs_on(&prev);
    if prev_state == TASK_DEAD {
        crate::exit::put_task_stack(&prev, true);
        // Done with the task: as release_task's, this reference goes
        // through the deferred put, so whichever of the two is last, the
        // descriptor is freed by a kworker (Linux's two `rcu_users`).
        crate::exit::put_task_struct_rcu_user(prev);
        return;
    }
    crate::exit::put_task_struct(prev);
}

/// First code of a new task, from `ret_from_fork` (`schedule_tail`).
#[no_mangle]
pub extern "C" fn schedule_tail(prev: usize) {
    // SAFETY: as in context_switch: `prev` came through cpu_switch_to.
    finish_task_switch(unsafe { Arc::from_raw(prev as *const Task) });
    // The preemption the creator's schedule() disabled.
    preempt::preempt_enable();
}

/// Locks the runqueue `p` is on, following it if it migrates meanwhile
/// (`task_rq_lock`).
fn task_rq_lock(p: &Task) -> IrqSpinGuard<'static, RunQueue> {
    loop {
        let c = p.task_cpu();
        let rq = RUNQUEUES[c].lock();
        if p.task_cpu() == c {
            return rq;
        }
    }
}

/// Picks a CPU for `p` (`select_task_rq`): the least loaded CPU it may run
/// on; on a tie the one it was on (cache warmth).
pub fn select_task_rq(p: &Task, prev_cpu: usize) -> usize {
    let mut best = None;
    for (c, nr) in NR_RUNNING.iter().enumerate() {
        if !p.may_run_on(c) || !smp::cpu_online(c) {
            continue;
        }
        let load = nr.load(Ordering::Relaxed);
        let better = match best {
            None => true,
            Some((bc, bl)) => load < bl || (load == bl && c == prev_cpu && bc != prev_cpu),
        };
        if better {
            best = Some((c, load));
        }
    }
    best.map_or(prev_cpu, |(c, _)| c)
}

/// Moves `p`'s bookkeeping to `new_cpu` (`set_task_cpu`): every migration
/// goes through here. Its vruntime is re-based from the old queue's
/// `min_vruntime` to the new one's.
#[no_mangle]
#[inline(never)]
pub fn set_task_cpu(p: &Task, new_cpu: usize, old_min: u64, new_min: u64) {
    let old = p.task_cpu();
    if old != new_cpu {
        let vr = p.se.vruntime.load(Ordering::Relaxed);
        p.se.vruntime
            .store(vr.saturating_sub(old_min) + new_min, Ordering::Relaxed);
        crate::trace::events::sched_migrate_task(p, old, new_cpu);
    }
    p.cpu.store(new_cpu, Ordering::Release);
}

fn min_vruntime_of(c: usize) -> u64 {
    RUNQUEUES[c].lock().cfs.min_vruntime
}

/// Wakes `p` if its state is in `state_mask` (`try_to_wake_up`). Returns
/// false if it was not sleeping in such a state.
#[inline(never)]
pub fn try_to_wake_up(p: &Arc<Task>, state_mask: u32) -> bool {
    let _pi = p.pi_lock.lock();
    core::sync::atomic::fence(Ordering::SeqCst);
    if p.state() & state_mask == 0 {
        return false;
    }
    crate::trace::events::sched_waking(p);
    if p.on_rq.load(Ordering::Acquire) {
        // Still queued: it has not reached __schedule's dequeue yet (or is
        // running). Under its runqueue lock, making it runnable again is
        // enough (`ttwu_remote`).
        let rq = task_rq_lock(p);
        if p.on_rq.load(Ordering::Acquire) {
            p.state.store(TASK_RUNNING, Ordering::SeqCst);
            crate::trace::events::sched_wakeup(p);
            drop(rq);
            return true;
        }
    }
    // Wait until the CPU it slept on has switched away from it.
    wait_off_cpu(p);
    p.state.store(TASK_WAKING, Ordering::SeqCst);
    let prev_cpu = p.task_cpu();
    let target = select_task_rq(p, prev_cpu);
    if target != prev_cpu {
        let (old_min, new_min) = (min_vruntime_of(prev_cpu), min_vruntime_of(target));
        set_task_cpu(p, target, old_min, new_min);
    }
    let mut rq = RUNQUEUES[target].lock();
    rq.activate_task(p, Enqueue::Wakeup);
    p.state.store(TASK_RUNNING, Ordering::SeqCst);
    crate::trace::events::sched_wakeup(p);
    if rq.wakeup_wants_preempt(p) {
        resched_curr(&rq);
    }
    true
}

/// Queues a runnable task that was just switched out on a CPU its
/// affinity allows (`move_queued_task`).
pub fn move_queued_task(p: &Arc<Task>) {
    let _pi = p.pi_lock.lock();
    // Someone may have queued it meanwhile (a wake-up, a balance pass):
    // queuing it again would put it in two trees.
    if p.on_rq.load(Ordering::Acquire) {
        return;
    }
    let src = p.task_cpu();
    let target = select_task_rq(p, src);
    let (old_min, new_min) = (min_vruntime_of(src), min_vruntime_of(target));
    set_task_cpu(p, target, old_min, new_min);
    let mut rq = RUNQUEUES[target].lock();
    if p.on_rq.load(Ordering::Acquire) {
        return;
    }
    rq.activate_task(p, Enqueue::Migrated);
    resched_curr(&rq);
}

/// Wakes a task in either sleeping state (`wake_up_process`).
pub fn wake_up_process(p: &Arc<Task>) -> bool {
    try_to_wake_up(p, task::TASK_NORMAL)
}

/// Makes a new task runnable for the first time (`wake_up_new_task`):
/// `TASK_RUNNING`, a CPU from `select_task_rq`, that CPU's runqueue locked,
/// the task enqueued at `min_vruntime`, and the current task there preempted
/// if the newcomer should run first.
#[inline(never)]
#[no_mangle]
pub fn wake_up_new_task(p: &Arc<Task>) {
    let _pi = p.pi_lock.lock();
    p.state.store(TASK_RUNNING, Ordering::SeqCst);
    let target = select_task_rq(p, p.task_cpu());
    // A new task has no history to carry: no migration event, as Linux's
    // __set_task_cpu at fork.
    p.cpu.store(target, Ordering::Release);
    let mut rq = RUNQUEUES[target].lock();
    rq.activate_task(p, Enqueue::New);
    crate::trace::events::sched_wakeup_new(p);
    if rq.wakeup_wants_preempt(p) {
        resched_curr(&rq);
    }
}

/// The scheduler part of the timer tick: charge the running task, ask it
/// to yield when its slice is over, and ask for a balance pass now and
/// then.
pub fn scheduler_tick() {
    if !sched_ready() {
        return;
    }
    let cpu_nr = percpu::smp_processor_id();
    {
        let mut rq = RUNQUEUES[cpu_nr].lock();
        rq.update_curr();
        if rq.tick_wants_preempt() {
            resched_curr(&rq);
        }
    }
    let ticks = percpu::load(&percpu::this_cpu().ticks);
    crate::drivers::video::fbcon::status_tick(cpu_nr, ticks);
    if cpu_nr == 0 {
        super::loadavg::calc_global_load_tick(ticks);
    }
    // `trigger_load_balance`: the balancing itself runs in SCHED_SOFTIRQ,
    // on the way out of this interrupt, with IRQs on.
    if ticks % BALANCE_INTERVAL_TICKS == cpu_nr as u64 % BALANCE_INTERVAL_TICKS {
        crate::softirq::raise_softirq_irqoff(crate::softirq::SCHED_SOFTIRQ);
    }
}

/// `SCHED_SOFTIRQ`'s action (`run_rebalance_domains`): the periodic
/// balance pass of this CPU.
pub fn run_rebalance_domains() {
    load_balance(percpu::smp_processor_id(), false);
}

/// Pulls one queued task to `this` from the busiest CPU. An idle CPU pulls
/// if anything waits elsewhere; a busy one only if the imbalance is at
/// least two tasks.
pub fn load_balance(this: usize, idle: bool) -> bool {
    let mine = NR_RUNNING[this].load(Ordering::Relaxed);
    let (busiest, load) = (0..NR_CPUS)
        .filter(|&c| c != this)
        .map(|c| (c, NR_RUNNING[c].load(Ordering::Relaxed)))
        .max_by_key(|&(_, l)| l)
        .unwrap_or((this, 0));
    let worth = if idle { load >= 2 } else { load >= mine + 2 };
    if busiest == this || !worth {
        return false;
    }
    move_one_task(this, busiest, idle)
}

/// Pulls one queued task from `busiest` to `this` if the imbalance still
/// holds under both runqueue locks (`detach_one_task`, `attach_one_task`).
pub fn move_one_task(this: usize, busiest: usize, idle: bool) -> bool {
    let (lo, hi) = (this.min(busiest), this.max(busiest));
    // Balancing is an optimisation: if either runqueue is busy, try again
    // at the next chance rather than spin. Spinning here made an idle CPU
    // wait out the whole time a preempted lock holder was off its CPU (a
    // vCPU descheduled by the host, or QEMU's round-robin vCPUs).
    let Some(mut g_lo) = RUNQUEUES[lo].try_lock() else {
        return false;
    };
    let Some(mut g_hi) = RUNQUEUES[hi].try_lock_nested(1) else {
        return false;
    };
    let (src, dst) = if busiest == lo {
        (&mut g_lo, &mut g_hi)
    } else {
        (&mut g_hi, &mut g_lo)
    };
    let still = if idle {
        src.nr_running >= 2
    } else {
        src.nr_running >= dst.nr_running + 2
    };
    if !still {
        return false;
    }
    let Some(p) = src.pick_migratable(this) else {
        return false;
    };
    // `p` is a reference of its own: the tree's is not the last. No
    // pi_lock is held here: `on_rq` stays set throughout the move.
    drop(src.detach_task(&p));
    #[cfg(feature = "ktest")]
    crate::ktest::hooks::BALANCE_MOVE.wait(&p);
    set_task_cpu(&p, this, src.cfs.min_vruntime, dst.cfs.min_vruntime);
    dst.attach_task(&p);
    if dst.wakeup_wants_preempt(&p) {
        resched_curr(dst);
    }
    true
}

/// Runs at the end of an IRQ taken from kernel or user mode: preempts the
/// running task if the tick or a wake-up asked for it
/// (`preempt_schedule_irq`).
pub fn preempt_schedule_irq() {
    if !sched_ready() || preempt_count() != 0 {
        return;
    }
    while need_resched() {
        // When this task is switched back in, finish_task_switch turns
        // IRQs on before __schedule returns. The count held up here keeps
        // an IRQ in that window from preempting again from a nested
        // frame (each would stack one more exception frame); the loop
        // catches the request instead, at this depth.
        preempt_disable();
        __schedule(true, None);
        // The exception return expects IRQs masked until eret.
        cpu::local_irq_disable();
        preempt_enable_no_resched();
    }
}

/// The idle loop of every CPU (`do_idle`): balance, sleep in `wfi` until
/// an interrupt, and schedule when something became runnable.
pub fn cpu_idle_loop() -> ! {
    let cpu_nr = percpu::smp_processor_id();
    loop {
        while !need_resched() {
            if NR_RUNNING[cpu_nr].load(Ordering::Relaxed) == 0 {
                load_balance(cpu_nr, true);
            }
            cpu::local_irq_disable();
            if !need_resched() {
                // WFI wakes on a pending IRQ even while it is masked; the
                // IRQ is then taken right after the enable.
                cpu::wait_for_interrupt();
            }
            cpu::local_irq_enable();
        }
        schedule();
    }
}

/// Sets a task's nice value (`set_user_nice`).
pub fn set_user_nice(p: &Arc<Task>, nice: i32) {
    let mut rq = task_rq_lock(p);
    let queued = p.se.rb_key().is_some();
    if queued {
        rq.dequeue_entity(p);
    }
    p.set_user_nice(nice);
    if queued {
        rq.enqueue_entity(p, Enqueue::PutPrev);
    }
}

/// Restricts `p` to the CPUs in `mask` (`sched_setaffinity`); moves it off
/// a CPU it may no longer use. An empty or offline-only mask is refused.
pub fn sched_setaffinity(p: &Arc<Task>, mask: u32) -> Result<(), crate::errno::Errno> {
    let online: u32 = (0..NR_CPUS)
        .filter(|&c| smp::cpu_online(c))
        .fold(0, |m, c| m | 1 << c);
    if mask & online == 0 {
        return Err(crate::errno::EINVAL);
    }
    if core::ptr::eq(Arc::as_ptr(p), task::current_ptr()) {
        p.cpus_allowed.store(mask, Ordering::Release);
        if p.may_run_on(p.task_cpu()) {
            return Ok(());
        }
        // Step off this CPU: __schedule takes it off this runqueue and the
        // next task queues it on an allowed CPU once it is switched out.
        percpu::this_cpu()
            .need_resched
            .store(true, Ordering::Release);
        schedule();
        return Ok(());
    }
    // Another task: under its pi_lock, so no wake-up races the move, and
    // with both runqueues locked, so it is on one of them throughout
    // (`__set_cpus_allowed_ptr` -> `move_queued_task`).
    let _pi = p.pi_lock.lock();
    p.cpus_allowed.store(mask, Ordering::Release);
    let src = p.task_cpu();
    if p.may_run_on(src) || p.se.rb_key().is_none() {
        // Allowed where it is, or not queued (sleeping, or running: the
        // next wake-up or switch respects the mask, as select_task_rq
        // only picks allowed CPUs and __schedule moves a running task).
        return Ok(());
    }
    let dst = (mask & online).trailing_zeros() as usize;
    let (lo, hi) = (src.min(dst), src.max(dst));
    let mut g_lo = RUNQUEUES[lo].lock();
    let mut g_hi = RUNQUEUES[hi].lock_nested(1);
    let (src_rq, dst_rq) = if src == lo {
        (&mut g_lo, &mut g_hi)
    } else {
        (&mut g_hi, &mut g_lo)
    };
    // Still queued, not running, and still on src (the pi_lock keeps
    // wake-ups out; balancing may have moved it meanwhile).
    if p.task_cpu() == src && p.se.rb_key().is_some() && !src_rq.is_curr(p) {
        let tree_ref = src_rq.detach_task(p);
        #[cfg(feature = "ktest")]
        crate::ktest::hooks::AFFINITY_MOVE.wait(p);
        set_task_cpu(p, dst, src_rq.cfs.min_vruntime, dst_rq.cfs.min_vruntime);
        dst_rq.attach_task(p);
        resched_curr(dst_rq);
        drop(g_hi);
        drop(g_lo);
        drop(tree_ref);
    }
    Ok(())
}

/// `sched_yield`: gives the CPU to another runnable task, if any. Inlined
/// into the dispatch so the result needs no memory round trip (the
/// benchmark's `sched_yield` row measures this path).
#[inline(always)]
pub fn sys_sched_yield() -> SysResult {
    yield_now();
    Ok(0)
}

/// `sched_setaffinity(pid, len, mask)`: the first 32 bits of the mask,
/// limited to the CPUs that exist.
pub fn sys_sched_setaffinity(pid: Pid, len: u64, mask: u64) -> SysResult {
    if len < 4 {
        return Err(EINVAL);
    }
    let mut b = [0u8; 4];
    copy_from_user(&mut b, mask)?;
    let t = find_process_by_pid(pid)?;
    sched_setaffinity(&t, u32::from_le_bytes(b) & 0xf)?;
    Ok(0)
}

/// `sched_getaffinity(pid, len, mask)`: the mask as one 64-bit word.
pub fn sys_sched_getaffinity(pid: Pid, len: u64, mask: u64) -> SysResult {
    if len < 8 || !len.is_multiple_of(8) {
        return Err(EINVAL);
    }
    let t = find_process_by_pid(pid)?;
    let m = t.cpus_allowed.load(Ordering::Relaxed) as u64;
    copy_to_user(mask, &m.to_le_bytes())?;
    Ok(8)
}
