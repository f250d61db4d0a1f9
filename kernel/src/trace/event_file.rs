//! What decides, per entry, whether it is recorded and what else happens
//! (Linux's `struct trace_event_file` with its filter and triggers,
//! `trace_events_filter.c`, `trace_events_trigger.c`, and the
//! `set_event_pid` list of `trace_events.c`): the event's filter, its
//! triggers, the pid list, `tracing_cpumask` and the `stacktrace`
//! options.
//!
//! None of it costs anything until used: [`HOOKED`] has a bit for each
//! record id that needs this slow path, and `record_words` looks at it
//! once. A filter or trigger set is published as a whole (an
//! `AtomicPtr`), and the old one freed only after every CPU has passed a
//! point with IRQs on, as Linux waits for an RCU grace period: readers run
//! with IRQs masked inside `record_words`.

use super::options::{self, Opt};
use crate::errno::*;
use crate::percpu::NR_CPUS;
use crate::sync::{IrqSpinLock, SpinLock};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::ptr;
use core::sync::atomic::{AtomicI32, AtomicI64, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use libkernel::trace::filter::{Filter, FilterRecord, ParseError};
use libkernel::trace::syscalls::{NR_SYSCALLS, SYSCALL_EVENT_BASE};
use libkernel::trace::trigger::{Trigger, TriggerCmd, TriggerErr};
use libkernel::trace::{self as core_trace, all_events, id, Record, WORDS};

/// Record ids that take the slow path (a bit each; all of them while a
/// pid list, a partial cpumask or the `stacktrace` options are in use).
pub static HOOKED: AtomicU64 = AtomicU64::new(0);
/// Event ids with triggers: these fire even when the event is not
/// enabled or tracing is off (Linux's soft-disabled mode).
pub static TRIGGERED: AtomicU64 = AtomicU64::new(0);

/// A trigger and how many more times it fires.
struct TriggerState {
    t: Trigger,
    left: AtomicI64,
}

/// One event's filter and triggers, replaced as a whole.
#[derive(Default)]
struct EventFile {
    filter: Option<Filter>,
    triggers: Vec<TriggerState>,
}

/// Ids below the tracers' bits, then the `syscalls:*` events (enter and
/// exit per system call, from `SYSCALL_EVENT_BASE`).
const NR_IDS: usize = 62;
const NR_SLOTS: usize = NR_IDS + 2 * NR_SYSCALLS;
static FILES: [AtomicPtr<EventFile>; NR_SLOTS] =
    [const { AtomicPtr::new(ptr::null_mut()) }; NR_SLOTS];

/// Event `ev`'s place in [`FILES`].
fn slot(ev: u16) -> Option<&'static AtomicPtr<EventFile>> {
    let i = if ev >= SYSCALL_EVENT_BASE {
        NR_IDS + (ev - SYSCALL_EVENT_BASE) as usize
    } else if (ev as usize) < NR_IDS {
        ev as usize
    } else {
        return None;
    };
    FILES.get(i)
}

/// The [`HOOKED`] bit of id `ev`: its own below 62; a `syscalls:*` id
/// shares `ev & 63` with others, which then take the slow path for
/// nothing but decide right.
#[inline(always)]
pub fn hook_bit(ev: u16) -> u64 {
    1u64 << (ev & 63)
}
/// Serialises writers of [`FILES`] (readers take no lock).
static UPDATE: SpinLock<()> = SpinLock::new(());
/// Serialises changes to the pid list; IRQ-safe, as a task's descriptor
/// may be freed (and its pid leave the list) in any context.
static PIDS_LOCK: IrqSpinLock<()> = IrqSpinLock::new(());

/// `set_event_pid`: up to this many pids.
const MAX_PIDS: usize = 64;
static PIDS: [AtomicI32; MAX_PIDS] = [const { AtomicI32::new(0) }; MAX_PIDS];
static NR_PIDS: AtomicUsize = AtomicUsize::new(0);
/// Per CPU: entries dropped because the buffer was full (`nooverwrite`).
pub static DROPPED: [AtomicU64; NR_CPUS] = [const { AtomicU64::new(0) }; NR_CPUS];
/// `tracing_cpumask`.
pub static CPUMASK: AtomicU64 = AtomicU64::new(u64::MAX);

