//! Locking helpers: spin locks that also mask IRQs on this core while held,
//! so an interrupt handler taking the same lock cannot deadlock against the
//! code it interrupted.

use crate::arch::cpu;
use core::ops::{Deref, DerefMut};

/// A `spin::Mutex` whose guard keeps IRQs masked on this core.
pub struct IrqSpinLock<T> {
    inner: spin::Mutex<T>,
}

/// The guard of an [`IrqSpinLock`]; restores the IRQ mask when dropped.
pub struct IrqSpinGuard<'a, T> {
    guard: Option<spin::MutexGuard<'a, T>>,
    flags: u64,
}

impl<T> IrqSpinLock<T> {
    /// A new unlocked lock.
    pub const fn new(v: T) -> Self {
        IrqSpinLock {
            inner: spin::Mutex::new(v),
        }
    }

    /// Releases a lock whose guard was forgotten: the context switch takes
    /// the runqueue lock in one task and releases it in the next.
    ///
    /// # Safety
    /// The caller must own the lock (its guard was `mem::forget`-ed on this
    /// CPU) and must restore the IRQ mask itself.
    pub unsafe fn force_unlock(&self) {
        // SAFETY: the caller owns the lock (see above).
        unsafe { self.inner.force_unlock() };
    }

    /// Takes the lock if it is free (IRQs masked while held).
    pub fn try_lock(&self) -> Option<IrqSpinGuard<'_, T>> {
        let flags = cpu::local_irq_save();
        match self.inner.try_lock() {
            Some(g) => Some(IrqSpinGuard {
                guard: Some(g),
                flags,
            }),
            None => {
                cpu::local_irq_restore(flags);
                None
            }
        }
    }

    /// Masks IRQs, then takes the lock.
    pub fn lock(&self) -> IrqSpinGuard<'_, T> {
        let flags = cpu::local_irq_save();
        IrqSpinGuard {
            guard: Some(self.inner.lock()),
            flags,
        }
    }
}

impl<T> Deref for IrqSpinGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard present until drop")
    }
}

impl<T> DerefMut for IrqSpinGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_mut().expect("guard present until drop")
    }
}

impl<T> Drop for IrqSpinGuard<'_, T> {
    fn drop(&mut self) {
        // Unlock first, then let IRQs back in.
        self.guard.take();
        cpu::local_irq_restore(self.flags);
    }
}
