//! Dynamic ftrace (Linux's `kernel/trace/ftrace.c`): every kernel function
//! can be traced, and only the ones asked for cost anything.
//!
//! The build leaves two NOPs at the start of every function and lists them
//! in `__patchable_function_entries` (Linux's `__mcount_loc`): those are the
//! call sites (`dyn_ftrace` records), one per function, sorted by address.
//! Each has a flag byte: which of `set_ftrace_filter`, `set_ftrace_notrace`,
//! `set_graph_function`, `set_graph_notrace` and the function commands
//! (`:stacktrace`, `:traceon`, `:traceoff`) name it, and whether its call
//! is patched in. [`ftrace_update`] patches exactly the sites the current
//! tracer and the commands want (`ftrace_replace_code`), so a function
//! nobody traces costs its two NOPs.
//!
//! A patched function enters [`ftrace_handler`] through the arch's
//! trampoline. The handler masks IRQs and takes this CPU's recursion bit
//! before anything else: functions it calls are traced functions too, and
//! enter the handler again only to leave at once (Linux's
//! `ftrace_test_recursion_trylock`). It and `ftrace_return_to_handler` are
//! the only `notrace` functions.

use super::{graph, FUNC_BIT, GRAPH_BIT};
use crate::arch::ftrace as arch;
use crate::errno::{Errno, EINVAL, ENODEV};
use crate::sync::SpinLock;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicUsize, Ordering};

/// The site is in `set_ftrace_filter`.
pub const FL_FILTER: u8 = 1 << 0;
/// The site is in `set_ftrace_notrace`.
pub const FL_NOTRACE: u8 = 1 << 1;
/// `func:stacktrace`: a stack trace follows its entry.
pub const FL_STACKTRACE: u8 = 1 << 2;
/// `func:traceon`.
pub const FL_TRACEON: u8 = 1 << 3;
/// `func:traceoff`.
pub const FL_TRACEOFF: u8 = 1 << 4;
/// The site is in `set_graph_function`.
pub const FL_GRAPH: u8 = 1 << 5;
/// The site is in `set_graph_notrace`.
pub const FL_GRAPH_NOTRACE: u8 = 1 << 6;
/// The call to the trampoline is patched in.
pub const FL_ENABLED: u8 = 1 << 7;

/// The function commands of `set_ftrace_filter`.
const FL_COMMANDS: u8 = FL_STACKTRACE | FL_TRACEON | FL_TRACEOFF;

/// The call sites and their state.
struct Sites {
    /// Function start addresses, sorted.
    ips: Vec<usize>,
    /// `FL_*` per site.
    flags: Vec<AtomicU8>,
    /// Runs left of a counted command (`func:traceoff:3`); -1 unlimited.
    counts: Vec<AtomicI32>,
}

static SITES: spin::Once<Sites> = spin::Once::new();
/// Serialises filter changes and patching (Linux's `ftrace_lock`).
static FTRACE_LOCK: SpinLock<()> = SpinLock::new(());
/// Sites named in `set_ftrace_filter` (0: the tracers trace all).
static NR_FILTER: AtomicUsize = AtomicUsize::new(0);
/// Sites named in `set_graph_function`.
pub(super) static NR_GRAPH_FILTER: AtomicUsize = AtomicUsize::new(0);
/// Which tracer the sites serve: its bit in `ACTIVE` (`FUNC_BIT`,
/// `GRAPH_BIT`) or 0 for `nop`.
static TRACER: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
/// The pids `set_ftrace_pid` lets through (`NR_PIDS` of them; none: all).
static PIDS: [AtomicI32; MAX_PIDS] = [const { AtomicI32::new(0) }; MAX_PIDS];
static NR_PIDS: AtomicUsize = AtomicUsize::new(0);
/// At most this many pids in `set_ftrace_pid`.
pub const MAX_PIDS: usize = 32;
/// Set once the boot patching (`mov x9, x30`) is done: sites can be enabled.
static READY: AtomicBool = AtomicBool::new(false);

extern "C" {
    static __start_mcount_loc: usize;
    static __stop_mcount_loc: usize;
}

fn sites() -> Option<&'static Sites> {
    SITES.get()
}

