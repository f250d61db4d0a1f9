//! Writing `trace.dat` in trace-cmd's file format, version 6 (trace-cmd's
//! Documentation/trace-cmd/trace-cmd.dat.v6.5.txt), which `trace-cmd
//! report` and KernelShark read.
//!
//! The content comes from the machine: the tracefs files the user program
//! `tracedump` sent over the console (`libkernel::trace_dump`: every
//! CPU's `trace_pipe_raw` pages, `events/header_page`, `header_event` and
//! the `format` files), and the kernel image's symbol table (kallsyms).
//! The pages go into the file as they came, page-aligned per CPU.

use libkernel::trace::ring_buffer_page::{parse_page, PageEvent, PAGE_SIZE};
use libkernel::trace::Kallsyms;

use super::expect::Outcome;
use super::Trace;

/// The file's first bytes: `\x17\x08\x44tracing`.
pub const MAGIC: &[u8; 10] = b"\x17\x08\x44tracing";

/// What goes into a trace.dat: the dumped files, symbols, pids' names.
pub struct Input<'a> {
    /// The tracefs files, by path under `/sys/kernel/tracing`.
    pub files: &'a [(String, Vec<u8>)],
    /// `/proc/kallsyms` text (`addr type name` lines).
    pub kallsyms: String,
    /// `saved_cmdlines` text (`pid comm` lines).
    pub cmdlines: String,
}

fn file<'a>(files: &'a [(String, Vec<u8>)], path: &str) -> Option<&'a [u8]> {
    files.iter().find(|(p, _)| p == path).map(|(_, d)| &d[..])
}

/// The symbol table in `/proc/kallsyms` form.
pub fn kallsyms_text(syms: &Kallsyms) -> String {
    syms.iter()
        .map(|(addr, _, name)| format!("{addr:016x} T {name}\n"))
        .collect()
}

/// `(cpu, page data)` of every `per_cpu/cpuN/trace_pipe_raw`, by CPU.
pub fn cpu_data(files: &[(String, Vec<u8>)]) -> Vec<(usize, &[u8])> {
    let mut v: Vec<(usize, &[u8])> = files
        .iter()
        .filter_map(|(p, d)| {
            let cpu = p
                .strip_prefix("per_cpu/cpu")?
                .strip_suffix("/trace_pipe_raw")?;
            Some((cpu.parse().ok()?, &d[..]))
        })
        .collect();
    v.sort_by_key(|(c, _)| *c);
    v
}

/// Every event in a CPU's pages, in order; fails on a malformed page.
pub fn events(data: &[u8]) -> Result<Vec<PageEvent>, String> {
    let mut out = Vec::new();
    for (i, page) in data.chunks(PAGE_SIZE).enumerate() {
        let (evs, _) = parse_page(page).ok_or_else(|| format!("page {i} is malformed"))?;
        out.extend(evs);
    }
    Ok(out)
}

/// `saved_cmdlines` text (`pid comm` lines) from the names a text trace
/// shows: for a kernel that has no `saved_cmdlines` file.
pub fn cmdlines_of(trace: &Trace) -> String {
    let mut seen = std::collections::BTreeMap::new();
    for e in trace.entries() {
        if e.pid != 0 && !e.comm.starts_with('<') {
            seen.insert(e.pid, e.comm.clone());
        }
    }
    seen.iter().map(|(p, c)| format!("{p} {c}\n")).collect()
}

