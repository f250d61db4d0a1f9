//! Layout and number tests for the uapi headers: sizes and offsets pinned
//! against Linux, names checked against the tables.

use super::*;
use core::mem::{offset_of, size_of};

#[test]
fn stat_has_the_asm_generic_layout() {
    assert_eq!(size_of::<Stat>(), STAT_SIZE);
    assert_eq!(offset_of!(Stat, st_dev), 0);
    assert_eq!(offset_of!(Stat, st_ino), 8);
    assert_eq!(offset_of!(Stat, st_mode), 16);
    assert_eq!(offset_of!(Stat, st_nlink), 20);
    assert_eq!(offset_of!(Stat, st_uid), 24);
    assert_eq!(offset_of!(Stat, st_gid), 28);
    assert_eq!(offset_of!(Stat, st_rdev), 32);
    assert_eq!(offset_of!(Stat, st_size), 48);
    assert_eq!(offset_of!(Stat, st_blksize), 56);
    assert_eq!(offset_of!(Stat, st_blocks), 64);
    assert_eq!(offset_of!(Stat, st_atime), 72);
    assert_eq!(offset_of!(Stat, st_atime_nsec), 80);
    assert_eq!(offset_of!(Stat, st_mtime), 88);
    assert_eq!(offset_of!(Stat, st_mtime_nsec), 96);
    assert_eq!(offset_of!(Stat, st_ctime), 104);
    assert_eq!(offset_of!(Stat, st_ctime_nsec), 112);
    assert_eq!(offset_of!(Stat, __unused), 120);
}

#[test]
fn stat_bytes_put_each_field_at_its_offset() {
    let st = Stat {
        st_dev: 0x0102,
        st_ino: 77,
        st_mode: S_IFREG | 0o644,
        st_nlink: 1,
        st_uid: 1000,
        st_gid: 100,
        st_rdev: makedev(5, 1),
        st_size: 12345,
        st_blksize: 4096,
        st_blocks: 32,
        st_atime: 1_700_000_000,
        st_atime_nsec: 5,
        st_mtime: -1,
        st_mtime_nsec: 6,
        st_ctime: 3,
        st_ctime_nsec: 999_999_999,
        ..Default::default()
    };
    let b = st.to_bytes();
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    assert_eq!(u64_at(offset_of!(Stat, st_dev)), 0x0102);
    assert_eq!(u64_at(offset_of!(Stat, st_ino)), 77);
    assert_eq!(u32_at(offset_of!(Stat, st_mode)), 0o100644);
    assert_eq!(u32_at(offset_of!(Stat, st_nlink)), 1);
    assert_eq!(u32_at(offset_of!(Stat, st_uid)), 1000);
    assert_eq!(u32_at(offset_of!(Stat, st_gid)), 100);
    assert_eq!(u64_at(offset_of!(Stat, st_rdev)), 0x501);
    assert_eq!(u64_at(offset_of!(Stat, __pad1)), 0);
    assert_eq!(u64_at(offset_of!(Stat, st_size)), 12345);
    assert_eq!(u32_at(offset_of!(Stat, st_blksize)), 4096);
    assert_eq!(u64_at(offset_of!(Stat, st_blocks)), 32);
    assert_eq!(u64_at(offset_of!(Stat, st_atime)), 1_700_000_000);
    assert_eq!(u64_at(offset_of!(Stat, st_atime_nsec)), 5);
    assert_eq!(u64_at(offset_of!(Stat, st_mtime)), u64::MAX);
    assert_eq!(u64_at(offset_of!(Stat, st_mtime_nsec)), 6);
    assert_eq!(u64_at(offset_of!(Stat, st_ctime)), 3);
    assert_eq!(u64_at(offset_of!(Stat, st_ctime_nsec)), 999_999_999);
    assert_eq!(&b[120..], &[0; 8]);
}

