//! The tracer: per-CPU rings merged in time order, no torn entries with
//! concurrent writers, exact lost counts, event enabling and the function
//! filter. Each test restores the tracing state it changed.

use crate::ktest::{Fail, Suite, TestCase, TestResult};
use crate::percpu::{self, NR_CPUS};
use crate::sched::wait::msleep;
use crate::trace;
use crate::trace::ftrace::{self, List};
use alloc::format;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use libkernel::trace::{id, trace_events::FieldValue, Item, Record};

/// Field `name` of a declared event's record (`i64::MIN` if it has no such
/// integer field): shared by the event suites.
pub(super) fn field(r: &Record, name: &str) -> i64 {
    let ev = libkernel::trace::event(r.id).expect("a declared event");
    match ev
        .class
        .fields
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.read(&r.payload))
    {
        Some(FieldValue::Int(v)) => v,
        _ => i64::MIN,
    }
}

/// Every held record of event `ev`, in time order.
pub(super) fn entries(ev: u16) -> Vec<Record> {
    trace::snapshot()
        .into_iter()
        .filter_map(|i| match i {
            Item::Entry(_, r) if r.id == ev => Some(r),
            _ => None,
        })
        .collect()
}

/// Marker entries (`tracing_mark_write`) with a text starting with `tag`.
fn markers(tag: &str) -> Vec<(usize, u64, alloc::string::String)> {
    trace::snapshot()
        .into_iter()
        .filter_map(|i| match i {
            Item::Entry(cpu, r) if r.id == id::PRINT => {
                let n = r
                    .payload
                    .iter()
                    .position(|&b| b == 0)
                    .unwrap_or(r.payload.len());
                let t = alloc::string::String::from_utf8_lossy(&r.payload[..n]).into_owned();
                t.starts_with(tag).then_some((cpu, r.ts, t))
            }
            _ => None,
        })
        .collect()
}

fn mark_here() {
    let t = format!("order cpu{}", percpu::smp_processor_id());
    trace::events::print(t.as_bytes());
}

fn events_from_all_cpus_come_out_in_time_order() -> TestResult {
    trace::clear();
    for round in 0..3 {
        for c in 0..NR_CPUS {
            if c == percpu::smp_processor_id() {
                mark_here();
            } else {
                crate::smp::call_on_cpu(c, mark_here, true);
            }
        }
        let _ = round;
    }
    let m = markers("order");
    kassert_eq!(m.len(), 3 * NR_CPUS);
    kassert!(
        m.windows(2).all(|w| w[0].1 <= w[1].1),
        "timestamps out of order: {m:?}"
    );
    for c in 0..NR_CPUS {
        let on_c: Vec<_> = m.iter().filter(|(cpu, _, _)| *cpu == c).collect();
        kassert_eq!(on_c.len(), 3);
        kassert!(
            on_c.iter().all(|(_, _, t)| *t == format!("order cpu{c}")),
            "cpu{c} entries: {on_c:?}"
        );
    }
    // And the trace file shows them with the right CPU column.
    let text = trace::trace_text();
    kassert!(text.starts_with("# tracer: "), "header missing");
    kassert!(
        text.contains("[002]") && text.contains("tracing_mark_write: order cpu2"),
        "no cpu2 line"
    );
    Ok(())
}

static STOP: AtomicBool = AtomicBool::new(false);

fn writer_body(cpu: usize) -> i32 {
    let mut i = 0u32;
    while !STOP.load(Ordering::Relaxed) {
        let t = format!("torn {cpu} {i:08} {}", "x".repeat((i % 20) as usize));
        trace::events::print(t.as_bytes());
        i += 1;
    }
    0
}

