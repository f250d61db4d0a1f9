//! The ftrace text format (shared/spec/ftrace-format.md): typed lines, a
//! parser that holds every line to the spec byte for byte, and rendering
//! back to the same bytes.
//!
//! Rendering exists so that `perfetto` can rewrite a trace (sanitised comms,
//! synthesised `sched_waking` lines) without re-implementing the format, and
//! so that the round trip `parse -> render` can be tested to give the input
//! back unchanged: that round trip is what keeps the parser and the spec's
//! printf formats in step.
//!
//! Besides the shape of each line, the parser checks the facts the spec
//! states about the whole file: the exact header, timestamps that never go
//! back, the entry count in the header, CPU numbers below `#P`, and the
//! invariants of Linux's tracer (an entry's pid is the task running on that
//! CPU; `sched_switch` is recorded by the task switching out; fork and exit
//! events are recorded by the forking/exiting task).

use std::collections::BTreeMap;
use std::fmt;

/// The line `ftrace_dump()` prints before the dashes.
pub const DUMP_START: &str = "Dumping ftrace buffer:";
/// The 33 dashes around a dump.
pub const DASHES: &str = "---------------------------------";
/// What a dump of an empty buffer holds instead of a trace.
pub const EMPTY_BUFFER: &str = "   (ftrace buffer empty)";

/// The column legend under the entry counts, byte for byte.
pub const LEGEND: [&str; 7] = [
    "#                              _-----=> irqs-off",
    "#                             / _----=> need-resched",
    "#                            | / _---=> hardirq/softirq",
    "#                            || / _--=> preempt-depth",
    "#                            ||| /     delay",
    "#           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION",
    "#              | |       |   ||||       |         |",
];

/// The longest comm Linux keeps (`TASK_COMM_LEN` is 16 with the NUL), which
/// is why `%16s` always leaves at least one space of padding.
pub const MAX_COMM: usize = 15;

/// Number of header lines: tracer, `#`, counts, `#`, legend.
const HEADER_LINES: usize = 4 + LEGEND.len();

/// A problem with one line of a trace (or, with line 0, the whole input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// 1-based line number in the trace text.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A time since boot, in microseconds (the trace's resolution).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn secs(self) -> u64 {
        self.0 / 1_000_000
    }

    pub fn usecs(self) -> u64 {
        self.0 % 1_000_000
    }

    /// `1318.514446`, without the `%5lu` padding, for messages.
    pub fn plain(self) -> String {
        format!("{}.{:06}", self.secs(), self.usecs())
    }
}

impl fmt::Display for Timestamp {
    /// `%5lu.%06lu`, as in the line format.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:5}.{:06}", self.secs(), self.usecs())
    }
}

/// The second flag character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeedResched {
    /// `.`
    No,
    /// `n`: need-resched only.
    NeedResched,
    /// `p`: preempt-resched only.
    PreemptResched,
    /// `N`: both.
    Both,
}

/// The third flag character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqContext {
    /// `.`
    Task,
    /// `h`
    HardIrq,
    /// `s`
    SoftIrq,
    /// `H`: a hard IRQ that interrupted a softirq.
    HardIrqInSoftIrq,
}

/// The four flag characters after the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags {
    pub irqs_off: bool,
    pub need_resched: NeedResched,
    pub context: IrqContext,
    /// 0 prints `.`, 1..=15 a hex digit.
    pub preempt_depth: u8,
}

impl Flags {
    /// Parses the four characters, naming the position that is wrong.
    pub fn parse(text: &str) -> Result<Flags, String> {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() != 4 {
            return Err(format!("flags `{text}` must be 4 characters"));
        }
        let irqs_off = match chars[0] {
            'd' => true,
            '.' => false,
            c => return Err(format!("flag 1 (irqs-off) must be `d` or `.`, found `{c}`")),
        };
        let need_resched = match chars[1] {
            '.' => NeedResched::No,
            'n' => NeedResched::NeedResched,
            'p' => NeedResched::PreemptResched,
            'N' => NeedResched::Both,
            c => {
                return Err(format!(
                    "flag 2 (need-resched) must be `N`, `n`, `p` or `.`, found `{c}`"
                ))
            }
        };
        let context = match chars[2] {
            '.' => IrqContext::Task,
            'h' => IrqContext::HardIrq,
            's' => IrqContext::SoftIrq,
            'H' => IrqContext::HardIrqInSoftIrq,
            c => {
                return Err(format!(
                    "flag 3 (hardirq/softirq) must be `h`, `s`, `H` or `.`, found `{c}`"
                ))
            }
        };
        let preempt_depth = match chars[3] {
            '.' => 0,
            // Lower-case hex only: Linux prints it with `%x`, and 0 is `.`.
            c @ ('1'..='9' | 'a'..='f') => c.to_digit(16).unwrap_or(0) as u8,
            c => {
                return Err(format!(
                    "flag 4 (preempt-depth) must be `1`..`9`, `a`..`f` or `.`, found `{c}`"
                ))
            }
        };
        Ok(Flags {
            irqs_off,
            need_resched,
            context,
            preempt_depth,
        })
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let irqs = if self.irqs_off { 'd' } else { '.' };
        let resched = match self.need_resched {
            NeedResched::No => '.',
            NeedResched::NeedResched => 'n',
            NeedResched::PreemptResched => 'p',
            NeedResched::Both => 'N',
        };
        let context = match self.context {
            IrqContext::Task => '.',
            IrqContext::HardIrq => 'h',
            IrqContext::SoftIrq => 's',
            IrqContext::HardIrqInSoftIrq => 'H',
        };
        let depth = match self.preempt_depth {
            0 => '.',
            d => char::from_digit(u32::from(d.min(15)), 16).unwrap_or('f'),
        };
        write!(f, "{irqs}{resched}{context}{depth}")
    }
}

/// A code address as the function tracer prints it (the `sym-offset`
/// option is on in the seed and by default; off, names stand alone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// `name+0xOFFSET/0xSIZE` (the `sym-offset` option).
    Symbol {
        name: String,
        offset: u64,
        size: u64,
    },
    /// A bare `name`: the `sym-offset` option off.
    Name(String),
    /// `0x%08lx`: an address with no symbol.
    Address(u64),
}

