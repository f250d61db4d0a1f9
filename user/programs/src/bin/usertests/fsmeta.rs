//! Suite `fsmeta`: what a file system keeps about files and itself, and
//! the calls that change it: linkat, fchmod(at), fchown(at), utimensat,
//! truncate, ftruncate, pread64, pwrite64, umask, mknodat (named pipes),
//! statx, statfs, fstatfs, fsync, mount, umount2, pselect6, sysinfo,
//! times. Everything happens in a scratch directory under `/tmp` (on Linux
//! too: the host's `/tmp`); mounting needs root (skipped without).

use crate::ktap::{Suite, TestResult};
use crate::util::*;
use alloc::vec;
use core::ffi::CStr;
use pikern_rt::consts::*;
use pikern_rt::sys::{self, Stat};
use pikern_rt::syscall::{nr, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};
use pikern_rt::Errno;

pub static SUITE: Suite = Suite {
    name: "fsmeta",
    tests: tests![
        linkat_names_one_inode_twice,
        linkat_errors,
        chmod_chown_are_kept,
        utimensat_sets_omits_and_nows,
        utimensat_errors,
        truncate_and_ftruncate,
        pread_pwrite_leave_the_position,
        pread_on_a_pipe_espipe,
        umask_applies_and_is_inherited,
        mknodat_fifo_connects_reader_and_writer,
        mknodat_errors,
        statx_agrees_with_fstatat,
        statfs_says_which_file_system,
        fsync_regular_ok_pipe_einval,
        mount_tmpfs_then_umount,
        pselect6_sees_a_ready_pipe,
        sysinfo_and_times,
    ],
};

/// A fresh scratch directory; removed (with what the test left) by the
/// next test that makes it.
const DIR: &CStr = c"/tmp/ut-fsmeta";

fn fresh_dir() -> TestResult {
    for name in [
        c"/tmp/ut-fsmeta/a",
        c"/tmp/ut-fsmeta/b",
        c"/tmp/ut-fsmeta/c",
        c"/tmp/ut-fsmeta/fifo",
        c"/tmp/ut-fsmeta/sub/f",
    ] {
        let _ = sys::unlinkat(AT_FDCWD, name, 0);
    }
    for name in [c"/tmp/ut-fsmeta/sub", c"/tmp/ut-fsmeta/mnt", DIR] {
        let _ = sys::unlinkat(AT_FDCWD, name, AT_REMOVEDIR);
    }
    ok!(sys::mkdirat(AT_FDCWD, DIR, 0o755));
    Ok(())
}

fn stat(path: &CStr) -> Result<Stat, Errno> {
    let mut st = Stat::default();
    sys::newfstatat(AT_FDCWD, path, &mut st, AT_SYMLINK_NOFOLLOW)?;
    Ok(st)
}

fn create(path: &CStr, data: &[u8]) -> TestResult {
    let fd = Fd(ok!(sys::openat(
        AT_FDCWD,
        path,
        O_WRONLY | O_CREAT | O_TRUNC,
        0o666
    )));
    check_eq!(ok!(sys::write(fd.raw(), data)), data.len());
    Ok(())
}

fn p(c: &CStr) -> usize {
    c.as_ptr() as usize
}

fn linkat(old: &CStr, new: &CStr, flags: u32) -> Result<usize, Errno> {
    // SAFETY: two NUL-terminated paths; no memory is written.
    Errno::result(unsafe {
        syscall5(
            nr::LINKAT,
            AT_FDCWD as usize,
            p(old),
            AT_FDCWD as usize,
            p(new),
            flags as usize,
        )
    })
}

