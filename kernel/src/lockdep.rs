//! The lock validator (Linux's `kernel/locking/lockdep.c`), kernel half.
//!
//! Every spin lock belongs to a class: the place it was created
//! (`sync::RawSpinLock::new`), as Linux keys a class by its
//! `spin_lock_init` site. Each task keeps the stack of locks it holds; on
//! every acquisition the validator records "class A was held when class B
//! was taken" and reports, the first time it becomes possible rather than
//! when it happens:
//!
//! - a possible circular locking dependency (an ABBA deadlock),
//! - a lock taken both in hard-IRQ context and with IRQs enabled
//!   ("inconsistent lock state"),
//! - a class taken while already held (recursive locking),
//! - a release of a lock not held.
//!
//! Holding a lock across `schedule()` is reported by the scheduler
//! ("scheduling while atomic", `sched::core`), with the held locks listed
//! from here. The graph logic is the host-tested `pikern_core::lockdep`;
//! this file wires it to the locks, the tasks and the console.
//!
//! On in the ktest build, and with `lockdep` on the command line; off, a
//! lock pays one load and a branch. After its first report the validator
//! turns itself off (`debug_locks_off`), as Linux's does, because the
//! state it would go on from is already wrong. Locks whose class name
//! starts with [`SELFTEST_PREFIX`] belong to the validator's own tests:
//! their reports are captured for the test and leave it on.

use crate::arch::cpu;
use crate::task::{self, Task};
use crate::{percpu, preempt};
use alloc::boxed::Box;
use alloc::string::String;
use core::cell::UnsafeCell;
use core::fmt::{self, Write};
use core::panic::Location;
use core::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use pikern_core::lockdep::{self as dep, ClassId, Ctx, Graph, HeldLocks, Report, Trace};

/// Class names of the validator's self-test locks (see the module doc).
pub const SELFTEST_PREFIX: &str = "lockdep_selftest";

/// The validator is on (Linux's `debug_locks`).
static DEBUG_LOCKS: AtomicBool = AtomicBool::new(false);

/// The dependency graph. A bare `spin::Mutex`: the validator does not
/// validate itself; holders mask IRQs and set `lockdep_recursion`.
static GRAPH: spin::Mutex<Graph> = spin::Mutex::new(Graph::new());

/// A lock's link to its class (Linux's `struct lockdep_map`).
pub struct LockdepMap {
    key: &'static Location<'static>,
    name: Option<&'static str>,
    /// The class of subclass 0, once registered (id + 1; 0: not yet).
    class_cache: AtomicU16,
}

impl LockdepMap {
    /// A map for a lock created at `key`, optionally named.
    pub const fn new(key: &'static Location<'static>, name: Option<&'static str>) -> Self {
        LockdepMap {
            key,
            name,
            class_cache: AtomicU16::new(0),
        }
    }

    /// The class name for reports: its given name, else where it was
    /// created.
    pub fn name_hint(&self) -> ClassName {
        ClassName(self.key, self.name)
    }
}

/// A lock class's printable name (see [`LockdepMap::name_hint`]).
pub struct ClassName(&'static Location<'static>, Option<&'static str>);

impl fmt::Display for ClassName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(n) => f.write_str(n),
            None => write!(f, "{}:{}", self.0.file(), self.0.line()),
        }
    }
}

/// A task's held-lock stack (`task_struct::held_locks`); allocated only
/// when the validator is on.
pub struct TaskHeldLocks(UnsafeCell<Option<Box<HeldLocks>>>);

// SAFETY: only the owning task, on its CPU with IRQs masked and
// `lockdep_recursion` set, touches the stack (IRQ handlers on that CPU push
// and pop on the task they interrupted, also with IRQs masked).
unsafe impl Sync for TaskHeldLocks {}

impl TaskHeldLocks {
    /// An empty stack, or none when the validator is off.
    pub fn new() -> Self {
        TaskHeldLocks(UnsafeCell::new(
            enabled().then(|| Box::new(HeldLocks::new())),
        ))
    }
}

impl Default for TaskHeldLocks {
    fn default() -> Self {
        Self::new()
    }
}

/// Is the validator on?
#[inline(always)]
pub fn enabled() -> bool {
    DEBUG_LOCKS.load(Ordering::Relaxed)
}

