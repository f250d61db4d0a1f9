//! Event triggers (Linux's `kernel/trace/trace_events_trigger.c`): what
//! `echo 'traceoff:1 if prev_pid == 5' > events/sched/sched_switch/trigger`
//! writes, parsed into a command, a count and an optional filter, and
//! shown back as Linux shows it (`traceoff:count=1 if prev_pid == 5`).

use super::filter::{Filter, ParseError};
use super::trace_events::Field;
use alloc::format;
use alloc::string::String;

/// What a trigger does when its event fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerCmd {
    /// `traceon`: turn recording on.
    TraceOn,
    /// `traceoff`: turn recording off.
    TraceOff,
    /// `snapshot`: swap the live buffer with the snapshot buffer.
    Snapshot,
    /// `stacktrace`: record a stack trace after the event.
    StackTrace,
    /// `enable_event:<sys>:<event>` / `disable_event:...`: soft-enable or
    /// disable another event (its id and whether to enable it).
    EnableEvent(u16, bool),
}

impl TriggerCmd {
    /// Do two triggers count as the same one (one of each per event, as
    /// Linux refuses a second with `EEXIST`; `!` removes it)?
    pub fn same(&self, o: &TriggerCmd) -> bool {
        match (self, o) {
            (TriggerCmd::EnableEvent(a, x), TriggerCmd::EnableEvent(b, y)) => a == b && x == y,
            _ => core::mem::discriminant(self) == core::mem::discriminant(o),
        }
    }
}

/// A parsed trigger.
#[derive(Clone, Debug)]
pub struct Trigger {
    /// What it does.
    pub cmd: TriggerCmd,
    /// How many more times (`-1`: unlimited).
    pub count: i64,
    /// Fires only for records that pass it (`if ...`).
    pub filter: Option<Filter>,
}

/// The commands, as the trigger file lists them when empty.
pub const AVAILABLE: &str =
    "# Available triggers:\n# traceon traceoff snapshot stacktrace enable_event disable_event\n";

/// Why a trigger was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerErr {
    /// Unknown command, bad count, unknown target event (`EINVAL`).
    Invalid,
    /// The `if` part did not parse.
    Filter(ParseError),
}

/// One line written to `trigger`: `(remove, trigger)`. `fields` are the
/// event's own; `find` names another event's id (`enable_event`).
pub fn parse(
    line: &str,
    fields: &[Field],
    find: impl Fn(&str, &str) -> Option<u16>,
) -> Result<(bool, Trigger), TriggerErr> {
    let line = line.trim();
    let (remove, line) = match line.strip_prefix('!') {
        Some(r) => (true, r.trim_start()),
        None => (false, line),
    };
    let (spec, cond) = match line.find(" if ") {
        Some(i) => (&line[..i], Some(line[i + 4..].trim())),
        None => (line.trim_end(), None),
    };
    let mut parts = spec.split(':');
    let name = parts.next().unwrap_or("");
    let cmd = match name {
        "traceon" => TriggerCmd::TraceOn,
        "traceoff" => TriggerCmd::TraceOff,
        "snapshot" => TriggerCmd::Snapshot,
        "stacktrace" => TriggerCmd::StackTrace,
        "enable_event" | "disable_event" => {
            let sys = parts.next().ok_or(TriggerErr::Invalid)?;
            let ev = parts.next().ok_or(TriggerErr::Invalid)?;
            let id = find(sys, ev).ok_or(TriggerErr::Invalid)?;
            TriggerCmd::EnableEvent(id, name == "enable_event")
        }
        _ => return Err(TriggerErr::Invalid),
    };
    let count = match parts.next() {
        None => -1,
        Some(n) => {
            let n: i64 = n.parse().map_err(|_| TriggerErr::Invalid)?;
            if n <= 0 {
                return Err(TriggerErr::Invalid);
            }
            n
        }
    };
    if parts.next().is_some() {
        return Err(TriggerErr::Invalid);
    }
    let filter = match cond {
        Some(c) => Some(Filter::parse(c, fields).map_err(TriggerErr::Filter)?),
        None => None,
    };
    Ok((remove, Trigger { cmd, count, filter }))
}

