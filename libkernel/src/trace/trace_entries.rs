//! Entries in Linux's binary layout (Linux's `kernel/trace/trace_entries.h`
//! and `struct trace_entry`): what `trace_pipe_raw` hands to trace-cmd.
//!
//! Every entry starts with the common fields every `format` file lists
//! (`common_type`, `common_flags`, `common_preempt_count`, `common_pid`,
//! [`super::trace_events`]); a declared event's fields follow at the
//! offsets its `format` file gives. The tracer's own entries (function,
//! `trace_marker` text, stack traces) are laid out as Linux's `ftrace`
//! entries, whose `format` files ([`ftrace_format_file`]) live under
//! `events/ftrace/`.

use super::{
    event, id, Record, FLAG_HARDIRQ, FLAG_IRQS_OFF, FLAG_NEED_RESCHED, FLAG_SOFTIRQ, PAYLOAD,
};
use alloc::string::String;
use alloc::vec::Vec;

/// Linux's `TRACE_FLAG_IRQS_OFF` (the `common_flags` bits of
/// `include/linux/trace_events.h`).
pub const TRACE_FLAG_IRQS_OFF: u8 = 0x01;
/// `TRACE_FLAG_NEED_RESCHED`.
pub const TRACE_FLAG_NEED_RESCHED: u8 = 0x04;
/// `TRACE_FLAG_HARDIRQ`.
pub const TRACE_FLAG_HARDIRQ: u8 = 0x08;
/// `TRACE_FLAG_SOFTIRQ`.
pub const TRACE_FLAG_SOFTIRQ: u8 = 0x10;

/// Bytes of `struct trace_entry`: where an event's own fields begin.
pub const TRACE_ENTRY_SIZE: usize = 8;

/// Linux's `FTRACE_STACK_ENTRIES`: `caller[]` slots of a `kernel_stack`.
pub const FTRACE_STACK_ENTRIES: usize = 8;

/// A record's `FLAG_*` bits as Linux's `common_flags`.
pub fn common_flags(flags: u8) -> u8 {
    let mut f = 0;
    for (ours, linux) in [
        (FLAG_IRQS_OFF, TRACE_FLAG_IRQS_OFF),
        (FLAG_NEED_RESCHED, TRACE_FLAG_NEED_RESCHED),
        (FLAG_HARDIRQ, TRACE_FLAG_HARDIRQ),
        (FLAG_SOFTIRQ, TRACE_FLAG_SOFTIRQ),
    ] {
        if flags & ours != 0 {
            f |= linux;
        }
    }
    f
}

/// The tracer's own entries: `(id, name)`, as `events/ftrace/` lists them.
pub const FTRACE_ENTRIES: [(u16, &str); 5] = [
    (id::FUNCTION, "function"),
    (id::STACK_TRACE, "kernel_stack"),
    (id::PRINT, "print"),
    (id::FUNCGRAPH_ENTRY, "funcgraph_entry"),
    (id::FUNCGRAPH_EXIT, "funcgraph_exit"),
];

const COMMON: &str = "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n\
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n\
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n";