/// The whole trace.dat.
pub fn write(input: &Input) -> Result<Vec<u8>, String> {
    let files = input.files;
    let need = |p: &str| file(files, p).ok_or_else(|| format!("the dump has no {p}"));
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(b"6\0");
    out.push(0); // little endian
    out.push(8); // sizeof(long)
    out.extend_from_slice(&(PAGE_SIZE as u32).to_le_bytes());

    for name in ["header_page", "header_event"] {
        let d = need(&format!("events/{name}"))?;
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.extend_from_slice(&(d.len() as u64).to_le_bytes());
        out.extend_from_slice(d);
    }

    // events/<system>/<event>/format, ftrace's apart, systems in order.
    let mut systems: Vec<(&str, Vec<&[u8]>)> = Vec::new();
    for (path, d) in files {
        let Some(rest) = path.strip_prefix("events/") else {
            continue;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() != 3 || parts[2] != "format" {
            continue;
        }
        match systems.iter_mut().find(|(s, _)| *s == parts[0]) {
            Some((_, v)) => v.push(d),
            None => systems.push((parts[0], vec![d])),
        }
    }
    let ftrace = systems
        .iter()
        .position(|(s, _)| *s == "ftrace")
        .map(|i| systems.remove(i).1)
        .unwrap_or_default();
    out.extend_from_slice(&(ftrace.len() as u32).to_le_bytes());
    for d in &ftrace {
        out.extend_from_slice(&(d.len() as u64).to_le_bytes());
        out.extend_from_slice(d);
    }
    out.extend_from_slice(&(systems.len() as u32).to_le_bytes());
    for (sys, formats) in &systems {
        out.extend_from_slice(sys.as_bytes());
        out.push(0);
        out.extend_from_slice(&(formats.len() as u32).to_le_bytes());
        for d in formats {
            out.extend_from_slice(&(d.len() as u64).to_le_bytes());
            out.extend_from_slice(d);
        }
    }

    out.extend_from_slice(&(input.kallsyms.len() as u32).to_le_bytes());
    out.extend_from_slice(input.kallsyms.as_bytes());
    let printk = file(files, "printk_formats").unwrap_or(&[]);
    out.extend_from_slice(&(printk.len() as u32).to_le_bytes());
    out.extend_from_slice(printk);
    out.extend_from_slice(&(input.cmdlines.len() as u64).to_le_bytes());
    out.extend_from_slice(input.cmdlines.as_bytes());

    let cpus = cpu_data(files);
    let ncpus = cpus.last().map_or(0, |(c, _)| c + 1);
    if ncpus == 0 {
        return Err("the dump has no per_cpu/cpuN/trace_pipe_raw".into());
    }
    out.extend_from_slice(&(ncpus as u32).to_le_bytes());
    out.extend_from_slice(b"flyrecord\0");
    // Each CPU's data starts on a page of the file; the offsets table
    // comes first, so lay the data out after it.
    let table_at = out.len();
    out.resize(table_at + 16 * ncpus, 0);
    for cpu in 0..ncpus {
        let data = cpus
            .iter()
            .find(|(c, _)| *c == cpu)
            .map_or(&[][..], |(_, d)| *d);
        if !data.len().is_multiple_of(PAGE_SIZE) {
            return Err(format!("cpu{cpu}: {} bytes is not whole pages", data.len()));
        }
        events(data).map_err(|e| format!("cpu{cpu}: {e}"))?;
        out.resize(out.len().next_multiple_of(PAGE_SIZE), 0);
        let off = out.len() as u64;
        out.extend_from_slice(data);
        let t = table_at + 16 * cpu;
        out[t..t + 8].copy_from_slice(&off.to_le_bytes());
        out[t + 8..t + 16].copy_from_slice(&(data.len() as u64).to_le_bytes());
    }
    Ok(out)
}

/// The report-check outcome when there is no trace to compare with.
pub fn report_failed(why: &str) -> Vec<Outcome> {
    vec![Outcome {
        name: "trace_cmd_report_matches_trace",
        step: 'r',
        passed: false,
        looked_for: "a trace in the input".into(),
        found: vec![why.to_string()],
    }]
}

/// One entry as both texts show it: what `report-check` compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    /// Time in microseconds.
    pub us: u64,
    pub cpu: u32,
    pub pid: u32,
    /// Linux's event name (`function`, `kernel_stack`, `print` for the
    /// tracer's own entries).
    pub event: String,
    /// The fields as printed; function names only for function entries
    /// and stack frames (trace-cmd prints no offsets).
    pub body: String,
}

/// `comm-pid [cpu] rest`: (pid, cpu, rest).
fn split_ctx(line: &str) -> Option<(u32, u32, &str)> {
    let (left, right) = line.split_once("] ")?;
    let (task, cpu) = left.rsplit_once(" [")?;
    let pid = task.trim().rsplit_once('-')?.1.parse().ok()?;
    Some((pid, cpu.parse().ok()?, right))
}

/// `secs.usecs` as microseconds.
fn parse_us(t: &str) -> Option<u64> {
    let (s, u) = t.trim().split_once('.')?;
    (u.len() == 6).then_some(())?;
    Some(s.parse::<u64>().ok()? * 1_000_000 + u.parse::<u64>().ok()?)
}

/// `name+0x1/0x2` -> `name`.
fn sym_name(s: &str) -> &str {
    s.trim().split('+').next().unwrap_or("")
}