impl Trigger {
    /// Its line in the `trigger` file; `name_of` gives `sys:event` for an
    /// event id.
    pub fn text(&self, name_of: impl Fn(u16) -> String) -> String {
        let mut s = match self.cmd {
            TriggerCmd::TraceOn => String::from("traceon"),
            TriggerCmd::TraceOff => String::from("traceoff"),
            TriggerCmd::Snapshot => String::from("snapshot"),
            TriggerCmd::StackTrace => String::from("stacktrace"),
            TriggerCmd::EnableEvent(id, on) => format!(
                "{}:{}",
                if on { "enable_event" } else { "disable_event" },
                name_of(id)
            ),
        };
        if self.count < 0 {
            s.push_str(":unlimited");
        } else {
            s.push_str(&format!(":count={}", self.count));
        }
        if let Some(f) = &self.filter {
            s.push_str(" if ");
            s.push_str(f.text());
        }
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::super::{events::id, EVENTS};
    use super::*;

    fn fields() -> &'static [Field] {
        EVENTS
            .iter()
            .find(|e| e.id == id::SCHED_SWITCH)
            .unwrap()
            .class
            .fields
    }

    fn find(sys: &str, ev: &str) -> Option<u16> {
        EVENTS
            .iter()
            .find(|e| e.system == sys && e.name == ev)
            .map(|e| e.id)
    }

    fn name_of(i: u16) -> String {
        let e = EVENTS.iter().find(|e| e.id == i).unwrap();
        format!("{}:{}", e.system, e.name)
    }

    fn shown(line: &str) -> String {
        let (rm, t) = parse(line, fields(), find).unwrap();
        assert!(!rm);
        t.text(name_of)
    }

    #[test]
    fn triggers_read_back_as_linux_shows_them() {
        assert_eq!(shown("traceoff"), "traceoff:unlimited\n");
        assert_eq!(shown("stacktrace:3"), "stacktrace:count=3\n");
        assert_eq!(
            shown("snapshot:1 if prev_pid == 5"),
            "snapshot:count=1 if prev_pid == 5\n"
        );
        assert_eq!(
            shown("enable_event:sched:sched_wakeup:2"),
            "enable_event:sched:sched_wakeup:count=2\n"
        );
        assert_eq!(
            shown("disable_event:sched:sched_wakeup"),
            "disable_event:sched:sched_wakeup:unlimited\n"
        );
        assert_eq!(
            shown("traceon if next_comm ~ \"sh*\""),
            "traceon:unlimited if next_comm ~ \"sh*\"\n"
        );
    }

    #[test]
    fn bang_removes_and_bad_lines_are_refused() {
        let (rm, t) = parse("!traceoff", fields(), find).unwrap();
        assert!(rm && t.cmd == TriggerCmd::TraceOff);
        for bad in [
            "",
            "nosuch",
            "traceoff:0",
            "traceoff:-1",
            "traceoff:x",
            "traceoff:1:2",
            "enable_event:sched",
            "enable_event:sched:nosuch",
        ] {
            assert_eq!(
                parse(bad, fields(), find).unwrap_err(),
                TriggerErr::Invalid,
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse("traceoff if nosuch == 1", fields(), find),
            Err(TriggerErr::Filter(_))
        ));
    }

    #[test]
    fn one_trigger_of_each_kind() {
        let w = find("sched", "sched_wakeup").unwrap();
        assert!(TriggerCmd::TraceOff.same(&TriggerCmd::TraceOff));
        assert!(!TriggerCmd::TraceOff.same(&TriggerCmd::TraceOn));
        assert!(TriggerCmd::EnableEvent(w, true).same(&TriggerCmd::EnableEvent(w, true)));
        assert!(!TriggerCmd::EnableEvent(w, true).same(&TriggerCmd::EnableEvent(w, false)));
    }
}