fn concurrent_writers_never_produce_torn_or_duplicate_entries() -> TestResult {
    trace::clear();
    STOP.store(false, Ordering::Relaxed);
    let mut ws = Vec::new();
    for c in 1..NR_CPUS {
        let t = crate::kthread::kthread_run_on(move || writer_body(c), "trace_writer", 1 << c)
            .map_err(|e| Fail::Failed(format!("errno {}", e.0)))?;
        ws.push(t);
    }
    let mut checked = 0usize;
    let end = crate::time::uptime_ns() + 300_000_000;
    while crate::time::uptime_ns() < end {
        let m = markers("torn");
        for c in 1..NR_CPUS {
            let seqs: Vec<u32> = m
                .iter()
                .filter(|(cpu, _, _)| *cpu == c)
                .map(|(_, _, t)| {
                    let mut f = t.split(' ');
                    let (_, who, seq, pad) = (f.next(), f.next(), f.next(), f.next().unwrap_or(""));
                    let seq: u32 = seq.and_then(|s| s.parse().ok()).unwrap_or(u32::MAX);
                    // A torn record would mix two writes: wrong CPU or padding.
                    if who != Some(&*format!("{c}")) || pad.len() != (seq % 20) as usize {
                        u32::MAX
                    } else {
                        seq
                    }
                })
                .collect();
            kassert!(!seqs.contains(&u32::MAX), "a torn entry on cpu{c}");
            kassert!(
                seqs.windows(2).all(|w| w[0] < w[1]),
                "duplicated or reordered entries on cpu{c}"
            );
            checked += seqs.len();
        }
        msleep(5);
    }
    STOP.store(true, Ordering::Relaxed);
    for w in &ws {
        let gone =
            crate::ktest::wait_until(5_000, || crate::pid::find_task_by_pid(w.pid()).is_none());
        kassert!(gone, "writer did not stop");
    }
    kassert!(checked > 0, "no entries were checked");
    trace::clear();
    Ok(())
}

fn lost_counts_are_exact() -> TestResult {
    let old_kb = trace::buffer_size_kb();
    trace::resize(2).map_err(|e| Fail::Failed(format!("resize: errno {}", e.0)))?;
    // 2 KiB holds 21 entries; rings are a power of two.
    let cap = (2 * 1024 / 96usize).next_power_of_two();
    kassert_eq!(trace::buffer_size_kb(), (cap * 96 / 1024) as u64);
    // All from this CPU, with no other event enabled meanwhile.
    let flags = crate::arch::cpu::local_irq_save();
    for i in 0..100 {
        trace::events::print(format!("lost {i}").as_bytes());
    }
    crate::arch::cpu::local_irq_restore(flags);
    let me = percpu::smp_processor_id();
    let items = trace::snapshot();
    let lost: u64 = items
        .iter()
        .filter_map(|i| match i {
            Item::Lost(c, n) if *c == me => Some(*n),
            _ => None,
        })
        .sum();
    let kept = markers("lost");
    let _ = trace::resize(old_kb);
    kassert_eq!(kept.len(), cap);
    kassert_eq!(lost, (100 - cap) as u64);
    kassert_eq!(
        kept.last().map(|k| k.2.clone()),
        Some(alloc::string::String::from("lost 99"))
    );
    Ok(())
}

