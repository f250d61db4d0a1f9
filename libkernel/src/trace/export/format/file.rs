//! The whole `trace` file: the header, then every line, checked against
//! the rules across lines (time order, the header's entry count, CPUs
//! below `#P`, who runs where and who records which event).

use alloc::{
    format,
    string::{String, ToString},
    vec::Vec,
};

use alloc::collections::BTreeMap;

use super::event::{Event, ProcessKind};
use super::line::{
    parse_counts, parse_lost, Body, Entry, Header, Location, Lost, Record, Timestamp, LEGEND,
};
use super::Error;

/// Number of header lines: tracer, `#`, counts, `#`, legend.
const HEADER_LINES: usize = 4 + LEGEND.len();

/// A parsed trace file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    pub header: Header,
    pub records: Vec<Record>,
}

impl Trace {
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.records.iter().filter_map(|record| match record {
            Record::Entry(entry) => Some(entry),
            Record::Lost(_) => None,
        })
    }

    /// The trace file's text: header, then every record.
    pub fn render(&self) -> String {
        let mut out = self.header.to_string();
        for record in &self.records {
            match record {
                Record::Entry(entry) => out.push_str(&entry.to_string()),
                Record::Lost(lost) => {
                    out.push_str(&format!("CPU:{} [LOST {} EVENTS]", lost.cpu, lost.count))
                }
            }
            out.push('\n');
        }
        out
    }
}

/// Parses and checks a whole trace; any problem fails it.
pub fn parse_trace(text: &str) -> Result<Trace, Vec<Error>> {
    match parse_trace_lenient(text) {
        (trace, errors) if errors.is_empty() => Ok(trace),
        (_, errors) => Err(errors),
    }
}

/// Who runs on a CPU, as far as the trace has shown.
struct CpuState {
    /// `next_pid` of the last `sched_switch`, or the pid of the first entry.
    current: u32,
    /// The task switched out by that `sched_switch`: it may still record
    /// entries (the switch itself runs on) until `current` shows up.
    leaving: Option<u32>,
    /// The line that made `current` current.
    since_line: usize,
}

/// Parses as much as it can: malformed lines are left out of the trace and
/// reported; lines that parse but break a rule of the whole file (order,
/// counts, consistency) are kept and reported.
pub fn parse_trace_lenient(text: &str) -> (Trace, Vec<Error>) {
    let mut lines: Vec<&str> = text.split('\n').collect();
    if text.ends_with('\n') {
        lines.pop();
    }
    let mut errors = Vec::new();
    let mut err = |line: usize, message: String| errors.push(Error { line, message });
    if text.is_empty() {
        err(0, "the trace is empty".to_string());
        return (Trace::default(), errors);
    }

    let mut header = Header::default();
    let mut counts_line = None;
    let mut index = 0;
    while index < HEADER_LINES {
        let Some(&line) = lines.get(index) else {
            err(index + 1, "the trace ends inside the header".to_string());
            break;
        };
        if !line.starts_with('#') {
            err(
                index + 1,
                format!(
                    "the header ends early: expected `{}`",
                    expected_header_line(index)
                ),
            );
            break;
        }
        let number = index + 1;
        match index {
            0 => match line.strip_prefix("# tracer: ") {
                Some(name) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                    header.tracer = name.to_string()
                }
                _ => err(number, "expected `# tracer: <name>`".to_string()),
            },
            2 => match parse_counts(line) {
                Some((held, written, cpus)) => {
                    header.entries_in_buffer = held;
                    header.entries_written = written;
                    header.cpus = cpus;
                    counts_line = Some(number);
                    if held > written {
                        err(
                            number,
                            format!(
                                "entries-in-buffer {held} is more than entries-written {written}"
                            ),
                        );
                    }
                    if cpus == 0 {
                        err(number, "`#P:0`: a system has at least one CPU".to_string());
                    }
                }
                None => err(
                    number,
                    "expected `# entries-in-buffer/entries-written: %lu/%lu   #P:%d`".to_string(),
                ),
            },
            _ => {
                let expected = expected_header_line(index);
                if line != expected {
                    err(number, format!("expected the header line `{expected}`"));
                }
            }
        }
        index += 1;
    }

    let mut records: Vec<Record> = Vec::new();
    // Index in `records` of a stack trace still taking frames.
    let mut open_stack: Option<usize> = None;
    let mut last_ts: Option<(Timestamp, usize)> = None;
    let mut cpus: BTreeMap<u32, CpuState> = BTreeMap::new();
    let mut entry_lines = 0u64;
    let cpu_limit = header.cpus;
    let cpu_ok = |cpu: u32| cpu_limit == 0 || cpu < cpu_limit;

    for (i, &line) in lines.iter().enumerate().skip(index) {
        let number = i + 1;
        if line.contains('\r') {
            err(
                number,
                "carriage return in the line (CRLF line ends?)".to_string(),
            );
            open_stack = None;
            continue;
        }
        if let Some(frame) = line.strip_prefix(" => ") {
            match (open_stack, Location::parse(frame)) {
                (Some(at), Ok(location)) => {
                    if let Record::Entry(Entry {
                        body: Body::StackTrace(frames),
                        ..
                    }) = &mut records[at]
                    {
                        frames.push(location);
                    }
                }
                (None, _) => err(
                    number,
                    "a ` => ` frame line must follow a `<stack trace>` entry or another frame"
                        .to_string(),
                ),
                (_, Err(why)) => err(number, format!("stack frame: {why}")),
            }
            continue;
        }
        open_stack = None;
        if line.is_empty() {
            err(number, "empty line".to_string());
            continue;
        }
        if line.starts_with('#') {
            err(number, "`#` lines belong only in the header".to_string());
            continue;
        }
        if line.starts_with("CPU:") {
            match parse_lost(line) {
                Some((cpu, count)) => {
                    if !cpu_ok(cpu) {
                        err(number, format!("CPU {cpu} is not below #P:{cpu_limit}"));
                    }
                    // Lost events hide switches: who runs is unknown again.
                    cpus.remove(&cpu);
                    records.push(Record::Lost(Lost {
                        line: number,
                        cpu,
                        count,
                    }));
                }
                None => err(number, "expected `CPU:%d [LOST %lu EVENTS]`".to_string()),
            }
            continue;
        }
        entry_lines += 1;
        let entry = match Entry::parse(line, number) {
            Ok(entry) => entry,
            Err(why) => {
                err(number, why);
                // The bad line may have been a switch: forget who runs on
                // its CPU (on every CPU if even that is unreadable) rather
                // than report every following line of that CPU.
                match guess_cpu(line) {
                    Some(cpu) => {
                        cpus.remove(&cpu);
                    }
                    None => cpus.clear(),
                }
                continue;
            }
        };

        if !cpu_ok(entry.cpu) {
            err(
                number,
                format!("CPU {} is not below #P:{cpu_limit}", entry.cpu),
            );
        }
        if let Some((prev, prev_line)) = last_ts {
            if entry.ts < prev {
                err(
                    number,
                    format!(
                        "timestamp {} goes back before {} on line {prev_line}; entries are merged in time order",
                        entry.ts.plain(),
                        prev.plain()
                    ),
                );
            }
        }
        if last_ts.is_none_or(|(prev, _)| entry.ts >= prev) {
            last_ts = Some((entry.ts, number));
        }
        if let Err(why) = check_consistency(&entry, &mut cpus, &cpu_ok) {
            err(number, why);
        }
        if matches!(entry.body, Body::StackTrace(_)) {
            open_stack = Some(records.len());
        }
        records.push(Record::Entry(entry));
    }

    if let Some(number) = counts_line {
        if entry_lines != header.entries_in_buffer {
            err(
                number,
                format!(
                    "the header says {} entries are in the buffer, but the trace has {entry_lines}",
                    header.entries_in_buffer
                ),
            );
        }
    }
    errors.sort_by_key(|e| e.line);
    (Trace { header, records }, errors)
}

