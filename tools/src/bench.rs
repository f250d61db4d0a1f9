//! `make bench`: reading the benchmark lines of a console log, checking
//! that every expected measurement is there, and writing the table and
//! `build/bench.json` (docs/performance.md explains the method).
//!
//! The kernel and `/bin/bench` print one line per measurement:
//!
//! ```text
//! bench: NAME ITERATIONS TOTAL [UNIT]
//! ```
//!
//! TOTAL is in nanoseconds unless UNIT says otherwise (`bytes`). Under
//! QEMU's `-icount shift=0` a nanosecond is one guest instruction, so the
//! per-operation figure is an instruction count.

use std::fmt::Write as _;

/// The QEMU options that make the virtual clock count instructions: 1 ns
/// per instruction, no slowing to real time, no sleeping while idle.
pub const ICOUNT_ARGS: [&str; 4] = ["-icount", "shift=0,align=off,sleep=off", "-seed", "1"];

/// The measurements that need `/bin/busybox`, which `make bench` brings in
/// as QEMU's `-initrd`: `bench-report` boots once more for each of them,
/// so that the initramfs changes no other figure (unpacking it would add
/// ~400,000 instructions, 5%, to `boot_to_init`, and the fork loops move
/// by up to 1.5% with the heap and page allocator it leaves behind).
pub const WITH_INITRD: &[&str] = &["busybox_sh_true"];

/// The same for the memory of 10 idle bash processes, with Debian's bash
/// and its libraries as the `-initrd` (`bench-report --bash-initrd`).
pub const WITH_BASH_INITRD: &[&str] = &["bash_idle"];

/// The measurements that need an SD card (`-drive if=sd`): `bench-report
/// --sdcard IMG` boots once more for each, with the card attached, so
/// that its initialisation changes no other figure.
pub const WITH_SDCARD: &[&str] = &["sd_write_seq", "sd_read_seq"];

/// One parsed `bench:` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measurement {
    pub name: String,
    pub iterations: u64,
    pub total: u64,
    /// `ns` or `bytes`.
    pub unit: String,
}

impl Measurement {
    /// TOTAL / ITERATIONS.
    pub fn per_op(&self) -> f64 {
        self.total as f64 / self.iterations.max(1) as f64
    }
}

/// What a measurement is compared with: Linux 6.1 on the same emulated Pi 3
/// with the same icount flags, pinned to CPU 0 (`tools/linux-ref.sh`
/// measures it and prints these figures beside its own), and pikern's
/// target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    pub name: &'static str,
    pub what: &'static str,
    pub linux: &'static str,
    pub target: Target,
}