fn enable_disable_and_function_filter_work() -> TestResult {
    trace::clear();
    let was = trace::event_enabled(id::SCHED_SWITCH);
    trace::set_event(id::SCHED_SWITCH, false);
    msleep(20);
    let switches = |items: &[Item]| {
        items
            .iter()
            .filter(|i| matches!(i, Item::Entry(_, r) if r.id == id::SCHED_SWITCH))
            .count()
    };
    let off = switches(&trace::snapshot());
    trace::set_event(id::SCHED_SWITCH, true);
    msleep(20);
    let on = switches(&trace::snapshot());
    trace::set_event(id::SCHED_SWITCH, was);
    kassert_eq!(off, 0);
    kassert!(on > 0, "no sched_switch recorded while enabled");

    // Function tracer with a filter: only the selected function appears.
    trace::clear();
    ftrace::clear(List::Filter);
    let n = ftrace::apply(List::Filter, "do_exi*").map_err(|e| Fail::Failed(format!("{e:?}")))?;
    kassert!(n >= 1, "do_exi* matched nothing");
    trace::set_current_tracer("function").map_err(|e| Fail::Failed(format!("{e:?}")))?;
    let _ = crate::kthread::kthread_run(|| 0, "ftrace_probe");
    msleep(50);
    trace::set_tracing_on(false);
    let text = trace::trace_text();
    trace::set_tracing_on(true);
    trace::set_current_tracer("nop").map_err(|e| Fail::Failed(format!("{e:?}")))?;
    ftrace::clear(List::Filter);
    trace::clear();
    kassert!(text.contains(" do_exit+0x"), "no do_exit line:\n{text}");
    kassert!(
        !text.contains(" __schedule+0x"),
        "filtered-out function traced"
    );
    kassert!(
        text.starts_with("# tracer: function") || text.contains("# tracer: nop"),
        "bad header"
    );
    Ok(())
}

fn tracefs_files_configure_tracing() -> TestResult {
    let read = |p: &str| -> Result<alloc::string::String, Fail> {
        let f = crate::fs::open("/", p.as_bytes(), 0, 0)
            .map_err(|e| Fail::Failed(format!("open {p}: {}", e.0)))?;
        let mut buf = alloc::vec![0u8; 4096];
        let n = f
            .read(&mut buf)
            .map_err(|e| Fail::Failed(format!("read {p}: {}", e.0)))?;
        Ok(alloc::string::String::from_utf8_lossy(&buf[..n]).into_owned())
    };
    let write = |p: &str, s: &str| -> Result<(), Fail> {
        let f = crate::fs::open("/", p.as_bytes(), 1, 0)
            .map_err(|e| Fail::Failed(format!("open {p}: {}", e.0)))?;
        f.write(s.as_bytes())
            .map(|_| ())
            .map_err(|e| Fail::Failed(format!("write {p}: {}", e.0)))
    };
    write(
        "/sys/kernel/tracing/events/signal/signal_generate/enable",
        "1",
    )?;
    kassert_eq!(
        read("/sys/kernel/tracing/events/signal/signal_generate/enable")?.as_str(),
        "1\n"
    );
    kassert!(
        read("/sys/kernel/tracing/set_event")?.contains("signal:signal_generate"),
        "set_event"
    );
    write("/sys/kernel/tracing/set_event", "!signal:signal_generate")?;
    kassert_eq!(
        read("/sys/kernel/tracing/events/signal/enable")?.as_str(),
        "0\n"
    );
    write("/sys/kernel/tracing/trace_marker", "hello marker")?;
    kassert!(
        read("/sys/kernel/tracing/trace")?.contains("tracing_mark_write: hello marker"),
        "marker not in trace"
    );
    kassert!(
        write("/sys/kernel/tracing/current_tracer", "bogus").is_err(),
        "bad tracer accepted"
    );
    kassert_eq!(read("/sys/kernel/tracing/tracing_on")?.as_str(), "1\n");
    Ok(())
}

