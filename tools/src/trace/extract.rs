//! Cutting the trace out of a console log.
//!
//! The kernel dumps its buffer the way Linux's `ftrace_dump()` does:
//! `Dumping ftrace buffer:`, a line of 33 dashes, the trace file, and the
//! same dashes again (or `   (ftrace buffer empty)` between them). The
//! marker lines are ordinary console messages, so they may carry a printk
//! time prefix (`[    1.234567] `); the trace lines between them are raw.
//! Serial consoles end lines with CR LF, so a trailing CR is dropped.

use super::format::{DASHES, DUMP_START, EMPTY_BUFFER};

/// One `Dumping ftrace buffer:` block of a console log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dump {
    /// 1-based line number of `Dumping ftrace buffer:`.
    pub marker_line: usize,
    /// 1-based log line number of the dump's first trace line.
    pub first_line: usize,
    /// The trace file, `None` for `(ftrace buffer empty)`.
    pub text: Option<String>,
    /// False if the log ends before the closing dashes.
    pub closed: bool,
}

/// A trace ready to parse, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    pub text: String,
    /// Log line number of the trace's line 1 (1 for a plain trace file), so
    /// errors can point into the file the user gave.
    pub first_line: usize,
    /// How many dumps the log held (0 for a plain trace file).
    pub dumps: usize,
}

/// The line without a printk prefix `[%5lu.%06lu] `, if it has one.
pub fn strip_printk_prefix(line: &str) -> &str {
    let Some(rest) = line.strip_prefix('[') else {
        return line;
    };
    let Some((stamp, after)) = rest.split_once("] ") else {
        return line;
    };
    let stamp = stamp.trim_start_matches(' ');
    let is_stamp = stamp.split_once('.').is_some_and(|(secs, frac)| {
        !secs.is_empty()
            && !frac.is_empty()
            && secs.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    });
    if is_stamp {
        after
    } else {
        line
    }
}

fn console_lines(log: &str) -> Vec<&str> {
    log.lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

/// Every dump in the log, in order.
pub fn find_dumps(log: &str) -> Vec<Dump> {
    let lines = console_lines(log);
    let is_marker = |i: usize, text: &str| {
        lines
            .get(i)
            .is_some_and(|l| strip_printk_prefix(l).trim_end() == text)
    };
    let mut dumps = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !(is_marker(i, DUMP_START) && is_marker(i + 1, DASHES)) {
            i += 1;
            continue;
        }
        let start = i + 2;
        let end = (start..lines.len()).find(|&j| is_marker(j, DASHES));
        let body = &lines[start..end.unwrap_or(lines.len())];
        let text = if body.len() == 1 && body[0].trim_end() == EMPTY_BUFFER.trim_end() {
            None
        } else {
            let mut text = body.join("\n");
            if !body.is_empty() {
                text.push('\n');
            }
            Some(text)
        };
        dumps.push(Dump {
            marker_line: i + 1,
            first_line: start + 1,
            text,
            closed: end.is_some(),
        });
        i = end.map_or(lines.len(), |end| end + 1);
    }
    dumps
}

/// Checks that a dump holds a whole trace.
fn usable(dump: &Dump) -> Result<&str, String> {
    if !dump.closed {
        return Err(format!(
            "the ftrace dump at line {} has no closing line of 33 dashes: the log is cut short",
            dump.marker_line
        ));
    }
    dump.text.as_deref().ok_or_else(|| {
        format!(
            "the ftrace dump at line {} is `(ftrace buffer empty)`",
            dump.marker_line
        )
    })
}

/// The trace in `input`: the input itself if it is a trace file (starts
/// with `# tracer:`), else the last dump of the console log.
pub fn load(input: &str) -> Result<Loaded, String> {
    if input.starts_with("# tracer:") {
        return Ok(Loaded {
            text: input.replace("\r\n", "\n"),
            first_line: 1,
            dumps: 0,
        });
    }
    let dumps = find_dumps(input);
    let last = dumps.last().ok_or_else(|| {
        format!(
            "no ftrace dump found: expected a `{DUMP_START}` line followed by {} dashes, \
             or a trace file starting with `# tracer:`",
            DASHES.len()
        )
    })?;
    let text = usable(last)?.to_string();
    Ok(Loaded {
        text,
        first_line: last.first_line,
        dumps: dumps.len(),
    })
}

/// Every usable dump of the log (`extract --all`); a plain trace file is
/// its own single dump. Errors if there is none, or if any dump is cut short.
pub fn load_all(input: &str) -> Result<Vec<Loaded>, String> {
    if input.starts_with("# tracer:") {
        return load(input).map(|loaded| vec![loaded]);
    }
    let dumps = find_dumps(input);
    let mut all = Vec::new();
    for dump in &dumps {
        match usable(dump) {
            Ok(text) => all.push(Loaded {
                text: text.to_string(),
                first_line: dump.first_line,
                dumps: dumps.len(),
            }),
            // An empty buffer is a fact about that run, not a broken log.
            Err(_) if dump.closed => {}
            Err(why) => return Err(why),
        }
    }
    if all.is_empty() {
        return load(input).map(|loaded| vec![loaded]);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "# tracer: nop\n#\n";

    fn dump(prefix: &str, body: &str) -> String {
        format!("{prefix}{DUMP_START}\n{prefix}{DASHES}\n{body}{prefix}{DASHES}\n")
    }

    #[test]
    fn printk_prefixes_are_stripped_only_when_well_formed() {
        assert_eq!(
            strip_printk_prefix("[    1.234567] Dumping ftrace buffer:"),
            "Dumping ftrace buffer:"
        );
        assert_eq!(strip_printk_prefix("[12345.000001] x"), "x");
        assert_eq!(strip_printk_prefix("[003] d..."), "[003] d...");
        assert_eq!(strip_printk_prefix("[ a.b] x"), "[ a.b] x");
    }

    #[test]
    fn the_last_dump_wins_and_keeps_its_line_number() {
        let log = format!(
            "boot\n{}noise\n{}after\n",
            dump("[    1.000000] ", "# tracer: nop\nold\n"),
            dump("[    2.000000] ", TRACE)
        );
        let loaded = load(&log).unwrap();
        assert_eq!(loaded.text, TRACE);
        assert_eq!(loaded.dumps, 2);
        assert_eq!(loaded.first_line, 10);
        assert_eq!(log.lines().nth(9), Some("# tracer: nop"));
        let all = load_all(&log).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].text, "# tracer: nop\nold\n");
    }

    #[test]
    fn crlf_consoles_are_accepted() {
        let log = dump("", TRACE).replace('\n', "\r\n");
        assert_eq!(load(&log).unwrap().text, TRACE);
    }

    #[test]
    fn plain_trace_files_pass_through() {
        let loaded = load(TRACE).unwrap();
        assert_eq!((loaded.text.as_str(), loaded.first_line), (TRACE, 1));
    }

    #[test]
    fn missing_empty_and_unterminated_dumps_are_clear_errors() {
        let err = load("just a boot log\n").unwrap_err();
        assert!(err.contains("no ftrace dump found"), "{err}");
        let err = load(&dump("", "   (ftrace buffer empty)\n")).unwrap_err();
        assert!(err.contains("(ftrace buffer empty)"), "{err}");
        let err = load(&format!("{DUMP_START}\n{DASHES}\n{TRACE}")).unwrap_err();
        assert!(err.contains("cut short"), "{err}");
        // A dump marker without the dashes line is not a dump.
        let err = load(&format!("{DUMP_START}\n{TRACE}")).unwrap_err();
        assert!(err.contains("no ftrace dump found"), "{err}");
    }
}