/// A target, checked against the measurements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Nothing to meet: reported for information.
    None,
    /// Per-op at most this.
    AtMost(u64),
    /// Per-op within this many percent above measurement `base`.
    PercentOver(&'static str, u32),
    /// Per-op within this many percent of measurement `base`, either way.
    WithinPercent(&'static str, u32),
    /// Per-op minus `base`'s per-op at most this.
    AddedAtMost(&'static str, u64),
    /// Per-op equal to this, to one decimal (the calibration loop).
    Exactly(u64),
    /// Per-op below measurement `base`'s.
    Below(&'static str),
}

/// Every line a full run must print, in the order of the table.
pub const EXPECTED: &[Expected] = &[
    e(
        "calibration_2insn_loop",
        "2-instruction loop, per iteration",
        "2",
        Target::Exactly(2),
    ),
    e(
        "getppid",
        "null syscall (getppid)",
        "461",
        Target::AtMost(150),
    ),
    e(
        "clock_gettime",
        "clock_gettime(CLOCK_MONOTONIC)",
        "647",
        Target::None,
    ),
    e(
        "clock_gettime_vdso",
        "  ... through the vDSO",
        "47",
        Target::AtMost(100),
    ),
    e(
        "fork_exit_wait",
        "fork + exit + wait",
        "99,193",
        Target::AtMost(15_000),
    ),
    e(
        "fork_exit_wait_10_sleepers",
        "  ... with 10 sleeping processes",
        "99,057",
        Target::None,
    ),
    e(
        "fork_exit_wait_100_sleepers",
        "  ... with 100 sleeping processes",
        "98,926",
        Target::PercentOver("fork_exit_wait", 2),
    ),
    e(
        "fork_exit_wait_unpinned",
        "  ... unpinned (4 CPUs)",
        "123,134",
        Target::None,
    ),
    e(
        "fork_exit_wait_events",
        "  ... with sched/signal events on",
        "+12.3%",
        Target::PercentOver("fork_exit_wait", 5),
    ),
    e(
        "fork_exit_wait_function_tracer",
        "  ... and the function tracer",
        "1,206,900",
        Target::None,
    ),
    e(
        "fork_execve_exit_wait",
        "fork + execve(/bin/true) + exit + wait",
        "226,905",
        Target::None,
    ),
    e(
        "exec_static_hello",
        "fork + execve(glibc hello, static) + exit + wait",
        "797,995",
        Target::None,
    ),
    e(
        "exec_dynamic_hello",
        "  ... dynamically linked (ld.so, libc.so.6)",
        "1,419,761",
        Target::None,
    ),
    e(
        "sched_yield",
        "sched_yield, nothing else runnable",
        "1,092",
        Target::AtMost(200),
    ),
    e(
        "yield_pingpong_per_switch",
        "yield ping-pong, per context switch",
        "3,268",
        Target::AtMost(700),
    ),
    e(
        "yield_pingpong_threads_per_switch",
        "  ... between two threads of one process",
        "3,178",
        Target::Below("yield_pingpong_per_switch"),
    ),
    e(
        "futex_wake_wait_roundtrip",
        "futex wake + wait round trip, two threads on one CPU",
        "12,511",
        Target::None,
    ),
    e(
        "thread_create_join",
        "pthread-style thread create + join",
        "56,100",
        Target::None,
    ),
    e(
        "kernel_trace_site_disabled",
        "disabled trace site (kernel loop)",
        "",
        Target::None,
    ),
    e(
        "kernel_trace_event_recorded",
        "recorded trace event (kernel loop)",
        "~1,100",
        Target::AddedAtMost("kernel_trace_site_disabled", 150),
    ),
    e(
        "kernel_page_alloc_free",
        "page alloc + free",
        "",
        Target::None,
    ),
    e(
        "kernel_kmalloc_free_64",
        "heap alloc + free (64 bytes)",
        "",
        Target::None,
    ),
    e(
        "boot_to_init",
        "boot to first instruction of /init",
        "",
        Target::None,
    ),
    e("task_struct", "task descriptor (bytes)", "", Target::None),
    e(
        "fbcon_line",
        "a line on the framebuffer console (/dev/tty0, drawn, scrolling)",
        "",
        Target::None,
    ),
    e("kernel_stack", "kernel stack (bytes)", "", Target::None),
    e("task_bytes", "bytes per sleeping process", "", Target::None),
    e(
        "bash_idle_memfree",
        "10 idle bash: MemFree fall, per process (bytes)",
        "309,658",
        Target::None,
    ),
    e(
        "bash_idle_rss",
        "  ... Rss, per process (bytes)",
        "2,774,221",
        Target::None,
    ),
    e(
        "bash_idle_pss",
        "  ... Pss, per process: shared text counted once (bytes)",
        "503,706",
        Target::Below("bash_idle_rss"),
    ),
    e(
        "bash_idle_libc_text_rss",
        "  ... libc's text: Rss in one of them (bytes)",
        "1,310,720",
        Target::None,
    ),
    e(
        "bash_idle_libc_text_pss",
        "  ... libc's text: Pss summed over the 10 (bytes)",
        "1,300,480",
        Target::WithinPercent("bash_idle_libc_text_rss", 5),
    ),
    e(
        "busybox_sh_true",
        "busybox sh: fork + exec(/bin/true) + wait",
        "419,141",
        Target::None,
    ),
    e(
        "sd_write_seq",
        "SD card: sequential write + fsync, per KiB",
        "",
        Target::None,
    ),
    e(
        "sd_read_seq",
        "SD card: sequential read, cache dropped, per KiB",
        "",
        Target::None,
    ),
];

const fn e(
    name: &'static str,
    what: &'static str,
    linux: &'static str,
    target: Target,
) -> Expected {
    Expected {
        name,
        what,
        linux,
        target,
    }
}

/// Parses one console line; `None` if it is not a measurement.
pub fn parse_line(line: &str) -> Option<Measurement> {
    let rest = line.trim_end_matches('\r').trim().strip_prefix("bench: ")?;
    let mut words = rest.split_whitespace();
    let name = words.next()?;
    let iterations = words.next()?.parse().ok()?;
    let total = words.next()?.parse().ok()?;
    let unit = words.next().unwrap_or("ns");
    if words.next().is_some() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(Measurement {
        name: name.to_string(),
        iterations,
        total,
        unit: unit.to_string(),
    })
}

/// Every measurement in a console log, in order (a repeated name keeps
/// its last value).
pub fn parse_log(log: &str) -> Vec<Measurement> {
    let mut out: Vec<Measurement> = Vec::new();
    for m in log.lines().filter_map(parse_line) {
        out.retain(|o| o.name != m.name);
        out.push(m);
    }
    out
}

fn find<'a>(ms: &'a [Measurement], name: &str) -> Option<&'a Measurement> {
    ms.iter().find(|m| m.name == name)
}

/// The expected names with no (or no sane) line: a measurement is sane if
/// it ran at least once and took some time (or memory).
pub fn missing(ms: &[Measurement]) -> Vec<&'static str> {
    EXPECTED
        .iter()
        .filter(|e| !find(ms, e.name).is_some_and(|m| m.iterations > 0 && m.total > 0))
        .map(|e| e.name)
        .collect()
}

