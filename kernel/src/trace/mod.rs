//! The tracer (Linux's `kernel/trace/`): per-CPU ring buffers of binary
//! records, the scheduler and process events, the function tracer with
//! stack traces, `/sys/kernel/tracing`, and `ftrace_dump()` over the UART.
//! Formatting happens only when the trace is read (`libkernel::trace`).
//!
//! When tracing is off, every trace site costs one load and one branch:
//! [`ACTIVE`] holds a bit per event (and one for the function tracer) and
//! is zero unless `tracing_on` is set and something is enabled.

pub mod event_file;
pub mod events;
pub mod ftrace;
pub mod function;
pub mod graph;
pub mod kallsyms;
pub mod options;
pub mod raw;
pub mod snapshot;
pub mod trace_clock;
pub mod tracefs;

use crate::arch::cpu;
use crate::percpu::{self, NR_CPUS};
use alloc::boxed::Box;
use alloc::string::String;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use libkernel::trace::{self as core_trace, Item, Record, Ring};

/// Bit per event id (`1 << id`, ids below [`FIRST_TRACER_BIT`]), plus the
/// tracers' bits; 0 while tracing is off.
pub static ACTIVE: AtomicU64 = AtomicU64::new(0);
/// The function tracer's bit in [`ACTIVE`].
pub const FUNC_BIT: u64 = 1 << 63;
/// The function_graph tracer's bit in [`ACTIVE`].
pub const GRAPH_BIT: u64 = 1 << 62;
/// Event ids must stay below this bit (the ones above are the tracers').
pub const FIRST_TRACER_BIT: u32 = 62;

/// What is recorded (ACTIVE without the events that only have triggers).
static RECORDING: AtomicU64 = AtomicU64::new(0);
static TRACING_ON: AtomicBool = AtomicBool::new(true);
static EVENTS_ENABLED: AtomicU64 = AtomicU64::new(0);
/// The current tracer's bit ([`FUNC_BIT`], [`GRAPH_BIT`]; 0: `nop`).
static TRACER: AtomicU64 = AtomicU64::new(0);
/// The tracers `current_tracer` takes, as `available_tracers` lists them.
pub const TRACERS: [&str; 3] = ["function_graph", "function", "nop"];
/// Option `sym-offset`: print `+0xoff/0xsize` after symbols.
pub static OPT_SYM_OFFSET: AtomicBool = AtomicBool::new(true);
/// Option `stacktrace`: a stack trace after every event.
pub static OPT_STACKTRACE: AtomicBool = AtomicBool::new(false);
/// Print events on the console as they happen (`tp_printk`).
pub static TP_PRINTK: AtomicBool = AtomicBool::new(false);
/// Dump the trace on a panic or oops (`ftrace_dump_on_oops`).
pub static DUMP_ON_OOPS: AtomicBool = AtomicBool::new(false);

/// Default ring size per CPU, in records (96 bytes each).
const DEFAULT_ENTRIES: usize = 2048;

/// Per CPU: index before which entries were cleared (`echo > trace`).
static CLEARED: [AtomicU64; NR_CPUS] = [const { AtomicU64::new(0) }; NR_CPUS];
/// Per CPU: index up to which `trace_pipe` consumed.
static CONSUMED: [AtomicU64; NR_CPUS] = [const { AtomicU64::new(0) }; NR_CPUS];

fn recompute_active() {
    let mut a = 0;
    if TRACING_ON.load(Ordering::Relaxed) {
        a = EVENTS_ENABLED.load(Ordering::Relaxed);
        a |= TRACER.load(Ordering::Relaxed);
    }
    RECORDING.store(a, Ordering::Release);
    // Events with triggers fire whatever their enable bit and tracing_on
    // say (Linux's soft-disabled mode); the slow path decides whether
    // they are also recorded.
    ACTIVE.store(
        a | event_file::TRIGGERED.load(Ordering::Relaxed),
        Ordering::Release,
    );
}

/// Is event `ev` being recorded (enabled, and tracing on)?
pub fn recording(ev: u16) -> bool {
    if ev >= libkernel::trace::syscalls::SYSCALL_EVENT_BASE {
        return tracing_on() && event_enabled(ev);
    }
    RECORDING.load(Ordering::Relaxed) & (1u64 << (ev & 63)) != 0
}

