//! KTAP parsing and re-emission for the in-kernel test runner.
//!
//! The kernel prints KTAP version 1 (shared/spec/ktap.md) on its console,
//! mixed with boot log lines. This module turns that console, one line at a
//! time, into [`SuiteReport`]s, and renders a clean KTAP [`Document`] back
//! out. Everything here is pure (strings in, values out) so the rules can be
//! unit-tested without QEMU; `runner` supplies the lines and the deadlines.
//!
//! Only two levels matter: depth 0 holds the suites' result lines, depth 1
//! (one 4-space indent) the tests of a suite. Deeper lines (a test's own
//! subtests, as KUnit prints for parameterised tests) are kept and re-emitted
//! but not counted: their parent test's result already sums them up.

use std::fmt;

use crate::counts::Counts;
use crate::kunit_check::{self, END_MARKERS};

/// One level of KTAP indentation, as KUnit prints it.
pub const INDENT: &str = "    ";

/// The directive after ` # ` on a result line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Directive {
    /// `# SKIP <reason>`: the test did not run; neither pass nor fail.
    Skip(String),
    /// `# TIMEOUT`: the host runner gave up waiting for a result.
    Timeout,
    /// `# ERROR`: the test could not finish (the kernel crashed or exited).
    Error,
    /// Any other directive (e.g. `TODO ...`), kept verbatim.
    Other(String),
}

impl Directive {
    fn parse(text: &str) -> Directive {
        let text = text.trim();
        let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        match word.to_ascii_uppercase().as_str() {
            "SKIP" => Directive::Skip(rest.trim().to_string()),
            "TIMEOUT" => Directive::Timeout,
            "ERROR" => Directive::Error,
            _ => Directive::Other(text.to_string()),
        }
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Directive::Skip(reason) if reason.is_empty() => f.write_str("SKIP"),
            Directive::Skip(reason) => write!(f, "SKIP {reason}"),
            Directive::Timeout => f.write_str("TIMEOUT"),
            Directive::Error => f.write_str("ERROR"),
            Directive::Other(text) => f.write_str(text),
        }
    }
}

/// What a result line means for the tally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

/// A result line: `ok|not ok <number> <name> [# <directive>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    pub ok: bool,
    pub number: usize,
    pub name: String,
    pub directive: Option<Directive>,
}

impl TestResult {
    /// KTAP's reading of the line: SKIP wins over the status (a skipped test
    /// may be printed as `not ok`), TIMEOUT and ERROR always fail.
    pub fn outcome(&self) -> Outcome {
        match &self.directive {
            Some(Directive::Skip(_)) => Outcome::Skip,
            Some(Directive::Timeout | Directive::Error) => Outcome::Fail,
            _ if self.ok => Outcome::Pass,
            _ => Outcome::Fail,
        }
    }
}

impl fmt::Display for TestResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.ok { "ok" } else { "not ok" };
        write!(f, "{status} {}", self.number)?;
        if !self.name.is_empty() {
            write!(f, " {}", self.name)?;
        }
        if let Some(directive) = &self.directive {
            write!(f, " # {directive}")?;
        }
        Ok(())
    }
}

/// A console line that has the shape of KTAP, without its indentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KtapLine {
    /// `KTAP version 1` (or TAP's `TAP version 13/14`).
    Version,
    /// `1..N`.
    Plan(usize),
    /// `ok ...` / `not ok ...`.
    Result(TestResult),
    /// `# Subtest: <name>`, the header of a nested block.
    Subtest(String),
    /// Any other `# ...` line; the text after `# `.
    Diagnostic(String),
}

impl fmt::Display for KtapLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KtapLine::Version => f.write_str("KTAP version 1"),
            KtapLine::Plan(n) => write!(f, "1..{n}"),
            KtapLine::Result(result) => result.fmt(f),
            KtapLine::Subtest(name) => write!(f, "# Subtest: {name}"),
            KtapLine::Diagnostic(text) => fmt_diagnostic(f, text),
        }
    }
}

/// Writes `# <text>` with control characters escaped: diagnostics can quote
/// raw console output, which must not smuggle in terminal escapes or line
/// breaks that would change the document's structure. For the same reason
/// the phrases at which kunit.py stops reading (a quoted `reboot: System
/// halted` would end the document there) lose their colon to `\x3a`.
fn fmt_diagnostic(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("#")?;
    if !text.is_empty() {
        f.write_str(" ")?;
    }
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            escaped.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            escaped.push(c);
        }
    }
    for marker in END_MARKERS {
        if escaped.contains(marker) {
            escaped = escaped.replace(marker, &marker.replacen(':', "\\x3a", 1));
        }
    }
    f.write_str(&escaped)
}

/// A KTAP line and how deeply it is nested (0 = top level).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    pub depth: usize,
    pub line: KtapLine,
}

