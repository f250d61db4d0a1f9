//! Generators for the file-system calls (`fs/` in Linux): descriptors,
//! paths, reads and writes, directories, pipes.
//!
//! Reads write into scratch or a hostile address; paths that create or
//! remove stay in the worker's own directory; system paths are opened
//! without write access; pipes stay non-blocking (a blocking read on one
//! would hang the worker).

use crate::worker::{put_u64, Call, Worker, ARENA, ARENA_LEN, SCRATCH, SCRATCH_LEN, USER_VA_END};
use pikern_rt::consts::*;
use pikern_rt::syscall::nr;

/// `read(fd, buf, count)`.
pub fn read(w: &mut Worker, c: &mut Call) {
    let len = w.len();
    c.a[0] = w.fd();
    c.a[1] = w.wptr(len).0;
    c.a[2] = len;
}

/// `write(fd, buf, count)`: `buf` may also be the read-only text.
pub fn write(w: &mut Worker, c: &mut Call) {
    let len = w.len();
    c.a[0] = w.fd();
    c.a[1] = w.rptr(len);
    c.a[2] = len;
}

/// `readv`/`writev(fd, iov, iovcnt)`: an iovec array in the last page of
/// scratch whose entries point anywhere a read or write may.
pub fn readv_writev(w: &mut Worker, c: &mut Call) {
    let cnt = w.rng.pick(&[0, 1, 2, 3, 8, 1024, 1025, u64::MAX, 1 << 32]);
    c.a[0] = w.fd();
    c.a[1] = if w.rng.chance(70) {
        for i in 0..8usize {
            let len = if w.rng.chance(70) {
                w.rng.below(512)
            } else {
                w.len()
            };
            let p = if c.nr == nr::READV as u64 {
                w.wptr(len).0
            } else {
                w.rptr(len)
            };
            let at = (SCRATCH_LEN as usize - 4096) + 16 * i;
            put_u64(at, p);
            put_u64(at + 8, len);
        }
        SCRATCH + SCRATCH_LEN - 4096
    } else {
        w.hostile()
    };
    c.a[2] = cnt;
}

/// `openat(dirfd, path, flags, mode)`: system paths without write access.
pub fn openat(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.dirfd();
    let (p, system) = w.any_path();
    c.a[1] = p;
    c.a[2] = w.open_flags(system);
    c.a[3] = w.rng.pick(&[0o644, 0o777, 0, 0o7777, u64::MAX]);
    if system && c.a[0] != AT_FDCWD as u64 && w.rng.chance(50) {
        c.a[0] = AT_FDCWD as u64;
    }
}

/// `close(fd)`.
pub fn close(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
}

/// `lseek(fd, offset, whence)`.
pub fn lseek(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
    c.a[1] = match w.rng.below(6) {
        0 => 0,
        1 => w.rng.below(200_000),
        2 => -1i64 as u64,
        3 => i64::MAX as u64,
        4 => i64::MIN as u64,
        _ => w.rng.next(),
    };
    c.a[2] = w.rng.pick(&[0, 1, 2, 3, 4, u64::MAX]);
}

/// `newfstatat(dirfd, path, statbuf, flags)`.
pub fn newfstatat(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.dirfd();
    c.a[1] = w.any_path().0;
    let (p, k) = w.wptr(STAT_SIZE as u64);
    c.a[2] = p;
    c.a[3] = w.rng.pick(&[
        0,
        AT_SYMLINK_NOFOLLOW as u64,
        AT_EMPTY_PATH as u64,
        AT_NO_AUTOMOUNT as u64,
        (AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW) as u64,
        u64::MAX,
        AT_REMOVEDIR as u64,
    ]);
    c.kout = k;
}

/// `fstat(fd, statbuf)`.
pub fn fstat(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
    let (p, k) = w.wptr(STAT_SIZE as u64);
    c.a[1] = p;
    c.kout = k;
}

/// `getdents64(fd, dirp, count)`.
pub fn getdents64(w: &mut Worker, c: &mut Call) {
    let len = w.len();
    c.a[0] = w.fd();
    c.a[1] = w.wptr(len).0;
    c.a[2] = len;
}

/// Terminal requests that would change what the whole machine's console
/// does (give the terminal to another session, hang the session up, type
/// into it, stop its output): never made, even by a random number.
const TTY_HAZARDS: [u32; 4] = [TIOCSCTTY, TIOCNOTTY, TIOCSTI, TCXONC];

