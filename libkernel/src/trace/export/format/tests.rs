//! The format's tests, through its public API: lines rendered back to
//! the same bytes, each rule naming what is wrong.

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
    let e = golden("    kworker/u8:0-17108 [002] .nHf 123456.654321: tracing_mark_write: hello");
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
    let e = event(
        "          <idle>-0     [000] d.h.    10.000000: irq_handler_entry: irq=11 name=arch_timer",
    );
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
        &with("sched_process_fork: comm=raspbian_fork pid=17120 child_comm=bash child_pid=17121"),
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
