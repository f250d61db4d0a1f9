//! Dynamic ftrace and the function_graph tracer: every call site patched in
//! and out while the other CPUs run through them, the graph of `do_exit`
//! nested with durations that add up, and the filter lists, commands and
//! pid filter. Each test puts the tracer back to `nop` with empty lists.

use crate::ktest::{Fail, Suite, TestCase, TestResult};
use crate::sched::wait::msleep;
use crate::trace::ftrace::{self, List};
use crate::trace::{self, kallsyms};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use libkernel::trace::{id, Item};

fn err(e: crate::errno::Errno) -> Fail {
    Fail::Failed(format!("{e:?}"))
}

/// Back to `nop`, empty lists, tracing on, buffers empty.
fn reset() {
    let _ = trace::set_current_tracer("nop");
    for l in [List::Filter, List::Notrace, List::Graph, List::GraphNotrace] {
        ftrace::clear(l);
    }
    ftrace::clear_pids();
    trace::graph::MAX_DEPTH.store(0, Ordering::Relaxed);
    trace::set_tracing_on(true);
    trace::clear();
}

fn word(r: &libkernel::trace::Record, i: usize) -> u64 {
    let b: [u8; 8] = r.payload[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]);
    u64::from_le_bytes(b)
}

fn name_of(addr: u64) -> String {
    kallsyms::table()
        .and_then(|k| k.lookup(addr).map(|(n, _, _)| String::from(n)))
        .unwrap_or_default()
}

static STOP: AtomicBool = AtomicBool::new(false);
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Work for the other CPUs: sleeps, wake-ups, allocations, kthreads made
/// and reaped, all through traced functions.
fn busy_worker() -> i32 {
    while !STOP.load(Ordering::Acquire) {
        let v: Vec<u64> = (0..64).collect();
        core::hint::black_box(&v);
        let _ = crate::kthread::kthread_run(|| 0, "ftrace_child");
        msleep(1);
    }
    RUNNING.fetch_sub(1, Ordering::Release);
    0
}

fn every_call_site_patches_in_and_out_while_others_run() -> TestResult {
    reset();
    let sites = ftrace::nr_sites();
    kassert!(sites > 500, "only {sites} call sites");
    let listed = ftrace::available_filter_functions().lines().count();
    kassert_eq!(listed, sites);
    STOP.store(false, Ordering::Release);
    for cpu in 1..crate::percpu::NR_CPUS {
        if crate::kthread::kthread_run_on(busy_worker, "ftrace_busy", 1 << cpu).is_ok() {
            RUNNING.fetch_add(1, Ordering::AcqRel);
        }
    }
    let mut seen = 0;
    for round in 0..2 {
        for tracer in ["function", "function_graph"] {
            trace::set_current_tracer(tracer).map_err(err)?;
            let on = ftrace::nr_enabled();
            msleep(20);
            trace::set_tracing_on(false);
            let items = trace::snapshot();
            trace::set_tracing_on(true);
            trace::set_current_tracer("nop").map_err(err)?;
            let off = ftrace::nr_enabled();
            if on != sites || off != 0 {
                STOP.store(true, Ordering::Release);
                return Err(Fail::Failed(format!(
                    "round {round} {tracer}: {on} of {sites} sites patched in, {off} left after nop"
                )));
            }
            let mut funcs: Vec<u64> = items
                .iter()
                .filter_map(|i| match i {
                    Item::Entry(_, r) if r.id == id::FUNCTION || r.id == id::FUNCGRAPH_ENTRY => {
                        Some(word(r, 0))
                    }
                    _ => None,
                })
                .collect();
            funcs.sort_unstable();
            funcs.dedup();
            seen = seen.max(funcs.len());
        }
    }
    STOP.store(true, Ordering::Release);
    for _ in 0..200 {
        if RUNNING.load(Ordering::Acquire) == 0 {
            break;
        }
        msleep(5);
    }
    reset();
    kassert_eq!(RUNNING.load(Ordering::Acquire), 0);
    kassert!(seen > 50, "only {seen} distinct functions recorded");
    Ok(())
}