fn linkat_names_one_inode_twice() -> TestResult {
    fresh_dir()?;
    create(c"/tmp/ut-fsmeta/a", b"data")?;
    ok!(linkat(c"/tmp/ut-fsmeta/a", c"/tmp/ut-fsmeta/b", 0));
    let (a, b) = (
        ok!(stat(c"/tmp/ut-fsmeta/a")),
        ok!(stat(c"/tmp/ut-fsmeta/b")),
    );
    check_eq!(a.st_ino, b.st_ino);
    check_eq!(a.st_dev, b.st_dev);
    check_eq!(a.st_nlink, 2);
    // Written through one name, read through the other.
    create(c"/tmp/ut-fsmeta/b", b"other")?;
    let got = ok!(pikern_rt::io::read_file(c"/tmp/ut-fsmeta/a"));
    check_eq!(&got[..], b"other");
    ok!(sys::unlinkat(AT_FDCWD, c"/tmp/ut-fsmeta/a", 0));
    check_eq!(ok!(stat(c"/tmp/ut-fsmeta/b")).st_nlink, 1);
    // An open file that lost its last name has none.
    let fd = ok!(Fd::open(c"/tmp/ut-fsmeta/b", O_RDONLY));
    ok!(sys::unlinkat(AT_FDCWD, c"/tmp/ut-fsmeta/b", 0));
    let mut st = Stat::default();
    ok!(sys::fstat(fd.raw(), &mut st));
    check_eq!(st.st_nlink, 0);
    Ok(())
}

fn linkat_errors() -> TestResult {
    fresh_dir()?;
    create(c"/tmp/ut-fsmeta/a", b"x")?;
    check_err!(
        linkat(c"/tmp/ut-fsmeta/a", c"/tmp/ut-fsmeta/a", 0),
        Errno::EEXIST
    );
    check_err!(
        linkat(c"/tmp/ut-fsmeta/none", c"/tmp/ut-fsmeta/b", 0),
        Errno::ENOENT
    );
    check_err!(linkat(DIR, c"/tmp/ut-fsmeta/b", 0), Errno::EPERM);
    check_err!(
        linkat(c"/tmp/ut-fsmeta/a", c"/tmp/ut-fsmeta/b", 0x1),
        Errno::EINVAL
    );
    check_err!(
        linkat(c"/tmp/ut-fsmeta/a", c"/tmp/ut-fsmeta/none/b", 0),
        Errno::ENOENT
    );
    // /proc is another file system.
    check_err!(
        linkat(c"/proc/meminfo", c"/tmp/ut-fsmeta/b", 0),
        Errno::EXDEV
    );
    Ok(())
}

fn chmod_chown_are_kept() -> TestResult {
    fresh_dir()?;
    create(c"/tmp/ut-fsmeta/a", b"x")?;
    // SAFETY: a NUL-terminated path.
    let r = unsafe {
        syscall3(
            nr::FCHMODAT,
            AT_FDCWD as usize,
            p(c"/tmp/ut-fsmeta/a"),
            0o4640,
        )
    };
    ok!(Errno::result(r));
    let st = ok!(stat(c"/tmp/ut-fsmeta/a"));
    check_eq!(st.st_mode, S_IFREG | 0o4640);
    // SAFETY: as above.
    let r = unsafe {
        syscall5(
            nr::FCHOWNAT,
            AT_FDCWD as usize,
            p(c"/tmp/ut-fsmeta/a"),
            12,
            u32::MAX as usize,
            0,
        )
    };
    ok!(Errno::result(r));
    let st = ok!(stat(c"/tmp/ut-fsmeta/a"));
    check_eq!((st.st_uid, st.st_gid), (12, 0));
    // A new owner takes the set-user-id bit away.
    check_eq!(st.st_mode, S_IFREG | 0o640);
    let fd = ok!(Fd::open(c"/tmp/ut-fsmeta/a", O_RDONLY));
    // SAFETY: no memory is involved.
    ok!(Errno::result(unsafe {
        syscall2(nr::FCHMOD, fd.raw() as usize, 0o600)
    }));
    // SAFETY: as above.
    ok!(Errno::result(unsafe {
        syscall3(nr::FCHOWN, fd.raw() as usize, u32::MAX as usize, 34)
    }));
    let st = ok!(stat(c"/tmp/ut-fsmeta/a"));
    check_eq!(
        (st.st_mode, st.st_uid, st.st_gid),
        (S_IFREG | 0o600, 12, 34)
    );
    // SAFETY: as above.
    let r = unsafe { syscall2(nr::FCHMOD, 999, 0o600) };
    check_err!(Errno::result(r), Errno::EBADF);
    // Put root back: the directory is removed next time.
    // SAFETY: as above.
    ok!(Errno::result(unsafe {
        syscall3(nr::FCHOWN, fd.raw() as usize, 0, 0)
    }));
    Ok(())
}

