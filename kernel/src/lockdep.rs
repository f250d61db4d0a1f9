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
//! from here. The graph logic is the host-tested `libkernel::lockdep`;
//! this file wires it to the locks, the tasks and the console.
//!
//! On in the ktest build, and with `lockdep` on the command line; off, a
//! lock pays one load and a branch. After its first report the validator
//! turns itself off (`debug_locks_off`), as Linux's does, because the
//! state it would go on from is already wrong. Locks whose class name
//! starts with [`SELFTEST_PREFIX`] belong to the validator's own tests:
//! their reports are captured for the test and leave it on.

use crate::arch::cpu;
use crate::percpu::{self, NR_CPUS};
use crate::preempt;
use crate::task::{self, Task};
use alloc::boxed::Box;
use alloc::string::String;
use core::cell::UnsafeCell;
use core::fmt::{self, Write};
use core::panic::Location;
use core::sync::atomic::{AtomicBool, Ordering};
use libkernel::lockdep::{self as dep, ClassId, Ctx, Graph, HeldLocks, Report, Trace};

/// Class names of the validator's self-test locks (see the module doc).
pub const SELFTEST_PREFIX: &str = "lockdep_selftest";

/// The validator is on (Linux's `debug_locks`).
static DEBUG_LOCKS: AtomicBool = AtomicBool::new(false);

/// The dependency graph. A bare `spin::Mutex`: the validator does not
/// validate itself; holders mask IRQs and set `lockdep_recursion`.
///
/// Nothing is allocated while it is held: another CPU may hold the heap
/// lock and wait for this one (growing the heap takes the page
/// allocator's lock, and every lock is validated). A report is written
/// into this CPU's fixed buffer ([`report_text`]) and copied to the heap
/// after the graph is unlocked; class names live in a static table
/// ([`CLASS_NAMES`]).
static GRAPH: spin::Mutex<Graph> = spin::Mutex::new(Graph::new());

/// Bytes of report text kept; the rest of a longer report is cut.
const REPORT_BYTES: usize = 16 * 1024;

/// A fixed-size text buffer: `fmt::Write` without the heap.
struct TextBuf {
    buf: [u8; REPORT_BYTES],
    len: usize,
}

impl TextBuf {
    fn clear(&mut self) {
        self.len = 0;
    }

    fn as_str(&self) -> &str {
        // Only whole characters are ever appended (see write_str).
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// One report buffer per CPU.
struct ReportText([UnsafeCell<TextBuf>; NR_CPUS]);

// SAFETY: a CPU touches only its own buffer, with IRQs masked and its
// `lockdep_recursion` set (see `report_text`), so no two contexts ever
// hold a reference to the same one.
unsafe impl Sync for ReportText {}

static REPORT_TEXT: ReportText = ReportText(
    [const {
        UnsafeCell::new(TextBuf {
            buf: [0; REPORT_BYTES],
            len: 0,
        })
    }; NR_CPUS],
);

/// This CPU's report buffer, emptied. Only between `enter` and `leave`
/// (IRQs masked, `lockdep_recursion` set), and only one at a time.
#[allow(clippy::mut_from_ref)]
fn report_text(_held: &mut HeldLocks) -> &'static mut TextBuf {
    let cpu = percpu::this_cpu().cpu;
    // SAFETY: see `ReportText`: the caller is inside the validator on this
    // CPU (it holds the held-lock stack `enter` handed out), so this CPU's
    // buffer has no other user until `leave`.
    let t = unsafe { &mut *REPORT_TEXT.0[cpu].get() };
    t.clear();
    t
}

impl Write for TextBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = REPORT_BYTES - self.len;
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// A lock's link to its class (Linux's `struct lockdep_map`), one word
/// in every lock: where the lock was created (a `Location`), or for a
/// named lock its name (a `&'static &'static str`, tagged in bit 0). Both
/// live for ever and are unique to their class, so the word is the
/// class's key, looked up in the graph's hash when the validator is on.
pub struct LockdepMap(*const u8);

// SAFETY: the pointer is to immutable static data (a Location or a
// string reference), never written through.
unsafe impl Sync for LockdepMap {}
// SAFETY: as above.
unsafe impl Send for LockdepMap {}

impl LockdepMap {
    /// A map for a lock created at `site`, or named `name`.
    pub const fn new(
        site: &'static Location<'static>,
        name: Option<&'static &'static str>,
    ) -> Self {
        match name {
            // Both are at least 4-aligned: bit 0 is free for the tag.
            Some(n) => LockdepMap((n as *const &str as *const u8).wrapping_add(1)),
            None => LockdepMap(site as *const Location as *const u8),
        }
    }

    /// The class key (see the type).
    fn key(&self) -> usize {
        self.0 as usize
    }

