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
use crate::percpu::{self, NR_CPUS};
use crate::smp::{self, IpiKind};
use crate::sync::{IrqSpinGuard, IrqSpinLock};
use crate::task::{self, Task, PF_IDLE, PF_KTHREAD, TASK_DEAD, TASK_RUNNING, TASK_WAKING};
use alloc::format;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The runqueues, one per CPU, each with its own lock.
pub static RUNQUEUES: [IrqSpinLock<RunQueue>; NR_CPUS] = [
    IrqSpinLock::new(RunQueue::new(0)),
    IrqSpinLock::new(RunQueue::new(1)),
    IrqSpinLock::new(RunQueue::new(2)),
    IrqSpinLock::new(RunQueue::new(3)),
];

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
    let mut rq = RUNQUEUES[cpu_nr].lock();
    // A B-tree keeps its root node once it has one: create it now, so the
    // first task queued here later does not look like a heap leak.
    rq.enqueue_entity(&idle, Enqueue::PutPrev);
    rq.dequeue_entity(&idle);
    crate::timer::prime(cpu_nr, &idle);
    percpu::cpu(cpu_nr).set_current_task(Arc::as_ptr(&idle));
    rq.curr = Some(idle.clone());
    rq.idle = Some(idle);
    drop(rq);
    SCHED_READY.store(true, Ordering::Release);
}

/// True once this CPU has a current task.
pub fn sched_ready() -> bool {
    SCHED_READY.load(Ordering::Acquire) && !percpu::this_cpu().current_task().is_null()
}

/// Asks the task running on `rq`'s CPU to reschedule (`resched_curr`).
fn resched_curr(rq: &RunQueue) {
    let pc = percpu::cpu(rq.cpu);
    if pc.need_resched.swap(true, Ordering::AcqRel) {
        return;
    }
    if rq.cpu != percpu::smp_processor_id() {
        smp::send_ipi(rq.cpu, IpiKind::Reschedule);
    }
}

/// Does this CPU's running task need to reschedule?
pub fn need_resched() -> bool {
    percpu::this_cpu().need_resched.load(Ordering::Acquire)
}

/// Gives up the CPU (`schedule`): loops while a reschedule is pending.
pub fn schedule() {
    __schedule(false, None);
    schedule_pending();
}

/// The rest of [`schedule`]'s loop: again while a reschedule is pending.
fn schedule_pending() {
    while need_resched() {
        __schedule(false, None);
    }
}

/// Stops the running task from being preempted on this CPU until the
/// matching [`preempt_enable`] (nestable; `preempt_disable`).
pub fn preempt_disable() {
    percpu::this_cpu()
        .preempt_count
        .fetch_add(1, Ordering::Relaxed);
}

/// Ends a [`preempt_disable`] section; reschedules if that was asked for
/// meanwhile (`preempt_enable`).
pub fn preempt_enable() {
    let pc = percpu::this_cpu();
    if pc.preempt_count.fetch_sub(1, Ordering::Relaxed) == 1 && need_resched() && sched_ready() {
        __schedule(true, None);
    }
}

/// An explicit preemption point for long kernel loops (`cond_resched`):
/// reschedules if the tick or a wake-up asked for it.
pub fn cond_resched() {
    if need_resched() && percpu::this_cpu().preempt_count.load(Ordering::Relaxed) == 0 {
        __schedule(true, None);
    }
}

/// Gives the CPU to another runnable task if there is one (`sched_yield`).
/// With nobody queued on this CPU there is no one to yield to: schedule()
/// would only pick the caller again, so it is skipped (the tick still
/// charges the time).
pub fn yield_now() {
    let rq = RUNQUEUES[percpu::smp_processor_id()].lock();
    match (&rq.curr, rq.cfs.last_vruntime()) {
        // Behind everyone queued here, as CFS's yield skips the task.
        (Some(curr), Some(last)) => {
            let vr = curr.se.vruntime.load(Ordering::Relaxed);
            curr.se.vruntime.store(vr.max(last + 1), Ordering::Relaxed);
        }
        _ if !need_resched() => return,
        _ => {}
    }
    // Straight on with the lock held, as Linux's do_sched_yield: no second
    // lock round trip.
    __schedule(false, Some(rq));
    schedule_pending();
}

