//! tracefs as scripts use it: event filters, triggers, `set_event_pid`,
//! options, `per_cpu/`, `snapshot`, `tracing_cpumask`, `trace_clock` and
//! the debugfs path. Every test goes through the files (open, write,
//! read), with real kernel threads producing the events, and restores
//! what it changed.

use crate::errno::Errno;
use crate::ktest::{Fail, Suite, TestCase, TestResult};
use crate::percpu::{self, NR_CPUS};
use crate::sched::wait::msleep;
use crate::trace;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use libkernel::trace::id;

const T: &str = "/sys/kernel/tracing";
const O_WRONLY: u32 = 1;
const O_TRUNC: u32 = 0o1000;

fn read(p: &str) -> Result<String, Fail> {
    let p = if p.starts_with('/') {
        String::from(p)
    } else {
        format!("{T}/{p}")
    };
    let f = crate::fs::open("/", p.as_bytes(), 0, 0)
        .map_err(|e| Fail::Failed(format!("open {p}: {}", e.0)))?;
    let mut text = Vec::new();
    let mut buf = alloc::vec![0u8; 4096];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| Fail::Failed(format!("read {p}: {}", e.0)))?;
        if n == 0 {
            break;
        }
        text.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// Writes `s` as `echo s > file` does (`O_TRUNC`); the errno on failure.
fn try_write(p: &str, s: &str) -> Result<(), Errno> {
    let p = if p.starts_with('/') {
        String::from(p)
    } else {
        format!("{T}/{p}")
    };
    let f = crate::fs::open("/", p.as_bytes(), O_WRONLY | O_TRUNC, 0)?;
    f.write(s.as_bytes()).map(|_| ())
}

/// Fails unless writing `s` to `p` is refused.
fn refused(p: &str, s: &str) -> Result<(), Fail> {
    match try_write(p, s) {
        Err(_) => Ok(()),
        Ok(()) => Err(Fail::Failed(format!("{s:?} > {p} was accepted"))),
    }
}

fn write(p: &str, s: &str) -> Result<(), Fail> {
    try_write(p, s).map_err(|e| Fail::Failed(format!("write {s:?} > {p}: errno {}", e.0)))
}

/// The entry lines of a trace text (no `#` header).
fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

/// Runs kernel threads named `names` that sleep and wake for `ms`
/// milliseconds (each sleep a pair of sched_switch entries), then waits
/// for them to end.
fn run_threads(names: &[&str], ms: u64) -> Result<Vec<i32>, Fail> {
    let mut ts = Vec::new();
    for n in names {
        let t = crate::kthread::kthread_run(
            move || {
                let end = crate::time::uptime_ns() + ms * 1_000_000;
                while crate::time::uptime_ns() < end {
                    msleep(2);
                }
                0
            },
            n,
        )
        .map_err(|e| Fail::Failed(format!("kthread_run: errno {}", e.0)))?;
        ts.push(t);
    }
    let pids = ts.iter().map(|t| t.pid()).collect();
    let end = crate::time::uptime_ns() + (ms + 2000) * 1_000_000;
    while ts
        .iter()
        .any(|t| crate::pid::find_task_by_pid(t.pid()).is_some())
        && crate::time::uptime_ns() < end
    {
        msleep(5);
    }
    Ok(pids)
}

/// Sched_switch on, a clean buffer; returns whether it was on before.
fn start_switches() -> Result<bool, Fail> {
    let was = trace::event_enabled(id::SCHED_SWITCH);
    write("events/sched/sched_switch/enable", "1")?;
    write("trace", "")?;
    Ok(was)
}

fn stop_switches(was: bool) -> Result<(), Fail> {
    write("events/sched/sched_switch/filter", "0")?;
    write(
        "events/sched/sched_switch/enable",
        if was { "1" } else { "0" },
    )
}

