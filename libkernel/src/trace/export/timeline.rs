//! Who ran where and when: the schedule a trace describes, rebuilt once
//! for the JSON, SVG and summary outputs.
//!
//! Run slices come from `sched_switch`: a task runs on a CPU from the switch
//! that put it there to the switch that took it off. A task already running
//! when a CPU's first entry was recorded (or when events were lost) is given
//! a slice from that entry, marked as cut at its start; a task still running
//! at the end of the trace runs to the trace's last timestamp. The idle task
//! (pid 0) gets slices too, so the outputs can choose to leave them out and
//! show sleep as gaps.

use alloc::{
    format,
    string::{String, ToString},
    vec::Vec,
};

use alloc::collections::BTreeMap;

use super::format::{Event, Marker, PrevState, ProcessKind, Record, Timestamp, Trace, WakeKind};

/// A stretch of time one task ran on one CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slice {
    pub cpu: u32,
    pub pid: u32,
    /// The task's comm when the slice ended (exec can change it).
    pub comm: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// The line of the `sched_switch` that began it (or of the CPU's first
    /// entry), to order it against events of the same microsecond.
    pub start_line: usize,
    /// `prev_state` of the switch that ended it; `None` if the trace ended
    /// (or lost events) first.
    pub end_state: Option<PrevState>,
    /// The slice began before what the trace shows of this CPU.
    pub cut_start: bool,
}

impl Slice {
    pub fn duration(&self) -> u64 {
        self.end.0 - self.start.0
    }
}