impl Location {
    /// The symbol's name, if the address had one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Location::Symbol { name, .. } | Location::Name(name) => Some(name),
            Location::Address(_) => None,
        }
    }

    pub fn parse(text: &str) -> Result<Location, String> {
        if let Some(hex) = text.strip_prefix("0x").filter(|_| !text.contains('+')) {
            let value = u64::from_str_radix(hex, 16)
                .ok()
                .filter(|_| {
                    hex.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                })
                .ok_or_else(|| format!("`{text}` is not a `0x%08lx` address"))?;
            if format!("0x{value:08x}") != text {
                return Err(format!(
                    "address `{text}` must be printed as `0x%08lx` (`0x{value:08x}`)"
                ));
            }
            return Ok(Location::Address(value));
        }
        let shape = || format!("`{text}` is not `symbol+0xOFFSET/0xSIZE` nor a `0x%08lx` address");
        let is_name = |name: &str| {
            !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == '+' || c == '/')
        };
        let Some((name, numbers)) = text.rsplit_once('+') else {
            return if is_name(text) {
                Ok(Location::Name(text.to_string()))
            } else {
                Err(shape())
            };
        };
        let (offset, size) = numbers.split_once('/').ok_or_else(shape)?;
        let offset = offset
            .strip_prefix("0x")
            .and_then(parse_hex)
            .ok_or_else(shape)?;
        let size = size
            .strip_prefix("0x")
            .and_then(parse_hex)
            .ok_or_else(shape)?;
        if !is_name(name) {
            return Err(format!("`{name}` in `{text}` is not a symbol name"));
        }
        // kallsyms sizes a symbol up to the next one, so an address lies
        // inside it. A return address may equal the end (`offset == size`):
        // a call that never returns can be a function's last instruction,
        // and it is then printed against the caller, as Linux's `%pB` does.
        if offset > size {
            return Err(format!(
                "`{text}`: offset 0x{offset:x} is not inside the symbol's size 0x{size:x}"
            ));
        }
        Ok(Location::Symbol {
            name: name.to_string(),
            offset,
            size,
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Symbol { name, offset, size } => write!(f, "{name}+0x{offset:x}/0x{size:x}"),
            Location::Name(name) => f.write_str(name),
            Location::Address(addr) => write!(f, "0x{addr:08x}"),
        }
    }
}

/// `%lx` as Linux prints it: lower case, no leading zeros (but `0`).
fn parse_hex(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.len() <= 16
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| u64::from_str_radix(text, 16).ok())
        .flatten()
}

/// A function-tracer line: the traced function and where it was called.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionCall {
    pub function: Location,
    /// Absent when the return address was 0 (Linux then omits ` <-...`).
    pub caller: Option<Location>,
}

impl FunctionCall {
    pub fn parse(body: &str) -> Result<FunctionCall, String> {
        let (function, caller) = match body.split_once(" <-") {
            Some((function, caller)) => (function, Some(caller)),
            None => (body, None),
        };
        Ok(FunctionCall {
            function: Location::parse(function)?,
            caller: caller.map(Location::parse).transpose()?,
        })
    }

    /// True if this is `function` called from `caller` (by symbol name).
    pub fn is(&self, function: &str, caller: &str) -> bool {
        self.function.name() == Some(function)
            && self.caller.as_ref().and_then(Location::name) == Some(caller)
    }
}

impl fmt::Display for FunctionCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.function)?;
        if let Some(caller) = &self.caller {
            write!(f, " <-{caller}")?;
        }
        Ok(())
    }
}

/// `prev_state` of `sched_switch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrevState {
    /// The state letters; empty means runnable (`R`).
    pub letters: Vec<char>,
    /// `R+`: preempted while runnable.
    pub preempted: bool,
}

/// The state letters in the order of Linux's `__print_flags` table.
const STATE_LETTERS: [char; 8] = ['S', 'D', 'T', 't', 'X', 'Z', 'P', 'I'];

impl PrevState {
    pub fn runnable() -> PrevState {
        PrevState {
            letters: Vec::new(),
            preempted: false,
        }
    }

    pub fn parse(text: &str) -> Result<PrevState, String> {
        match text {
            "R" => return Ok(PrevState::runnable()),
            "R+" => {
                return Ok(PrevState {
                    letters: Vec::new(),
                    preempted: true,
                })
            }
            _ => {}
        }
        let mut letters = Vec::new();
        let mut last_rank = None;
        for part in text.split('|') {
            let mut chars = part.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return Err(format!(
                    "prev_state `{text}`: expected `R`, `R+` or letters of S D T t X Z P I joined by `|`"
                ));
            };
            let Some(rank) = STATE_LETTERS.iter().position(|&l| l == c) else {
                return Err(format!(
                    "prev_state `{text}`: `{c}` is not a state letter (S D T t X Z P I)"
                ));
            };
            // __print_flags walks its table once, so each letter appears at
            // most once and in table order.
            if last_rank.is_some_and(|last| rank <= last) {
                return Err(format!(
                    "prev_state `{text}`: letters must appear once each, in the order S D T t X Z P I"
                ));
            }
            last_rank = Some(rank);
            letters.push(c);
        }
        Ok(PrevState {
            letters,
            preempted: false,
        })
    }

    /// Still runnable (`R` or `R+`): switched out without sleeping.
    pub fn is_runnable(&self) -> bool {
        self.letters.is_empty()
    }

    pub fn has(&self, letter: char) -> bool {
        self.letters.contains(&letter)
    }

    /// `Z` or `X`: the task's last switch.
    pub fn is_dead(&self) -> bool {
        self.has('Z') || self.has('X')
    }
}

impl fmt::Display for PrevState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.letters.is_empty() {
            return f.write_str(if self.preempted { "R+" } else { "R" });
        }
        for (i, letter) in self.letters.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            write!(f, "{letter}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedSwitch {
    pub prev_comm: String,
    pub prev_pid: u32,
    pub prev_prio: i32,
    pub prev_state: PrevState,
    pub next_comm: String,
    pub next_pid: u32,
    pub next_prio: i32,
}

/// Which of the three wake-up events (they share one body format).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WakeKind {
    Waking,
    Wakeup,
    WakeupNew,
}

