//! Suite `fs`: file descriptors and the file-system calls: openat, read,
//! write, readv, writev, close, lseek, newfstatat, fstat, getdents64, dup3,
//! pipe2. Files used exist on both kernels: this program's own executable,
//! `/`, `/dev/null` (on pikern also the initramfs entries).

use crate::ktap::{Suite, TestResult};
use crate::util::*;
use alloc::vec;
use alloc::vec::Vec;
use pikern_rt::consts::*;
use pikern_rt::process;
use pikern_rt::sys::{self, DirentIter, IoSlice, IoSliceMut, SigAction, Stat};
use pikern_rt::syscall::{nr, syscall3, syscall4};
use pikern_rt::Errno;

pub static SUITE: Suite = Suite {
    name: "fs",
    tests: tests![
        filling_tmp_gives_enospc_then_frees_it_all,
        openat_missing_file_enoent,
        openat_bad_path_pointer_efault,
        openat_dirfd_rules,
        openat_not_a_directory_enotdir,
        read_own_executable,
        read_directory_eisdir,
        read_write_bad_buffer_efault,
        bad_fd_ebadf,
        wrong_access_mode_ebadf,
        close_twice_ebadf,
        read_at_eof_returns_zero,
        write_dev_null,
        lowest_free_fd_is_used,
        lseek_regular_file,
        lseek_errors,
        lseek_console_espipe,
        fstat_size_matches_read,
        newfstatat_forms_agree,
        newfstatat_file_types,
        newfstatat_errors,
        getdents64_root,
        getdents64_errors,
        dup3_shares_file,
        dup3_errors,
        pipe2_roundtrip,
        pipe2_errors,
        pipe_nonblock_eagain,
        fcntl_setfl_nonblock_and_cloexec,
        pipe_between_processes,
        pipe_without_reader_epipe,
        writev_readv,
        writev_readv_errors,
    ],
};

/// `pipe2`, or a skip when the kernel has no pipes yet.
macro_rules! pipe_or_skip {
    ($flags:expr) => {
        match sys::pipe2($flags) {
            Ok([r, w]) => (Fd(r), Fd(w)),
            Err(Errno::ENOSYS) => skip!("pipe2 not implemented (ENOSYS)"),
            Err(e) => fail!("pipe2 failed: {e:?}"),
        }
    };
}

/// Files live in kernel memory: writing until it runs out must end in
/// ENOSPC for the writer (the kernel keeps a reserve for itself), not in a
/// kernel out of memory; deleting the files gives it all back. pikern only:
/// on Linux this would fill the host's /tmp.
fn filling_tmp_gives_enospc_then_frees_it_all() -> TestResult {
    if !on_pikern() {
        skip!("fills the machine's /tmp: pikern only");
    }
    let free = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("MemFree:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let meminfo = || {
        pikern_rt::io::read_file(c"/proc/meminfo")
            .map(|b| alloc::string::String::from_utf8_lossy(&b).into_owned())
    };
    let before = free(&ok!(meminfo()));
    let chunk = vec![0x5au8; 64 * 1024];
    let mut names = Vec::new();
    let mut last = Ok(0);
    'files: for i in 0..64 {
        let name = alloc::format!("/tmp/fill.{i}\0");
        let path = core::ffi::CStr::from_bytes_with_nul(name.as_bytes()).unwrap();
        let fd = ok!(sys::open(path, O_WRONLY | O_CREAT | O_TRUNC));
        names.push(name);
        loop {
            last = sys::write(fd, &chunk);
            match last {
                Ok(_) => {}
                Err(Errno::EFBIG) => break,
                Err(_) => {
                    let _ = sys::close(fd);
                    break 'files;
                }
            }
        }
        let _ = sys::close(fd);
    }
    for name in &names {
        let path = core::ffi::CStr::from_bytes_with_nul(name.as_bytes()).unwrap();
        ok!(sys::unlinkat(AT_FDCWD, path, 0));
    }
    check_eq!(last, Err(Errno::ENOSPC));
    // Everything came back (give or take the heap's own bookkeeping).
    let after = free(&ok!(meminfo()));
    check!(
        after + 1024 >= before,
        "MemFree {before} kB before filling /tmp, {after} kB after deleting it all"
    );
    Ok(())
}