/// Recognises a KTAP-shaped console line; anything else (boot log lines such
/// as `[    0.012345] pikern: ...`, panic reports) gives `None`.
///
/// Depth is the indentation in 4-space steps, rounded up so that a line
/// indented by 2 (as some TAP producers do) still counts as nested; a tab
/// counts as one step.
pub fn parse_line(raw: &str) -> Option<Classified> {
    let raw = raw.trim_end_matches(['\r', '\n']);
    let body = raw.trim_start_matches([' ', '\t']);
    let indent = &raw[..raw.len() - body.len()];
    let columns: usize = indent.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum();
    let depth = columns.div_ceil(4);
    let line = parse_body(body.trim_end())?;
    Some(Classified { depth, line })
}

fn parse_body(body: &str) -> Option<KtapLine> {
    if body == "KTAP version 1" || body == "TAP version 13" || body == "TAP version 14" {
        return Some(KtapLine::Version);
    }
    if let Some(text) = body.strip_prefix('#') {
        let text = text.strip_prefix(' ').unwrap_or(text);
        if let Some(name) = text.strip_prefix("Subtest:") {
            return Some(KtapLine::Subtest(name.trim().to_string()));
        }
        return Some(KtapLine::Diagnostic(text.to_string()));
    }
    if let Some(count) = body.strip_prefix("1..") {
        // A plan may carry a trailing comment (`1..0 # SKIP ...`).
        let count = count.split('#').next().unwrap_or("").trim();
        return count.parse().ok().map(KtapLine::Plan);
    }
    let (ok, rest) = if let Some(rest) = body.strip_prefix("not ok ") {
        (false, rest)
    } else if let Some(rest) = body.strip_prefix("ok ") {
        (true, rest)
    } else {
        return None;
    };
    let rest = rest.trim_start();
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let number = rest[..digits].parse().ok()?;
    let rest = &rest[digits..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None; // `ok 12abc` is prose, not a result
    }
    // The name never contains `#`, so the first one starts the directive.
    let (name, directive) = match rest.split_once('#') {
        Some((name, directive)) => (name, Some(Directive::parse(directive))),
        None => (rest, None),
    };
    let name = name.trim();
    // TAP allows `ok 1 - name`; KTAP names have no leading dash.
    let name = name.strip_prefix("- ").unwrap_or(name).trim();
    Some(KtapLine::Result(TestResult {
        ok,
        number,
        name: name.to_string(),
        directive,
    }))
}

/// One line inside a suite's nested block, in the order the kernel printed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockItem {
    /// The suite's plan, `1..N`.
    Plan(usize),
    /// A test's result.
    Test(TestResult),
    /// A diagnostic, usually the reason for the failure just above it.
    Diagnostic(String),
    /// A deeper line; `depth` is relative to the block (1 = one level more).
    Nested { depth: usize, line: KtapLine },
}

/// Why the host runner, not the kernel, ended a suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abort {
    /// A deadline passed; QEMU was killed.
    Timeout,
    /// QEMU exited (crash, panic) before the suite's result line.
    Error,
}

/// Everything known about one suite: its nested block, the kernel's own
/// result line if it printed one, and what the runner had to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuiteReport {
    /// 1-based position among the selected suites.
    pub number: usize,
    pub name: String,
    /// The nested block as the kernel printed it (header lines excluded).
    pub items: Vec<BlockItem>,
    /// Diagnostics added by the runner, printed at the end of the block:
    /// inconsistencies it found, timeout/crash reasons, console lines.
    pub notes: Vec<String>,
    /// Top-level diagnostics the kernel printed between the block and the
    /// result line (KUnit's `# suite: pass:1 fail:0 ...`).
    pub trailer: Vec<String>,
    /// The kernel's result line; `None` when the runner had to end the suite.
    pub reported: Option<TestResult>,
    /// Set when the runner ended the suite.
    pub abort: Option<Abort>,
}

impl SuiteReport {
    /// A suite that the runner had to end, with whatever block was printed.
    pub fn aborted(number: usize, name: String, items: Vec<BlockItem>, abort: Abort) -> Self {
        SuiteReport {
            number,
            name,
            items,
            notes: Vec::new(),
            trailer: Vec::new(),
            reported: None,
            abort: Some(abort),
        }
    }

    /// The nested tests' result lines.
    pub fn tests(&self) -> impl Iterator<Item = &TestResult> {
        self.items.iter().filter_map(|item| match item {
            BlockItem::Test(test) => Some(test),
            _ => None,
        })
    }

    /// The plan the suite announced, if it printed one.
    pub fn plan(&self) -> Option<usize> {
        self.items.iter().rev().find_map(|item| match item {
            BlockItem::Plan(n) => Some(*n),
            _ => None,
        })
    }