impl WakeKind {
    pub fn event_name(self) -> &'static str {
        match self {
            WakeKind::Waking => "sched_waking",
            WakeKind::Wakeup => "sched_wakeup",
            WakeKind::WakeupNew => "sched_wakeup_new",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wakeup {
    pub kind: WakeKind,
    pub comm: String,
    pub pid: u32,
    pub prio: i32,
    pub target_cpu: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrateTask {
    pub comm: String,
    pub pid: u32,
    pub prio: i32,
    pub orig_cpu: u32,
    pub dest_cpu: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessFork {
    pub comm: String,
    pub pid: u32,
    pub child_comm: String,
    pub child_pid: u32,
}

/// The three events with the `comm=%s pid=%d prio=%d` body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessKind {
    Exit,
    Free,
    Wait,
}

impl ProcessKind {
    pub fn event_name(self) -> &'static str {
        match self {
            ProcessKind::Exit => "sched_process_exit",
            ProcessKind::Free => "sched_process_free",
            ProcessKind::Wait => "sched_process_wait",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessEvent {
    pub kind: ProcessKind,
    pub comm: String,
    /// For `sched_process_wait`, the pid waited for (0: any child).
    pub pid: u32,
    pub prio: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessExec {
    pub filename: String,
    pub pid: u32,
    pub old_pid: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalGenerate {
    pub sig: i32,
    pub errno: i32,
    pub code: i32,
    /// The receiver.
    pub comm: String,
    pub pid: u32,
    pub grp: i32,
    /// 0 delivered, 1 ignored, 2 already pending (3, 4: overflow, lost info).
    pub res: i32,
}

/// A trace event body, `<name>: <fields>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Switch(SchedSwitch),
    Wakeup(Wakeup),
    Migrate(MigrateTask),
    Fork(ProcessFork),
    Process(ProcessEvent),
    Exec(ProcessExec),
    Signal(SignalGenerate),
    /// `tracing_mark_write`: the text a user program wrote.
    Mark(String),
    /// An event this tool has no format for, kept verbatim.
    Other {
        name: String,
        fields: String,
    },
}

/// The user-space annotations Perfetto understands in a trace marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Marker<'a> {
    /// `B|<pid>|<name>`: a slice begins.
    Begin { pid: u32, name: &'a str },
    /// `E|<pid>` (or a bare `E`): the innermost slice ends.
    End { pid: Option<u32> },
    /// Anything else.
    Text(&'a str),
}

impl<'a> Marker<'a> {
    pub fn parse(text: &'a str) -> Marker<'a> {
        let mut parts = text.splitn(3, '|');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("B"), Some(pid), Some(name)) => match pid.parse() {
                Ok(pid) => Marker::Begin { pid, name },
                Err(_) => Marker::Text(text),
            },
            (Some("E"), None, None) => Marker::End { pid: None },
            // Android also writes `E|pid|name`; the name adds nothing.
            (Some("E"), Some(pid), _) => match pid.parse() {
                Ok(pid) => Marker::End { pid: Some(pid) },
                Err(_) => Marker::Text(text),
            },
            _ => Marker::Text(text),
        }
    }
}

/// How a field's value is printed.
#[derive(Clone, Copy)]
enum Kind {
    /// `%d`
    Int,
    /// `%03d`
    Cpu,
    /// `%s` holding a comm
    Comm,
    /// `%s` holding anything else
    Text,
    /// `%s%s` of prev_state
    State,
}

/// Cuts `text` into the values of `fields`, each `(literal before it, kind)`.
/// A value runs up to the first occurrence of the next literal, so a comm
/// may hold spaces; each value is then checked against its printf format.
fn split_fields<'t>(text: &'t str, fields: &[(&str, Kind)]) -> Result<Vec<&'t str>, String> {
    let mut values = Vec::with_capacity(fields.len());
    let mut rest = text;
    for (i, (literal, kind)) in fields.iter().enumerate() {
        rest = rest
            .strip_prefix(literal)
            .ok_or_else(|| format!("expected `{}` at `{}`", literal.trim_start(), preview(rest)))?;
        let value = match fields.get(i + 1) {
            Some((next, _)) => {
                let end = rest
                    .find(next)
                    .ok_or_else(|| format!("missing `{}`", next.trim()))?;
                let value = &rest[..end];
                rest = &rest[end..];
                value
            }
            None => std::mem::take(&mut rest),
        };
        let name = literal.trim_start().trim_start_matches("==> ");
        check_value(name, value, *kind)?;
        values.push(value);
    }
    Ok(values)
}

fn preview(text: &str) -> String {
    let mut cut: String = text.chars().take(24).collect();
    if cut.len() < text.len() {
        cut.push_str("...");
    }
    cut
}

fn check_value(name: &str, value: &str, kind: Kind) -> Result<(), String> {
    match kind {
        Kind::Int => parse_int::<i64>(value)
            .map(|_| ())
            .ok_or_else(|| format!("`{name}{value}`: expected a decimal number (%d)")),
        Kind::Cpu => parse_cpu(value)
            .map(|_| ())
            .ok_or_else(|| format!("`{name}{value}`: expected a CPU number as %03d")),
        Kind::Comm => check_comm(value).map_err(|why| format!("`{name}{value}`: {why}")),
        Kind::Text if value.is_empty() => Err(format!("`{name}` is empty")),
        Kind::Text => Ok(()),
        Kind::State => PrevState::parse(value).map(|_| ()),
    }
}

fn check_comm(comm: &str) -> Result<(), String> {
    if comm.is_empty() {
        return Err("the comm is empty".to_string());
    }
    if comm.len() > MAX_COMM {
        return Err(format!(
            "comm is {} bytes; Linux keeps at most {MAX_COMM} (TASK_COMM_LEN 16)",
            comm.len()
        ));
    }
    Ok(())
}

/// `%d`: an optional `-`, digits, no leading zeros.
fn parse_int<T: std::str::FromStr>(text: &str) -> Option<T> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && text != "-0";
    canonical.then(|| text.parse().ok()).flatten()
}

/// `%03d` of a non-negative number: at least three digits, zero-padded.
fn parse_cpu(text: &str) -> Option<u32> {
    let cpu: u32 = text
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())
        .flatten()?;
    (format!("{cpu:03}") == text).then_some(cpu)
}

/// A value `split_fields` has already checked.
fn num<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, String> {
    parse_int(text).ok_or_else(|| format!("`{name}={text}` is out of range"))
}

impl Event {
    /// The event's name, as printed before `: `.
    pub fn name(&self) -> &str {
        match self {
            Event::Switch(_) => "sched_switch",
            Event::Wakeup(w) => w.kind.event_name(),
            Event::Migrate(_) => "sched_migrate_task",
            Event::Fork(_) => "sched_process_fork",
            Event::Process(p) => p.kind.event_name(),
            Event::Exec(_) => "sched_process_exec",
            Event::Signal(_) => "signal_generate",
            Event::Mark(_) => "tracing_mark_write",
            Event::Other { name, .. } => name,
        }
    }

    /// Parses the fields of event `name` (the text after `name: `).
    pub fn parse(name: &str, fields: &str) -> Result<Event, String> {
        use Kind::*;
        let wake_kind = match name {
            "sched_waking" => Some(WakeKind::Waking),
            "sched_wakeup" => Some(WakeKind::Wakeup),
            "sched_wakeup_new" => Some(WakeKind::WakeupNew),
            _ => None,
        };
        let process_kind = match name {
            "sched_process_exit" => Some(ProcessKind::Exit),
            "sched_process_free" => Some(ProcessKind::Free),
            "sched_process_wait" => Some(ProcessKind::Wait),
            _ => None,
        };
        let event = if let Some(kind) = wake_kind {
            let v = split_fields(
                fields,
                &[
                    ("comm=", Comm),
                    (" pid=", Int),
                    (" prio=", Int),
                    (" target_cpu=", Cpu),
                ],
            )?;
            Event::Wakeup(Wakeup {
                kind,
                comm: v[0].to_string(),
                pid: num("pid", v[1])?,
                prio: num("prio", v[2])?,
                target_cpu: parse_cpu(v[3]).unwrap_or_default(),
            })
        } else if let Some(kind) = process_kind {
            let v = split_fields(fields, &[("comm=", Comm), (" pid=", Int), (" prio=", Int)])?;
            Event::Process(ProcessEvent {
                kind,
                comm: v[0].to_string(),
                pid: num("pid", v[1])?,
                prio: num("prio", v[2])?,
            })
        } else {
            match name {
                "sched_switch" => {
                    let v = split_fields(
                        fields,
                        &[
                            ("prev_comm=", Comm),
                            (" prev_pid=", Int),
                            (" prev_prio=", Int),
                            (" prev_state=", State),
                            (" ==> next_comm=", Comm),
                            (" next_pid=", Int),
                            (" next_prio=", Int),
                        ],
                    )?;
                    Event::Switch(SchedSwitch {
                        prev_comm: v[0].to_string(),
                        prev_pid: num("prev_pid", v[1])?,
                        prev_prio: num("prev_prio", v[2])?,
                        prev_state: PrevState::parse(v[3])?,
                        next_comm: v[4].to_string(),
                        next_pid: num("next_pid", v[5])?,
                        next_prio: num("next_prio", v[6])?,
                    })
                }
                "sched_migrate_task" => {
                    let v = split_fields(
                        fields,
                        &[
                            ("comm=", Comm),
                            (" pid=", Int),
                            (" prio=", Int),
                            (" orig_cpu=", Int),
                            (" dest_cpu=", Int),
                        ],
                    )?;
                    Event::Migrate(MigrateTask {
                        comm: v[0].to_string(),
                        pid: num("pid", v[1])?,
                        prio: num("prio", v[2])?,
                        orig_cpu: num("orig_cpu", v[3])?,
                        dest_cpu: num("dest_cpu", v[4])?,
                    })
                }
                "sched_process_fork" => {
                    let v = split_fields(
                        fields,
                        &[
                            ("comm=", Comm),
                            (" pid=", Int),
                            (" child_comm=", Comm),
                            (" child_pid=", Int),
                        ],
                    )?;
                    Event::Fork(ProcessFork {
                        comm: v[0].to_string(),
                        pid: num("pid", v[1])?,
                        child_comm: v[2].to_string(),
                        child_pid: num("child_pid", v[3])?,
                    })
                }
                "sched_process_exec" => {
                    let v = split_fields(
                        fields,
                        &[("filename=", Text), (" pid=", Int), (" old_pid=", Int)],
                    )?;
                    Event::Exec(ProcessExec {
                        filename: v[0].to_string(),
                        pid: num("pid", v[1])?,
                        old_pid: num("old_pid", v[2])?,
                    })
                }
                "signal_generate" => {
                    let v = split_fields(
                        fields,
                        &[
                            ("sig=", Int),
                            (" errno=", Int),
                            (" code=", Int),
                            (" comm=", Comm),
                            (" pid=", Int),
                            (" grp=", Int),
                            (" res=", Int),
                        ],
                    )?;
                    Event::Signal(SignalGenerate {
                        sig: num("sig", v[0])?,
                        errno: num("errno", v[1])?,
                        code: num("code", v[2])?,
                        comm: v[3].to_string(),
                        pid: num("pid", v[4])?,
                        grp: num("grp", v[5])?,
                        res: num("res", v[6])?,
                    })
                }
                "tracing_mark_write" => Event::Mark(fields.to_string()),
                _ => Event::Other {
                    name: name.to_string(),
                    fields: fields.to_string(),
                },
            }
        };
        event.check_ranges()?;
        Ok(event)
    }

    /// The value rules the spec states beyond the printf formats.
    fn check_ranges(&self) -> Result<(), String> {
        let prio = |name: &str, prio: i32| {
            // 0..=139 are the kernel priorities; -1 is what deadline tasks show.
            if (-1..=139).contains(&prio) {
                Ok(())
            } else {
                Err(format!(
                    "`{name}={prio}` is not a kernel priority (-1..=139)"
                ))
            }
        };
        match self {
            Event::Switch(s) => {
                prio("prev_prio", s.prev_prio)?;
                prio("next_prio", s.next_prio)
            }
            Event::Wakeup(w) => prio("prio", w.prio),
            Event::Migrate(m) => prio("prio", m.prio),
            Event::Fork(f) if f.child_comm != f.comm => Err(format!(
                "child_comm `{}` differs from comm `{}`; the child's comm is copied from the parent at fork",
                f.child_comm, f.comm
            )),
            Event::Process(p) => prio("prio", p.prio),
            Event::Signal(s) => {
                if !(1..=64).contains(&s.sig) {
                    Err(format!("`sig={}` is not a signal number (1..=64)", s.sig))
                } else if s.errno > 0 {
                    Err(format!("`errno={}`: errno values are 0 or negative", s.errno))
                } else if !(0..=1).contains(&s.grp) {
                    Err(format!("`grp={}` must be 0 or 1", s.grp))
                } else if !(0..=4).contains(&s.res) {
                    Err(format!(
                        "`res={}` is not a TRACE_SIGNAL_* result (0 delivered, 1 ignored, 2 already pending, 3, 4)",
                        s.res
                    ))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Replaces every comm in the body (for Perfetto, which splits on spaces).
    pub fn map_comms(&mut self, f: impl Fn(&str) -> String) {
        match self {
            Event::Switch(s) => {
                s.prev_comm = f(&s.prev_comm);
                s.next_comm = f(&s.next_comm);
            }
            Event::Wakeup(w) => w.comm = f(&w.comm),
            Event::Migrate(m) => m.comm = f(&m.comm),
            Event::Fork(p) => {
                p.comm = f(&p.comm);
                p.child_comm = f(&p.child_comm);
            }
            Event::Process(p) => p.comm = f(&p.comm),
            Event::Signal(s) => s.comm = f(&s.comm),
            Event::Exec(_) | Event::Mark(_) | Event::Other { .. } => {}
        }
    }
}

impl fmt::Display for Event {
    /// The whole body, `name: fields`, per the spec's TP_printk formats.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.name())?;
        match self {
            Event::Switch(s) => write!(
                f,
                "prev_comm={} prev_pid={} prev_prio={} prev_state={} ==> next_comm={} next_pid={} next_prio={}",
                s.prev_comm, s.prev_pid, s.prev_prio, s.prev_state, s.next_comm, s.next_pid, s.next_prio
            ),
            Event::Wakeup(w) => write!(
                f,
                "comm={} pid={} prio={} target_cpu={:03}",
                w.comm, w.pid, w.prio, w.target_cpu
            ),
            Event::Migrate(m) => write!(
                f,
                "comm={} pid={} prio={} orig_cpu={} dest_cpu={}",
                m.comm, m.pid, m.prio, m.orig_cpu, m.dest_cpu
            ),
            Event::Fork(p) => write!(
                f,
                "comm={} pid={} child_comm={} child_pid={}",
                p.comm, p.pid, p.child_comm, p.child_pid
            ),
            Event::Process(p) => write!(f, "comm={} pid={} prio={}", p.comm, p.pid, p.prio),
            Event::Exec(e) => write!(
                f,
                "filename={} pid={} old_pid={}",
                e.filename, e.pid, e.old_pid
            ),
            Event::Signal(s) => write!(
                f,
                "sig={} errno={} code={} comm={} pid={} grp={} res={}",
                s.sig, s.errno, s.code, s.comm, s.pid, s.grp, s.res
            ),
            Event::Mark(text) => f.write_str(text),
            Event::Other { fields, .. } => f.write_str(fields),
        }
    }
}

/// What follows the context on an entry line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Event(Event),
    Function(FunctionCall),
    /// `<stack trace>` and its ` => ` frames, innermost caller first.
    StackTrace(Vec<Location>),
}

impl Body {
    /// Sorts a body into event, function call or stack trace. A stack
    /// trace's frames come on the following lines and are added later.
    pub fn parse(body: &str) -> Result<Body, String> {
        if body == "<stack trace>" {
            return Ok(Body::StackTrace(Vec::new()));
        }
        if let Some((name, fields)) = body.split_once(": ") {
            let is_event_name =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if is_event_name {
                return Event::parse(name, fields)
                    .map(Body::Event)
                    .map_err(|why| format!("{name}: {why}"));
            }
        }
        FunctionCall::parse(body)
            .map(Body::Function)
            .map_err(|why| {
                format!(
                    "{why}; a body is an event `name: fields`, a function-tracer call \
                 `func+0xOFF/0xSIZE <-caller+0xOFF/0xSIZE`, or `<stack trace>`"
                )
            })
    }

    pub fn event(&self) -> Option<&Event> {
        match self {
            Body::Event(event) => Some(event),
            _ => None,
        }
    }
}

/// One entry: the context columns and the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line number in the trace text.
    pub line: usize,
    /// `<idle>` for pid 0, `<...>` if the tracer no longer knew the name.
    pub comm: String,
    pub pid: u32,
    pub cpu: u32,
    pub flags: Flags,
    pub ts: Timestamp,
    pub body: Body,
}

impl Entry {
    /// Parses one entry line (a stack trace's frames are not part of it).
    pub fn parse(text: &str, line: usize) -> Result<Entry, String> {
        let (comm, pid, cpu, flags, ts, body) = parse_context(text)?;
        let body = Body::parse(body)?;
        Ok(Entry {
            line,
            comm: comm.to_string(),
            pid,
            cpu,
            flags,
            ts,
            body,
        })
    }

    pub fn event(&self) -> Option<&Event> {
        self.body.event()
    }

    pub fn function(&self) -> Option<&FunctionCall> {
        match &self.body {
            Body::Function(call) => Some(call),
            _ => None,
        }
    }

    pub fn stack(&self) -> Option<&[Location]> {
        match &self.body {
            Body::StackTrace(frames) => Some(frames),
            _ => None,
        }
    }

    /// The context columns, up to and including the `: ` before the body.
    pub fn context(&self) -> String {
        format!(
            "{}-{:<5} [{:03}] {} {}: ",
            pad_left(&self.comm, 16),
            self.pid,
            self.cpu,
            self.flags,
            self.ts
        )
    }
}

/// `%16s`: right-aligned by bytes, as C counts.
fn pad_left(text: &str, width: usize) -> String {
    let pad = width.saturating_sub(text.len());
    format!("{}{text}", " ".repeat(pad))
}

impl fmt::Display for Entry {
    /// The entry's line, and for a stack trace its frame lines too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context())?;
        match &self.body {
            Body::Event(event) => write!(f, "{event}"),
            Body::Function(call) => write!(f, "{call}"),
            Body::StackTrace(frames) => {
                f.write_str("<stack trace>")?;
                for frame in frames {
                    write!(f, "\n => {frame}")?;
                }
                Ok(())
            }
        }
    }
}

type Context<'a> = (&'a str, u32, u32, Flags, Timestamp, &'a str);

/// Splits `%16s-%-5d [%03d] FFFF %5lu.%06lu: ` off an entry line, checking
/// every width.
fn parse_context(line: &str) -> Result<Context<'_>, String> {
    let comm_field = line
        .get(..16)
        .filter(|_| line.as_bytes().get(16) == Some(&b'-'))
        .ok_or("the task name must be right-aligned in 16 columns (`%16s`) followed by `-`")?;
    let comm = comm_field.trim_start_matches(' ');
    if comm.is_empty() {
        return Err("the task name is empty".to_string());
    }
    let rest = &line[17..];

    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let pid: u32 = parse_int(&rest[..digits]).ok_or("expected a pid (%d) after `-`")?;
    let width = digits.max(5);
    let pid_field_ok = rest.len() > width
        && rest.as_bytes()[digits..width].iter().all(|&b| b == b' ')
        && rest[width..].starts_with(" [");
    if !pid_field_ok {
        return Err(
            "the pid must be left-aligned in 5 columns (`%-5d`), then ` [` and the CPU".to_string(),
        );
    }
    let rest = &rest[width + 2..];

    let (cpu, rest) = rest
        .split_once("] ")
        .ok_or("expected `] ` after the CPU number")?;
    let cpu =
        parse_cpu(cpu).ok_or_else(|| format!("CPU `[{cpu}]` must be `%03d`, like `[003]`"))?;

    let flags = rest.get(..4).ok_or("expected the 4 flag characters")?;
    let flags = Flags::parse(flags)?;
    let rest = rest[4..]
        .strip_prefix(' ')
        .ok_or("expected one space after the 4 flag characters")?;

    let (secs_field, rest) = rest
        .split_once('.')
        .ok_or("expected the timestamp `%5lu.%06lu`")?;
    let secs: u64 = parse_int(secs_field.trim_start_matches(' '))
        .filter(|secs| format!("{secs:5}") == secs_field)
        .ok_or_else(|| {
            format!("timestamp seconds `{secs_field}` must be `%5lu` (right-aligned in 5 columns)")
        })?;
    let usecs = rest
        .get(..6)
        .filter(|u| u.bytes().all(|b| b.is_ascii_digit()))
        .ok_or("timestamp microseconds must be 6 digits (`%06lu`)")?;
    let body = rest[6..]
        .strip_prefix(": ")
        .ok_or("expected `: ` after the timestamp's 6 microsecond digits")?;
    if body.is_empty() {
        return Err("the body after the timestamp is empty".to_string());
    }
    let usecs: u64 = usecs.parse().unwrap_or(0);
    let ts = secs
        .checked_mul(1_000_000)
        .map(|us| Timestamp(us + usecs))
        .ok_or("timestamp out of range")?;

    // Linux prints pid 0 as `<idle>` whatever the idle task's comm is.
    if pid == 0 && comm != "<idle>" {
        return Err(format!(
            "pid 0 (the idle task) prints as `<idle>-0`, not `{comm}-0`"
        ));
    }
    if pid != 0 && comm == "<idle>" {
        return Err(format!("`<idle>` is only for pid 0, not pid {pid}"));
    }
    if comm != "<idle>" && comm != "<...>" {
        check_comm(comm)?;
    }
    Ok((comm, pid, cpu, flags, ts, body))
}

/// The header block: tracer and entry counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub tracer: String,
    pub entries_in_buffer: u64,
    pub entries_written: u64,
    /// `#P`: the number of CPUs (0 if the header was unreadable).
    pub cpus: u32,
}