fn openat_missing_file_enoent() -> TestResult {
    check_err!(sys::open(c"/no-such-file-pikern", O_RDONLY), Errno::ENOENT);
    check_err!(sys::open(c"/no-such-dir/file", O_RDONLY), Errno::ENOENT);
    check_err!(sys::open(c"", O_RDONLY), Errno::ENOENT);
    Ok(())
}

fn openat_bad_path_pointer_efault() -> TestResult {
    let unmapped = ok!(unmapped_address());
    for p in [KERNEL_ADDR, unmapped, 0] {
        // SAFETY: the kernel must refuse to read the path at these addresses.
        let r = unsafe { syscall4(nr::OPENAT, AT_FDCWD as usize, p, 0, 0) };
        check_err!(Errno::result(r), Errno::EFAULT);
    }
    Ok(())
}

fn openat_dirfd_rules() -> TestResult {
    // A relative path needs a valid directory fd...
    check_err!(sys::openat(999, c"dev/null", O_RDONLY, 0), Errno::EBADF);
    // ...an absolute one ignores it...
    let fd = ok!(sys::openat(999, c"/dev/null", O_RDONLY, 0));
    ok!(sys::close(fd));
    // ...and a relative one resolves from it.
    let root = ok!(Fd::open(c"/", O_RDONLY | O_DIRECTORY));
    let fd = ok!(sys::openat(root.raw(), c"dev/null", O_RDONLY, 0));
    ok!(sys::close(fd));
    // A regular file is not a directory to resolve from.
    let file = ok!(Fd::open(self_path(), O_RDONLY));
    check_err!(sys::openat(file.raw(), c"x", O_RDONLY, 0), Errno::ENOTDIR);
    Ok(())
}

fn openat_not_a_directory_enotdir() -> TestResult {
    check_err!(
        sys::open(self_path(), O_RDONLY | O_DIRECTORY),
        Errno::ENOTDIR
    );
    let mut path = Vec::from(self_path().to_bytes());
    path.extend_from_slice(b"/x\0");
    let path = ok!(core::ffi::CStr::from_bytes_with_nul(&path));
    check_err!(sys::open(path, O_RDONLY), Errno::ENOTDIR);
    Ok(())
}

fn read_own_executable() -> TestResult {
    let fd = ok!(Fd::open(self_path(), O_RDONLY));
    let mut magic = [0u8; 4];
    check_eq!(ok!(sys::read(fd.raw(), &mut magic)), 4);
    check_eq!(&magic, b"\x7fELF");
    // The file offset advanced: the next bytes are the ELF identification.
    let mut ident = [0u8; 2];
    check_eq!(ok!(sys::read(fd.raw(), &mut ident)), 2);
    check_eq!(ident, [2, 1]); // ELFCLASS64, little-endian
    Ok(())
}

fn read_directory_eisdir() -> TestResult {
    let dir = ok!(Fd::open(c"/", O_RDONLY | O_DIRECTORY));
    let mut buf = [0u8; 16];
    check_err!(sys::read(dir.raw(), &mut buf), Errno::EISDIR);
    let dir = ok!(Fd::open(c"/", O_RDONLY));
    check_err!(sys::read(dir.raw(), &mut buf), Errno::EISDIR);
    Ok(())
}

/// Read-only data: reading a file into it must fail, not modify it.
static RODATA_TARGET: [u8; 64] = [0x5a; 64];

fn read_write_bad_buffer_efault() -> TestResult {
    let unmapped = ok!(unmapped_address());
    let rodata = core::hint::black_box(RODATA_TARGET.as_ptr()) as usize;
    let fd = ok!(Fd::open(self_path(), O_RDONLY));
    for p in [KERNEL_ADDR, unmapped, rodata, 0] {
        ok!(sys::lseek(fd.raw(), 0, SEEK_SET));
        // SAFETY: none of these buffers is writable by us; the kernel must
        // refuse them instead of writing.
        let r = unsafe { syscall3(nr::READ, fd.raw() as usize, p, 16) };
        check!(
            Errno::result(r) == Err(Errno::EFAULT),
            "read into {p:#x} gave {:?}, expected EFAULT",
            Errno::result(r)
        );
    }
    check!(
        RODATA_TARGET.iter().all(|&b| b == 0x5a),
        "read-only data was modified"
    );
    for p in [KERNEL_ADDR, unmapped] {
        // SAFETY: the kernel must refuse to read from these addresses.
        let r = unsafe { syscall3(nr::WRITE, 1, p, 16) };
        check!(
            Errno::result(r) == Err(Errno::EFAULT),
            "write from {p:#x} gave {:?}, expected EFAULT",
            Errno::result(r)
        );
    }
    Ok(())
}