/// The last refused commands (`error_log`), oldest first.
static ERROR_LOG: SpinLock<Vec<String>> = SpinLock::new(Vec::new());

fn all_cpus() -> u64 {
    (1u64 << NR_CPUS) - 1
}

/// Recomputes [`HOOKED`] and [`TRIGGERED`] after a change; callable in
/// any context.
pub fn recompute() {
    let (mut hooked, mut trig) = (0u64, 0u64);
    // IRQs masked while the files are looked at: `update` frees one only
    // after every CPU has passed a point with IRQs on.
    let flags = crate::arch::cpu::local_irq_save();
    for (i, f) in FILES.iter().enumerate() {
        let p = f.load(Ordering::Acquire);
        if p.is_null() {
            continue;
        }
        // SAFETY: published files are freed only by `update`, after
        // unpublishing them and waiting for every CPU to pass a point with
        // IRQs on; they are masked here.
        let f = unsafe { &*p };
        let ev = if i < NR_IDS {
            i as u16
        } else {
            SYSCALL_EVENT_BASE + (i - NR_IDS) as u16
        };
        if f.filter.is_some() || !f.triggers.is_empty() {
            hooked |= hook_bit(ev);
        }
        // A syscall event's site tests its own bitmap as well: a trigger
        // there fires while the event is enabled.
        if !f.triggers.is_empty() && i < NR_IDS {
            trig |= 1 << i;
        }
    }
    crate::arch::cpu::local_irq_restore(flags);
    let global = NR_PIDS.load(Ordering::Relaxed) > 0
        || CPUMASK.load(Ordering::Relaxed) & all_cpus() != all_cpus()
        || options::is_set(Opt::STACKTRACE)
        || !options::is_set(Opt::OVERWRITE)
        || options::is_set(Opt::FUNC_STACKTRACE);
    if global {
        hooked = u64::MAX;
    }
    HOOKED.store(hooked, Ordering::Release);
    TRIGGERED.store(trig, Ordering::Release);
    super::recompute_active();
}

/// Waits until no CPU can still be reading what was unpublished: every
/// CPU runs a no-op with IRQs on, so none is inside `record_words`.
fn synchronize() {
    for c in 0..NR_CPUS {
        crate::smp::call_on_cpu(c, || {}, c != crate::percpu::smp_processor_id());
    }
}

/// Applies `f` to a copy of event `ev`'s file and publishes the copy.
fn update(ev: u16, f: impl FnOnce(&mut EventFile) -> Result<(), Errno>) -> Result<(), Errno> {
    let slot = slot(ev).ok_or(EINVAL)?;
    let guard = UPDATE.lock();
    let cur = slot.load(Ordering::Acquire);
    let mut new = EventFile::default();
    if !cur.is_null() {
        // SAFETY: only writers (holding UPDATE) free a file.
        let c = unsafe { &*cur };
        new.filter = c.filter.clone();
        new.triggers = c
            .triggers
            .iter()
            .map(|t| TriggerState {
                t: t.t.clone(),
                left: AtomicI64::new(t.left.load(Ordering::Relaxed)),
            })
            .collect();
    }
    if let Err(e) = f(&mut new) {
        drop(guard);
        return Err(e);
    }
    let empty = new.filter.is_none() && new.triggers.is_empty();
    let p = if empty {
        ptr::null_mut()
    } else {
        Box::into_raw(Box::new(new))
    };
    let old = slot.swap(p, Ordering::AcqRel);
    recompute();
    drop(guard);
    if !old.is_null() {
        synchronize();
        // SAFETY: unpublished above, and every CPU has since left any
        // IRQs-off section that could have loaded it.
        drop(unsafe { Box::from_raw(old) });
    }
    Ok(())
}