    /// The class name for reports: its given name, else where it was
    /// created.
    pub fn name_hint(&self) -> ClassName {
        let p = self.0 as usize;
        if p & 1 != 0 {
            // SAFETY: made by `new` from a `&'static &'static str`, plus 1.
            ClassName::Named(unsafe { *((p - 1) as *const &'static str) })
        } else {
            // SAFETY: made by `new` from a `&'static Location`.
            ClassName::Site(unsafe { &*(p as *const Location<'static>) })
        }
    }
}

/// A lock class's printable name (see [`LockdepMap::name_hint`]).
pub enum ClassName {
    /// The name the lock was given.
    Named(&'static str),
    /// Where an unnamed lock was created.
    Site(&'static Location<'static>),
}

impl fmt::Display for ClassName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassName::Named(n) => f.write_str(n),
            ClassName::Site(l) => write!(f, "{}:{}", l.file(), l.line()),
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

/// Records that `instance` of `map`'s class is being taken here, in the
/// caller this is inlined into (`lock_acquire`): called before spinning,
/// so a deadlock is reported rather than entered. The address is taken
/// only when the validator is on.
#[inline(always)]
pub fn lock_acquire(map: &LockdepMap, instance: usize, subclass: u8) {
    if enabled() {
        __lock_acquire(map, instance, subclass, crate::this_ip!());
    }
}

/// Records the release of `instance` here (`lock_release`).
#[inline(always)]
pub fn lock_release(map: &LockdepMap, instance: usize) {
    if enabled() {
        __lock_release(map, instance, crate::this_ip!());
    }
}

/// [`lock_release`] for a caller that has just seen [`enabled`] (a spin
/// unlock looks once for the release and the IRQ restore after it).
#[inline(always)]
pub fn lock_release_seen_enabled(map: &LockdepMap, instance: usize) {
    __lock_release(map, instance, crate::this_ip!());
}

/// [`hardirqs_on`] for a caller that has just seen [`enabled`].
#[inline(always)]
pub fn hardirqs_on_seen_enabled() {
    __hardirqs_on(crate::this_ip!());
}

/// IRQs are about to be unmasked on this CPU (Linux's
/// `lockdep_hardirqs_on`): the locks the running task still holds are from
/// now on held with IRQs on, and are checked as if taken so (a lock taken
/// with IRQs masked and kept across `local_irq_restore` is IRQ-unsafe
/// too).
#[inline(always)]
pub fn hardirqs_on() {
    if enabled() {
        __hardirqs_on(crate::this_ip!());
    }
}

#[cold]
#[inline(never)]
fn __hardirqs_on(ip: usize) {
    // Already on (a restore to the same state), or in a handler whose
    // locks are at hard-IRQ level: nothing changes.
    if !cpu::irqs_disabled() || preempt::in_irq() {
        return;
    }
    let flags = cpu::local_irq_save();
    let Some(held) = enter() else {
        cpu::raw_local_irq_restore(flags);
        return;
    };
    if held.depth() == 0 {
        leave(flags);
        return;
    }
    let mut trace = capture_trace();
    if trace.len == 0 {
        trace = Trace::from_slice(&[ip]);
    }
    let mut g = GRAPH.lock();
    let report = dep::mark_held_locks(&mut g, held, &trace).err().map(|rep| {
        let selftest = rep.new_class().is_some_and(|c| is_selftest(&g, c));
        let (comm, pid) = who();
        let text = report_text(held);
        let _ = dep::write_report(text, &rep, &g, held, (comm.as_str(), pid), &sym);
        (text, selftest)
    });
    drop(g);
    let report = report.map(|(text, selftest)| (report_string(text), selftest));
    leave(flags);
    if let Some((text, selftest)) = report {
        emit(text, selftest);
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
    cpu::raw_local_irq_restore(flags);
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

/// Longest class name kept for a class named by where its lock was
/// created (`file:line`).
const CLASS_NAME_BYTES: usize = 96;

/// The names of classes named by their creation site, one slot per class
/// id. Not on the heap: a class first used late (a path only the fuzzer
/// reaches) would otherwise show as a leak in heap accounting, and
/// nothing may be allocated under the graph lock.
struct ClassNames([UnsafeCell<[u8; CLASS_NAME_BYTES]>; dep::MAX_LOCKDEP_KEYS]);

// SAFETY: slot `id` is written once, under the graph lock, before class
// `id` is registered; only then can anyone read it, and it is never
// written again.
unsafe impl Sync for ClassNames {}

static CLASS_NAMES: ClassNames =
    ClassNames([const { UnsafeCell::new([0; CLASS_NAME_BYTES]) }; dep::MAX_LOCKDEP_KEYS]);

/// Writes `map`'s creation site into the slot of the class `g` registers
/// next, and returns it as the class's name.
fn site_name(g: &Graph, map: &LockdepMap) -> &'static str {
    let Some(slot) = CLASS_NAMES.0.get(g.nr_classes()) else {
        return "?"; // the table is full: register reports it
    };
    struct Fill<'a>(&'a mut [u8; CLASS_NAME_BYTES], usize);
    impl Write for Fill<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let mut n = s.len().min(CLASS_NAME_BYTES - self.1);
            while !s.is_char_boundary(n) {
                n -= 1;
            }
            self.0[self.1..self.1 + n].copy_from_slice(&s.as_bytes()[..n]);
            self.1 += n;
            Ok(())
        }
    }
    // SAFETY: see ClassNames: this slot's class is not registered yet and
    // the caller holds the graph lock, so nothing else touches it.
    let buf = unsafe { &mut *slot.get() };
    let mut f = Fill(buf, 0);
    let _ = write!(f, "{}", map.name_hint());
    let len = f.1;
    // SAFETY: as above; from here on the slot is only read.
    let bytes: &'static [u8] = unsafe { &(&*slot.get())[..len] };
    core::str::from_utf8(bytes).unwrap_or("?")
}

/// `map`'s class for `subclass`, registered on first use.
fn class_of(g: &mut Graph, map: &LockdepMap, subclass: u8) -> Result<ClassId, Report> {
    let key = map.key();
    match g.lookup(key, subclass) {
        Some(id) => Ok(id),
        None => {
            let name = match map.name_hint() {
                ClassName::Named(n) => n,
                ClassName::Site(_) => site_name(g, map),
            };
            g.register(key, subclass, name)
        }
    }
}

/// A report written in this CPU's buffer, copied to the heap (the graph
/// unlocked by now).
fn report_string(text: &TextBuf) -> String {
    String::from(text.as_str())
}

fn is_selftest(g: &Graph, c: ClassId) -> bool {
    g.class(c).name().starts_with(SELFTEST_PREFIX)
}

fn sym(out: &mut dyn Write, addr: usize) -> fmt::Result {
    write!(out, "{}", crate::trace::kallsyms::lookup_text(addr))
}

fn who() -> (task::Comm, i32) {
    task::with_current_raw(|t: &Task| (t.comm(), t.pid())).unwrap_or((task::Comm([0; 16]), 0))
}

#[cold]
#[inline(never)]
fn __lock_acquire(map: &LockdepMap, instance: usize, subclass: u8, ip: usize) {
    let irqs_enabled = !cpu::irqs_disabled();
    let flags = cpu::local_irq_save();
    let Some(held) = enter() else {
        cpu::raw_local_irq_restore(flags);
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
        let text = report_text(held);
        let _ = dep::write_report(text, &rep, &g, held, (comm.as_str(), pid), &sym);
        if selftest {
            // The lock is taken all the same and the validator stays on:
            // keep the stack true to what is held.
            if let Some(c) = rep.new_class() {
                held.push_unchecked(c, instance, ip, ctx.hardirq);
            }
        }
        (text, selftest)
    });
    drop(g);
    let report = report.map(|(text, selftest)| (report_string(text), selftest));
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
        cpu::raw_local_irq_restore(flags);
        return;
    };
    let report = dep::lock_release(held, instance).err().map(|rep| {
        let g = GRAPH.lock();
        let (comm, pid) = who();
        let text = report_text(held);
        let _ = dep::write_report(text, &rep.with_ip(ip), &g, held, (comm.as_str(), pid), &sym);
        drop(g);
        report_string(text)
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
        cpu::raw_local_irq_restore(flags);
        return Ok(());
    };
    let g = GRAPH.lock();
    let (comm, pid) = who();
    let text = report_text(held);
    let r = dep::write_held_locks(text, held, &g, (comm.as_str(), pid), &sym);
    drop(g);
    // `out` may be a heap string: written with the graph unlocked.
    let r = r.and_then(|_| out.write_str(text.as_str()));
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
            cpu::raw_local_irq_restore(flags);
            0
        }
    }
}

/// `/proc/lockdep`: every class and its direct dependencies.
pub fn proc_show() -> String {
    // Written into memory reserved beforehand (nothing is allocated under
    // the graph lock); a table that does not fit is written again into
    // twice the room.
    let mut cap = 16 * 1024;
    loop {
        let mut s = NoGrow(String::with_capacity(cap), false);
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
        cpu::raw_local_irq_restore(flags);
        if !s.1 {
            return s.0;
        }
        cap *= 2;
    }
}

/// A string that never reallocates: text that does not fit in its
/// capacity is dropped and the overflow noted.
struct NoGrow(String, bool);

impl Write for NoGrow {
    fn write_str(&mut self, t: &str) -> fmt::Result {
        if self.0.len() + t.len() > self.0.capacity() {
            self.1 = true;
            return Err(fmt::Error);
        }
        self.0.push_str(t);
        Ok(())
    }
}