/// `events/ftrace/<name>/format` of a tracer entry, as Linux prints it
/// (`char` is unsigned on arm64, hence `signed:0` for `buf`).
pub fn ftrace_format_file(name: &str) -> Option<String> {
    let (id, fields, fmt) = match name {
        "function" => (
            id::FUNCTION,
            "\tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;\n\
             \tfield:unsigned long parent_ip;\toffset:16;\tsize:8;\tsigned:0;\n",
            "\" %ps <-- %ps\", (void *)REC->ip, (void *)REC->parent_ip",
        ),
        "kernel_stack" => (
            id::STACK_TRACE,
            "\tfield:int size;\toffset:8;\tsize:4;\tsigned:1;\n\
             \tfield:unsigned long caller[8];\toffset:16;\tsize:64;\tsigned:0;\n",
            "\"\\t=> %ps\\n\\t=> %ps\\n\\t=> %ps\\n\\t=> %ps\\n\\t=> %ps\\n\\t=> %ps\\n\\t=> %ps\\n\\t=> %ps\\n\", \
             (void *)REC->caller[0], (void *)REC->caller[1], (void *)REC->caller[2], \
             (void *)REC->caller[3], (void *)REC->caller[4], (void *)REC->caller[5], \
             (void *)REC->caller[6], (void *)REC->caller[7]",
        ),
        "print" => (
            id::PRINT,
            "\tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;\n\
             \tfield:char buf[];\toffset:16;\tsize:0;\tsigned:0;\n",
            "\"%ps: %s\", (void *)REC->ip, REC->buf",
        ),
        "funcgraph_entry" => (
            id::FUNCGRAPH_ENTRY,
            "\tfield:unsigned long func;\toffset:8;\tsize:8;\tsigned:0;\n\
             \tfield:int depth;\toffset:16;\tsize:4;\tsigned:1;\n",
            "\"--> %ps (%d)\", (void *)REC->func, REC->depth",
        ),
        "funcgraph_exit" => (
            id::FUNCGRAPH_EXIT,
            "\tfield:unsigned long func;\toffset:8;\tsize:8;\tsigned:0;\n\
             \tfield:int depth;\toffset:16;\tsize:4;\tsigned:1;\n\
             \tfield:unsigned int overrun;\toffset:20;\tsize:4;\tsigned:0;\n\
             \tfield:unsigned long long calltime;\toffset:24;\tsize:8;\tsigned:0;\n\
             \tfield:unsigned long long rettime;\toffset:32;\tsize:8;\tsigned:0;\n",
            "\"<-- %ps (%d) (start: %llx  end: %llx) over: %d\", (void *)REC->func, \
             REC->depth, REC->calltime, REC->rettime, REC->depth",
        ),
        _ => return None,
    };
    Some(alloc::format!(
        "name: {name}\nID: {id}\nformat:\n{COMMON}{fields}\nprint fmt: {fmt}\n"
    ))
}