/// Reads the build's list of call sites, checks each still holds its two
/// NOPs, and turns the first into `mov x9, x30` (Linux's `ftrace_init` and
/// `ftrace_init_nop`). Runs on the boot CPU before the others start.
pub fn init() {
    // SAFETY: the linker script brackets the `__patchable_function_entries`
    // words with these symbols; the section is read-only data.
    let locs = unsafe {
        let s = &__start_mcount_loc as *const usize;
        let e = &__stop_mcount_loc as *const usize;
        core::slice::from_raw_parts(s, e.offset_from(s) as usize)
    };
    let mut ips: Vec<usize> = locs
        .iter()
        .copied()
        .filter(|&ip| {
            ip != 0
                && arch::read_insn(ip) == arch::INSN_NOP
                && arch::read_insn(ip + 4) == arch::INSN_NOP
        })
        .collect();
    ips.sort_unstable();
    ips.dedup();
    let writes: Vec<(usize, u32)> = ips.iter().map(|&ip| (ip, arch::INSN_MOV_X9_LR)).collect();
    if let Err(e) = arch::patch_text(&writes) {
        crate::println!("ftrace: cannot patch the call sites ({e:?}): functions not traceable");
        return;
    }
    let n = ips.len();
    SITES.call_once(|| Sites {
        ips,
        flags: (0..n).map(|_| AtomicU8::new(0)).collect(),
        counts: (0..n).map(|_| AtomicI32::new(-1)).collect(),
    });
    READY.store(true, Ordering::Release);
    crate::println!("ftrace: allocated {} call sites", n);
}