/// Turns recording on or off (`tracing_on`).
pub fn set_tracing_on(on: bool) {
    TRACING_ON.store(on, Ordering::Relaxed);
    recompute_active();
}

/// Is recording on?
pub fn tracing_on() -> bool {
    TRACING_ON.load(Ordering::Relaxed)
}

/// Per syscall number, bit set: its `syscalls:sys_enter_*` event is on.
static SYSCALL_ENTER_ON: [AtomicU64; SYSCALL_WORDS] = [const { AtomicU64::new(0) }; SYSCALL_WORDS];
/// Per syscall number, bit set: its `syscalls:sys_exit_*` event is on.
static SYSCALL_EXIT_ON: [AtomicU64; SYSCALL_WORDS] = [const { AtomicU64::new(0) }; SYSCALL_WORDS];
const SYSCALL_WORDS: usize = libkernel::trace::syscalls::NR_SYSCALLS / 64;

/// A `syscalls:*` event is on: its bit in its bitmap, and the one
/// [`ACTIVE`] bit for them all while any is.
fn set_syscall_event(id: u16, on: bool) {
    let Some((nr, enter)) = libkernel::trace::syscalls::syscall_of(id) else {
        return;
    };
    let map = if enter {
        &SYSCALL_ENTER_ON
    } else {
        &SYSCALL_EXIT_ON
    };
    let (w, bit) = libkernel::trace::syscalls::bit_of(nr);
    if on {
        map[w].fetch_or(bit, Ordering::Relaxed);
    } else {
        map[w].fetch_and(!bit, Ordering::Relaxed);
    }
    update_syscall_tracepoint();
}

/// Sets the one [`ACTIVE`] bit a system call's entry and exit test
/// (`id::SYSCALL_EVENTS`, Linux's `TIF_SYSCALL_TRACEPOINT`) while
/// `raw_syscalls:*` or any `syscalls:*` event is on.
fn update_syscall_tracepoint() {
    use core_trace::id::{SYSCALL_EVENTS, SYS_ENTER, SYS_EXIT};
    let raw = 1u64 << SYS_ENTER | 1u64 << SYS_EXIT;
    let any = EVENTS_ENABLED.load(Ordering::Relaxed) & raw != 0
        || SYSCALL_ENTER_ON
            .iter()
            .chain(SYSCALL_EXIT_ON.iter())
            .any(|m| m.load(Ordering::Relaxed) != 0);
    let bit = 1u64 << SYSCALL_EVENTS;
    let was = if any {
        EVENTS_ENABLED.fetch_or(bit, Ordering::Relaxed)
    } else {
        EVENTS_ENABLED.fetch_and(!bit, Ordering::Relaxed)
    };
    recompute_active();
    if (was & bit != 0) != any {
        crate::syscall::set_syscall_tracepoint_all(any);
    }
}

/// Is a syscall tracepoint enabled (whether or not tracing is on)? Every
/// task's `SYSCALL_WORK_SYSCALL_TRACEPOINT` follows it.
pub fn syscall_tracepoint_enabled() -> bool {
    EVENTS_ENABLED.load(Ordering::Relaxed) & (1u64 << core_trace::id::SYSCALL_EVENTS) != 0
}

/// Is `syscalls:sys_enter_*` (`enter`) or `sys_exit_*` of call `nr` on?
#[inline]
pub fn syscall_event_on(nr: usize, enter: bool) -> bool {
    let (w, bit) = libkernel::trace::syscalls::bit_of(nr);
    let map = if enter {
        &SYSCALL_ENTER_ON
    } else {
        &SYSCALL_EXIT_ON
    };
    map.get(w)
        .is_some_and(|m| m.load(Ordering::Relaxed) & bit != 0)
}

