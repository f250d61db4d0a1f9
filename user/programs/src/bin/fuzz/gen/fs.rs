//! Generators for the file-system calls (`fs/` in Linux): descriptors,
//! paths, reads and writes, directories, pipes.
//!
//! Reads write into scratch or a hostile address; paths that create or
//! remove stay in the worker's own directory; system paths are opened
//! without write access; pipes stay non-blocking (a blocking read on one
//! would hang the worker).

use crate::worker::{
    put_u64, Call, Worker, ARENA, ARENA_LEN, KERNEL_VA, SCRATCH, SCRATCH_LEN, USER_VA_END,
};
use pikern_rt::consts::*;
use pikern_rt::syscall::nr;
use pikern_rt::uapi;

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

/// A path that names one of the worker's own files (or nothing, or
/// cannot be read): what a call that changes a file may take.
fn own_or_failing(w: &mut Worker) -> u64 {
    match w.rng.below(10) {
        0..=6 => {
            let s = w.rng.pick(crate::gen::args::OWN_NAMES);
            w.own_path(s)
        }
        7 => {
            let s = w
                .rng
                .pick(&["/nonexistent/x", "/bin/true/x", "", "/proc/1/nope"]);
            w.set_path(s)
        }
        8 => w.any_path_long(),
        _ => w.unreadable(),
    }
}

/// `linkat(olddirfd, old, newdirfd, new, flags)`: a second name, in the
/// worker's directory, for one of its files or for a descriptor's file
/// (`AT_EMPTY_PATH`).
pub fn linkat(w: &mut Worker, c: &mut Call) {
    c.a[4] = w.rng.pick(&[
        0,
        AT_SYMLINK_FOLLOW as u64,
        AT_EMPTY_PATH as u64,
        (AT_EMPTY_PATH | AT_SYMLINK_FOLLOW) as u64,
        1,
        u64::MAX,
    ]);
    let old = if c.a[4] & AT_EMPTY_PATH as u64 != 0 && w.rng.chance(50) {
        w.set_path("")
    } else {
        own_or_failing(w)
    };
    // An empty path links the descriptor's file: never one of the
    // worker's (a system file under its own name would then be written).
    c.a[0] = if old == w.path.as_ptr() as u64 && w.path[0] == 0 {
        w.bad_dirfd()
    } else {
        dirfd_for(w, old)
    };
    c.a[1] = old;
    // The new name overwrites the path buffer: copy the old one aside.
    let old_copy = SCRATCH_LEN as usize - 8192;
    let s = crate::worker::scratch();
    let n = w.path.iter().position(|&b| b == 0).unwrap_or(0).min(4000);
    if old < USER_VA_END && old == w.path.as_ptr() as u64 {
        s[old_copy..old_copy + n].copy_from_slice(&w.path[..n]);
        s[old_copy + n] = 0;
        c.a[1] = SCRATCH + old_copy as u64;
    }
    let new = w.destructive_path();
    c.a[2] = dirfd_for(w, new);
    c.a[3] = new;
}

/// Permission bits for `chmod`: every one keeps the execute bits, so a
/// program the worker runs stays runnable whatever file it hits.
fn chmod_mode(w: &mut Worker) -> u64 {
    w.rng
        .pick(&[0o755, 0o777, 0o4755, 0o1777, 0o111, u64::MAX, 0o170755])
}

/// `fchmodat(dirfd, path, mode)`: the worker's own files.
pub fn fchmodat(w: &mut Worker, c: &mut Call) {
    let p = own_or_failing(w);
    c.a[0] = dirfd_for(w, p);
    c.a[1] = p;
    c.a[2] = chmod_mode(w);
}

/// `fchmod(fd, mode)`.
pub fn fchmod(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
    c.a[1] = chmod_mode(w);
}

/// An id for `chown`: root, others, or -1 (unchanged).
fn chown_id(w: &mut Worker) -> u64 {
    w.rng.pick(&[0, 1, 1000, u32::MAX as u64, u64::MAX, 65534])
}

