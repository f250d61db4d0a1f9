//! `/sys/kernel/tracing` (Linux's tracefs), also `tracing/` in debugfs at
//! `/sys/kernel/debug`: the files users and scripts configure tracing
//! with, exactly as on Linux: `tracing_on`, `current_tracer`, `trace`,
//! `trace_pipe`, `set_event`, `set_event_pid`,
//! `events/<subsys>/<event>/{enable,filter,format,id,trigger}`,
//! `set_ftrace_filter`, `trace_marker`, `buffer_size_kb`, `trace_options`
//! and `options/*`, `per_cpu/cpuN/{trace,trace_pipe,stats}`, `snapshot`,
//! `tracing_cpumask`, `trace_clock`, `saved_cmdlines`, `error_log`...
//! The events and their `format` files come from their declarations in
//! `libkernel::trace::events`; filters and triggers are kept in
//! [`super::event_file`].

use super::ftrace::{self, List};
use super::function;
use super::graph;
use super::{event_file, options};
use crate::errno::*;
use crate::fs::{DirOps, FileOps, Inode, InodeKind};
use crate::sync::IrqSpinLock;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::AtomicU32;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use libkernel::trace::graph::opt as graph_opt;
use libkernel::trace::options::TRACE_OPTIONS;
use libkernel::trace::{all_events, TraceEvent};
use libkernel::uapi;

type ReadFn = fn() -> String;
type WriteFn = fn(&str) -> Result<(), Errno>;
type DynRead = Box<dyn Fn() -> String + Send + Sync>;
type DynWrite = Box<dyn Fn(&str) -> Result<(), Errno> + Send + Sync>;
type DynTrunc = Box<dyn Fn() + Send + Sync>;

/// A control file: its content is generated on read; a write is parsed;
/// opening with `O_TRUNC` runs `trunc`. Each lookup makes a new one, so
/// each open file has its own.
struct Control {
    read: DynRead,
    write: Option<DynWrite>,
    trunc: Option<DynTrunc>,
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
        let w = self.write.as_ref().ok_or(EACCES)?;
        let text = core::str::from_utf8(buf).map_err(|_| EINVAL)?;
        w(text)?;
        Ok(buf.len())
    }

    fn seekable(&self) -> bool {
        true
    }

    fn truncate(&self) {
        if let Some(t) = &self.trunc {
            t();
        }
    }
}

fn control(read: ReadFn, write: Option<WriteFn>) -> Arc<Inode> {
    control_trunc(read, write, None)
}

fn control_trunc(read: ReadFn, write: Option<WriteFn>, trunc: Option<fn()>) -> Arc<Inode> {
    control_dyn(
        Box::new(read),
        write.map(|w| Box::new(w) as DynWrite),
        trunc.map(|t| Box::new(t) as DynTrunc),
    )
}

