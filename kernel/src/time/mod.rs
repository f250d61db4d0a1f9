//! Time: uptime from the generic counter and the per-core scheduler tick.
//!
//! The counter frequency is read from CNTFRQ_EL0, never assumed (62.5 MHz
//! under QEMU, 19.2 MHz on a Pi 3, 54 MHz on a Pi 4).

pub mod hrtimer;
pub mod itimer;
pub mod posix_timers;

use crate::arch::{cpu, timer};
use crate::percpu;
use core::num::NonZeroU64;
use core::sync::atomic::{AtomicU64, Ordering};
use libkernel::vdso::VdsoClock;

/// Scheduler ticks per second on each core (Linux's CONFIG_HZ on the Pi).
pub use libkernel::time::HZ;

static BOOT_COUNTER: AtomicU64 = AtomicU64::new(0);
static FREQ: AtomicU64 = AtomicU64::new(1);

/// Records the counter value that uptime counts from.
pub fn init_boot_clock() {
    FREQ.store(cpu::counter_frequency().max(1), Ordering::Relaxed);
    BOOT_COUNTER.store(cpu::read_counter(), Ordering::Relaxed);
}

/// Counter ticks per second.
pub fn counter_frequency() -> u64 {
    FREQ.load(Ordering::Relaxed)
}

/// Counter ticks since boot.
pub fn uptime_cycles() -> u64 {
    cpu::read_counter().wrapping_sub(BOOT_COUNTER.load(Ordering::Relaxed))
}

/// The counter frequency as a divisor ([`init_boot_clock`] stores at
/// least 1).
#[inline]
fn freq_nz() -> NonZeroU64 {
    NonZeroU64::new(counter_frequency()).unwrap_or(NonZeroU64::MIN)
}

/// Converts counter ticks to nanoseconds, exactly (62.5 MHz: 16 ns per
/// tick): the arithmetic the vDSO does too (`libkernel::vdso`).
pub fn cycles_to_ns(c: u64) -> u64 {
    libkernel::vdso::cycles_to_ns(c, freq_nz())
}
/// Nanoseconds since boot.
pub fn uptime_ns() -> u64 {
    cycles_to_ns(uptime_cycles())
}

fn tick_interval() -> u64 {
    counter_frequency() / HZ
}

/// The counter value uptime counts from.
pub fn boot_counter() -> u64 {
    BOOT_COUNTER.load(Ordering::Relaxed)
}

/// Converts nanoseconds to counter ticks (rounded down), in 64 bits as
/// [`cycles_to_ns`] does.
pub fn ns_to_cycles(ns: u64) -> u64 {
    libkernel::vdso::ns_to_cycles(ns, freq_nz())
}

/// The time of a clock the vDSO's data page serves, ns, read as the vDSO
/// reads it (`ktime_get_*`): the page's fields under its sequence count,
/// the counter, the shared arithmetic. `CLOCK_MONOTONIC` (and its twins)
/// needs no page: its fields are [`boot_counter`] and
/// [`counter_frequency`], set once at boot, so it is [`uptime_ns`], the
/// same computation without the sequence count (the null-syscall path of
/// `clock_gettime` stays as short as before the vDSO). Before the page
/// exists (early boot), every clock is the uptime.
#[inline]
pub fn clock_ns(clock: VdsoClock) -> u64 {
    if clock == VdsoClock::Mono {
        return uptime_ns();
    }
    clock_ns_slow(clock)
}

fn clock_ns_slow(clock: VdsoClock) -> u64 {
    let Some(data) = crate::vdso::vdso_data() else {
        return uptime_ns();
    };
    let (snap, now) = data.read(cpu::read_counter);
    snap.clock_ns(clock, now).unwrap_or_else(uptime_ns)
}

/// Starts this core's periodic tick, and lets user space read the counter
/// (the vDSO).
pub fn init_this_cpu() {
    timer::enable_user_counter();
    let first = cpu::read_counter() + tick_interval();
    percpu::this_cpu().next_tick.store(first, Ordering::Relaxed);
    timer::set_deadline(first);
}

/// One scheduler tick on this core (called by the timer interrupt when the
/// tick is due). Ticks advance by whole intervals so they do not drift;
/// after a long stall (a debugger, a descheduled vCPU) the catch-up is
/// capped.
pub fn tick(now: u64) {
    let pc = percpu::this_cpu();
    pc.ticks.fetch_add(1, Ordering::Relaxed);
    let mut next = pc.next_tick.load(Ordering::Relaxed) + tick_interval();
    if now > next + 10 * tick_interval() {
        next = now + tick_interval();
    }
    pc.next_tick.store(next, Ordering::Relaxed);
    // One CPU keeps the coarse clocks (`tick_do_timer_cpu`), so they only
    // move forward.
    if pc.cpu == 0 {
        crate::vdso::update_coarse(cycles_to_ns(now.wrapping_sub(boot_counter())));
    }
    let regs = crate::arch::exception::get_irq_regs();
    crate::watchdog::watchdog_tick(now, regs);
    crate::sched::cputime::account_process_tick(regs.is_some_and(|r| r.user_mode()));
    crate::sched::scheduler_tick();
}

/// Busy-waits `us` microseconds.
pub fn udelay(us: u64) {
    let end = cpu::read_counter() + us * counter_frequency() / 1_000_000;
    while cpu::read_counter() < end {
        core::hint::spin_loop();
    }
}

/// Busy-waits `ms` milliseconds.
pub fn mdelay(ms: u64) {
    udelay(ms * 1000);
}
