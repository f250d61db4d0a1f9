//! A `ps`-style listing of every task on the console, and the counters
//! used to check for leaks: live tasks, kernel stacks, free pages, heap.

use crate::mm::{heap, page_alloc};
use crate::percpu::NR_CPUS;
use crate::sched::core::RUNQUEUES;
use crate::task::{Task, NR_STACKS, NR_TASKS};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::Ordering;

/// Resource counts that must return to their baseline after tasks go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counters {
    /// Task descriptors alive (idle tasks included).
    pub tasks: usize,
    /// Kernel stacks allocated.
    pub stacks: usize,
    /// Free pages.
    pub free_pages: usize,
    /// Heap bytes in use.
    pub heap_bytes: usize,
}

/// Reads the counters now.
pub fn counters() -> Counters {
    Counters {
        tasks: NR_TASKS.load(Ordering::Relaxed),
        stacks: NR_STACKS.load(Ordering::Relaxed),
        free_pages: page_alloc::nr_free_pages(),
        heap_bytes: heap::heap_used(),
    }
}

/// Every task: the idle tasks, then all tasks with a pid.
pub fn all_tasks() -> Vec<Arc<Task>> {
    let mut v: Vec<Arc<Task>> = (0..NR_CPUS)
        .filter_map(|c| RUNQUEUES[c].lock().idle.clone())
        .collect();
    v.extend(crate::pid::all_tasks());
    v
}

/// Formats one line per task, like `ps -eo pid,ppid,stat,psr,pri,ni,f,comm`.
pub fn format_listing() -> String {
    let mut s = String::new();
    let _ = writeln!(s, "  PID  PPID S CPU PRI  NI    FLAGS COMMAND");
    for t in all_tasks() {
        let _ = writeln!(
            s,
            "{:5} {:5} {} {:3} {:3} {:3} {:#010x} {}",
            t.pid(),
            t.ppid(),
            t.state_char(),
            t.task_cpu(),
            t.prio.load(Ordering::Relaxed),
            t.nice(),
            t.flags(),
            t.comm()
        );
    }
    let c = counters();
    let _ = write!(
        s,
        "tasks {} (max {}), kernel stacks {}, free pages {}, heap bytes {}",
        c.tasks,
        crate::fork::MAX_THREADS.load(Ordering::Relaxed),
        c.stacks,
        c.free_pages,
        c.heap_bytes
    );
    s
}

/// Prints the listing on the console.
pub fn show() {
    println!("{}", format_listing());
}
