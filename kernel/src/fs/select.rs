//! Waiting for several files at once (Linux's `fs/select.c`): `ppoll`
//! and `pselect6`.
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

/// What `f` would do now, limited to what was asked (`poll` always
/// reports errors and hang-ups, as on Linux; `select` only what its sets
/// ask for).
fn file_poll(f: &File, events: u16) -> u16 {
    let ready = match &f.inode.kind {
        InodeKind::Special(ops) => ops.poll(&f.inode),
        _ => uapi::POLLIN | uapi::POLLRDNORM | uapi::POLLOUT | uapi::POLLWRNORM,
    };
    ready & events
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
    /// What is asked for (for `poll`, with `POLLERR | POLLHUP` added).
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
        // Asleep before the last look, on the files' queues if any: with
        // none (`pause()` is `ppoll(NULL, 0, NULL, NULL)`) only a signal
        // or the timeout ends the wait, and schedule() must not return
        // at once into a busy loop.
        task::set_current_state(TASK_INTERRUPTIBLE);
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
    let timeout_ns = get_timeout(tsp)?;
    let mut raw = alloc::vec![0u8; nfds as usize * POLLFD_SIZE];
    copy_from_user(&mut raw, ufds)?;
    let mut watches: Vec<Watch> = raw
        .chunks_exact(POLLFD_SIZE)
        .map(|c| {
            let fd = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            Watch {
                fd,
                events: u16::from_le_bytes([c[4], c[5]]) | POLLERR | POLLHUP,
                file: if fd >= 0 {
                    super::syscalls::fget(fd as i64).ok()
                } else {
                    None
                },
                revents: 0,
            }
        })
        .collect();
    let r = with_sigmask(sigmask, sigsetsize, || do_poll(&mut watches, timeout_ns))?;
    let n = r;
    for (w, c) in watches.iter().zip(raw.chunks_exact_mut(POLLFD_SIZE)) {
        c[6..8].copy_from_slice(&w.revents.to_le_bytes());
    }
    copy_to_user(ufds, &raw)?;
    Ok(n as i64)
}

/// A `timespec` timeout from user memory (NULL: none), `EINVAL` if it is
/// not a valid time.
fn get_timeout(tsp: u64) -> Result<Option<u64>, Errno> {
    if tsp == 0 {
        return Ok(None);
    }
    let mut b = [0u8; 16];
    copy_from_user(&mut b, tsp)?;
    let ts = uapi::Timespec::from_bytes(&b);
    if !ts.is_valid() {
        return Err(EINVAL);
    }
    Ok(Some(
        (ts.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(ts.tv_nsec as u64),
    ))
}

/// Runs `wait` with the signal mask at `sigmask` (if not NULL) in force,
/// as `ppoll` and `pselect6` do: the mask is for the wait only (as
/// `sigsuspend`'s), and a signal that ends it is handled under it first.
fn with_sigmask<T>(
    sigmask: u64,
    sigsetsize: u64,
    wait: impl FnOnce() -> Result<T, Errno>,
) -> Result<T, Errno> {
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
    let r = wait();
    if let Some(old) = saved {
        if matches!(r, Err(e) if e == ERESTARTNOHAND) {
            // The signal is handled under the temporary mask first.
            signal::set_restore_sigmask(&me, old);
        } else {
            signal::set_current_blocked(&me, old);
        }
    }
    r
}

/// What `select`'s read, write and exception sets ask of a file
/// (`POLLIN_SET`, `POLLOUT_SET`, `POLLEX_SET`).
const POLLIN_SET: u16 = uapi::POLLRDNORM | uapi::POLLRDBAND | uapi::POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET: u16 = uapi::POLLWRBAND | uapi::POLLWRNORM | uapi::POLLOUT | POLLERR;
const POLLEX_SET: u16 = uapi::POLLPRI;

/// `pselect6(n, readfds, writefds, exceptfds, timeout, sigmask)`: `select`
/// on `ppoll`'s machinery. The sets are bit arrays of `n` descriptors;
/// each comes back with only the ready ones set, the timeout with the
/// time left; the last argument points to `{ sigset_t *ss; size_t len; }`.
pub fn sys_pselect6(n: i64, inp: u64, outp: u64, exp: u64, tsp: u64, sig: u64) -> SysResult {
    if n < 0 {
        return Err(EINVAL);
    }
    let n = (n as usize).min(super::NR_OPEN);
    let start = time::uptime_ns();
    let timeout_ns = get_timeout(tsp)?;
    let (sigmask, sigsetsize) = if sig != 0 {
        let mut b = [0u8; 16];
        copy_from_user(&mut b, sig)?;
        (
            u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8])),
            u64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8])),
        )
    } else {
        (0, 0)
    };
    // The sets, each `n` bits rounded up to whole longs.
    let bytes = n.div_ceil(64) * 8;
    let mut sets = [Vec::new(), Vec::new(), Vec::new()];
    for (set, p) in sets.iter_mut().zip([inp, outp, exp]) {
        if p != 0 {
            *set = alloc::vec![0u8; bytes];
            copy_from_user(set, p)?;
        }
    }
    let bit = |set: &Vec<u8>, fd: usize| set.get(fd / 8).is_some_and(|b| b & (1 << (fd % 8)) != 0);
    let mut watches = Vec::new();
    for fd in 0..n {
        let mut events = 0;
        for (set, mask) in sets.iter().zip([POLLIN_SET, POLLOUT_SET, POLLEX_SET]) {
            if bit(set, fd) {
                events |= mask;
            }
        }
        if events != 0 {
            watches.push(Watch {
                fd: fd as i32,
                events,
                file: Some(super::syscalls::fget(fd as i64)?),
                revents: 0,
            });
        }
    }
    with_sigmask(sigmask, sigsetsize, || do_poll(&mut watches, timeout_ns))?;
    let mut out = [
        alloc::vec![0u8; bytes],
        alloc::vec![0u8; bytes],
        alloc::vec![0u8; bytes],
    ];
    let mut count = 0;
    for w in &watches {
        let fd = w.fd as usize;
        for ((o, set), mask) in out
            .iter_mut()
            .zip(&sets)
            .zip([POLLIN_SET, POLLOUT_SET, POLLEX_SET])
        {
            if bit(set, fd) && w.revents & mask != 0 {
                o[fd / 8] |= 1 << (fd % 8);
                count += 1;
            }
        }
    }
    for (o, p) in out.iter().zip([inp, outp, exp]) {
        if p != 0 {
            copy_to_user(p, o)?;
        }
    }
    if let (Some(t), true) = (timeout_ns, tsp != 0) {
        let left = t.saturating_sub(time::uptime_ns() - start);
        let ts = uapi::Timespec {
            tv_sec: (left / 1_000_000_000) as i64,
            tv_nsec: (left % 1_000_000_000) as i64,
        };
        // Linux ignores a timeout it cannot write back.
        let _ = copy_to_user(tsp, &ts.to_bytes());
    }
    Ok(count)
}
