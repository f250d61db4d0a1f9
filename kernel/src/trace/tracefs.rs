//! `/sys/kernel/tracing` (Linux's tracefs): the files users and scripts
//! configure tracing with, exactly as on Linux: `tracing_on`,
//! `current_tracer`, `trace`, `trace_pipe`, `set_event`,
//! `events/<subsys>/<event>/{enable,format,id}`, `set_ftrace_filter`,
//! `trace_marker`, `buffer_size_kb`, `options/{stacktrace,sym-offset}`.
//! The events and their `format` files come from their declarations in
//! `libkernel::trace::events`.

use super::ftrace::{self, List};
use super::function;
use super::graph;
use crate::errno::*;
use crate::fs::{DirOps, FileOps, Inode, InodeKind};
use crate::sync::IrqSpinLock;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use libkernel::trace::graph::opt as graph_opt;
use libkernel::trace::{all_events, TraceEvent};
use libkernel::uapi;

type ReadFn = fn() -> String;
type WriteFn = fn(&str) -> Result<(), Errno>;

/// A control file: its content is generated on read; a write is parsed;
/// opening with `O_TRUNC` runs `trunc`. Each lookup makes a new one, so
/// each open file has its own.
struct Control {
    read: ReadFn,
    write: Option<WriteFn>,
    trunc: Option<fn()>,
    /// The text being read, so a reader going through a long file in
    /// pieces sees one consistent version (regenerated at offset 0). It
    /// belongs to this open file: it used to be one global, which two
    /// readers clobbered and a reader that stopped early left allocated
    /// (the fuzzer's heap accounting found it).
    snapshot: IrqSpinLock<Option<String>>,
}

impl FileOps for Control {
    fn read(&self, _: &Inode, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let mut snap = self.snapshot.lock();
        if off == 0 || snap.is_none() {
            drop(snap);
            let text = (self.read)();
            snap = self.snapshot.lock();
            *snap = Some(text);
        }
        let text = &snap.as_ref().map(|t| t.as_bytes()).unwrap_or(&[]);
        let start = (off as usize).min(text.len());
        let n = buf.len().min(text.len() - start);
        buf[..n].copy_from_slice(&text[start..start + n]);
        if start + n == text.len() {
            *snap = None;
        }
        Ok(n)
    }

    fn write(&self, _: &Inode, _: u64, buf: &[u8]) -> Result<usize, Errno> {
        let w = self.write.ok_or(EACCES)?;
        let text = core::str::from_utf8(buf).map_err(|_| EINVAL)?;
        w(text)?;
        Ok(buf.len())
    }

    fn seekable(&self) -> bool {
        true
    }

    fn truncate(&self) {
        if let Some(t) = self.trunc {
            t();
        }
    }
}

fn control(read: ReadFn, write: Option<WriteFn>) -> Arc<Inode> {
    control_trunc(read, write, None)
}

fn control_trunc(read: ReadFn, write: Option<WriteFn>, trunc: Option<fn()>) -> Arc<Inode> {
    let mode = if write.is_some() { 0o644 } else { 0o444 };
    Inode::new(
        uapi::S_IFREG | mode,
        InodeKind::Special(Arc::new(Control {
            read,
            write,
            trunc,
            snapshot: IrqSpinLock::new(None),
        })),
    )
}

/// `trace_pipe`: reads consume, and block until there is something.
struct TracePipe;

impl FileOps for TracePipe {
    fn read(&self, _: &Inode, _: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        loop {
            let text = super::consume();
            if !text.is_empty() {
                // What does not fit is dropped, as a consuming reader of a
                // short buffer would lose it on Linux too.
                let n = buf.len().min(text.len());
                buf[..n].copy_from_slice(&text.as_bytes()[..n]);
                return Ok(n);
            }
            if crate::signal::signal_pending() {
                return Err(crate::errno::ERESTARTSYS);
            }
            crate::sched::wait::msleep(20);
        }
    }

    fn write(&self, _: &Inode, _: u64, _: &[u8]) -> Result<usize, Errno> {
        Err(EACCES)
    }

    fn seekable(&self) -> bool {
        false
    }
}

/// `trace_marker`: what a program writes becomes a `tracing_mark_write`.
struct Marker;

impl FileOps for Marker {
    fn read(&self, _: &Inode, _: u64, _: &mut [u8]) -> Result<usize, Errno> {
        Err(EINVAL)
    }

    fn write(&self, _: &Inode, _: u64, buf: &[u8]) -> Result<usize, Errno> {
        super::events::print(buf);
        Ok(buf.len())
    }

    fn seekable(&self) -> bool {
        false
    }
}