    /// Tally of the nested tests alone.
    pub fn nested_counts(&self) -> Counts {
        self.tests().fold(Counts::default(), |sum, test| {
            sum + match test.outcome() {
                Outcome::Pass => Counts::passed(1),
                Outcome::Fail => Counts::failed(1),
                Outcome::Skip => Counts::skipped(1),
            }
        })
    }

    /// How many tests the plan promised but the block lacks (0 without plan).
    pub fn missing_results(&self) -> usize {
        self.plan()
            .map_or(0, |plan| plan.saturating_sub(self.tests().count()))
    }

    /// The suite's verdict. The kernel's word is not trusted alone: an `ok`
    /// suite with a failed nested test, or with fewer results than its plan,
    /// has failed, and a `not ok` suite has failed whatever its tests say.
    pub fn outcome(&self) -> Outcome {
        if self.abort.is_some() || self.nested_counts().failed > 0 || self.missing_results() > 0 {
            return Outcome::Fail;
        }
        match &self.reported {
            None => Outcome::Fail,
            Some(result) => result.outcome(),
        }
    }

    /// Tally of leaf tests, with the suite itself standing in where its
    /// tests do not show its verdict: a TIMEOUT/ERROR adds one failure on top
    /// of its nested results; a failed suite with no failed nested test adds
    /// one failure; a suite without nested tests counts as one test.
    pub fn counts(&self) -> Counts {
        let nested = self.nested_counts();
        let no_tests = self.tests().next().is_none();
        nested
            + match self.outcome() {
                Outcome::Fail if self.abort.is_some() || nested.failed == 0 => Counts::failed(1),
                Outcome::Pass if no_tests => Counts::passed(1),
                Outcome::Skip if no_tests => Counts::skipped(1),
                _ => Counts::default(),
            }
    }

    /// The outer result line to print: the verdict of [`Self::outcome`],
    /// with TIMEOUT/ERROR for aborted suites and the kernel's SKIP kept.
    pub fn result_line(&self) -> TestResult {
        let directive = match self.abort {
            Some(Abort::Timeout) => Some(Directive::Timeout),
            Some(Abort::Error) => Some(Directive::Error),
            None => self.reported.as_ref().and_then(|r| r.directive.clone()),
        };
        TestResult {
            ok: self.outcome() != Outcome::Fail,
            number: self.number,
            name: ktap_name(&self.name),
            directive,
        }
    }

