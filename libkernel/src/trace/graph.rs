//! The function_graph tracer's output (Linux's
//! `kernel/trace/trace_functions_graph.c`): entry and return records
//! become the call graph, a function per line, indented by depth, with
//! `{`/`}` around calls that call others and the duration of each call:
//!
//! ```text
//! # CPU  DURATION                  FUNCTION CALLS
//! # |     |   |                     |   |   |   |
//!  1)               |  do_exit() {
//!  1)   0.918 us    |    exit_signals();
//!  1) + 11.250 us   |  }
//! ```
//!
//! A call whose return is the next record of its CPU is a leaf, printed on
//! one line (`func();`). Other events appear as `/* ... */` comments at the
//! current depth, and a change of task on a CPU as Linux's
//! `------` block.

use super::{format_item, format_sym, id, Item, Kallsyms, PayloadReader, Record};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write;

/// The `funcgraph-*` options, as bits.
pub mod opt {
    /// `funcgraph-proc`: a `comm-pid` column.
    pub const PROC: u32 = 1 << 0;
    /// `funcgraph-abstime`: a timestamp column.
    pub const ABSTIME: u32 = 1 << 1;
    /// `funcgraph-irqs`: trace functions called in hard-IRQ context.
    pub const IRQS: u32 = 1 << 2;
    /// `funcgraph-tail`: `} /* func */` on returns.
    pub const TAIL: u32 = 1 << 3;
    /// `funcgraph-cpu`: the CPU column.
    pub const CPU: u32 = 1 << 4;
    /// `funcgraph-overhead`: the `+ ! # * @ $` marks of long calls.
    pub const OVERHEAD: u32 = 1 << 5;
    /// `funcgraph-duration`: the duration column.
    pub const DURATION: u32 = 1 << 6;
    /// `funcgraph-overrun`: calls lost to a full return stack.
    pub const OVERRUN: u32 = 1 << 7;
    /// Linux's defaults.
    pub const DEFAULT: u32 = IRQS | CPU | OVERHEAD | DURATION;
    /// The option files, `funcgraph-<name>`.
    pub const NAMES: [(&str, u32); 8] = [
        ("proc", PROC),
        ("abstime", ABSTIME),
        ("irqs", IRQS),
        ("tail", TAIL),
        ("cpu", CPU),
        ("overhead", OVERHEAD),
        ("duration", DURATION),
        ("overrun", OVERRUN),
    ];

    /// The bit of option `name` (without `funcgraph-`).
    pub fn by_name(name: &str) -> Option<u32> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }
}

/// Width of the `comm-pid` column (`TRACE_GRAPH_PROCINFO_LENGTH`).
const PROCINFO_LENGTH: usize = 14;
/// Spaces per depth level (`TRACE_GRAPH_INDENT`).
const INDENT: usize = 2;

/// The mark before a duration (`trace_find_mark`): `$` over 1 s, `@` over
/// 100 ms, `*` over 10 ms, `#` over 1 ms, `!` over 100 us, `+` over 10 us.
pub fn duration_mark(ns: u64) -> char {
    const MARKS: [(u64, char); 6] = [
        (1_000_000_000, '$'),
        (100_000_000, '@'),
        (10_000_000, '*'),
        (1_000_000, '#'),
        (100_000, '!'),
        (10_000, '+'),
    ];
    MARKS
        .iter()
        .find(|(limit, _)| ns > *limit)
        .map_or(' ', |(_, c)| *c)
}

/// `trace_print_graph_duration`: microseconds with up to three decimals,
/// ` us `, padded to the column.
pub fn format_duration(out: &mut String, ns: u64) {
    let usecs = alloc::format!("{}", ns / 1000);
    out.push_str(&usecs);
    let mut len = usecs.len();
    if len < 7 {
        let nsecs = alloc::format!("{:03}", ns % 1000);
        let keep = nsecs.len().min(7 - len);
        out.push('.');
        out.push_str(&nsecs[..keep]);
        len += keep + 1;
    }
    out.push_str(" us ");
    for _ in len..8 {
        out.push(' ');
    }
}