/// Reads event `ev`'s file under the writers' lock.
fn with_file<T>(ev: u16, f: impl FnOnce(Option<&EventFile>) -> T) -> T {
    let guard = UPDATE.lock();
    let p = slot(ev).map_or(ptr::null_mut(), |s| s.load(Ordering::Acquire));
    // SAFETY: writers free files only while holding UPDATE, held here.
    let r = f((!p.is_null()).then(|| unsafe { &*p }));
    drop(guard);
    r
}

fn fields(ev: u16) -> &'static [libkernel::trace::trace_events::Field] {
    core_trace::event(ev).map_or(&[], |e| e.class.fields)
}

fn log_error(loc: &str, cmd: &str, e: &ParseError) {
    let entry =
        libkernel::trace::filter::error_log_entry(crate::time::uptime_ns(), loc, cmd.trim(), e);
    let mut log = ERROR_LOG.lock();
    // Linux keeps the last 16.
    if log.len() >= 16 {
        log.remove(0);
    }
    log.push(entry);
    drop(log);
}

/// The `error_log` file.
pub fn error_log() -> String {
    let log = ERROR_LOG.lock();
    let s = log.concat();
    drop(log);
    s
}

/// Empties `error_log`.
pub fn clear_error_log() {
    let mut log = ERROR_LOG.lock();
    log.clear();
    drop(log);
}

/// Sets event `ev`'s filter from `text` (`0` or empty clears it). A bad
/// expression leaves the old filter, logs why, and gives `EINVAL`.
pub fn set_filter(ev: u16, text: &str) -> Result<(), Errno> {
    let t = text.trim();
    if t.is_empty() || t == "0" {
        return update(ev, |f| {
            f.filter = None;
            Ok(())
        });
    }
    let flt = Filter::parse(t, fields(ev)).map_err(|e| {
        log_error("event filter parse error", t, &e);
        EINVAL
    })?;
    update(ev, |f| {
        f.filter = Some(flt);
        Ok(())
    })
}

