//! Chrome trace-event JSON (`{"traceEvents":[...]}`), which
//! chrome://tracing and ui.perfetto.dev open.
//!
//! Layout:
//! - a process "CPUs" with one thread per CPU, holding run slices named by
//!   the task (idle is left out, so sleep shows as gaps);
//! - one process per task pid (with one thread, tid = pid) holding the same
//!   run slices, instants for wake-ups, fork, exit and signals sent, and the
//!   `tracing_mark_write` `B|pid|name` / `E|pid` slices;
//! - metadata events naming every process and thread and ordering the CPU
//!   tracks.
//!
//! Timestamps are the trace's microseconds, the unit of the format. The
//! JSON is written by hand (a string escaper is all it needs) and events
//! come in a fixed order, so the same trace gives the same bytes.

use alloc::{
    format,
    string::{String, ToString},
    vec::Vec,
};

use alloc::collections::BTreeSet;
use core::fmt::Write as _;

use super::timeline::Timeline;
use crate::uapi::signal_name;

/// The pid of the "CPUs" process: above Linux's largest pid (`PID_MAX_LIMIT`
/// is 4194304), so it never meets a task's pid.
pub const CPUS_PID: u64 = 1 << 30;

/// The tid of CPU `cpu`'s track. Perfetto keys threads by tid across
/// processes, so these must not collide with task tids either.
pub fn cpu_tid(cpu: u32) -> u64 {
    CPUS_PID + 1 + u64::from(cpu)
}

/// `text` as a JSON string literal.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON object built field by field, in the order written.
#[derive(Default)]
struct Obj(String);

impl Obj {
    fn field(mut self, key: &str, json: &str) -> Self {
        if !self.0.is_empty() {
            self.0.push(',');
        }
        let _ = write!(self.0, "{}:{json}", quote(key));
        self
    }

    fn str(self, key: &str, value: &str) -> Self {
        self.field(key, &quote(value))
    }

    fn num(self, key: &str, value: impl Into<i128>) -> Self {
        self.field(key, &value.into().to_string())
    }

    fn obj(self, key: &str, value: Obj) -> Self {
        let json = value.done();
        self.field(key, &json)
    }

    fn done(self) -> String {
        format!("{{{}}}", self.0)
    }
}

fn metadata(name: &str, pid: u64, tid: u64, args: Obj) -> String {
    Obj::default()
        .str("name", name)
        .str("ph", "M")
        .num("pid", pid)
        .num("tid", tid)
        .obj("args", args)
        .done()
}

fn instant(name: &str, ts: u64, pid: u32, args: Obj) -> (u64, String) {
    let json = Obj::default()
        .str("name", name)
        .str("cat", "sched")
        .str("ph", "i")
        .str("s", "t")
        .num("ts", ts)
        .num("pid", pid)
        .num("tid", pid)
        .obj("args", args)
        .done();
    (ts, json)
}

