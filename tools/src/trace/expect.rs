//! The end-to-end check of the seed experiment (`pikern-trace expect`).
//!
//! The seed notes trace `raspbian_fork` forking a child, both sleeping
//! every 2 seconds, both exiting and signalling their parents, and the next
//! task freeing a dead task's stack. Each step is one check, reported as a
//! KTAP result with what it looked for and what it found:
//!
//! 1. (a) `copy_process <-_do_fork`, then a `<stack trace>` with `_do_fork`
//!    then `sys_clone` among its frames;
//! 2. (b) `sched_process_fork` with `comm=<COMM>`: gives the parent P and
//!    child C every later check is about;
//! 3. (c) `sched_wakeup_new` of C with a target CPU other than P's;
//! 4. (d) `sched_switch ... prev_state=S` for P and for C;
//! 5. (e) `do_exit <-do_group_exit` recorded by P and by C;
//! 6. (f) `sched_process_exit` of P and of C;
//! 7. (g) `signal_generate: sig=17` from P to P's parent, and from C to P
//!    or, once P is gone, to init (pid 1);
//! 8. (h) after P's and C's last switch (`prev_state` Z or X), the next task
//!    on that CPU records `finish_task_switch` and then `put_task_stack`;
//! 9. (i) every line passes `check`.

use std::fmt::Write as _;

use super::format::{Body, Entry, Error, Event, ProcessKind, Trace};
use crate::counts::Counts;

/// The fork experiment's program name in the seed.
pub const DEFAULT_COMM: &str = "raspbian_fork";

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The KTAP test name.
    pub name: &'static str,
    /// The step letter of the experiment.
    pub step: char,
    pub passed: bool,
    pub looked_for: String,
    /// What was found (or why not), one diagnostic line each.
    pub found: Vec<String>,
}

/// The KTAP names, in order.
pub const CHECKS: [(&str, char); 9] = [
    ("copy_process_from_do_fork_with_stack", 'a'),
    ("sched_process_fork", 'b'),
    ("child_woken_on_another_cpu", 'c'),
    ("parent_and_child_sleep", 'd'),
    ("do_exit_from_do_group_exit", 'e'),
    ("sched_process_exit", 'f'),
    ("sigchld_to_parents", 'g'),
    ("dead_stack_freed_by_next_task", 'h'),
    ("trace_format_valid", 'i'),
];

struct Ctx<'a> {
    entries: Vec<&'a Entry>,
    /// Added to a trace line number to give the input file's line number.
    line_base: usize,
}

impl Ctx<'_> {
    fn line(&self, entry: &Entry) -> usize {
        entry.line + self.line_base
    }

    /// `line N: <the entry as printed>`, frames folded onto one line.
    fn show(&self, entry: &Entry) -> String {
        format!(
            "line {}: {}",
            self.line(entry),
            entry.to_string().trim_start().replace("\n => ", " => ")
        )
    }
}

/// Runs the checks. `errors` are `check`'s findings on the same trace;
/// `first_line` is the input line holding the trace's line 1.
pub fn run(trace: &Trace, errors: &[Error], first_line: usize, comm: &str) -> Vec<Outcome> {
    let cx = Ctx {
        entries: trace.entries().collect(),
        line_base: first_line.saturating_sub(1),
    };
    let mut out = Vec::new();
    let mut push = |i: usize, passed: bool, looked_for: String, found: Vec<String>| {
        out.push(Outcome {
            name: CHECKS[i].0,
            step: CHECKS[i].1,
            passed,
            looked_for,
            found,
        })
    };

    let (passed, looked, found) = fork_call_stack(&cx);
    push(0, passed, looked, found);

    let fork = cx
        .entries
        .iter()
        .enumerate()
        .find_map(|(i, e)| match e.event() {
            Some(Event::Fork(f)) if f.comm == comm => Some((i, f.pid, f.child_pid)),
            _ => None,
        });
    let looked = format!("sched_process_fork with comm={comm}");
    match fork {
        Some((i, parent, child)) => push(
            1,
            true,
            looked,
            vec![
                cx.show(cx.entries[i]),
                format!("parent pid {parent}, child pid {child}"),
            ],
        ),
        None => push(
            1,
            false,
            looked,
            vec![format!("no sched_process_fork with comm={comm}")],
        ),
    }

    let dependent: [(usize, Check); 6] = [
        (2, child_woken_elsewhere),
        (3, both_sleep),
        (4, both_call_do_exit),
        (5, both_exit),
        (6, sigchld),
        (7, dead_stack_freed),
    ];
    for (i, check) in dependent {
        match fork {
            Some((fork_at, parent, child)) => {
                let (passed, looked, found) = check(&cx, fork_at, parent, child);
                push(i, passed, looked, found);
            }
            None => push(
                i,
                false,
                "(needs the parent and child pids of check (b))".to_string(),
                vec![format!(
                    "no sched_process_fork with comm={comm}, nothing to check"
                )],
            ),
        }
    }

    let mut found: Vec<String> = errors
        .iter()
        .take(5)
        .map(|e| format!("line {}: {}", e.line + cx.line_base, e.message))
        .collect();
    if errors.len() > 5 {
        found.push(format!("... and {} more", errors.len() - 5));
    }
    if errors.is_empty() {
        found.push(format!(
            "{} entries, all lines as the spec prints them",
            cx.entries.len()
        ));
    }
    push(
        8,
        errors.is_empty(),
        "every line well-formed and consistent (pikern-trace check)".to_string(),
        found,
    );
    out
}

