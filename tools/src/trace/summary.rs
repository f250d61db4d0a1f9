//! The text report of `pikern-trace summary`: per-task CPU time, switches
//! and wake-up latency; the process tree; the signals sent.
//!
//! Wake-up latency is the time from a task's first `sched_waking` (or, if
//! none was traced, `sched_wakeup`/`sched_wakeup_new`) to the `sched_switch`
//! that next puts it on a CPU: how long a runnable task waited to run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::timeline::Timeline;
use libkernel::uapi::signal_name;

/// What the summary says about one task.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskStats {
    pub pid: u32,
    pub comm: String,
    /// Microseconds on a CPU, within the trace.
    pub run_time: u64,
    pub cpus: BTreeSet<u32>,
    /// Times switched out not runnable: asleep, stopped or dead (any
    /// `prev_state` but `R`/`R+`).
    pub blocked: usize,
    /// Times switched out still runnable (`R`, `R+`).
    pub preemptions: usize,
    /// Wake-up latencies in microseconds, in trace order.
    pub latencies: Vec<u64>,
}

impl TaskStats {
    pub fn switches(&self) -> usize {
        self.blocked + self.preemptions
    }

    pub fn mean_latency(&self) -> Option<u64> {
        let n = self.latencies.len() as u64;
        (n > 0).then(|| self.latencies.iter().sum::<u64>() / n)
    }

    pub fn max_latency(&self) -> Option<u64> {
        self.latencies.iter().copied().max()
    }
}

fn stats_for<'a>(
    stats: &'a mut BTreeMap<u32, TaskStats>,
    t: &Timeline,
    pid: u32,
) -> &'a mut TaskStats {
    stats.entry(pid).or_insert_with(|| TaskStats {
        pid,
        comm: t.task_name(pid).to_string(),
        ..TaskStats::default()
    })
}

/// Per-task statistics, by pid (idle excluded).
pub fn task_stats(t: &Timeline) -> BTreeMap<u32, TaskStats> {
    let mut stats = BTreeMap::new();
    // Per task, wake-ups and switch-ins: (ts, line, is_wake), sorted so
    // that events of the same microsecond keep their trace order.
    let mut moments: BTreeMap<u32, Vec<(u64, usize, bool)>> = BTreeMap::new();
    for slice in t.slices.iter().filter(|s| s.pid != 0) {
        let s = stats_for(&mut stats, t, slice.pid);
        s.run_time += slice.duration();
        s.cpus.insert(slice.cpu);
        match &slice.end_state {
            Some(state) if state.is_runnable() => s.preemptions += 1,
            Some(_) => s.blocked += 1,
            None => {}
        }
        if !slice.cut_start {
            moments
                .entry(slice.pid)
                .or_default()
                .push((slice.start.0, slice.start_line, false));
        }
    }
    for wake in t.wakes.iter().filter(|w| w.pid != 0) {
        stats_for(&mut stats, t, wake.pid);
        moments
            .entry(wake.pid)
            .or_default()
            .push((wake.ts.0, wake.line, true));
    }
    for (pid, mut list) in moments {
        list.sort_unstable();
        let s = stats_for(&mut stats, t, pid);
        let mut woken_at = None;
        for (ts, _, is_wake) in list {
            if is_wake {
                woken_at.get_or_insert(ts);
            } else if let Some(woken) = woken_at.take() {
                s.latencies.push(ts - woken);
            }
        }
    }
    stats
}

/// `1.234 ms` from microseconds.
fn millis(us: u64) -> String {
    format!("{}.{:03} ms", us / 1000, us % 1000)
}

fn micros(us: Option<u64>) -> String {
    us.map_or_else(|| "-".to_string(), |us| format!("{us} us"))
}

/// What `si_code` means for SIGCHLD, and generally.
fn code_name(sig: i32, code: i32) -> Option<&'static str> {
    const CLD: [&str; 6] = [
        "CLD_EXITED",
        "CLD_KILLED",
        "CLD_DUMPED",
        "CLD_TRAPPED",
        "CLD_STOPPED",
        "CLD_CONTINUED",
    ];
    match (sig, code) {
        (17, 1..=6) => Some(CLD[(code - 1) as usize]),
        (_, 0) => Some("SI_USER"),
        (_, 0x80) => Some("SI_KERNEL"),
        (_, -1) => Some("SI_QUEUE"),
        (_, -6) => Some("SI_TKILL"),
        _ => None,
    }
}

fn res_name(res: i32) -> &'static str {
    match res {
        0 => "delivered",
        1 => "ignored",
        2 => "already pending",
        3 => "overflow",
        4 => "info lost",
        _ => "?",
    }
}

