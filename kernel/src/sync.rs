//! Spin locks as Linux has them (`include/linux/spinlock.h`,
//! `kernel/locking/spinlock_debug.c`), built on `spin::Mutex`:
//!
//! - [`SpinLock`] (`spin_lock`): disables preemption while held.
//! - [`IrqSpinLock`] (`spin_lock_irqsave`): also masks IRQs on this CPU, so
//!   an interrupt handler that takes the same lock cannot deadlock against
//!   the code it interrupted.
//!
//! Both raise the holder's `preempt_count` (so sleeping with one held is
//! caught, and the trace shows the depth), remember the CPU that holds
//! them (the watchdog names it, `finish_task_switch` checks it), belong
//! to a lock class the validator knows (`crate::lockdep`: the place the
//! lock was created, as Linux keys a class by its `spin_lock_init` site),
//! and report a CPU that spins on one for more than a second.

use crate::arch::cpu;
use crate::lockdep::LockdepMap;
use crate::preempt;
use core::ops::{Deref, DerefMut};
use core::panic::Location;
use core::sync::atomic::{AtomicUsize, Ordering};

/// A spin lock; `IRQ` says whether holding it masks IRQs on this CPU.
/// Use the aliases [`SpinLock`] and [`IrqSpinLock`].
pub struct RawSpinLock<T, const IRQ: bool> {
    inner: spin::Mutex<T>,
    /// The holding task (its descriptor's address; 0 when free), as
    /// Linux's spinlock debugging keeps `owner`: one store of the value
    /// the preemption count already read.
    owner: AtomicUsize,
    dep_map: LockdepMap,
}

/// Disables preemption while held (`spin_lock`).
pub type SpinLock<T> = RawSpinLock<T, false>;
/// Masks IRQs and disables preemption while held (`spin_lock_irqsave`).
pub type IrqSpinLock<T> = RawSpinLock<T, true>;
/// The guard of a [`SpinLock`].
pub type SpinGuard<'a, T> = RawSpinGuard<'a, T, false>;
/// The guard of an [`IrqSpinLock`].
pub type IrqSpinGuard<'a, T> = RawSpinGuard<'a, T, true>;

/// Holds a [`RawSpinLock`]; releases it (and restores IRQs and
/// preemption) when dropped.
pub struct RawSpinGuard<'a, T, const IRQ: bool> {
    lock: &'a RawSpinLock<T, IRQ>,
    data: *mut T,
    flags: u64,
}

// SAFETY: the guard is the lock's exclusive owner, like spin's own guard.
unsafe impl<T: Sync, const IRQ: bool> Sync for RawSpinGuard<'_, T, IRQ> {}

// SAFETY: `spin::Mutex<T>` is Sync for T: Send; the other fields are atomics
// and a map of static references.
unsafe impl<T: Send, const IRQ: bool> Sync for RawSpinLock<T, IRQ> {}
// SAFETY: as above.
unsafe impl<T: Send, const IRQ: bool> Send for RawSpinLock<T, IRQ> {}

impl<T, const IRQ: bool> RawSpinLock<T, IRQ> {
    /// A new unlocked lock whose class is the place this is called from.
    #[track_caller]
    pub const fn new(v: T) -> Self {
        Self::with_class(v, Location::caller(), None)
    }

    /// A new unlocked lock with a class name for reports (Linux names a
    /// class after the lock expression: `&rq->lock`, `tasklist_lock`).
    /// The name is passed by reference (`named(&"&rq->lock", ..)`, a
    /// static), so the lock keeps one pointer for its class; every lock
    /// given one name is of one class.
    #[track_caller]
    pub const fn named(name: &'static &'static str, v: T) -> Self {
        Self::with_class(v, Location::caller(), Some(name))
    }

    /// A new unlocked lock of an explicit class: named, or else of the
    /// place `key`.
    pub const fn with_class(
        v: T,
        key: &'static Location<'static>,
        name: Option<&'static &'static str>,
    ) -> Self {
        RawSpinLock {
            inner: spin::Mutex::new(v),
            owner: AtomicUsize::new(0),
            dep_map: LockdepMap::new(key, name),
        }
    }