/// `ioctl(fd, cmd, arg)`: the terminal requests, or any number. Requests
/// that set something set what is already there (the settings `TCGETS`
/// reads, the foreground group `TIOCGPGRP` reads, the window size), so a
/// worker never puts the console the master reports on into raw mode,
/// `TOSTOP` or another foreground group.
pub fn ioctl(w: &mut Worker, c: &mut Call) {
    let fd = w.fd();
    c.a[0] = fd;
    let mut any = w.rng.next();
    let setters = [TCSETS, TCSETSW, TCSETSF, TIOCSPGRP, TIOCSWINSZ];
    if TTY_HAZARDS.contains(&(any as u32)) || setters.contains(&(any as u32)) {
        any = TCGETS as u64;
    }
    let cmd = w.rng.pick(&[
        TCGETS as u64,
        TCSETS as u64,
        TCSETSW as u64,
        TCSETSF as u64,
        TIOCGWINSZ as u64,
        TIOCSWINSZ as u64,
        TIOCGPGRP as u64,
        TIOCSPGRP as u64,
        TIOCGSID as u64,
        FIONREAD as u64,
        TIOCOUTQ as u64,
        TCFLSH as u64,
        any,
    ]);
    c.a[1] = cmd;
    c.a[2] = w.wptr(64).0;
    let off = (SCRATCH_LEN as usize) - 8192 + 512;
    let arg = SCRATCH + off as u64;
    let fd = fd as i32;
    match cmd as u32 {
        TCSETS | TCSETSW | TCSETSF => {
            if let Ok(t) = pikern_rt::sys::tcgets(fd) {
                // SAFETY: Termios is plain old data (repr(C) integers).
                let bytes = unsafe {
                    core::slice::from_raw_parts(
                        &t as *const _ as *const u8,
                        core::mem::size_of_val(&t),
                    )
                };
                crate::worker::put_bytes(off, bytes);
                c.a[2] = arg;
            }
        }
        TIOCSPGRP => {
            if let Ok(pgrp) = pikern_rt::sys::tcgetpgrp(fd) {
                put_u64(off, pgrp as u32 as u64);
                c.a[2] = arg;
            } else if w.rng.chance(50) {
                put_u64(off, w.rng.next());
                c.a[2] = arg;
            }
        }
        TIOCSWINSZ => {
            let mut ws = [0u8; 8];
            // SAFETY: TIOCGWINSZ writes 8 bytes into ws.
            if unsafe { pikern_rt::sys::ioctl(fd, TIOCGWINSZ, ws.as_mut_ptr() as usize) }.is_ok() {
                crate::worker::put_bytes(off, &ws);
                c.a[2] = arg;
            }
        }
        TCFLSH => c.a[2] = w.rng.pick(&[TCIFLUSH, TCOFLUSH, TCIOFLUSH, 3, u64::MAX]),
        _ => {}
    }
}

/// `dup(fd)`.
pub fn dup(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
}

/// `dup3(oldfd, newfd, flags)`: `newfd` is never a protected descriptor.
pub fn dup3(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
    c.a[1] = w.fd();
    c.a[2] = w.rng.pick(&[0, O_CLOEXEC as u64, 1, u64::MAX]);
}

/// `fcntl(fd, cmd, arg)`.
pub fn fcntl(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
    c.a[1] = w.rng.pick(&[
        F_DUPFD as u64,
        F_GETFD as u64,
        F_SETFD as u64,
        F_GETFL as u64,
        F_SETFL as u64,
        F_DUPFD_CLOEXEC as u64,
        F_DUPFD_CLOEXEC as u64 + 1,
        9,
        u64::MAX,
    ]);
    c.a[2] = w.rng.pick(&[
        0,
        1,
        3,
        40,
        249,
        255,
        256,
        1 << 40,
        u64::MAX,
        O_NONBLOCK as u64,
    ]);
    if c.a[1] == F_SETFL as u64 {
        // Pipes stay non-blocking, or a read could hang the worker.
        c.a[2] |= O_NONBLOCK as u64;
    }
}

/// `getcwd(buf, size)`: a kernel `buf` must fail when the path fits.
pub fn getcwd(w: &mut Worker, c: &mut Call) {
    let len = w.len();
    let (p, k) = w.wptr(len);
    c.a[0] = p;
    c.a[1] = len;
    c.kout = k && len >= 4096;
}

/// `chdir(path)`.
pub fn chdir(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.any_path().0;
}

/// `readlinkat(dirfd, path, buf, bufsiz)`: half the time the one symlink
/// (`/proc/self`).
pub fn readlinkat(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.dirfd();
    c.a[1] = if w.rng.chance(50) {
        w.set_path("/proc/self")
    } else {
        w.any_path().0
    };
    let len = w.len();
    c.a[2] = w.wptr(len).0;
    c.a[3] = len;
}