/// What was last written to a subsystem's `filter` (`""`: `events/filter`).
static SYSTEM_FILTERS: SpinLock<Vec<(&'static str, String)>> = SpinLock::new(Vec::new());

/// A subsystem's `filter` file: its last expression, or `none`.
pub fn system_filter_text(sys: &str) -> String {
    let f = SYSTEM_FILTERS.lock();
    let t = f
        .iter()
        .find(|(s, _)| *s == sys)
        .map_or(String::from("none\n"), |(_, t)| alloc::format!("{t}\n"));
    drop(f);
    t
}

/// Sets `text` as the filter of every event in `evs` that has the fields
/// it names (subsystem `sys`'s `filter`, or `events/filter`); `EINVAL` if
/// it fits none.
pub fn set_filter_many(sys: &'static str, evs: &[u16], text: &str) -> Result<(), Errno> {
    let t = text.trim();
    let r = set_filter_each(evs, t);
    if r.is_ok() {
        let mut f = SYSTEM_FILTERS.lock();
        f.retain(|(s, _)| *s != sys);
        if !t.is_empty() && t != "0" {
            f.push((sys, String::from(t)));
        }
        drop(f);
    }
    r
}

fn set_filter_each(evs: &[u16], t: &str) -> Result<(), Errno> {
    let mut ok = 0;
    let mut first_err = None;
    for &ev in evs {
        if t.is_empty() || t == "0" {
            set_filter(ev, t)?;
            ok += 1;
            continue;
        }
        match Filter::parse(t, fields(ev)) {
            Ok(flt) => {
                update(ev, |f| {
                    f.filter = Some(flt);
                    Ok(())
                })?;
                ok += 1;
            }
            Err(e) => first_err = first_err.or(Some(e)),
        }
    }
    if ok == 0 {
        if let Some(e) = first_err {
            log_error("event filter parse error", t, &e);
        }
        return Err(EINVAL);
    }
    Ok(())
}

/// The `filter` file of event `ev`: the expression, or `none`.
pub fn filter_text(ev: u16) -> String {
    with_file(ev, |f| match f.and_then(|f| f.filter.as_ref()) {
        Some(flt) => alloc::format!("{}\n", flt.text()),
        None => String::from("none\n"),
    })
}

fn event_name(ev: u16) -> String {
    core_trace::event(ev).map_or(String::new(), |e| alloc::format!("{}:{}", e.system, e.name))
}

/// A line written to event `ev`'s `trigger` file: adds a trigger, or
/// removes one (`!cmd`). `EEXIST` for a second of the same kind, `ENOENT`
/// removing one that is not there, `EINVAL` for a bad line.
pub fn write_trigger(ev: u16, line: &str) -> Result<(), Errno> {
    if line.trim().is_empty() {
        return Ok(());
    }
    let find = |sys: &str, name: &str| {
        all_events()
            .find(|e| e.system == sys && e.name == name)
            .map(|e| e.id)
    };
    let (remove, t) = libkernel::trace::trigger::parse(line, fields(ev), find).map_err(|e| {
        if let TriggerErr::Filter(pe) = e {
            let cond = line.split_once(" if ").map_or("", |(_, c)| c);
            log_error("event filter parse error", cond, &pe);
        }
        EINVAL
    })?;
    // A snapshot trigger needs the spare buffer, which Linux allocates
    // when the trigger is set (`tracing_alloc_snapshot_instance`).
    if !remove && t.cmd == TriggerCmd::Snapshot {
        super::snapshot::alloc();
    }
    update(ev, |f| {
        let at = f.triggers.iter().position(|x| x.t.cmd.same(&t.cmd));
        match (remove, at) {
            (true, Some(i)) => {
                f.triggers.remove(i);
                Ok(())
            }
            (true, None) => Err(ENOENT),
            (false, Some(_)) => Err(EEXIST),
            (false, None) => {
                f.triggers.push(TriggerState {
                    left: AtomicI64::new(t.count),
                    t,
                });
                Ok(())
            }
        }
    })
}

/// The `trigger` file of event `ev`.
pub fn trigger_text(ev: u16) -> String {
    with_file(ev, |f| match f {
        Some(f) if !f.triggers.is_empty() => f
            .triggers
            .iter()
            .map(|s| {
                let mut t = s.t.clone();
                t.count = s.left.load(Ordering::Relaxed);
                t.text(event_name)
            })
            .collect(),
        _ => String::from(libkernel::trace::trigger::AVAILABLE),
    })
}

// ---- set_event_pid ------------------------------------------------------

/// Is `pid` in the `set_event_pid` list?
fn pid_listed(pid: i32) -> bool {
    let n = NR_PIDS.load(Ordering::Acquire);
    PIDS[..n.min(MAX_PIDS)]
        .iter()
        .any(|p| p.load(Ordering::Relaxed) == pid)
}

/// Adds `pid` to the list (`ENOSPC` when full).
pub fn add_pid(pid: i32) -> Result<(), Errno> {
    let guard = PIDS_LOCK.lock();
    let r = if pid_listed(pid) {
        Ok(())
    } else {
        let n = NR_PIDS.load(Ordering::Relaxed);
        if n >= MAX_PIDS {
            Err(ENOSPC)
        } else {
            PIDS[n].store(pid, Ordering::Relaxed);
            NR_PIDS.store(n + 1, Ordering::Release);
            Ok(())
        }
    };
    drop(guard);
    recompute();
    r
}

/// Empties the list.
pub fn clear_pids() {
    let guard = PIDS_LOCK.lock();
    NR_PIDS.store(0, Ordering::Release);
    drop(guard);
    recompute();
}

/// The `set_event_pid` file.
pub fn pids_text() -> String {
    let n = NR_PIDS.load(Ordering::Acquire);
    PIDS[..n.min(MAX_PIDS)]
        .iter()
        .map(|p| alloc::format!("{}\n", p.load(Ordering::Relaxed)))
        .collect()
}

/// At fork, with `event-fork` set: a listed parent's child is listed too
/// (Linux's `event_filter_pid_sched_process_fork`).
#[inline]
pub fn fork(parent: i32, child: i32) {
    if NR_PIDS.load(Ordering::Relaxed) > 0 {
        fork_listed(parent, child);
    }
}

#[cold]
#[inline(never)]
fn fork_listed(parent: i32, child: i32) {
    if options::is_set(Opt::EVENT_FORK) && pid_listed(parent) {
        let _ = add_pid(child);
    }
}

/// When a task is freed, its pid leaves the list (Linux's
/// `event_filter_pid_sched_process_exit`), so a reused pid is not traced.
#[inline]
pub fn free(pid: i32) {
    if NR_PIDS.load(Ordering::Relaxed) > 0 {
        remove_pid(pid);
    }
}

#[cold]
#[inline(never)]
fn remove_pid(pid: i32) {
    let guard = PIDS_LOCK.lock();
    let n = NR_PIDS.load(Ordering::Relaxed).min(MAX_PIDS);
    if let Some(i) = PIDS[..n]
        .iter()
        .position(|p| p.load(Ordering::Relaxed) == pid)
    {
        // The last one takes its place; a reader may see either.
        PIDS[i].store(PIDS[n - 1].load(Ordering::Relaxed), Ordering::Relaxed);
        NR_PIDS.store(n - 1, Ordering::Release);
    }
    drop(guard);
    recompute();
}

/// Is the entry about a listed task? A switch counts if either side is
/// listed, a wake-up if the woken task is (Linux sets its per-CPU
/// `ignore_pid` around those events the same way), any other event by
/// the task that recorded it.
fn pid_admits(ev: u16, r: &Record) -> bool {
    if NR_PIDS.load(Ordering::Relaxed) == 0 || core_trace::event(ev).is_none() {
        return true;
    }
    if pid_listed(r.pid) {
        return true;
    }
    let field = |name: &str| {
        fields(ev)
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.read(&r.payload))
    };
    use libkernel::trace::trace_events::FieldValue::Int;
    match ev {
        id::SCHED_SWITCH => {
            matches!(field("next_pid"), Some(Int(p)) if pid_listed(p as i32))
        }
        id::SCHED_WAKEUP | id::SCHED_WAKING | id::SCHED_WAKEUP_NEW => {
            matches!(field("pid"), Some(Int(p)) if pid_listed(p as i32))
        }
        _ => false,
    }
}