fn utimensat(
    path: Option<&CStr>,
    fd: i32,
    times: Option<&[i64; 4]>,
    flags: u32,
) -> Result<usize, Errno> {
    // SAFETY: a NUL-terminated path or NULL, and two timespecs or NULL.
    Errno::result(unsafe {
        syscall4(
            nr::UTIMENSAT,
            fd as isize as usize,
            path.map_or(0, p),
            times.map_or(0, |t| t.as_ptr() as usize),
            flags as usize,
        )
    })
}

fn utimensat_sets_omits_and_nows() -> TestResult {
    fresh_dir()?;
    create(c"/tmp/ut-fsmeta/a", b"x")?;
    let a = Some(c"/tmp/ut-fsmeta/a");
    ok!(utimensat(
        a,
        AT_FDCWD,
        Some(&[1_000_000, 5, 1_577_934_245, 7]),
        0
    ));
    let st = ok!(stat(c"/tmp/ut-fsmeta/a"));
    check_eq!((st.st_atime, st.st_atime_nsec), (1_000_000, 5));
    check_eq!((st.st_mtime, st.st_mtime_nsec), (1_577_934_245, 7));
    // UTIME_OMIT leaves the access time, UTIME_NOW moves the other.
    ok!(utimensat(
        a,
        AT_FDCWD,
        Some(&[0, UTIME_OMIT, 0, UTIME_NOW]),
        0
    ));
    let st2 = ok!(stat(c"/tmp/ut-fsmeta/a"));
    check_eq!((st2.st_atime, st2.st_atime_nsec), (1_000_000, 5));
    check!(
        st2.st_mtime != 1_577_934_245,
        "UTIME_NOW left mtime at {}",
        st2.st_mtime
    );
    // A NULL path means the descriptor's file (futimens).
    let fd = ok!(Fd::open(c"/tmp/ut-fsmeta/a", O_RDONLY));
    ok!(utimensat(None, fd.raw(), Some(&[-1, 0, 3, 0]), 0));
    let st3 = ok!(stat(c"/tmp/ut-fsmeta/a"));
    check_eq!((st3.st_atime, st3.st_mtime), (-1, 3));
    Ok(())
}

fn utimensat_errors() -> TestResult {
    fresh_dir()?;
    create(c"/tmp/ut-fsmeta/a", b"x")?;
    let a = Some(c"/tmp/ut-fsmeta/a");
    check_err!(
        utimensat(a, AT_FDCWD, Some(&[0, 1_000_000_000, 0, 0]), 0),
        Errno::EINVAL
    );
    check_err!(utimensat(a, AT_FDCWD, None, 0x4), Errno::EINVAL);
    check_err!(
        utimensat(Some(c"/tmp/ut-fsmeta/none"), AT_FDCWD, None, 0),
        Errno::ENOENT
    );
    // Both omitted: nothing to do, the path is not even looked at.
    check_eq!(
        utimensat(
            Some(c"/tmp/ut-fsmeta/none"),
            AT_FDCWD,
            Some(&[0, UTIME_OMIT, 0, UTIME_OMIT]),
            0
        ),
        Ok(0)
    );
    check_err!(utimensat(None, 999, None, 0), Errno::EBADF);
    Ok(())
}