fn bool_text(b: bool) -> String {
    String::from(if b { "1\n" } else { "0\n" })
}

fn parse_bool(s: &str) -> Result<bool, Errno> {
    match s.trim() {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err(EINVAL),
    }
}

/// Applies one `set_event` word: `sched:sched_switch`, `sched:*`,
/// `sched`, `*:*`, `sched_switch`, or with a leading `!` to disable.
pub fn apply_set_event(word: &str) -> bool {
    let w = word.trim();
    if w.is_empty() {
        return true;
    }
    let (on, w) = match w.strip_prefix('!') {
        Some(rest) => (false, rest),
        None => (true, w),
    };
    let (sys, ev) = match w.split_once(':') {
        Some((s, e)) => (s, e),
        None if all_events().any(|e| e.system == w) => (w, "*"),
        None => ("*", w),
    };
    let mut any = false;
    for e in all_events() {
        if function::glob(sys, e.system) && function::glob(ev, e.name) {
            super::set_event(e.id, on);
            any = true;
        }
    }
    any
}

fn enabled_events() -> String {
    all_events()
        .filter(|e| super::event_enabled(e.id))
        .map(|e| format!("{}:{}\n", e.system, e.name))
        .collect()
}

/// The tracing root directory.
pub struct TracingRoot;

const ROOT_FILES: &[&str] = &[
    "tracing_on",
    "current_tracer",
    "available_tracers",
    "trace",
    "trace_pipe",
    "set_event",
    "available_events",
    "set_ftrace_filter",
    "available_filter_functions",
    "trace_marker",
    "set_ftrace_notrace",
    "set_ftrace_pid",
    "set_graph_function",
    "set_graph_notrace",
    "max_graph_depth",
    "buffer_size_kb",
    "events",
    "options",
    "per_cpu",
];

impl DirOps for TracingRoot {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        Some(match name {
            "tracing_on" => control(
                || bool_text(super::tracing_on()),
                Some(|s| {
                    super::set_tracing_on(parse_bool(s)?);
                    Ok(())
                }),
            ),
            "current_tracer" => control(
                || format!("{}\n", super::current_tracer()),
                Some(|s| super::set_current_tracer(s.trim())),
            ),
            "available_tracers" => control(|| format!("{}\n", super::TRACERS.join(" ")), None),
            "trace" => control_trunc(
                super::trace_text,
                Some(|_| {
                    super::clear();
                    Ok(())
                }),
                Some(super::clear),
            ),
            "trace_pipe" => Inode::new(
                uapi::S_IFREG | 0o444,
                InodeKind::Special(Arc::new(TracePipe)),
            ),
            "set_event" => control_trunc(
                enabled_events,
                Some(|s| {
                    for w in s.split_whitespace() {
                        if !apply_set_event(w) {
                            return Err(EINVAL);
                        }
                    }
                    Ok(())
                }),
                Some(|| {
                    apply_set_event("!*:*");
                }),
            ),
            "available_events" => control(
                || {
                    all_events()
                        .map(|e| format!("{}:{}\n", e.system, e.name))
                        .collect()
                },
                None,
            ),
            "set_ftrace_filter" => ftrace_list(List::Filter),
            "set_ftrace_notrace" => ftrace_list(List::Notrace),
            "set_graph_function" => ftrace_list(List::Graph),
            "set_graph_notrace" => ftrace_list(List::GraphNotrace),
            "available_filter_functions" => control(ftrace::available_filter_functions, None),
            "set_ftrace_pid" => control_trunc(
                ftrace::pids_text,
                Some(|s| {
                    for w in s.split_whitespace() {
                        let pid: i32 = w.parse().map_err(|_| EINVAL)?;
                        if pid < 0 || !ftrace::add_pid(pid) {
                            return Err(EINVAL);
                        }
                    }
                    Ok(())
                }),
                Some(ftrace::clear_pids),
            ),
            "max_graph_depth" => control(
                || format!("{}\n", graph::MAX_DEPTH.load(Ordering::Relaxed)),
                Some(|s| {
                    let d: usize = s.trim().parse().map_err(|_| EINVAL)?;
                    graph::MAX_DEPTH.store(d, Ordering::Relaxed);
                    Ok(())
                }),
            ),
            "trace_marker" => {
                Inode::new(uapi::S_IFREG | 0o222, InodeKind::Special(Arc::new(Marker)))
            }
            "buffer_size_kb" => control(
                || format!("{}\n", super::buffer_size_kb()),
                Some(|s| {
                    let kb: u64 = s.trim().parse().map_err(|_| EINVAL)?;
                    if kb == 0 || kb > 8192 {
                        return Err(EINVAL);
                    }
                    super::resize(kb)
                }),
            ),
            "events" => Inode::new(
                uapi::S_IFDIR | 0o755,
                InodeKind::PseudoDir(Arc::new(EventsDir(None))),
            ),
            "options" => Inode::new(
                uapi::S_IFDIR | 0o755,
                InodeKind::PseudoDir(Arc::new(OptionsDir)),
            ),
            "per_cpu" => Inode::new(
                uapi::S_IFDIR | 0o755,
                InodeKind::PseudoDir(Arc::new(super::raw::PerCpuDir)),
            ),
            _ => return None,
        })
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        ROOT_FILES
            .iter()
            .map(|n| {
                let t = if matches!(*n, "events" | "options" | "per_cpu") {
                    uapi::DT_DIR
                } else {
                    uapi::DT_REG
                };
                (String::from(*n), 0, t)
            })
            .collect()
    }
}

