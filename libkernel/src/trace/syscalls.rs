//! The `syscalls:sys_enter_<name>`/`sys_exit_<name>` events (Linux's
//! `kernel/trace/trace_syscalls.c`): two per implemented system call, made
//! from `syscall_table!` (`crate::uapi::SYSCALLS`), not declared one by
//! one. Their ids follow [`SYSCALL_EVENT_BASE`] (enter, then exit, in the
//! table's order), outside the kernel's 62-bit enable mask: one mask bit
//! (`id::SYSCALL_EVENTS`) says "some syscall event is on", and a bitmap
//! indexed by syscall number says which.
//!
//! Their fields are Linux's: `__syscall_nr`, then one `unsigned long` per
//! argument under the table's argument name (enter) or `ret` (exit). They
//! print as Linux's `print_syscall_enter`/`print_syscall_exit` do:
//! `sys_openat(dfd: ffffff9c, filename: 4a0, flags: 0, mode: 0)` and
//! `sys_openat -> 0x3`.

use super::trace_events::{
    Arg, EventClass, Field, FieldValue, Helper, Int, Long, TraceEvent, ULong,
};
use super::{Record, PAYLOAD};
use crate::uapi::{SyscallDesc, SYSCALLS};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicPtr, Ordering};

/// The first `syscalls:*` id: `sys_enter` of the table's first
/// implemented call (its `sys_exit` is the next id, and so on).
pub const SYSCALL_EVENT_BASE: u16 = 1000;
/// Syscall numbers the enable bitmaps cover (arm64's go up to 439 here).
pub const NR_SYSCALLS: usize = 512;

/// The implemented calls, in table order: the ones with events.
fn implemented() -> impl Iterator<Item = &'static SyscallDesc> {
    SYSCALLS.iter().filter(|d| d.implemented)
}

/// `sys_enter`'s id for syscall `nr` (`sys_exit`'s is one more); `None`
/// if the call has no events.
pub fn enter_id(nr: usize) -> Option<u16> {
    implemented()
        .position(|d| d.nr == nr)
        .map(|i| SYSCALL_EVENT_BASE + 2 * i as u16)
}

/// Syscall `id`'s description and whether it is the enter event.
fn desc_of(id: u16) -> Option<(&'static SyscallDesc, bool)> {
    let i = id.checked_sub(SYSCALL_EVENT_BASE)? as usize;
    implemented().nth(i / 2).map(|d| (d, i.is_multiple_of(2)))
}

/// Which syscall number and direction event `id` is: `(nr, enter)`.
pub fn syscall_of(id: u16) -> Option<(usize, bool)> {
    desc_of(id).map(|(d, enter)| (d.nr, enter))
}

/// `((unsigned long)(REC->x))`: how Linux's enter format prints each
/// argument.
static ULONG_CAST: Helper = Helper {
    c: "((unsigned long)($))",
    print: |out, v| {
        let _ = write!(out, "{:x}", v as u64);
    },
};