/// `fchownat(dirfd, path, owner, group, flags)`.
pub fn fchownat(w: &mut Worker, c: &mut Call) {
    let p = own_or_failing(w);
    c.a[0] = dirfd_for(w, p);
    c.a[1] = p;
    c.a[2] = chown_id(w);
    c.a[3] = chown_id(w);
    c.a[4] = w.rng.pick(&[
        0,
        AT_SYMLINK_NOFOLLOW as u64,
        AT_EMPTY_PATH as u64,
        1,
        u64::MAX,
    ]);
}

/// `fchown(fd, owner, group)`.
pub fn fchown(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
    c.a[1] = chown_id(w);
    c.a[2] = chown_id(w);
}

/// `utimensat(dirfd, path, times, flags)`: two timespecs in scratch
/// (`UTIME_NOW`, `UTIME_OMIT`, negative, out of range), NULL, or an
/// unreadable pointer; NULL `path` means `dirfd`'s file.
pub fn utimensat(w: &mut Worker, c: &mut Call) {
    let p = if w.rng.chance(20) {
        0
    } else {
        own_or_failing(w)
    };
    c.a[0] = if p == 0 { w.fd() } else { dirfd_for(w, p) };
    c.a[1] = p;
    let off = (SCRATCH_LEN - 48) as usize;
    for i in 0..2 {
        let nsec = w.rng.pick(&[
            0,
            UTIME_NOW as u64,
            UTIME_OMIT as u64,
            999_999_999,
            1_000_000_000,
            u64::MAX,
        ]);
        put_u64(
            off + 16 * i,
            w.rng.pick(&[0, 1_577_934_245, u64::MAX, 1 << 62]),
        );
        put_u64(off + 16 * i + 8, nsec);
    }
    c.a[2] = match w.rng.below(5) {
        0 => 0,
        1 => w.unreadable(),
        _ => SCRATCH + off as u64,
    };
    c.a[3] = w.rng.pick(&[
        0,
        AT_SYMLINK_NOFOLLOW as u64,
        AT_EMPTY_PATH as u64,
        1,
        u64::MAX,
    ]);
}

/// A file length: empty, small, past a page, over the largest file,
/// negative.
fn length(w: &mut Worker) -> u64 {
    w.rng
        .pick(&[0, 1, 4097, 100_000, 1 << 40, u64::MAX, i64::MAX as u64])
}

/// `truncate(path, length)`: the worker's own files (system files are
/// not regular ramfs files or fail).
pub fn truncate(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.destructive_path();
    c.a[1] = length(w);
}

/// `ftruncate(fd, length)`: system files are never open for writing.
pub fn ftruncate(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
    c.a[1] = length(w);
}

/// A position for `pread64`/`pwrite64`.
fn position(w: &mut Worker) -> u64 {
    w.rng
        .pick(&[0, 1, 4096, 100_000, u64::MAX, i64::MAX as u64, 1 << 40])
}

/// `pread64(fd, buf, count, pos)`.
pub fn pread64(w: &mut Worker, c: &mut Call) {
    read(w, c);
    c.a[3] = position(w);
}

/// `pwrite64(fd, buf, count, pos)`: far positions stay below the largest
/// file, or fail.
pub fn pwrite64(w: &mut Worker, c: &mut Call) {
    write(w, c);
    c.a[3] = position(w);
}

/// `fsync`/`fdatasync(fd)`.
pub fn fsync(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
}

/// `statx(dirfd, path, flags, mask, buf)`.
pub fn statx(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.dirfd();
    c.a[1] = w.any_path().0;
    c.a[2] = w.rng.pick(&[
        0,
        AT_SYMLINK_NOFOLLOW as u64,
        AT_EMPTY_PATH as u64,
        AT_STATX_SYNC_TYPE as u64,
        AT_STATX_DONT_SYNC as u64,
        u64::MAX,
    ]);
    c.a[3] = w.rng.pick(&[
        STATX_BASIC_STATS as u64,
        0,
        0xfff,
        STATX__RESERVED as u64,
        u64::MAX,
    ]);
    let (p, k) = w.wptr(STATX_SIZE_BYTES as u64);
    c.a[4] = p;
    c.kout = k;
}