fn word(p: &[u8; PAYLOAD], i: usize) -> u64 {
    u64::from_le_bytes(p[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
}

/// Appends `r` as Linux lays the entry out in the ring buffer: `struct
/// trace_entry`, then the event's fields as its `format` file places
/// them. False (nothing appended) for an id no `format` file describes.
pub fn raw_entry(r: &Record, out: &mut Vec<u8>) -> bool {
    let start = out.len();
    out.extend_from_slice(&r.id.to_le_bytes());
    out.push(common_flags(r.flags));
    out.push(r.preempt);
    out.extend_from_slice(&r.pid.to_le_bytes());
    if let Some(ev) = event(r.id) {
        // As big as the C struct: the last field's end, rounded up to the
        // widest member's alignment.
        let fields = ev.class.fields;
        let end = fields.last().map_or(0, |f| f.offset + f.size);
        let align = fields.iter().map(|f| f.align).max().unwrap_or(1);
        let size = (TRACE_ENTRY_SIZE + end).next_multiple_of(align) - TRACE_ENTRY_SIZE;
        out.extend_from_slice(&r.payload[..size.min(PAYLOAD)]);
        return true;
    }
    match r.id {
        id::FUNCTION => out.extend_from_slice(&r.payload[..16]),
        id::FUNCGRAPH_ENTRY => {
            // func, depth, and the struct's tail padding.
            out.extend_from_slice(&r.payload[..8]);
            out.extend_from_slice(&(word(&r.payload, 1) as i32).to_le_bytes());
            out.extend_from_slice(&[0; 4]);
        }
        id::FUNCGRAPH_EXIT => {
            // Payload: func, calltime, depth, overrun; the return time is
            // the entry's own timestamp.
            out.extend_from_slice(&r.payload[..8]);
            out.extend_from_slice(&(word(&r.payload, 2) as i32).to_le_bytes());
            out.extend_from_slice(&(word(&r.payload, 3) as u32).to_le_bytes());
            out.extend_from_slice(&r.payload[8..16]);
            out.extend_from_slice(&r.ts.to_le_bytes());
        }
        id::PRINT => {
            // `ip` (the caller of trace_marker's write: unknown here), then
            // the text and its NUL.
            out.extend_from_slice(&0u64.to_le_bytes());
            let n = r.payload.iter().position(|&b| b == 0).unwrap_or(PAYLOAD);
            out.extend_from_slice(&r.payload[..n]);
            out.push(0);
        }
        id::STACK_TRACE => {
            let n = word(&r.payload, 0).min(PAYLOAD as u64 / 8 - 1) as usize;
            out.extend_from_slice(&(n as i32).to_le_bytes());
            out.extend_from_slice(&[0; 4]);
            // A stack shorter than the array ends with ULONG_MAX, as
            // Linux's save_stack_trace() ends it (readers stop there).
            for i in 0..FTRACE_STACK_ENTRIES {
                let a = match i.cmp(&n) {
                    core::cmp::Ordering::Less => word(&r.payload, 1 + i),
                    core::cmp::Ordering::Equal => u64::MAX,
                    core::cmp::Ordering::Greater => 0,
                };
                out.extend_from_slice(&a.to_le_bytes());
            }
        }
        _ => {
            out.truncate(start);
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::{events, PayloadWriter, EVENTS};
    use super::*;

    fn rec(id: u16, payload: [u8; PAYLOAD]) -> Record {
        Record {
            ts: 5,
            pid: 42,
            flags: FLAG_IRQS_OFF | FLAG_HARDIRQ,
            preempt: 2,
            id,
            comm: [0; 16],
            payload,
        }
    }

    #[test]
    fn common_fields_are_where_every_format_file_says() {
        let mut out = Vec::new();
        assert!(raw_entry(&rec(id::SCHED_WAKEUP, [0; PAYLOAD]), &mut out));
        assert_eq!(&out[..2], &id::SCHED_WAKEUP.to_le_bytes());
        assert_eq!(out[2], TRACE_FLAG_IRQS_OFF | TRACE_FLAG_HARDIRQ);
        assert_eq!(out[3], 2);
        assert_eq!(&out[4..8], &42i32.to_le_bytes());
        for ev in EVENTS {
            let f = ev.format_file();
            assert!(f.contains(COMMON), "{}: common fields differ", ev.name);
        }
        for (_, name) in FTRACE_ENTRIES {
            assert!(ftrace_format_file(name).unwrap().contains(COMMON));
        }
    }

    #[test]
    fn event_fields_sit_at_their_format_offsets() {
        let p = PayloadWriter::default()
            .comm(b"sh\0\0\0\0\0\0\0\0\0\0\0\0\0\0")
            .i32(7)
            .i32(120)
            .i32(3)
            .finish();
        let mut out = Vec::new();
        raw_entry(&rec(id::SCHED_WAKEUP, p), &mut out);
        // comm at 8, pid at 24, prio at 28, target_cpu at 32 (format file).
        assert_eq!(out.len(), 36);
        assert_eq!(&out[8..10], b"sh");
        assert_eq!(&out[24..28], &7i32.to_le_bytes());
        assert_eq!(&out[32..36], &3i32.to_le_bytes());
        let mut out = Vec::new();
        raw_entry(&rec(id::SCHED_SWITCH, [0; PAYLOAD]), &mut out);
        assert_eq!(out.len(), 8 + events::sched_switch::WORDS * 8 - 4);
    }

    #[test]
    fn ftrace_entries_have_linuxs_layout() {
        let p = PayloadWriter::default().u64(0x1234).u64(0x5678).finish();
        let mut out = Vec::new();
        raw_entry(&rec(id::FUNCTION, p), &mut out);
        assert_eq!(out.len(), 24);
        assert_eq!(&out[8..16], &0x1234u64.to_le_bytes());
        assert_eq!(&out[16..24], &0x5678u64.to_le_bytes());

        let p = PayloadWriter::default().u64(2).u64(0xa).u64(0xb).finish();
        let mut out = Vec::new();
        raw_entry(&rec(id::STACK_TRACE, p), &mut out);
        assert_eq!(out.len(), 80);
        assert_eq!(&out[8..12], &2i32.to_le_bytes());
        assert_eq!(&out[16..24], &0xau64.to_le_bytes());
        assert_eq!(&out[24..32], &0xbu64.to_le_bytes());
        assert_eq!(&out[32..40], &u64::MAX.to_le_bytes());
        assert!(out[40..].iter().all(|&b| b == 0));

        let mut w = PayloadWriter::default();
        w.bytes(b"hello\n");
        let mut out = Vec::new();
        raw_entry(&rec(id::PRINT, w.finish()), &mut out);
        assert_eq!(&out[16..], b"hello\n\0");

        let mut out = Vec::new();
        assert!(!raw_entry(&rec(999, [0; PAYLOAD]), &mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn ftrace_format_files_match_linux() {
        let f = ftrace_format_file("function").unwrap();
        assert!(f.starts_with(&alloc::format!(
            "name: function\nID: {}\nformat:\n",
            id::FUNCTION
        )));
        assert!(f.ends_with(
            "\tfield:unsigned long parent_ip;\toffset:16;\tsize:8;\tsigned:0;\n\n\
             print fmt: \" %ps <-- %ps\", (void *)REC->ip, (void *)REC->parent_ip\n"
        ));
        assert!(ftrace_format_file("nope").is_none());
    }
}