/// How a measurement stands against its target: the figure the target is
/// about and whether it is met (`None` when there is no target or the
/// base measurement is missing).
pub fn check(exp: &Expected, ms: &[Measurement]) -> (String, Option<bool>) {
    let Some(m) = find(ms, exp.name) else {
        return ("missing".to_string(), Some(false));
    };
    let per = m.per_op();
    match exp.target {
        Target::None => (String::new(), None),
        Target::AtMost(t) => (format!("<= {}", group(t)), Some(per <= t as f64)),
        Target::Exactly(t) => (
            format!("{t}.0"),
            Some(format!("{per:.1}") == format!("{t}.0")),
        ),
        Target::PercentOver(base, pct) => match find(ms, base) {
            Some(b) => {
                let over = (per / b.per_op() - 1.0) * 100.0;
                (
                    format!("{over:+.1}% (<= +{pct}%)"),
                    Some(over <= pct as f64),
                )
            }
            None => (format!("<= +{pct}% over {base}"), None),
        },
        Target::WithinPercent(base, pct) => match find(ms, base) {
            Some(b) => {
                let off = (per / b.per_op() - 1.0) * 100.0;
                (
                    format!("{off:+.1}% (within {pct}%)"),
                    Some(off.abs() <= pct as f64),
                )
            }
            None => (format!("within {pct}% of {base}"), None),
        },
        Target::AddedAtMost(base, t) => match find(ms, base) {
            Some(b) => {
                let added = per - b.per_op();
                (format!("+{added:.0} (<= {t})"), Some(added <= t as f64))
            }
            None => (format!("<= {t} over {base}"), None),
        },
        Target::Below(base) => match find(ms, base) {
            Some(b) => (
                format!("< {} ({base})", per_op_text(b)),
                Some(per < b.per_op()),
            ),
            None => (format!("< {base}"), None),
        },
    }
}

/// `12345` as `12,345`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn per_op_text(m: &Measurement) -> String {
    let per = m.per_op();
    if per < 100.0 {
        format!("{per:.1}")
    } else {
        group(per.round() as u64)
    }
}

/// How many processes of `task_bytes` each fit in 1 GiB.
pub fn tasks_per_gib(ms: &[Measurement]) -> Option<u64> {
    let m = find(ms, "task_bytes")?;
    (m.total > 0).then(|| ((1u64 << 30) as f64 / m.per_op()) as u64)
}