/// `statfs(path, buf)`.
pub fn statfs(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.any_path().0;
    let (p, k) = w.wptr(STATFS_SIZE as u64);
    c.a[1] = p;
    c.kout = k;
}

/// `fstatfs(fd, buf)`.
pub fn fstatfs(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
    let (p, k) = w.wptr(STATFS_SIZE as u64);
    c.a[1] = p;
    c.kout = k;
}

/// `mknodat(dirfd, path, mode, dev)`: regular files and devices that never
/// block (null, zero, urandom, or none) in the worker's directory; never a
/// named pipe there, whose open would wait for a writer for ever (only at
/// names that must fail).
pub fn mknodat(w: &mut Worker, c: &mut Call) {
    let p = own_or_failing(w);
    c.a[0] = dirfd_for(w, p);
    c.a[1] = p;
    let own = p == w.path.as_ptr() as u64 && w.path[0] == b'/' && w.path.starts_with(b"/tmp/");
    c.a[2] = w.rng.pick(&[
        (S_IFREG | 0o644) as u64,
        0o600,
        (S_IFCHR | 0o666) as u64,
        (S_IFBLK | 0o600) as u64,
        (S_IFSOCK | 0o600) as u64,
        (S_IFDIR | 0o755) as u64,
        (S_IFLNK | 0o777) as u64,
        (S_IFIFO | 0o644) as u64,
        u64::MAX,
    ]);
    if own && c.a[2] as u32 & S_IFMT == S_IFIFO {
        c.a[2] = (S_IFREG | 0o644) as u64;
    }
    // Old-style device numbers: 1:3, 1:5, 1:9, 99:0 (none); never the
    // console (5:x), whose read waits for typing.
    c.a[3] = w.rng.pick(&[0x103, 0x105, 0x109, 0x6300, 0, !0xfff00]);
}

/// `umask(mask)`.
pub fn umask(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.rng.pick(&[0o022, 0, 0o777, 0o7777, u64::MAX]);
}

/// `sendfile(out_fd, in_fd, offset, count)`: between the worker's
/// descriptors (system files are never open for writing), with an offset
/// in scratch, NULL, or an unreadable one.
pub fn sendfile(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
    c.a[1] = w.fd();
    let off = (SCRATCH_LEN - 8) as usize;
    put_u64(off, w.rng.pick(&[0, 10, u64::MAX, 1 << 40]));
    c.a[2] = match w.rng.below(4) {
        0 => 0,
        1 => w.unreadable(),
        _ => SCRATCH + off as u64,
    };
    c.a[3] = w.len();
}

/// `pselect6(n, readfds, writefds, exceptfds, timeout, sigmask)`: sets of
/// the worker's descriptors in scratch; the timeout is never NULL (1 µs
/// instead), so the call always comes back.
pub fn pselect6(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.rng.pick(&[0, 1, 8, 64, 256, 1024, 1 << 20, u64::MAX]);
    let base = (SCRATCH_LEN - 4096 + 256) as usize;
    for i in 0..3usize {
        let set = base + 128 * i;
        for k in 0..16 {
            put_u64(set + 8 * k, 0);
        }
        for _ in 0..w.rng.below(4) {
            let fd = w.fd() as u32 as usize % 1024;
            let word = set + (fd / 64) * 8;
            let v = u64::from_le_bytes(
                crate::worker::scratch()[word..word + 8]
                    .try_into()
                    .unwrap_or([0; 8]),
            );
            put_u64(word, v | 1 << (fd % 64));
        }
        c.a[1 + i] = match w.rng.below(5) {
            0 => 0,
            1 => w.unreadable(),
            _ => SCRATCH + set as u64,
        };
    }
    let t = w.timespec();
    c.a[4] = if t == 0 {
        let off = (SCRATCH_LEN - 16) as usize;
        put_u64(off, 0);
        put_u64(off + 8, 1000);
        SCRATCH + off as u64
    } else {
        t
    };
    let sig = base + 512;
    put_u64(sig, w.rptr(8));
    put_u64(sig + 8, w.rng.pick(&[8, 8, 4, u64::MAX]));
    c.a[5] = match w.rng.below(3) {
        0 => 0,
        1 => w.unreadable(),
        _ => SCRATCH + sig as u64,
    };
}