    /// Takes the lock, spinning while another CPU holds it.
    #[inline(always)]
    pub fn lock(&self) -> RawSpinGuard<'_, T, IRQ> {
        self.lock_nested(0)
    }

    /// Takes a second lock of a class already held, as `subclass`
    /// (`spin_lock_nested`): two runqueues locked in CPU order.
    #[inline(always)]
    pub fn lock_nested(&self, subclass: u8) -> RawSpinGuard<'_, T, IRQ> {
        let flags = self.enter();
        self.lock_entered(subclass, flags)
    }

    /// Takes the lock with IRQs already masked by the caller, who saved
    /// their previous state in `flags`; the guard restores it
    /// (`this_rq_lock`: the CPU is read after masking, before locking).
    #[inline(always)]
    pub fn lock_irqs_masked(&self, flags: u64) -> RawSpinGuard<'_, T, IRQ> {
        preempt::preempt_disable();
        self.lock_entered(0, flags)
    }

    /// The rest of a lock, once IRQs and preemption are off.
    #[inline(always)]
    fn lock_entered(&self, subclass: u8, flags: u64) -> RawSpinGuard<'_, T, IRQ> {
        crate::lockdep::lock_acquire(&self.dep_map, self.addr(), subclass);
        let data = match self.inner.try_lock() {
            Some(g) => spin::MutexGuard::leak(g) as *mut T,
            None => self.lock_slowpath(),
        };
        self.set_owner();
        RawSpinGuard {
            lock: self,
            data,
            flags,
        }
    }

    /// Takes the lock if it is free.
    #[inline(always)]
    pub fn try_lock(&self) -> Option<RawSpinGuard<'_, T, IRQ>> {
        self.try_lock_nested(0)
    }

    /// [`Self::try_lock`] for a second lock of a held class.
    #[inline(always)]
    pub fn try_lock_nested(&self, subclass: u8) -> Option<RawSpinGuard<'_, T, IRQ>> {
        let flags = self.enter();
        match self.inner.try_lock() {
            Some(g) => {
                crate::lockdep::lock_acquire(&self.dep_map, self.addr(), subclass);
                self.set_owner();
                Some(RawSpinGuard {
                    lock: self,
                    data: spin::MutexGuard::leak(g) as *mut T,
                    flags,
                })
            }
            None => {
                self.exit(flags);
                None
            }
        }
    }

    /// Is it held (by anyone)?
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// The task holding it (its descriptor's address), if any.
    pub fn owner(&self) -> Option<usize> {
        match self.owner.load(Ordering::Relaxed) {
            0 => None,
            t => Some(t),
        }
    }

    /// The CPU of the task holding it, if any (the watchdog's and SysRq's
    /// dumps). A holder cannot migrate (preemption is off while it holds
    /// a spin lock), so its CPU is where the lock is held.
    pub fn owner_cpu(&self) -> Option<usize> {
        let t = self.owner()?;
        // A report about a lock may race with its release and the holder's
        // exit: read the field through the fault-safe probe, and accept
        // only a CPU number (a stale descriptor is still kernel memory).
        let cpu_field = t + core::mem::offset_of!(crate::task::Task, cpu);
        crate::arch::exception::probe_read_u64(cpu_field)
            .ok()
            .map(|c| c as usize)
            .filter(|&c| c < crate::percpu::NR_CPUS)
    }

    /// Releases a lock whose guard was forgotten: the context switch takes
    /// a runqueue lock in one task and releases it in the next
    /// (`finish_lock_switch`). The validator was told at the hand-over
    /// ([`RawSpinGuard::hand_over`]).
    ///
    /// # Safety
    /// The caller must own the lock (its guard was handed over on this CPU)
    /// and restores the IRQ mask and preemption itself.
    pub unsafe fn force_unlock(&self) {
        self.owner.store(0, Ordering::Relaxed);
        // SAFETY: the caller owns the lock (see above).
        unsafe { self.inner.force_unlock() };
    }

    fn addr(&self) -> usize {
        self as *const Self as usize
    }

    /// IRQs off (for an IRQ lock), then preemption off: Linux's order, so
    /// the CPU read after this cannot change.
    #[inline(always)]
    fn enter(&self) -> u64 {
        let flags = if IRQ { cpu::local_irq_save() } else { 0 };
        preempt::preempt_disable();
        flags
    }

    #[inline(always)]
    fn exit(&self, flags: u64) {
        if IRQ {
            cpu::local_irq_restore(flags);
        }
        preempt::preempt_enable();
    }

    #[inline(always)]
    fn set_owner(&self) {
        self.owner
            .store(crate::task::current_ptr() as usize, Ordering::Relaxed);
    }

    /// Spins until the lock is free; after a second, says who holds it
    /// (Linux's spinlock debugging: "spinlock lockup suspected"), once.
    #[cold]
    #[inline(never)]
    fn lock_slowpath(&self) -> *mut T {
        let mut wait = SpinWait::new();
        loop {
            if let Some(g) = self.inner.try_lock() {
                return spin::MutexGuard::leak(g) as *mut T;
            }
            while self.inner.is_locked() {
                if wait.spin() {
                    crate::watchdog::spinlock_lockup(
                        self.dep_map.name_hint(),
                        self.addr(),
                        self.owner_cpu(),
                    );
                }
            }
        }
    }
}