/// The site index of function start `func`.
#[inline(always)]
fn site_index(s: &Sites, func: usize) -> Option<usize> {
    // A plain loop, not `binary_search`: this runs in the handler.
    let (mut lo, mut hi) = (0usize, s.ips.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        let v = s.ips[mid];
        if v == func {
            return Some(mid);
        }
        if v < func {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    None
}

/// The name of site `i` (its kallsyms symbol).
fn site_name(syms: &libkernel::trace::Kallsyms<'static>, ip: usize) -> Option<&'static str> {
    syms.lookup(ip as u64)
        .filter(|(_, off, _)| *off == 0)
        .map(|(n, _, _)| n)
}

/// Does the current tracer, or a command, want site `f` patched?
fn wanted(f: u8, tracer: u64) -> bool {
    if f & FL_NOTRACE != 0 {
        return false;
    }
    if f & FL_COMMANDS != 0 {
        return true;
    }
    tracer != 0 && (NR_FILTER.load(Ordering::Relaxed) == 0 || f & FL_FILTER != 0)
}

/// Patches every site whose wanted state changed (`ftrace_replace_code`).
/// Called with [`FTRACE_LOCK`] held.
fn update_locked() -> Result<(), Errno> {
    let Some(s) = sites() else { return Ok(()) };
    let tracer = TRACER.load(Ordering::Relaxed);
    let mut writes = Vec::new();
    for (i, &ip) in s.ips.iter().enumerate() {
        let f = s.flags[i].load(Ordering::Relaxed);
        let want = wanted(f, tracer);
        if want != (f & FL_ENABLED != 0) {
            let insn = if want {
                arch::insn_call_ftrace(ip + 4).ok_or(ENODEV)?
            } else {
                arch::INSN_NOP
            };
            writes.push((ip + 4, insn));
            if want {
                s.flags[i].fetch_or(FL_ENABLED, Ordering::Relaxed);
            } else {
                s.flags[i].fetch_and(!FL_ENABLED, Ordering::Relaxed);
            }
        }
    }
    arch::patch_text(&writes)
}

/// Re-patches the sites after a change of tracer or filters.
pub fn ftrace_update() -> Result<(), Errno> {
    let guard = FTRACE_LOCK.lock();
    let r = update_locked();
    drop(guard);
    r
}

/// Makes `bit` (`FUNC_BIT`, `GRAPH_BIT` or 0) the tracer the sites serve,
/// and patches them accordingly.
pub fn set_tracer(bit: u64) -> Result<(), Errno> {
    if bit != 0 && !READY.load(Ordering::Acquire) {
        return Err(ENODEV);
    }
    let guard = FTRACE_LOCK.lock();
    TRACER.store(bit, Ordering::Relaxed);
    let r = update_locked();
    drop(guard);
    r
}

/// Number of call sites (`available_filter_functions` lines).
pub fn nr_sites() -> usize {
    sites().map_or(0, |s| s.ips.len())
}

/// Sites currently patched in.
pub fn nr_enabled() -> usize {
    sites().map_or(0, |s| {
        s.flags
            .iter()
            .filter(|f| f.load(Ordering::Relaxed) & FL_ENABLED != 0)
            .count()
    })
}

/// `available_filter_functions`: every traceable function, by address.
pub fn available_filter_functions() -> String {
    let mut out = String::new();
    let (Some(s), Some(syms)) = (sites(), super::kallsyms::table()) else {
        return out;
    };
    for &ip in &s.ips {
        if let Some(n) = site_name(&syms, ip) {
            out.push_str(n);
            out.push('\n');
        }
    }
    out
}

/// Which list of functions a tracefs file edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    /// `set_ftrace_filter` (and its commands).
    Filter,
    /// `set_ftrace_notrace`.
    Notrace,
    /// `set_graph_function`.
    Graph,
    /// `set_graph_notrace`.
    GraphNotrace,
}

impl List {
    fn bit(self) -> u8 {
        match self {
            List::Filter => FL_FILTER,
            List::Notrace => FL_NOTRACE,
            List::Graph => FL_GRAPH,
            List::GraphNotrace => FL_GRAPH_NOTRACE,
        }
    }
}

/// Recounts the sites in the filter lists.
fn recount(s: &Sites) {
    let count = |bit: u8| {
        s.flags
            .iter()
            .filter(|f| f.load(Ordering::Relaxed) & bit != 0)
            .count()
    };
    NR_FILTER.store(count(FL_FILTER), Ordering::Relaxed);
    NR_GRAPH_FILTER.store(count(FL_GRAPH), Ordering::Relaxed);
}

/// Applies one word written to a filter file: `glob`, `!glob`, and for
/// `set_ftrace_filter` the commands `glob:stacktrace[:N]`,
/// `glob:traceon[:N]`, `glob:traceoff[:N]` (and `!glob:cmd`). Returns how
/// many functions matched; none is `EINVAL`, as on Linux.
pub fn apply(list: List, spec: &str) -> Result<usize, Errno> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Ok(0);
    }
    let (Some(s), Some(syms)) = (sites(), super::kallsyms::table()) else {
        return Err(ENODEV);
    };
    let (neg, spec) = match spec.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, spec),
    };
    let mut parts = spec.splitn(3, ':');
    let pat = parts.next().unwrap_or("");
    let (bit, count) = match (list, parts.next()) {
        (_, None) => (list.bit(), -1),
        (List::Filter, Some(cmd)) => {
            let bit = match cmd {
                "stacktrace" => FL_STACKTRACE | FL_FILTER,
                "traceon" => FL_TRACEON,
                "traceoff" => FL_TRACEOFF,
                _ => return Err(EINVAL),
            };
            let count = match parts.next() {
                None => -1,
                Some(n) => n.parse::<i32>().map_err(|_| EINVAL)?.max(0),
            };
            (bit, count)
        }
        _ => return Err(EINVAL),
    };
    let guard = FTRACE_LOCK.lock();
    let mut n = 0;
    for (i, &ip) in s.ips.iter().enumerate() {
        let Some(name) = site_name(&syms, ip) else {
            continue;
        };
        if !super::function::glob(pat, name) {
            continue;
        }
        n += 1;
        if neg {
            // `!f:stacktrace` drops the command, not the filter entry.
            let clear = if bit & FL_COMMANDS != 0 {
                bit & FL_COMMANDS
            } else {
                bit
            };
            s.flags[i].fetch_and(!clear, Ordering::Relaxed);
        } else {
            s.flags[i].fetch_or(bit, Ordering::Relaxed);
            if bit & FL_COMMANDS != 0 {
                s.counts[i].store(count, Ordering::Relaxed);
            }
        }
    }
    recount(s);
    let r = update_locked();
    drop(guard);
    r?;
    if n == 0 {
        return Err(EINVAL);
    }
    Ok(n)
}