fn truncate_and_ftruncate() -> TestResult {
    fresh_dir()?;
    create(c"/tmp/ut-fsmeta/a", b"abcdef")?;
    // SAFETY: a NUL-terminated path.
    ok!(Errno::result(unsafe {
        syscall2(nr::TRUNCATE, p(c"/tmp/ut-fsmeta/a"), 3)
    }));
    check_eq!(
        ok!(pikern_rt::io::read_file(c"/tmp/ut-fsmeta/a")),
        b"abc".to_vec()
    );
    let fd = ok!(Fd::open(c"/tmp/ut-fsmeta/a", O_RDWR));
    // SAFETY: no memory is involved.
    ok!(Errno::result(unsafe {
        syscall2(nr::FTRUNCATE, fd.raw() as usize, 5)
    }));
    check_eq!(
        ok!(pikern_rt::io::read_file(c"/tmp/ut-fsmeta/a")),
        b"abc\0\0".to_vec()
    );
    // SAFETY: as above.
    let neg = unsafe { syscall2(nr::FTRUNCATE, fd.raw() as usize, -1isize as usize) };
    check_err!(Errno::result(neg), Errno::EINVAL);
    let ro = ok!(Fd::open(c"/tmp/ut-fsmeta/a", O_RDONLY));
    // SAFETY: as above.
    let r = unsafe { syscall2(nr::FTRUNCATE, ro.raw() as usize, 0) };
    check_err!(Errno::result(r), Errno::EINVAL);
    // SAFETY: a NUL-terminated path.
    let r = unsafe { syscall2(nr::TRUNCATE, p(DIR), 0) };
    check_err!(Errno::result(r), Errno::EISDIR);
    // SAFETY: as above.
    let r = unsafe { syscall2(nr::TRUNCATE, p(c"/tmp/ut-fsmeta/none"), 0) };
    check_err!(Errno::result(r), Errno::ENOENT);
    Ok(())
}

fn pread_pwrite_leave_the_position() -> TestResult {
    fresh_dir()?;
    create(c"/tmp/ut-fsmeta/a", b"0123456789")?;
    let fd = ok!(Fd::open(c"/tmp/ut-fsmeta/a", O_RDWR));
    let mut buf = [0u8; 4];
    // SAFETY: `buf` is writable for its length.
    let n = unsafe {
        syscall4(
            nr::PREAD64,
            fd.raw() as usize,
            buf.as_mut_ptr() as usize,
            4,
            3,
        )
    };
    check_eq!(ok!(Errno::result(n)), 4);
    check_eq!(&buf, b"3456");
    // SAFETY: the source is readable for its length.
    let n = unsafe {
        syscall4(
            nr::PWRITE64,
            fd.raw() as usize,
            b"XY".as_ptr() as usize,
            2,
            8,
        )
    };
    check_eq!(ok!(Errno::result(n)), 2);
    check_eq!(ok!(sys::lseek(fd.raw(), 0, SEEK_CUR)), 0);
    check_eq!(
        ok!(pikern_rt::io::read_file(c"/tmp/ut-fsmeta/a")),
        b"01234567XY".to_vec()
    );
    // SAFETY: as above.
    let n = unsafe {
        syscall4(
            nr::PREAD64,
            fd.raw() as usize,
            buf.as_mut_ptr() as usize,
            4,
            -1isize as usize,
        )
    };
    check_err!(Errno::result(n), Errno::EINVAL);
    Ok(())
}

fn pread_on_a_pipe_espipe() -> TestResult {
    let [r, w] = ok!(sys::pipe2(0));
    let (r, w) = (Fd(r), Fd(w));
    let mut buf = [0u8; 4];
    // SAFETY: `buf` is writable for its length.
    let n = unsafe {
        syscall4(
            nr::PREAD64,
            r.raw() as usize,
            buf.as_mut_ptr() as usize,
            4,
            0,
        )
    };
    check_err!(Errno::result(n), Errno::ESPIPE);
    // SAFETY: the source is readable.
    let n = unsafe { syscall4(nr::PWRITE64, w.raw() as usize, buf.as_ptr() as usize, 4, 0) };
    check_err!(Errno::result(n), Errno::ESPIPE);
    Ok(())
}