/// A busy wait that should take microseconds: [`SpinWait::spin`] says
/// once, after a second, that it is time to report who is waited for
/// (the spinning goes on; a descheduled vCPU can take that long).
pub struct SpinWait {
    start: u64,
    spins: u32,
    reported: bool,
}

impl SpinWait {
    /// Starts the clock.
    pub fn new() -> Self {
        SpinWait {
            start: cpu::read_counter(),
            spins: 0,
            reported: false,
        }
    }

    /// One round of waiting; true the first time a second has passed.
    #[inline]
    pub fn spin(&mut self) -> bool {
        core::hint::spin_loop();
        self.spins = self.spins.wrapping_add(1);
        // The counter is read every 4096 rounds only: cheap, and a second
        // is still a second.
        if self.reported
            || !self.spins.is_multiple_of(4096)
            || cpu::read_counter() - self.start <= cpu::counter_frequency()
        {
            return false;
        }
        self.reported = true;
        true
    }
}

impl Default for SpinWait {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a, T, const IRQ: bool> RawSpinGuard<'a, T, IRQ> {
    /// Gives up the guard without releasing the lock, for the context
    /// switch: the validator stops counting it as held by this task, and
    /// the next task releases it with [`RawSpinLock::force_unlock`]
    /// (`prepare_lock_switch`).
    pub fn hand_over(self) {
        crate::lockdep::lock_release(&self.lock.dep_map, self.lock.addr());
        core::mem::forget(self);
    }

    /// The lock this guard holds.
    pub fn lock_ref(&self) -> &'a RawSpinLock<T, IRQ> {
        self.lock
    }
}

impl<T, const IRQ: bool> Deref for RawSpinGuard<'_, T, IRQ> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard owns the lock, so nothing else accesses the data.
        unsafe { &*self.data }
    }
}

impl<T, const IRQ: bool> DerefMut for RawSpinGuard<'_, T, IRQ> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in deref; `&mut self` makes this the only reference.
        unsafe { &mut *self.data }
    }
}

impl<T, const IRQ: bool> Drop for RawSpinGuard<'_, T, IRQ> {
    #[inline(always)]
    fn drop(&mut self) {
        let lock = self.lock;
        // Looked at once for the release and for the IRQ restore.
        let validating = crate::lockdep::enabled();
        if validating {
            crate::lockdep::lock_release_seen_enabled(&lock.dep_map, lock.addr());
        }
        // SAFETY: this guard owns the lock; the data pointer is not used
        // after this.
        unsafe { lock.force_unlock() };
        // Unlock first, then let IRQs back in (`local_irq_restore`, the
        // validator told first), then preemption (which may reschedule at
        // once if a wake-up asked for it meanwhile).
        if IRQ {
            if validating && !cpu::irqs_disabled_flags(self.flags) {
                crate::lockdep::hardirqs_on_seen_enabled();
            }
            cpu::raw_local_irq_restore(self.flags);
        }
        preempt::preempt_enable();
    }
}

/// A sleeping lock (Linux's `struct mutex`, `kernel/locking/mutex.c`):
/// a task that finds it held sleeps on a wait queue instead of spinning,
/// so the holder may itself sleep (wait for a device) while holding it.
/// Only in process context; never inside a spin lock.
pub struct Mutex<T> {
    locked: core::sync::atomic::AtomicBool,
    wait: crate::sched::wait::WaitQueue,
    data: core::cell::UnsafeCell<T>,
}

// SAFETY: the data is reached only through a guard, and `locked` makes
// the guard unique.
unsafe impl<T: Send> Sync for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Mutex<T> {}

/// Holds a [`Mutex`]; releases it and wakes a waiter when dropped.
pub struct MutexGuard<'a, T> {
    lock: &'a Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    pub const fn new(v: T) -> Self {
        Mutex {
            locked: core::sync::atomic::AtomicBool::new(false),
            wait: crate::sched::wait::WaitQueue::new(),
            data: core::cell::UnsafeCell::new(v),
        }
    }

    /// Takes the lock, sleeping uninterruptibly while another task holds
    /// it (`mutex_lock`).
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        crate::sched::core::might_sleep();
        while self.locked.swap(true, Ordering::Acquire) {
            self.wait.wait_event(crate::task::TASK_UNINTERRUPTIBLE, || {
                !self.locked.load(Ordering::Relaxed)
            });
        }
        MutexGuard { lock: self }
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard owns the lock, so nothing else accesses the data.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in deref; `&mut self` makes this the only reference.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
        self.lock.wait.wake_up();
    }
}