/// Enables or disables event `id`.
pub fn set_event(id: u16, on: bool) {
    if id >= libkernel::trace::syscalls::SYSCALL_EVENT_BASE {
        return set_syscall_event(id, on);
    }
    if id == core_trace::id::SYSCALL_EVENTS {
        // Not an event: it follows the syscall events' own bits.
        return;
    }
    if on {
        EVENTS_ENABLED.fetch_or(1u64 << id, Ordering::Relaxed);
    } else {
        EVENTS_ENABLED.fetch_and(!(1u64 << id), Ordering::Relaxed);
    }
    if id == core_trace::id::SYS_ENTER || id == core_trace::id::SYS_EXIT {
        update_syscall_tracepoint();
    }
    recompute_active();
}

/// Is event `id` enabled?
pub fn event_enabled(id: u16) -> bool {
    if let Some((nr, enter)) = libkernel::trace::syscalls::syscall_of(id) {
        return syscall_event_on(nr, enter);
    }
    EVENTS_ENABLED.load(Ordering::Relaxed) & (1u64 << id) != 0
}

/// Selects the tracer (`current_tracer`): patches the functions it traces
/// in (and the previous tracer's out) before recording starts.
pub fn set_current_tracer(name: &str) -> Result<(), crate::errno::Errno> {
    let bit = match name {
        "function" => FUNC_BIT,
        "function_graph" => GRAPH_BIT,
        "nop" => 0,
        _ => return Err(crate::errno::EINVAL),
    };
    if bit == GRAPH_BIT {
        graph::init_tasks();
    } else {
        graph::stop_tasks();
    }
    // Off first, so no site is half-way between two tracers' records.
    let changed = TRACER.swap(0, Ordering::Relaxed) != bit;
    recompute_active();
    if changed {
        // Linux empties the buffers when the tracer changes: the records
        // of one tracer mean nothing to the other's output.
        clear();
    }
    ftrace::set_tracer(bit)?;
    TRACER.store(bit, Ordering::Relaxed);
    recompute_active();
    Ok(())
}

/// The current tracer's name.
pub fn current_tracer() -> &'static str {
    match TRACER.load(Ordering::Relaxed) {
        FUNC_BIT => "function",
        GRAPH_BIT => "function_graph",
        _ => "nop",
    }
}

/// Is anything in `mask` being recorded? The one check at every site.
#[inline(always)]
pub fn active(mask: u64) -> bool {
    ACTIVE.load(Ordering::Relaxed) & mask != 0
}

/// CPU `c`'s ring (kept in its per-CPU data).
fn ring(c: usize) -> Option<&'static Ring> {
    ring_of(percpu::cpu(c))
}

#[inline(always)]
fn ring_of(pc: &percpu::PerCpu) -> Option<&'static Ring> {
    let p = pc.trace_ring.load(Ordering::Acquire);
    // SAFETY: a ring, once installed, is only freed by `resize`, which
    // first stops all writers and waits for every CPU to leave its
    // IRQs-off write section.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// Allocates the rings and applies the command-line options
/// (`trace_buf_size=`, `trace_event=`, `ftrace=`, `ftrace_filter=`,
/// `ftrace_dump_on_oops`, `tp_printk`).
pub fn init() {
    options::init();
    // The `syscalls:*` events are made here, at boot, as Linux's
    // `init_ftrace_syscalls` does: made on first use, the ~150 KiB they
    // take would look like a leak to whoever compares the heap before and
    // after a run that first lists `events/` (the fuzzer does).
    let _ = libkernel::trace::syscalls::events();
    let cl = crate::cmdline::get();
    let entries = cl
        .get_u64("trace_buf_size")
        .map_or(DEFAULT_ENTRIES, |b| (b as usize / 96).clamp(16, 1 << 16));
    for pc in percpu::all() {
        pc.trace_ring.store(
            Box::into_raw(Box::new(Ring::new(entries))),
            Ordering::Release,
        );
    }
    if let Some(ev) = cl.get("trace_event") {
        for e in ev.split(',') {
            tracefs::apply_set_event(e);
        }
    }
    ftrace::init();
    if let Some(f) = cl.get("ftrace_filter") {
        for name in f.split(',') {
            if ftrace::apply(ftrace::List::Filter, name).is_err() {
                crate::println!("ftrace: ftrace_filter: no function matches {name}");
            }
        }
    }
    if let Some(t) = cl.get("ftrace") {
        if set_current_tracer(t).is_err() {
            crate::println!("ftrace: ftrace={t}: no such tracer");
        }
    }
    DUMP_ON_OOPS.store(cl.has("ftrace_dump_on_oops"), Ordering::Relaxed);
    TP_PRINTK.store(cl.has("tp_printk"), Ordering::Relaxed);
    recompute_active();
}