/// `mount(source, target, type, flags, data)`: only calls that must fail,
/// so the worker never covers a directory (the master could not remove
/// it) nor remounts a real mount: a real type only on a target that does
/// not exist or cannot be read, the worker's own directories only with a
/// type that does not exist (or flags that are refused there: bind,
/// move, remount and propagation changes of a directory that is no
/// mount's root).
pub fn mount(w: &mut Worker, c: &mut Call) {
    let real = w.rng.chance(50);
    let t = (SCRATCH_LEN - 4096 + 1024) as usize;
    let s = crate::worker::scratch();
    let ty: &[u8] = if real {
        w.rng.pick(&[
            &b"tmpfs\0"[..],
            b"proc\0",
            b"ramfs\0",
            b"devtmpfs\0",
            b"tracefs\0",
        ])
    } else {
        w.rng.pick(&[&b"bogusfs\0"[..], b"\0", b"rootfs\0"])
    };
    s[t..t + ty.len()].copy_from_slice(ty);
    let data = t + 64;
    let d: &[u8] = w
        .rng
        .pick(&[&b"size=1m\0"[..], b"mode=755,bad\0", b"\0", b"size=x\0"]);
    s[data..data + d.len()].copy_from_slice(d);
    c.a[0] = w.rng.pick(&[0, SCRATCH + t as u64]);
    c.a[2] = match w.rng.below(6) {
        0 => 0,
        1 => w.unreadable(),
        _ => SCRATCH + t as u64,
    };
    c.a[4] = w.rng.pick(&[0, SCRATCH + data as u64, KERNEL_VA]);
    let flags = w.rng.pick(&[
        0,
        MS_BIND as u64,
        MS_MOVE as u64,
        MS_REMOUNT as u64,
        MS_PRIVATE as u64,
        (MS_SHARED | MS_SLAVE) as u64,
        MS_MGC_VAL as u64,
        MS_NOUSER as u64,
    ]);
    let fails_anyway = c.a[2] != SCRATCH + t as u64 || !real || flags != 0;
    c.a[1] = if fails_anyway && flags != MS_MGC_VAL as u64 && w.rng.chance(70) {
        let name = w.rng.pick(crate::gen::args::OWN_NAMES);
        w.own_path(name)
    } else {
        let s = w.rng.pick(&["/nonexistent/x", "/bin/true/x", ""]);
        if w.rng.chance(80) {
            w.set_path(s)
        } else {
            w.unreadable()
        }
    };
    c.a[3] = flags;
}

/// `umount2(target, flags)`: the worker's own names (never a mount's
/// root: it mounts nothing), `/` (busy), names that do not exist.
pub fn umount2(w: &mut Worker, c: &mut Call) {
    c.a[0] = match w.rng.below(6) {
        0..=2 => {
            let s = w.rng.pick(crate::gen::args::OWN_NAMES);
            w.own_path(s)
        }
        3 => w.set_path("/"),
        4 => w.set_path("/nonexistent"),
        _ => w.unreadable(),
    };
    c.a[1] = w.rng.pick(&[
        0,
        MNT_DETACH as u64,
        MNT_FORCE as u64,
        MNT_EXPIRE as u64,
        16,
        u64::MAX,
    ]);
}

/// `preadv`/`pwritev(fd, iov, iovcnt, pos_l, pos_h)` and the `-2` forms
/// with `flags`: the iovecs of `readv`/`writev`, a position (-1 for the
/// file position in the `-2` forms), and `RWF_*` flags known and not.
pub fn preadv_pwritev(w: &mut Worker, c: &mut Call) {
    let nr = c.nr;
    // readv's generator picks the buffers by the call's direction.
    c.nr = if nr == nr::PREADV as u64 || nr == nr::PREADV2 as u64 {
        nr::READV as u64
    } else {
        nr::WRITEV as u64
    };
    readv_writev(w, c);
    c.nr = nr;
    c.a[3] = if w.rng.chance(20) {
        -1i64 as u64
    } else {
        position(w)
    };
    c.a[4] = w.rng.pick(&[0, 1, u64::MAX]);
    c.a[5] = w.rng.pick(&[
        0,
        uapi::RWF_HIPRI as u64,
        uapi::RWF_DSYNC as u64,
        uapi::RWF_NOWAIT as u64,
        uapi::RWF_APPEND as u64,
        0x100,
        u64::MAX,
    ]);
}