fn filter_keeps_only_matching_events() -> TestResult {
    let was = start_switches()?;
    write(
        "events/sched/sched_switch/filter",
        "next_comm == \"flt_keep\" && prev_pid >= 0",
    )?;
    kassert_eq!(
        read("events/sched/sched_switch/filter")?.as_str(),
        "next_comm == \"flt_keep\" && prev_pid >= 0\n"
    );
    write("trace", "")?;
    run_threads(&["flt_keep", "flt_drop"], 60)?;
    let text = read("trace")?;
    stop_switches(was)?;
    let sw: Vec<&str> = lines(&text)
        .into_iter()
        .filter(|l| l.contains("sched_switch:"))
        .collect();
    kassert!(!sw.is_empty(), "no sched_switch passed the filter:\n{text}");
    let bad: Vec<&&str> = sw
        .iter()
        .filter(|l| !l.contains("next_comm=flt_keep "))
        .collect();
    kassert!(bad.is_empty(), "filtered-out events recorded: {bad:?}");
    kassert_eq!(read("events/sched/sched_switch/filter")?.as_str(), "none\n");
    Ok(())
}

fn bad_filter_is_refused_and_the_old_one_kept() -> TestResult {
    let f = "events/sched/sched_switch/filter";
    write(f, "prev_pid > 1")?;
    write("error_log", "")?;
    for bad in [
        "prev_pid >",
        "nosuch == 1",
        "prev_comm == bash",
        "(prev_pid == 1",
        "prev_pid == \"x\"",
        "\u{1}\u{2}",
    ] {
        let r = try_write(f, bad);
        kassert!(r == Err(crate::errno::EINVAL), "{bad:?} gave {r:?}");
    }
    let kept = read(f)?;
    let log = read("error_log")?;
    write(f, "0")?;
    kassert_eq!(kept.as_str(), "prev_pid > 1\n");
    kassert!(
        log.contains("error: Field not found\n  Command: nosuch == 1\n"),
        "error_log:\n{log}"
    );
    kassert!(
        log.contains("Invalid value (did you forget quotes)?"),
        "{log}"
    );
    // A subsystem filter goes to the events that have the field.
    write("events/sched/filter", "pid == 77")?;
    let wake = read("events/sched/sched_wakeup/filter")?;
    let switch = read(f)?;
    let sys = read("events/sched/filter")?;
    write("events/sched/filter", "0")?;
    kassert_eq!(wake.as_str(), "pid == 77\n");
    kassert_eq!(switch.as_str(), "none\n");
    kassert_eq!(sys.as_str(), "pid == 77\n");
    kassert_eq!(read("events/sched/filter")?.as_str(), "none\n");
    kassert_eq!(read("events/sched/sched_wakeup/filter")?.as_str(), "none\n");
    refused("events/sched/filter", "nosuch == 1")?;
    Ok(())
}

fn traceoff_trigger_stops_recording() -> TestResult {
    let was = start_switches()?;
    let trig = "events/sched/sched_switch/trigger";
    write(trig, "traceoff:1 if next_comm == \"toff_probe\"")?;
    kassert_eq!(
        read(trig)?.as_str(),
        "traceoff:count=1 if next_comm == \"toff_probe\"\n"
    );
    kassert!(
        try_write(trig, "traceoff") == Err(crate::errno::EEXIST),
        "a second traceoff was accepted"
    );
    run_threads(&["toff_probe"], 30)?;
    let on = read("tracing_on")?;
    write("trace_marker", "after traceoff")?;
    let text = read("trace")?;
    let shown = read(trig)?;
    write(trig, "!traceoff")?;
    write("tracing_on", "1")?;
    stop_switches(was)?;
    kassert_eq!(on.as_str(), "0\n");
    kassert_eq!(
        shown.as_str(),
        "traceoff:count=0 if next_comm == \"toff_probe\"\n"
    );
    // On the CPU that hit it, the switch is the last entry (other CPUs
    // may record a little longer, until they see tracing off).
    let ls = lines(&text);
    let hit = ls
        .iter()
        .find(|l| l.contains("next_comm=toff_probe"))
        .ok_or_else(|| Fail::Failed(format!("no switch to toff_probe:\n{text}")))?;
    let cpu = hit.split(']').next().and_then(|h| h.rsplit('[').next());
    let tag = format!("[{}]", cpu.unwrap_or("?"));
    kassert!(
        ls.iter().rev().find(|l| l.contains(&tag)) == Some(hit),
        "entries on {tag} after the switch that hit the trigger:\n{text}"
    );
    kassert!(!text.contains("after traceoff"), "recorded after traceoff");
    kassert!(
        read(trig)?.starts_with("# Available triggers:"),
        "!traceoff did not remove it"
    );
    refused(trig, "bogus")?;
    refused(trig, "enable_event:sched:nosuch")?;
    Ok(())
}