/// The whole report.
pub fn render(t: &Timeline) -> String {
    let mut out = String::new();
    let span = t.end.0 - t.start.0;
    let _ = writeln!(
        out,
        "Trace: tracer {}, {} CPUs, {} s to {} s ({}.{:06} s)",
        t.tracer,
        t.cpus,
        t.start.plain(),
        t.end.plain(),
        span / 1_000_000,
        span % 1_000_000
    );
    for lost in &t.lost {
        let _ = writeln!(
            out,
            "Lost: {} events on CPU {} near {} s",
            lost.count,
            lost.cpu,
            lost.ts.plain()
        );
    }

    let _ = writeln!(
        out,
        "\nTasks (run time; CPUs used; switches out: blocked or preempted; wake-up latency):"
    );
    let _ = writeln!(
        out,
        "  {:>7}  {:<15}  {:>12}  {:<8}  {:>8}  {:>7}  {:>9}  {:>10}  {:>10}",
        "PID",
        "COMM",
        "RUN TIME",
        "CPUS",
        "SWITCHES",
        "BLOCKED",
        "PREEMPTED",
        "LAT MEAN",
        "LAT MAX"
    );
    for s in task_stats(t).values() {
        let cpus = s
            .cpus
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let _ = writeln!(
            out,
            "  {:>7}  {:<15}  {:>12}  {:<8}  {:>8}  {:>7}  {:>9}  {:>10}  {:>10}",
            s.pid,
            s.comm,
            millis(s.run_time),
            if cpus.is_empty() {
                "-".to_string()
            } else {
                cpus
            },
            s.switches(),
            s.blocked,
            s.preemptions,
            micros(s.mean_latency()),
            micros(s.max_latency())
        );
    }

    let _ = writeln!(
        out,
        "\nProcess tree (sched_process_fork, sched_process_exit):"
    );
    if t.forks.is_empty() {
        let _ = writeln!(out, "  (no forks traced)");
    }
    let mut children: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, fork) in t.forks.iter().enumerate() {
        children.entry(fork.parent).or_default().push(i);
    }
    let forked: BTreeSet<u32> = t.forks.iter().map(|f| f.child).collect();
    let mut roots: Vec<u32> = Vec::new();
    for fork in &t.forks {
        if !forked.contains(&fork.parent) && !roots.contains(&fork.parent) {
            roots.push(fork.parent);
        }
    }
    let mut shown = BTreeSet::new();
    for root in roots {
        tree(t, &children, root, None, 1, &mut shown, &mut out);
    }

    let _ = writeln!(out, "\nSignals (signal_generate):");
    if t.signals.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for signal in &t.signals {
        let name = u32::try_from(signal.sig)
            .ok()
            .and_then(signal_name)
            .unwrap_or("signal");
        let code = code_name(signal.sig, signal.code).map_or_else(
            || signal.code.to_string(),
            |n| format!("{} {n}", signal.code),
        );
        let _ = writeln!(
            out,
            "  {}  {} -> {}: {name} ({}), code {code}, {}",
            signal.ts.plain(),
            t.label(signal.sender),
            format_args!("{} ({})", signal.receiver_comm, signal.receiver),
            signal.sig,
            res_name(signal.res)
        );
    }
    out
}

fn tree(
    t: &Timeline,
    children: &BTreeMap<u32, Vec<usize>>,
    pid: u32,
    forked_at: Option<usize>,
    depth: usize,
    shown: &mut BTreeSet<u32>,
    out: &mut String,
) {
    let mut line = format!("{}{}", "  ".repeat(depth), t.label(pid));
    if let Some(i) = forked_at {
        let _ = write!(line, "  forked {} s", t.forks[i].ts.plain());
    }
    if let Some(exit) = t.exits.iter().find(|e| e.pid == pid) {
        let _ = write!(line, "  exited {} s", exit.ts.plain());
    }
    let _ = writeln!(out, "{line}");
    // A pid can be reused; never loop.
    if !shown.insert(pid) {
        return;
    }
    for &i in children.get(&pid).into_iter().flatten() {
        tree(
            t,
            children,
            t.forks[i].child,
            Some(i),
            depth + 1,
            shown,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{parse_trace, SEED_TRACE};

    fn seed() -> Timeline {
        Timeline::build(&parse_trace(SEED_TRACE).unwrap())
    }

    #[test]
    fn parent_and_child_statistics() {
        let stats = task_stats(&seed());
        let parent = &stats[&17120];
        // 14396 + 85 + 299 + 530 microseconds on CPU 3.
        assert_eq!(parent.run_time, 15_310);
        assert_eq!(parent.cpus, BTreeSet::from([3]));
        assert_eq!((parent.blocked, parent.preemptions), (4, 0));
        // wakeup_new 1318.500010 -> 1318.500050, then three timer wake-ups.
        assert_eq!(parent.latencies, [40, 29, 29, 29]);
        assert_eq!(
            (parent.mean_latency(), parent.max_latency()),
            (Some(31), Some(40))
        );
        let child = &stats[&17121];
        assert_eq!(child.cpus, BTreeSet::from([2]));
        assert_eq!(child.latencies, [60, 30, 40, 20]);
        // The kworker moved from CPU 2 to CPU 3.
        assert_eq!(stats[&17108].cpus, BTreeSet::from([2, 3]));
        assert!(!stats.contains_key(&0));
    }

    #[test]
    fn report_has_the_tree_and_signals() {
        let text = render(&seed());
        assert!(text.starts_with(
            "Trace: tracer function, 4 CPUs, 1318.500000 s to 1324.531100 s (6.031100 s)\n"
        ));
        assert!(text.contains(
            "  bash (895)\n    raspbian_fork (17120)  forked 1318.500000 s  exited 1324.514959 s\n      raspbian_fork (17121)  forked 1318.514102 s  exited 1324.514980 s\n"
        ), "{text}");
        assert!(text.contains(
            "  1324.515028  raspbian_fork (17120) -> bash (895): SIGCHLD (17), code 1 CLD_EXITED, delivered\n"
        ));
        assert!(text.contains("  1324.515049  raspbian_fork (17121) -> init (1): SIGCHLD (17)"));
        assert!(text.contains("    17120  raspbian_fork       15.310 ms  3                4        4          0       31 us       40 us\n"), "{text}");
    }
}