fn umask(mask: u32) -> u32 {
    // SAFETY: no memory is involved; umask cannot fail.
    unsafe { syscall1(nr::UMASK, mask as usize) as u32 }
}

fn umask_applies_and_is_inherited() -> TestResult {
    fresh_dir()?;
    let old = umask(0o027);
    let r = (|| {
        check_eq!(umask(0o027), 0o027);
        create(c"/tmp/ut-fsmeta/a", b"")?;
        check_eq!(ok!(stat(c"/tmp/ut-fsmeta/a")).st_mode, S_IFREG | 0o640);
        ok!(sys::mkdirat(AT_FDCWD, c"/tmp/ut-fsmeta/sub", 0o777));
        check_eq!(ok!(stat(c"/tmp/ut-fsmeta/sub")).st_mode, S_IFDIR | 0o750);
        // A child starts with its parent's mask.
        child_passed(in_child(|| {
            check_eq!(umask(0), 0o027);
            Ok(())
        }))
    })();
    umask(old);
    r
}

fn mknodat(path: &CStr, mode: u32, dev: u32) -> Result<usize, Errno> {
    // SAFETY: a NUL-terminated path.
    Errno::result(unsafe {
        syscall4(
            nr::MKNODAT,
            AT_FDCWD as usize,
            p(path),
            mode as usize,
            dev as usize,
        )
    })
}

fn mknodat_fifo_connects_reader_and_writer() -> TestResult {
    fresh_dir()?;
    ok!(mknodat(c"/tmp/ut-fsmeta/fifo", S_IFIFO | 0o600, 0));
    check_eq!(ok!(stat(c"/tmp/ut-fsmeta/fifo")).st_mode & S_IFMT, S_IFIFO);
    // Non-blocking: a writer without a reader is refused, a reader is not.
    check_err!(
        sys::open(c"/tmp/ut-fsmeta/fifo", O_WRONLY | O_NONBLOCK),
        Errno::ENXIO
    );
    let r = ok!(Fd::open(c"/tmp/ut-fsmeta/fifo", O_RDONLY | O_NONBLOCK));
    // The writer's open waits for a reader: a child that writes.
    let child = in_child(|| {
        let w = ok!(Fd::open(c"/tmp/ut-fsmeta/fifo", O_WRONLY));
        check_eq!(ok!(sys::write(w.raw(), b"through")), 7);
        Ok(())
    });
    child_passed(child)?;
    let mut buf = [0u8; 16];
    check_eq!(ok!(sys::read(r.raw(), &mut buf)), 7);
    check_eq!(&buf[..7], b"through");
    Ok(())
}

fn mknodat_errors() -> TestResult {
    fresh_dir()?;
    check_err!(
        mknodat(c"/tmp/ut-fsmeta/a", S_IFDIR | 0o755, 0),
        Errno::EPERM
    );
    check_err!(mknodat(c"/tmp/ut-fsmeta/a", 0o170000, 0), Errno::EINVAL);
    ok!(mknodat(c"/tmp/ut-fsmeta/a", S_IFREG | 0o600, 0));
    check_err!(
        mknodat(c"/tmp/ut-fsmeta/a", S_IFREG | 0o600, 0),
        Errno::EEXIST
    );
    check_err!(mknodat(c"/tmp/ut-fsmeta/none/a", S_IFIFO, 0), Errno::ENOENT);
    // A character device for /dev/null's number is /dev/null.
    if on_pikern() {
        ok!(mknodat(c"/tmp/ut-fsmeta/b", S_IFCHR | 0o666, 0x103));
        let st = ok!(stat(c"/tmp/ut-fsmeta/b"));
        check_eq!((st.st_mode, st.st_rdev), (S_IFCHR | 0o644, makedev(1, 3)));
        let fd = ok!(Fd::open(c"/tmp/ut-fsmeta/b", O_RDWR));
        check_eq!(ok!(sys::write(fd.raw(), b"gone")), 4);
    }
    Ok(())
}

