//! Ties the writer of every trace event to its independent reader, as
//! Linux's `tools/perf/check-headers.sh` ties perf's copies to the kernel:
//! for each event declared in `libkernel::trace::events`, record entries
//! with the kernel's own code (the generated `Entry::pack`, a ring slot),
//! format them with the kernel's formatter, parse the lines back with the
//! tools' hand-written parser (`pikern_tools::trace::format`) and compare
//! every field. A format string that drifts from the spec, a field packed
//! where the formatter does not read it, or a parser that reads a field
//! wrong fails here.

use libkernel::trace::trace_events::{Field, FieldValue as Recorded};
use libkernel::trace::{format_item, Item, Record, Ring, TraceEvent, EVENTS, STATE_PREEMPTED};
use pikern_tools::trace::format::Event;
use pikern_tools::trace::format::{Entry, FieldValue as Parsed};

/// The `prev_state` text the spec gives for a state mask (its own table,
/// not the kernel's helper: shared/spec/ftrace-format.md).
fn spec_state(state: i64) -> String {
    let letters: Vec<&str> = [
        (0x01, "S"),
        (0x02, "D"),
        (0x04, "T"),
        (0x08, "t"),
        (0x10, "X"),
        (0x20, "Z"),
        (0x40, "P"),
        (0x80, "I"),
    ]
    .iter()
    .filter(|(bit, _)| state & bit != 0)
    .map(|(_, l)| *l)
    .collect();
    let plus = if state & i64::from(STATE_PREEMPTED) != 0 {
        "+"
    } else {
        ""
    };
    if letters.is_empty() {
        format!("R{plus}")
    } else {
        format!("{}{plus}", letters.join("|"))
    }
}

const COMMS: [&str; 4] = ["a", "abcdefghijklmno", "swapper/3", "raspbian_fork"];
const FILENAMES: [&str; 3] = [
    "/bin/sh",
    "/a/file/name/of/fifty-five/bytes/which/is/all/that/fits",
    "/x",
];

/// Sample values for a field, edge cases included: 15-byte comms (the
/// longest Linux keeps), pid 0 and the largest pid_t, priorities -1
/// (deadline) to 139 (MAX_PRIO - 1), every prev_state letter, and the
/// values the spec allows for signal_generate. Chosen by the field's
/// Linux name, so an event with new fields gets the generic integers.
fn samples(f: &Field) -> Vec<Recorded<'static>> {
    let ints = |v: &[i64]| v.iter().map(|&n| Recorded::Int(n)).collect();
    let name = f.name;
    if f.array > 0 && f.c_type == "char" {
        let list: &[&'static str] = if f.array == 16 { &COMMS } else { &FILENAMES };
        return list.iter().map(|s| Recorded::Str(s)).collect();
    }
    match name {
        "prev_state" => ints(&[
            0,
            STATE_PREEMPTED.into(),
            0x01,
            0x02,
            0x04,
            0x08,
            0x10,
            0x20,
            0x40,
            0x80,
            0x21,
            0xff,
        ]),
        "sig" => ints(&[1, 17, 64]),
        "errno" => ints(&[0, -22]),
        "code" => ints(&[0, 1, -6, i32::MIN.into(), i32::MAX.into()]),
        "group" => ints(&[0, 1]),
        "result" => ints(&[0, 1, 2, 3, 4]),
        _ if name.ends_with("prio") => ints(&[120, 0, 139, -1, 100]),
        _ if name.ends_with("pid") => ints(&[1, 0, 17120, 4_194_304, i32::MAX.into()]),
        _ if name.ends_with("cpu") => ints(&[0, 3, 127, 1000]),
        _ => ints(&[0, 1, -1, i32::MIN.into(), i32::MAX.into()]),
    }
}

/// Records `values` as event `ev` through a ring slot, as the kernel
/// does, and returns the formatted line (without its newline).
fn record_and_format(ev: &TraceEvent, values: &[Recorded]) -> String {
    let words = (ev.class.pack_sample)(values);
    let ring = Ring::new(2);
    // A slot that held a longer entry before: only the event's own words
    // may be read back.
    ring.push_words(&[u64::MAX; 12]);
    ring.push_words(&[u64::MAX; 12]);
    let comm = u64::from_le_bytes(*b"tester\0\0");
    let head = [
        1_318_514_446_123,
        Record::header_word(42, 0, 0, ev.id),
        comm,
        0,
    ];
    let idx = ring.push_record(&head, &words);
    let rec = ring.get(idx).expect("the record just written");
    let mut line = String::new();
    format_item(&mut line, &Item::Entry(2, rec), None, true);
    assert!(
        line.ends_with('\n') && line.matches('\n').count() == 1,
        "{line:?}"
    );
    line.pop();
    line
}

fn expected(f: &Field, v: &Recorded) -> Parsed {
    match (f.name, v) {
        ("prev_state", Recorded::Int(n)) => Parsed::Text(spec_state(*n)),
        (_, Recorded::Str(s)) => Parsed::Text(s.to_string()),
        (_, Recorded::Int(n)) => Parsed::Int(*n),
    }
}