/// Empties a list (`echo > set_ftrace_filter`; the commands stay, as on
/// Linux, where they are removed with `!func:cmd`).
pub fn clear(list: List) {
    let Some(s) = sites() else { return };
    let guard = FTRACE_LOCK.lock();
    for f in &s.flags {
        f.fetch_and(!list.bit(), Ordering::Relaxed);
    }
    recount(s);
    let r = update_locked();
    drop(guard);
    if let Err(e) = r {
        crate::println!("ftrace: re-patching failed: {e:?}");
    }
}

/// A list as its file reads.
pub fn list_text(list: List) -> String {
    let mut out = String::new();
    let (Some(s), Some(syms)) = (sites(), super::kallsyms::table()) else {
        return out;
    };
    let bit = list.bit();
    let mut any = false;
    for (i, &ip) in s.ips.iter().enumerate() {
        let f = s.flags[i].load(Ordering::Relaxed);
        let Some(name) = site_name(&syms, ip) else {
            continue;
        };
        if f & bit != 0 {
            out.push_str(name);
            out.push('\n');
            any = true;
        }
        if list == List::Filter {
            let count = s.counts[i].load(Ordering::Relaxed);
            for (b, cmd) in [
                (FL_STACKTRACE, "stacktrace"),
                (FL_TRACEON, "traceon"),
                (FL_TRACEOFF, "traceoff"),
            ] {
                if f & b != 0 {
                    let c = if count < 0 {
                        String::from("unlimited")
                    } else {
                        alloc::format!("count={count}")
                    };
                    out.push_str(&alloc::format!("{name}:{cmd}:{c}\n"));
                }
            }
        }
    }
    if !any {
        let none = match list {
            List::Filter | List::Graph => "#### all functions enabled ####\n",
            List::Notrace | List::GraphNotrace => "#### no functions disabled ####\n",
        };
        out.insert_str(0, none);
    }
    out
}

/// `set_ftrace_pid`: adds `pid` (false if the list is full).
pub fn add_pid(pid: i32) -> bool {
    let guard = FTRACE_LOCK.lock();
    let n = NR_PIDS.load(Ordering::Relaxed);
    let present = PIDS[..n].iter().any(|p| p.load(Ordering::Relaxed) == pid);
    let ok = present || n < MAX_PIDS;
    if !present && ok {
        PIDS[n].store(pid, Ordering::Relaxed);
        NR_PIDS.store(n + 1, Ordering::Release);
    }
    drop(guard);
    ok
}

/// Empties `set_ftrace_pid`.
pub fn clear_pids() {
    NR_PIDS.store(0, Ordering::Release);
}

/// `set_ftrace_pid` as it reads.
pub fn pids_text() -> String {
    let n = NR_PIDS.load(Ordering::Acquire);
    if n == 0 {
        return String::from("no pid\n");
    }
    let mut out = String::new();
    for p in &PIDS[..n] {
        out.push_str(&alloc::format!("{}\n", p.load(Ordering::Relaxed)));
    }
    out
}

/// Is `pid` one `set_ftrace_pid` lets through?
#[inline(always)]
fn pid_traced(pid: i32) -> bool {
    let n = NR_PIDS.load(Ordering::Acquire);
    if n == 0 {
        return true;
    }
    let mut i = 0;
    while i < n {
        if PIDS[i].load(Ordering::Relaxed) == pid {
            return true;
        }
        i += 1;
    }
    false
}

/// Runs a counted command once if it has runs left.
fn take_count(c: &AtomicI32) -> bool {
    let mut v = c.load(Ordering::Relaxed);
    loop {
        if v < 0 {
            return true;
        }
        if v == 0 {
            return false;
        }
        match c.compare_exchange(v, v - 1, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return true,
            Err(now) => v = now,
        }
    }
}