type Found = (bool, String, Vec<String>);
type Check = fn(&Ctx, usize, u32, u32) -> Found;

fn fork_call_stack(cx: &Ctx) -> Found {
    let looked = "a function-tracer line `copy_process+0x.. <-_do_fork+0x..`, followed by a \
                  `<stack trace>` whose frames include _do_fork then sys_clone"
        .to_string();
    let calls: Vec<usize> = (0..cx.entries.len())
        .filter(|&i| {
            cx.entries[i]
                .function()
                .is_some_and(|f| f.is("copy_process", "_do_fork"))
        })
        .collect();
    if calls.is_empty() {
        return (
            false,
            looked,
            vec!["no `copy_process <-_do_fork` line".to_string()],
        );
    }
    let mut found = Vec::new();
    for &i in &calls {
        let call = cx.entries[i];
        found.push(cx.show(call));
        // func_stack_trace records the stack right after the call, on the
        // same CPU; other CPUs' entries may come between.
        let next = cx.entries[i + 1..].iter().find(|e| e.cpu == call.cpu);
        let Some(stack) = next.filter(|e| e.stack().is_some()) else {
            found.push(match next {
                Some(e) => format!(
                    "the next entry on CPU {} is not a <stack trace>: {}",
                    call.cpu,
                    cx.show(e)
                ),
                None => format!("no entry follows on CPU {}", call.cpu),
            });
            continue;
        };
        found.push(cx.show(stack));
        let names: Vec<&str> = stack
            .stack()
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f.name())
            .collect();
        if in_order(&names, &["_do_fork", "sys_clone"]) {
            return (true, looked, found);
        }
        found.push("its frames do not include _do_fork then sys_clone".to_string());
    }
    (false, looked, found)
}

/// True if `wanted` appear in `names` in this order (not necessarily adjacent).
fn in_order(names: &[&str], wanted: &[&str]) -> bool {
    let mut names = names.iter();
    wanted.iter().all(|w| names.any(|n| n == w))
}

fn child_woken_elsewhere(cx: &Ctx, fork_at: usize, parent: u32, child: u32) -> Found {
    let looked = format!(
        "sched_wakeup_new of pid {child} with a target_cpu other than the CPU parent {parent} runs on"
    );
    let wake = cx
        .entries
        .iter()
        .enumerate()
        .skip(fork_at)
        .find_map(|(i, e)| match e.event() {
            Some(Event::Wakeup(w))
                if w.kind == super::format::WakeKind::WakeupNew && w.pid == child =>
            {
                Some((i, w.target_cpu))
            }
            _ => None,
        });
    let Some((at, target)) = wake else {
        return (
            false,
            looked,
            vec![format!("no sched_wakeup_new of pid {child}")],
        );
    };
    let parent_cpu = cx.entries[..=at]
        .iter()
        .rev()
        .find(|e| e.pid == parent)
        .map(|e| e.cpu);
    let mut found = vec![cx.show(cx.entries[at])];
    let passed = match parent_cpu {
        Some(cpu) => {
            found.push(format!("child queued on CPU {target}, parent on CPU {cpu}"));
            cpu != target
        }
        None => {
            found.push(format!(
                "no entry of parent {parent} before it: its CPU is unknown"
            ));
            false
        }
    };
    (passed, looked, found)
}