fn every_event_has_its_format_and_id_file() -> TestResult {
    for ev in libkernel::trace::all_events() {
        let dir = format!("/sys/kernel/tracing/events/{}/{}", ev.system, ev.name);
        let read = |file: &str| -> Result<alloc::string::String, Fail> {
            let p = format!("{dir}/{file}");
            let f = crate::fs::open("/", p.as_bytes(), 0, 0)
                .map_err(|e| Fail::Failed(format!("open {p}: {}", e.0)))?;
            let mut text = alloc::vec::Vec::new();
            let mut buf = [0u8; 256];
            // Small reads: a reader that goes through the file in pieces
            // gets it whole.
            loop {
                let n = f
                    .read(&mut buf)
                    .map_err(|e| Fail::Failed(format!("read {p}: {}", e.0)))?;
                if n == 0 {
                    break;
                }
                text.extend_from_slice(&buf[..n]);
            }
            Ok(alloc::string::String::from_utf8_lossy(&text).into_owned())
        };
        let format = read("format")?;
        let head = format!("name: {}\nID: {}\nformat:\n", ev.name, ev.id);
        kassert!(format.starts_with(&head), "{dir}/format starts:\n{format}");
        let fmt = format!("\nprint fmt: \"{}\"", ev.class.fmt);
        kassert!(
            format.contains(&fmt),
            "{dir}/format has no `{fmt}`:\n{format}"
        );
        kassert_eq!(format, ev.format_file());
        kassert_eq!(read("id")?, format!("{}\n", ev.id));
    }
    Ok(())
}

fn mark_raw() {
    let t = format!("raw cpu{}", percpu::smp_processor_id());
    trace::events::print(t.as_bytes());
}

/// Opens a tracefs file (`O_NONBLOCK` if asked).
fn open_tracefs(p: &str, nonblock: bool) -> Result<alloc::sync::Arc<crate::fs::File>, Fail> {
    let flags = if nonblock {
        libkernel::uapi::O_NONBLOCK
    } else {
        0
    };
    crate::fs::open("/", p.as_bytes(), flags, 0)
        .map_err(|e| Fail::Failed(format!("open {p}: {}", e.0)))
}

fn trace_pipe_raw_gives_linux_pages_and_consumes_them() -> TestResult {
    use libkernel::trace::ring_buffer_page::{header_page, parse_page, PAGE_SIZE};
    trace::clear();
    let cpu = NR_CPUS - 1;
    for _ in 0..3 {
        if cpu == percpu::smp_processor_id() {
            mark_raw();
        } else {
            crate::smp::call_on_cpu(cpu, mark_raw, true);
        }
    }
    let p = format!("/sys/kernel/tracing/per_cpu/cpu{cpu}/trace_pipe_raw");
    let f = open_tracefs(&p, true)?;
    // Read in small pieces: the file hands out one page across reads.
    let mut page = Vec::new();
    let mut buf = [0u8; 1000];
    while page.len() < PAGE_SIZE {
        let n = f
            .read(&mut buf)
            .map_err(|e| Fail::Failed(format!("read {p}: {}", e.0)))?;
        kassert!(n > 0, "{p}: short page ({} bytes)", page.len());
        page.extend_from_slice(&buf[..n]);
    }
    kassert_eq!(page.len(), PAGE_SIZE);
    let (events, missed) = parse_page(&page).ok_or(Fail::Failed(format!("{p}: malformed page")))?;
    kassert_eq!(missed, None);
    let want = format!("raw cpu{cpu}\0");
    let ours: Vec<_> = events
        .iter()
        .filter(|e| e.data[..2] == id::PRINT.to_le_bytes())
        .collect();
    kassert_eq!(ours.len(), 3);
    for e in &ours {
        // struct print_entry: ip at 8, then the text.
        kassert!(
            e.data[16..].starts_with(want.as_bytes()),
            "entry text {:?}",
            &e.data[16..]
        );
    }
    kassert!(ours.windows(2).all(|w| w[0].ts <= w[1].ts), "times go back");
    // Consumed: nothing more, and O_NONBLOCK says so at once.
    let again = f.read(&mut buf);
    kassert!(
        matches!(again, Err(crate::errno::EAGAIN)),
        "second read: {again:?}"
    );
    // The text trace_pipe shares the consumed index.
    kassert!(
        !trace::consume().contains(&format!("raw cpu{cpu}")),
        "trace_pipe saw them again"
    );
    // The files that describe the pages.
    let read_all = |p: &str| -> Result<alloc::string::String, Fail> {
        let f = open_tracefs(p, false)?;
        let mut b = alloc::vec![0u8; 4096];
        let n = f
            .read(&mut b)
            .map_err(|e| Fail::Failed(format!("read {p}: {}", e.0)))?;
        Ok(alloc::string::String::from_utf8_lossy(&b[..n]).into_owned())
    };
    kassert_eq!(
        read_all("/sys/kernel/tracing/events/header_page")?,
        header_page()
    );
    kassert!(
        read_all("/sys/kernel/tracing/events/header_event")?
            .starts_with("# compressed entry header\n"),
        "header_event"
    );
    let print = read_all("/sys/kernel/tracing/events/ftrace/print/format")?;
    kassert!(
        print.starts_with(&format!("name: print\nID: {}\n", id::PRINT)),
        "{print}"
    );
    kassert!(
        open_tracefs(
            &format!("/sys/kernel/tracing/per_cpu/cpu{NR_CPUS}/trace_pipe_raw"),
            true
        )
        .is_err(),
        "a CPU that does not exist has a buffer"
    );
    Ok(())
}

