//! Pipes (Linux's `fs/pipe.c`): a 64 KiB buffer between a read end and a
//! write end. Readers sleep until data arrives or the last writer closes
//! (end of file); writers sleep while it is full, and get `EPIPE` (and
//! SIGPIPE) once no reader is left. Both sleeps end early on a signal, and
//! an `O_NONBLOCK` end never sleeps: `EAGAIN` instead. Named pipes
//! (`mkfifo`) are the same pipe behind a name: [`Fifo`].

use super::{File, FileOps, Inode, InodeKind};
use crate::errno::*;
use crate::sched::wait::WaitQueue;
use crate::sync::IrqSpinLock;
use crate::task::TASK_INTERRUPTIBLE;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicUsize, Ordering};
use libkernel::uapi;

const PIPE_SIZE: usize = 64 * 1024;

struct Pipe {
    buf: IrqSpinLock<VecDeque<u8>>,
    readers: AtomicUsize,
    writers: AtomicUsize,
    wait: WaitQueue,
}

/// One end of a pipe (both ends for a named pipe opened `O_RDWR`);
/// dropping it (the last file closed) closes that end.
struct PipeEnd {
    pipe: Arc<Pipe>,
    read: bool,
    write: bool,
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        if self.read {
            self.pipe.readers.fetch_sub(1, Ordering::AcqRel);
        }
        if self.write {
            self.pipe.writers.fetch_sub(1, Ordering::AcqRel);
        }
        self.pipe.wait.wake_up_all();
    }
}

impl FileOps for PipeEnd {
    fn read(&self, inode: &Inode, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.read_file(inode, off, buf, 0)
    }

    fn write(&self, inode: &Inode, off: u64, data: &[u8]) -> Result<usize, Errno> {
        self.write_file(inode, off, data, 0)
    }

    fn read_file(&self, _: &Inode, _: u64, buf: &mut [u8], flags: u32) -> Result<usize, Errno> {
        let nonblock = flags & uapi::O_NONBLOCK != 0;
        if !self.read {
            return Err(EBADF);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let p = &self.pipe;
        let mut result = Ok(0);
        p.wait.wait_event(TASK_INTERRUPTIBLE, || {
            let mut b = p.buf.lock();
            if !b.is_empty() {
                let n = buf.len().min(b.len());
                for (i, c) in b.drain(..n).enumerate() {
                    buf[i] = c;
                }
                if b.is_empty() {
                    *b = VecDeque::new();
                }
                result = Ok(n);
                return true;
            }
            if p.writers.load(Ordering::Acquire) == 0 {
                result = Ok(0);
                return true;
            }
            if nonblock {
                result = Err(EAGAIN);
                return true;
            }
            if crate::signal::signal_pending() {
                result = Err(ERESTARTSYS);
                return true;
            }
            false
        });
        p.wait.wake_up_all();
        result
    }

    fn write_file(&self, _: &Inode, _: u64, data: &[u8], flags: u32) -> Result<usize, Errno> {
        let nonblock = flags & uapi::O_NONBLOCK != 0;
        if !self.write {
            return Err(EBADF);
        }
        let p = &self.pipe;
        let mut done = 0;
        while done < data.len() {
            let mut err = None;
            p.wait.wait_event(TASK_INTERRUPTIBLE, || {
                if p.readers.load(Ordering::Acquire) == 0 {
                    err = Some(EPIPE);
                    return true;
                }
                let mut b = p.buf.lock();
                if b.len() < PIPE_SIZE {
                    let n = (PIPE_SIZE - b.len()).min(data.len() - done);
                    b.extend(&data[done..done + n]);
                    done += n;
                    return true;
                }
                if nonblock {
                    err = Some(EAGAIN);
                    return true;
                }
                if crate::signal::signal_pending() {
                    err = Some(ERESTARTSYS);
                    return true;
                }
                false
            });
            p.wait.wake_up_all();
            if let Some(e) = err {
                if e == EPIPE {
                    crate::signal::send_sig(uapi::SIGPIPE, &crate::task::current());
                }
                return if done > 0 { Ok(done) } else { Err(e) };
            }
        }
        Ok(done)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll(&self, _: &Inode) -> u16 {
        let p = &self.pipe;
        let len = p.buf.lock().len();
        let mut mask = 0;
        if self.read {
            if len > 0 {
                mask |= uapi::POLLIN | uapi::POLLRDNORM;
            }
            if p.writers.load(Ordering::Acquire) == 0 {
                mask |= uapi::POLLHUP;
            }
        }
        if self.write {
            if p.readers.load(Ordering::Acquire) == 0 {
                mask |= uapi::POLLERR;
            } else if len < PIPE_SIZE {
                mask |= uapi::POLLOUT | uapi::POLLWRNORM;
            }
        }
        mask
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pipe.wait)
    }
}

fn new_pipe(readers: usize, writers: usize) -> Arc<Pipe> {
    Arc::new(Pipe {
        buf: IrqSpinLock::new(VecDeque::new()),
        readers: AtomicUsize::new(readers),
        writers: AtomicUsize::new(writers),
        wait: WaitQueue::new(),
    })
}

fn end_inode(pipe: &Arc<Pipe>, perm: u32, read: bool, write: bool) -> Arc<Inode> {
    Inode::new(
        uapi::S_IFIFO | perm,
        InodeKind::Special(Arc::new(PipeEnd {
            pipe: pipe.clone(),
            read,
            write,
        })),
    )
}

/// A new pipe: (read end, write end).
pub fn create(flags: u32) -> (Arc<File>, Arc<File>) {
    let pipe = new_pipe(1, 1);
    let extra = flags & uapi::O_NONBLOCK;
    (
        File::new(end_inode(&pipe, 0o600, true, false), uapi::O_RDONLY | extra),
        File::new(end_inode(&pipe, 0o600, false, true), uapi::O_WRONLY | extra),
    )
}

/// A named pipe (`mkfifo`): the pipe every open of it shares, and how
/// many opens for reading and writing there have been (`r_counter`,
/// `w_counter`: what an open waiting for its partner watches).
pub struct Fifo {
    pipe: Arc<Pipe>,
    r_counter: AtomicUsize,
    w_counter: AtomicUsize,
}

impl Fifo {
    /// A named pipe nobody has open.
    pub fn new() -> Self {
        Fifo {
            pipe: new_pipe(0, 0),
            r_counter: AtomicUsize::new(0),
            w_counter: AtomicUsize::new(0),
        }
    }