#[test]
fn makedev_matches_glibc_encoding() {
    // /dev/console is 5:1, /dev/null 1:3; a large minor spills above
    // bit 20 the way glibc's gnu_dev_makedev does.
    assert_eq!(makedev(5, 1), 0x0501);
    assert_eq!(makedev(1, 3), 0x0103);
    assert_eq!(makedev(0x123, 0x45678), 0x4561_2378);
    assert_eq!(makedev(0x1000, 0), 0x1000_0000_0000);
}

#[test]
fn other_structures_have_linux_sizes() {
    assert_eq!(size_of::<Timespec>(), 16);
    assert_eq!(offset_of!(Timespec, tv_nsec), 8);
    assert_eq!(size_of::<Utsname>(), 390);
    assert_eq!(offset_of!(Utsname, machine), 4 * 65);
    assert_eq!(size_of::<Termios>(), TERMIOS_SIZE);
    assert_eq!(offset_of!(Termios, c_line), 16);
    assert_eq!(offset_of!(Termios, c_cc), 17);
    assert_eq!(size_of::<Winsize>(), 8);
    assert_eq!(offset_of!(Winsize, ws_col), 2);
    assert_eq!(size_of::<Rlimit64>(), 16);
}

#[test]
fn dirent64_records_are_aligned_and_terminated() {
    let mut buf = alloc::vec::Vec::new();
    // "." : 19 + 1 + 1 = 21 -> 24; a 5-byte name: 25 -> 32.
    assert_eq!(push_dirent64(&mut buf, 1, 1, DT_DIR, b"."), 24);
    assert_eq!(push_dirent64(&mut buf, 42, 2, DT_REG, b"hello"), 32);
    assert_eq!(buf.len(), 56);
    assert_eq!(u64::from_le_bytes(buf[0..8].try_into().unwrap()), 1);
    assert_eq!(u16::from_le_bytes(buf[16..18].try_into().unwrap()), 24);
    assert_eq!(buf[18], DT_DIR);
    assert_eq!(&buf[19..21], b".\0");
    let rec = &buf[24..];
    assert_eq!(u64::from_le_bytes(rec[0..8].try_into().unwrap()), 42);
    assert_eq!(i64::from_le_bytes(rec[8..16].try_into().unwrap()), 2);
    assert_eq!(u16::from_le_bytes(rec[16..18].try_into().unwrap()), 32);
    assert_eq!(rec[18], DT_REG);
    assert_eq!(&rec[19..32], b"hello\0\0\0\0\0\0\0\0");
    // A name that exactly fills the record still gets its NUL: 19 + 4
    // + 1 = 24.
    assert_eq!(dirent64_reclen(4), 24);
    assert_eq!(dirent64_reclen(5), 32);
    assert_eq!(dirent64_reclen(255), 280);
}

#[test]
fn mode_type_helpers() {
    assert_eq!(mode_to_dtype(S_IFDIR | 0o755), DT_DIR);
    assert_eq!(mode_to_dtype(S_IFREG | 0o644), DT_REG);
    assert_eq!(mode_to_dtype(S_IFLNK | 0o777), DT_LNK);
    assert_eq!(mode_to_dtype(S_IFCHR | 0o600), DT_CHR);
    assert_eq!(mode_to_dtype(S_IFBLK), DT_BLK);
    assert_eq!(mode_to_dtype(S_IFIFO), DT_FIFO);
    assert_eq!(mode_to_dtype(S_IFSOCK), DT_SOCK);
    assert!(s_isdir(0o40755) && !s_isreg(0o40755));
    assert!(s_isreg(0o100644) && s_islnk(0o120777) && s_ischr(0o20620));
}