    /// Notes on where the kernel's own result disagrees with the block, so
    /// that the re-emitted document explains a verdict it changed.
    fn consistency_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let Some(reported) = &self.reported else {
            return notes;
        };
        let failed = self.nested_counts().failed;
        if reported.outcome() != Outcome::Fail && failed > 0 {
            notes.push(format!(
                "{}: the kernel reported the suite `{}` but {failed} nested test(s) failed; counted as failed",
                self.name,
                if reported.ok { "ok" } else { "skipped" },
            ));
        }
        let missing = self.missing_results();
        if missing > 0 {
            notes.push(format!(
                "{}: plan announced {} test(s) but {missing} result(s) are missing",
                self.name,
                self.plan().unwrap_or(0),
            ));
        }
        if reported.name != self.name && !reported.name.is_empty() {
            notes.push(format!(
                "{}: the kernel's result line names it `{}`",
                self.name, reported.name
            ));
        }
        notes
    }

    /// The nested failure line the runner adds when its verdict counts a
    /// failure that no nested result shows (see [`Self::counts`]): a
    /// TIMEOUT or ERROR, missing results, or the kernel's own `not ok`.
    /// kunit.py sums nested results only, so without this line it would
    /// count the suite as passed. Its name says why.
    fn verdict_test(&self) -> Option<(&'static str, Option<Directive>)> {
        let nested = self.nested_counts();
        if self.tests().next().is_none()
            || self.outcome() != Outcome::Fail
            || (self.abort.is_none() && nested.failed > 0)
        {
            return None;
        }
        Some(match self.abort {
            Some(Abort::Timeout) => ("timeout", Some(Directive::Timeout)),
            Some(Abort::Error) => ("error", Some(Directive::Error)),
            None if self.missing_results() > 0 => ("missing_results", None),
            None => ("suite_verdict", None),
        })
    }

    /// For each item, whether a deeper line must be quoted rather than
    /// re-emitted: the lines a test printed below its result level form a
    /// subtest block that kunit.py checks like any other, so they are kept
    /// as KTAP only when they end in their test's result line and pass
    /// [`kunit_check`] on their own. The rest (the unfinished block of a
    /// suite that hung) become diagnostics.
    fn quoted_nested(&self) -> Vec<bool> {
        let mut quoted = vec![false; self.items.len()];
        let mut group: Vec<usize> = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            match item {
                BlockItem::Nested { .. } => group.push(i),
                BlockItem::Test(test) => {
                    if !group.is_empty() && !self.valid_group(&group, test) {
                        group.iter().for_each(|&g| quoted[g] = true);
                    }
                    group.clear();
                }
                _ => {}
            }
        }
        group.iter().for_each(|&g| quoted[g] = true);
        quoted
    }

    /// Whether the deeper lines at `group` and `test`'s result line make a
    /// valid KTAP test on their own.
    fn valid_group(&self, group: &[usize], test: &TestResult) -> bool {
        let mut text = String::from("KTAP version 1\n1..1\n");
        for &i in group {
            if let BlockItem::Nested { depth, line } = &self.items[i] {
                text.push_str(&format!("{}{line}\n", INDENT.repeat(*depth)));
            }
        }
        let result = TestResult {
            number: 1,
            ..ktap_result(test)
        };
        text.push_str(&format!("{result}\n"));
        kunit_check::check(&text).errors.is_empty()
    }

    /// Diagnostics on what the re-emitted block changed from the kernel's
    /// (its plan, its numbering, quoted lines), so that nothing is lost.
    fn render_notes(&self, quoted: &[bool]) -> Vec<String> {
        let mut notes = Vec::new();
        let printed = self.tests().count();
        if let Some(plan) = self.plan() {
            // A completed suite with missing results already has its note.
            if plan != printed && (self.abort.is_some() || plan < printed) {
                notes.push(format!(
                    "{}: the kernel announced 1..{plan} and printed {printed} result(s){}",
                    self.name,
                    if printed > 0 {
                        "; the plan above counts the result lines present"
                    } else {
                        ""
                    }
                ));
            }
        }
        let renumbered: Vec<String> = self
            .tests()
            .enumerate()
            .filter(|(i, t)| t.number != i + 1)
            .map(|(i, t)| format!("{} as {}", i + 1, t.number))
            .collect();
        if !renumbered.is_empty() {
            notes.push(format!(
                "{}: renumbered from 1; the kernel numbered result {}",
                self.name,
                renumbered.join(", ")
            ));
        }
        if quoted.iter().any(|&q| q) {
            notes.push(format!(
                "{}: deeper lines without a complete subtest block are quoted with `|`",
                self.name
            ));
        }
        notes
    }

    /// Appends this suite, nested block then result line, to `out`, in the
    /// form `kunit.py parse` reads without an error whatever the kernel
    /// printed: the block's plan counts the result lines present, they are
    /// numbered from 1, the runner's verdict has its own line
    /// ([`Self::verdict_test`]), and a suite with no result lines at all is
    /// a plain test (a nested block with none is `0 tests run!`).
    pub fn render(&self, out: &mut String) {
        let quoted = self.quoted_nested();
        let verdict = self.verdict_test();
        let count = self.tests().count() + usize::from(verdict.is_some());
        let mut lines: Vec<(usize, KtapLine)> = Vec::new();
        if count > 0 {
            lines.push((1, KtapLine::Version));
            lines.push((1, KtapLine::Subtest(ktap_name(&self.name))));
            lines.push((1, KtapLine::Plan(count)));
        }
        let mut number = 0;
        for (item, &quote) in self.items.iter().zip(&quoted) {
            match item {
                BlockItem::Plan(_) => {}
                BlockItem::Test(test) => {
                    number += 1;
                    let result = TestResult {
                        number,
                        ..ktap_result(test)
                    };
                    lines.push((1, KtapLine::Result(result)));
                }
                BlockItem::Diagnostic(text) => lines.push((1, KtapLine::Diagnostic(text.clone()))),
                BlockItem::Nested { depth, line } if quote => lines.push((
                    1,
                    KtapLine::Diagnostic(format!("| {}{line}", INDENT.repeat(*depth))),
                )),
                BlockItem::Nested { depth, line } => lines.push((1 + depth, line.clone())),
            }
        }
        for note in self.render_notes(&quoted).iter().chain(&self.notes) {
            lines.push((1, KtapLine::Diagnostic(note.clone())));
        }
        if let Some((name, directive)) = verdict {
            lines.push((
                1,
                KtapLine::Result(TestResult {
                    ok: false,
                    number: count,
                    name: name.to_string(),
                    directive,
                }),
            ));
        }
        for text in &self.trailer {
            lines.push((0, KtapLine::Diagnostic(text.clone())));
        }
        lines.push((0, KtapLine::Result(self.result_line())));
        for (depth, line) in lines {
            for _ in 0..depth {
                out.push_str(INDENT);
            }
            out.push_str(&line.to_string());
            out.push('\n');
        }
    }
}

/// A name kunit.py can read back: it takes the text between the number and
/// ` # ` as the name and reads `ok 1` with none as no result at all.
fn ktap_name(name: &str) -> String {
    if name.is_empty() {
        "unnamed".to_string()
    } else {
        name.to_string()
    }
}

/// A nested result as the document prints it: `not ok` whenever the runner
/// counts it failed (`ok 1 x # ERROR` would pass in kunit.py), and never
/// without a name.
fn ktap_result(test: &TestResult) -> TestResult {
    TestResult {
        ok: test.outcome() != Outcome::Fail,
        name: ktap_name(&test.name),
        ..test.clone()
    }
}