/// `events/` (None), `events/<subsys>/` (Some(subsys)).
struct EventsDir(Option<&'static str>);
/// `events/<subsys>/<event>/`.
struct EventDir(&'static TraceEvent);

impl DirOps for EventsDir {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        match self.0 {
            None => {
                if let Some(inode) = super::raw::events_lookup(name) {
                    return Some(inode);
                }
                let e = all_events().find(|e| e.system == name)?;
                Some(Inode::new(
                    uapi::S_IFDIR | 0o755,
                    InodeKind::PseudoDir(Arc::new(EventsDir(Some(e.system)))),
                ))
            }
            Some(sys) if name == "enable" => Some(subsys_enable(sys)),
            Some(sys) => {
                let e = all_events().find(|e| e.system == sys && e.name == name)?;
                Some(Inode::new(
                    uapi::S_IFDIR | 0o755,
                    InodeKind::PseudoDir(Arc::new(EventDir(e))),
                ))
            }
        }
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        match self.0 {
            None => {
                let mut v: Vec<(String, u64, u8)> = Vec::new();
                for e in all_events() {
                    if !v.iter().any(|(n, _, _)| n == e.system) {
                        v.push((String::from(e.system), 0, uapi::DT_DIR));
                    }
                }
                v.push((String::from("ftrace"), 0, uapi::DT_DIR));
                for f in super::raw::EVENTS_FILES {
                    v.push((String::from(f), 0, uapi::DT_REG));
                }
                v
            }
            Some(sys) => {
                let mut v: Vec<(String, u64, u8)> = all_events()
                    .filter(|e| e.system == sys)
                    .map(|e| (String::from(e.name), 0, uapi::DT_DIR))
                    .collect();
                v.push((String::from("enable"), 0, uapi::DT_REG));
                v
            }
        }
    }
}

/// A file whose read/write act on one event or subsystem.
struct EnableFile {
    ids: Vec<u16>,
}

impl FileOps for EnableFile {
    fn read(&self, _: &Inode, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let on = self
            .ids
            .iter()
            .filter(|id| super::event_enabled(**id))
            .count();
        let text = if on == 0 {
            "0\n"
        } else if on == self.ids.len() {
            "1\n"
        } else {
            "X\n"
        };
        let t = &text.as_bytes()[(off as usize).min(text.len())..];
        let n = t.len().min(buf.len());
        buf[..n].copy_from_slice(&t[..n]);
        Ok(n)
    }

    fn write(&self, _: &Inode, _: u64, buf: &[u8]) -> Result<usize, Errno> {
        let on = parse_bool(core::str::from_utf8(buf).map_err(|_| EINVAL)?)?;
        for id in &self.ids {
            super::set_event(*id, on);
        }
        Ok(buf.len())
    }
}

fn enable_inode(ids: Vec<u16>) -> Arc<Inode> {
    Inode::new(
        uapi::S_IFREG | 0o644,
        InodeKind::Special(Arc::new(EnableFile { ids })),
    )
}

fn subsys_enable(sys: &str) -> Arc<Inode> {
    enable_inode(
        all_events()
            .filter(|e| e.system == sys)
            .map(|e| e.id)
            .collect(),
    )
}

/// `format` and `id` of an event: text made from its declaration when
/// read, as Linux's `f_show` makes it.
struct EventText {
    event: &'static TraceEvent,
    format: bool,
}

impl FileOps for EventText {
    fn read(&self, _: &Inode, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let text = if self.format {
            self.event.format_file()
        } else {
            format!("{}\n", self.event.id)
        };
        let t = &text.as_bytes()[(off as usize).min(text.len())..];
        let n = t.len().min(buf.len());
        buf[..n].copy_from_slice(&t[..n]);
        Ok(n)
    }

    fn write(&self, _: &Inode, _: u64, _: &[u8]) -> Result<usize, Errno> {
        Err(EACCES)
    }
}

const EVENT_FILES: [&str; 3] = ["enable", "format", "id"];

impl DirOps for EventDir {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        let text = |format| {
            Inode::new(
                uapi::S_IFREG | 0o444,
                InodeKind::Special(Arc::new(EventText {
                    event: self.0,
                    format,
                })),
            )
        };
        match name {
            "enable" => Some(enable_inode(alloc::vec![self.0.id])),
            "format" => Some(text(true)),
            "id" => Some(text(false)),
            _ => None,
        }
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        EVENT_FILES
            .iter()
            .map(|n| (String::from(*n), 0, uapi::DT_REG))
            .collect()
    }
}