    /// Sleeps until `counter` moves from `seen` (a partner opened) or a
    /// signal comes (`wait_for_partner`).
    fn wait_for_partner(&self, counter: &AtomicUsize, seen: usize) -> Result<(), Errno> {
        let mut r = Ok(());
        self.pipe.wait.wait_event(TASK_INTERRUPTIBLE, || {
            if counter.load(Ordering::Acquire) != seen {
                return true;
            }
            if crate::signal::signal_pending() {
                r = Err(ERESTARTSYS);
                return true;
            }
            false
        });
        r
    }
}

impl Default for Fifo {
    fn default() -> Self {
        Self::new()
    }
}

impl FileOps for Fifo {
    fn read(&self, _: &Inode, _: u64, _: &mut [u8]) -> Result<usize, Errno> {
        Err(EBADF)
    }

    fn write(&self, _: &Inode, _: u64, _: &[u8]) -> Result<usize, Errno> {
        Err(EBADF)
    }

    fn seekable(&self) -> bool {
        false
    }

    /// Opening a named pipe (`fifo_open`): for reading it waits for a
    /// writer, for writing for a reader (`O_NONBLOCK`: a reader does not
    /// wait, a writer without a reader fails `ENXIO`); `O_RDWR` never
    /// waits. The file is an end of the shared pipe.
    fn open(&self, inode: &Inode, flags: u32) -> Result<Option<Arc<File>>, Errno> {
        let p = &self.pipe;
        let nonblock = flags & uapi::O_NONBLOCK != 0;
        let perm = inode.mode() & 0o7777;
        let (read, write) = match flags & uapi::O_ACCMODE {
            uapi::O_RDONLY => (true, false),
            uapi::O_WRONLY => (false, true),
            _ => (true, true),
        };
        if write && !read && nonblock && p.readers.load(Ordering::Acquire) == 0 {
            return Err(ENXIO);
        }
        // Counted before waiting, so the partner sees this end at once;
        // the end dropped on a failed wait uncounts it.
        if read {
            p.readers.fetch_add(1, Ordering::AcqRel);
            self.r_counter.fetch_add(1, Ordering::AcqRel);
        }
        if write {
            p.writers.fetch_add(1, Ordering::AcqRel);
            self.w_counter.fetch_add(1, Ordering::AcqRel);
        }
        let file = File::new(end_inode(p, perm, read, write), flags);
        p.wait.wake_up_all();
        if read && !write && !nonblock && p.writers.load(Ordering::Acquire) == 0 {
            let seen = self.w_counter.load(Ordering::Acquire);
            if p.writers.load(Ordering::Acquire) == 0 {
                self.wait_for_partner(&self.w_counter, seen)?;
            }
        }
        if write && !read && p.readers.load(Ordering::Acquire) == 0 {
            let seen = self.r_counter.load(Ordering::Acquire);
            if p.readers.load(Ordering::Acquire) == 0 {
                self.wait_for_partner(&self.r_counter, seen)?;
            }
        }
        Ok(Some(file))
    }
}