/// A whole KTAP document: a title comment, the plan, the suites.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    /// Printed as the first line, `# <title>`.
    pub title: String,
    /// The top-level plan (number of suites).
    pub plan: usize,
    /// Suites in number order.
    pub suites: Vec<SuiteReport>,
    /// Top-level diagnostics about the run as a whole, printed after the
    /// suites.
    pub notes: Vec<String>,
}

impl Document {
    /// Tally of leaf tests over all suites (see [`SuiteReport::counts`]).
    pub fn counts(&self) -> Counts {
        self.suites
            .iter()
            .fold(Counts::default(), |sum, suite| sum + suite.counts())
    }

    /// The suite numbered `number`.
    pub fn suite(&self, number: usize) -> Option<&SuiteReport> {
        self.suites.iter().find(|s| s.number == number)
    }

    /// The suite called `name`.
    pub fn suite_named(&self, name: &str) -> Option<&SuiteReport> {
        self.suites.iter().find(|s| s.name == name)
    }

    /// The KTAP text, ending with `# <label>: pass:X fail:Y skip:Z`.
    pub fn render(&self, label: &str) -> String {
        let mut out = String::new();
        out.push_str(&format!("{}\n", KtapLine::Diagnostic(self.title.clone())));
        out.push_str("KTAP version 1\n");
        out.push_str(&format!("1..{}\n", self.plan));
        for suite in &self.suites {
            suite.render(&mut out);
        }
        for note in &self.notes {
            out.push_str(&format!("{}\n", KtapLine::Diagnostic(note.clone())));
        }
        let c = self.counts();
        out.push_str(&format!(
            "# {label}: pass:{} fail:{} skip:{}\n",
            c.passed, c.failed, c.skipped
        ));
        out
    }
}

/// What feeding one console line to a [`Collector`] revealed; the runner
/// uses these to move its deadlines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The top-level plan `1..N`.
    Plan(usize),
    /// A `# Subtest: <name>` line: a suite began.
    SuiteStarted(String),
    /// The result line of the suite with this number.
    SuiteFinished(usize),
}

/// A nested block whose result line has not been seen yet.
#[derive(Clone, Debug, Default)]
struct OpenBlock {
    name: Option<String>,
    items: Vec<BlockItem>,
    trailer: Vec<String>,
}

/// Builds suite reports from the console of one kernel run, line by line.
///
/// Lines before the top-level plan are ignored, as is anything that is not
/// KTAP-shaped. Depth-0 diagnostics are kept only between a suite's block and
/// its result line (where KUnit puts its per-suite totals).
#[derive(Debug, Default)]
pub struct Collector {
    plan: Option<usize>,
    open: Option<OpenBlock>,
    finished: Vec<SuiteReport>,
}

impl Collector {
    pub fn new() -> Self {
        Self::default()
    }

    /// The top-level plan, once seen.
    pub fn plan(&self) -> Option<usize> {
        self.plan
    }

    /// Suites finished so far, in the order their result lines came.
    pub fn finished(&self) -> &[SuiteReport] {
        &self.finished
    }

    /// The name of the suite whose `# Subtest:` was seen and whose result
    /// line was not.
    pub fn current_suite(&self) -> Option<&str> {
        self.open.as_ref().and_then(|block| block.name.as_deref())
    }

    /// Feeds one raw console line.
    pub fn feed(&mut self, raw: &str) -> Option<Event> {
        let Classified { depth, line } = parse_line(raw)?;
        if self.plan.is_none() {
            if let (0, KtapLine::Plan(n)) = (depth, &line) {
                self.plan = Some(*n);
                return Some(Event::Plan(*n));
            }
            return None;
        }
        match depth {
            0 => self.feed_top(line),
            1 => self.feed_block(line),
            _ => {
                let block = self.open.get_or_insert_with(OpenBlock::default);
                block.items.push(BlockItem::Nested {
                    depth: depth - 1,
                    line,
                });
                None
            }
        }
    }

    fn feed_top(&mut self, line: KtapLine) -> Option<Event> {
        match line {
            KtapLine::Result(result) => {
                let block = self.open.take().unwrap_or_default();
                let number = result.number;
                let name = block.name.unwrap_or_else(|| result.name.clone());
                let mut report = SuiteReport {
                    number,
                    name,
                    items: block.items,
                    notes: Vec::new(),
                    trailer: block.trailer,
                    reported: Some(result),
                    abort: None,
                };
                report.notes = report.consistency_notes();
                self.finished.push(report);
                Some(Event::SuiteFinished(number))
            }
            KtapLine::Diagnostic(text) => {
                if let Some(block) = &mut self.open {
                    block.trailer.push(text);
                }
                None
            }
            KtapLine::Subtest(name) => {
                // Not where KTAP puts it; keep it as the prose it then is,
                // worded so that no parser takes it for a header again.
                if let Some(block) = &mut self.open {
                    block
                        .trailer
                        .push(format!("a `# Subtest: {name}` line at the top level"));
                }
                None
            }
            // A repeated header or plan at the top level carries nothing new.
            KtapLine::Version | KtapLine::Plan(_) => None,
        }
    }

