//! One line of the trace: the context columns (`%16s-%-5d [%03d] FFFF
//! %5lu.%06lu: `), what follows them (an event, a function-tracer call, a
//! stack trace and its frames), and the header and lost-events lines.

use alloc::{
    format,
    string::{String, ToString},
    vec::Vec,
};

use core::fmt;

use super::event::Event;

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

pub(super) fn check_comm(comm: &str) -> Result<(), String> {
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
pub(super) fn parse_int<T: core::str::FromStr>(text: &str) -> Option<T> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && text != "-0";
    canonical.then(|| text.parse().ok()).flatten()
}

/// `%03d` of a non-negative number: at least three digits, zero-padded.
pub(super) fn parse_cpu(text: &str) -> Option<u32> {
    let cpu: u32 = text
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())
        .flatten()?;
    (format!("{cpu:03}") == text).then_some(cpu)
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
pub(super) fn parse_counts(line: &str) -> Option<(u64, u64, u32)> {
    let rest = line.strip_prefix("# entries-in-buffer/entries-written: ")?;
    let (counts, cpus) = rest.split_once("   #P:")?;
    let (held, written) = counts.split_once('/')?;
    Some((parse_int(held)?, parse_int(written)?, parse_int(cpus)?))
}

/// `CPU:%d [LOST %lu EVENTS]`
pub(super) fn parse_lost(line: &str) -> Option<(u32, u64)> {
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