fn bad_fd_ebadf() -> TestResult {
    let mut buf = [0u8; 4];
    let mut st = Stat::default();
    for fd in [999, -1, 1 << 20] {
        check_err!(sys::read(fd, &mut buf), Errno::EBADF);
        check_err!(sys::write(fd, b"x"), Errno::EBADF);
        check_err!(sys::close(fd), Errno::EBADF);
        check_err!(sys::fstat(fd, &mut st), Errno::EBADF);
        check_err!(sys::lseek(fd, 0, SEEK_SET), Errno::EBADF);
        check_err!(sys::getdents64(fd, &mut buf), Errno::EBADF);
    }
    Ok(())
}

fn wrong_access_mode_ebadf() -> TestResult {
    let wr = ok!(Fd::open(c"/dev/null", O_WRONLY));
    let mut buf = [0u8; 4];
    check_err!(sys::read(wr.raw(), &mut buf), Errno::EBADF);
    let rd = ok!(Fd::open(self_path(), O_RDONLY));
    check_err!(sys::write(rd.raw(), b"x"), Errno::EBADF);
    Ok(())
}

fn close_twice_ebadf() -> TestResult {
    let fd = ok!(sys::open(c"/dev/null", O_RDONLY));
    ok!(sys::close(fd));
    check_err!(sys::close(fd), Errno::EBADF);
    Ok(())
}

fn read_at_eof_returns_zero() -> TestResult {
    let null = ok!(Fd::open(c"/dev/null", O_RDONLY));
    let mut buf = [0u8; 8];
    check_eq!(ok!(sys::read(null.raw(), &mut buf)), 0);
    let file = ok!(Fd::open(self_path(), O_RDONLY));
    ok!(sys::lseek(file.raw(), 0, SEEK_END));
    check_eq!(ok!(sys::read(file.raw(), &mut buf)), 0);
    check_eq!(ok!(sys::read(file.raw(), &mut [])), 0);
    Ok(())
}

fn write_dev_null() -> TestResult {
    let null = ok!(Fd::open(c"/dev/null", O_WRONLY));
    check_eq!(ok!(sys::write(null.raw(), &[7u8; 100])), 100);
    check_eq!(ok!(sys::write(null.raw(), &[])), 0);
    Ok(())
}

fn lowest_free_fd_is_used() -> TestResult {
    let a = ok!(sys::open(c"/dev/null", O_RDONLY));
    let b = ok!(sys::open(c"/dev/null", O_RDONLY));
    check!(a >= 3 && b > a, "fds {a}, {b}: expected increasing, >= 3");
    ok!(sys::close(a));
    let c = ok!(sys::open(c"/dev/null", O_RDONLY));
    check_eq!(c, a);
    ok!(sys::close(b));
    ok!(sys::close(c));
    Ok(())
}

fn lseek_regular_file() -> TestResult {
    let fd = ok!(Fd::open(self_path(), O_RDONLY));
    let mut st = Stat::default();
    ok!(sys::fstat(fd.raw(), &mut st));
    check_eq!(ok!(sys::lseek(fd.raw(), 0, SEEK_END)), st.st_size as usize);
    check_eq!(ok!(sys::lseek(fd.raw(), 1, SEEK_SET)), 1);
    check_eq!(ok!(sys::lseek(fd.raw(), 2, SEEK_CUR)), 3);
    check_eq!(ok!(sys::lseek(fd.raw(), -1, SEEK_CUR)), 2);
    let mut b = [0u8; 2];
    check_eq!(ok!(sys::read(fd.raw(), &mut b)), 2);
    check_eq!(&b, b"LF");
    check_eq!(ok!(sys::lseek(fd.raw(), 0, SEEK_CUR)), 4);
    // Beyond the end is allowed; reading there gives end of file.
    check_eq!(
        ok!(sys::lseek(fd.raw(), st.st_size + 100, SEEK_SET)),
        st.st_size as usize + 100
    );
    check_eq!(ok!(sys::read(fd.raw(), &mut b)), 0);
    Ok(())
}

