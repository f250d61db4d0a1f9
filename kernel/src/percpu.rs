//! Per-CPU data, reached through `TPIDR_EL1` as Linux's arm64 port does.
//!
//! Each core's `TPIDR_EL1` holds the address of its own [`PerCpu`]; reading
//! it is one instruction and needs no lock. Fields that other cores touch
//! (IPI requests, tick counts read by tests) are atomics.

use crate::arch::cpu::{my_cpu_offset, set_my_cpu_offset};
use crate::arch::exception::FaultRecord;
use crate::task::Task;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// Cores on a Raspberry Pi 3 or 4.
pub const NR_CPUS: usize = 4;

/// One core's private state. `current` comes first: the exception entry
/// from user space loads it from offset 0 (`vectors.S`).
#[repr(C)]
pub struct PerCpu {
    /// The task running here (`current`), owned by this CPU's runqueue.
    /// The running code itself reads `SP_EL0` instead (`task::current`);
    /// this copy is for the entry code and for other CPUs (watchdog,
    /// SysRq).
    current: AtomicPtr<Task>,
    /// This core's number.
    pub cpu: usize,
    /// Timer ticks taken on this core.
    pub ticks: AtomicU64,
    /// IPIs received on this core.
    pub ipis: AtomicU64,
    /// IPI requests not yet handled, one bit per `smp::IpiKind`.
    pub ipi_pending: AtomicU32,
    /// Set once the core finished its bring-up.
    pub online: AtomicBool,
    /// A function another core asked this one to run (`smp::call_on_cpu`).
    pub call_fn: AtomicUsize,
    /// Functions run on request so far.
    pub calls_done: AtomicU64,
    /// The running task should give up the CPU at the next safe point.
    pub need_resched: AtomicBool,
    /// Inside the lock validator on this CPU: locks it takes itself (the
    /// console, the heap) are not validated (Linux's `lockdep_recursion`).
    pub lockdep_recursion: AtomicBool,
    /// Counter value of this CPU's next scheduler tick.
    pub next_tick: AtomicU64,
    /// The registers the IRQ being handled interrupted (`get_irq_regs`),
    /// as an address; 0 outside IRQ handling.
    pub irq_regs: AtomicUsize,
    /// This core's trace ring (null before `trace::init`): one load from
    /// the per-CPU data on every recorded event.
    pub trace_ring: AtomicPtr<libkernel::trace::Ring>,
    /// The function tracer runs on this CPU: functions it calls, traced
    /// too, leave its handler at once (Linux's `ftrace_test_recursion`).
    pub ftrace_recursion: AtomicBool,
    fault: crate::sync::IrqSpinLock<Option<FaultRecord>>,
}

impl PerCpu {
    const fn new(cpu: usize) -> Self {
        PerCpu {
            cpu,
            ticks: AtomicU64::new(0),
            ipis: AtomicU64::new(0),
            ipi_pending: AtomicU32::new(0),
            online: AtomicBool::new(false),
            call_fn: AtomicUsize::new(0),
            calls_done: AtomicU64::new(0),
            current: AtomicPtr::new(core::ptr::null_mut()),
            need_resched: AtomicBool::new(false),
            lockdep_recursion: AtomicBool::new(false),
            trace_ring: AtomicPtr::new(core::ptr::null_mut()),
            ftrace_recursion: AtomicBool::new(false),
            next_tick: AtomicU64::new(0),
            irq_regs: AtomicUsize::new(0),
            fault: crate::sync::IrqSpinLock::named(&"&pc->fault", None),
        }
    }

    /// Records a fault that the exception table fixed up.
    pub fn record_fault(&self, f: FaultRecord) {
        *self.fault.lock() = Some(f);
    }

    /// The task running on this CPU as its runqueue last recorded it (null
    /// before the scheduler starts). Code asking about itself uses
    /// `task::current_ptr()`, which cannot go stale under preemption.
    pub fn current_task(&self) -> *const Task {
        self.current.load(Ordering::Relaxed)
    }

    /// Records the task now running here.
    pub fn set_current_task(&self, t: *const Task) {
        self.current.store(t as *mut Task, Ordering::Relaxed);
    }

    /// Takes the last fixed-up fault on this core.
    pub fn take_fault(&self) -> Option<FaultRecord> {
        self.fault.lock().take()
    }
}

const _: () = assert!(core::mem::offset_of!(PerCpu, current) == 0);

static PER_CPU: [PerCpu; NR_CPUS] = [
    PerCpu::new(0),
    PerCpu::new(1),
    PerCpu::new(2),
    PerCpu::new(3),
];

/// Points this core's `TPIDR_EL1` at its `PerCpu`.
pub fn init_this_cpu(cpu: usize) {
    set_my_cpu_offset(&PER_CPU[cpu] as *const PerCpu as u64);
}

/// This core's `PerCpu`: one register read. `TPIDR_EL1` is set before
/// anything else runs on the core (`kernel_main`, `secondary_main`).
#[inline(always)]
pub fn this_cpu() -> &'static PerCpu {
    let p = my_cpu_offset() as *const PerCpu;
    // SAFETY: TPIDR_EL1 is only ever set by init_this_cpu to an element of
    // PER_CPU, a static that lives forever, first thing on each core.
    unsafe { &*p }
}

/// The `PerCpu` a `TPIDR_EL1` value points at, if it points at one (the
/// function tracer's handler asks before the core's set-up is certain).
/// Inline, with no call: the handler runs it before its recursion bit.
#[inline(always)]
pub fn from_base(base: usize) -> Option<&'static PerCpu> {
    let first = PER_CPU.as_ptr() as usize;
    let size = core::mem::size_of::<PerCpu>();
    if base < first || base >= first + NR_CPUS * size || !(base - first).is_multiple_of(size) {
        return None;
    }
    // SAFETY: `base` is the address of an element of PER_CPU, a static.
    Some(unsafe { &*(base as *const PerCpu) })
}

/// Another core's `PerCpu`.
pub fn cpu(n: usize) -> &'static PerCpu {
    &PER_CPU[n]
}

/// This core's number.
#[inline]
pub fn smp_processor_id() -> usize {
    this_cpu().cpu
}

/// Iterates over all cores' `PerCpu`.
pub fn all() -> impl Iterator<Item = &'static PerCpu> {
    PER_CPU.iter()
}

/// Relaxed load helper for counters read by tests and reports.
pub fn load(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

/// IRQs masked on this CPU for as long as it lives (`local_irq_save` ...
/// `local_irq_restore`): the CPU cannot change, and nothing else on it runs,
/// so per-CPU data that only its CPU touches (the heap's and the page
/// allocator's free lists) needs no lock. Not `Send`: it stays on the CPU
/// that made it.
pub struct IrqsMasked(u64, core::marker::PhantomData<*const ()>);

impl IrqsMasked {
    /// Masks IRQs.
    #[inline(always)]
    pub fn new() -> Self {
        IrqsMasked(
            crate::arch::cpu::local_irq_save(),
            core::marker::PhantomData,
        )
    }

    /// This CPU's number (stable while `self` lives).
    #[inline(always)]
    pub fn cpu(&self) -> usize {
        smp_processor_id()
    }
}

impl Default for IrqsMasked {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for IrqsMasked {
    #[inline(always)]
    fn drop(&mut self) {
        crate::arch::cpu::local_irq_restore(self.0);
    }
}