/// The graph header for the options `opts` (`print_graph_headers_flags`).
pub fn format_header(out: &mut String, opts: u32) {
    // (first line, second line) of each column, in Linux's order.
    let columns = [
        (opt::ABSTIME, "     TIME       ", "      |         "),
        (opt::CPU, " CPU", " |  "),
        (opt::PROC, "  TASK/PID       ", "   |    |        "),
        (opt::DURATION, "  DURATION   ", "   |   |      "),
    ];
    out.push_str("# tracer: function_graph\n#\n");
    for line in 0..2 {
        out.push('#');
        for (bit, l1, l2) in columns {
            if opts & bit != 0 {
                out.push_str(if line == 0 { l1 } else { l2 });
            }
        }
        out.push_str(if line == 0 {
            "               FUNCTION CALLS\n"
        } else {
            "               |   |   |   |\n"
        });
    }
}

fn comm_of(r: &Record) -> String {
    if r.pid == 0 {
        return String::from("<idle>");
    }
    let n = r.comm.iter().position(|&c| c == 0).unwrap_or(16);
    String::from_utf8_lossy(&r.comm[..n]).into_owned()
}

/// `print_graph_proc`: `comm-pid` (comm cut to 7), centred in 14 columns.
fn format_proc(out: &mut String, r: &Record) {
    let mut comm = comm_of(r);
    comm.truncate(7);
    let s = alloc::format!("{comm}-{}", r.pid);
    let spaces = PROCINFO_LENGTH.saturating_sub(s.len());
    for _ in 0..spaces / 2 {
        out.push(' ');
    }
    out.push_str(&s);
    for _ in 0..spaces - spaces / 2 {
        out.push(' ');
    }
}

/// The columns before the duration (`print_graph_prologue`).
fn format_prologue(out: &mut String, cpu: usize, r: &Record, opts: u32, ts: u64) {
    if opts & opt::ABSTIME != 0 {
        let _ = write!(
            out,
            "{:5}.{:06} |  ",
            ts / 1_000_000_000,
            (ts / 1000) % 1_000_000
        );
    }
    if opts & opt::CPU != 0 {
        let _ = write!(out, " {cpu}) ");
    }
    if opts & opt::PROC != 0 {
        format_proc(out, r);
        out.push_str(" | ");
    }
}

/// The duration column: with a duration, or blank.
fn format_duration_col(out: &mut String, ns: Option<u64>, opts: u32) {
    if opts & opt::DURATION == 0 {
        return;
    }
    match ns {
        Some(ns) => {
            if opts & opt::OVERHEAD != 0 {
                out.push(duration_mark(ns));
                out.push(' ');
            } else {
                out.push_str("  ");
            }
            format_duration(out, ns);
            out.push_str("|  ");
        }
        None => out.push_str("              |  "),
    }
}

fn indent(out: &mut String, depth: u64) {
    for _ in 0..depth as usize * INDENT {
        out.push(' ');
    }
}

/// A decoded graph record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Graph {
    Entry {
        func: u64,
        depth: u64,
    },
    Exit {
        func: u64,
        calltime: u64,
        depth: u64,
        overrun: u64,
    },
}

fn decode(r: &Record) -> Option<Graph> {
    let mut p = PayloadReader {
        b: &r.payload,
        pos: 0,
    };
    match r.id {
        id::FUNCGRAPH_ENTRY => Some(Graph::Entry {
            func: p.u64(),
            depth: p.u64(),
        }),
        id::FUNCGRAPH_EXIT => Some(Graph::Exit {
            func: p.u64(),
            calltime: p.u64(),
            depth: p.u64(),
            overrun: p.u64(),
        }),
        _ => None,
    }
}