fn lseek_errors() -> TestResult {
    let fd = ok!(Fd::open(self_path(), O_RDONLY));
    check_err!(sys::lseek(fd.raw(), 0, 7), Errno::EINVAL);
    check_err!(sys::lseek(fd.raw(), -1, SEEK_SET), Errno::EINVAL);
    ok!(sys::lseek(fd.raw(), 10, SEEK_SET));
    check_err!(sys::lseek(fd.raw(), -11, SEEK_CUR), Errno::EINVAL);
    // A failed seek leaves the offset alone.
    check_eq!(ok!(sys::lseek(fd.raw(), 0, SEEK_CUR)), 10);
    Ok(())
}

fn lseek_console_espipe() -> TestResult {
    let mut st = Stat::default();
    ok!(sys::fstat(1, &mut st));
    let is_tty = sys::tcgets(1).is_ok();
    let is_pipe = st.file_type() == S_IFIFO || st.file_type() == S_IFSOCK;
    if !on_pikern() && !is_tty && !is_pipe {
        skip!(
            "stdout is not a console, tty or pipe here (mode {:#o})",
            st.st_mode
        );
    }
    check_err!(sys::lseek(1, 0, SEEK_CUR), Errno::ESPIPE);
    Ok(())
}

fn fstat_size_matches_read() -> TestResult {
    let fd = ok!(Fd::open(self_path(), O_RDONLY));
    let mut st = Stat::default();
    ok!(sys::fstat(fd.raw(), &mut st));
    check_eq!(st.file_type(), S_IFREG);
    check!(
        st.st_size > 64,
        "st_size {} too small for an ELF file",
        st.st_size
    );
    check!(st.st_blksize > 0, "st_blksize is {}", st.st_blksize);
    check!(st.st_nlink >= 1, "st_nlink is 0");
    let mut buf = vec![0u8; st.st_size as usize + 4096];
    let n = ok!(read_to_end(fd.raw(), &mut buf));
    check_eq!(n, st.st_size as usize);
    check_eq!(&buf[..4], b"\x7fELF");
    Ok(())
}

fn newfstatat_forms_agree() -> TestResult {
    let mut by_path = Stat::default();
    ok!(sys::newfstatat(AT_FDCWD, self_path(), &mut by_path, 0));
    let fd = ok!(Fd::open(self_path(), O_RDONLY));
    let mut by_fd = Stat::default();
    ok!(sys::fstat(fd.raw(), &mut by_fd));
    let mut empty_path = Stat::default();
    ok!(sys::newfstatat(
        fd.raw(),
        c"",
        &mut empty_path,
        AT_EMPTY_PATH
    ));
    check_eq!(by_path.st_size, by_fd.st_size);
    check_eq!(by_path.st_ino, by_fd.st_ino);
    check_eq!(by_path.st_dev, by_fd.st_dev);
    check_eq!(by_path.st_mode, by_fd.st_mode);
    check_eq!(empty_path.st_ino, by_fd.st_ino);
    check_eq!(empty_path.st_size, by_fd.st_size);
    // glibc's printf start-up: newfstatat(1, "", AT_EMPTY_PATH).
    let mut out = Stat::default();
    ok!(sys::newfstatat(1, c"", &mut out, AT_EMPTY_PATH));
    // Relative to a directory fd.
    let root = ok!(Fd::open(c"/", O_RDONLY | O_DIRECTORY));
    let mut rel = Stat::default();
    ok!(sys::newfstatat(root.raw(), c"dev/null", &mut rel, 0));
    check_eq!(rel.file_type(), S_IFCHR);
    Ok(())
}

fn newfstatat_file_types() -> TestResult {
    let mut st = Stat::default();
    ok!(sys::newfstatat(AT_FDCWD, c"/", &mut st, 0));
    check_eq!(st.file_type(), S_IFDIR);
    ok!(sys::newfstatat(AT_FDCWD, c"/dev/null", &mut st, 0));
    check_eq!(st.file_type(), S_IFCHR);
    check_eq!(st.st_rdev, 0x103); // major 1, minor 3, Linux's encoding
    check_eq!(st.st_size, 0);
    ok!(sys::newfstatat(AT_FDCWD, self_path(), &mut st, 0));
    check_eq!(st.file_type(), S_IFREG);
    check!(
        st.st_mode & 0o111 != 0,
        "executable has no x bit: mode {:#o}",
        st.st_mode
    );
    Ok(())
}