// ---- the slow path of record_words --------------------------------------

/// What to do once the entry is in the ring.
#[derive(Clone, Copy, Default)]
pub struct Post {
    stack: bool,
    traceoff: bool,
    traceon: bool,
    snapshot: bool,
    /// `enable_event`/`disable_event` targets: (id, on).
    toggles: [Option<(u16, bool)>; 4],
}

/// Takes one firing from a trigger's count: false once it is used up.
fn take(left: &AtomicI64) -> bool {
    left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| match n {
        n if n < 0 => Some(n),
        0 => None,
        n => Some(n - 1),
    })
    .is_ok()
}

/// Before an entry goes into the ring (IRQs masked): runs the triggers
/// and decides whether it is recorded (`None`: drop it).
#[cold]
#[inline(never)]
pub fn pre_commit(
    ev: u16,
    cpu: usize,
    ring: &libkernel::trace::Ring,
    head: &[u64; 4],
    payload: &[u64],
) -> Option<Post> {
    let mut post = Post::default();
    if CPUMASK.load(Ordering::Relaxed) & (1 << cpu) == 0 {
        return None;
    }
    // `nooverwrite`: a full buffer keeps what it has and drops the new
    // entry (Linux's producer/consumer mode), counting it for `stats`.
    if !options::is_set(Opt::OVERWRITE) {
        let unread = super::CLEARED[cpu]
            .load(Ordering::Relaxed)
            .max(super::CONSUMED[cpu].load(Ordering::Relaxed));
        if ring.written().saturating_sub(unread) >= ring.capacity() {
            DROPPED[cpu].fetch_add(1, Ordering::Relaxed);
            return None;
        }
    }
    let mut w = [0u64; WORDS];
    w[..4].copy_from_slice(head);
    for (d, s) in w[4..].iter_mut().zip(payload) {
        *d = *s;
    }
    let rec = Record::from_words(&w);
    let is_event = core_trace::event(ev).is_some();
    let p = slot(ev).map_or(ptr::null_mut(), |s| s.load(Ordering::Acquire));
    // SAFETY: freed only after every CPU passed an IRQs-on point; IRQs
    // are masked here.
    let file = (!p.is_null()).then(|| unsafe { &*p });
    let fr = FilterRecord { rec: &rec, cpu };
    if let Some(f) = file {
        let mut n = 0;
        for s in &f.triggers {
            if s.t.filter.as_ref().is_some_and(|flt| !flt.matches(&fr)) {
                continue;
            }
            // traceon/traceoff count only the times they change
            // something (Linux's traceon_count_trigger).
            let on = super::tracing_on();
            match s.t.cmd {
                TriggerCmd::TraceOff if !on => continue,
                TriggerCmd::TraceOn if on => continue,
                _ => {}
            }
            if !take(&s.left) {
                continue;
            }
            match s.t.cmd {
                // Without a condition these act before the entry is
                // reserved, as Linux calls them from the tracepoint.
                TriggerCmd::TraceOff if s.t.filter.is_none() => super::set_tracing_on(false),
                TriggerCmd::TraceOn if s.t.filter.is_none() => super::set_tracing_on(true),
                TriggerCmd::TraceOff => post.traceoff = true,
                TriggerCmd::TraceOn => post.traceon = true,
                TriggerCmd::Snapshot => post.snapshot = true,
                TriggerCmd::StackTrace => post.stack = true,
                TriggerCmd::EnableEvent(id, on) => {
                    if let Some(slot) = post.toggles.get_mut(n) {
                        *slot = Some((id, on));
                        n += 1;
                    }
                }
            }
        }
    }
    // Is it recorded at all? (It reached here for its triggers.)
    let mut record = !is_event || super::recording(ev);
    record &= pid_admits(ev, &rec);
    if let Some(flt) = file.and_then(|f| f.filter.as_ref()) {
        record &= flt.matches(&fr);
    }
    if record {
        if is_event && options::is_set(Opt::STACKTRACE) {
            post.stack = true;
        }
        if ev == id::FUNCTION && options::is_set(Opt::FUNC_STACKTRACE) {
            post.stack = true;
        }
        Some(post)
    } else {
        // A stack trace belongs after its event, so it goes with it.
        post.stack = false;
        run_post(post);
        None
    }
}