fn statx_agrees_with_fstatat() -> TestResult {
    let mut st = Stat::default();
    ok!(sys::newfstatat(AT_FDCWD, self_path(), &mut st, 0));
    let mut x = vec![0u8; 256];
    // SAFETY: `x` is writable for 256 bytes, the size of struct statx.
    let r = unsafe {
        syscall5(
            nr::STATX,
            AT_FDCWD as usize,
            p(self_path()),
            0,
            STATX_BASIC_STATS as usize,
            x.as_mut_ptr() as usize,
        )
    };
    ok!(Errno::result(r));
    let u32_at = |o: usize| u32::from_le_bytes(x[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(x[o..o + 8].try_into().unwrap());
    check_eq!(u32_at(0) & STATX_BASIC_STATS, STATX_BASIC_STATS);
    check_eq!(u32_at(28) & 0xffff, st.st_mode);
    check_eq!(u64_at(32), st.st_ino);
    check_eq!(u64_at(40), st.st_size as u64);
    check_eq!(u32_at(16), st.st_nlink);
    check_eq!(makedev(u32_at(136), u32_at(140)), st.st_dev);
    // SAFETY: as above; the flags are refused first.
    let r = unsafe {
        syscall5(
            nr::STATX,
            AT_FDCWD as usize,
            p(c"/"),
            0x6000,
            0,
            x.as_mut_ptr() as usize,
        )
    };
    check_err!(Errno::result(r), Errno::EINVAL);
    // SAFETY: as above.
    let r = unsafe {
        syscall5(
            nr::STATX,
            AT_FDCWD as usize,
            p(c"/"),
            0,
            0x8000_0000,
            x.as_mut_ptr() as usize,
        )
    };
    check_err!(Errno::result(r), Errno::EINVAL);
    // SAFETY: the kernel must refuse to write to a kernel address.
    let r = unsafe { syscall5(nr::STATX, AT_FDCWD as usize, p(c"/"), 0, 0x7ff, KERNEL_ADDR) };
    check_err!(Errno::result(r), Errno::EFAULT);
    Ok(())
}

fn statfs_type(path: &CStr) -> Result<u64, Errno> {
    let mut b = [0u8; 120];
    // SAFETY: `b` is writable for the 120 bytes of struct statfs.
    Errno::result(unsafe { syscall2(nr::STATFS, p(path), b.as_mut_ptr() as usize) })?;
    Ok(u64::from_le_bytes(b[..8].try_into().unwrap()))
}

fn statfs_says_which_file_system() -> TestResult {
    check_eq!(ok!(statfs_type(c"/proc")), PROC_SUPER_MAGIC);
    check_eq!(ok!(statfs_type(c"/proc/self/stat")), PROC_SUPER_MAGIC);
    check_eq!(ok!(statfs_type(c"/dev/null")), TMPFS_MAGIC);
    check_err!(statfs_type(c"/no-such-file-pikern"), Errno::ENOENT);
    if on_pikern() {
        check_eq!(ok!(statfs_type(c"/")), TMPFS_MAGIC);
        check_eq!(ok!(statfs_type(c"/sys/kernel/tracing")), TRACEFS_MAGIC);
    }
    let fd = ok!(Fd::open(c"/proc/meminfo", O_RDONLY));
    let mut b = [0u8; 120];
    // SAFETY: as above.
    ok!(Errno::result(unsafe {
        syscall2(nr::FSTATFS, fd.raw() as usize, b.as_mut_ptr() as usize)
    }));
    check_eq!(
        u64::from_le_bytes(b[..8].try_into().unwrap()),
        PROC_SUPER_MAGIC
    );
    // SAFETY: the kernel must refuse to write to a kernel address.
    let r = unsafe { syscall2(nr::FSTATFS, fd.raw() as usize, KERNEL_ADDR) };
    check_err!(Errno::result(r), Errno::EFAULT);
    Ok(())
}

fn fsync_regular_ok_pipe_einval() -> TestResult {
    fresh_dir()?;
    create(c"/tmp/ut-fsmeta/a", b"x")?;
    let fd = ok!(Fd::open(c"/tmp/ut-fsmeta/a", O_RDWR));
    // SAFETY: no memory is involved.
    ok!(Errno::result(unsafe {
        syscall1(nr::FSYNC, fd.raw() as usize)
    }));
    // SAFETY: as above.
    ok!(Errno::result(unsafe {
        syscall1(nr::FDATASYNC, fd.raw() as usize)
    }));
    let [r, w] = ok!(sys::pipe2(0));
    let (r, _w) = (Fd(r), Fd(w));
    // SAFETY: as above.
    check_err!(
        Errno::result(unsafe { syscall1(nr::FSYNC, r.raw() as usize) }),
        Errno::EINVAL
    );
    // SAFETY: as above.
    check_err!(
        Errno::result(unsafe { syscall1(nr::FSYNC, 999) }),
        Errno::EBADF
    );
    Ok(())
}

fn mount(
    src: &CStr,
    target: &CStr,
    fstype: &CStr,
    flags: u32,
    data: &CStr,
) -> Result<usize, Errno> {
    // SAFETY: NUL-terminated strings; nothing is written.
    Errno::result(unsafe {
        syscall5(
            nr::MOUNT,
            p(src),
            p(target),
            p(fstype),
            flags as usize,
            p(data),
        )
    })
}

fn umount2(target: &CStr, flags: u32) -> Result<usize, Errno> {
    // SAFETY: a NUL-terminated path.
    Errno::result(unsafe { syscall2(nr::UMOUNT2, p(target), flags as usize) })
}

fn mount_tmpfs_then_umount() -> TestResult {
    fresh_dir()?;
    let mnt = c"/tmp/ut-fsmeta/mnt";
    ok!(sys::mkdirat(AT_FDCWD, mnt, 0o755));
    match mount(c"utfs", mnt, c"tmpfs", 0, c"size=1m,mode=700") {
        Ok(_) => {}
        Err(Errno::EPERM) => skip!("mount needs privileges this host does not give"),
        Err(e) => fail!("mount tmpfs: {e:?}"),
    }
    let r = (|| {
        check_eq!(ok!(statfs_type(mnt)), TMPFS_MAGIC);
        let st = ok!(stat(mnt));
        check_eq!(st.st_mode, S_IFDIR | 0o700);
        check!(
            st.st_dev != ok!(stat(DIR)).st_dev,
            "the mount has the same st_dev as its parent"
        );
        let mounts = ok!(pikern_rt::io::read_file(c"/proc/self/mounts"));
        let text = alloc::string::String::from_utf8_lossy(&mounts);
        check!(
            text.lines()
                .any(|l| l.starts_with("utfs /tmp/ut-fsmeta/mnt tmpfs rw")),
            "no utfs line in /proc/self/mounts:\n{text}"
        );
        // A file open in it keeps it.
        create(c"/tmp/ut-fsmeta/mnt/f", b"x")?;
        let fd = ok!(Fd::open(c"/tmp/ut-fsmeta/mnt/f", O_RDONLY));
        check_err!(umount2(mnt, 0), Errno::EBUSY);
        drop(fd);
        // Its root cannot be removed while mounted; a file cannot move out.
        check_err!(sys::unlinkat(AT_FDCWD, mnt, AT_REMOVEDIR), Errno::EBUSY);
        // SAFETY: two NUL-terminated paths.
        let r = unsafe {
            syscall4(
                nr::RENAMEAT,
                AT_FDCWD as usize,
                p(c"/tmp/ut-fsmeta/mnt/f"),
                AT_FDCWD as usize,
                p(c"/tmp/ut-fsmeta/a"),
            )
        };
        check_err!(Errno::result(r), Errno::EXDEV);
        check_err!(mount(c"x", mnt, c"nosuchfs", 0, c""), Errno::ENODEV);
        check_err!(
            mount(c"x", c"/tmp/ut-fsmeta/none", c"tmpfs", 0, c""),
            Errno::ENOENT
        );
        check_err!(mount(c"x", mnt, c"tmpfs", 0, c"bogus=1"), Errno::EINVAL);
        check_err!(umount2(DIR, 0), Errno::EINVAL);
        check_err!(umount2(mnt, 0x100), Errno::EINVAL);
        Ok(())
    })();
    let u = umount2(mnt, 0);
    r?;
    ok!(u);
    // The directory it covered is back, empty.
    check_err!(stat(c"/tmp/ut-fsmeta/mnt/f"), Errno::ENOENT);
    check_err!(umount2(mnt, 0), Errno::EINVAL);
    check_err!(umount2(c"/tmp/ut-fsmeta/none", 0), Errno::ENOENT);
    Ok(())
}

fn pselect6_sees_a_ready_pipe() -> TestResult {
    let [r, w] = ok!(sys::pipe2(0));
    let (r, w) = (Fd(r), Fd(w));
    let n = r.raw().max(w.raw()) as usize + 1;
    let select = |rd: &mut u64, wr: &mut u64, ns: i64| {
        let mut ts = [0i64, ns];
        // SAFETY: the sets and the timeout are writable locals.
        Errno::result(unsafe {
            syscall6(
                nr::PSELECT6,
                n,
                rd as *mut u64 as usize,
                wr as *mut u64 as usize,
                0,
                ts.as_mut_ptr() as usize,
                0,
            )
        })
    };
    let (mut rd, mut wr) = (1u64 << r.raw(), 1u64 << w.raw());
    // Nothing to read yet: only the write end is ready.
    check_eq!(ok!(select(&mut rd, &mut wr, 1_000_000)), 1);
    check_eq!((rd, wr), (0, 1 << w.raw()));
    ok!(sys::write(w.raw(), b"x"));
    let (mut rd, mut wr) = (1u64 << r.raw(), 0u64);
    check_eq!(ok!(select(&mut rd, &mut wr, 1_000_000)), 1);
    check_eq!(rd, 1 << r.raw());
    // A closed descriptor in a set is EBADF.
    let (mut rd, mut wr) = (1u64 << 60, 0u64);
    // SAFETY: as above, 61 descriptors.
    let bad = unsafe {
        syscall6(
            nr::PSELECT6,
            61,
            &mut rd as *mut u64 as usize,
            &mut wr as *mut u64 as usize,
            0,
            0,
            0,
        )
    };
    check_err!(Errno::result(bad), Errno::EBADF);
    Ok(())
}

fn sysinfo_and_times() -> TestResult {
    let mut b = [0u8; 112];
    // SAFETY: `b` is writable for the 112 bytes of struct sysinfo.
    ok!(Errno::result(unsafe {
        syscall1(nr::SYSINFO, b.as_mut_ptr() as usize)
    }));
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    let unit = u64::from(u32::from_le_bytes(b[104..108].try_into().unwrap()));
    let (total, free) = (u64_at(32) * unit, u64_at(40) * unit);
    check!(
        total >= 64 << 20 && free > 0 && free < total,
        "totalram {total}, freeram {free}"
    );
    check!(u16::from_le_bytes([b[80], b[81]]) >= 1, "no tasks");
    // SAFETY: the kernel must refuse to write to a kernel address.
    check_err!(
        Errno::result(unsafe { syscall1(nr::SYSINFO, KERNEL_ADDR) }),
        Errno::EFAULT
    );
    let mut t = [0i64; 4];
    // SAFETY: `t` is writable for struct tms.
    let ticks = ok!(Errno::result(unsafe {
        syscall1(nr::TIMES, t.as_mut_ptr() as usize)
    }));
    check!(
        ticks > 0 && t.iter().all(|&v| v >= 0),
        "times {ticks}, {t:?}"
    );
    Ok(())
}