/// Masks IRQs and takes this CPU's tracer recursion bit, with nothing but
/// inline code: returns the saved DAIF and the per-CPU data, or `None`
/// (IRQ state restored) if the tracer is already running on this CPU or the
/// CPU has no per-CPU data yet.
#[inline(always)]
pub(super) fn recursion_trylock() -> Option<(u64, &'static crate::percpu::PerCpu)> {
    let daif: u64;
    let base: usize;
    // SAFETY: reads DAIF and TPIDR_EL1, then masks IRQs (as
    // local_irq_save, but inline: this runs before the recursion bit).
    unsafe {
        core::arch::asm!(
            "mrs {d}, daif",
            "msr daifset, #2",
            "mrs {b}, tpidr_el1",
            d = out(reg) daif,
            b = out(reg) base,
            options(nomem, nostack, preserves_flags)
        )
    };
    let restore = |d: u64| {
        // SAFETY: puts back the DAIF bits read above.
        unsafe { core::arch::asm!("msr daif, {}", in(reg) d, options(nomem, nostack)) };
    };
    let Some(pc) = crate::percpu::from_base(base) else {
        restore(daif);
        return None;
    };
    if pc.ftrace_recursion.swap(true, Ordering::Acquire) {
        restore(daif);
        return None;
    }
    Some((daif, pc))
}

/// Drops the recursion bit and puts back the IRQ state.
#[inline(always)]
pub(super) fn recursion_unlock(daif: u64, pc: &crate::percpu::PerCpu) {
    pc.ftrace_recursion.store(false, Ordering::Release);
    // SAFETY: puts back the DAIF bits `recursion_trylock` read.
    unsafe { core::arch::asm!("msr daif, {}", in(reg) daif, options(nomem, nostack)) };
}

/// Called from `ftrace_caller` on entry to a patched function: `ip` is the
/// patched call (function + 4), `*parent` the function's return address
/// (the graph tracer may replace it), `fp` the caller's frame pointer.
#[no_mangle]
#[patchable_function_entry(prefix_nops = 0, entry_nops = 0)]
extern "C" fn ftrace_handler(ip: usize, parent: *mut usize, fp: usize) {
    let Some((daif, pc)) = recursion_trylock() else {
        return;
    };
    handle(ip, parent, fp, daif);
    recursion_unlock(daif, pc);
}

/// The handler's work, under the recursion bit; `daif` is the traced
/// function's IRQ state.
#[patchable_function_entry(prefix_nops = 0, entry_nops = 0)]
#[inline(never)]
fn handle(ip: usize, parent: *mut usize, fp: usize, daif: u64) {
    let Some(s) = sites() else { return };
    let func = ip - 4;
    let Some(i) = site_index(s, func) else { return };
    let f = s.flags[i].load(Ordering::Relaxed);
    if f & FL_TRACEOFF != 0 && super::tracing_on() && take_count(&s.counts[i]) {
        super::set_tracing_on(false);
    }
    if f & FL_TRACEON != 0 && !super::tracing_on() && take_count(&s.counts[i]) {
        super::set_tracing_on(true);
    }
    let active = super::ACTIVE.load(Ordering::Relaxed);
    // `func:stacktrace` records with any tracer, as Linux's probe does.
    let stack = f & FL_STACKTRACE != 0 && super::tracing_on();
    if active & (FUNC_BIT | GRAPH_BIT) == 0 && !stack {
        return;
    }
    let cur = crate::arch::cpu::get_current();
    let pid = if cur == 0 {
        0
    } else {
        // SAFETY: SP_EL0 holds the running task while in the kernel.
        unsafe { (*(cur as *const crate::task::Task)).pid() }
    };
    if !pid_traced(pid) {
        return;
    }
    // SAFETY: `parent` points at the return-address slot `ftrace_caller`
    // saved on this stack.
    let ret = unsafe { *parent };
    let filtered = NR_FILTER.load(Ordering::Relaxed) == 0 || f & FL_FILTER != 0;
    if active & FUNC_BIT != 0 && filtered {
        super::function::trace_function(ip, ret, daif);
    }
    if stack && take_count(&s.counts[i]) {
        super::function::record_stack(ret, fp, daif);
    }
    if active & GRAPH_BIT != 0 && filtered && cur != 0 {
        // SAFETY: SP_EL0 holds the running task while in the kernel, and
        // `parent` the return-address slot ftrace_caller saved on this
        // stack, which nothing else touches until the handler returns.
        let (task, parent) = unsafe { (&*(cur as *const crate::task::Task), &mut *parent) };
        graph::graph_entry(task, func, f, parent, fp, daif);
    }
}