fn do_exit_graph_nests_and_durations_add_up() -> TestResult {
    reset();
    ftrace::apply(List::Graph, "do_exit").map_err(err)?;
    trace::set_current_tracer("function_graph").map_err(err)?;
    let probe = crate::kthread::kthread_run(|| 0, "graph_probe").map_err(err)?;
    let pid = probe.pid();
    drop(probe);
    msleep(50);
    trace::set_tracing_on(false);
    let items = trace::snapshot();
    let text = trace::trace_text();
    reset();
    // Replay the probe's records: every return closes the innermost open
    // call, at its depth; a call lasts at least as long as its children.
    struct Open {
        func: u64,
        depth: u64,
        calltime: u64,
        children_ns: u64,
    }
    let mut stack: Vec<Open> = Vec::new();
    let (mut entries, mut exits) = (0, 0);
    let mut names = Vec::new();
    for it in &items {
        let Item::Entry(_, r) = it else { continue };
        if r.pid != pid {
            continue;
        }
        match r.id {
            id::FUNCGRAPH_ENTRY => {
                let (func, depth) = (word(r, 0), word(r, 1));
                kassert_eq!(depth as usize, stack.len());
                names.push(name_of(func));
                stack.push(Open {
                    func,
                    depth,
                    calltime: r.ts,
                    children_ns: 0,
                });
                entries += 1;
            }
            id::FUNCGRAPH_EXIT => {
                let (func, calltime, depth) = (word(r, 0), word(r, 1), word(r, 2));
                let Some(open) = stack.pop() else {
                    return Err(Fail::Failed(format!(
                        "return from {} with nothing open",
                        name_of(func)
                    )));
                };
                kassert_eq!(open.func, func);
                kassert_eq!(open.depth, depth);
                kassert!(
                    calltime <= open.calltime,
                    "call time after the entry record"
                );
                let dur = r.ts - calltime;
                kassert!(
                    dur >= open.children_ns,
                    "{} took {dur} ns, its children {} ns",
                    name_of(func),
                    open.children_ns
                );
                if let Some(parent) = stack.last_mut() {
                    parent.children_ns += dur;
                }
                exits += 1;
            }
            _ => {}
        }
    }
    kassert!(entries > 5 && exits > 3, "{entries} entries, {exits} exits");
    kassert_eq!(names.first().map(String::as_str), Some("do_exit"));
    // do_exit and do_task_dead never return: they stay open at the end.
    for f in ["do_exit", "do_task_dead", "__schedule"] {
        kassert!(names.iter().any(|n| n == f), "no {f} in the graph");
        kassert!(
            text.contains(&format!("{f}() {{")),
            "no `{f}() {{` line in:\n{text}"
        );
    }
    kassert!(
        text.starts_with("# tracer: function_graph\n"),
        "header: {text}"
    );
    Ok(())
}

/// The graph entries of a kthread that exits at once, traced from
/// `do_exit` with the settings `setup` made: (name, depth) in order.
fn graph_of_an_exit(setup: impl Fn() -> Result<(), Fail>) -> Result<Vec<(String, u64)>, Fail> {
    reset();
    ftrace::apply(List::Graph, "do_exit").map_err(err)?;
    setup()?;
    trace::set_current_tracer("function_graph").map_err(err)?;
    let probe = crate::kthread::kthread_run(|| 0, "graph_probe").map_err(err)?;
    let pid = probe.pid();
    drop(probe);
    msleep(50);
    trace::set_tracing_on(false);
    let items = trace::snapshot();
    reset();
    Ok(items
        .iter()
        .filter_map(|i| match i {
            Item::Entry(_, r) if r.pid == pid && r.id == id::FUNCGRAPH_ENTRY => {
                Some((name_of(word(r, 0)), word(r, 1)))
            }
            _ => None,
        })
        .collect())
}

