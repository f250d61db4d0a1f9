//! Waiting for several files at once (Linux's `fs/select.c`): `ppoll`.
//!
//! Each file says what would not block now (`FileOps::poll`) and where a
//! task waits for that to change (`FileOps::poll_queue`). `do_poll` asks
//! every file; if none is ready it joins all their queues at once, checks
//! again (a wake-up between the first look and joining is not lost), and
//! sleeps until one of them, the timeout or a signal wakes it.

use super::{File, InodeKind};
use crate::errno::*;
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::sched::wait::{schedule_timeout, WaitQueue};
use crate::task::{self, TASK_INTERRUPTIBLE, TASK_RUNNING};
use crate::{signal, time};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use libkernel::uapi::{self, POLLERR, POLLFD_SIZE, POLLHUP, POLLNVAL};

/// Most descriptors one call may watch (Linux: `RLIMIT_NOFILE`).
const MAX_POLL_FDS: u64 = 256;

/// What `f` would do now, limited to what was asked (errors and hang-ups
/// are always reported, as on Linux).
fn file_poll(f: &File, events: u16) -> u16 {
    let ready = match &f.inode.kind {
        InodeKind::Special(ops) => ops.poll(&f.inode),
        _ => uapi::POLLIN | uapi::POLLRDNORM | uapi::POLLOUT | uapi::POLLWRNORM,
    };
    ready & (events | POLLERR | POLLHUP)
}

fn file_queue(f: &File) -> Option<&WaitQueue> {
    match &f.inode.kind {
        InodeKind::Special(ops) => ops.poll_queue(),
        _ => None,
    }
}

/// One watched descriptor: its file (none for a negative fd, which is
/// skipped, or a closed one, which reports `POLLNVAL`).
struct Watch {
    fd: i32,
    events: u16,
    file: Option<Arc<File>>,
    revents: u16,
}

/// Fills every `revents`; returns how many are non-zero.
fn poll_all(watches: &mut [Watch]) -> usize {
    let mut n = 0;
    for w in watches.iter_mut() {
        w.revents = match (&w.file, w.fd < 0) {
            (_, true) => 0,
            (None, false) => POLLNVAL,
            (Some(f), false) => file_poll(f, w.events),
        };
        n += usize::from(w.revents != 0);
    }
    n
}

/// Waits until a descriptor is ready, `timeout_ns` passes (`None`: no
/// limit) or a signal arrives (`ERESTARTNOHAND`: `EINTR` once a handler runs,
/// else the call starts again); returns how many are ready.
fn do_poll(watches: &mut [Watch], timeout_ns: Option<u64>) -> Result<usize, Errno> {
    let deadline = timeout_ns.map(|ns| time::uptime_ns().saturating_add(ns));
    loop {
        let n = poll_all(watches);
        if n > 0 {
            return Ok(n);
        }
        let left = match deadline {
            Some(d) => match d.checked_sub(time::uptime_ns()) {
                Some(l) if l > 0 => Some(l),
                _ => return Ok(0),
            },
            None => None,
        };
        if signal::signal_pending() {
            return Err(ERESTARTNOHAND);
        }
        let files: Vec<Arc<File>> = watches.iter().filter_map(|w| w.file.clone()).collect();
        let queues: Vec<&WaitQueue> = files.iter().filter_map(|f| file_queue(f)).collect();
        for q in &queues {
            q.prepare_to_wait(TASK_INTERRUPTIBLE);
        }
        if poll_all(watches) == 0 && !signal::signal_pending() {
            match left {
                Some(l) => {
                    schedule_timeout(l);
                }
                None => crate::sched::schedule(),
            }
        }
        task::set_current_state(TASK_RUNNING);
        for q in &queues {
            q.finish_wait();
        }
    }
}

/// `ppoll(fds, nfds, timeout, sigmask, sigsetsize)`: `poll` with a
/// `timespec` timeout (NULL: wait forever) and a signal mask in force
/// while it waits.
pub fn sys_ppoll(ufds: u64, nfds: u64, tsp: u64, sigmask: u64, sigsetsize: u64) -> SysResult {
    if nfds > MAX_POLL_FDS {
        return Err(EINVAL);
    }
    let timeout_ns = if tsp != 0 {
        let mut b = [0u8; 16];
        copy_from_user(&mut b, tsp)?;
        let ts = uapi::Timespec::from_bytes(&b);
        if !ts.is_valid() {
            return Err(EINVAL);
        }
        Some(
            (ts.tv_sec as u64)
                .saturating_mul(1_000_000_000)
                .saturating_add(ts.tv_nsec as u64),
        )
    } else {
        None
    };
    let mut raw = alloc::vec![0u8; nfds as usize * POLLFD_SIZE];
    copy_from_user(&mut raw, ufds)?;
    let mut watches: Vec<Watch> = raw
        .chunks_exact(POLLFD_SIZE)
        .map(|c| {
            let fd = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            Watch {
                fd,
                events: u16::from_le_bytes([c[4], c[5]]),
                file: if fd >= 0 {
                    super::syscalls::fget(fd as i64).ok()
                } else {
                    None
                },
                revents: 0,
            }
        })
        .collect();
    // The mask given is in force for the wait only (as `sigsuspend`'s).
    let me = task::current();
    let saved = if sigmask != 0 {
        if sigsetsize != uapi::SIGSET_SIZE as u64 {
            return Err(EINVAL);
        }
        let mut m = [0u8; 8];
        copy_from_user(&mut m, sigmask)?;
        let old = me.blocked.load(Ordering::Relaxed);
        signal::set_current_blocked(&me, u64::from_le_bytes(m));
        Some(old)
    } else {
        None
    };
    let r = do_poll(&mut watches, timeout_ns);
    if let Some(old) = saved {
        if r == Err(ERESTARTNOHAND) {
            // The signal is handled under the temporary mask first.
            signal::set_restore_sigmask(&me, old);
        } else {
            signal::set_current_blocked(&me, old);
        }
    }
    let n = r?;
    for (w, c) in watches.iter().zip(raw.chunks_exact_mut(POLLFD_SIZE)) {
        c[6..8].copy_from_slice(&w.revents.to_le_bytes());
    }
    copy_to_user(ufds, &raw)?;
    Ok(n as i64)
}