/// The main scheduler function. With `preempt`, the running task is
/// preempted and stays runnable whatever its state; otherwise a task that
/// set a sleeping state leaves the runqueue. `locked`: this CPU's
/// runqueue, if the caller holds it already (sched_yield).
#[inline(never)]
#[no_mangle]
pub fn __schedule(preempt: bool, locked: Option<IrqSpinGuard<'static, RunQueue>>) {
    crate::ftrace!(__schedule);
    // Looked up once: every this_cpu() reads TPIDR_EL1 and checks it.
    let pc = percpu::this_cpu();
    let cpu_nr = pc.cpu;
    let mut rq = locked.unwrap_or_else(|| RUNQUEUES[cpu_nr].lock());
    rq.update_curr();
    crate::watchdog::touch_softlockup_watchdog_at(cpu_nr, rq.clock_counter);
    let prev_is_idle = rq.curr_is_idle();
    // The CPU's reference to prev moves out of `curr` while the next task
    // is chosen, and back if prev keeps the CPU; `curr` then takes over
    // next's reference from the tree: no reference-count traffic on a
    // switch. Nobody else looks at `curr` without this lock.
    let prev = rq.curr.take().expect("__schedule before init_idle");
    let prev_state = prev.state();
    let voluntary = !preempt && prev_state != TASK_RUNNING;
    let migrate = !voluntary
        && !prev.may_run_on(cpu_nr)
        && prev.on_rq.load(Ordering::Relaxed)
        && !prev_is_idle;
    if voluntary || migrate {
        rq.deactivate_task(&prev);
    }
    if migrate {
        // Its affinity no longer allows this CPU (`migration_cpu_stop`).
        prev.migrate_pending.store(true, Ordering::Release);
    }
    let next = rq.pick_next_task(&prev, prev_is_idle);
    pc.need_resched.store(false, Ordering::Release);
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
    // A task moved here while still switching out elsewhere: wait until
    // that CPU is done with its registers and stack.
    while next.on_cpu.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
    next.on_cpu.store(true, Ordering::Release);
    crate::trace::events::sched_switch(&prev, &next, preempt);
    pc.set_current_task(Arc::as_ptr(&next));
    rq.curr = Some(next);
    context_switch(rq, prev);
}

/// Switches to the runqueue's `curr` (already set to the next task);
/// returns when `prev` is scheduled again.
#[inline(never)]
#[no_mangle]
pub fn context_switch(rq: IrqSpinGuard<'_, RunQueue>, prev: Arc<Task>) {
    crate::ftrace!(context_switch);
    // next is `curr` already, which holds its reference.
    let next = rq.curr.as_deref().expect("next is curr");
    let prev_ctx = prev.thread_ptr();
    let next_ctx = next.thread_ptr();
    context::switch_user_state(&prev, next);
    // The runqueue lock stays held (with IRQs off) across the switch and is
    // released by whoever runs next, in finish_task_switch.
    core::mem::forget(rq);
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
    crate::ftrace!(finish_task_switch);
    let cpu_nr = percpu::smp_processor_id();
    // Read the state before on_cpu is cleared: after that, prev may be
    // woken and run on another CPU (unless it is dead).
    let prev_state = prev.state();
    prev.on_cpu.store(false, Ordering::Release);
    // SAFETY: __schedule on this CPU took this lock and forgot its guard.
    unsafe { RUNQUEUES[cpu_nr].force_unlock() };
    cpu::local_irq_enable();
    if prev_state == TASK_DEAD {
        crate::exit::put_task_stack(&prev, true);
    }
    // Checked with a plain load first: the flag is almost never set, and
    // the swap is a read-modify-write loop.
    if prev.migrate_pending.load(Ordering::Acquire)
        && prev.migrate_pending.swap(false, Ordering::AcqRel)
    {
        move_queued_task(&prev);
    }
    crate::exit::put_task_struct(prev);
}

