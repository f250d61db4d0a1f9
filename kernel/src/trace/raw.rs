//! The binary side of tracefs (Linux's `tracing_buffers_read` in
//! `kernel/trace/trace.c`): `per_cpu/cpuN/trace_pipe_raw`, which hands out
//! a CPU's entries as pages of Linux's ring buffer, and the files that
//! describe them (`events/header_page`, `events/header_event`,
//! `events/ftrace/<entry>/{format,id}`). trace-cmd reads these.
//!
//! The pages are encoded at read time from the fixed-size records of the
//! CPU's ring (`libkernel::trace::ring_buffer_page`). Reading consumes, as
//! `trace_pipe` does (they share the per-CPU consumed index): a page once
//! read is gone. An empty buffer blocks the reader until entries arrive,
//! or fails with `EAGAIN` under `O_NONBLOCK`.

use super::{in_ns, ring, CLEARED, CONSUMED};
use crate::errno::*;
use crate::fs::{DirOps, FileOps, Inode, InodeKind};
use crate::sync::IrqSpinLock;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use libkernel::trace::ring_buffer_page::{self, fill_page, BUF_PAGE_HDR_SIZE};
use libkernel::trace::trace_entries::{ftrace_format_file, FTRACE_ENTRIES};
use libkernel::trace::Record;
use libkernel::uapi;

/// The next page of `cpu`'s unconsumed entries, marking them consumed;
/// `None` if there are none.
fn read_page(cpu: usize) -> Option<Vec<u8>> {
    let ring = ring(cpu)?;
    loop {
        let from = CONSUMED[cpu]
            .load(Ordering::Relaxed)
            .max(CLEARED[cpu].load(Ordering::Relaxed));
        let (held, lost) = ring.read_from(from);
        let last = held.last()?.0;
        let recs: Vec<Record> = held.iter().map(|(_, r)| in_ns(*r)).collect();
        let (page, used) = fill_page(&recs, lost);
        let upto = held.get(used).map_or(last + 1, |(i, _)| *i);
        CONSUMED[cpu].store(upto, Ordering::Relaxed);
        // A page of only entries no format describes is empty: skip it.
        if page[8..BUF_PAGE_HDR_SIZE].iter().any(|&b| b != 0) {
            return Some(page);
        }
    }
}

/// `per_cpu/cpuN/trace_pipe_raw`: each open file keeps the page it is
/// handing out, so a reader with a small buffer gets it in pieces.
struct TracePipeRaw {
    cpu: usize,
    /// The page being read and how much of it was read.
    page: IrqSpinLock<(Vec<u8>, usize)>,
}

impl TracePipeRaw {
    /// Copies from the pending page; 0 if it is used up.
    fn copy_pending(&self, buf: &mut [u8]) -> usize {
        let mut p = self.page.lock();
        let (page, pos) = &mut *p;
        let n = buf.len().min(page.len() - *pos);
        buf[..n].copy_from_slice(&page[*pos..*pos + n]);
        *pos += n;
        drop(p);
        n
    }
}

impl FileOps for TracePipeRaw {
    fn read(&self, inode: &Inode, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.read_file(inode, off, buf, 0)
    }

    fn read_file(
        &self,
        _: &Inode,
        _: u64,
        buf: &mut [u8],
        file_flags: u32,
    ) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let n = self.copy_pending(buf);
            if n > 0 {
                return Ok(n);
            }
            // Built outside the lock: it allocates and walks the ring.
            if let Some(page) = read_page(self.cpu) {
                let mut p = self.page.lock();
                *p = (page, 0);
                drop(p);
                continue;
            }
            if file_flags & uapi::O_NONBLOCK != 0 {
                return Err(EAGAIN);
            }
            if crate::signal::signal_pending() {
                return Err(ERESTARTSYS);
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

/// A read-only file whose (fixed) text was made when it was looked up.
struct Text(String);

impl FileOps for Text {
    fn read(&self, _: &Inode, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let t = &self.0.as_bytes()[(off as usize).min(self.0.len())..];
        let n = t.len().min(buf.len());
        buf[..n].copy_from_slice(&t[..n]);
        Ok(n)
    }

    fn write(&self, _: &Inode, _: u64, _: &[u8]) -> Result<usize, Errno> {
        Err(EACCES)
    }
}

fn text(t: String) -> Arc<Inode> {
    Inode::new(uapi::S_IFREG | 0o444, InodeKind::Special(Arc::new(Text(t))))
}

fn dir(ops: Arc<dyn DirOps>) -> Arc<Inode> {
    Inode::new(uapi::S_IFDIR | 0o755, InodeKind::PseudoDir(ops))
}

fn entries(names: &[&str], t: u8) -> Vec<(String, u64, u8)> {
    names.iter().map(|n| (String::from(*n), 0, t)).collect()
}

/// `per_cpu/cpuN/trace_pipe_raw` of CPU `cpu`.
pub fn trace_pipe_raw(cpu: usize) -> Arc<Inode> {
    Inode::new(
        uapi::S_IFREG | 0o444,
        InodeKind::Special(Arc::new(TracePipeRaw {
            cpu,
            page: IrqSpinLock::new((Vec::new(), 0)),
        })),
    )
}

/// The names `events/` has besides the event systems.
pub const EVENTS_FILES: [&str; 2] = ["header_page", "header_event"];

/// `events/header_page`, `events/header_event` and `events/ftrace/`.
pub fn events_lookup(name: &str) -> Option<Arc<Inode>> {
    Some(match name {
        "header_page" => text(ring_buffer_page::header_page()),
        "header_event" => text(ring_buffer_page::header_event()),
        "ftrace" => dir(Arc::new(FtraceDir(None))),
        _ => return None,
    })
}

/// `events/ftrace/` (None) and `events/ftrace/<entry>/` (its index in
/// `FTRACE_ENTRIES`): the tracer's own entries, described but not
/// enabled through here (they come with their tracer), as on Linux.
struct FtraceDir(Option<usize>);

impl DirOps for FtraceDir {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        match self.0 {
            None => {
                let i = FTRACE_ENTRIES.iter().position(|(_, n)| *n == name)?;
                Some(dir(Arc::new(FtraceDir(Some(i)))))
            }
            Some(i) => {
                let (id, entry) = FTRACE_ENTRIES[i];
                match name {
                    "format" => Some(text(ftrace_format_file(entry).unwrap_or_default())),
                    "id" => Some(text(alloc::format!("{id}\n"))),
                    _ => None,
                }
            }
        }
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        match self.0 {
            None => FTRACE_ENTRIES
                .iter()
                .map(|(_, n)| (String::from(*n), 0, uapi::DT_DIR))
                .collect(),
            Some(_) => entries(&["format", "id"], uapi::DT_REG),
        }
    }
}