#[test]
fn wait_status_encoding_round_trips() {
    // exit(3): 0x0300; exit(256) keeps only the low byte.
    assert_eq!(w_exitcode(3, 0), 0x300);
    assert_eq!(w_exitcode(256 + 7, 0), 0x700);
    assert!(wifexited(0x300) && wexitstatus(0x300) == 3);
    // Killed by SIGKILL: 9; with a core dump: 0x80 | SIGSEGV.
    assert_eq!(w_exitcode(0, SIGKILL), 9);
    assert!(wifsignaled(9) && wtermsig(9) == SIGKILL && !wifexited(9));
    let core = w_exitcode(0, SIGSEGV) | WCOREFLAG;
    assert_eq!(core, 0x8b);
    assert!(wifsignaled(core) && wtermsig(core) == SIGSEGV);
    assert_eq!(w_stopcode(SIGSTOP), 0x137f);
    assert!(!wifsignaled(w_stopcode(SIGSTOP)) && !wifexited(w_stopcode(SIGSTOP)));
}

#[test]
fn syscall_table_matches_the_spec_and_has_no_duplicates() {
    // Every row of the table in linux-abi.md.
    let spec = [
        ("getcwd", 17),
        ("dup3", 24),
        ("fcntl", 25),
        ("ioctl", 29),
        ("openat", 56),
        ("close", 57),
        ("pipe2", 59),
        ("read", 63),
        ("write", 64),
        ("readv", 65),
        ("writev", 66),
        ("readlinkat", 78),
        ("newfstatat", 79),
        ("fstat", 80),
        ("exit", 93),
        ("exit_group", 94),
        ("waitid", 95),
        ("set_tid_address", 96),
        ("futex", 98),
        ("set_robust_list", 99),
        ("nanosleep", 101),
        ("clock_gettime", 113),
        ("clock_nanosleep", 115),
        ("sched_setaffinity", 122),
        ("sched_getaffinity", 123),
        ("sched_yield", 124),
        ("kill", 129),
        ("tkill", 130),
        ("tgkill", 131),
        ("rt_sigaction", 134),
        ("rt_sigprocmask", 135),
        ("rt_sigreturn", 139),
        ("setpriority", 140),
        ("getpriority", 141),
        ("reboot", 142),
        ("uname", 160),
        ("prctl", 167),
        ("getpid", 172),
        ("getppid", 173),
        ("getuid", 174),
        ("geteuid", 175),
        ("getgid", 176),
        ("getegid", 177),
        ("gettid", 178),
        ("sysinfo", 179),
        ("brk", 214),
        ("munmap", 215),
        ("clone", 220),
        ("execve", 221),
        ("mmap", 222),
        ("mprotect", 226),
        ("wait4", 260),
        ("prlimit64", 261),
        ("getrandom", 278),
        ("rseq", 293),
    ];
    for (name, number) in spec {
        assert_eq!(syscall_name(number), Some(name), "{name}");
    }
    assert_eq!(nr::OPENAT, 56);
    assert_eq!(nr::EXECVE, 221);
    assert_eq!(nr::GETDENTS64, 61);
    assert_eq!(syscall_name(1000), None);
    // Rows in strictly increasing number order: no number twice, and the
    // table reads like unistd.h.
    for pair in SYSCALLS.windows(2) {
        assert!(
            pair[0].nr < pair[1].nr,
            "{} then {}",
            pair[0].name,
            pair[1].name
        );
    }
}

#[test]
fn the_syscall_table_describes_what_the_kernel_implements() {
    let read = syscall_desc(nr::READ).unwrap();
    assert!(read.implemented);
    assert_eq!(
        read.args,
        &[
            ("fd", ArgKind::Fd),
            ("buf", ArgKind::Buf),
            ("count", ArgKind::Len)
        ]
    );
    let mmap = syscall_desc(nr::MMAP).unwrap();
    assert_eq!(mmap.args.len(), 6);
    let epoll = syscall_desc(nr::EPOLL_CTL).unwrap();
    assert!(!epoll.implemented && epoll.args.is_empty());
    // No Linux call takes more than six register arguments.
    assert!(SYSCALLS.iter().all(|d| d.args.len() <= 6));
    // Every implemented call but the argument-less ones names its arguments.
    let no_args = [
        "sched_yield",
        "rt_sigreturn",
        "getpid",
        "getppid",
        "getuid",
        "geteuid",
    ];
    let no_args2 = [
        "getgid",
        "getegid",
        "gettid",
        "setsid",
        "sync",
        "restart_syscall",
    ];
    for d in SYSCALLS.iter().filter(|d| d.implemented) {
        let bare = no_args.contains(&d.name) || no_args2.contains(&d.name);
        assert_eq!(d.args.is_empty(), bare, "{}", d.name);
    }
}