/// The events the spec (shared/spec/ftrace-format.md) gives a format for:
/// the tools parse these field by field. The others (irq, timer,
/// workqueue, task, raw_syscalls...) must still make lines the tools
/// accept, kept as `Event::Other` with their text.
const SPEC_EVENTS: [&str; 11] = [
    "sched_switch",
    "sched_waking",
    "sched_wakeup",
    "sched_wakeup_new",
    "sched_migrate_task",
    "sched_process_fork",
    "sched_process_exec",
    "sched_process_exit",
    "sched_process_wait",
    "sched_process_free",
    "signal_generate",
];

fn spec_events() -> impl Iterator<Item = &'static TraceEvent> {
    EVENTS.iter().filter(|e| SPEC_EVENTS.contains(&e.name))
}

#[test]
fn events_outside_the_spec_are_kept_whole_by_the_tools() {
    for ev in EVENTS.iter().filter(|e| !SPEC_EVENTS.contains(&e.name)) {
        let values: Vec<Recorded> = ev.class.fields.iter().map(|f| samples(f)[1]).collect();
        let line = record_and_format(ev, &values);
        let entry = Entry::parse(&line, 1)
            .unwrap_or_else(|e| panic!("{}: the tools reject\n{line}\n{e}", ev.name));
        let event = entry.event().expect("an event line");
        assert_eq!(event.name(), ev.name, "{line}");
        assert!(matches!(event, Event::Other { .. }), "{line}");
        assert!(line.ends_with(&event.to_string()), "{line}\n{event}");
    }
}

#[test]
fn every_event_reads_back_field_for_field() {
    assert_eq!(spec_events().count(), SPEC_EVENTS.len());
    for ev in spec_events() {
        let fields = ev.class.fields;
        let lists: Vec<_> = fields.iter().map(samples).collect();
        let cases = lists.iter().map(Vec::len).max().unwrap_or(0);
        for case in 0..cases {
            // Field i takes its sample `case + i`, round robin: every sample
            // of every field is recorded, and two fields with the same
            // samples (orig_cpu, dest_cpu) differ, so a swap shows.
            let mut values: Vec<Recorded> = lists
                .iter()
                .enumerate()
                .map(|(i, l)| l[(case + i) % l.len()])
                .collect();
            // The spec: the child's comm is the parent's, copied at fork.
            let at = |n: &str| fields.iter().position(|f| f.name == n);
            if let (Some(p), Some(c)) = (at("parent_comm"), at("child_comm")) {
                values[c] = values[p];
            }
            let line = record_and_format(ev, &values);
            let entry = Entry::parse(&line, 1)
                .unwrap_or_else(|e| panic!("{}: the tools reject\n{line}\n{e}", ev.name));
            assert_eq!(
                (entry.comm.as_str(), entry.pid, entry.cpu),
                ("tester", 42, 2),
                "{line}"
            );
            let event = entry.event().expect("an event line");
            assert_eq!(event.name(), ev.name, "{line}");
            let parsed = event.fields();
            let names: Vec<&str> = parsed.iter().map(|(n, _)| *n).collect();
            let declared: Vec<&str> = fields.iter().map(|f| f.name).collect();
            let mut sorted = (names.clone(), declared.clone());
            sorted.0.sort();
            sorted.1.sort();
            assert_eq!(
                sorted.0, sorted.1,
                "{}: the tools' fields {names:?} are not the declared {declared:?}",
                ev.name
            );
            for (f, v) in fields.iter().zip(&values) {
                let got = &parsed.iter().find(|(n, _)| *n == f.name).unwrap().1;
                assert_eq!(
                    got,
                    &expected(f, v),
                    "{}.{}: recorded {v:?}, the tools read {got:?} from\n{line}",
                    ev.name,
                    f.name
                );
            }
        }
    }
}

#[test]
fn a_negative_pid_is_refused_by_the_tools() {
    // Linux prints pid_nr(), never negative; the parser holds pids to
    // that, so a kernel hook that records one shows up here.
    for ev in spec_events() {
        let fields = ev.class.fields;
        for (i, f) in fields.iter().enumerate() {
            if f.c_type != "pid_t" {
                continue;
            }
            let values: Vec<Recorded> = fields
                .iter()
                .enumerate()
                .map(|(j, g)| {
                    if j == i {
                        Recorded::Int(-1)
                    } else {
                        samples(g)[0]
                    }
                })
                .collect();
            let line = record_and_format(ev, &values);
            assert!(line.contains("=-1"), "{}.{}: {line}", ev.name, f.name);
            let err = Entry::parse(&line, 1)
                .expect_err(&format!("{}.{} = -1 accepted: {line}", ev.name, f.name));
            assert!(err.contains("=-1"), "{}.{}: {err}", ev.name, f.name);
        }
    }
}

#[test]
fn a_comm_longer_than_linux_keeps_is_cut_to_15_bytes() {
    let ev = EVENTS
        .iter()
        .find(|e| e.name == "sched_process_exit")
        .unwrap();
    let line = record_and_format(
        ev,
        &[
            Recorded::Str("abcdefghijklmnopqrstuvwxyz"),
            Recorded::Int(7),
            Recorded::Int(120),
        ],
    );
    let entry = Entry::parse(&line, 1).unwrap_or_else(|e| panic!("{line}\n{e}"));
    assert_eq!(
        entry.event().unwrap().fields()[0],
        ("comm", Parsed::Text("abcdefghijklmno".into()))
    );
}