fn newfstatat_errors() -> TestResult {
    let mut st = Stat::default();
    check_err!(
        sys::newfstatat(AT_FDCWD, c"/no-such-file-pikern", &mut st, 0),
        Errno::ENOENT
    );
    check_err!(sys::newfstatat(AT_FDCWD, c"", &mut st, 0), Errno::ENOENT);
    check_err!(
        sys::newfstatat(AT_FDCWD, c"/", &mut st, 0x8000_0000),
        Errno::EINVAL
    );
    check_err!(
        sys::newfstatat(999, c"", &mut st, AT_EMPTY_PATH),
        Errno::EBADF
    );
    // SAFETY: the kernel must refuse to write the stat to a kernel address.
    let r = unsafe {
        syscall4(
            nr::NEWFSTATAT,
            AT_FDCWD as usize,
            c"/".as_ptr() as usize,
            KERNEL_ADDR,
            0,
        )
    };
    check_err!(Errno::result(r), Errno::EFAULT);
    // SAFETY: as above, for fstat.
    let r = unsafe { pikern_rt::syscall::syscall2(nr::FSTAT, 1, KERNEL_ADDR) };
    check_err!(Errno::result(r), Errno::EFAULT);
    Ok(())
}

fn getdents64_root() -> TestResult {
    let dir = ok!(Fd::open(c"/", O_RDONLY | O_DIRECTORY));
    let mut names: Vec<Vec<u8>> = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let n = ok!(sys::getdents64(dir.raw(), &mut buf));
        if n == 0 {
            break;
        }
        let mut it = DirentIter::new(&buf[..n]);
        let mut used = 0;
        for d in it.by_ref() {
            check!(!d.name.is_empty(), "an entry has an empty name");
            check!(
                !d.name.contains(&b'/'),
                "entry name {:?} contains '/'",
                d.name
            );
            check!(
                d.d_reclen.is_multiple_of(8),
                "d_reclen {} is not 8-byte aligned",
                d.d_reclen
            );
            if d.name == b"." || d.name == b".." {
                check!(
                    d.d_type == DT_DIR || d.d_type == DT_UNKNOWN,
                    "d_type of {:?} is {}",
                    d.name,
                    d.d_type
                );
            }
            used += d.d_reclen as usize;
            names.push(d.name.to_vec());
        }
        check!(!it.malformed, "malformed getdents64 record");
        check_eq!(used, n);
        check!(names.len() < 10_000, "getdents64 never reaches the end");
    }
    check!(!names.is_empty(), "/ lists nothing");
    let has = |n: &[u8]| names.iter().any(|x| x == n);
    if on_pikern() {
        for want in [&b"init"[..], b"bin", b"dev", b"etc"] {
            check!(
                has(want),
                "/ does not list {:?}",
                core::str::from_utf8(want).unwrap_or("?")
            );
        }
    } else {
        check!(has(b".") && has(b".."), "/ does not list . and ..");
    }
    // At the end it stays at the end.
    check_eq!(ok!(sys::getdents64(dir.raw(), &mut buf)), 0);
    Ok(())
}

fn getdents64_errors() -> TestResult {
    let file = ok!(Fd::open(self_path(), O_RDONLY));
    let mut buf = [0u8; 256];
    check_err!(sys::getdents64(file.raw(), &mut buf), Errno::ENOTDIR);
    let dir = ok!(Fd::open(c"/", O_RDONLY | O_DIRECTORY));
    check_err!(sys::getdents64(dir.raw(), &mut buf[..1]), Errno::EINVAL);
    // SAFETY: the kernel must refuse to write to a kernel address.
    let r = unsafe { syscall3(nr::GETDENTS64, dir.raw() as usize, KERNEL_ADDR, 256) };
    check_err!(Errno::result(r), Errno::EFAULT);
    Ok(())
}

fn dup3_shares_file() -> TestResult {
    let fd = ok!(Fd::open(self_path(), O_RDONLY));
    let copy = Fd(ok!(sys::dup3(fd.raw(), 100, 0)));
    check_eq!(copy.raw(), 100);
    let mut b = [0u8; 4];
    ok!(sys::read(fd.raw(), &mut b));
    // One open file, two descriptors: the offset is shared.
    check_eq!(ok!(sys::lseek(copy.raw(), 0, SEEK_CUR)), 4);
    // Closing the original leaves the copy working.
    drop(fd);
    check_eq!(ok!(sys::read(copy.raw(), &mut b[..2])), 2);
    check_eq!(&b[..2], &[2, 1]);
    // dup3 onto an open descriptor replaces it silently; O_CLOEXEC is fine.
    let null = Fd(ok!(sys::open(c"/dev/null", O_RDONLY)));
    check_eq!(ok!(sys::dup3(null.raw(), 100, O_CLOEXEC)), 100);
    check_eq!(ok!(sys::read(100, &mut b)), 0); // /dev/null now
    Ok(())
}