#[test]
fn errno_and_signal_names() {
    // The spec's errno list.
    let spec = [
        (EPERM, 1),
        (ENOENT, 2),
        (ESRCH, 3),
        (EINTR, 4),
        (EIO, 5),
        (E2BIG, 7),
        (ENOEXEC, 8),
        (EBADF, 9),
        (ECHILD, 10),
        (EAGAIN, 11),
        (ENOMEM, 12),
        (EACCES, 13),
        (EFAULT, 14),
        (EBUSY, 16),
        (EEXIST, 17),
        (ENOTDIR, 20),
        (EISDIR, 21),
        (EINVAL, 22),
        (EMFILE, 24),
        (ENOTTY, 25),
        (ESPIPE, 29),
        (EPIPE, 32),
        (ERANGE, 34),
        (ENOSYS, 38),
    ];
    for (constant, value) in spec {
        assert_eq!(constant, value);
    }
    assert_eq!(ENAMETOOLONG, 36);
    assert_eq!(errno_name(2), Some("ENOENT"));
    assert_eq!(errno_desc(ENOEXEC), Some("Exec format error"));
    assert_eq!(errno_name(ENOSYS), Some("ENOSYS"));
    assert_eq!(errno_name(0), None);
    assert_eq!(signal_name(SIGCHLD), Some("SIGCHLD"));
    assert_eq!(signal_name(17), Some("SIGCHLD"));
    assert_eq!((SIGKILL, SIGSEGV, SIGTERM, SIGSTOP), (9, 11, 15, 19));
    assert_eq!(signal_name(0), None);
    // Shells print these when a job dies (`sh`'s "Terminated").
    assert_eq!(signal_desc(SIGTERM), Some("Terminated"));
    assert_eq!(signal_desc(SIGSEGV), Some("Segmentation fault"));
    assert_eq!(signal_desc(0), None);
    assert_eq!(signal_desc(SIGRTMIN), None);
    for sig in 1..SIGRTMIN {
        assert!(
            signal_name(sig).is_some() && signal_desc(sig).is_some(),
            "standard signal {sig} lacks a name or a description"
        );
    }
}

#[test]
fn flag_values_match_arm64() {
    assert_eq!(O_DIRECTORY, 0x4000);
    assert_eq!(O_NOFOLLOW, 0x8000);
    assert_eq!(O_CLOEXEC, 0x80000);
    assert_eq!(O_CREAT | O_EXCL | O_TRUNC | O_APPEND, 0x6c0);
    assert_eq!(
        CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD as u64,
        0x0120_0011
    );
    assert_eq!(AT_FDCWD, -100);
    assert_eq!(MAP_PRIVATE | MAP_ANONYMOUS, 0x22);
    assert!(reboot_magic_ok(0xfee1dead, 672274793));
    assert!(reboot_magic_ok(LINUX_REBOOT_MAGIC1, 85072278));
    assert!(reboot_magic_ok(LINUX_REBOOT_MAGIC1, 369367448));
    assert!(reboot_magic_ok(LINUX_REBOOT_MAGIC1, 537993216));
    assert!(!reboot_magic_ok(LINUX_REBOOT_MAGIC1, 0));
    assert!(!reboot_magic_ok(0, LINUX_REBOOT_MAGIC2));
}