/// Formats the merged trace as the function_graph tracer prints it.
pub fn format_trace(out: &mut String, items: &[Item], syms: Option<&Kallsyms>, opts: u32) {
    // For each entry, the index of the next item of the same CPU (a leaf
    // is an entry whose next record on its CPU is its own return).
    let mut next_same_cpu = vec![usize::MAX; items.len()];
    let mut last_of_cpu: Vec<Option<usize>> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if let Item::Entry(cpu, _) = it {
            if last_of_cpu.len() <= *cpu {
                last_of_cpu.resize(*cpu + 1, None);
            }
            if let Some(prev) = last_of_cpu[*cpu] {
                next_same_cpu[prev] = i;
            }
            last_of_cpu[*cpu] = Some(i);
        }
    }
    // Per CPU: the pid last seen and the current depth.
    let mut last_pid: Vec<Option<i32>> = Vec::new();
    let mut depth_of: Vec<u64> = Vec::new();
    let mut skip = vec![false; items.len()];
    for (i, it) in items.iter().enumerate() {
        if skip[i] {
            continue;
        }
        let (cpu, r) = match it {
            Item::Lost(cpu, n) => {
                let _ = writeln!(out, "CPU:{cpu} [LOST {n} EVENTS]");
                continue;
            }
            Item::Entry(cpu, r) => (*cpu, r),
        };
        if last_pid.len() <= cpu {
            last_pid.resize(cpu + 1, None);
            depth_of.resize(cpu + 1, 0);
        }
        if let Some(prev) = last_pid[cpu] {
            if prev != r.pid {
                context_switch(out, cpu, prev, items, i, opts);
            }
        }
        last_pid[cpu] = Some(r.pid);
        match decode(r) {
            Some(Graph::Entry { func, depth }) => {
                let next = next_same_cpu[i];
                let leaf = items.get(next).and_then(|n| match n {
                    Item::Entry(_, nr) if nr.pid == r.pid => match decode(nr) {
                        Some(Graph::Exit {
                            func: f, calltime, ..
                        }) if f == func => Some(nr.ts.saturating_sub(calltime)),
                        _ => None,
                    },
                    _ => None,
                });
                format_prologue(out, cpu, r, opts, r.ts);
                format_duration_col(out, leaf, opts);
                indent(out, depth);
                format_sym(out, syms, func, false);
                if leaf.is_some() {
                    out.push_str("();\n");
                    skip[next] = true;
                    depth_of[cpu] = depth;
                } else {
                    out.push_str("() {\n");
                    depth_of[cpu] = depth + 1;
                }
            }
            Some(Graph::Exit {
                func,
                calltime,
                depth,
                overrun,
            }) => {
                format_prologue(out, cpu, r, opts, r.ts);
                format_duration_col(out, Some(r.ts.saturating_sub(calltime)), opts);
                indent(out, depth);
                out.push('}');
                if opts & opt::TAIL != 0 {
                    out.push_str(" /* ");
                    format_sym(out, syms, func, false);
                    out.push_str(" */");
                }
                if opts & opt::OVERRUN != 0 {
                    let _ = write!(out, " (Overruns: {overrun})");
                }
                out.push('\n');
                depth_of[cpu] = depth;
            }
            None => {
                // Any other event: a comment at the current depth.
                format_prologue(out, cpu, r, opts, r.ts);
                format_duration_col(out, None, opts);
                indent(out, depth_of[cpu]);
                let mut line = String::new();
                format_item(&mut line, it, syms, true);
                let text = line
                    .split_once(": ")
                    .map_or(line.as_str(), |(_, rest)| rest)
                    .trim_end();
                let _ = writeln!(out, "/* {text} */");
            }
        }
    }
}