fn both_sleep(cx: &Ctx, _: usize, parent: u32, child: u32) -> Found {
    let looked = format!("sched_switch with prev_state=S for parent {parent} and child {child}");
    let mut found = Vec::new();
    let mut passed = true;
    for (who, pid) in [("parent", parent), ("child", child)] {
        let sleeps: Vec<&&Entry> = cx
            .entries
            .iter()
            .filter(|e| match e.event() {
                Some(Event::Switch(s)) => s.prev_pid == pid && s.prev_state.has('S'),
                _ => false,
            })
            .collect();
        match sleeps.first() {
            Some(first) => found.push(format!(
                "{who} {pid} sleeps {} times, first {}",
                sleeps.len(),
                cx.show(first)
            )),
            None => {
                passed = false;
                found.push(format!("{who} {pid} never switches out with prev_state=S"));
            }
        }
    }
    (passed, looked, found)
}

fn both_call_do_exit(cx: &Ctx, _: usize, parent: u32, child: u32) -> Found {
    let looked = format!("`do_exit <-do_group_exit` function lines of pids {parent} and {child}");
    let mut found = Vec::new();
    let mut passed = true;
    for (who, pid) in [("parent", parent), ("child", child)] {
        let call = cx.entries.iter().find(|e| {
            e.pid == pid
                && e.function()
                    .is_some_and(|f| f.is("do_exit", "do_group_exit"))
        });
        match call {
            Some(e) => found.push(cx.show(e)),
            None => {
                passed = false;
                found.push(format!("{who} {pid}: no `do_exit <-do_group_exit` line"));
            }
        }
    }
    (passed, looked, found)
}

fn exit_index(cx: &Ctx, pid: u32) -> Option<usize> {
    cx.entries.iter().position(|e| {
        matches!(e.event(), Some(Event::Process(p)) if p.kind == ProcessKind::Exit && p.pid == pid)
    })
}

fn both_exit(cx: &Ctx, _: usize, parent: u32, child: u32) -> Found {
    let looked = format!("sched_process_exit of pids {parent} and {child}");
    let mut found = Vec::new();
    let mut passed = true;
    for (who, pid) in [("parent", parent), ("child", child)] {
        match exit_index(cx, pid) {
            Some(i) => found.push(cx.show(cx.entries[i])),
            None => {
                passed = false;
                found.push(format!("{who} {pid}: no sched_process_exit"));
            }
        }
    }
    (passed, looked, found)
}

/// The first `signal_generate: sig=17` recorded by `pid`.
fn sigchld_from<'a>(cx: &Ctx<'a>, pid: u32) -> Option<(usize, u32, &'a str)> {
    cx.entries
        .iter()
        .enumerate()
        .find_map(|(i, e)| match e.event() {
            Some(Event::Signal(s)) if e.pid == pid && s.sig == 17 => {
                Some((i, s.pid, s.comm.as_str()))
            }
            _ => None,
        })
}

fn sigchld(cx: &Ctx, _: usize, parent: u32, child: u32) -> Found {
    let grandparent = cx.entries.iter().find_map(|e| match e.event() {
        Some(Event::Fork(f)) if f.child_pid == parent => Some(f.pid),
        _ => None,
    });
    let looked = format!(
        "signal_generate: sig=17 from {parent} to its parent ({}), and from {child} to {parent} \
         or, once {parent} has exited, to init (1)",
        grandparent.map_or_else(
            || "not forked in the trace: any other task".to_string(),
            |p| p.to_string()
        )
    );
    let mut found = Vec::new();
    let mut passed = true;

    let parent_signal = sigchld_from(cx, parent);
    match parent_signal {
        None => {
            passed = false;
            found.push(format!("parent {parent}: no signal_generate sig=17"));
        }
        Some((i, to, comm)) => {
            found.push(cx.show(cx.entries[i]));
            let ok = match grandparent {
                Some(gp) => to == gp,
                None => to != parent && to != child,
            };
            found.push(format!(
                "parent {parent} signals {comm} ({to}): {}",
                if ok { "its parent" } else { "not its parent" }
            ));
            passed &= ok;
        }
    }

    match sigchld_from(cx, child) {
        None => {
            passed = false;
            found.push(format!("child {child}: no signal_generate sig=17"));
        }
        Some((i, to, comm)) => {
            found.push(cx.show(cx.entries[i]));
            // Linux reparents a task's children (exit_notify ->
            // forget_original_parent) after sched_process_exit and before
            // the task's own SIGCHLD. So once P's signal is out, C's parent
            // is init; between P's exit event and its signal it may be
            // either; before P's exit event it is P.
            let parent_signalled = parent_signal.is_some_and(|(p, _, _)| p < i);
            let parent_exiting = exit_index(cx, parent).is_some_and(|p| p < i);
            let allowed: &[u32] = if parent_signalled {
                &[1]
            } else if parent_exiting {
                &[parent, 1]
            } else {
                &[parent]
            };
            let ok = allowed.contains(&to);
            let expected: Vec<String> = allowed.iter().map(u32::to_string).collect();
            found.push(format!(
                "child {child} signals {comm} ({to}); expected pid {}",
                expected.join(" or ")
            ));
            passed &= ok;
        }
    }
    (passed, looked, found)
}