fn late_marker() -> i32 {
    msleep(100);
    trace::events::print(b"raw late");
    0
}

fn trace_pipe_raw_blocks_until_there_is_a_page() -> TestResult {
    use libkernel::trace::ring_buffer_page::{parse_page, PAGE_SIZE};
    trace::clear();
    let cpu = NR_CPUS - 1;
    let p = format!("/sys/kernel/tracing/per_cpu/cpu{cpu}/trace_pipe_raw");
    let f = open_tracefs(&p, false)?;
    let t = crate::kthread::kthread_run_on(late_marker, "trace_late", 1 << cpu)
        .map_err(|e| Fail::Failed(format!("errno {}", e.0)))?;
    let start = crate::time::uptime_ns();
    let mut page = alloc::vec![0u8; PAGE_SIZE];
    let n = f
        .read(&mut page)
        .map_err(|e| Fail::Failed(format!("read {p}: {}", e.0)))?;
    let waited = crate::time::uptime_ns() - start;
    kassert_eq!(n, PAGE_SIZE);
    kassert!(
        waited >= 50_000_000,
        "the read returned after {waited} ns, before the entry"
    );
    let (events, _) = parse_page(&page).ok_or(Fail::Failed(format!("{p}: malformed page")))?;
    kassert!(
        events
            .iter()
            .any(|e| e.data[16..].starts_with(b"raw late\0")),
        "the page lacks the entry it waited for"
    );
    let gone = crate::ktest::wait_until(5_000, || crate::pid::find_task_by_pid(t.pid()).is_none());
    kassert!(gone, "the marker thread did not end");
    Ok(())
}

/// The tracer suite.
pub const SUITE: Suite = Suite {
    name: "trace",
    cases: &[
        TestCase {
            name: "events_from_all_cpus_come_out_in_time_order",
            run: events_from_all_cpus_come_out_in_time_order,
        },
        TestCase {
            name: "concurrent_writers_never_produce_torn_or_duplicate_entries",
            run: concurrent_writers_never_produce_torn_or_duplicate_entries,
        },
        TestCase {
            name: "lost_counts_are_exact",
            run: lost_counts_are_exact,
        },
        TestCase {
            name: "enable_disable_and_function_filter_work",
            run: enable_disable_and_function_filter_work,
        },
        TestCase {
            name: "tracefs_files_configure_tracing",
            run: tracefs_files_configure_tracing,
        },
        TestCase {
            name: "every_event_has_its_format_and_id_file",
            run: every_event_has_its_format_and_id_file,
        },
        TestCase {
            name: "trace_pipe_raw_gives_linux_pages_and_consumes_them",
            run: trace_pipe_raw_gives_linux_pages_and_consumes_them,
        },
        TestCase {
            name: "trace_pipe_raw_blocks_until_there_is_a_page",
            run: trace_pipe_raw_blocks_until_there_is_a_page,
        },
    ],
    manual: false,
};