fn stacktrace_trigger_adds_a_stack_entry() -> TestResult {
    let was = start_switches()?;
    let trig = "events/sched/sched_switch/trigger";
    write(trig, "stacktrace:1 if next_comm == \"stk_probe\"")?;
    run_threads(&["stk_probe"], 20)?;
    let text = read("trace")?;
    let shown = read(trig)?;
    write(trig, "!stacktrace")?;
    stop_switches(was)?;
    kassert_eq!(
        shown.as_str(),
        "stacktrace:count=0 if next_comm == \"stk_probe\"\n"
    );
    let ls: Vec<&str> = text.lines().collect();
    let at = ls
        .iter()
        .position(|l| l.contains("next_comm=stk_probe"))
        .ok_or_else(|| Fail::Failed(format!("no switch to stk_probe:\n{text}")))?;
    // The next entry of that CPU (others' may come between, by time).
    let cpu = ls[at]
        .split(']')
        .next()
        .and_then(|h| h.rsplit('[').next())
        .unwrap_or("?");
    let tag = format!("[{cpu}]");
    let next = ls[at + 1..]
        .iter()
        .position(|l| l.contains(&tag))
        .map(|i| at + 1 + i);
    kassert!(
        next.is_some_and(|n| ls[n].ends_with("<stack trace>")),
        "no stack trace after the event on {tag}:\n{text}"
    );
    kassert!(
        next.is_some_and(|n| ls.get(n + 1).is_some_and(|l| l.starts_with(" => "))),
        "stack trace without frames:\n{text}"
    );
    kassert_eq!(text.matches("<stack trace>").count(), 1);
    Ok(())
}

fn snapshot_holds_the_swapped_buffer() -> TestResult {
    write("trace", "")?;
    write("trace_marker", "snap before")?;
    write("snapshot", "1")?;
    write("trace_marker", "snap after")?;
    let snap = read("snapshot")?;
    let live = read("trace")?;
    write("snapshot", "2")?;
    let cleared = read("snapshot")?;
    write("snapshot", "0")?;
    let freed = read("snapshot")?;
    kassert!(
        snap.contains("snap before") && !snap.contains("snap after"),
        "snapshot:\n{snap}"
    );
    kassert!(
        live.contains("snap after") && !live.contains("snap before"),
        "trace:\n{live}"
    );
    kassert!(cleared.contains("* Snapshot is allocated *"), "{cleared}");
    kassert!(freed.contains("* Snapshot is freed *"), "{freed}");
    refused("snapshot", "x")?;
    // The snapshot trigger allocates the buffer and swaps on its event.
    let was = start_switches()?;
    write("trace_marker", "snap by trigger")?;
    let trig = "events/sched/sched_switch/trigger";
    write(trig, "snapshot:1 if next_comm == \"snap_probe\"")?;
    run_threads(&["snap_probe"], 20)?;
    let snap = read("snapshot")?;
    write(trig, "!snapshot")?;
    write("snapshot", "0")?;
    stop_switches(was)?;
    kassert!(
        snap.contains("snap by trigger") && snap.contains("next_comm=snap_probe"),
        "snapshot after the trigger:\n{snap}"
    );
    Ok(())
}

fn mark_here() {
    let t = format!("percpu mark {}", percpu::smp_processor_id());
    trace::events::print(t.as_bytes());
}

fn mark_all_cpus() {
    for c in 0..NR_CPUS {
        if !crate::smp::cpu_online(c) {
            continue;
        }
        if c == percpu::smp_processor_id() {
            mark_here();
        } else {
            crate::smp::call_on_cpu(c, mark_here, true);
        }
    }
}