    fn feed_block(&mut self, line: KtapLine) -> Option<Event> {
        match line {
            KtapLine::Version => {
                // KUnit prints `KTAP version 1` before or after `# Subtest:`;
                // only a header after block content starts a new block.
                if self.open.as_ref().is_none_or(|b| !b.items.is_empty()) {
                    self.open = Some(OpenBlock::default());
                }
                None
            }
            KtapLine::Subtest(name) => {
                match &mut self.open {
                    Some(block) if block.name.is_none() && block.items.is_empty() => {
                        block.name = Some(name.clone());
                    }
                    _ => {
                        self.open = Some(OpenBlock {
                            name: Some(name.clone()),
                            ..OpenBlock::default()
                        })
                    }
                }
                Some(Event::SuiteStarted(name))
            }
            KtapLine::Plan(n) => {
                self.block().items.push(BlockItem::Plan(n));
                None
            }
            KtapLine::Result(result) => {
                self.block().items.push(BlockItem::Test(result));
                None
            }
            KtapLine::Diagnostic(text) => {
                self.block().items.push(BlockItem::Diagnostic(text));
                None
            }
        }
    }

    fn block(&mut self) -> &mut OpenBlock {
        self.open.get_or_insert_with(OpenBlock::default)
    }

    /// Ends the run early: the open block, if any, becomes suite `number`
    /// with the given abort reason. Without an open block the suite never
    /// printed its `# Subtest:`, so its name is unknown: `suite<number>`.
    pub fn abort_current(&mut self, number: usize, abort: Abort) -> SuiteReport {
        let block = self.open.take().unwrap_or_default();
        let name = block.name.unwrap_or_else(|| format!("suite{number}"));
        let mut report = SuiteReport::aborted(number, name, block.items, abort);
        report.trailer = block.trailer;
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> Collector {
        let mut collector = Collector::new();
        for line in text.lines() {
            collector.feed(line);
        }
        collector
    }

    const SPEC_EXAMPLE: &str = "\
[    0.001000] pikern: booting on raspi3b
KTAP version 1
1..2
    KTAP version 1
    # Subtest: console
    1..3
    ok 1 prints_a_line
    not ok 2 something
    # something: expected 0, got 17 at tests/kernel/console.rs:120
    ok 3 other # SKIP reason
# console: pass:1 fail:1 skip:1 total:3
not ok 1 console
[    0.200000] pikern: timer ticking
    KTAP version 1
    # Subtest: timer
    1..1
    ok 1 ticks_advance
ok 2 timer
";

    #[test]
    fn parses_result_lines_with_names_and_directives() {
        let line = parse_line("    ok 3 other # SKIP needs user space").unwrap();
        assert_eq!(line.depth, 1);
        assert_eq!(
            line.line,
            KtapLine::Result(TestResult {
                ok: true,
                number: 3,
                name: "other".into(),
                directive: Some(Directive::Skip("needs user space".into())),
            })
        );
        let line = parse_line("not ok 12 fork # TIMEOUT\r").unwrap();
        assert_eq!(line.depth, 0);
        let KtapLine::Result(result) = line.line else {
            panic!("not a result: {line:?}")
        };
        assert!(!result.ok);
        assert_eq!(result.number, 12);
        assert_eq!(result.name, "fork");
        assert_eq!(result.directive, Some(Directive::Timeout));
        assert_eq!(result.outcome(), Outcome::Fail);
    }

    #[test]
    fn skip_wins_over_status_and_timeout_fails_even_if_ok() {
        let parse = |s: &str| match parse_line(s).unwrap().line {
            KtapLine::Result(r) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(parse("not ok 1 a # SKIP no fpu").outcome(), Outcome::Skip);
        assert_eq!(parse("ok 1 a # skip").outcome(), Outcome::Skip);
        assert_eq!(parse("ok 1 a # ERROR").outcome(), Outcome::Fail);
        assert_eq!(parse("ok 1 a # TODO later").outcome(), Outcome::Pass);
        assert_eq!(parse("ok 1 - dashed").name, "dashed");
    }

    #[test]
    fn non_ktap_lines_are_not_recognised() {
        for line in [
            "[    0.012345] pikern: ok 1 looks like a result",
            "Kernel panic - not syncing: oops",
            "okay 1 thing",
            "ok 1x thing",
            "ok",
            "1..x",
            "",
        ] {
            assert_eq!(parse_line(line), None, "{line:?}");
        }
    }

    #[test]
    fn indentation_sets_depth() {
        assert_eq!(parse_line("KTAP version 1").unwrap().depth, 0);
        assert_eq!(parse_line("    1..3").unwrap().depth, 1);
        assert_eq!(parse_line("  1..3").unwrap().depth, 1);
        assert_eq!(parse_line("\t1..3").unwrap().depth, 1);
        assert_eq!(parse_line("        ok 1 case_a").unwrap().depth, 2);
        assert_eq!(
            parse_line("    # Subtest: timer").unwrap().line,
            KtapLine::Subtest("timer".into())
        );
    }

    #[test]
    fn collects_nested_blocks_with_diagnostics_and_skips() {
        let collector = collect(SPEC_EXAMPLE);
        assert_eq!(collector.plan(), Some(2));
        let [console, timer] = collector.finished() else {
            panic!("expected two suites: {:?}", collector.finished())
        };
        assert_eq!((console.number, console.name.as_str()), (1, "console"));
        assert_eq!(console.plan(), Some(3));
        assert_eq!(
            console.items[3],
            BlockItem::Diagnostic(
                "something: expected 0, got 17 at tests/kernel/console.rs:120".into()
            )
        );
        assert_eq!(console.trailer, ["console: pass:1 fail:1 skip:1 total:3"]);
        assert_eq!(console.outcome(), Outcome::Fail);
        assert_eq!(
            console.counts(),
            Counts {
                passed: 1,
                failed: 1,
                skipped: 1
            }
        );
        assert!(console.notes.is_empty(), "{:?}", console.notes);
        assert_eq!((timer.number, timer.name.as_str()), (2, "timer"));
        assert_eq!(timer.outcome(), Outcome::Pass);
        assert_eq!(timer.counts(), Counts::passed(1));
    }

    #[test]
    fn feed_reports_events_for_deadlines() {
        let mut collector = Collector::new();
        let events: Vec<Event> = SPEC_EXAMPLE
            .lines()
            .filter_map(|l| collector.feed(l))
            .collect();
        assert_eq!(
            events,
            [
                Event::Plan(2),
                Event::SuiteStarted("console".into()),
                Event::SuiteFinished(1),
                Event::SuiteStarted("timer".into()),
                Event::SuiteFinished(2),
            ]
        );
    }

    #[test]
    fn lines_before_the_plan_are_ignored() {
        let collector = collect("    ok 1 stray\nok 1 stray\n# noise\nKTAP version 1\n1..1\n");
        assert_eq!(collector.plan(), Some(1));
        assert!(collector.finished().is_empty());
        assert_eq!(collector.current_suite(), None);
    }

    #[test]
    fn ok_suite_with_a_failed_nested_test_is_a_failure() {
        let collector = collect(
            "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: mm\n    1..2\n    ok 1 a\n    not ok 2 b\nok 1 mm\n",
        );
        let mm = &collector.finished()[0];
        assert_eq!(mm.outcome(), Outcome::Fail);
        assert_eq!(
            mm.counts(),
            Counts {
                passed: 1,
                failed: 1,
                skipped: 0
            }
        );
        let line = mm.result_line();
        assert!(!line.ok);
        assert_eq!(line.to_string(), "not ok 1 mm");
        assert!(
            mm.notes[0].contains("reported the suite `ok`"),
            "{:?}",
            mm.notes
        );
    }

    #[test]
    fn missing_results_fail_an_ok_suite_once() {
        let collector = collect(
            "KTAP version 1\n1..1\n    # Subtest: sched\n    1..3\n    ok 1 a\nok 1 sched\n",
        );
        let sched = &collector.finished()[0];
        assert_eq!(sched.missing_results(), 2);
        assert_eq!(sched.outcome(), Outcome::Fail);
        assert_eq!(
            sched.counts(),
            Counts {
                passed: 1,
                failed: 1,
                skipped: 0
            }
        );
        assert!(
            sched.notes[0].contains("2 result(s) are missing"),
            "{:?}",
            sched.notes
        );
    }

    #[test]
    fn not_ok_suite_without_failed_tests_counts_one_failure() {
        let collector =
            collect("KTAP version 1\n1..2\n    # Subtest: a\n    1..1\n    ok 1 t\nnot ok 1 a\nnot ok 2 b\n");
        let [a, b] = collector.finished() else {
            panic!()
        };
        assert_eq!(
            a.counts(),
            Counts {
                passed: 1,
                failed: 1,
                skipped: 0
            }
        );
        // A suite with no nested block at all still has a name and a verdict.
        assert_eq!(b.name, "b");
        assert!(b.items.is_empty());
        assert_eq!(b.counts(), Counts::failed(1));
    }

    #[test]
    fn skipped_suite_without_tests_counts_one_skip() {
        let collector = collect("KTAP version 1\n1..1\nok 1 gic # SKIP not on raspi3b\n");
        let gic = &collector.finished()[0];
        assert_eq!(gic.outcome(), Outcome::Skip);
        assert_eq!(gic.counts(), Counts::skipped(1));
        assert_eq!(
            gic.result_line().to_string(),
            "ok 1 gic # SKIP not on raspi3b"
        );
    }

    #[test]
    fn abort_keeps_the_tests_already_printed() {
        let mut collector = collect(
            "KTAP version 1\n1..3\n    # Subtest: a\n    1..1\n    ok 1 t\nok 1 a\n    KTAP version 1\n    # Subtest: hangs\n    1..2\n    ok 1 first\n",
        );
        assert_eq!(collector.current_suite(), Some("hangs"));
        let report = collector.abort_current(2, Abort::Timeout);
        assert_eq!(report.name, "hangs");
        assert_eq!(report.tests().count(), 1);
        assert_eq!(report.outcome(), Outcome::Fail);
        // The timeout is one failure on top of the passed nested test.
        assert_eq!(
            report.counts(),
            Counts {
                passed: 1,
                failed: 1,
                skipped: 0
            }
        );
        assert_eq!(report.result_line().to_string(), "not ok 2 hangs # TIMEOUT");
        assert_eq!(collector.current_suite(), None);
    }

    #[test]
    fn abort_before_subtest_uses_a_placeholder_name() {
        let mut collector = collect("KTAP version 1\n1..3\n");
        let report = collector.abort_current(3, Abort::Error);
        assert_eq!(report.name, "suite3");
        assert_eq!(report.result_line().to_string(), "not ok 3 suite3 # ERROR");
        assert_eq!(report.counts(), Counts::failed(1));
    }

    #[test]
    fn subtest_printed_before_version_opens_one_block() {
        let collector = collect(
            "KTAP version 1\n1..1\n    # Subtest: irq\n    KTAP version 1\n    1..1\n    ok 1 t\nok 1 irq\n",
        );
        let irq = &collector.finished()[0];
        assert_eq!(irq.name, "irq");
        assert_eq!(irq.tests().count(), 1);
        assert_eq!(irq.outcome(), Outcome::Pass);
    }

    #[test]
    fn deeper_lines_are_kept_but_not_counted() {
        let collector = collect(
            "KTAP version 1\n1..1\n    # Subtest: p\n    1..1\n        KTAP version 1\n        # Subtest: param\n        ok 1 case_a\n        not ok 2 case_b\n    not ok 1 param\nnot ok 1 p\n",
        );
        let p = &collector.finished()[0];
        assert_eq!(p.counts(), Counts::failed(1));
        let mut out = String::new();
        p.render(&mut out);
        assert!(out.contains("\n        not ok 2 case_b\n"), "{out}");
    }

    #[test]
    fn document_renders_clean_ktap_with_a_summary_line() {
        let collector = collect(SPEC_EXAMPLE);
        let doc = Document {
            title: "pikern in-kernel tests on raspi3b".into(),
            plan: 2,
            suites: collector.finished().to_vec(),
            notes: Vec::new(),
        };
        let expected = "\
# pikern in-kernel tests on raspi3b
KTAP version 1
1..2
    KTAP version 1
    # Subtest: console
    1..3
    ok 1 prints_a_line
    not ok 2 something
    # something: expected 0, got 17 at tests/kernel/console.rs:120
    ok 3 other # SKIP reason
# console: pass:1 fail:1 skip:1 total:3
not ok 1 console
    KTAP version 1
    # Subtest: timer
    1..1
    ok 1 ticks_advance
ok 2 timer
# raspi3b: pass:2 fail:1 skip:1
";
        assert_eq!(doc.render("raspi3b"), expected);
    }

    #[test]
    fn rendered_document_parses_back_to_the_same_verdicts() {
        let mut collector = collect(
            "KTAP version 1\n1..2\n    # Subtest: a\n    1..2\n    ok 1 x\n    not ok 2 y\nok 1 a\n    # Subtest: b\n",
        );
        let hung = collector.abort_current(2, Abort::Timeout);
        let mut suites = collector.finished().to_vec();
        suites.push(hung);
        let doc = Document {
            title: "t".into(),
            plan: 2,
            suites,
            notes: vec!["note".into()],
        };
        let reparsed = collect(&doc.render("x"));
        let verdicts: Vec<String> = reparsed
            .finished()
            .iter()
            .map(|s| s.result_line().to_string())
            .collect();
        assert_eq!(verdicts, ["not ok 1 a", "not ok 2 b # TIMEOUT"]);
    }

    #[test]
    fn diagnostics_escape_control_characters() {
        let line = KtapLine::Diagnostic("\x1b[31mred\x1b[0m".into());
        assert_eq!(line.to_string(), "# \\x1b[31mred\\x1b[0m");
        assert_eq!(KtapLine::Diagnostic(String::new()).to_string(), "#");
    }
}