/// One of the function lists (`set_ftrace_filter` and its kin): each word
/// written is a glob, `!glob` or a command; truncating empties the list.
fn ftrace_list(list: List) -> Arc<Inode> {
    let read: ReadFn = match list {
        List::Filter => || ftrace::list_text(List::Filter),
        List::Notrace => || ftrace::list_text(List::Notrace),
        List::Graph => || ftrace::list_text(List::Graph),
        List::GraphNotrace => || ftrace::list_text(List::GraphNotrace),
    };
    let (write, trunc): (WriteFn, fn()) = match list {
        List::Filter => (
            |s| apply_list(List::Filter, s),
            || ftrace::clear(List::Filter),
        ),
        List::Notrace => (
            |s| apply_list(List::Notrace, s),
            || ftrace::clear(List::Notrace),
        ),
        List::Graph => (
            |s| apply_list(List::Graph, s),
            || ftrace::clear(List::Graph),
        ),
        List::GraphNotrace => (
            |s| apply_list(List::GraphNotrace, s),
            || ftrace::clear(List::GraphNotrace),
        ),
    };
    control_trunc(read, Some(write), Some(trunc))
}

fn apply_list(list: List, s: &str) -> Result<(), Errno> {
    for w in s.split_whitespace() {
        ftrace::apply(list, w)?;
    }
    Ok(())
}

/// `options/`.
struct OptionsDir;

impl DirOps for OptionsDir {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        Some(match name {
            "stacktrace" => control(
                || bool_text(super::OPT_STACKTRACE.load(Ordering::Relaxed)),
                Some(|s| {
                    super::OPT_STACKTRACE.store(parse_bool(s)?, Ordering::Relaxed);
                    Ok(())
                }),
            ),
            "sym-offset" => control(
                || bool_text(super::OPT_SYM_OFFSET.load(Ordering::Relaxed)),
                Some(|s| {
                    super::OPT_SYM_OFFSET.store(parse_bool(s)?, Ordering::Relaxed);
                    Ok(())
                }),
            ),
            _ => {
                let bit = graph_opt::by_name(name.strip_prefix("funcgraph-")?)?;
                Inode::new(
                    uapi::S_IFREG | 0o644,
                    InodeKind::Special(Arc::new(FlagFile(&graph::OPTS, bit))),
                )
            }
        })
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        let mut v: Vec<(String, u64, u8)> = ["stacktrace", "sym-offset"]
            .iter()
            .map(|n| (String::from(*n), 0, uapi::DT_REG))
            .collect();
        for (name, _) in graph_opt::NAMES {
            v.push((format!("funcgraph-{name}"), 0, uapi::DT_REG));
        }
        v
    }
}

/// An option file backed by one bit of a word of flags (the `funcgraph-*`
/// options): reads `0`/`1`, takes `0`/`1`.
struct FlagFile(&'static AtomicU32, u32);

impl FileOps for FlagFile {
    fn read(&self, _: &Inode, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let text = bool_text(self.0.load(Ordering::Relaxed) & self.1 != 0);
        let start = (off as usize).min(text.len());
        let n = buf.len().min(text.len() - start);
        buf[..n].copy_from_slice(&text.as_bytes()[start..start + n]);
        Ok(n)
    }

    fn write(&self, _: &Inode, _: u64, buf: &[u8]) -> Result<usize, Errno> {
        let on = parse_bool(core::str::from_utf8(buf).map_err(|_| EINVAL)?)?;
        if on {
            self.0.fetch_or(self.1, Ordering::Relaxed);
        } else {
            self.0.fetch_and(!self.1, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn seekable(&self) -> bool {
        true
    }
}

/// Mounts tracefs at `/sys/kernel/tracing`.
pub fn init() {
    if crate::fs::namespace::kern_mount("tracefs", "tracefs", "/sys/kernel/tracing").is_err() {
        println!("tracefs: cannot mount /sys/kernel/tracing");
    }
}
