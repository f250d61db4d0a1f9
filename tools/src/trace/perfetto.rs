//! A text trace Perfetto's UI and trace_processor load well.
//!
//! The trace is already in the format Perfetto reads; three things are
//! adjusted (shared/spec/ftrace-format.md, "What other tools read"):
//! - `# tracer` must be within the first 128 bytes: the header is written
//!   first, whatever preceded the trace in the input.
//! - Perfetto splits fields on spaces, so a space in a comm (context column
//!   or body) becomes `_`.
//! - Perfetto draws wake-ups from `sched_waking`. A `sched_wakeup` or
//!   `sched_wakeup_new` with no `sched_waking` of the same task since that
//!   task last woke gets one synthesised just before it, with the same
//!   context and fields. (Linux never traces `sched_waking` for a new task,
//!   so without this Perfetto would not show the child's first wake-up.)
//!
//! Everything else is kept. The header's entry counts grow by the
//! synthesised lines so the result still passes `check`.

use std::collections::BTreeSet;

use super::format::{Body, Entry, Event, Record, Trace, WakeKind, Wakeup};

/// `comm` with whitespace replaced by `_`.
pub fn sanitize_comm(comm: &str) -> String {
    comm.chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect()
}

/// What `to_perfetto` changed, for the command's report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub wakings_added: usize,
    pub comms_renamed: usize,
}

/// The Perfetto-ready trace text.
pub fn to_perfetto(trace: &Trace) -> (String, Changes) {
    let mut changes = Changes::default();
    let mut records = Vec::with_capacity(trace.records.len());
    // Tasks with a `sched_waking` not yet followed by their wake-up.
    let mut waking: BTreeSet<u32> = BTreeSet::new();
    for record in &trace.records {
        let Record::Entry(entry) = record else {
            records.push(record.clone());
            continue;
        };
        let mut entry = entry.clone();
        let renamed = sanitize_comm(&entry.comm);
        let mut changed = renamed != entry.comm;
        entry.comm = renamed;
        if let Body::Event(event) = &mut entry.body {
            let before = event.clone();
            event.map_comms(sanitize_comm);
            changed |= *event != before;
        }
        changes.comms_renamed += usize::from(changed);
        if let Some(Event::Wakeup(wake)) = entry.event() {
            match wake.kind {
                WakeKind::Waking => {
                    waking.insert(wake.pid);
                }
                WakeKind::Wakeup | WakeKind::WakeupNew => {
                    if !waking.remove(&wake.pid) {
                        records.push(Record::Entry(synthesized_waking(&entry, wake)));
                        changes.wakings_added += 1;
                    }
                }
            }
        }
        records.push(Record::Entry(entry));
    }
    let mut header = trace.header.clone();
    header.entries_in_buffer += changes.wakings_added as u64;
    header.entries_written += changes.wakings_added as u64;
    let out = Trace { header, records };
    (out.render(), changes)
}

fn synthesized_waking(entry: &Entry, wake: &Wakeup) -> Entry {
    Entry {
        body: Body::Event(Event::Wakeup(Wakeup {
            kind: WakeKind::Waking,
            ..wake.clone()
        })),
        ..entry.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{parse_trace, SEED_TRACE};

    #[test]
    fn a_trace_needing_nothing_comes_back_byte_for_byte() {
        let text = SEED_TRACE
            .lines()
            .filter(|l| !l.contains("sched_wakeup"))
            .collect::<Vec<_>>();
        let removed = SEED_TRACE.lines().count() - text.len();
        let text = text.join("\n") + "\n";
        let total = 73 - removed;
        let text = text.replace("73/73", &format!("{total}/{total}"));
        let (out, changes) = to_perfetto(&parse_trace(&text).unwrap());
        assert_eq!(changes, Changes::default());
        assert_eq!(out, text);
    }

    #[test]
    fn wakeups_without_waking_get_one_just_before() {
        let (out, changes) = to_perfetto(&parse_trace(SEED_TRACE).unwrap());
        // bash's and the child's wakeup_new, and the child's wakeup at 1320.
        assert_eq!(changes.wakings_added, 3);
        assert!(out.starts_with("# tracer: function\n"));
        assert!(out.contains("# entries-in-buffer/entries-written: 76/76   #P:4\n"));
        let lines: Vec<&str> = out.lines().collect();
        let new = lines
            .iter()
            .position(|l| l.contains("sched_wakeup_new: comm=raspbian_fork pid=17121"))
            .unwrap();
        assert_eq!(
            lines[new - 1],
            "   raspbian_fork-17120 [003] d..1  1318.514130: sched_waking: comm=raspbian_fork pid=17121 prio=120 target_cpu=002"
        );
        let again = parse_trace(&out).unwrap();
        assert_eq!(to_perfetto(&again).1.wakings_added, 0);
    }

    #[test]
    fn spaces_in_comms_become_underscores_everywhere() {
        let line = "     Web Content-4242  [001] d...    12.000001: sched_switch: prev_comm=Web Content prev_pid=4242 prev_prio=120 prev_state=R+ ==> next_comm=swapper/1 next_pid=0 next_prio=120";
        let text = format!(
            "{}{line}\n",
            crate::trace::format::Header {
                tracer: "nop".into(),
                entries_in_buffer: 1,
                entries_written: 1,
                cpus: 2
            }
        );
        let (out, changes) = to_perfetto(&parse_trace(&text).unwrap());
        assert_eq!(changes.comms_renamed, 1);
        assert!(out.ends_with(
            "     Web_Content-4242  [001] d...    12.000001: sched_switch: prev_comm=Web_Content prev_pid=4242 prev_prio=120 prev_state=R+ ==> next_comm=swapper/1 next_pid=0 next_prio=120\n"
        ));
    }
}