/// The trace-event JSON document for `t`.
pub fn to_json(t: &Timeline) -> String {
    let mut meta = Vec::new();
    // Every task that appears on a track, for naming.
    let mut tasks: BTreeSet<u32> = t.running_pids().into_iter().collect();
    tasks.extend(t.wakes.iter().map(|w| w.pid));
    tasks.extend(t.forks.iter().flat_map(|f| [f.parent, f.child]));
    tasks.extend(t.exits.iter().map(|e| e.pid));
    tasks.extend(t.signals.iter().map(|s| s.sender));
    tasks.extend(t.marks.iter().map(|m| m.pid));
    tasks.remove(&0);

    meta.push(metadata(
        "process_name",
        CPUS_PID,
        cpu_tid(0),
        Obj::default().str("name", "CPUs"),
    ));
    meta.push(metadata(
        "process_sort_index",
        CPUS_PID,
        cpu_tid(0),
        Obj::default().num("sort_index", -1),
    ));
    for cpu in 0..t.cpus {
        let tid = cpu_tid(cpu);
        let name = format!("CPU {cpu}");
        meta.push(metadata(
            "thread_name",
            CPUS_PID,
            tid,
            Obj::default().str("name", &name),
        ));
        meta.push(metadata(
            "thread_sort_index",
            CPUS_PID,
            tid,
            Obj::default().num("sort_index", cpu),
        ));
    }
    for &pid in &tasks {
        let name = t.task_name(pid);
        let pid64 = u64::from(pid);
        meta.push(metadata(
            "process_name",
            pid64,
            pid64,
            Obj::default().str("name", name),
        ));
        meta.push(metadata(
            "thread_name",
            pid64,
            pid64,
            Obj::default().str("name", name),
        ));
    }
    // Threads that wrote marks for another pid are named too.
    let mut mark_threads: BTreeSet<(u32, u32)> = BTreeSet::new();
    for mark in t.marks.iter().filter(|m| m.tid != m.pid) {
        mark_threads.insert((mark.pid, mark.tid));
    }
    for (pid, tid) in mark_threads {
        meta.push(metadata(
            "thread_name",
            u64::from(pid),
            u64::from(tid),
            Obj::default().str("name", t.task_name(tid)),
        ));
    }

    let mut timed: Vec<(u64, String)> = Vec::new();
    for slice in t.slices.iter().filter(|s| s.pid != 0) {
        let mut args = Obj::default().num("pid", slice.pid).num("cpu", slice.cpu);
        if let Some(state) = &slice.end_state {
            args = args.str("end_state", &state.to_string());
        }
        if slice.cut_start {
            args = args.str("note", "running before the trace shows this CPU");
        }
        let args_json = args.done();
        let x = |name: &str, pid: u64, tid: u64| {
            Obj::default()
                .str("name", name)
                .str("cat", "sched")
                .str("ph", "X")
                .num("ts", slice.start.0)
                .num("dur", slice.duration())
                .num("pid", pid)
                .num("tid", tid)
                .field("args", &args_json)
                .done()
        };
        timed.push((slice.start.0, x(&slice.comm, CPUS_PID, cpu_tid(slice.cpu))));
        let on_task = format!("{} on CPU {}", slice.comm, slice.cpu);
        let pid = u64::from(slice.pid);
        timed.push((slice.start.0, x(&on_task, pid, pid)));
    }
    for wake in t.wakes.iter().filter(|w| w.pid != 0) {
        let args = Obj::default()
            .num("by_pid", wake.by_pid)
            .str("by", t.task_name(wake.by_pid))
            .num("target_cpu", wake.target_cpu);
        timed.push(instant(wake.kind.event_name(), wake.ts.0, wake.pid, args));
    }
    for fork in &t.forks {
        let args = Obj::default()
            .num("child_pid", fork.child)
            .str("child_comm", &fork.child_comm);
        timed.push(instant(
            &format!("fork {}", fork.child),
            fork.ts.0,
            fork.parent,
            args,
        ));
        let args = Obj::default().num("parent_pid", fork.parent);
        timed.push(instant(
            &format!("forked by {}", fork.parent),
            fork.ts.0,
            fork.child,
            args,
        ));
    }
    for exit in &t.exits {
        timed.push(instant(
            "exit",
            exit.ts.0,
            exit.pid,
            Obj::default().num("cpu", exit.cpu),
        ));
    }
    for signal in &t.signals {
        let sig = u32::try_from(signal.sig)
            .ok()
            .and_then(signal_name)
            .map_or_else(|| signal.sig.to_string(), str::to_string);
        let name = format!("{sig} to {}", t.label(signal.receiver));
        let args = Obj::default()
            .num("sig", signal.sig)
            .num("code", signal.code)
            .num("receiver_pid", signal.receiver)
            .str("receiver_comm", &signal.receiver_comm)
            .num("res", signal.res);
        timed.push(instant(&name, signal.ts.0, signal.sender, args));
    }
    for mark in &t.marks {
        let mut event = Obj::default();
        if let Some(name) = &mark.begin {
            event = event.str("name", name);
        }
        let event = event
            .str("cat", "tracing_mark_write")
            .str("ph", if mark.begin.is_some() { "B" } else { "E" })
            .num("ts", mark.ts.0)
            .num("pid", mark.pid)
            .num("tid", mark.tid)
            .done();
        timed.push((mark.ts.0, event));
    }
    for lost in &t.lost {
        let event = Obj::default()
            .str("name", &format!("LOST {} events", lost.count))
            .str("ph", "i")
            .str("s", "t")
            .num("ts", lost.ts.0)
            .num("pid", CPUS_PID)
            .num("tid", cpu_tid(lost.cpu))
            .done();
        timed.push((lost.ts.0, event));
    }
    // Stable: same-time events keep the order above (B before its E).
    timed.sort_by_key(|(ts, _)| *ts);

    let other = Obj::default()
        .str("source", "pikern ftrace")
        .str("tracer", &t.tracer)
        .done();
    let events: Vec<String> = meta
        .into_iter()
        .chain(timed.into_iter().map(|(_, e)| e))
        .collect();
    format!(
        "{{\"traceEvents\":[\n{}\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{other}}}\n",
        events.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::export::{parse_trace, SEED_TRACE};

    fn seed_json() -> String {
        to_json(&Timeline::build(&parse_trace(SEED_TRACE).unwrap()))
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(quote("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
    }

    #[test]
    fn cpu_tracks_carry_run_slices_named_by_task() {
        let json = seed_json();
        assert!(json.starts_with("{\"traceEvents\":[\n"));
        assert!(json.contains(&format!(
            r#"{{"name":"thread_name","ph":"M","pid":{CPUS_PID},"tid":{},"args":{{"name":"CPU 3"}}}}"#,
            cpu_tid(3)
        )));
        assert!(json.contains(&format!(
            r#"{{"name":"raspbian_fork","cat":"sched","ph":"X","ts":1320514530,"dur":85,"pid":{CPUS_PID},"tid":{},"args":{{"pid":17120,"cpu":3,"end_state":"S"}}}}"#,
            cpu_tid(3)
        )));
        assert!(json.contains(
            r#"{"name":"raspbian_fork on CPU 2","cat":"sched","ph":"X","ts":1320514930,"dur":81,"pid":17121,"tid":17121,"args":{"pid":17121,"cpu":2,"end_state":"S"}}"#
        ));
        // The idle task never gets a slice.
        assert!(!json.contains("\"name\":\"swapper"));
    }

    #[test]
    fn processes_get_names_instants_and_marks() {
        let json = seed_json();
        assert!(json.contains(r#"{"name":"process_name","ph":"M","pid":17121,"tid":17121,"args":{"name":"raspbian_fork"}}"#));
        assert!(json.contains(
            r#""name":"fork 17121","cat":"sched","ph":"i","s":"t","ts":1318514102,"pid":17120"#
        ));
        assert!(json.contains(
            r#""name":"exit","cat":"sched","ph":"i","s":"t","ts":1324514980,"pid":17121"#
        ));
        assert!(json.contains(r#""name":"SIGCHLD to init (1)""#));
        assert!(json.contains(r#""name":"sched_wakeup_new","cat":"sched","ph":"i","s":"t","ts":1318514130,"pid":17121"#));
        assert!(json.contains(r#"{"name":"raspbian_proc_process","cat":"tracing_mark_write","ph":"B","ts":1318514300,"pid":17120,"tid":17120}"#));
        assert!(json.contains(
            r#"{"cat":"tracing_mark_write","ph":"E","ts":1324514575,"pid":17121,"tid":17121}"#
        ));
    }

    #[test]
    fn events_are_in_time_order_after_the_metadata() {
        let json = seed_json();
        let stamps: Vec<u64> = json
            .lines()
            .filter_map(|l| l.split("\"ts\":").nth(1))
            .map(|rest| {
                rest.split(',')
                    .next()
                    .unwrap()
                    .trim_end_matches('}')
                    .parse()
                    .unwrap()
            })
            .collect();
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
        let first_timed = json.lines().position(|l| l.contains("\"ts\":")).unwrap();
        assert!(json
            .lines()
            .skip(first_timed)
            .all(|l| !l.contains("\"ph\":\"M\"")));
    }
}