/// `copy_file_range(fd_in, off_in, fd_out, off_out, len, flags)`: the
/// worker's descriptors, offsets in scratch (or NULL, or unreadable),
/// lengths up to past the largest file.
pub fn copy_file_range(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
    c.a[2] = w.fd();
    for (i, arg) in [1usize, 3].into_iter().enumerate() {
        let off = (SCRATCH_LEN - 16) as usize + 8 * i;
        put_u64(off, w.rng.pick(&[0, 10, 4096, u64::MAX, 1 << 40]));
        c.a[arg] = match w.rng.below(4) {
            0 => 0,
            1 => w.unreadable(),
            _ => SCRATCH + off as u64,
        };
    }
    c.a[4] = if w.rng.chance(70) {
        w.rng.below(100_000)
    } else {
        w.len()
    };
    c.a[5] = if w.rng.chance(90) { 0 } else { w.rng.next() };
}

/// `fallocate(fd, mode, offset, len)`: the modes tmpfs takes and others;
/// ranges that stay small (a worker must not fill memory), and some
/// that are invalid or past the largest file.
pub fn fallocate(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.fd();
    c.a[1] = w.rng.pick(&[
        0,
        uapi::FALLOC_FL_KEEP_SIZE as u64,
        (uapi::FALLOC_FL_PUNCH_HOLE | uapi::FALLOC_FL_KEEP_SIZE) as u64,
        uapi::FALLOC_FL_PUNCH_HOLE as u64,
        uapi::FALLOC_FL_ZERO_RANGE as u64,
        uapi::FALLOC_FL_COLLAPSE_RANGE as u64,
        0x100,
        u64::MAX,
    ]);
    c.a[2] = w
        .rng
        .pick(&[0, 1, 4095, 100_000, -1i64 as u64, i64::MAX as u64]);
    c.a[3] = w
        .rng
        .pick(&[0, 1, 4096, 200_000, -1i64 as u64, i64::MAX as u64]);
}

/// `close_range(fd, max_fd, flags)`: ranges of the worker's descriptors
/// that leave its report pipe and console alone (both above 249), or
/// start past them; `fd > max_fd` and unknown flags for `EINVAL`.
pub fn close_range(w: &mut Worker, c: &mut Call) {
    let (lo, hi) = if w.rng.chance(80) {
        let lo = w.rng.below(40);
        (lo, (lo + w.rng.below(8)).min(249))
    } else if w.rng.chance(50) {
        (252 + w.rng.below(8), u32::MAX as u64)
    } else {
        (20, 10)
    };
    c.a[0] = lo;
    c.a[1] = hi;
    c.a[2] = w.rng.pick(&[
        0,
        uapi::CLOSE_RANGE_CLOEXEC as u64,
        uapi::CLOSE_RANGE_UNSHARE as u64,
        (uapi::CLOSE_RANGE_CLOEXEC | uapi::CLOSE_RANGE_UNSHARE) as u64,
        0x80,
    ]);
}

/// `memfd_create(name, flags)`: a short name, a long one, or a hostile
/// pointer, with `MFD_*` flags known and not.
pub fn memfd_create(w: &mut Worker, c: &mut Call) {
    c.a[0] = match w.rng.below(4) {
        0 => w.set_path("fz-memfd"),
        1 => w.any_path_long(),
        2 => w.hostile(),
        _ => w.any_path().0,
    };
    c.a[1] = w.rng.pick(&[
        0,
        uapi::MFD_CLOEXEC as u64,
        uapi::MFD_ALLOW_SEALING as u64,
        uapi::MFD_HUGETLB as u64,
        0x100,
        u64::MAX,
    ]);
}