/// The entries of a kernel `trace` file (header lines skipped).
pub fn shown_in_trace(text: &str) -> Vec<Shown> {
    let mut out: Vec<Shown> = Vec::new();
    for line in text.lines() {
        if let Some(frame) = line.strip_prefix(" => ") {
            if let Some(last) = out.last_mut() {
                last.body.push_str(sym_name(frame));
                last.body.push('\n');
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let Some((pid, cpu, rest)) = split_ctx(line) else {
            continue;
        };
        // `flags secs.usecs: body`
        let Some((stamp, body)) = rest.split_once(": ") else {
            continue;
        };
        let Some(us) = stamp.split_whitespace().last().and_then(parse_us) else {
            continue;
        };
        let (event, body) = if body == "<stack trace>" {
            ("kernel_stack".to_string(), String::new())
        } else if let Some((f, parent)) = body.split_once(" <-") {
            (
                "function".to_string(),
                format!("{} <-- {}", sym_name(f), sym_name(parent)),
            )
        } else {
            let (ev, fields) = body.split_once(": ").unwrap_or((body, ""));
            match ev {
                "tracing_mark_write" => ("print".to_string(), fields.to_string()),
                _ => (ev.to_string(), fields.to_string()),
            }
        };
        out.push(Shown {
            us,
            cpu,
            pid,
            event,
            body,
        });
    }
    out
}

/// The entries of `trace-cmd report -N` output (without plugins, so each
/// event prints through the `print fmt` of its format file).
pub fn shown_in_report(report: &str) -> Vec<Shown> {
    let mut out: Vec<Shown> = Vec::new();
    // Without the stack plugin every `caller[]` slot prints; the stack
    // ends at Linux's ULONG_MAX terminator.
    let mut stack_ended = false;
    for line in report.lines() {
        if let Some(frame) = line.trim_start().strip_prefix("=> ") {
            stack_ended |= frame.trim() == "0xffffffffffffffff";
            if let (Some(last), false) = (out.last_mut(), stack_ended) {
                last.body.push_str(sym_name(frame));
                last.body.push('\n');
            }
            continue;
        }
        stack_ended = false;
        let Some((pid, cpu, rest)) = split_ctx(line) else {
            continue;
        };
        let Some((stamp, rest)) = rest.split_once(": ") else {
            continue;
        };
        let Some(us) = parse_us(stamp) else { continue };
        let (event, body) = rest.split_once(':').unwrap_or((rest, ""));
        let body = body.trim();
        let body = match event {
            // `%ps: %s` of an unknown ip.
            "print" => body.split_once(": ").map_or(body, |b| b.1),
            "kernel_stack" => {
                let frame = body.trim_start_matches("=> ");
                stack_ended = frame == "0xffffffffffffffff";
                out.push(Shown {
                    us,
                    cpu,
                    pid,
                    event: event.to_string(),
                    body: if frame.is_empty() || stack_ended {
                        String::new()
                    } else {
                        format!("{}\n", sym_name(frame))
                    },
                });
                continue;
            }
            _ => body,
        };
        out.push(Shown {
            us,
            cpu,
            pid,
            event: event.to_string(),
            body: body.to_string(),
        });
    }
    out
}

/// Compares `trace-cmd report -N` output with the kernel's text trace:
/// the same entries, in the same order, each with the same time to the
/// microsecond, CPU, pid, event and fields.
pub fn check_report(trace_text: &str, report: &str) -> Vec<Outcome> {
    let want = shown_in_trace(trace_text);
    let got = shown_in_report(report);
    // Entries at the same microsecond on different CPUs may come in either
    // order; compare both sorted by (time, CPU), each CPU in its order.
    let sorted = |v: &[Shown]| {
        let mut v = v.to_vec();
        v.sort_by_key(|s| (s.us, s.cpu));
        v
    };
    let (want, got) = (sorted(&want), sorted(&got));
    let describe = |s: &Shown| {
        format!(
            "{}.{:06} [{:03}] pid {} {}: {}",
            s.us / 1_000_000,
            s.us % 1_000_000,
            s.cpu,
            s.pid,
            s.event,
            s.body.replace('\n', " / ")
        )
    };
    let count = Outcome {
        name: "report_has_every_entry",
        step: 'r',
        passed: !want.is_empty() && want.len() == got.len(),
        looked_for: format!("{} entries, as in the text trace", want.len()),
        found: vec![format!("{} in trace-cmd's report", got.len())],
    };
    let mut ctx_bad = Vec::new();
    let mut body_bad = Vec::new();
    for (w, g) in want.iter().zip(&got) {
        if (w.us, w.cpu, w.pid, &w.event) != (g.us, g.cpu, g.pid, &g.event) {
            ctx_bad.push(format!("{}  vs  {}", describe(w), describe(g)));
        } else if w.body != g.body {
            body_bad.push(format!("{}  vs  {}", describe(w), describe(g)));
        }
    }
    let n = want.len().min(got.len());
    let outcome = |name, looked_for: &str, bad: Vec<String>| Outcome {
        name,
        step: 'r',
        passed: n > 0 && bad.is_empty(),
        looked_for: looked_for.to_string(),
        found: if bad.is_empty() {
            vec![format!("{n} entries agree")]
        } else {
            let mut f = vec![format!(
                "{} of {n} differ (trace vs report); first ones:",
                bad.len()
            )];
            f.extend(bad.into_iter().take(5));
            f
        },
    };
    vec![
        count,
        outcome(
            "report_entries_match_in_time_cpu_pid_and_event",
            "each entry's time (us), CPU, pid and event name",
            ctx_bad,
        ),
        outcome(
            "report_fields_match",
            "each entry's fields as printed (functions and stack frames by name)",
            body_bad,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use libkernel::trace::ring_buffer_page::{fill_page, header_event, header_page};
    use libkernel::trace::trace_entries::ftrace_format_file;
    use libkernel::trace::{event, id, PayloadWriter, Record};

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }
    fn u64_at(b: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
    }
    fn cstr(b: &[u8], at: usize) -> (&str, usize) {
        let n = b[at..].iter().position(|&c| c == 0).unwrap();
        (std::str::from_utf8(&b[at..at + n]).unwrap(), at + n + 1)
    }

    fn sample_files() -> Vec<(String, Vec<u8>)> {
        let wake = event(id::SCHED_WAKEUP).unwrap();
        let recs: Vec<Record> = (0..3)
            .map(|i| Record {
                ts: 1_000_000_000 + i * 10_000,
                pid: 7,
                id: id::SCHED_WAKEUP,
                payload: PayloadWriter::default()
                    .comm(b"sh\0\0\0\0\0\0\0\0\0\0\0\0\0\0")
                    .i32(8)
                    .i32(120)
                    .i32(1)
                    .finish(),
                ..Record::default()
            })
            .collect();
        vec![
            ("events/header_page".into(), header_page().into_bytes()),
            ("events/header_event".into(), header_event().into_bytes()),
            (
                "events/ftrace/function/format".into(),
                ftrace_format_file("function").unwrap().into_bytes(),
            ),
            (
                "events/sched/sched_wakeup/format".into(),
                wake.format_file().into_bytes(),
            ),
            ("per_cpu/cpu0/trace_pipe_raw".into(), Vec::new()),
            ("per_cpu/cpu1/trace_pipe_raw".into(), fill_page(&recs, 0).0),
        ]
    }

    /// Reads the file back section by section, as trace-cmd does.
    #[test]
    fn the_file_has_trace_cmds_v6_layout() {
        let files = sample_files();
        let dat = write(&Input {
            files: &files,
            kallsyms: "0000000000080000 T _start\n".into(),
            cmdlines: "7 sh\n".into(),
        })
        .unwrap();
        assert_eq!(&dat[..10], MAGIC);
        let (version, mut at) = cstr(&dat, 10);
        assert_eq!(version, "6");
        assert_eq!((dat[at], dat[at + 1]), (0, 8));
        assert_eq!(u32_at(&dat, at + 2), 4096);
        at += 6;
        for name in ["header_page", "header_event"] {
            let (n, next) = cstr(&dat, at);
            assert_eq!(n, name);
            let size = u64_at(&dat, next) as usize;
            let want = &files.iter().find(|f| f.0.ends_with(name)).unwrap().1;
            assert_eq!(&dat[next + 8..next + 8 + size], &want[..]);
            at = next + 8 + size;
        }
        assert_eq!(u32_at(&dat, at), 1, "one ftrace format");
        at += 4;
        let size = u64_at(&dat, at) as usize;
        assert!(dat[at + 8..].starts_with(b"name: function\n"));
        at += 8 + size;
        assert_eq!(u32_at(&dat, at), 1, "one event system");
        let (sys, next) = cstr(&dat, at + 4);
        assert_eq!(sys, "sched");
        assert_eq!(u32_at(&dat, next), 1);
        let size = u64_at(&dat, next + 4) as usize;
        at = next + 12 + size;
        let ksize = u32_at(&dat, at) as usize;
        assert_eq!(&dat[at + 4..at + 4 + ksize], b"0000000000080000 T _start\n");
        at += 4 + ksize;
        assert_eq!(u32_at(&dat, at), 0, "no printk formats");
        at += 4;
        let csize = u64_at(&dat, at) as usize;
        assert_eq!(&dat[at + 8..at + 8 + csize], b"7 sh\n");
        at += 8 + csize;
        assert_eq!(u32_at(&dat, at), 2, "two CPUs");
        assert_eq!(&dat[at + 4..at + 14], b"flyrecord\0");
        at += 14;
        assert_eq!(u64_at(&dat, at + 8), 0, "cpu0 is empty");
        let (off, size) = (
            u64_at(&dat, at + 16) as usize,
            u64_at(&dat, at + 24) as usize,
        );
        assert_eq!(off % 4096, 0);
        assert_eq!(size, 4096);
        let evs = events(&dat[off..off + size]).unwrap();
        assert_eq!(evs.len(), 3);
        assert_eq!(evs[2].ts, 1_000_020_000);
        assert_eq!(&evs[0].data[..2], &id::SCHED_WAKEUP.to_le_bytes());
    }

    const TRACE: &str = "# tracer: function\n#\n\
              sh-3     [001] ....     0.232427: _do_fork+0x34/0x714 <-sys_clone+0x13c/0x174\n\
              sh-3     [001] ....     0.232821: <stack trace>\n \
=> _do_fork+0x58/0x714\n => sys_clone+0x13c/0x174\n\
          <idle>-0     [000] d..2     0.237674: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R+ ==> next_comm=sh next_pid=4 next_prio=120\n\
              sh-3     [001] ....     0.238000: tracing_mark_write: hello\n";

    const REPORT: &str = "cpus=4\n\
              sh-3     [001]     0.232427: function:              _do_fork <-- sys_clone\n\
              sh-3     [001]     0.232821: kernel_stack:         \t=> _do_fork\n\
\t=> sys_clone\n\t=> 0xffffffffffffffff\n\t=> 0x0\n\
          <idle>-0     [000]     0.237674: sched_switch:         prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R+ ==> next_comm=sh next_pid=4 next_prio=120\n\
   raspbian_fork-3     [001]     0.238000: print:                0x0: hello\n";

    #[test]
    fn a_report_that_shows_the_same_entries_passes() {
        let o = check_report(TRACE, REPORT);
        assert!(o.iter().all(|o| o.passed), "{:?}", o);
        assert_eq!(shown_in_report(REPORT)[1].body, "_do_fork\nsys_clone\n");
        assert_eq!(shown_in_trace(TRACE)[0].body, "_do_fork <-- sys_clone");
    }

    #[test]
    fn a_report_that_differs_says_where() {
        let late = REPORT.replace("0.237674", "0.237675");
        let o = check_report(TRACE, &late);
        assert!(o[0].passed && !o[1].passed, "{:?}", o);
        assert!(
            o[1].found[1].contains("0.237674 [000] pid 0 sched_switch"),
            "{:?}",
            o[1]
        );
        let field = REPORT.replace("next_pid=4", "next_pid=5");
        let o = check_report(TRACE, &field);
        assert!(o[1].passed && !o[2].passed, "{:?}", o);
        let short = REPORT.lines().take(2).collect::<Vec<_>>().join("\n");
        assert!(!check_report(TRACE, &short)[0].passed);
        assert!(
            !check_report("", "")[0].passed,
            "nothing to compare is a failure"
        );
    }

    #[test]
    fn missing_pieces_are_named() {
        let mut files = sample_files();
        files.retain(|f| !f.0.contains("trace_pipe_raw"));
        let input = Input {
            files: &files,
            kallsyms: String::new(),
            cmdlines: String::new(),
        };
        assert!(write(&input).unwrap_err().contains("trace_pipe_raw"));
        files.retain(|f| f.0 != "events/header_page");
        let input = Input {
            files: &files,
            kallsyms: String::new(),
            cmdlines: String::new(),
        };
        assert!(write(&input).unwrap_err().contains("events/header_page"));
        let files = vec![
            ("events/header_page".into(), vec![]),
            ("events/header_event".into(), vec![]),
            ("per_cpu/cpu0/trace_pipe_raw".into(), vec![0; 100]),
        ];
        let input = Input {
            files: &files,
            kallsyms: String::new(),
            cmdlines: String::new(),
        };
        assert!(write(&input).unwrap_err().contains("not whole pages"));
    }
}