/// Packs sample values in field order, one word each: every field of a
/// syscall event starts a word.
fn pack_sample(v: &[FieldValue]) -> [u64; PAYLOAD / 8] {
    let mut w = [0u64; PAYLOAD / 8];
    for (i, x) in v.iter().take(PAYLOAD / 8).enumerate() {
        if let FieldValue::Int(n) = x {
            w[i] = if i == 0 {
                *n as i32 as u32 as u64
            } else {
                *n as u64
            };
        }
    }
    w
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

fn build() -> Vec<TraceEvent> {
    let mut out = Vec::new();
    for (i, d) in implemented().enumerate() {
        let id = SYSCALL_EVENT_BASE + 2 * i as u16;
        // sys_enter_<name>: __syscall_nr, then the arguments.
        let mut fields = alloc::vec![Field::of::<Int>("__syscall_nr")];
        fields.extend(d.args.iter().map(|(a, _)| Field::of::<ULong>(a)));
        let fields = leak(place(fields));
        let mut fmt = String::new();
        for (k, (a, _)) in d.args.iter().enumerate() {
            let sep = if k + 1 == d.args.len() { "" } else { ", " };
            let _ = write!(fmt, "{a}: 0x%08lx{sep}");
        }
        let args = leak(
            (1..fields.len())
                .map(|f| Arg {
                    field: f,
                    helper: Some(&ULONG_CAST),
                    index: 0,
                })
                .collect(),
        );
        out.push(event_of(id, "sys_enter_", d.name, fields, fmt, args));
        // sys_exit_<name>: __syscall_nr and ret.
        let fields = leak(place(alloc::vec![
            Field::of::<Int>("__syscall_nr"),
            Field::of::<Long>("ret"),
        ]));
        let args = leak(alloc::vec![Arg {
            field: 1,
            helper: None,
            index: 0,
        }]);
        out.push(event_of(
            id + 1,
            "sys_exit_",
            d.name,
            fields,
            "0x%lx".into(),
            args,
        ));
    }
    out
}

/// Places fields as `trace_events::layout` does (C struct members), for a
/// list whose length is known only at run time.
fn place(fields: Vec<Field>) -> Vec<Field> {
    let mut placed: Vec<Field> = Vec::with_capacity(fields.len());
    for mut f in fields {
        let end = placed.last().map_or(0, |p| p.offset + p.size);
        f.offset = end.next_multiple_of(f.align);
        placed.push(f);
    }
    placed
}

fn event_of(
    id: u16,
    prefix: &str,
    name: &str,
    fields: &'static [Field],
    fmt: String,
    args: &'static [Arg],
) -> TraceEvent {
    let words = fields.last().map_or(0, |f| (f.offset + f.size).div_ceil(8));
    let class = Box::leak(Box::new(EventClass {
        name: if prefix == "sys_enter_" {
            "syscall_enter"
        } else {
            "syscall_exit"
        },
        fields,
        words,
        fmt: Box::leak(fmt.into_boxed_str()),
        args,
        pack_sample,
    }));
    let full: String = [prefix, name].concat();
    TraceEvent {
        id,
        system: "syscalls",
        name: Box::leak(full.into_boxed_str()),
        class,
    }
}

static EVENTS: AtomicPtr<Vec<TraceEvent>> = AtomicPtr::new(core::ptr::null_mut());

/// Every `syscalls:*` event, in id order (made on first use: the kernel
/// asks at boot; then kept).
pub fn events() -> &'static [TraceEvent] {
    let mut p = EVENTS.load(Ordering::Acquire);
    if p.is_null() {
        let new = Box::into_raw(Box::new(build()));
        p = match EVENTS.compare_exchange(
            core::ptr::null_mut(),
            new,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => new,
            Err(won) => {
                // SAFETY: `new` came from Box::into_raw just above and
                // was never shared: another caller's list won the race.
                drop(unsafe { Box::from_raw(new) });
                won
            }
        };
    }
    // SAFETY: once installed, the list is never freed or changed.
    unsafe { &*p }
}

/// The `syscalls:*` event with id `id`.
pub fn event(id: u16) -> Option<&'static TraceEvent> {
    let i = id.checked_sub(SYSCALL_EVENT_BASE)? as usize;
    events().get(i).filter(|e| e.id == id)
}

/// The payload words a `sys_enter` record stores: the number and six
/// argument registers (the event uses as many as the call has).
pub const ENTER_WORDS: usize = 7;
/// The payload words a `sys_exit` record stores: the number and result.
pub const EXIT_WORDS: usize = 2;

/// Appends the text of a `syscalls:*` record, as Linux's
/// `print_syscall_enter`/`print_syscall_exit` print it (newline
/// included); false if `r` is not one.
pub fn format_syscall(out: &mut String, r: &Record) -> bool {
    let Some((d, enter)) = desc_of(r.id) else {
        return false;
    };
    let word = |i: usize| {
        u64::from_le_bytes(
            r.payload
                .get(i * 8..i * 8 + 8)
                .and_then(|b| b.try_into().ok())
                .unwrap_or([0; 8]),
        )
    };
    if enter {
        let _ = write!(out, "sys_{}(", d.name);
        for (k, (a, _)) in d.args.iter().enumerate() {
            let sep = if k + 1 == d.args.len() { "" } else { ", " };
            let _ = write!(out, "{a}: {:x}{sep}", word(1 + k));
        }
        out.push_str(")\n");
    } else {
        let _ = writeln!(out, "sys_{} -> 0x{:x}", d.name, word(1));
    }
    true
}

