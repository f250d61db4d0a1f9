//! Pipes (Linux's `fs/pipe.c`): a 64 KiB buffer between a read end and a
//! write end. Readers sleep until data arrives or the last writer closes
//! (end of file); writers sleep while it is full, and get `EPIPE` (and
//! SIGPIPE) once no reader is left. Both sleeps end early on a signal, and
//! an `O_NONBLOCK` end never sleeps: `EAGAIN` instead.

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

/// One end of a pipe; dropping it (the last file closed) closes that end.
struct PipeEnd {
    pipe: Arc<Pipe>,
    write: bool,
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let c = if self.write {
            &self.pipe.writers
        } else {
            &self.pipe.readers
        };
        c.fetch_sub(1, Ordering::AcqRel);
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
        if self.write {
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
                    crate::signal::send_signal(&crate::task::current(), uapi::SIGPIPE);
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
        if self.write {
            if p.readers.load(Ordering::Acquire) == 0 {
                uapi::POLLERR
            } else if len < PIPE_SIZE {
                uapi::POLLOUT | uapi::POLLWRNORM
            } else {
                0
            }
        } else {
            let data = if len > 0 {
                uapi::POLLIN | uapi::POLLRDNORM
            } else {
                0
            };
            let hup = if p.writers.load(Ordering::Acquire) == 0 {
                uapi::POLLHUP
            } else {
                0
            };
            data | hup
        }
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pipe.wait)
    }
}

/// A new pipe: (read end, write end).
pub fn create(flags: u32) -> (Arc<File>, Arc<File>) {
    let pipe = Arc::new(Pipe {
        buf: IrqSpinLock::new(VecDeque::new()),
        readers: AtomicUsize::new(1),
        writers: AtomicUsize::new(1),
        wait: WaitQueue::new(),
    });
    let end = |write: bool| {
        Inode::new(
            uapi::S_IFIFO | 0o600,
            InodeKind::Special(Arc::new(PipeEnd {
                pipe: pipe.clone(),
                write,
            })),
        )
    };
    let extra = flags & uapi::O_NONBLOCK;
    (
        File::new(end(false), uapi::O_RDONLY | extra),
        File::new(end(true), uapi::O_WRONLY | extra),
    )
}