fn dead_stack_freed(cx: &Ctx, _: usize, parent: u32, child: u32) -> Found {
    let looked = format!(
        "after the last sched_switch of {parent} and of {child} (prev_state Z or X), the next task \
         on that CPU records finish_task_switch, then put_task_stack"
    );
    let mut found = Vec::new();
    let mut passed = true;
    for pid in [parent, child] {
        match stack_freed_after(cx, pid) {
            Ok(lines) => found.extend(lines),
            Err(why) => {
                passed = false;
                found.push(why);
            }
        }
    }
    (passed, looked, found)
}

fn stack_freed_after(cx: &Ctx, dead: u32) -> Result<Vec<String>, String> {
    let (at, next) = cx
        .entries
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, e)| match e.event() {
            Some(Event::Switch(s)) if s.prev_pid == dead => Some((i, s)),
            _ => None,
        })
        .ok_or_else(|| format!("pid {dead} never switches out"))?;
    let switch = cx.entries[at];
    if !next.prev_state.is_dead() {
        return Err(format!(
            "pid {dead}'s last switch has prev_state={}, not Z or X: {}",
            next.prev_state,
            cx.show(switch)
        ));
    }
    let mut lines = vec![cx.show(switch)];
    // Entries of the dead task itself may still follow (the rest of the
    // switch); the next task's first entry must be finish_task_switch.
    let mut after = cx.entries[at + 1..]
        .iter()
        .filter(|e| e.cpu == switch.cpu)
        .skip_while(|e| e.pid == dead);
    let first = after.next().ok_or_else(|| {
        format!(
            "nothing follows pid {dead}'s last switch on CPU {}",
            switch.cpu
        )
    })?;
    let is_finish = first.pid == next.next_pid
        && first
            .function()
            .is_some_and(|f| f.function.name() == Some("finish_task_switch"));
    if !is_finish {
        return Err(format!(
            "after pid {dead}'s last switch, the first entry of pid {} on CPU {} is not finish_task_switch: {}",
            next.next_pid,
            switch.cpu,
            cx.show(first)
        ));
    }
    lines.push(cx.show(first));
    let put = after
        .take_while(|e| !matches!(e.event(), Some(Event::Switch(_))))
        .find(|e| {
            e.pid == next.next_pid
                && matches!(&e.body, Body::Function(f) if f.function.name() == Some("put_task_stack"))
        })
        .ok_or_else(|| {
            format!(
                "pid {} runs finish_task_switch but no put_task_stack before it switches out",
                next.next_pid
            )
        })?;
    lines.push(cx.show(put));
    Ok(lines)
}

/// The KTAP report of the outcomes.
pub fn render_ktap(outcomes: &[Outcome]) -> String {
    let mut out = format!("KTAP version 1\n1..{}\n", outcomes.len());
    for (n, outcome) in outcomes.iter().enumerate() {
        let status = if outcome.passed { "ok" } else { "not ok" };
        let _ = writeln!(out, "{status} {} {}", n + 1, outcome.name);
        let _ = writeln!(
            out,
            "# ({}) looked for: {}",
            outcome.step, outcome.looked_for
        );
        for line in &outcome.found {
            let _ = writeln!(out, "# found: {line}");
        }
    }
    let _ = writeln!(out, "# expect: {}", counts(outcomes));
    out
}