/// The table `make bench` prints (Markdown, so it pastes into the docs).
pub fn table(ms: &[Measurement]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| operation | iterations | per op (instructions / bytes) | Linux 6.1 | target: pikern now | met |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---|---|");
    for exp in EXPECTED {
        let (per, iters) = match find(ms, exp.name) {
            Some(m) => (per_op_text(m), group(m.iterations)),
            None => ("missing".to_string(), String::new()),
        };
        let (target, met) = check(exp, ms);
        let met = match met {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        let _ = writeln!(
            s,
            "| {} | {iters} | {per} | {} | {target} | {met} |",
            exp.what, exp.linux
        );
    }
    if let Some(n) = tasks_per_gib(ms) {
        let _ = writeln!(s, "| processes that fit in 1 GiB | | {} | | | |", group(n));
    }
    s
}

/// The table `tools/linux-ref.sh` prints for a run of `/bin/bench` on
/// Linux: each expected row that ran, per operation, how much it is over
/// its base for the rows whose target is a percentage, and the figure
/// recorded in [`EXPECTED`] (the Linux column of `make bench`).
pub fn reference_table(ms: &[Measurement]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| operation | iterations | Linux 6.1 per op, this run | over base | recorded |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    for exp in EXPECTED {
        // The sleepers' memory is counted from pikern's own /proc/meminfo
        // lines, which Linux does not have: no figure to compare. The idle
        // bash rows read MemFree and smaps_rollup, which both have.
        let Some(m) =
            find(ms, exp.name).filter(|m| m.unit == "ns" || m.name.starts_with("bash_idle_"))
        else {
            continue;
        };
        let over = match exp.target {
            Target::PercentOver(base, _) | Target::WithinPercent(base, _) => find(ms, base)
                .map(|b| format!("{:+.1}%", (m.per_op() / b.per_op() - 1.0) * 100.0))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {over} | {} |",
            exp.what,
            group(m.iterations),
            per_op_text(m),
            exp.linux
        );
    }
    s
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `build/bench.json`: the run's context and one object per measurement.
pub fn json(ms: &[Measurement], board: &str, date: &str, git: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{{");
    let _ = writeln!(s, "  \"board\": {},", json_str(board));
    let _ = writeln!(s, "  \"date\": {},", json_str(date));
    let _ = writeln!(s, "  \"git_describe\": {},", json_str(git));
    if let Some(n) = tasks_per_gib(ms) {
        let _ = writeln!(s, "  \"tasks_per_gib\": {n},");
    }
    let _ = writeln!(s, "  \"results\": [");
    for (i, m) in ms.iter().enumerate() {
        let exp = EXPECTED.iter().find(|e| e.name == m.name);
        let target = exp.map(|e| check(e, ms).0).unwrap_or_default();
        let linux = exp.map_or("", |e| e.linux);
        let u = if m.unit == "ns" { "ns" } else { "bytes" };
        let _ = write!(
            s,
            "    {{\"name\": {}, \"iterations\": {}, \"total_{u}\": {}, \"{u}_per_op\": {:.3}, \
             \"target\": {}, \"linux_6_1\": {}}}",
            json_str(&m.name),
            m.iterations,
            m.total,
            m.per_op(),
            json_str(&target),
            json_str(linux)
        );
        let _ = writeln!(s, "{}", if i + 1 < ms.len() { "," } else { "" });
    }
    let _ = writeln!(s, "  ]");
    let _ = writeln!(s, "}}");
    s
}

/// Today's date (UTC) as `YYYY-MM-DD`, from days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_table_lists_what_ran_with_percentages_over_the_base() {
        let ms = [
            m("getppid", 100_000, 46_040_000),
            m("fork_exit_wait", 2_000, 200_000_000),
            m("fork_exit_wait_events", 2_000, 220_000_000),
        ];
        let t = reference_table(&ms);
        assert!(
            t.contains("| null syscall (getppid) | 100,000 | 460 |  | 461 |"),
            "{t}"
        );
        assert!(
            t.contains("| fork + exit + wait | 2,000 | 100,000 |  | 99,193 |"),
            "{t}"
        );
        assert!(t.contains("| 2,000 | 110,000 | +10.0% | +12.3% |"), "{t}");
        assert!(
            !t.contains("sched_yield"),
            "rows that did not run are left out: {t}"
        );
        assert_eq!(t.lines().count(), 2 + 3, "{t}");
    }

    #[test]
    fn reference_table_has_the_idle_bash_memory_but_not_pikerns_own() {
        let bytes = |name: &str, n, total| Measurement {
            unit: "bytes".into(),
            ..m(name, n, total)
        };
        let ms = [
            bytes("task_bytes", 100, 4_925_344),
            bytes("bash_idle_pss", 10, 3_741_696),
        ];
        let t = reference_table(&ms);
        assert!(t.contains("| 10 | 374,170 |"), "{t}");
        assert!(!t.contains("sleeping process"), "{t}");
    }

    fn m(name: &str, iterations: u64, total: u64) -> Measurement {
        Measurement {
            name: name.to_string(),
            iterations,
            total,
            unit: "ns".to_string(),
        }
    }

    #[test]
    fn parses_measurement_lines_and_ignores_the_rest() {
        let log = "init: starting /bin/bench\r\nbench: mode quick\n\
                   bench: getppid 1000 242096\r\n\
                   bench: task_bytes 100 4925344 bytes\n\
                   bench: error ECHILD\nbench: done\n[ 0.1] reboot: Power down\n";
        let ms = parse_log(log);
        assert_eq!(ms.len(), 2, "{ms:?}");
        assert_eq!(ms[0], m("getppid", 1000, 242_096));
        assert_eq!(ms[1].unit, "bytes");
        assert_eq!(ms[1].per_op(), 49_253.44);
    }

    #[test]
    fn malformed_lines_are_not_measurements() {
        for line in [
            "bench: getppid 1000",
            "bench: getppid x 5",
            "bench: getppid 1 2 ns extra",
            "bench: get-ppid 1 2",
            "getppid 1 2",
        ] {
            assert_eq!(parse_line(line), None, "{line}");
        }
    }

    #[test]
    fn missing_lists_absent_and_zero_measurements() {
        let mut ms: Vec<Measurement> = EXPECTED.iter().map(|e| m(e.name, 10, 100)).collect();
        assert!(missing(&ms).is_empty());
        ms.retain(|x| x.name != "sched_yield");
        ms[0].total = 0;
        assert_eq!(missing(&ms), vec!["calibration_2insn_loop", "sched_yield"]);
    }

    #[test]
    fn targets_are_checked_against_base_measurements() {
        let ms = vec![
            m("calibration_2insn_loop", 1_000_000, 2_001_088),
            m("getppid", 100, 46_400),
            m("fork_exit_wait", 10, 100_000),
            m("fork_exit_wait_100_sleepers", 10, 101_000),
            m("fork_exit_wait_events", 10, 110_000),
            m("kernel_trace_site_disabled", 10, 200),
            m("kernel_trace_event_recorded", 10, 1_600),
            m("bash_idle_libc_text_rss", 1, 500),
            m("bash_idle_libc_text_pss", 1, 470),
        ];
        let get = |name: &str| check(EXPECTED.iter().find(|e| e.name == name).unwrap(), &ms);
        assert_eq!(get("calibration_2insn_loop"), ("2.0".into(), Some(true)));
        assert_eq!(get("getppid"), ("<= 150".into(), Some(false)));
        assert_eq!(get("fork_exit_wait"), ("<= 15,000".into(), Some(true)));
        assert_eq!(
            get("fork_exit_wait_100_sleepers"),
            ("+1.0% (<= +2%)".into(), Some(true))
        );
        assert_eq!(
            get("fork_exit_wait_events"),
            ("+10.0% (<= +5%)".into(), Some(false))
        );
        assert_eq!(
            get("kernel_trace_event_recorded"),
            ("+140 (<= 150)".into(), Some(true))
        );
        assert_eq!(
            get("bash_idle_libc_text_pss"),
            ("-6.0% (within 5%)".into(), Some(false))
        );
        assert_eq!(get("sched_yield"), ("missing".into(), Some(false)));
    }

    #[test]
    fn table_and_json_carry_every_measurement() {
        let mut ms = vec![
            m("getppid", 100_000, 24_209_600),
            m("fork_exit_wait", 2000, 150_475_200),
        ];
        ms.push(Measurement {
            unit: "bytes".into(),
            ..m("task_bytes", 100, 4_925_344)
        });
        let t = table(&ms);
        assert!(
            t.contains("| null syscall (getppid) | 100,000 | 242 | 461 | <= 150 | no |"),
            "{t}"
        );
        assert!(
            t.contains("| fork + exit + wait | 2,000 | 75,238 | 99,193 | <= 15,000 | no |"),
            "{t}"
        );
        assert!(
            t.contains("| processes that fit in 1 GiB | | 21,800 |"),
            "{t}"
        );
        let j = json(&ms, "rpi3", "2026-11-22", "v0-1-g\"x");
        assert!(j.contains("\"git_describe\": \"v0-1-g\\\"x\""), "{j}");
        assert!(j.contains("{\"name\": \"getppid\", \"iterations\": 100000, \"total_ns\": 24209600, \"ns_per_op\": 242.096"), "{j}");
        assert!(
            j.contains("\"total_bytes\": 4925344, \"bytes_per_op\": 49253.440"),
            "{j}"
        );
        assert_eq!(j.matches("\"name\"").count(), 3);
    }

    #[test]
    fn civil_date_matches_known_days() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_414), "2025-11-22");
        assert_eq!(civil_date(20_779), "2026-11-22");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }

    #[test]
    fn grouping_of_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(74_587), "74,587");
        assert_eq!(group(1_234_567), "1,234,567");
    }
}