fn dup3_errors() -> TestResult {
    let fd = ok!(Fd::open(c"/dev/null", O_RDONLY));
    check_err!(sys::dup3(fd.raw(), fd.raw(), 0), Errno::EINVAL);
    check_err!(sys::dup3(fd.raw(), 101, 0x1), Errno::EINVAL);
    check_err!(sys::dup3(999, 101, 0), Errno::EBADF);
    check_err!(sys::dup3(fd.raw(), -1, 0), Errno::EBADF);
    check_err!(sys::dup3(fd.raw(), 1 << 30, 0), Errno::EBADF);
    Ok(())
}

fn pipe2_roundtrip() -> TestResult {
    let (r, w) = pipe_or_skip!(0);
    check_eq!(ok!(sys::write(w.raw(), b"hello")), 5);
    let mut buf = [0u8; 16];
    check_eq!(ok!(sys::read(r.raw(), &mut buf)), 5);
    check_eq!(&buf[..5], b"hello");
    check_err!(sys::lseek(r.raw(), 0, SEEK_CUR), Errno::ESPIPE);
    let mut st = Stat::default();
    ok!(sys::fstat(r.raw(), &mut st));
    check_eq!(st.file_type(), S_IFIFO);
    // Wrong directions.
    check_err!(sys::write(r.raw(), b"x"), Errno::EBADF);
    check_err!(sys::read(w.raw(), &mut buf), Errno::EBADF);
    // No writers left: end of file.
    drop(w);
    check_eq!(ok!(sys::read(r.raw(), &mut buf)), 0);
    let (_r2, _w2) = pipe_or_skip!(O_CLOEXEC);
    Ok(())
}

fn pipe2_errors() -> TestResult {
    drop(pipe_or_skip!(0));
    check_err!(sys::pipe2(0x1), Errno::EINVAL);
    // SAFETY: the kernel must refuse to write the fds to a kernel address.
    let r = unsafe { pikern_rt::syscall::syscall2(nr::PIPE2, KERNEL_ADDR, 0) };
    check_err!(Errno::result(r), Errno::EFAULT);
    Ok(())
}

/// Found by the fuzzer: O_NONBLOCK was ignored, so reading an empty pipe
/// slept for ever.
fn pipe_nonblock_eagain() -> TestResult {
    let (r, w) = pipe_or_skip!(O_NONBLOCK);
    let mut buf = [0u8; 4096];
    check_err!(sys::read(r.raw(), &mut buf), Errno::EAGAIN);
    // Fill it: a write that finds no room fails instead of sleeping.
    let mut total = 0usize;
    loop {
        match sys::write(w.raw(), &buf) {
            Ok(n) => total += n,
            Err(e) => {
                check_eq!(e, Errno::EAGAIN);
                break;
            }
        }
        check!(total <= 16 << 20, "a non-blocking pipe took {total} bytes");
    }
    check!(total >= 4096, "the pipe took only {total} bytes");
    check_eq!(ok!(sys::read(r.raw(), &mut buf)), 4096);
    Ok(())
}

/// `F_SETFL` turns `O_NONBLOCK` on (it used to be accepted and ignored);
/// `F_GETFD`/`F_SETFD` report and change close-on-exec.
fn fcntl_setfl_nonblock_and_cloexec() -> TestResult {
    let (r, _w) = pipe_or_skip!(O_CLOEXEC);
    check_eq!(ok!(sys::fcntl(r.raw(), F_GETFD, 0)), FD_CLOEXEC as usize);
    ok!(sys::fcntl(r.raw(), F_SETFD, 0));
    check_eq!(ok!(sys::fcntl(r.raw(), F_GETFD, 0)), 0);
    check_eq!(
        ok!(sys::fcntl(r.raw(), F_GETFL, 0)) & O_NONBLOCK as usize,
        0
    );
    ok!(sys::fcntl(r.raw(), F_SETFL, O_NONBLOCK as usize));
    check_eq!(
        ok!(sys::fcntl(r.raw(), F_GETFL, 0)) & O_NONBLOCK as usize,
        O_NONBLOCK as usize
    );
    let mut buf = [0u8; 8];
    check_err!(sys::read(r.raw(), &mut buf), Errno::EAGAIN);
    Ok(())
}