impl fmt::Display for Header {
    /// The 11 header lines, each ending in a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "# tracer: {}", self.tracer)?;
        writeln!(f, "#")?;
        writeln!(
            f,
            "# entries-in-buffer/entries-written: {}/{}   #P:{}",
            self.entries_in_buffer, self.entries_written, self.cpus
        )?;
        writeln!(f, "#")?;
        for line in LEGEND {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// `# entries-in-buffer/entries-written: %lu/%lu   #P:%d`
fn parse_counts(line: &str) -> Option<(u64, u64, u32)> {
    let rest = line.strip_prefix("# entries-in-buffer/entries-written: ")?;
    let (counts, cpus) = rest.split_once("   #P:")?;
    let (held, written) = counts.split_once('/')?;
    Some((parse_int(held)?, parse_int(written)?, parse_int(cpus)?))
}

/// `CPU:%d [LOST %lu EVENTS]`
fn parse_lost(line: &str) -> Option<(u32, u64)> {
    let rest = line.strip_prefix("CPU:")?;
    let (cpu, rest) = rest.split_once(" [LOST ")?;
    let count = rest.strip_suffix(" EVENTS]")?;
    Some((parse_int(cpu)?, parse_int(count)?))
}

/// A `CPU:N [LOST M EVENTS]` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lost {
    pub line: usize,
    pub cpu: u32,
    pub count: u64,
}

/// One line (or, for a stack trace, lines) of the trace after the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    Entry(Entry),
    Lost(Lost),
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses one entry line and checks it renders back to the same bytes.
    fn golden(line: &str) -> Entry {
        let entry = Entry::parse(line, 1).unwrap_or_else(|e| panic!("{line}\n{e}"));
        assert_eq!(entry.to_string(), line);
        entry
    }