/// Turns the validator on when the build or the command line asks for it
/// (`lockdep`; `nolockdep` wins). Runs before the first task exists.
pub fn init() {
    let cmd = crate::cmdline::get();
    let on = (cfg!(feature = "ktest") || cmd.has("lockdep")) && !cmd.has("nolockdep");
    DEBUG_LOCKS.store(on, Ordering::Relaxed);
    if on {
        crate::println!(
            "lockdep: the lock validator is on ({} classes, {} dependencies, depth {})",
            dep::MAX_LOCKDEP_KEYS,
            dep::MAX_LOCKDEP_DEPS,
            dep::MAX_LOCK_DEPTH
        );
    }
}

/// Records that `instance` of `map`'s class is being taken at `ip`
/// (`lock_acquire`): called before spinning, so a deadlock is reported
/// rather than entered.
#[inline(always)]
pub fn lock_acquire(map: &LockdepMap, instance: usize, subclass: u8, ip: usize) {
    if enabled() {
        __lock_acquire(map, instance, subclass, ip);
    }
}

/// Records the release of `instance` (`lock_release`).
#[inline(always)]
pub fn lock_release(map: &LockdepMap, instance: usize, ip: usize) {
    if enabled() {
        __lock_release(map, instance, ip);
    }
}

/// The running task's held-lock stack, with this CPU marked as inside the
/// validator; `None` when it must not validate (re-entered, no task yet,
/// a task without a stack). IRQs must be masked.
fn enter() -> Option<&'static mut HeldLocks> {
    let pc = percpu::this_cpu();
    if pc.lockdep_recursion.load(Ordering::Relaxed) {
        return None;
    }
    let t = task::current_ptr();
    if t.is_null() {
        return None;
    }
    // SAFETY: the running task stays alive while it runs; its held-lock
    // stack is only touched from this CPU with IRQs masked, and the
    // recursion flag set below keeps this the only reference.
    let held = unsafe { (*(*t).held_locks.0.get()).as_deref_mut() }?;
    pc.lockdep_recursion.store(true, Ordering::Relaxed);
    Some(held)
}

fn leave(flags: u64) {
    percpu::this_cpu()
        .lockdep_recursion
        .store(false, Ordering::Relaxed);
    cpu::local_irq_restore(flags);
}

/// The return addresses of the code taking the lock (the validator's own
/// frames skipped).
fn capture_trace() -> Trace {
    let mut e = [0usize; dep::TRACE_DEPTH + 2];
    let mut n = 0;
    crate::arch::backtrace::walk(
        crate::arch::backtrace::current_fp(),
        dep::TRACE_DEPTH + 2,
        |lr| {
            e[n] = lr;
            n += 1;
        },
    );
    Trace::from_slice(e.get(2..n).unwrap_or(&[]))
}

fn class_of(g: &mut Graph, map: &LockdepMap, subclass: u8) -> Result<ClassId, Report> {
    if subclass == 0 {
        if let Some(id) = map.class_cache.load(Ordering::Relaxed).checked_sub(1) {
            return Ok(id);
        }
    }
    let key = map.key as *const Location as usize;
    let id = match g.lookup(key, subclass) {
        Some(id) => id,
        None => {
            let name: &'static str = match map.name {
                Some(n) => n,
                // Once per class: the table is bounded, so is this.
                None => Box::leak(alloc::format!("{}", map.name_hint()).into_boxed_str()),
            };
            g.register(key, subclass, name)?
        }
    };
    if subclass == 0 {
        map.class_cache.store(id + 1, Ordering::Relaxed);
    }
    Ok(id)
}

fn is_selftest(g: &Graph, c: ClassId) -> bool {
    g.class(c).name().starts_with(SELFTEST_PREFIX)
}

fn sym(out: &mut dyn Write, addr: usize) -> fmt::Result {
    write!(out, "{}", crate::trace::kallsyms::lookup_text(addr))
}

fn who() -> (task::Comm, i32) {
    task::with_current_raw(|t: &Task| (t.comm(), t.pid)).unwrap_or((task::Comm([0; 16]), 0))
}

