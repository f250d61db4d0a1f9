//! A typed view of a memory-mapped register block (tock-registers structs).

use core::marker::PhantomData;
use core::ops::Deref;

/// Registers of type `T` at a fixed physical address, reached through the
/// kernel's linear map (device memory).
pub struct Mmio<T> {
    base: usize,
    _regs: PhantomData<fn() -> T>,
}

impl<T> Mmio<T> {
    /// A register block at `base`.
    pub const fn new(base: usize) -> Self {
        Mmio {
            base,
            _regs: PhantomData,
        }
    }

    /// Its address.
    pub const fn base(&self) -> usize {
        self.base
    }
}

impl<T> Deref for Mmio<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `base` is a board constant naming a device register block
        // of layout T, mapped as device memory for the kernel's lifetime;
        // tock-registers types only do volatile accesses through &self.
        unsafe { &*(crate::mm::phys_to_virt(self.base as u64) as *const T) }
    }
}