fn per_cpu_trace_and_cpumask_select_cpus() -> TestResult {
    write("trace", "")?;
    mark_all_cpus();
    let one = read("per_cpu/cpu1/trace")?;
    let stats = read("per_cpu/cpu1/stats")?;
    let ls = lines(&one);
    kassert!(
        !ls.is_empty() && ls.iter().all(|l| l.contains(" [001] ")),
        "per_cpu/cpu1/trace:\n{one}"
    );
    kassert!(one.contains("percpu mark 1"), "{one}");
    // Emptying one CPU's file leaves the others.
    write("per_cpu/cpu1/trace", "")?;
    let after = read("trace")?;
    kassert!(
        !after.contains("percpu mark 1") && after.contains("percpu mark 0"),
        "{after}"
    );
    kassert!(
        stats.starts_with("entries: ")
            && stats.contains("\noverrun: 0\ncommit overrun: 0\nbytes: ")
            && stats.contains("\noldest event ts: ")
            && stats.contains("\nnow ts: ")
            && stats.ends_with("dropped events: 0\nread events: 0\n"),
        "stats:\n{stats}"
    );
    // tracing_cpumask: CPU 0 only.
    write("tracing_cpumask", "1")?;
    kassert_eq!(read("tracing_cpumask")?.as_str(), "1\n");
    write("trace", "")?;
    mark_all_cpus();
    let text = read("trace")?;
    write("tracing_cpumask", &format!("{:x}", (1u32 << NR_CPUS) - 1))?;
    kassert!(text.contains("percpu mark 0"), "{text}");
    kassert!(
        !text.contains("percpu mark 1") && !text.contains("percpu mark 2"),
        "CPUs outside the mask recorded:\n{text}"
    );
    refused("tracing_cpumask", "zz")?;
    refused("per_cpu/cpu1/stats", "1")?;
    Ok(())
}

fn mark_many() {
    for i in 0..5000 {
        trace::events::print(format!("nooverwrite {i}").as_bytes());
    }
}

fn nooverwrite_keeps_the_oldest_and_counts_drops() -> TestResult {
    write("options/overwrite", "0")?;
    write("trace", "")?;
    crate::smp::call_on_cpu(1, mark_many, true);
    let stats = read("per_cpu/cpu1/stats")?;
    let text = read("per_cpu/cpu1/trace")?;
    write("options/overwrite", "1")?;
    write("trace", "")?;
    let num = |key: &str| -> u64 {
        stats
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(u64::MAX)
    };
    let (entries, dropped) = (num("entries:"), num("dropped events:"));
    kassert!(
        entries < 5000 && dropped == 5000 - entries,
        "stats:\n{stats}"
    );
    kassert_eq!(num("overrun:"), 0);
    kassert!(
        text.contains("nooverwrite 0\n"),
        "the oldest entry was overwritten"
    );
    kassert!(
        !text.contains("nooverwrite 4999\n"),
        "a full buffer took more"
    );
    Ok(())
}

fn set_event_pid_limits_events_to_listed_tasks() -> TestResult {
    let was = start_switches()?;
    // The listed thread must exist first: start it, list it, then look.
    let t = crate::kthread::kthread_run(
        || {
            for _ in 0..30 {
                msleep(2);
            }
            0
        },
        "pid_probe",
    )
    .map_err(|e| Fail::Failed(format!("kthread_run: errno {}", e.0)))?;
    let pid = t.pid();
    write("set_event_pid", &format!("{pid}"))?;
    write("trace", "")?;
    run_threads(&["pid_other"], 40)?;
    let text = read("trace")?;
    let listed = read("set_event_pid")?;
    write("set_event_pid", "")?;
    stop_switches(was)?;
    while crate::pid::find_task_by_pid(pid).is_some() {
        msleep(5);
    }
    kassert_eq!(listed, format!("{pid}\n"));
    let sw: Vec<&str> = lines(&text)
        .into_iter()
        .filter(|l| l.contains("sched_switch:"))
        .collect();
    kassert!(!sw.is_empty(), "no switch of pid {pid}:\n{text}");
    let (a, b) = (format!("prev_pid={pid} "), format!("next_pid={pid} "));
    kassert!(
        sw.iter().all(|l| l.contains(&a) || l.contains(&b)),
        "switches of unlisted tasks:\n{text}"
    );
    refused("set_event_pid", "abc")?;
    Ok(())
}