pub fn counts(outcomes: &[Outcome]) -> Counts {
    let passed = outcomes.iter().filter(|o| o.passed).count();
    Counts {
        passed,
        failed: outcomes.len() - passed,
        skipped: 0,
    }
}

/// The report when there is no trace at all: every check fails, so the
/// results still count nine tests.
pub fn all_failed(why: &str) -> Vec<Outcome> {
    CHECKS
        .iter()
        .map(|&(name, step)| Outcome {
            name,
            step,
            passed: false,
            looked_for: "a trace in the input".to_string(),
            found: vec![why.to_string()],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{parse_trace_lenient, SEED_TRACE};

    fn run_on(text: &str) -> Vec<Outcome> {
        let (trace, errors) = parse_trace_lenient(text);
        run(&trace, &errors, 1, DEFAULT_COMM)
    }

    fn failing(outcomes: &[Outcome]) -> Vec<char> {
        outcomes
            .iter()
            .filter(|o| !o.passed)
            .map(|o| o.step)
            .collect()
    }

    #[test]
    fn the_seed_story_passes_every_check() {
        let outcomes = run_on(SEED_TRACE);
        let names: Vec<&str> = outcomes.iter().map(|o| o.name).collect();
        assert_eq!(names, CHECKS.map(|c| c.0));
        assert_eq!(
            failing(&outcomes),
            [] as [char; 0],
            "{}",
            render_ktap(&outcomes)
        );
        let report = render_ktap(&outcomes);
        assert!(
            report.starts_with("KTAP version 1\n1..9\nok 1 copy_process_from_do_fork_with_stack\n")
        );
        assert!(report.contains("# found: line 18: raspbian_fork-17120 [003] ....  1318.513909: copy_process+0x14/0x17d8 <-_do_fork+0xb0/0x3ec\n"));
        assert!(report.contains("# found: child queued on CPU 2, parent on CPU 3\n"));
        assert!(report.contains("# found: child 17121 signals init (1); expected pid 1\n"));
        assert!(report.ends_with("# expect: 9 passed, 0 failed, 0 skipped\n"));
    }

    #[test]
    fn line_numbers_point_into_the_console_log() {
        let (trace, errors) = parse_trace_lenient(SEED_TRACE);
        let outcomes = run(&trace, &errors, 101, DEFAULT_COMM);
        assert!(outcomes[0].found[0].starts_with("line 118: "));
    }

    #[test]
    fn each_broken_step_fails_its_own_check() {
        // No stack trace after copy_process: the frames become stray.
        let text = SEED_TRACE.replace(
            "....  1318.513921: <stack trace>",
            "....  1318.513921: foo+0x0/0x4",
        );
        let outcomes = run_on(&text);
        assert_eq!(failing(&outcomes), ['a', 'i']);

        // The child is queued on its parent's CPU.
        let text = SEED_TRACE.replace(
            "pid=17121 prio=120 target_cpu=002\n",
            "pid=17121 prio=120 target_cpu=003\n",
        );
        assert!(failing(&run_on(&text)).contains(&'c'));

        // The child never sleeps (its switches say D).
        let text = SEED_TRACE.replace(
            "prev_pid=17121 prev_prio=120 prev_state=S",
            "prev_pid=17121 prev_prio=120 prev_state=D",
        );
        assert_eq!(failing(&run_on(&text)), ['d']);

        // The child's SIGCHLD goes to the exited parent instead of init.
        let text = SEED_TRACE.replace(
            "comm=init pid=1 grp=1",
            "comm=raspbian_fork pid=17120 grp=1",
        );
        assert_eq!(failing(&run_on(&text)), ['g']);

        // The dead parent's stack is never freed.
        let text = SEED_TRACE.replace(
            "1324.515068: put_task_stack+0x14/0x80",
            "1324.515068: put_task_struct+0x14/0x80",
        );
        assert!(failing(&run_on(&text)).contains(&'h'));
    }

    #[test]
    fn another_comm_finds_nothing_and_says_so() {
        let (trace, errors) = parse_trace_lenient(SEED_TRACE);
        let outcomes = run(&trace, &errors, 1, "other");
        assert_eq!(failing(&outcomes), ['b', 'c', 'd', 'e', 'f', 'g', 'h']);
        assert!(outcomes[2].found[0].contains("no sched_process_fork with comm=other"));
        assert_eq!(
            counts(&outcomes),
            Counts {
                passed: 2,
                failed: 7,
                skipped: 0
            }
        );
    }
}