/// The CPU of a malformed entry line, if a `[NNN]` column can be found.
fn guess_cpu(line: &str) -> Option<u32> {
    let start = line.find(" [")? + 2;
    let end = start + line[start..].find(']')?;
    let digits = &line[start..end];
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

fn expected_header_line(index: usize) -> &'static str {
    match index {
        0 => "# tracer: <name>",
        1 | 3 => "#",
        2 => "# entries-in-buffer/entries-written: %lu/%lu   #P:%d",
        _ => LEGEND[index - 4],
    }
}

/// The rules tying an entry to the others: who runs on its CPU, who records
/// which event, CPU fields below `#P`.
fn check_consistency(
    entry: &Entry,
    cpus: &mut BTreeMap<u32, CpuState>,
    cpu_ok: &dyn Fn(u32) -> bool,
) -> Result<(), String> {
    let state = cpus.entry(entry.cpu).or_insert(CpuState {
        current: entry.pid,
        leaving: None,
        since_line: entry.line,
    });
    if let Some(Event::Switch(switch)) = entry.event() {
        let problem = if switch.prev_pid != entry.pid {
            Some(format!(
                "sched_switch is recorded by the task switching out, but prev_pid={} and the line's pid is {}",
                switch.prev_pid, entry.pid
            ))
        } else if state.current != entry.pid {
            Some(format!(
                "pid {} switches out of CPU {}, but pid {} runs there since line {}",
                entry.pid, entry.cpu, state.current, state.since_line
            ))
        } else {
            None
        };
        // Follow the switch even when it is inconsistent, so one bad line
        // gives one error rather than one per line until the next switch.
        state.current = switch.next_pid;
        state.leaving = Some(switch.prev_pid).filter(|&p| p != switch.next_pid);
        state.since_line = entry.line;
        if let Some(problem) = problem {
            return Err(problem);
        }
    } else if entry.pid == state.current {
        state.leaving = None;
    } else if state.leaving != Some(entry.pid) {
        return Err(format!(
            "pid {} records on CPU {}, but pid {} runs there since line {}",
            entry.pid, entry.cpu, state.current, state.since_line
        ));
    }
    match entry.event() {
        Some(Event::Fork(fork)) if fork.pid != entry.pid => Err(format!(
            "sched_process_fork is recorded by the parent, but pid={} and the line's pid is {}",
            fork.pid, entry.pid
        )),
        Some(Event::Process(p)) if p.kind == ProcessKind::Exit && p.pid != entry.pid => {
            Err(format!(
                "sched_process_exit is recorded by the exiting task, but pid={} and the line's pid is {}",
                p.pid, entry.pid
            ))
        }
        Some(Event::Wakeup(w)) if !cpu_ok(w.target_cpu) => Err(format!(
            "target_cpu={:03} is not below #P",
            w.target_cpu
        )),
        Some(Event::Migrate(m)) if !cpu_ok(m.orig_cpu) || !cpu_ok(m.dest_cpu) => Err(format!(
            "orig_cpu={} dest_cpu={}: CPUs must be below #P",
            m.orig_cpu, m.dest_cpu
        )),
        _ => Ok(()),
    }
}
