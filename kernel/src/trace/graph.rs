//! The function_graph tracer (Linux's `kernel/trace/fgraph.c` and
//! `trace_functions_graph.c`): on entry to a traced function the handler
//! pushes the function's return address on the task's return stack and
//! replaces it with `return_to_handler`; when the function returns there,
//! [`ftrace_return_to_handler`] pops it, records the return with the call
//! time, and hands the real address back. The entry and return records
//! (`funcgraph_entry`, `funcgraph_exit`) are turned into Linux's call-graph
//! text, with durations, when the trace is read
//! (`libkernel::trace::graph`).
//!
//! A task's return stack is allocated for every task when the tracer is
//! selected (Linux's `ftrace_graph_init_task`), never inside the
//! handler, which may run with the allocator's lock held.

use super::ftrace::{self, FL_GRAPH, FL_GRAPH_NOTRACE};
use super::record_words_irqflags;
use crate::task::Task;
use alloc::boxed::Box;
use core::sync::atomic::{
    AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
use libkernel::trace::graph::opt;
use libkernel::trace::id;

/// Return-stack depth (Linux's `FTRACE_RETFUNC_DEPTH`).
pub const RETFUNC_DEPTH: usize = 50;

/// One hooked call.
#[derive(Default)]
struct RetEntry {
    /// The real return address.
    ret: AtomicUsize,
    /// The function (its start).
    func: AtomicUsize,
    /// Counter ticks at entry.
    calltime: AtomicU64,
    /// The caller's frame pointer at entry, checked at return.
    fp: AtomicUsize,
}

/// A task's return stack. Only its own task touches it, with IRQs masked.
pub struct RetStack {
    entries: [RetEntry; RETFUNC_DEPTH],
    /// Entries in use.
    depth: AtomicUsize,
    /// Calls not hooked because the stack was full.
    overrun: AtomicU64,
    /// Depth of the `set_graph_function` function being traced, or -1.
    filter_at: AtomicI32,
    /// Depth of the `set_graph_notrace` function being run, or -1.
    notrace_at: AtomicI32,
}

impl RetStack {
    fn new() -> Self {
        RetStack {
            entries: core::array::from_fn(|_| RetEntry::default()),
            depth: AtomicUsize::new(0),
            overrun: AtomicU64::new(0),
            filter_at: AtomicI32::new(-1),
            notrace_at: AtomicI32::new(-1),
        }
    }
}

/// A task's return stack, if the graph tracer has given it one.
#[derive(Default)]
pub struct RetStackPtr(AtomicPtr<RetStack>);

impl RetStackPtr {
    /// For a new task: a stack while the graph tracer is selected.
    pub fn new() -> Self {
        let p = RetStackPtr::default();
        if GRAPH_TASKS.load(Ordering::Acquire) {
            p.install();
        }
        p
    }

    fn install(&self) {
        if !self.0.load(Ordering::Acquire).is_null() {
            return;
        }
        let new = Box::into_raw(Box::new(RetStack::new()));
        if self
            .0
            .compare_exchange(
                core::ptr::null_mut(),
                new,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: `new` came from Box::into_raw and was not published.
            drop(unsafe { Box::from_raw(new) });
        }
    }

    #[inline(always)]
    fn get(&self) -> Option<&RetStack> {
        let p = self.0.load(Ordering::Acquire);
        // SAFETY: a published stack lives as long as its task (freed only
        // by Drop below).
        (!p.is_null()).then(|| unsafe { &*p })
    }

    /// The real return address behind the `n`-th `return_to_handler` met
    /// walking this task's stack from the innermost frame (Linux's
    /// `ftrace_graph_ret_addr`).
    pub fn ret_addr(&self, n: usize) -> Option<usize> {
        let rs = self.get()?;
        let depth = rs.depth.load(Ordering::Relaxed);
        let i = depth.checked_sub(n + 1)?;
        Some(rs.entries[i].ret.load(Ordering::Relaxed))
    }
}

impl Drop for RetStackPtr {
    fn drop(&mut self) {
        let p = *self.0.get_mut();
        if !p.is_null() {
            // SAFETY: installed from Box::into_raw; the task is gone, so
            // nothing else can reach it.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

/// Set while the tracer is selected: new tasks get return stacks. Tasks
/// keep theirs once given (a hooked return may still be on their stack),
/// until they are freed.
static GRAPH_TASKS: AtomicBool = AtomicBool::new(false);
/// `max_graph_depth` (0: no limit).
pub static MAX_DEPTH: AtomicUsize = AtomicUsize::new(0);
/// The `funcgraph-*` options (`libkernel::trace::graph::opt` bits).
pub static OPTS: AtomicU32 = AtomicU32::new(opt::DEFAULT);

/// Gives every task a return stack (on selecting the tracer).
pub fn init_tasks() {
    GRAPH_TASKS.store(true, Ordering::Release);
    for t in crate::pid::all_tasks() {
        t.ret_stack.install();
    }
    for c in 0..crate::percpu::NR_CPUS {
        if let Some(idle) = crate::sched::core::idle_task(c) {
            idle.ret_stack.install();
        }
    }
}

/// The tracer is deselected: tasks made from now on get no return stack.
pub fn stop_tasks() {
    GRAPH_TASKS.store(false, Ordering::Release);
}

/// The graph tracer's part of the handler: hooks the return of `func`
/// (flags `f`) unless a filter or the depth limit says no, and records its
/// entry. Runs under the tracer's recursion bit.
#[patchable_function_entry(prefix_nops = 0, entry_nops = 0)]
pub fn graph_entry(task: &Task, func: usize, f: u8, parent: &mut usize, fp: usize, daif: u64) {
    let Some(rs) = task.ret_stack.get() else {
        return;
    };
    if rs.notrace_at.load(Ordering::Relaxed) >= 0 {
        return;
    }
    let depth = rs.depth.load(Ordering::Relaxed);
    let max = MAX_DEPTH.load(Ordering::Relaxed);
    if max != 0 && depth >= max {
        return;
    }
    let in_filter = rs.filter_at.load(Ordering::Relaxed) >= 0;
    if ftrace::NR_GRAPH_FILTER.load(Ordering::Relaxed) != 0 && !in_filter && f & FL_GRAPH == 0 {
        return;
    }
    if OPTS.load(Ordering::Relaxed) & opt::IRQS == 0
        && libkernel::preempt::in_hardirq(crate::preempt::preempt_count())
    {
        return;
    }
    if depth >= RETFUNC_DEPTH {
        rs.overrun.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let now = crate::time::uptime_cycles();
    let e = &rs.entries[depth];
    e.ret.store(*parent, Ordering::Relaxed);
    e.func.store(func, Ordering::Relaxed);
    e.calltime.store(now, Ordering::Relaxed);
    e.fp.store(fp, Ordering::Relaxed);
    rs.depth.store(depth + 1, Ordering::Relaxed);
    if f & FL_GRAPH_NOTRACE != 0 {
        rs.notrace_at.store(depth as i32, Ordering::Relaxed);
    } else {
        if f & FL_GRAPH != 0 && !in_filter {
            rs.filter_at.store(depth as i32, Ordering::Relaxed);
        }
        record_words_irqflags(id::FUNCGRAPH_ENTRY, [func as u64, depth as u64], daif);
    }
    // ftrace_caller enters the function with this as its return address.
    *parent = crate::arch::ftrace::return_to_handler_addr();
}

/// Called from `return_to_handler` when a hooked function returns, with
/// its caller's frame pointer: pops the return stack, records the return
/// and gives back the real return address.
#[no_mangle]
#[patchable_function_entry(prefix_nops = 0, entry_nops = 0)]
extern "C" fn ftrace_return_to_handler(fp: usize) -> usize {
    let locked = ftrace::recursion_trylock();
    let cur = crate::arch::cpu::get_current();
    // SAFETY: SP_EL0 holds the running task in the kernel; only a task
    // with a return stack can have been hooked.
    let task = unsafe { &*(cur as *const Task) };
    let Some(rs) = task.ret_stack.get() else {
        panic!("ftrace: return_to_handler without a return stack");
    };
    let depth = rs.depth.load(Ordering::Relaxed);
    let Some(top) = depth.checked_sub(1) else {
        panic!("ftrace: return_to_handler with an empty return stack");
    };
    let e = &rs.entries[top];
    let ret = e.ret.load(Ordering::Relaxed);
    rs.depth.store(top, Ordering::Relaxed);
    if let Some((daif, pc)) = locked {
        if super::active(super::GRAPH_BIT) {
            record_return(rs, e, top, fp, daif);
        }
        ftrace::recursion_unlock(daif, pc);
    }
    ret
}

/// The return's record and the filter marks it ends. Under the recursion
/// bit.
#[patchable_function_entry(prefix_nops = 0, entry_nops = 0)]
#[inline(never)]
fn record_return(rs: &RetStack, e: &RetEntry, depth: usize, fp: usize, daif: u64) {
    let at = depth as i32;
    if rs.notrace_at.load(Ordering::Relaxed) == at {
        rs.notrace_at.store(-1, Ordering::Relaxed);
        return;
    }
    if rs.filter_at.load(Ordering::Relaxed) == at {
        rs.filter_at.store(-1, Ordering::Relaxed);
    }
    let func = e.func.load(Ordering::Relaxed);
    if e.fp.load(Ordering::Relaxed) != fp {
        // Linux stops the tracer here ("Bad frame pointer"); the address is
        // still the one pushed, so the kernel goes on.
        crate::println!(
            "ftrace: bad frame pointer returning from {}: expected {:#x}, got {:#x}",
            super::kallsyms::lookup_text(func),
            e.fp.load(Ordering::Relaxed),
            fp
        );
    }
    record_words_irqflags(
        id::FUNCGRAPH_EXIT,
        [
            func as u64,
            e.calltime.load(Ordering::Relaxed),
            depth as u64,
            rs.overrun.load(Ordering::Relaxed),
        ],
        daif,
    );
}

/// Calls `return_to_handler` stands for in a frame walk: the real return
/// address of a frame whose link register reads `return_to_handler`, the
/// `n`-th such frame counted from the innermost.
pub fn ret_addr(task: &Task, lr: usize, n: &mut usize) -> usize {
    if lr != crate::arch::ftrace::return_to_handler_addr() {
        return lr;
    }
    let r = task.ret_stack.ret_addr(*n).unwrap_or(lr);
    *n += 1;
    r
}