/// First code of a new task, from `ret_from_fork` (`schedule_tail`).
#[no_mangle]
extern "C" fn schedule_tail(prev: usize) {
    // SAFETY: as in context_switch: `prev` came through cpu_switch_to.
    finish_task_switch(unsafe { Arc::from_raw(prev as *const Task) });
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
pub fn set_task_cpu(p: &Task, new_cpu: usize, old_min: u64, new_min: u64) {
    crate::ftrace!(set_task_cpu);
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
pub fn try_to_wake_up(p: &Arc<Task>, state_mask: u32) -> bool {
    crate::ftrace!(try_to_wake_up);
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
    while p.on_cpu.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
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
fn move_queued_task(p: &Arc<Task>) {
    let _pi = p.pi_lock.lock();
    let src = p.task_cpu();
    let target = select_task_rq(p, src);
    let (old_min, new_min) = (min_vruntime_of(src), min_vruntime_of(target));
    set_task_cpu(p, target, old_min, new_min);
    let mut rq = RUNQUEUES[target].lock();
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
    crate::ftrace!(wake_up_new_task);
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
/// to yield when its slice is over, and balance load now and then.
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
    if ticks % BALANCE_INTERVAL_TICKS == cpu_nr as u64 % BALANCE_INTERVAL_TICKS {
        load_balance(cpu_nr, false);
    }
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
    let (lo, hi) = (this.min(busiest), this.max(busiest));
    // Balancing is an optimisation: if either runqueue is busy, try again
    // at the next chance rather than spin. Spinning here made an idle CPU
    // wait out the whole time a preempted lock holder was off its CPU (a
    // vCPU descheduled by the host, or QEMU's round-robin vCPUs).
    let Some(mut g_lo) = RUNQUEUES[lo].try_lock() else {
        return false;
    };
    let Some(mut g_hi) = RUNQUEUES[hi].try_lock() else {
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
    src.deactivate_task(&p);
    set_task_cpu(&p, this, src.cfs.min_vruntime, dst.cfs.min_vruntime);
    dst.activate_task(&p, Enqueue::Migrated);
    if dst.wakeup_wants_preempt(&p) {
        resched_curr(dst);
    }
    true
}

/// Runs at the end of an IRQ taken from kernel or user mode: preempts the
/// running task if the tick or a wake-up asked for it
/// (`preempt_schedule_irq`).
pub fn preempt_schedule_irq() {
    if !sched_ready() || percpu::this_cpu().preempt_count.load(Ordering::Relaxed) != 0 {
        return;
    }
    // SAFETY: the current task stays alive while it runs here.
    let curr = unsafe { &*percpu::this_cpu().current_task() };
    // When this task is switched back in below, finish_task_switch turns
    // IRQs on before __schedule returns. An IRQ in that window must not
    // preempt again from a nested frame (Linux holds preempt_count up
    // here for the same reason): each resumption would stack one more
    // exception frame, until the stack overflows. The loop below catches
    // the request instead, at this depth.
    if curr.in_preempt_irq.load(Ordering::Relaxed) {
        return;
    }
    curr.in_preempt_irq.store(true, Ordering::Relaxed);
    while need_resched() {
        __schedule(true, None);
        // finish_task_switch enabled IRQs; the exception return expects
        // them masked until eret.
        cpu::local_irq_disable();
    }
    curr.in_preempt_irq.store(false, Ordering::Relaxed);
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
    p.cpus_allowed.store(mask, Ordering::Release);
    if p.may_run_on(p.task_cpu()) {
        return Ok(());
    }
    if Arc::ptr_eq(p, &task::current()) {
        // Step off this CPU: __schedule takes it off this runqueue and the
        // next task queues it on an allowed CPU once it is switched out.
        percpu::this_cpu()
            .need_resched
            .store(true, Ordering::Release);
        schedule();
        return Ok(());
    }
    let mut rq = task_rq_lock(p);
    if p.se.rb_key().is_some() {
        // Queued but not running: move it now.
        let src_cpu = rq.cpu;
        let dst_cpu = (mask & online).trailing_zeros() as usize;
        rq.deactivate_task(p);
        let old_min = rq.cfs.min_vruntime;
        drop(rq);
        let mut dst = RUNQUEUES[dst_cpu].lock();
        set_task_cpu(p, dst_cpu, old_min, dst.cfs.min_vruntime);
        dst.activate_task(p, Enqueue::Migrated);
        resched_curr(&dst);
        let _ = src_cpu;
    }
    // Sleeping or running elsewhere: the next wake-up or tick respects the
    // mask (select_task_rq only picks allowed CPUs).
    Ok(())
}