#[cold]
#[inline(never)]
fn __lock_acquire(map: &LockdepMap, instance: usize, subclass: u8, ip: usize) {
    let irqs_enabled = !cpu::irqs_disabled();
    let flags = cpu::local_irq_save();
    let Some(held) = enter() else {
        cpu::local_irq_restore(flags);
        return;
    };
    let ctx = Ctx {
        hardirq: preempt::in_irq(),
        irqs_enabled,
    };
    let trace = capture_trace();
    let mut g = GRAPH.lock();
    let r = class_of(&mut g, map, subclass)
        .and_then(|class| dep::lock_acquire(&mut g, held, class, instance, ip, &trace, ctx));
    let report = r.err().map(|rep| {
        let selftest = rep.new_class().is_some_and(|c| is_selftest(&g, c));
        let (comm, pid) = who();
        let mut s = String::new();
        let _ = dep::write_report(&mut s, &rep, &g, held, (comm.as_str(), pid), &sym);
        if selftest {
            // The lock is taken all the same and the validator stays on:
            // keep the stack true to what is held.
            if let Some(c) = rep.new_class() {
                held.push_unchecked(c, instance, ip, ctx.hardirq);
            }
        }
        (s, selftest)
    });
    drop(g);
    leave(flags);
    if let Some((text, selftest)) = report {
        emit(text, selftest);
    }
}

#[cold]
#[inline(never)]
fn __lock_release(_map: &LockdepMap, instance: usize, ip: usize) {
    let flags = cpu::local_irq_save();
    let Some(held) = enter() else {
        cpu::local_irq_restore(flags);
        return;
    };
    let report = dep::lock_release(held, instance).err().map(|rep| {
        let g = GRAPH.lock();
        let (comm, pid) = who();
        let mut s = String::new();
        let _ = dep::write_report(
            &mut s,
            &rep.with_ip(ip),
            &g,
            held,
            (comm.as_str(), pid),
            &sym,
        );
        s
    });
    leave(flags);
    if let Some(text) = report {
        emit(text, false);
    }
}

/// Prints a report with the reporter's backtrace, then turns the
/// validator off; a self-test's report is handed to the test instead.
fn emit(mut text: String, selftest: bool) {
    let _ = writeln!(text, "stack backtrace:");
    let _ = crate::panic::write_backtrace(&mut text, crate::arch::backtrace::current_fp(), None);
    if !selftest {
        // Linux's debug_locks_off(): the state it would go on from is
        // already wrong.
        DEBUG_LOCKS.store(false, Ordering::Relaxed);
    }
    crate::panic::warn_report(&text, selftest);
}

/// Writes the "N locks held by comm/pid:" block for the running task
/// (`debug_show_held_locks`); nothing when the validator is off.
pub fn write_held_locks(out: &mut dyn Write) -> fmt::Result {
    if !enabled() {
        return Ok(());
    }
    let flags = cpu::local_irq_save();
    let Some(held) = enter() else {
        cpu::local_irq_restore(flags);
        return Ok(());
    };
    let g = GRAPH.lock();
    let (comm, pid) = who();
    let r = dep::write_held_locks(out, held, &g, (comm.as_str(), pid), &sym);
    drop(g);
    leave(flags);
    r
}

/// How many locks the running task holds (0 when the validator is off).
pub fn held_count() -> usize {
    let flags = cpu::local_irq_save();
    match enter() {
        Some(h) => {
            let n = h.depth();
            leave(flags);
            n
        }
        None => {
            cpu::local_irq_restore(flags);
            0
        }
    }
}

/// `/proc/lockdep`: every class and its direct dependencies.
pub fn proc_show() -> String {
    let mut s = String::new();
    let flags = cpu::local_irq_save();
    let pc = percpu::this_cpu();
    let nested = pc.lockdep_recursion.swap(true, Ordering::Relaxed);
    {
        let g = GRAPH.lock();
        let _ = writeln!(
            s,
            "# lockdep: validator {}; {} classes, {} dependencies",
            if enabled() { "on" } else { "off" },
            g.nr_classes(),
            g.nr_deps()
        );
        let _ = dep::write_proc_lockdep(&mut s, &g);
    }
    pc.lockdep_recursion.store(nested, Ordering::Relaxed);
    cpu::local_irq_restore(flags);
    s
}