fn max_graph_depth_and_set_graph_notrace_cut_the_graph() -> TestResult {
    let shallow = graph_of_an_exit(|| {
        trace::graph::MAX_DEPTH.store(2, Ordering::Relaxed);
        Ok(())
    })?;
    kassert!(
        shallow.iter().any(|(_, d)| *d == 1),
        "no depth-1 call: {shallow:?}"
    );
    kassert!(
        shallow.iter().all(|(_, d)| *d < 2),
        "deeper than max_graph_depth 2: {shallow:?}"
    );
    let cut = graph_of_an_exit(|| {
        ftrace::apply(List::GraphNotrace, "exit_notify")
            .map(|_| ())
            .map_err(err)
    })?;
    let names: Vec<&str> = cut.iter().map(|(n, _)| n.as_str()).collect();
    kassert!(
        names.contains(&"do_task_dead"),
        "graph stopped early: {names:?}"
    );
    kassert!(
        !names.contains(&"exit_notify") && !names.contains(&"do_notify_parent"),
        "set_graph_notrace let exit_notify or its callees through: {names:?}"
    );
    Ok(())
}

fn filter_lists_commands_and_pid_filter_work() -> TestResult {
    reset();
    kassert_eq!(
        ftrace::apply(List::Filter, "no_such_function_anywhere"),
        Err(crate::errno::EINVAL)
    );
    kassert_eq!(
        ftrace::apply(List::Filter, "do_exit:no_such_command"),
        Err(crate::errno::EINVAL)
    );
    // `do_exit:traceoff`: patched in with the nop tracer, stops tracing.
    ftrace::apply(List::Filter, "do_exit:traceoff").map_err(err)?;
    kassert!(
        ftrace::list_text(List::Filter).contains("do_exit:traceoff:unlimited\n"),
        "set_ftrace_filter reads {}",
        ftrace::list_text(List::Filter)
    );
    kassert!(ftrace::nr_enabled() >= 1, "the command patched nothing in");
    let _ = crate::kthread::kthread_run(|| 0, "traceoff_probe");
    msleep(50);
    let stopped = !trace::tracing_on();
    ftrace::apply(List::Filter, "!do_exit:traceoff").map_err(err)?;
    trace::set_tracing_on(true);
    kassert!(stopped, "do_exit:traceoff did not stop tracing");
    kassert_eq!(ftrace::nr_enabled(), 0);

    // set_ftrace_notrace wins over the filter.
    ftrace::apply(List::Filter, "*sched*").map_err(err)?;
    ftrace::apply(List::Notrace, "__schedule").map_err(err)?;
    trace::set_current_tracer("function").map_err(err)?;
    msleep(30);
    trace::set_tracing_on(false);
    let items = trace::snapshot();
    reset();
    let mut names: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            Item::Entry(_, r) if r.id == id::FUNCTION => Some(name_of(word(r, 0))),
            _ => None,
        })
        .collect();
    names.dedup();
    kassert!(!names.is_empty(), "nothing traced");
    kassert!(
        names
            .iter()
            .all(|n| n.contains("sched") && n != "__schedule"),
        "outside the filter: {names:?}"
    );

    // set_ftrace_pid: only this task's calls.
    let me = crate::task::current().pid();
    kassert!(ftrace::add_pid(me), "pid list full");
    kassert_eq!(ftrace::pids_text(), format!("{me}\n"));
    trace::set_current_tracer("function").map_err(err)?;
    for _ in 0..5 {
        msleep(2);
    }
    trace::set_tracing_on(false);
    let items = trace::snapshot();
    reset();
    let pids: Vec<i32> = items
        .iter()
        .filter_map(|i| match i {
            Item::Entry(_, r) if r.id == id::FUNCTION => Some(r.pid),
            _ => None,
        })
        .collect();
    kassert!(!pids.is_empty(), "nothing traced for pid {me}");
    kassert!(pids.iter().all(|&p| p == me), "other pids traced: {pids:?}");
    Ok(())
}

/// The dynamic ftrace suite.
pub const SUITE: Suite = Suite {
    name: "ftrace",
    cases: &[
        TestCase {
            name: "every_call_site_patches_in_and_out_while_others_run",
            run: every_call_site_patches_in_and_out_while_others_run,
        },
        TestCase {
            name: "do_exit_graph_nests_and_durations_add_up",
            run: do_exit_graph_nests_and_durations_add_up,
        },
        TestCase {
            name: "max_graph_depth_and_set_graph_notrace_cut_the_graph",
            run: max_graph_depth_and_set_graph_notrace_cut_the_graph,
        },
        TestCase {
            name: "filter_lists_commands_and_pid_filter_work",
            run: filter_lists_commands_and_pid_filter_work,
        },
    ],
    manual: false,
};