/// After the entry is in the ring: the triggers' deferred actions.
#[cold]
#[inline(never)]
pub fn post_commit(post: Post) {
    run_post(post);
}

fn run_post(post: Post) {
    if post.stack && super::tracing_on() {
        record_stack_here();
    }
    for (id, on) in post.toggles.iter().flatten() {
        super::set_event(*id, *on);
    }
    if post.snapshot {
        super::snapshot::swap();
    }
    if post.traceoff {
        super::set_tracing_on(false);
    }
    if post.traceon {
        super::set_tracing_on(true);
    }
}

/// A `<stack trace>` entry of the code that hit the event: the frames
/// above the tracer's own (this function, `run_post`/`post_commit` and the
/// event's recorder are skipped).
#[inline(never)]
fn record_stack_here() {
    let mut frames = [0u64; 7];
    let mut n = 0;
    let mut skip = 3;
    crate::arch::backtrace::walk(crate::arch::backtrace::current_fp(), 12, |lr| {
        if (lr as u64) < crate::mm::PAGE_OFFSET {
            return;
        }
        if skip > 0 {
            skip -= 1;
            return;
        }
        if n < 7 {
            frames[n] = lr as u64;
            n += 1;
        }
    });
    let mut w = core_trace::PayloadWriter::default().u64(n as u64);
    for a in &frames[..n] {
        w = w.u64(*a);
    }
    super::record_words(id::STACK_TRACE, w.finish_words());
}