/// `mkdirat(dirfd, path, mode)` / `unlinkat(dirfd, path, flags)`: only in
/// the worker's directory, or a path that must fail.
pub fn mkdirat_unlinkat(w: &mut Worker, c: &mut Call) {
    let p = w.destructive_path();
    // A relative path only with a descriptor that names nothing.
    let relative = p < USER_VA_END && p == w.path.as_ptr() as u64 && w.path[0] != b'/';
    c.a[0] = if relative { w.bad_dirfd() } else { w.dirfd() };
    c.a[1] = p;
    c.a[2] = if c.nr == nr::MKDIRAT as u64 {
        w.rng.pick(&[0o755, 0, 0o7777, u64::MAX])
    } else {
        let rm = AT_REMOVEDIR as u64;
        w.rng.pick(&[0, rm, rm, 1, u64::MAX])
    };
}

/// `pipe2(fds, flags)`: the descriptors are learnt from scratch afterwards
/// (`Worker::after`), so a pipe the worker could not learn is never made.
pub fn pipe2(w: &mut Worker, c: &mut Call) {
    let (p, k) = if w.rng.chance(75) {
        (SCRATCH + (w.rng.below(SCRATCH_LEN / 8 - 1) * 8), false)
    } else {
        let p = w.hostile();
        // Never a pipe whose descriptors the worker cannot learn (a
        // blocking read on it would hang the worker).
        if (ARENA..ARENA + ARENA_LEN).contains(&p) || (SCRATCH..SCRATCH + SCRATCH_LEN).contains(&p)
        {
            (0, false)
        } else {
            (p, p >= USER_VA_END)
        }
    };
    c.a[0] = p;
    c.a[1] = w.rng.pick(&[
        0,
        O_NONBLOCK as u64,
        (O_NONBLOCK | O_CLOEXEC) as u64,
        O_CLOEXEC as u64,
        1,
        u64::MAX,
        O_NONBLOCK as u64,
    ]);
    c.kout = k;
}

/// The `dirfd` for path `p` as `mkdirat` picks it: a relative path only
/// with a descriptor that names nothing, so nothing outside the worker's
/// own directory is touched.
fn dirfd_for(w: &mut Worker, p: u64) -> u64 {
    let relative = p < USER_VA_END && p == w.path.as_ptr() as u64 && w.path[0] != b'/';
    if relative {
        w.bad_dirfd()
    } else {
        w.dirfd()
    }
}

/// `symlinkat(target, newdirfd, linkpath)`: a link (to anything) made in
/// the worker's directory, or at a name that must fail.
pub fn symlinkat(w: &mut Worker, c: &mut Call) {
    // The target is only a string: any name, or an unreadable pointer.
    c.a[0] = if w.rng.chance(80) {
        w.set_path("../a")
    } else {
        w.unreadable()
    };
    let p = w.destructive_path();
    c.a[1] = dirfd_for(w, p);
    c.a[2] = p;
}

/// `renameat(olddirfd, old, newdirfd, new[, flags])`: only the worker's
/// own files move (or names that cannot), to its own names or to names
/// that must fail (`/bin`, `/proc/1`, ...).
pub fn renameat(w: &mut Worker, c: &mut Call) {
    let old = if w.rng.chance(75) {
        let s = w.rng.pick(crate::gen::args::OWN_NAMES);
        w.own_path(s)
    } else {
        w.unreadable()
    };
    c.a[0] = dirfd_for(w, old);
    c.a[1] = old;
    // The second path overwrites the worker's path buffer: an absolute
    // one, or one of its own names again.
    let new = w.destructive_path();
    c.a[2] = dirfd_for(w, new);
    c.a[3] = new;
    c.a[4] = w.rng.pick(&[0, 0, 1, 2, u64::MAX]);
}

/// `ppoll(fds, nfds, timeout, sigmask, sigsetsize)`: a few of the worker's
/// descriptors (and bad ones); the timeout is never NULL, so the call
/// never waits longer than it says.
pub fn ppoll(w: &mut Worker, c: &mut Call) {
    let n = w.rng.below(6);
    let (p, _) = w.wptr(n * 8);
    if (SCRATCH..SCRATCH + SCRATCH_LEN).contains(&p) && p % 8 == 0 {
        for i in 0..n {
            let fd = w.fd() as u32 as u64;
            let events = w.rng.pick(&[1u64, 4, 5, 0x41, 0xffff, 0]);
            put_u64((p - SCRATCH + i * 8) as usize, fd | (events << 32));
        }
    }
    c.a[0] = p;
    c.a[1] = if w.rng.chance(5) {
        w.rng.pick(&[1 << 20, u64::MAX])
    } else {
        n
    };
    let t = w.timespec();
    // NULL would wait for ever: a worker must come back (1 µs instead).
    c.a[2] = if t == 0 {
        let off = (SCRATCH_LEN - 16) as usize;
        put_u64(off, 0);
        put_u64(off + 8, 1000);
        SCRATCH + off as u64
    } else {
        t
    };
    c.a[3] = if w.rng.chance(70) { 0 } else { w.rptr(8) };
    c.a[4] = w.rng.pick(&[8, 8, 4, 0, u64::MAX]);
}