/// Records one entry on this CPU's ring (payload as bytes: see
/// [`record_words`], which the hot events use).
pub fn record(id: u16, payload: [u8; core_trace::PAYLOAD]) {
    record_words::<{ core_trace::PAYLOAD / 8 }>(
        id,
        core::array::from_fn(|i| {
            u64::from_le_bytes(payload[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
        }),
    );
}

/// Records one entry on this CPU's ring: a few instructions with IRQs
/// masked, no lock; the record is written straight in slot form. Inlined
/// into the events' out-of-line recording functions.
#[inline(always)]
pub fn record_words<const N: usize>(id: u16, payload: [u64; N]) {
    let flags = cpu::local_irq_save();
    record_words_irqflags(id, payload, flags);
    // Back to the caller's own IRQ state, with the caller's locks: nothing
    // new for the validator to mark.
    cpu::raw_local_irq_restore(flags);
}

/// [`record_words`] with IRQs already masked, `flags` the DAIF value of
/// the code the event is about (the function tracer's handler masks IRQs
/// itself, and reports the traced function's state).
#[inline(always)]
pub fn record_words_irqflags<const N: usize>(id: u16, payload: [u64; N], flags: u64) {
    let pc = percpu::this_cpu();
    if let Some(ring) = ring_of(pc) {
        // `current` (SP_EL0), as Linux's common_pid: the task whose code
        // runs, also between the runqueue's switch of `curr` and the
        // switch of stacks.
        let cur = cpu::get_current() as *const crate::task::Task;
        let (pid, comm) = if cur.is_null() {
            (0, [0u64; 2])
        } else {
            // SAFETY: the current task is alive while it runs here.
            unsafe { ((*cur).pid(), (*cur).comm_words()) }
        };
        let mut f = 0;
        if flags & (1 << 7) != 0 {
            f |= core_trace::FLAG_IRQS_OFF;
        }
        if pc.need_resched.load(Ordering::Relaxed) {
            f |= core_trace::FLAG_NEED_RESCHED;
        }
        // The count of the code that hit the event (recording itself only
        // masks IRQs): its preempt depth and whether it is an IRQ handler.
        let count = crate::preempt::preempt_count();
        if libkernel::preempt::in_hardirq(count) {
            f |= core_trace::FLAG_HARDIRQ;
        }
        if libkernel::preempt::in_serving_softirq(count) {
            f |= core_trace::FLAG_SOFTIRQ;
        }
        let preempt = libkernel::preempt::trace_depth(count);
        let head = [
            // Counter ticks since boot, converted when read (two
            // divisions saved on every event, as Linux's ring buffer also
            // stores raw clock values).
            crate::time::uptime_cycles(),
            Record::header_word(pid, f, preempt, id),
            comm[0],
            comm[1],
        ];
        // Filters, triggers, the pid list and the cpumask: one load and
        // a branch unless one of them concerns this id.
        if event_file::HOOKED.load(Ordering::Relaxed) & event_file::hook_bit(id) != 0 {
            record_hooked(id, pc.cpu, ring, head, payload);
        } else {
            // Only the words the event uses are stored (see payload_words).
            let idx = ring.push_record(&head, &payload);
            if TP_PRINTK.load(Ordering::Relaxed) {
                tp_printk(pc.cpu, ring, idx);
            }
        }
    }
}

/// [`record_words`] for an id with a filter, triggers or another check
/// ([`event_file`]): out of line, so the common path stays short.
#[cold]
#[inline(never)]
fn record_hooked<const N: usize>(
    id: u16,
    cpu: usize,
    ring: &Ring,
    head: [u64; 4],
    payload: [u64; N],
) {
    // By value: the common path then keeps them in registers, with no
    // stack copy made for this call.
    let Some(post) = event_file::pre_commit(id, cpu, ring, &head, &payload) else {
        return;
    };
    let idx = ring.push_record(&head, &payload);
    if TP_PRINTK.load(Ordering::Relaxed) {
        tp_printk(cpu, ring, idx);
    }
    event_file::post_commit(post);
}

/// `tp_printk`: the entry also goes to the console as it is recorded. Out
/// of line, so the formatting's stack frame and saved registers are not
/// paid by every event.
#[cold]
#[inline(never)]
fn tp_printk(cpu: usize, ring: &Ring, idx: u64) {
    let Some(r) = ring.get(idx) else { return };
    let mut s = String::new();
    core_trace::format_item(
        &mut s,
        &Item::Entry(cpu, in_ns(r)),
        kallsyms::table().as_ref(),
        true,
    );
    crate::printk::write_bytes(s.as_bytes());
}

/// A record as read from a ring, its time turned from counter ticks into
/// nanoseconds since boot.
fn in_ns(mut r: Record) -> Record {
    r.ts = trace_clock::convert(r.ts);
    if r.id == core_trace::id::FUNCGRAPH_EXIT {
        // The call time, also in ticks.
        let t = u64::from_le_bytes(r.payload[8..16].try_into().unwrap_or([0; 8]));
        r.payload[8..16].copy_from_slice(&trace_clock::convert(t).to_le_bytes());
    }
    r
}

type RingOf<'a> = &'a dyn Fn(usize) -> Option<&'static Ring>;

/// Held entries of the CPUs in `cpus` merged by time, from each CPU's
/// `start(cpu)` index on (and not before `cleared(cpu)`); with the count
/// held and the count written since the last clear.
fn collect_from(
    rings: RingOf,
    cleared: &dyn Fn(usize) -> u64,
    start: &dyn Fn(usize) -> u64,
    cpus: u64,
) -> (alloc::vec::Vec<Item>, u64, u64) {
    let mut per_cpu = alloc::vec::Vec::new();
    let (mut held, mut written) = (0, 0);
    for c in 0..NR_CPUS {
        let cleared = cleared(c);
        match rings(c).filter(|_| cpus & (1 << c) != 0) {
            Some(r) => {
                let from = start(c).max(cleared);
                let (recs, lost) = r.read_from(from);
                written += r.written() - cleared.min(r.written());
                held += recs.len() as u64;
                per_cpu.push((recs.into_iter().map(|(_, r)| in_ns(r)).collect(), lost));
            }
            None => per_cpu.push((alloc::vec::Vec::new(), 0)),
        }
    }
    (core_trace::merge(per_cpu), held, written)
}

/// All held entries merged by time, from each CPU's `start(cpu)` index on.
fn collect(start: impl Fn(usize) -> u64) -> (alloc::vec::Vec<Item>, u64, u64) {
    collect_from(
        &ring,
        &|c| CLEARED[c].load(Ordering::Relaxed),
        &start,
        u64::MAX,
    )
}

/// Every held entry, merged by time (tests and tools).
pub fn snapshot() -> alloc::vec::Vec<Item> {
    collect(|_| 0).0
}

/// The thread group of `pid` if it is still alive (`record-tgid`;
/// Linux keeps a pid-to-tgid map filled at sched_switch, here the task
/// table is asked when the trace is read).
fn tgid_of(pid: i32) -> Option<i32> {
    crate::pid::find_task_by_pid(pid).map(|t| t.tgid)
}

/// Formats `items` with the current options after the header.
fn format_trace(items: &[Item], header: Option<(u64, u64)>, with_lost: bool) -> String {
    let tgid: &dyn Fn(i32) -> Option<i32> = &tgid_of;
    let o = core_trace::PrintOpts {
        sym_offset: options::is_set(options::Opt::SYM_OFFSET),
        sym_addr: options::is_set(options::Opt::SYM_ADDR),
        print_parent: options::is_set(options::Opt::PRINT_PARENT),
        irq_info: options::is_set(options::Opt::IRQ_INFO),
        context_info: options::is_set(options::Opt::CONTEXT_INFO),
        tgid: options::is_set(options::Opt::RECORD_TGID).then_some(tgid),
        time_in_ns: trace_clock::in_ns(),
    };
    let mut s = String::new();
    if TRACER.load(Ordering::Relaxed) == GRAPH_BIT {
        let opts = graph::OPTS.load(Ordering::Relaxed);
        if header.is_some() {
            core_trace::graph::format_header(&mut s, opts);
        }
        core_trace::graph::format_trace(&mut s, items, kallsyms::table().as_ref(), opts);
        return s;
    }
    if let Some((held, written)) = header {
        core_trace::format_header_opts(
            &mut s,
            current_tracer(),
            held,
            written,
            crate::smp::num_online_cpus(),
            &o,
        );
    }
    let syms = kallsyms::table();
    for it in items {
        if !with_lost && matches!(it, Item::Lost(..)) {
            continue;
        }
        core_trace::format_item_opts(&mut s, it, syms.as_ref(), &o);
    }
    s
}

/// The whole `trace` file: header and every held entry.
pub fn trace_text() -> String {
    trace_text_of(u64::MAX)
}

/// The `trace` file of the CPUs in `cpus` (`per_cpu/cpuN/trace`).
pub fn trace_text_of(cpus: u64) -> String {
    let (items, held, written) =
        collect_from(&ring, &|c| CLEARED[c].load(Ordering::Relaxed), &|_| 0, cpus);
    format_trace(&items, Some((held, written)), false)
}

/// The `snapshot` file: the spare buffer as a trace, or Linux's help
/// when it holds nothing.
pub fn snapshot_text() -> String {
    let (items, held, written) =
        snapshot::with_rings(|rings| collect_from(rings, &snapshot::cleared, &|_| 0, u64::MAX));
    if items.iter().any(|i| matches!(i, Item::Entry(..))) {
        return format_trace(&items, Some((held, written)), false);
    }
    alloc::format!("# tracer: {}\n{}", current_tracer(), snapshot::help())
}

/// Entries not yet consumed by `trace_pipe` (and marks them consumed).
pub fn consume() -> String {
    consume_of(u64::MAX)
}

/// [`consume`] for the CPUs in `cpus` (`per_cpu/cpuN/trace_pipe`).
pub fn consume_of(cpus: u64) -> String {
    let mut heads = [0u64; NR_CPUS];
    for (c, h) in heads.iter_mut().enumerate() {
        *h = ring(c).map_or(0, |r| r.written());
    }
    let (items, _, _) = collect_from(
        &ring,
        &|c| CLEARED[c].load(Ordering::Relaxed),
        &|c| CONSUMED[c].load(Ordering::Relaxed),
        cpus,
    );
    for (c, h) in heads.iter().enumerate() {
        if cpus & (1 << c) != 0 {
            CONSUMED[c].store(*h, Ordering::Relaxed);
        }
    }
    format_trace(&items, None, true)
}

/// `per_cpu/cpuN/stats`, in Linux's `tracing_stats_read` format.
pub fn stats_text(c: usize) -> String {
    let Some(r) = ring(c) else {
        return String::new();
    };
    let written = r.written();
    let cleared = CLEARED[c].load(Ordering::Relaxed);
    let consumed = CONSUMED[c].load(Ordering::Relaxed).max(cleared);
    let oldest = r.oldest().max(cleared);
    let overrun = r.oldest().saturating_sub(cleared);
    let read = consumed.saturating_sub(cleared).min(written);
    let entries = written.saturating_sub(oldest.max(consumed));
    let ts = |idx: u64| r.get(idx).map(|rec| in_ns(rec).ts);
    let secs = |ns: u64| alloc::format!("{:5}.{:06}", ns / 1_000_000_000, (ns / 1000) % 1_000_000);
    let now = trace_clock::convert(crate::time::uptime_cycles());
    let mut s = alloc::format!(
        "entries: {entries}\noverrun: {overrun}\ncommit overrun: 0\nbytes: {}\n",
        entries * 96
    );
    if let Some(t) = (oldest < written).then(|| ts(oldest)).flatten() {
        if trace_clock::in_ns() {
            s.push_str(&alloc::format!("oldest event ts: {}\n", secs(t)));
        } else {
            s.push_str(&alloc::format!("oldest event ts: {t}\n"));
        }
    }
    if trace_clock::in_ns() {
        s.push_str(&alloc::format!("now ts: {}\n", secs(now)));
    } else {
        s.push_str(&alloc::format!("now ts: {now}\n"));
    }
    s.push_str(&alloc::format!(
        "dropped events: {}\nread events: {read}\n",
        event_file::DROPPED[c].load(Ordering::Relaxed)
    ));
    s
}

/// `saved_cmdlines`: `pid comm` of every task the held entries name,
/// most recent last, at most `saved_cmdlines_size` of them.
pub fn saved_cmdlines(max: usize) -> String {
    let (items, _, _) = collect(|_| 0);
    let mut seen: alloc::vec::Vec<(i32, [u8; 16])> = alloc::vec::Vec::new();
    for it in items.iter().rev() {
        if let Item::Entry(_, r) = it {
            if r.pid != 0 && !seen.iter().any(|(p, _)| *p == r.pid) {
                seen.push((r.pid, r.comm));
            }
        }
    }
    seen.truncate(max);
    seen.reverse();
    let mut s = String::new();
    for (pid, comm) in seen {
        let n = comm.iter().position(|&b| b == 0).unwrap_or(16);
        s.push_str(&alloc::format!(
            "{pid} {}\n",
            core::str::from_utf8(&comm[..n]).unwrap_or("<...>")
        ));
    }
    s
}

/// Empties the buffers (`echo > trace`).
pub fn clear() {
    clear_cpus(u64::MAX);
}

/// Empties the buffers of the CPUs in `cpus` (`echo > per_cpu/cpuN/trace`).
pub fn clear_cpus(cpus: u64) {
    for c in (0..NR_CPUS).filter(|c| cpus & (1 << c) != 0) {
        let head = ring(c).map_or(0, |r| r.written());
        CLEARED[c].store(head, Ordering::Relaxed);
        CONSUMED[c].store(head, Ordering::Relaxed);
        event_file::DROPPED[c].store(0, Ordering::Relaxed);
    }
}

/// Ring size per CPU in KiB.
pub fn buffer_size_kb() -> u64 {
    ring(0).map_or(0, |r| r.capacity() * 96 / 1024)
}

/// Replaces every ring with one of `kb` KiB (`buffer_size_kb`); the
/// content is lost, as on Linux.
pub fn resize(kb: u64) -> Result<(), crate::errno::Errno> {
    let entries = ((kb * 1024 / 96) as usize).clamp(16, 1 << 16);
    let was_on = tracing_on();
    set_tracing_on(false);
    // Every CPU runs a no-op with IRQs on: none is inside a record() now.
    for c in 0..NR_CPUS {
        crate::smp::call_on_cpu(c, || {}, c != percpu::smp_processor_id());
    }
    for (c, pc) in percpu::all().enumerate() {
        let new = Box::into_raw(Box::new(Ring::new(entries)));
        let old = pc.trace_ring.swap(new, Ordering::AcqRel);
        CLEARED[c].store(0, Ordering::Relaxed);
        CONSUMED[c].store(0, Ordering::Relaxed);
        if !old.is_null() {
            // SAFETY: `old` came from Box::into_raw and no writer can be
            // using it any more (tracing stopped, all CPUs passed a
            // quiescent point).
            drop(unsafe { Box::from_raw(old) });
        }
    }
    set_tracing_on(was_on);
    Ok(())
}

/// Prints the trace over the UART between Linux's marker lines
/// (`ftrace_dump`).
pub fn ftrace_dump() {
    let text = trace_text();
    let dashes = "---------------------------------";
    let empty = !text.lines().any(|l| !l.starts_with('#'));
    crate::printk::write_bytes(b"Dumping ftrace buffer:\n");
    crate::printk::write_bytes(dashes.as_bytes());
    crate::printk::write_bytes(b"\n");
    if empty {
        crate::printk::write_bytes(b"   (ftrace buffer empty)\n");
    } else {
        crate::printk::write_bytes(text.as_bytes());
    }
    crate::printk::write_bytes(dashes.as_bytes());
    crate::printk::write_bytes(b"\n");
}