/// Bits of `nr` in a syscall bitmap of `u64` words.
pub const fn bit_of(nr: usize) -> (usize, u64) {
    (nr / 64, 1 << (nr % 64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{format_item, Item};

    fn rec(id: u16, words: &[u64]) -> Record {
        let mut r = Record {
            id,
            pid: 7,
            ..Record::default()
        };
        r.comm[..2].copy_from_slice(b"sh");
        for (i, w) in words.iter().enumerate() {
            r.payload[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        r
    }

    #[test]
    fn openat_events_have_linuxs_format_files() {
        let id = enter_id(crate::uapi::nr::OPENAT).unwrap();
        let f = event(id).unwrap().format_file();
        assert!(f.starts_with("name: sys_enter_openat\nID: "), "{f}");
        assert!(
            f.contains("\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"),
            "{f}"
        );
        assert!(
            f.contains("\tfield:unsigned long dfd;\toffset:16;\tsize:8;\tsigned:0;\n"),
            "{f}"
        );
        assert!(
            f.contains("\tfield:unsigned long mode;\toffset:40;\tsize:8;\tsigned:0;\n"),
            "{f}"
        );
        assert!(f.ends_with(
            "print fmt: \"dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx\", \
             ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), \
             ((unsigned long)(REC->flags)), ((unsigned long)(REC->mode))\n"
        ));
        let f = event(id + 1).unwrap().format_file();
        assert!(f.starts_with("name: sys_exit_openat\n"), "{f}");
        assert!(
            f.contains("\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n"),
            "{f}"
        );
        assert!(f.ends_with("print fmt: \"0x%lx\", REC->ret\n"), "{f}");
    }

    #[test]
    fn enter_and_exit_print_as_linux_prints_them() {
        let id = enter_id(crate::uapi::nr::OPENAT).unwrap();
        let mut s = String::new();
        let r = rec(id, &[56, (-100i64) as u64, 0x4a0, 0x80000, 0]);
        format_item(&mut s, &Item::Entry(1, r), None, true);
        assert!(
            s.ends_with(
                ": sys_openat(dfd: ffffffffffffff9c, filename: 4a0, flags: 80000, mode: 0)\n"
            ),
            "{s}"
        );
        let mut s = String::new();
        format_item(&mut s, &Item::Entry(1, rec(id + 1, &[56, 3])), None, true);
        assert!(s.ends_with(": sys_openat -> 0x3\n"), "{s}");
        let getpid = enter_id(crate::uapi::nr::GETPID).unwrap();
        let mut s = String::new();
        format_item(&mut s, &Item::Entry(0, rec(getpid, &[172])), None, true);
        assert!(s.ends_with(": sys_getpid()\n"), "{s}");
    }

    #[test]
    fn every_implemented_call_has_two_events_in_id_order() {
        let n = SYSCALLS.iter().filter(|d| d.implemented).count();
        assert_eq!(events().len(), 2 * n);
        for (i, e) in events().iter().enumerate() {
            assert_eq!(e.id, SYSCALL_EVENT_BASE + i as u16);
            assert_eq!(crate::trace::event(e.id).map(|x| x.name), Some(e.name));
            let (nr, enter) = syscall_of(e.id).unwrap();
            assert_eq!(enter, i % 2 == 0);
            assert_eq!(enter_id(nr), Some(if enter { e.id } else { e.id - 1 }));
            assert!(e.class.words <= ENTER_WORDS);
        }
        assert!(enter_id(crate::uapi::nr::RSEQ).is_none(), "not implemented");
        assert!(SYSCALLS.iter().all(|d| d.nr < NR_SYSCALLS));
    }
}