#[test]
fn termios_default_round_trips_and_is_line_mode() {
    let t = Termios::linux_default();
    let b = t.to_bytes();
    assert_eq!(Termios::from_bytes(&b), t);
    assert_eq!(
        u32::from_le_bytes(b[12..16].try_into().unwrap()) & ICANON,
        ICANON
    );
    assert_eq!(b[17 + VINTR], 3); // ^C
    assert_eq!(b[17 + VEOF], 4); // ^D
    assert_eq!(b[17 + VMIN], 1);
    let w = Winsize {
        ws_row: 24,
        ws_col: 80,
        ..Default::default()
    };
    assert_eq!(w.to_bytes(), [24, 0, 80, 0, 0, 0, 0, 0]);
}

#[test]
fn utsname_fields_are_nul_terminated_even_when_cut() {
    let long = "x".repeat(100);
    let u = Utsname::new("Linux", &long, "6.1.0-pikern", "#1", "aarch64", "");
    let b = u.to_bytes();
    assert_eq!(&b[..6], b"Linux\0");
    assert_eq!(&b[65..65 + 64], "x".repeat(64).as_bytes());
    assert_eq!(b[65 + 64], 0);
    assert_eq!(&b[4 * 65..4 * 65 + 8], b"aarch64\0");
}

#[test]
fn timespec_validation() {
    let t = Timespec {
        tv_sec: 1,
        tv_nsec: 500,
    };
    assert_eq!(Timespec::from_bytes(&t.to_bytes()), t);
    assert!(t.is_valid());
    assert!(!Timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000_000
    }
    .is_valid());
    assert!(!Timespec {
        tv_sec: -1,
        tv_nsec: 0
    }
    .is_valid());
    assert!(!Timespec {
        tv_sec: 0,
        tv_nsec: -1
    }
    .is_valid());
}

#[test]
fn statfs_statx_sysinfo_have_linux_sizes_and_offsets() {
    let s = Statfs {
        f_type: TMPFS_MAGIC,
        f_bsize: 4096,
        f_blocks: 3,
        f_fsid: [7, 8],
        f_namelen: 255,
        f_frsize: 4096,
        f_flags: ST_VALID | ST_RELATIME,
        ..Default::default()
    };
    let b = s.to_bytes();
    let u64_at = |b: &[u8], o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    let u32_at = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    assert_eq!(u64_at(&b, 0), 0x0102_1994);
    assert_eq!(u64_at(&b, 16), 3); // f_blocks
    assert_eq!(u32_at(&b, 56), 7); // f_fsid
    assert_eq!(u64_at(&b, 64), 255); // f_namelen
    assert_eq!(u64_at(&b, 80), 0x1020); // f_flags
    let x = Statx {
        stx_mask: STATX_BASIC_STATS,
        stx_mode: 0o100644,
        stx_ino: 9,
        stx_mtime: (-2, 5),
        stx_dev_minor: 3,
        stx_mnt_id: 4,
        ..Default::default()
    };
    let b = x.to_bytes();
    assert_eq!(u32_at(&b, 0), 0x7ff);
    assert_eq!(u32_at(&b, 28) & 0xffff, 0o100644);
    assert_eq!(u64_at(&b, 32), 9);
    assert_eq!(u64_at(&b, 112), -2i64 as u64); // stx_mtime.tv_sec
    assert_eq!(u32_at(&b, 120), 5);
    assert_eq!(u32_at(&b, 140), 3); // stx_dev_minor
    assert_eq!(u64_at(&b, 144), 4); // stx_mnt_id
    let i = Sysinfo {
        uptime: 5,
        totalram: 100,
        procs: 7,
        mem_unit: 4096,
        ..Default::default()
    };
    let b = i.to_bytes();
    assert_eq!(u64_at(&b, 32), 100); // totalram
    assert_eq!(u32_at(&b, 80) & 0xffff, 7); // procs
    assert_eq!(u32_at(&b, 104), 4096); // mem_unit
    assert_eq!(dev_major(makedev(0x123, 0x45678)), 0x123);
    assert_eq!(dev_minor(makedev(0x123, 0x45678)), 0x45678);
}