fn pipe_between_processes() -> TestResult {
    let (r, w) = pipe_or_skip!(0);
    let pid = match ok!(process::fork()) {
        0 => {
            drop(r);
            let ok = sys::write(w.raw(), b"from the child") == Ok(14);
            sys::exit_group(if ok { 0 } else { 1 })
        }
        pid => pid,
    };
    drop(w);
    let mut buf = [0u8; 64];
    let n = ok!(read_to_end(r.raw(), &mut buf));
    child_passed(wait_for(pid))?;
    check_eq!(&buf[..n], b"from the child");
    Ok(())
}

fn pipe_without_reader_epipe() -> TestResult {
    let (r, w) = pipe_or_skip!(0);
    drop(r);
    // With SIGPIPE ignored the write fails with EPIPE...
    child_passed(in_child(|| {
        let ign = SigAction::disposition(SIG_IGN);
        // SAFETY: SIG_IGN runs no code.
        ok!(unsafe { sys::rt_sigaction(SIGPIPE, Some(&ign), None) });
        check_err!(sys::write(w.raw(), b"x"), Errno::EPIPE);
        Ok(())
    }))?;
    // ...by default SIGPIPE kills the writer.
    child_killed_by(
        crashing_child(|| {
            let _ = sys::write(w.raw(), b"x");
        }),
        SIGPIPE,
    )
}

fn writev_readv() -> TestResult {
    let (r, w) = pipe_or_skip!(0);
    let parts = [
        IoSlice::new(b"abc"),
        IoSlice::new(b""),
        IoSlice::new(b"defgh"),
    ];
    check_eq!(ok!(sys::writev(w.raw(), &parts)), 8);
    check_eq!(ok!(sys::writev(w.raw(), &[])), 0);
    let (mut a, mut b) = ([0u8; 3], [0u8; 5]);
    {
        let mut iov = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
        check_eq!(ok!(sys::readv(r.raw(), &mut iov)), 8);
    }
    check_eq!(&a, b"abc");
    check_eq!(&b, b"defgh");
    // readv from a file matches read.
    let f = ok!(Fd::open(self_path(), O_RDONLY));
    let (mut x, mut y) = ([0u8; 4], [0u8; 12]);
    {
        let mut iov = [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)];
        check_eq!(ok!(sys::readv(f.raw(), &mut iov)), 16);
    }
    ok!(sys::lseek(f.raw(), 0, SEEK_SET));
    let mut z = [0u8; 16];
    check_eq!(ok!(sys::read(f.raw(), &mut z)), 16);
    check_eq!(&z[..4], &x);
    check_eq!(&z[4..], &y);
    Ok(())
}

fn writev_readv_errors() -> TestResult {
    let null = ok!(Fd::open(c"/dev/null", O_RDWR));
    let one = [IoSlice::new(b"x")];
    // More than IOV_MAX (1024) segments.
    // SAFETY: the kernel must reject the count before reading the array.
    let r = unsafe { syscall3(nr::WRITEV, null.raw() as usize, one.as_ptr() as usize, 1025) };
    check_err!(Errno::result(r), Errno::EINVAL);
    // The iovec array itself is unreadable.
    // SAFETY: the kernel must refuse to read the array.
    let r = unsafe { syscall3(nr::WRITEV, null.raw() as usize, KERNEL_ADDR, 1) };
    check_err!(Errno::result(r), Errno::EFAULT);
    // SAFETY: as above, for readv.
    let r = unsafe { syscall3(nr::READV, null.raw() as usize, KERNEL_ADDR, 1) };
    check_err!(Errno::result(r), Errno::EFAULT);
    // A segment points into the kernel.
    let bad = [KERNEL_ADDR, 16usize];
    // SAFETY: the kernel must refuse to read through the segment.
    let r = unsafe { syscall3(nr::WRITEV, null.raw() as usize, bad.as_ptr() as usize, 1) };
    check_err!(Errno::result(r), Errno::EFAULT);
    let f = ok!(Fd::open(self_path(), O_RDONLY));
    // SAFETY: the kernel must refuse to write through the segment.
    let r = unsafe { syscall3(nr::READV, f.raw() as usize, bad.as_ptr() as usize, 1) };
    check_err!(Errno::result(r), Errno::EFAULT);
    check_err!(sys::writev(999, &one), Errno::EBADF);
    Ok(())
}
