//! Event bodies, `<name>: <fields>`: one type and one parser per event,
//! each holding the fields to the event's `TP_printk` format
//! (shared/spec/ftrace-format.md), and the value rules the spec adds.

use alloc::{
    format,
    string::{String, ToString},
    vec,
    vec::Vec,
};

use core::fmt;

use super::line::{check_comm, parse_cpu, parse_int};

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

/// A parsed field's value (see [`Event::fields`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    Int(i64),
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
            None => core::mem::take(&mut rest),
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

/// A value `split_fields` has already checked.
fn num<T: core::str::FromStr>(name: &str, text: &str) -> Result<T, String> {
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

    /// The fields by their Linux names (`TP_STRUCT__entry`'s, which the
    /// text may print under another: `group` as `grp=`), as parsed; empty
    /// for a trace marker or an unknown event. `prev_state` is its text.
    pub fn fields(&self) -> Vec<(&'static str, FieldValue)> {
        use FieldValue::{Int, Text};
        let t = |s: &str| Text(s.to_string());
        let n = |v: i64| Int(v);
        match self {
            Event::Switch(s) => vec![
                ("prev_comm", t(&s.prev_comm)),
                ("prev_pid", n(s.prev_pid.into())),
                ("prev_prio", n(s.prev_prio.into())),
                ("prev_state", Text(s.prev_state.to_string())),
                ("next_comm", t(&s.next_comm)),
                ("next_pid", n(s.next_pid.into())),
                ("next_prio", n(s.next_prio.into())),
            ],
            Event::Wakeup(w) => vec![
                ("comm", t(&w.comm)),
                ("pid", n(w.pid.into())),
                ("prio", n(w.prio.into())),
                ("target_cpu", n(w.target_cpu.into())),
            ],
            Event::Migrate(m) => vec![
                ("comm", t(&m.comm)),
                ("pid", n(m.pid.into())),
                ("prio", n(m.prio.into())),
                ("orig_cpu", n(m.orig_cpu.into())),
                ("dest_cpu", n(m.dest_cpu.into())),
            ],
            Event::Fork(f) => vec![
                ("parent_comm", t(&f.comm)),
                ("parent_pid", n(f.pid.into())),
                ("child_comm", t(&f.child_comm)),
                ("child_pid", n(f.child_pid.into())),
            ],
            Event::Process(p) => vec![
                ("comm", t(&p.comm)),
                ("pid", n(p.pid.into())),
                ("prio", n(p.prio.into())),
            ],
            Event::Exec(e) => vec![
                ("filename", t(&e.filename)),
                ("pid", n(e.pid.into())),
                ("old_pid", n(e.old_pid.into())),
            ],
            Event::Signal(s) => vec![
                ("sig", n(s.sig.into())),
                ("errno", n(s.errno.into())),
                ("code", n(s.code.into())),
                ("comm", t(&s.comm)),
                ("pid", n(s.pid.into())),
                ("group", n(s.grp.into())),
                ("result", n(s.res.into())),
            ],
            Event::Mark(_) | Event::Other { .. } => Vec::new(),
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