/// A control file whose functions capture something (an event's id).
fn control_dyn(read: DynRead, write: Option<DynWrite>, trunc: Option<DynTrunc>) -> Arc<Inode> {
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

/// `trace_pipe`: reads consume, and block until there is something. Of
/// the CPUs in its mask (one, for `per_cpu/cpuN/trace_pipe`).
struct TracePipe(u64);

impl FileOps for TracePipe {
    fn read(&self, _: &Inode, _: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        loop {
            let text = super::consume_of(self.0);
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
        // `nomarkers`: the file refuses writes (Linux's tracing_mark_write).
        if !options::is_set(options::Opt::MARKERS) {
            return Err(EINVAL);
        }
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
    "trace_options",
    "set_event_pid",
    "error_log",
    "snapshot",
    "tracing_cpumask",
    "trace_clock",
    "saved_cmdlines",
    "saved_cmdlines_size",
    "printk_formats",
    "tracing_thresh",
    "README",
];

/// Directories among [`ROOT_FILES`].
const ROOT_DIRS: [&str; 3] = ["events", "options", "per_cpu"];

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
                InodeKind::Special(Arc::new(TracePipe(u64::MAX))),
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
            name => return lookup_more(name),
        })
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        ROOT_FILES
            .iter()
            .map(|n| {
                let t = if ROOT_DIRS.contains(n) {
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
            None if name == "filter" => Some(filter_many("", all_events().map(|e| e.id).collect())),
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
            Some(sys) if name == "filter" => Some(filter_many(
                sys,
                all_events()
                    .filter(|e| e.system == sys)
                    .map(|e| e.id)
                    .collect(),
            )),
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
                v.push((String::from("filter"), 0, uapi::DT_REG));
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
                v.push((String::from("filter"), 0, uapi::DT_REG));
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

const EVENT_FILES: [&str; 5] = ["enable", "filter", "format", "id", "trigger"];

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
            "filter" => {
                let ev = self.0.id;
                Some(control_dyn(
                    Box::new(move || event_file::filter_text(ev)),
                    Some(Box::new(move |s| event_file::set_filter(ev, s))),
                    None,
                ))
            }
            "trigger" => {
                let ev = self.0.id;
                Some(control_dyn(
                    Box::new(move || event_file::trigger_text(ev)),
                    Some(Box::new(move |s| {
                        for line in s.lines() {
                            event_file::write_trigger(ev, line)?;
                        }
                        Ok(())
                    })),
                    None,
                ))
            }
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

/// `options/`: a file per row of the options table.
struct OptionsDir;

impl DirOps for OptionsDir {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        if let Some(i) = libkernel::trace::options::find(name) {
            return Some(control_dyn(
                Box::new(move || bool_text(options::mask() & (1 << i) != 0)),
                Some(Box::new(move |s| options::set(i, parse_bool(s)?))),
                None,
            ));
        }
        // The function_graph tracer's options, a word of their own.
        let bit = graph_opt::by_name(name.strip_prefix("funcgraph-")?)?;
        Some(Inode::new(
            uapi::S_IFREG | 0o644,
            InodeKind::Special(Arc::new(FlagFile(&graph::OPTS, bit))),
        ))
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        let mut v: Vec<(String, u64, u8)> = TRACE_OPTIONS
            .iter()
            .map(|o| (String::from(o.name), 0, uapi::DT_REG))
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

/// A subsystem's (`sys`) or all events' (`""`) `filter`: written to each
/// event in `ids` that has the fields; reads back what was last written
/// there, as Linux keeps the subsystem's own string.
fn filter_many(sys: &'static str, ids: Vec<u16>) -> Arc<Inode> {
    control_dyn(
        Box::new(move || event_file::system_filter_text(sys)),
        Some(Box::new(move |s| event_file::set_filter_many(sys, &ids, s))),
        None,
    )
}

fn parse_u64(s: &str) -> Result<u64, Errno> {
    s.trim().parse().map_err(|_| EINVAL)
}

static SAVED_CMDLINES_SIZE: AtomicUsize = AtomicUsize::new(128);
static TRACING_THRESH: AtomicU64 = AtomicU64::new(0);

/// The root's files added with filters and triggers.
fn lookup_more(name: &str) -> Option<Arc<Inode>> {
    Some(match name {
        "per_cpu" => Inode::new(
            uapi::S_IFDIR | 0o755,
            InodeKind::PseudoDir(Arc::new(PerCpuDir(None))),
        ),
        "trace_options" => control(
            options::text,
            Some(|s| s.split_whitespace().try_for_each(options::apply)),
        ),
        "set_event_pid" => control_trunc(
            event_file::pids_text,
            Some(|s| {
                for w in s.split_whitespace() {
                    let pid: i32 = w.parse().map_err(|_| EINVAL)?;
                    if pid < 0 {
                        return Err(EINVAL);
                    }
                    event_file::add_pid(pid)?;
                }
                Ok(())
            }),
            Some(event_file::clear_pids),
        ),
        "error_log" => control_trunc(
            event_file::error_log,
            Some(|_| {
                event_file::clear_error_log();
                Ok(())
            }),
            Some(event_file::clear_error_log),
        ),
        "snapshot" => control(super::snapshot_text, Some(super::snapshot::write)),
        "tracing_cpumask" => control(
            || {
                format!(
                    "{:x}\n",
                    event_file::CPUMASK.load(Ordering::Relaxed) & all_cpus()
                )
            },
            Some(|s| {
                let t: String = s.trim().chars().filter(|c| *c != ',').collect();
                let m = u64::from_str_radix(&t, 16).map_err(|_| EINVAL)?;
                if m & !all_cpus() != 0 {
                    return Err(EINVAL);
                }
                event_file::CPUMASK.store(m, Ordering::Relaxed);
                event_file::recompute();
                Ok(())
            }),
        ),
        "trace_clock" => control(super::trace_clock::text, Some(super::trace_clock::set)),
        "saved_cmdlines" => control(
            || super::saved_cmdlines(SAVED_CMDLINES_SIZE.load(Ordering::Relaxed)),
            None,
        ),
        "saved_cmdlines_size" => control(
            || format!("{}\n", SAVED_CMDLINES_SIZE.load(Ordering::Relaxed)),
            Some(|s| {
                let n = parse_u64(s)?;
                // Linux: 1 to PID_MAX_DEFAULT.
                if n == 0 || n > 32768 {
                    return Err(EINVAL);
                }
                SAVED_CMDLINES_SIZE.store(n as usize, Ordering::Relaxed);
                Ok(())
            }),
        ),
        // No trace_printk() sites: the file exists and is empty.
        "printk_formats" => control(String::new, None),
        "tracing_thresh" => control(
            || format!("{}\n", TRACING_THRESH.load(Ordering::Relaxed)),
            Some(|s| {
                TRACING_THRESH.store(parse_u64(s)?, Ordering::Relaxed);
                Ok(())
            }),
        ),
        "README" => control(|| String::from(README), None),
        _ => return None,
    })
}

fn all_cpus() -> u64 {
    (1u64 << crate::percpu::NR_CPUS) - 1
}

const README: &str = "tracing mini-HOWTO:\n\n\
# echo 0 > tracing_on : quick way to disable tracing\n\
# echo 1 > tracing_on : quick way to re-enable tracing\n\n\
 Important files:\n\
  trace\t\t\t- The static contents of the buffer\n\
\t\t\t  To clear the buffer write into this file: echo > trace\n\
  trace_pipe\t\t- A consuming read to see the contents of the buffer\n\
  current_tracer\t- function and latency tracers\n\
  available_tracers\t- list of configured tracers for current_tracer\n\
  error_log\t- error log for failed commands (that support it)\n\
  buffer_size_kb\t- view and modify size of per cpu buffer\n\
  trace_clock\t\t-change the clock used to order events\n\
       local:   Per cpu clock but may not be synced across CPUs\n\
      global:   Synced across CPUs but slows tracing down.\n\
     counter:   Not a clock, but just an increment\n\
      uptime:   Jiffy counter from time of boot\n\
        perf:   Same clock that perf events use\n\
  tracing_cpumask\t- Limit which CPUs to trace\n\
  trace_marker\t\t- Writes into this file writes into the kernel buffer\n\
  saved_cmdlines_size\t- echo command number in here to store comm-pid list\n\
  snapshot\t\t- Like 'trace' but shows the content of the static\n\
\t\t\t  snapshot buffer. Read the contents for more\n\
\t\t\t  information\n\
  set_event\t\t- Enables events by name written into it\n\
\t\t\t  Can enable module events via: :mod:<module>\n\
  events/\t\t- Directory containing all trace event subsystems:\n\
      enable\t\t- Write 0/1 to enable/disable tracing of all events\n\
  events/<system>/\t- Directory containing all trace events for <system>:\n\
      enable\t\t- Write 0/1 to enable/disable tracing of all <system>\n\
\t\t\t  events\n\
      filter\t\t- If set, only events passing filter are traced\n\
  events/<system>/<event>/\t- Directory containing control files for\n\
\t\t\t  <event>:\n\
      enable\t\t- Write 0/1 to enable/disable tracing of <event>\n\
      filter\t\t- If set, only events passing filter are traced\n\
      trigger\t\t- If set, a command to perform when event is hit\n\
\t    Format: <trigger>[:count][if <filter>]\n\
\t   trigger: traceon, traceoff\n\
\t            enable_event:<system>:<event>\n\
\t            disable_event:<system>:<event>\n\
\t\t    stacktrace\n\
\t\t    snapshot\n\
\t   example: echo traceoff > events/block/block_unplug/trigger\n\
\t            echo traceoff:3 > events/block/block_unplug/trigger\n\
\t            echo 'enable_event:kmem:kmalloc:3 if nr_rq > 1' > \\\n\
\t                  events/block/block_unplug/trigger\n\
\t   The first disables tracing every time block_unplug is hit.\n\
\t   The second disables tracing the first 3 times block_unplug is hit.\n\
\t   The third enables the kmalloc event the first 3 times block_unplug\n\
\t     is hit and has value of greater than 1 for the 'nr_rq' event field.\n\
\t   Like function triggers, the counter is only decremented if it\n\
\t    enabled or disabled tracing.\n\
\t   To remove a trigger without a count:\n\
\t     echo '!<trigger> > <system>/<event>/trigger\n\
\t   To remove a trigger with a count:\n\
\t     echo '!<trigger>:0 > <system>/<event>/trigger\n\
\t   Filters can be ignored when removing a trigger.\n";

/// `per_cpu/` (None) and `per_cpu/cpuN/` (Some(N)).
struct PerCpuDir(Option<usize>);

const PER_CPU_FILES: [&str; 4] = ["trace", "trace_pipe", "trace_pipe_raw", "stats"];

impl DirOps for PerCpuDir {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        match self.0 {
            None => {
                let n: usize = name.strip_prefix("cpu")?.parse().ok()?;
                if n >= crate::percpu::NR_CPUS || !crate::smp::cpu_online(n) {
                    return None;
                }
                Some(Inode::new(
                    uapi::S_IFDIR | 0o755,
                    InodeKind::PseudoDir(Arc::new(PerCpuDir(Some(n)))),
                ))
            }
            Some(c) => Some(match name {
                "trace" => control_dyn(
                    Box::new(move || super::trace_text_of(1 << c)),
                    Some(Box::new(move |_| {
                        super::clear_cpus(1 << c);
                        Ok(())
                    })),
                    Some(Box::new(move || super::clear_cpus(1 << c))),
                ),
                "trace_pipe" => Inode::new(
                    uapi::S_IFREG | 0o444,
                    InodeKind::Special(Arc::new(TracePipe(1 << c))),
                ),
                "stats" => control_dyn(Box::new(move || super::stats_text(c)), None, None),
                "trace_pipe_raw" => super::raw::trace_pipe_raw(c),
                _ => return None,
            }),
        }
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        match self.0 {
            None => (0..crate::percpu::NR_CPUS)
                .filter(|c| crate::smp::cpu_online(*c))
                .map(|c| (format!("cpu{c}"), 0, uapi::DT_DIR))
                .collect(),
            Some(_) => PER_CPU_FILES
                .iter()
                .map(|n| (String::from(*n), 0, uapi::DT_REG))
                .collect(),
        }
    }
}

/// The root of debugfs: its `tracing` directory is tracefs, at the path
/// Linux 4.19 and the book use (`/sys/kernel/debug/tracing`).
pub struct DebugfsRoot;

impl DirOps for DebugfsRoot {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        (name == "tracing").then(|| {
            Inode::new(
                uapi::S_IFDIR | 0o700,
                InodeKind::PseudoDir(Arc::new(TracingRoot)),
            )
        })
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        alloc::vec![(String::from("tracing"), 0, uapi::DT_DIR)]
    }
}

/// Mounts tracefs at `/sys/kernel/tracing`, and debugfs (with tracefs
/// as its `tracing`) at `/sys/kernel/debug`.
pub fn init() {
    if crate::fs::namespace::kern_mount("tracefs", "tracefs", "/sys/kernel/tracing").is_err() {
        println!("tracefs: cannot mount /sys/kernel/tracing");
    }
    if crate::fs::namespace::kern_mount("debugfs", "debugfs", "/sys/kernel/debug").is_err() {
        println!("debugfs: cannot mount /sys/kernel/debug");
    }
}
