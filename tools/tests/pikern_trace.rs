//! `pikern-trace` run as a user (or `make test`) runs it, on the golden
//! trace of the seed's fork experiment (`fixtures/seed_fork.trace`: parent
//! 17120 on CPU 3, child 17121 on CPU 2, both sleeping every 2 s, exiting
//! and signalling SIGCHLD).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::scratch_dir;

const SEED: &str = include_str!("fixtures/seed_fork.trace");

fn trace_tool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pikern-trace"))
        .args(args)
        .output()
        .unwrap()
}

fn run_ok(args: &[&str]) -> String {
    let out = trace_tool(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A console log around `dumps`: printk-prefixed boot lines and markers,
/// raw trace lines, the way the kernel prints them.
fn console(dumps: &[&str]) -> String {
    let mut log =
        String::from("[    0.000000] Booting pikern on rpi3\n[    0.001000] smp: 4 CPUs\n");
    for (i, dump) in dumps.iter().enumerate() {
        log.push_str(&format!("[ {:4}.000000] raspbian_fork: done\n", 1325 + i));
        log.push_str(&format!(
            "[ {:4}.000001] Dumping ftrace buffer:\n",
            1325 + i
        ));
        log.push_str(&format!(
            "[ {:4}.000001] ---------------------------------\n",
            1325 + i
        ));
        log.push_str(dump);
        log.push_str(&format!(
            "[ {:4}.000002] ---------------------------------\n",
            1325 + i
        ));
    }
    log.push_str("[ 1330.000000] reboot: Power down\n");
    log
}

#[test]
fn check_accepts_the_golden_trace() {
    let dir = scratch_dir("trace_check_ok");
    let trace = write(&dir, "seed.trace", SEED);
    let out = run_ok(&["check", s(&trace)]);
    assert!(
        out.contains(": ok: tracer function, #P:4, 73 entries (63 events, 7 function calls, 3 stack traces), 0 lost-events lines, 1318.500000 s to 1324.531100 s"),
        "{out}"
    );
}

#[test]
fn check_lists_each_bad_line_with_its_number_and_fails() {
    let dir = scratch_dir("trace_check_bad");
    let bad = SEED
        .replace("d...  1318.514446", "d... 1318.514446")
        .replace("[002] dnh.  1320.514900", "[002] xnh.  1320.514900")
        .replace("1322.514530: sched_switch", "1321.514530: sched_switch")
        .replace(
            "sched_process_exit: comm=raspbian_fork pid=17121 prio=120",
            "sched_process_exit: comm=raspbian_fork pid=17121",
        );
    let trace = write(&dir, "bad.trace", &bad);
    let out = trace_tool(&["check", s(&trace)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = s(&trace);
    for (line, why) in [
        (28, "must be `%5lu`"),
        (34, "flag 1 (irqs-off)"),
        (42, "goes back before"),
        (73, "missing `prio=`"),
    ] {
        assert!(
            stderr.contains(&format!("{file}:{line}: ")),
            "{line}\n{stderr}"
        );
        assert!(stderr.contains(why), "{why}\n{stderr}");
    }
    assert!(stderr.contains("    |    raspbian_fork-17120 [003] d... 1318.514446: sched_switch"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 problem(s)"));
}

#[test]
fn extract_cuts_the_last_dump_out_of_a_console_log() {
    let dir = scratch_dir("trace_extract");
    let old = SEED.replace("# tracer: function", "# tracer: nop");
    let log = write(&dir, "console.log", &console(&[&old, SEED]));
    assert_eq!(run_ok(&["extract", s(&log)]), SEED);
    let out = dir.join("out/trace.txt");
    run_ok(&["extract", s(&log), "-o", s(&out)]);
    assert_eq!(fs::read_to_string(&out).unwrap(), SEED);

    // --all: each dump, in order.
    run_ok(&["extract", "--all", s(&log), "-o", s(&out)]);
    assert_eq!(
        fs::read_to_string(dir.join("out/trace.1.txt")).unwrap(),
        old
    );
    assert_eq!(
        fs::read_to_string(dir.join("out/trace.2.txt")).unwrap(),
        SEED
    );
    assert_eq!(
        run_ok(&["extract", "--all", s(&log)]),
        format!("{old}{SEED}")
    );

    // Serial consoles end lines with CR LF.
    let crlf = write(&dir, "crlf.log", &console(&[SEED]).replace('\n', "\r\n"));
    assert_eq!(run_ok(&["extract", s(&crlf)]), SEED);

    // A trace file is its own trace.
    let plain = write(&dir, "seed.trace", SEED);
    assert_eq!(run_ok(&["extract", s(&plain)]), SEED);
}

#[test]
fn extract_without_a_dump_says_why() {
    let dir = scratch_dir("trace_extract_none");
    let log = write(&dir, "console.log", &console(&[]));
    let out = trace_tool(&["extract", s(&log)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no ftrace dump found"));
    let empty = write(&dir, "empty.log", &console(&["   (ftrace buffer empty)\n"]));
    let out = trace_tool(&["extract", s(&empty)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("(ftrace buffer empty)"));
    let cut = write(
        &dir,
        "cut.log",
        &console(&[SEED]).replace("[ 1325.000002] ---------------------------------\n", ""),
    );
    let out = trace_tool(&["extract", s(&cut)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut short"));
}

#[test]
fn check_on_a_console_log_points_at_log_lines() {
    let dir = scratch_dir("trace_check_log");
    let bad = SEED.replace("[002] dnh.  1320.514900", "[002] xnh.  1320.514900");
    let log = write(&dir, "console.log", &console(&[&bad]));
    let out = trace_tool(&["check", s(&log)]);
    assert_eq!(out.status.code(), Some(1));
    // 3 boot lines and 2 marker lines come before the trace's line 1.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:39: flag 1", s(&log))),
        "{stderr}"
    );
}

#[test]
fn expect_passes_on_the_seed_story_and_writes_results() {
    let dir = scratch_dir("trace_expect_ok");
    let log = write(&dir, "console.log", &console(&[SEED]));
    let results = dir.join("trace.results");
    let out = run_ok(&["expect", s(&log), "--results", s(&results)]);
    let oks: Vec<&str> = out.lines().filter(|l| l.starts_with("ok ")).collect();
    assert_eq!(
        oks,
        [
            "ok 1 copy_process_from_do_fork_with_stack",
            "ok 2 sched_process_fork",
            "ok 3 child_woken_on_another_cpu",
            "ok 4 parent_and_child_sleep",
            "ok 5 do_exit_from_do_group_exit",
            "ok 6 sched_process_exit",
            "ok 7 sigchld_to_parents",
            "ok 8 dead_stack_freed_by_next_task",
            "ok 9 trace_format_valid",
        ]
    );
    assert!(out.starts_with("KTAP version 1\n1..9\n"));
    // Line numbers are the console log's.
    assert!(
        out.contains("# found: line 23: raspbian_fork-17120 [003] ....  1318.513909: copy_process"),
        "{out}"
    );
    assert_eq!(
        fs::read_to_string(&results).unwrap(),
        "passed 9\nfailed 0\nskipped 0\n"
    );
}

#[test]
fn expect_fails_with_counts_when_the_story_is_not_there() {
    let dir = scratch_dir("trace_expect_bad");
    let trace = write(&dir, "seed.trace", SEED);
    let results = dir.join("trace.results");
    let out = trace_tool(&[
        "expect",
        s(&trace),
        "--comm",
        "init",
        "--results",
        s(&results),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(
        "not ok 2 sched_process_fork\n# (b) looked for: sched_process_fork with comm=init\n"
    ));
    assert_eq!(
        fs::read_to_string(&results).unwrap(),
        "passed 2\nfailed 7\nskipped 0\n"
    );

    // No trace at all: nine failures, still counted.
    let log = write(&dir, "console.log", &console(&[]));
    let out = trace_tool(&["expect", s(&log), "--results", s(&results)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("not ok ")
            .count(),
        9
    );
    assert_eq!(
        fs::read_to_string(&results).unwrap(),
        "passed 0\nfailed 9\nskipped 0\n"
    );
}

#[test]
fn perfetto_output_is_a_valid_trace_with_wakings() {
    let dir = scratch_dir("trace_perfetto");
    let trace = write(&dir, "seed.trace", SEED);
    let out = dir.join("perfetto.txt");
    run_ok(&["perfetto", s(&trace), "-o", s(&out)]);
    let text = fs::read_to_string(&out).unwrap();
    assert!(text[..128].contains("# tracer"));
    assert_eq!(
        text.matches(": sched_waking: ").count(),
        SEED.matches(": sched_waking: ").count() + 3
    );
    run_ok(&["check", s(&out)]);
}

/// Checks that `text` is one JSON value (a minimal recursive-descent reader;
/// the tools avoid a JSON dependency).
fn json_value(text: &[u8], mut i: usize) -> usize {
    let ws = |mut i: usize| {
        while i < text.len() && text[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    i = ws(i);
    match text[i] {
        b'{' | b'[' => {
            let close = if text[i] == b'{' { b'}' } else { b']' };
            i = ws(i + 1);
            if text[i] == close {
                return i + 1;
            }
            loop {
                if close == b'}' {
                    i = json_value(text, i);
                    i = ws(i);
                    assert_eq!(text[i], b':', "at {i}");
                    i += 1;
                }
                i = ws(json_value(text, i));
                match text[i] {
                    b',' => i += 1,
                    c if c == close => return i + 1,
                    c => panic!("unexpected {:?} at {i}", c as char),
                }
            }
        }
        b'"' => {
            i += 1;
            while text[i] != b'"' {
                assert!(text[i] >= 0x20, "control character in a string at {i}");
                i += if text[i] == b'\\' { 2 } else { 1 };
            }
            i + 1
        }
        _ => {
            let start = i;
            while i < text.len() && (text[i].is_ascii_alphanumeric() || b"-+.".contains(&text[i])) {
                i += 1;
            }
            let token = std::str::from_utf8(&text[start..i]).unwrap();
            assert!(
                token.parse::<f64>().is_ok() || ["true", "false", "null"].contains(&token),
                "bad token {token:?} at {start}"
            );
            i
        }
    }
}

#[test]
fn json_output_is_trace_event_json() {
    let dir = scratch_dir("trace_json");
    let trace = write(&dir, "seed.trace", SEED);
    let out = dir.join("seed.json");
    run_ok(&["json", s(&trace), "-o", s(&out)]);
    let text = fs::read_to_string(&out).unwrap();
    let end = json_value(text.as_bytes(), 0);
    assert!(text[end..].trim().is_empty());
    assert!(text.starts_with("{\"traceEvents\":["));
    // Parent and child run slices, 4 each, on their own process tracks.
    assert_eq!(
        text.matches("\"name\":\"raspbian_fork on CPU 3\"").count(),
        4
    );
    assert_eq!(
        text.matches("\"name\":\"raspbian_fork on CPU 2\"").count(),
        4
    );
    assert_eq!(text.matches("\"ph\":\"B\"").count(), 2);
    assert_eq!(text.matches("\"ph\":\"E\"").count(), 2);
}

/// Checks that tags nest (a minimal well-formedness check of the SVG).
fn tags_balance(svg: &str) {
    let mut stack = Vec::new();
    for tag in svg.split('<').skip(1) {
        let tag = &tag[..tag.find('>').expect("tag closes")];
        if tag.starts_with('?') || tag.ends_with('/') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.to_string()), "closing {name}");
        } else {
            stack.push(tag.split_whitespace().next().unwrap().to_string());
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

#[test]
fn svg_output_is_deterministic_and_well_formed() {
    let dir = scratch_dir("trace_svg");
    let trace = write(&dir, "seed.trace", SEED);
    let (a, b) = (dir.join("a.svg"), dir.join("b.svg"));
    run_ok(&["svg", s(&trace), "-o", s(&a)]);
    run_ok(&["svg", s(&trace), "-o", s(&b)]);
    let svg = fs::read_to_string(&a).unwrap();
    assert_eq!(svg, fs::read_to_string(&b).unwrap());
    tags_balance(&svg);
    assert!(svg.contains("fork → raspbian_fork (17121)"));
    assert!(svg.contains("SIGCHLD → init (1)"));
}

#[test]
fn summary_prints_tasks_tree_and_signals() {
    let dir = scratch_dir("trace_summary");
    let trace = write(&dir, "seed.trace", SEED);
    let out = run_ok(&["summary", s(&trace)]);
    assert!(
        out.contains("    17121  raspbian_fork        1.562 ms  2"),
        "{out}"
    );
    assert!(
        out.contains("      raspbian_fork (17121)  forked 1318.514102 s  exited 1324.514980 s\n")
    );
    assert!(out.contains("raspbian_fork (17120) -> bash (895): SIGCHLD (17)"));
}

#[test]
fn converters_refuse_a_bad_trace_unless_lenient() {
    let dir = scratch_dir("trace_lenient");
    let bad = SEED.replace("[002] dnh.  1320.514900", "[002] xnh.  1320.514900");
    let trace = write(&dir, "bad.trace", &bad);
    for command in ["perfetto", "json", "svg", "summary"] {
        let out = trace_tool(&[command, s(&trace)]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--lenient"));
        let out = trace_tool(&[command, s(&trace), "--lenient"]);
        assert_eq!(out.status.code(), Some(0), "{command}: {out:?}");
        // The bad line is still reported.
        assert!(String::from_utf8_lossy(&out.stderr).contains(":34: flag 1"));
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["frobnicate", "x"],
        &["check"],
        &["check", "x", "-o", "y"],
        &["json", "x", "--comm", "y"],
        &["expect", "x", "--bogus"],
    ] {
        let out = trace_tool(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage: pikern-trace"));
    }
    assert!(run_ok(&["--help"]).contains("usage: pikern-trace extract"));
}