/// A `sched_waking`, `sched_wakeup` or `sched_wakeup_new`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wake {
    pub ts: Timestamp,
    pub line: usize,
    pub kind: WakeKind,
    pub pid: u32,
    pub comm: String,
    pub target_cpu: u32,
    /// The task that recorded it (the waker, or whoever ran on the target).
    pub by_pid: u32,
    /// The CPU it was recorded on.
    pub cpu: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fork {
    pub ts: Timestamp,
    pub line: usize,
    pub cpu: u32,
    pub parent: u32,
    pub parent_comm: String,
    pub child: u32,
    pub child_comm: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exit {
    pub ts: Timestamp,
    pub line: usize,
    pub cpu: u32,
    pub pid: u32,
    pub comm: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signal {
    pub ts: Timestamp,
    pub line: usize,
    pub cpu: u32,
    pub sender: u32,
    pub sig: i32,
    pub code: i32,
    pub receiver: u32,
    pub receiver_comm: String,
    pub res: i32,
}

/// A `tracing_mark_write` B/E annotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub ts: Timestamp,
    pub cpu: u32,
    /// The task that wrote it.
    pub tid: u32,
    /// The pid in the text (the writer's process).
    pub pid: u32,
    /// `Some(name)` for `B`, `None` for `E`.
    pub begin: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostEvents {
    pub cpu: u32,
    /// The last timestamp before the loss on any CPU.
    pub ts: Timestamp,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    pub tracer: String,
    /// CPU count: `#P`, or more if entries name higher CPUs.
    pub cpus: u32,
    pub start: Timestamp,
    pub end: Timestamp,
    /// In order of their end.
    pub slices: Vec<Slice>,
    pub wakes: Vec<Wake>,
    pub forks: Vec<Fork>,
    pub exits: Vec<Exit>,
    pub signals: Vec<Signal>,
    pub marks: Vec<Mark>,
    pub lost: Vec<LostEvents>,
    /// The last comm seen for each pid other than 0.
    pub names: BTreeMap<u32, String>,
}

struct Running {
    pid: u32,
    comm: String,
    start: Timestamp,
    start_line: usize,
    cut_start: bool,
}

impl Timeline {
    pub fn build(trace: &Trace) -> Timeline {
        let mut t = Timeline {
            tracer: trace.header.tracer.clone(),
            cpus: trace.header.cpus,
            ..Timeline::default()
        };
        let entries: Vec<_> = trace.entries().collect();
        t.start = entries.first().map(|e| e.ts).unwrap_or_default();
        t.end = entries.iter().map(|e| e.ts).max().unwrap_or_default();
        let mut running: BTreeMap<u32, Running> = BTreeMap::new();
        let mut last_ts = t.start;

        for record in &trace.records {
            let entry = match record {
                Record::Lost(lost) => {
                    if let Some(run) = running.remove(&lost.cpu) {
                        t.close(lost.cpu, run, last_ts, None);
                    }
                    t.lost.push(LostEvents {
                        cpu: lost.cpu,
                        ts: last_ts,
                        count: lost.count,
                    });
                    continue;
                }
                Record::Entry(entry) => entry,
            };
            last_ts = entry.ts;
            t.cpus = t.cpus.max(entry.cpu + 1);
            if entry.comm != "<...>" {
                t.name(entry.pid, &entry.comm);
            }
            running.entry(entry.cpu).or_insert_with(|| Running {
                pid: entry.pid,
                comm: entry.comm.clone(),
                start: entry.ts,
                start_line: entry.line,
                cut_start: true,
            });
            let Some(event) = entry.event() else {
                continue;
            };
            match event {
                Event::Switch(s) => {
                    t.name(s.prev_pid, &s.prev_comm);
                    t.name(s.next_pid, &s.next_comm);
                    if let Some(mut run) = running.remove(&entry.cpu) {
                        if run.pid == s.prev_pid {
                            run.comm = s.prev_comm.clone();
                        }
                        t.close(entry.cpu, run, entry.ts, Some(s.prev_state.clone()));
                    }
                    running.insert(
                        entry.cpu,
                        Running {
                            pid: s.next_pid,
                            comm: s.next_comm.clone(),
                            start: entry.ts,
                            start_line: entry.line,
                            cut_start: false,
                        },
                    );
                }
                Event::Wakeup(w) => {
                    t.name(w.pid, &w.comm);
                    t.cpus = t.cpus.max(w.target_cpu + 1);
                    t.wakes.push(Wake {
                        ts: entry.ts,
                        line: entry.line,
                        kind: w.kind,
                        pid: w.pid,
                        comm: w.comm.clone(),
                        target_cpu: w.target_cpu,
                        by_pid: entry.pid,
                        cpu: entry.cpu,
                    });
                }
                Event::Migrate(m) => t.name(m.pid, &m.comm),
                Event::Fork(f) => {
                    t.name(f.pid, &f.comm);
                    t.name(f.child_pid, &f.child_comm);
                    t.forks.push(Fork {
                        ts: entry.ts,
                        line: entry.line,
                        cpu: entry.cpu,
                        parent: f.pid,
                        parent_comm: f.comm.clone(),
                        child: f.child_pid,
                        child_comm: f.child_comm.clone(),
                    });
                }
                Event::Process(p) if p.kind == ProcessKind::Exit => {
                    t.name(p.pid, &p.comm);
                    t.exits.push(Exit {
                        ts: entry.ts,
                        line: entry.line,
                        cpu: entry.cpu,
                        pid: p.pid,
                        comm: p.comm.clone(),
                    });
                }
                Event::Process(p) if p.kind == ProcessKind::Free => t.name(p.pid, &p.comm),
                Event::Signal(s) => {
                    t.name(s.pid, &s.comm);
                    t.signals.push(Signal {
                        ts: entry.ts,
                        line: entry.line,
                        cpu: entry.cpu,
                        sender: entry.pid,
                        sig: s.sig,
                        code: s.code,
                        receiver: s.pid,
                        receiver_comm: s.comm.clone(),
                        res: s.res,
                    });
                }
                Event::Mark(text) => {
                    let (pid, begin) = match Marker::parse(text) {
                        Marker::Begin { pid, name } => (pid, Some(name.to_string())),
                        Marker::End { pid } => (pid.unwrap_or(entry.pid), None),
                        Marker::Text(_) => continue,
                    };
                    t.marks.push(Mark {
                        ts: entry.ts,
                        cpu: entry.cpu,
                        tid: entry.pid,
                        pid,
                        begin,
                    });
                }
                _ => {}
            }
        }
        let end = t.end;
        for (cpu, run) in core::mem::take(&mut running) {
            t.close(cpu, run, end, None);
        }
        t
    }

    fn name(&mut self, pid: u32, comm: &str) {
        if pid != 0 {
            self.names.insert(pid, comm.to_string());
        }
    }

    fn close(&mut self, cpu: u32, run: Running, end: Timestamp, end_state: Option<PrevState>) {
        self.slices.push(Slice {
            cpu,
            pid: run.pid,
            comm: run.comm,
            start: run.start,
            end: end.max(run.start),
            start_line: run.start_line,
            end_state,
            cut_start: run.cut_start,
        });
    }

    /// The name to show for `pid`.
    pub fn task_name(&self, pid: u32) -> &str {
        match self.names.get(&pid) {
            Some(name) => name,
            None if pid == 0 => "swapper",
            None => "<...>",
        }
    }

    /// `comm (pid)`
    pub fn label(&self, pid: u32) -> String {
        format!("{} ({pid})", self.task_name(pid))
    }

    /// Pids that ran (had a slice), idle excluded, in order.
    pub fn running_pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = self
            .slices
            .iter()
            .map(|s| s.pid)
            .filter(|&pid| pid != 0)
            .collect();
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// The wake-ups worth drawing: every `sched_wakeup`/`sched_wakeup_new`,
    /// and a `sched_waking` only when no `sched_wakeup` of the same task
    /// follows it (before the task's next waking), so a wake-up traced both
    /// ways shows once.
    pub fn drawn_wakes(&self) -> Vec<&Wake> {
        let mut pending: BTreeMap<u32, &Wake> = BTreeMap::new();
        let mut drawn = Vec::new();
        for wake in &self.wakes {
            match wake.kind {
                WakeKind::Waking => {
                    if let Some(unmatched) = pending.insert(wake.pid, wake) {
                        drawn.push(unmatched);
                    }
                }
                WakeKind::Wakeup | WakeKind::WakeupNew => {
                    pending.remove(&wake.pid);
                    drawn.push(wake);
                }
            }
        }
        drawn.extend(pending.into_values());
        drawn.sort_by_key(|w| (w.ts, w.line));
        drawn
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::export::{parse_trace, SEED_TRACE};

    fn seed() -> Timeline {
        Timeline::build(&parse_trace(SEED_TRACE).unwrap())
    }

    #[test]
    fn slices_follow_sched_switch() {
        let t = seed();
        let parent: Vec<_> = t.slices.iter().filter(|s| s.pid == 17120).collect();
        let spans: Vec<_> = parent
            .iter()
            .map(|s| {
                (
                    s.cpu,
                    s.start.plain(),
                    s.end.plain(),
                    s.end_state.as_ref().map(|p| p.to_string()),
                )
            })
            .collect();
        assert_eq!(
            spans,
            [
                (
                    3,
                    "1318.500050".into(),
                    "1318.514446".into(),
                    Some("S".into())
                ),
                (
                    3,
                    "1320.514530".into(),
                    "1320.514615".into(),
                    Some("S".into())
                ),
                (
                    3,
                    "1322.514530".into(),
                    "1322.514829".into(),
                    Some("S".into())
                ),
                (
                    3,
                    "1324.514530".into(),
                    "1324.515060".into(),
                    Some("Z".into())
                ),
            ]
        );
        // Exec renamed the task while it ran: the slice has the new name.
        assert_eq!(parent[0].comm, "raspbian_fork");
        assert!(t
            .slices
            .iter()
            .filter(|s| s.pid == 17121)
            .all(|s| s.cpu == 2));
    }

    #[test]
    fn tasks_running_at_the_edges_get_cut_slices() {
        let t = seed();
        // bash was running on CPU 1 when the trace began.
        let bash = t.slices.iter().find(|s| s.pid == 895).unwrap();
        assert!(bash.cut_start);
        assert_eq!(bash.start.plain(), "1318.500000");
        // swapper/0 runs to the last timestamp of the trace.
        let last = t.slices.iter().rfind(|s| s.cpu == 0).unwrap();
        assert_eq!((last.pid, last.end), (0, t.end));
        assert!(last.end_state.is_none());
    }

    #[test]
    fn lost_events_end_the_running_slice() {
        let text = SEED_TRACE.replace(
            "          <idle>-0     [003] d.h.  1320.514501",
            "CPU:3 [LOST 2 EVENTS]\n          <idle>-0     [003] d.h.  1320.514501",
        );
        let trace = crate::trace::export::parse_trace_lenient(&text).0;
        let t = Timeline::build(&trace);
        assert_eq!(t.lost.len(), 1);
        let idle3: Vec<_> = t
            .slices
            .iter()
            .filter(|s| s.cpu == 3 && s.pid == 0)
            .collect();
        assert!(idle3
            .iter()
            .any(|s| s.cut_start && s.start.plain() == "1320.514501"));
    }

    #[test]
    fn events_are_collected_with_names() {
        let t = seed();
        assert_eq!(t.cpus, 4);
        assert_eq!(t.forks.len(), 2);
        assert_eq!((t.forks[1].parent, t.forks[1].child), (17120, 17121));
        assert_eq!(
            t.exits.iter().map(|e| e.pid).collect::<Vec<_>>(),
            [17120, 17121]
        );
        assert_eq!(
            t.signals
                .iter()
                .map(|s| (s.sender, s.receiver))
                .collect::<Vec<_>>(),
            [(17120, 895), (17121, 1)]
        );
        assert_eq!(t.label(17108), "kworker/u8:0 (17108)");
        assert_eq!(t.running_pids(), [1, 10, 895, 17108, 17120, 17121]);
        assert_eq!(t.marks.len(), 4);
    }

    #[test]
    fn a_wake_up_traced_as_waking_and_wakeup_is_drawn_once() {
        let t = seed();
        let drawn = t.drawn_wakes();
        let wakeups = t
            .wakes
            .iter()
            .filter(|w| w.kind != WakeKind::Waking)
            .count();
        // bash's and init's wakings are followed by their wakeups too.
        assert_eq!(drawn.len(), wakeups);
        assert!(drawn.iter().all(|w| w.kind != WakeKind::Waking));
    }
}