fn options_change_the_trace_text() -> TestResult {
    write("trace", "")?;
    write("trace_marker", "opt line")?;
    let with = read("trace")?;
    write("trace_options", "noirq-info")?;
    let opt = read("options/irq-info")?;
    let without = read("trace")?;
    write("options/irq-info", "1")?;
    write("options/record-tgid", "1")?;
    let tgid = read("trace")?;
    write("trace_options", "norecord-tgid")?;
    let all = read("trace_options")?;
    kassert_eq!(opt.as_str(), "0\n");
    kassert!(with.contains("||||"), "{with}");
    kassert!(
        !without.contains("||||") && without.contains("opt line"),
        "{without}"
    );
    let l = lines(&without).into_iter().find(|l| l.contains("opt line"));
    kassert!(
        l.is_some_and(|l| l.contains("]      ") || l.contains("]   ")),
        "irq columns still there: {l:?}"
    );
    kassert!(tgid.contains("TGID") && tgid.contains(") ["), "{tgid}");
    kassert!(
        all.contains("\nirq-info\n") && all.contains("\nnorecord-tgid\n"),
        "{all}"
    );
    refused("trace_options", "nosuch")?;
    write("options/markers", "0")?;
    let r = try_write("trace_marker", "no markers");
    write("options/markers", "1")?;
    kassert!(r == Err(crate::errno::EINVAL), "nomarkers: {r:?}");
    refused("options/irq-info", "2")?;
    Ok(())
}

fn clock_cmdlines_and_the_debugfs_path() -> TestResult {
    kassert_eq!(
        read("trace_clock")?.as_str(),
        "[local] global counter uptime perf mono mono_raw boot\n"
    );
    write("trace_clock", "counter")?;
    let c = read("/sys/kernel/debug/tracing/trace_clock")?;
    write("trace_marker", "clock line")?;
    let text = read("trace")?;
    write("/sys/kernel/debug/tracing/trace_clock", "local")?;
    kassert_eq!(
        c.as_str(),
        "local global [counter] uptime perf mono mono_raw boot\n"
    );
    let l = lines(&text).into_iter().find(|l| l.contains("clock line"));
    kassert!(
        l.and_then(|l| l.split(": tracing_mark_write").next())
            .and_then(|ctx| ctx.split_whitespace().last())
            .is_some_and(|ts| !ts.is_empty() && ts.bytes().all(|b| b.is_ascii_digit())),
        "counter clock printed seconds: {l:?}"
    );
    refused("trace_clock", "nosuch")?;
    // debugfs shows the same files.
    kassert_eq!(
        read("/sys/kernel/debug/tracing/trace_options")?,
        read("trace_options")?
    );
    write("trace_marker", "cmdline probe")?;
    let me = crate::task::current();
    let cmd = read("saved_cmdlines")?;
    kassert!(
        cmd.lines()
            .any(|l| l == format!("{} {}", me.pid(), me.comm())),
        "saved_cmdlines lacks pid {}:\n{cmd}",
        me.pid()
    );
    kassert_eq!(read("saved_cmdlines_size")?.as_str(), "128\n");
    refused("saved_cmdlines_size", "0")?;
    kassert_eq!(read("printk_formats")?.as_str(), "");
    let readme = read("README")?;
    kassert!(
        readme.starts_with("tracing mini-HOWTO:"),
        "README:\n{readme}"
    );
    Ok(())
}

/// The tracefs suite.
pub const SUITE: Suite = Suite {
    name: "tracefs",
    cases: &[
        TestCase {
            name: "filter_keeps_only_matching_events",
            run: filter_keeps_only_matching_events,
        },
        TestCase {
            name: "bad_filter_is_refused_and_the_old_one_kept",
            run: bad_filter_is_refused_and_the_old_one_kept,
        },
        TestCase {
            name: "traceoff_trigger_stops_recording",
            run: traceoff_trigger_stops_recording,
        },
        TestCase {
            name: "stacktrace_trigger_adds_a_stack_entry",
            run: stacktrace_trigger_adds_a_stack_entry,
        },
        TestCase {
            name: "snapshot_holds_the_swapped_buffer",
            run: snapshot_holds_the_swapped_buffer,
        },
        TestCase {
            name: "per_cpu_trace_and_cpumask_select_cpus",
            run: per_cpu_trace_and_cpumask_select_cpus,
        },
        TestCase {
            name: "nooverwrite_keeps_the_oldest_and_counts_drops",
            run: nooverwrite_keeps_the_oldest_and_counts_drops,
        },
        TestCase {
            name: "set_event_pid_limits_events_to_listed_tasks",
            run: set_event_pid_limits_events_to_listed_tasks,
        },
        TestCase {
            name: "options_change_the_trace_text",
            run: options_change_the_trace_text,
        },
        TestCase {
            name: "clock_cmdlines_and_the_debugfs_path",
            run: clock_cmdlines_and_the_debugfs_path,
        },
    ],
    manual: false,
};