/// The block Linux prints when a CPU's task changes (`print_graph_verif`'s
/// `------` lines, with `prev => next`).
fn context_switch(out: &mut String, cpu: usize, prev: i32, items: &[Item], i: usize, opts: u32) {
    let Item::Entry(_, r) = &items[i] else { return };
    // The previous task's comm: the last earlier record of its pid.
    let prev_rec = items[..i].iter().rev().find_map(|it| match it {
        Item::Entry(_, pr) if pr.pid == prev => Some(*pr),
        _ => None,
    });
    out.push_str(" ------------------------------------------\n");
    if opts & opt::CPU != 0 {
        let _ = write!(out, " {cpu}) ");
    }
    match prev_rec {
        Some(pr) => format_proc(out, &pr),
        None => format_proc(
            out,
            &Record {
                pid: prev,
                ..Record::default()
            },
        ),
    }
    out.push_str(" => ");
    format_proc(out, r);
    out.push_str("\n ------------------------------------------\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::PayloadWriter;

    fn rec(id: u16, ts: u64, pid: i32, words: &[u64]) -> Record {
        let mut w = PayloadWriter::default();
        for x in words {
            w = w.u64(*x);
        }
        let mut comm = [0u8; 16];
        comm[..4].copy_from_slice(b"test");
        Record {
            ts,
            pid,
            id,
            comm,
            payload: w.finish(),
            ..Record::default()
        }
    }

    fn syms() -> Vec<u8> {
        let mut s = vec![
            (0x1000, 0x100, String::from("do_exit")),
            (0x2000, 0x40, String::from("exit_signals")),
            (0x3000, 0x80, String::from("exit_notify")),
        ];
        crate::trace::build_kallsyms(&mut s)
    }

    #[test]
    fn durations_print_as_linux() {
        let mut s = String::new();
        format_duration(&mut s, 459);
        assert_eq!(s, "0.459 us    ");
        s.clear();
        format_duration(&mut s, 12_123);
        assert_eq!(s, "12.123 us   ");
        s.clear();
        format_duration(&mut s, 1_234_567_000);
        assert_eq!(s, "1234567 us  ");
        assert_eq!(duration_mark(9_999), ' ');
        assert_eq!(duration_mark(10_001), '+');
        assert_eq!(duration_mark(100_001), '!');
        assert_eq!(duration_mark(1_000_001), '#');
        assert_eq!(duration_mark(10_000_001), '*');
        assert_eq!(duration_mark(100_000_001), '@');
        assert_eq!(duration_mark(1_000_000_001), '$');
    }

    #[test]
    fn nested_and_leaf_calls() {
        let blob = syms();
        let k = Kallsyms::new(&blob).unwrap();
        let items = vec![
            Item::Entry(1, rec(id::FUNCGRAPH_ENTRY, 1_000, 5, &[0x1000, 0])),
            Item::Entry(1, rec(id::FUNCGRAPH_ENTRY, 1_100, 5, &[0x2000, 1])),
            Item::Entry(1, rec(id::FUNCGRAPH_EXIT, 1_559, 5, &[0x2000, 1_100, 1, 0])),
            Item::Entry(1, rec(id::FUNCGRAPH_ENTRY, 2_000, 5, &[0x3000, 1])),
            Item::Entry(0, rec(id::FUNCGRAPH_ENTRY, 2_100, 7, &[0x2000, 0])),
            Item::Entry(1, rec(id::FUNCGRAPH_EXIT, 2_500, 5, &[0x3000, 2_000, 1, 0])),
            Item::Entry(0, rec(id::FUNCGRAPH_EXIT, 2_600, 7, &[0x2000, 2_100, 0, 0])),
            Item::Entry(
                1,
                rec(id::FUNCGRAPH_EXIT, 13_123, 5, &[0x1000, 1_000, 0, 0]),
            ),
        ];
        let mut out = String::new();
        format_trace(&mut out, &items, Some(&k), opt::DEFAULT);
        assert_eq!(
            out,
            concat!(
                " 1)               |  do_exit() {\n",
                " 1)   0.459 us    |    exit_signals();\n",
                " 1)   0.500 us    |    exit_notify();\n",
                " 0)   0.500 us    |  exit_signals();\n",
                " 1) + 12.123 us   |  }\n",
            )
        );
    }

    #[test]
    fn tail_proc_and_context_switch() {
        let blob = syms();
        let k = Kallsyms::new(&blob).unwrap();
        let items = vec![
            Item::Entry(2, rec(id::FUNCGRAPH_ENTRY, 1_000, 5, &[0x1000, 0])),
            Item::Entry(2, rec(id::FUNCGRAPH_ENTRY, 1_500, 0, &[0x2000, 0])),
            Item::Entry(2, rec(id::FUNCGRAPH_EXIT, 1_600, 0, &[0x2000, 1_500, 0, 0])),
        ];
        let mut out = String::new();
        format_trace(
            &mut out,
            &items,
            Some(&k),
            opt::DEFAULT | opt::TAIL | opt::PROC,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            " 2)     test-5     |               |  do_exit() {"
        );
        assert_eq!(lines[1], " ------------------------------------------");
        assert_eq!(lines[2], " 2)     test-5     =>    <idle>-0   ");
        assert_eq!(
            lines[5],
            " 2)    <idle>-0    |   0.100 us    |  exit_signals();"
        );
        let mut h = String::new();
        format_header(&mut h, opt::DEFAULT);
        assert!(
            h.contains("# CPU  DURATION                  FUNCTION CALLS\n"),
            "{h}"
        );
        assert!(
            h.contains("# |     |   |                     |   |   |   |\n"),
            "{h}"
        );
    }
}