    fn event(line: &str) -> Event {
        golden(line).event().cloned().expect("an event")
    }

    fn rejects(line: &str, why: &str) {
        let err = Entry::parse(line, 1).expect_err(line);
        assert!(err.contains(why), "{line}\nexpected `{why}` in: {err}");
    }

    /// A header for `n` entries on 4 CPUs, then `lines`.
    fn trace_of(lines: &[&str]) -> String {
        let header = Header {
            tracer: "nop".into(),
            entries_in_buffer: lines
                .iter()
                .filter(|l| !l.starts_with(" => ") && !l.starts_with("CPU:"))
                .count() as u64,
            entries_written: 500,
            cpus: 4,
        };
        let mut text = header.to_string();
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    fn errors_of(lines: &[&str]) -> Vec<Error> {
        parse_trace(&trace_of(lines)).expect_err("errors")
    }

    const SWITCH: &str = "   raspbian_fork-17120 [003] d...  1318.514446: sched_switch: prev_comm=raspbian_fork prev_pid=17120 prev_prio=120 prev_state=S ==> next_comm=swapper/3 next_pid=0 next_prio=120";

    #[test]
    fn context_columns_follow_the_printf_widths() {
        let e = golden(SWITCH);
        assert_eq!((e.comm.as_str(), e.pid, e.cpu), ("raspbian_fork", 17120, 3));
        assert_eq!(e.ts, Timestamp(1_318_514_446));
        assert_eq!(e.flags.to_string(), "d...");
        assert!(e.flags.irqs_off);
        // The idle task, an unknown name, short pids and 5-digit seconds.
        let e = golden("          <idle>-0     [000] dNh1 12345.000001: sched_wakeup: comm=bash pid=895 prio=120 target_cpu=000");
        assert_eq!(
            (
                e.pid,
                e.flags.need_resched,
                e.flags.context,
                e.flags.preempt_depth
            ),
            (0, NeedResched::Both, IrqContext::HardIrq, 1)
        );
        let e = golden("           <...>-42    [001] .ps.     0.000000: sched_process_free: comm=kworker/0:1 pid=42 prio=120");
        assert_eq!(
            (e.comm.as_str(), e.flags.need_resched, e.flags.context),
            ("<...>", NeedResched::PreemptResched, IrqContext::SoftIrq)
        );
        let e =
            golden("    kworker/u8:0-17108 [002] .nHf 123456.654321: tracing_mark_write: hello");
        assert_eq!(
            (e.flags.context, e.flags.preempt_depth),
            (IrqContext::HardIrqInSoftIrq, 15)
        );
    }

    #[test]
    fn sched_switch_fields_and_prev_state() {
        let Event::Switch(s) = event(SWITCH) else {
            panic!()
        };
        assert_eq!(
            (
                s.prev_comm.as_str(),
                s.prev_pid,
                s.prev_prio,
                s.next_comm.as_str(),
                s.next_pid,
                s.next_prio
            ),
            ("raspbian_fork", 17120, 120, "swapper/3", 0, 120)
        );
        assert_eq!(s.prev_state.letters, ['S']);
        for (state, runnable, dead) in [
            ("R", true, false),
            ("R+", true, false),
            ("Z", false, true),
            ("X", false, true),
            ("D", false, false),
            ("S|D", false, false),
            ("I", false, false),
            ("P", false, false),
            ("t", false, false),
            ("T", false, false),
        ] {
            let line = SWITCH.replace("prev_state=S", &format!("prev_state={state}"));
            let Event::Switch(s) = event(&line) else {
                panic!()
            };
            assert_eq!(
                (s.prev_state.is_runnable(), s.prev_state.is_dead()),
                (runnable, dead),
                "{state}"
            );
            assert_eq!(s.prev_state.to_string(), state);
        }
        // A comm with a space still splits on the field names.
        let line = "     Web Content-4242  [001] d...    12.000001: sched_switch: prev_comm=Web Content prev_pid=4242 prev_prio=120 prev_state=R+ ==> next_comm=swapper/1 next_pid=0 next_prio=120";
        let Event::Switch(s) = event(line) else {
            panic!()
        };
        assert_eq!(
            (s.prev_comm.as_str(), s.prev_state.preempted),
            ("Web Content", true)
        );
    }

    #[test]
    fn wakeup_events_print_target_cpu_with_three_digits() {
        for name in ["sched_waking", "sched_wakeup", "sched_wakeup_new"] {
            let line = format!("   raspbian_fork-17120 [003] d..1  1318.514130: {name}: comm=raspbian_fork pid=17121 prio=120 target_cpu=002");
            let Event::Wakeup(w) = event(&line) else {
                panic!()
            };
            assert_eq!(
                (w.kind.event_name(), w.pid, w.prio, w.target_cpu),
                (name, 17121, 120, 2)
            );
        }
    }

    #[test]
    fn process_events() {
        let Event::Fork(f) = event("   raspbian_fork-17120 [003] ....  1318.514102: sched_process_fork: comm=raspbian_fork pid=17120 child_comm=raspbian_fork child_pid=17121") else { panic!() };
        assert_eq!(
            (f.pid, f.child_pid, f.child_comm.as_str()),
            (17120, 17121, "raspbian_fork")
        );
        for (name, kind) in [
            ("sched_process_exit", ProcessKind::Exit),
            ("sched_process_free", ProcessKind::Free),
            ("sched_process_wait", ProcessKind::Wait),
        ] {
            let line = format!("   raspbian_fork-17120 [003] ....  1343.333959: {name}: comm=raspbian_fork pid=17120 prio=120");
            let Event::Process(p) = event(&line) else {
                panic!()
            };
            assert_eq!((p.kind, p.pid, p.prio), (kind, 17120, 120));
        }
        let Event::Exec(x) = event("            bash-17120 [003] ....  1318.500200: sched_process_exec: filename=/bin/raspbian_fork pid=17120 old_pid=17120") else { panic!() };
        assert_eq!(
            (x.filename.as_str(), x.pid, x.old_pid),
            ("/bin/raspbian_fork", 17120, 17120)
        );
        let Event::Migrate(m) = event("   raspbian_fork-17120 [003] d..2  1322.514705: sched_migrate_task: comm=kworker/u8:0 pid=17108 prio=120 orig_cpu=2 dest_cpu=3") else { panic!() };
        assert_eq!((m.pid, m.orig_cpu, m.dest_cpu), (17108, 2, 3));
    }

    #[test]
    fn signal_generate_names_the_receiver() {
        let Event::Signal(s) = event("   raspbian_fork-17120 [003] d...  1343.334028: signal_generate: sig=17 errno=0 code=2 comm=bash pid=895 grp=1 res=0") else { panic!() };
        assert_eq!(
            (s.sig, s.errno, s.code, s.comm.as_str(), s.pid, s.grp, s.res),
            (17, 0, 2, "bash", 895, 1, 0)
        );
    }

    #[test]
    fn trace_marker_text_and_atrace_slices() {
        let Event::Mark(text) = event("   raspbian_fork-17120 [003] ....  1318.514300: tracing_mark_write: B|17120|raspbian_proc_process") else { panic!() };
        assert_eq!(
            Marker::parse(&text),
            Marker::Begin {
                pid: 17120,
                name: "raspbian_proc_process"
            }
        );
        assert_eq!(Marker::parse("E|17120"), Marker::End { pid: Some(17120) });
        assert_eq!(Marker::parse("E"), Marker::End { pid: None });
        assert_eq!(
            Marker::parse("About to fork process"),
            Marker::Text("About to fork process")
        );
        // Any other event is kept verbatim.
        let e = event("          <idle>-0     [000] d.h.    10.000000: irq_handler_entry: irq=11 name=arch_timer");
        assert_eq!(
            e,
            Event::Other {
                name: "irq_handler_entry".into(),
                fields: "irq=11 name=arch_timer".into()
            }
        );
    }

    #[test]
    fn function_tracer_lines() {
        let e = golden("   raspbian_fork-17120 [003] ....  1318.513909: copy_process+0x14/0x17d8 <-_do_fork+0xb0/0x3ec");
        let call = e.function().unwrap();
        assert!(call.is("copy_process", "_do_fork"));
        assert_eq!(
            call.function,
            Location::Symbol {
                name: "copy_process".into(),
                offset: 0x14,
                size: 0x17d8
            }
        );
        let e = golden(
            "   raspbian_fork-17120 [003] ....  1318.513909: 0xffffff8008081234 <-el0_svc+0x8/0x80",
        );
        assert_eq!(
            e.function().unwrap().function,
            Location::Address(0xffff_ff80_0808_1234)
        );
        let e = golden("   raspbian_fork-17120 [003] ....  1318.513909: do_exit+0x14/0xc18");
        assert_eq!(e.function().unwrap().caller, None);
        assert_eq!(Location::parse("0x00001000"), Ok(Location::Address(0x1000)));
        // With the sym-offset option off, names stand alone.
        let e = golden("   raspbian_fork-17120 [003] ....  1318.513909: copy_process <-_do_fork");
        assert!(e.function().unwrap().is("copy_process", "_do_fork"));
        assert_eq!(
            Location::parse("do_group_exit+0xe4/0xe4").unwrap().name(),
            Some("do_group_exit")
        );
        for bad in [
            "_do_fork+0xb0",
            "x+0x14/0x10",
            "x+0X14/0x100",
            "x+0x014/0x100",
            "0x1234",
            "0x000000001234",
            "+0x0/0x4",
            "x+14/0x100",
            "a b",
        ] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_whole_trace_with_stack_traces_and_lost_events() {
        let text = trace_of(&[
            "   raspbian_fork-17120 [003] ....  1318.513909: copy_process+0x14/0x17d8 <-_do_fork+0xb0/0x3ec",
            "   raspbian_fork-17120 [003] ....  1318.513921: <stack trace>",
            " => _do_fork+0xb0/0x3ec",
            " => sys_clone+0x30/0x40",
            " => el0_svc+0x0/0x80",
            "CPU:2 [LOST 3 EVENTS]",
            SWITCH,
        ]);
        let trace = parse_trace(&text).unwrap();
        assert_eq!(
            trace.header,
            Header {
                tracer: "nop".into(),
                entries_in_buffer: 3,
                entries_written: 500,
                cpus: 4
            }
        );
        assert_eq!(trace.records.len(), 4);
        let stack = trace.entries().nth(1).unwrap().stack().unwrap();
        let names: Vec<_> = stack.iter().filter_map(Location::name).collect();
        assert_eq!(names, ["_do_fork", "sys_clone", "el0_svc"]);
        assert_eq!(
            trace.records[2],
            Record::Lost(Lost {
                line: 17,
                cpu: 2,
                count: 3
            })
        );
        assert_eq!(trace.render(), text);
    }

    #[test]
    fn the_spec_header_is_the_rendered_header() {
        let spec = "# tracer: function\n#\n# entries-in-buffer/entries-written: 140/140   #P:4\n#\n#                              _-----=> irqs-off\n#                             / _----=> need-resched\n#                            | / _---=> hardirq/softirq\n#                            || / _--=> preempt-depth\n#                            ||| /     delay\n#           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION\n#              | |       |   ||||       |         |\n";
        let header = Header {
            tracer: "function".into(),
            entries_in_buffer: 140,
            entries_written: 140,
            cpus: 4,
        };
        assert_eq!(header.to_string(), spec);
    }

    #[test]
    fn bad_widths_are_named() {
        // The spec's own example drops the %5lu padding before 1318.
        rejects(&SWITCH.replace("d...  1318", "d... 1318"), "must be `%5lu`");
        rejects(&SWITCH[1..], "right-aligned in 16 columns");
        rejects(&format!(" {SWITCH}"), "right-aligned in 16 columns");
        rejects(&SWITCH.replace("-17120 [003]", "-17120  [003]"), "`%-5d`");
        rejects(
            "            bash-895  [001] ....  1318.500000: tracing_mark_write: x",
            "`%-5d`",
        );
        rejects(
            "            bash-0895  [001] ....  1318.500000: tracing_mark_write: x",
            "pid",
        );
        rejects(&SWITCH.replace("[003]", "[3]"), "`%03d`");
        rejects(&SWITCH.replace("[003]", "[0003]"), "`%03d`");
        rejects(&SWITCH.replace(".514446:", ".51444:"), "6 digits");
        rejects(&SWITCH.replace(".514446: ", ".514446 "), "`: `");
        rejects(&SWITCH.replace("d...  ", "d...   "), "`%5lu`");
        rejects(
            "    raspbian_fork-17120 [003] ....  1318.500000: x+0x0/0x4",
            "16 columns",
        );
        rejects(
            "raspbian_fork_lon-17120 [003] ....  1318.500000: x+0x0/0x4",
            "16 columns",
        );
        rejects(
            "         swapper-0     [003] ....  1318.500000: x+0x0/0x4",
            "`<idle>-0`",
        );
        rejects(
            "          <idle>-5     [003] ....  1318.500000: x+0x0/0x4",
            "only for pid 0",
        );
    }

    #[test]
    fn bad_flags_are_named() {
        rejects(&SWITCH.replace("d...", "D..."), "flag 1 (irqs-off)");
        rejects(&SWITCH.replace("d...", "dx.."), "flag 2 (need-resched)");
        rejects(&SWITCH.replace("d...", "d.S."), "flag 3 (hardirq/softirq)");
        rejects(&SWITCH.replace("d...", "d..0"), "flag 4 (preempt-depth)");
        rejects(&SWITCH.replace("d...", "d..A"), "flag 4 (preempt-depth)");
        rejects(&SWITCH.replace("d...  1318", "d..  1318"), "");
    }

    #[test]
    fn known_events_with_unknown_shapes_are_rejected() {
        let with = |body: &str| format!("   raspbian_fork-17120 [003] d...  1318.514446: {body}");
        rejects(&with("sched_switch: prev_comm=a prev_pid=1 prev_prio=120 ==> next_comm=b next_pid=2 next_prio=120"), "missing `prev_state=`");
        rejects(
            &SWITCH.replace("prev_state=S", "prev_state=Q"),
            "not a state letter",
        );
        rejects(
            &SWITCH.replace("prev_state=S", "prev_state=S|S"),
            "in the order",
        );
        rejects(
            &SWITCH.replace("prev_state=S", "prev_state=Z|S"),
            "in the order",
        );
        rejects(
            &SWITCH.replace("prev_state=S", "prev_state=R+|S"),
            "prev_state",
        );
        rejects(
            &SWITCH.replace("prev_state=S", "prev_state=SD"),
            "prev_state",
        );
        rejects(
            &SWITCH.replace("next_prio=120", "next_prio=120 extra"),
            "next_prio=",
        );
        rejects(
            &SWITCH.replace("prev_prio=120", "prev_prio=200"),
            "not a kernel priority",
        );
        rejects(&SWITCH.replace("prev_pid=17120", "prev_pid=017120"), "%d");
        rejects(
            &with("sched_wakeup: comm=bash pid=895 prio=120 target_cpu=0"),
            "%03d",
        );
        rejects(
            &with("sched_wakeup: comm=bash pid=895 prio=120"),
            "missing `target_cpu=`",
        );
        rejects(
            &with("sched_waking: pid=895 comm=bash prio=120 target_cpu=000"),
            "expected `comm=`",
        );
        rejects(
            &with("sched_migrate_task: comm=k pid=1 prio=120 orig_cpu=02 dest_cpu=3"),
            "%d",
        );
        rejects(
            &with(
                "sched_process_fork: comm=raspbian_fork pid=17120 child_comm=bash child_pid=17121",
            ),
            "copied from the parent",
        );
        rejects(
            &with("sched_process_exit: comm=raspbian_fork pid=17120"),
            "missing `prio=`",
        );
        rejects(
            &with("sched_process_exit: comm= pid=17120 prio=120"),
            "empty",
        );
        rejects(
            &with("sched_process_exec: filename=/bin/x pid=1"),
            "missing `old_pid=`",
        );
        rejects(
            &with("signal_generate: sig=17 errno=0 code=1 comm=bash pid=895 grp=1"),
            "missing `res=`",
        );
        rejects(
            &with("signal_generate: sig=99 errno=0 code=1 comm=bash pid=895 grp=1 res=0"),
            "not a signal number",
        );
        rejects(
            &with("signal_generate: sig=17 errno=0 code=1 comm=bash pid=895 grp=1 res=7"),
            "TRACE_SIGNAL_",
        );
        rejects(&with("sched_switch: prev_comm=a_very_long_comm_name prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=b next_pid=2 next_prio=120"), "TASK_COMM_LEN");
        rejects(&with("not an event at all"), "a body is an event");
    }

    #[test]
    fn timestamps_going_back_are_reported_with_both_lines() {
        let errors = errors_of(&[
            "   raspbian_fork-17120 [003] ....  1318.514102: x+0x0/0x4",
            "   raspbian_fork-17121 [002] ....  1318.514101: x+0x0/0x4",
            "   raspbian_fork-17120 [003] ....  1318.514102: x+0x0/0x4",
        ]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, 13);
        assert!(
            errors[0]
                .message
                .contains("goes back before 1318.514102 on line 12"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn header_problems() {
        let good = trace_of(&[SWITCH]);
        let broken = good.replace("||| /     delay", "||| /  delay");
        let errors = parse_trace(&broken).unwrap_err();
        assert_eq!(errors[0].line, 9);
        let errors = parse_trace(&good.replace("1/500   #P:4", "1/500 #P:4")).unwrap_err();
        assert_eq!((errors[0].line, errors.len()), (3, 1));
        let errors = parse_trace(&good.replace("1/500", "2/500")).unwrap_err();
        assert!(
            errors[0].message.contains("says 2 entries"),
            "{}",
            errors[0]
        );
        let errors = parse_trace(&good.replace("1/500", "501/500")).unwrap_err();
        assert!(errors[0].message.contains("more than entries-written"));
        let errors = parse_trace(&good.replace("#P:4", "#P:2")).unwrap_err();
        assert!(
            errors[0].message.contains("CPU 3 is not below #P:2"),
            "{}",
            errors[0]
        );
        let errors = parse_trace(SWITCH).unwrap_err();
        assert!(errors[0].message.contains("header ends early"));
        let errors = parse_trace("").unwrap_err();
        assert!(errors[0].message.contains("empty"));
    }

    #[test]
    fn stray_lines_are_reported() {
        let errors = errors_of(&[" => _do_fork+0xb0/0x3ec", SWITCH]);
        assert!(errors[0].message.contains("must follow a `<stack trace>`"));
        let mut text = trace_of(&[SWITCH]);
        text.push_str("# a comment\n\n");
        let errors = parse_trace(&text).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [13, 14]);
        let errors = parse_trace(&trace_of(&[SWITCH]).replace('\n', "\r\n")).unwrap_err();
        assert!(errors.iter().any(|e| e.message.contains("carriage return")));
        let errors = errors_of(&["CPU:2 [LOST many EVENTS]"]);
        assert!(errors[0].message.contains("CPU:%d [LOST %lu EVENTS]"));
    }

    #[test]
    fn who_runs_where_must_be_consistent() {
        // sched_switch recorded by a task other than prev.
        let errors = errors_of(&[&SWITCH.replace("prev_pid=17120", "prev_pid=17121")]);
        assert!(errors[0]
            .message
            .contains("recorded by the task switching out"));
        // After the switch to idle, the parent may not record on CPU 3 once
        // idle has; a third task never may.
        let errors = errors_of(&[
            "   raspbian_fork-17120 [003] ....  1318.500000: x+0x0/0x4",
            SWITCH,
            "   raspbian_fork-17120 [003] ....  1318.514447: __switch_to+0x0/0x4",
            "          <idle>-0     [003] ....  1318.514448: finish_task_switch+0x0/0x4",
            "   raspbian_fork-17120 [003] ....  1318.514449: x+0x0/0x4",
            "            bash-895   [003] ....  1318.514450: x+0x0/0x4",
        ]);
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [16, 17]);
        assert!(
            errors[0].message.contains("pid 0 runs there since line 13"),
            "{}",
            errors[0]
        );
        // Fork and exit events are recorded by the forking/exiting task.
        let errors = errors_of(&["            bash-895   [001] ....  1318.500000: sched_process_exit: comm=x pid=17120 prio=120"]);
        assert!(errors[0].message.contains("recorded by the exiting task"));
        // A malformed switch costs one error, not one per following line.
        let errors = errors_of(&[
            &SWITCH.replace("prev_state=S", "prev_state=?"),
            "          <idle>-0     [003] ....  1318.514448: x+0x0/0x4",
        ]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        // Lost events make the running task unknown again.
        parse_trace(&trace_of(&[
            SWITCH,
            "CPU:3 [LOST 1 EVENTS]",
            "            bash-895   [003] ....  1318.514450: x+0x0/0x4",
        ]))
        .unwrap();
    }
}
