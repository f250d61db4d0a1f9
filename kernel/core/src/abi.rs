//! The Linux arm64 user-space ABI: numbers and structure layouts.
//!
//! User programs are stock static Linux executables, so every number they
//! pass in a register and every structure they read back must be the one
//! Linux uses on arm64 (the asm-generic tables; see
//! `shared/spec/linux-abi.md`). Keeping them in one host-testable place lets
//! the kernel and the tests agree, and lets the tests pin the layouts with
//! `size_of`/`offset_of!` instead of trusting a hand count.
//!
//! Structures copied to user memory have a `to_bytes` that serialises them
//! little-endian field by field, so the kernel needs no `unsafe` transmute
//! and padding bytes are always zero (never stale kernel data).

// ---------------------------------------------------------------------------
// System calls
// ---------------------------------------------------------------------------

/// Declares the syscall-number constants (in [`nr`]) and the name table
/// from one list, so the two cannot drift apart.
macro_rules! syscalls {
    ($($konst:ident $name:literal = $nr:literal,)*) => {
        /// System-call numbers (`x8` at `svc #0`), from the asm-generic
        /// table arm64 uses. arm64 has no `open`, `stat`, `fork` or `poll`.
        pub mod nr {
            $(
                #[doc = concat!("`", $name, "`")]
                pub const $konst: usize = $nr;
            )*
        }

        /// The name of a system call (`"openat"`), for traces and the
        /// "unknown syscall" message.
        pub fn syscall_name(nr: usize) -> Option<&'static str> {
            match nr {
                $($nr => Some($name),)*
                _ => None,
            }
        }

        /// Every syscall this module knows, as `(number, name)`.
        pub const SYSCALLS: &[(usize, &str)] = &[$(($nr, $name),)*];
    };
}

syscalls! {
    GETCWD "getcwd" = 17,
    EVENTFD2 "eventfd2" = 19,
    EPOLL_CREATE1 "epoll_create1" = 20,
    EPOLL_CTL "epoll_ctl" = 21,
    EPOLL_PWAIT "epoll_pwait" = 22,
    DUP "dup" = 23,
    DUP3 "dup3" = 24,
    FCNTL "fcntl" = 25,
    IOCTL "ioctl" = 29,
    FLOCK "flock" = 32,
    MKNODAT "mknodat" = 33,
    MKDIRAT "mkdirat" = 34,
    UNLINKAT "unlinkat" = 35,
    SYMLINKAT "symlinkat" = 36,
    LINKAT "linkat" = 37,
    RENAMEAT "renameat" = 38,
    UMOUNT2 "umount2" = 39,
    MOUNT "mount" = 40,
    STATFS "statfs" = 43,
    FSTATFS "fstatfs" = 44,
    TRUNCATE "truncate" = 45,
    FTRUNCATE "ftruncate" = 46,
    FALLOCATE "fallocate" = 47,
    FACCESSAT "faccessat" = 48,
    CHDIR "chdir" = 49,
    FCHDIR "fchdir" = 50,
    CHROOT "chroot" = 51,
    FCHMOD "fchmod" = 52,
    FCHMODAT "fchmodat" = 53,
    FCHOWNAT "fchownat" = 54,
    FCHOWN "fchown" = 55,
    OPENAT "openat" = 56,
    CLOSE "close" = 57,
    PIPE2 "pipe2" = 59,
    GETDENTS64 "getdents64" = 61,
    LSEEK "lseek" = 62,
    READ "read" = 63,
    WRITE "write" = 64,
    READV "readv" = 65,
    WRITEV "writev" = 66,
    PREAD64 "pread64" = 67,
    PWRITE64 "pwrite64" = 68,
    PREADV "preadv" = 69,
    PWRITEV "pwritev" = 70,
    SENDFILE "sendfile" = 71,
    PSELECT6 "pselect6" = 72,
    PPOLL "ppoll" = 73,
    READLINKAT "readlinkat" = 78,
    NEWFSTATAT "newfstatat" = 79,
    FSTAT "fstat" = 80,
    SYNC "sync" = 81,
    FSYNC "fsync" = 82,
    FDATASYNC "fdatasync" = 83,
    UTIMENSAT "utimensat" = 88,
    CAPGET "capget" = 90,
    CAPSET "capset" = 91,
    PERSONALITY "personality" = 92,
    EXIT "exit" = 93,
    EXIT_GROUP "exit_group" = 94,
    WAITID "waitid" = 95,
    SET_TID_ADDRESS "set_tid_address" = 96,
    UNSHARE "unshare" = 97,
    FUTEX "futex" = 98,
    SET_ROBUST_LIST "set_robust_list" = 99,
    GET_ROBUST_LIST "get_robust_list" = 100,
    NANOSLEEP "nanosleep" = 101,
    GETITIMER "getitimer" = 102,
    SETITIMER "setitimer" = 103,
    CLOCK_GETTIME "clock_gettime" = 113,
    CLOCK_GETRES "clock_getres" = 114,
    CLOCK_NANOSLEEP "clock_nanosleep" = 115,
    SCHED_SETAFFINITY "sched_setaffinity" = 122,
    SCHED_GETAFFINITY "sched_getaffinity" = 123,
    SCHED_YIELD "sched_yield" = 124,
    KILL "kill" = 129,
    TKILL "tkill" = 130,
    TGKILL "tgkill" = 131,
    SIGALTSTACK "sigaltstack" = 132,
    RT_SIGSUSPEND "rt_sigsuspend" = 133,
    RT_SIGACTION "rt_sigaction" = 134,
    RT_SIGPROCMASK "rt_sigprocmask" = 135,
    RT_SIGPENDING "rt_sigpending" = 136,
    RT_SIGTIMEDWAIT "rt_sigtimedwait" = 137,
    RT_SIGQUEUEINFO "rt_sigqueueinfo" = 138,
    RT_SIGRETURN "rt_sigreturn" = 139,
    SETPRIORITY "setpriority" = 140,
    GETPRIORITY "getpriority" = 141,
    REBOOT "reboot" = 142,
    SETREGID "setregid" = 143,
    SETGID "setgid" = 144,
    SETREUID "setreuid" = 145,
    SETUID "setuid" = 146,
    SETRESUID "setresuid" = 147,
    GETRESUID "getresuid" = 148,
    SETRESGID "setresgid" = 149,
    GETRESGID "getresgid" = 150,
    TIMES "times" = 153,
    SETPGID "setpgid" = 154,
    GETPGID "getpgid" = 155,
    GETSID "getsid" = 156,
    SETSID "setsid" = 157,
    GETGROUPS "getgroups" = 158,
    SETGROUPS "setgroups" = 159,
    UNAME "uname" = 160,
    SETHOSTNAME "sethostname" = 161,
    GETRLIMIT "getrlimit" = 163,
    SETRLIMIT "setrlimit" = 164,
    GETRUSAGE "getrusage" = 165,
    UMASK "umask" = 166,
    PRCTL "prctl" = 167,
    GETCPU "getcpu" = 168,
    GETTIMEOFDAY "gettimeofday" = 169,
    SETTIMEOFDAY "settimeofday" = 170,
    GETPID "getpid" = 172,
    GETPPID "getppid" = 173,
    GETUID "getuid" = 174,
    GETEUID "geteuid" = 175,
    GETGID "getgid" = 176,
    GETEGID "getegid" = 177,
    GETTID "gettid" = 178,
    SYSINFO "sysinfo" = 179,
    BRK "brk" = 214,
    MUNMAP "munmap" = 215,
    MREMAP "mremap" = 216,
    CLONE "clone" = 220,
    EXECVE "execve" = 221,
    MMAP "mmap" = 222,
    MPROTECT "mprotect" = 226,
    MSYNC "msync" = 227,
    MADVISE "madvise" = 233,
    WAIT4 "wait4" = 260,
    PRLIMIT64 "prlimit64" = 261,
    RENAMEAT2 "renameat2" = 276,
    GETRANDOM "getrandom" = 278,
    MEMFD_CREATE "memfd_create" = 279,
    MEMBARRIER "membarrier" = 283,
    STATX "statx" = 291,
    RSEQ "rseq" = 293,
    PIDFD_OPEN "pidfd_open" = 434,
    CLONE3 "clone3" = 435,
    CLOSE_RANGE "close_range" = 436,
    FACCESSAT2 "faccessat2" = 439,
}

// ---------------------------------------------------------------------------
// errno
// ---------------------------------------------------------------------------

/// Declares the errno constants and their name/description tables.
macro_rules! errnos {
    ($($name:ident = $val:literal, $desc:literal;)*) => {
        $(
            #[doc = $desc]
            pub const $name: i32 = $val;
        )*

        /// The symbolic name of an errno value (`"ENOENT"`).
        pub fn errno_name(errno: i32) -> Option<&'static str> {
            match errno {
                $($val => Some(stringify!($name)),)*
                _ => None,
            }
        }

        /// The C library's message for an errno value
        /// (`"No such file or directory"`).
        pub fn errno_desc(errno: i32) -> Option<&'static str> {
            match errno {
                $($val => Some($desc),)*
                _ => None,
            }
        }
    };
}

// Values from asm-generic/errno-base.h and errno.h; the messages are
// glibc's, so kernel logs read like `strerror`.
errnos! {
    EPERM = 1, "Operation not permitted";
    ENOENT = 2, "No such file or directory";
    ESRCH = 3, "No such process";
    EINTR = 4, "Interrupted system call";
    EIO = 5, "Input/output error";
    ENXIO = 6, "No such device or address";
    E2BIG = 7, "Argument list too long";
    ENOEXEC = 8, "Exec format error";
    EBADF = 9, "Bad file descriptor";
    ECHILD = 10, "No child processes";
    EAGAIN = 11, "Resource temporarily unavailable";
    ENOMEM = 12, "Cannot allocate memory";
    EACCES = 13, "Permission denied";
    EFAULT = 14, "Bad address";
    ENOTBLK = 15, "Block device required";
    EBUSY = 16, "Device or resource busy";
    EEXIST = 17, "File exists";
    EXDEV = 18, "Invalid cross-device link";
    ENODEV = 19, "No such device";
    ENOTDIR = 20, "Not a directory";
    EISDIR = 21, "Is a directory";
    EINVAL = 22, "Invalid argument";
    ENFILE = 23, "Too many open files in system";
    EMFILE = 24, "Too many open files";
    ENOTTY = 25, "Inappropriate ioctl for device";
    ETXTBSY = 26, "Text file busy";
    EFBIG = 27, "File too large";
    ENOSPC = 28, "No space left on device";
    ESPIPE = 29, "Illegal seek";
    EROFS = 30, "Read-only file system";
    EMLINK = 31, "Too many links";
    EPIPE = 32, "Broken pipe";
    EDOM = 33, "Numerical argument out of domain";
    ERANGE = 34, "Numerical result out of range";
    EDEADLK = 35, "Resource deadlock avoided";
    ENAMETOOLONG = 36, "File name too long";
    ENOLCK = 37, "No locks available";
    ENOSYS = 38, "Function not implemented";
    ENOTEMPTY = 39, "Directory not empty";
    ELOOP = 40, "Too many levels of symbolic links";
    EOVERFLOW = 75, "Value too large for defined data type";
    EOPNOTSUPP = 95, "Operation not supported";
    ETIMEDOUT = 110, "Connection timed out";
}

/// `EWOULDBLOCK` is the same error as `EAGAIN` on Linux.
pub const EWOULDBLOCK: i32 = EAGAIN;
/// `ENOTSUP` is the same error as `EOPNOTSUPP` on Linux.
pub const ENOTSUP: i32 = EOPNOTSUPP;
/// Largest errno a system call can return: results in `-4095..=-1` are
/// errors, so a valid pointer never looks like one.
pub const MAX_ERRNO: i32 = 4095;

// ---------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------

/// Declares the signal constants and the name table.
macro_rules! signals {
    ($($name:ident = $val:literal,)*) => {
        $(
            #[doc = concat!("Signal `", stringify!($name), "`.")]
            pub const $name: u32 = $val;
        )*

        /// The name of a signal number (`"SIGCHLD"`).
        pub fn signal_name(sig: u32) -> Option<&'static str> {
            match sig {
                $($val => Some(stringify!($name)),)*
                _ => None,
            }
        }
    };
}

signals! {
    SIGHUP = 1,
    SIGINT = 2,
    SIGQUIT = 3,
    SIGILL = 4,
    SIGTRAP = 5,
    SIGABRT = 6,
    SIGBUS = 7,
    SIGFPE = 8,
    SIGKILL = 9,
    SIGUSR1 = 10,
    SIGSEGV = 11,
    SIGUSR2 = 12,
    SIGPIPE = 13,
    SIGALRM = 14,
    SIGTERM = 15,
    SIGSTKFLT = 16,
    SIGCHLD = 17,
    SIGCONT = 18,
    SIGSTOP = 19,
    SIGTSTP = 20,
    SIGTTIN = 21,
    SIGTTOU = 22,
    SIGURG = 23,
    SIGXCPU = 24,
    SIGXFSZ = 25,
    SIGVTALRM = 26,
    SIGPROF = 27,
    SIGWINCH = 28,
    SIGIO = 29,
    SIGPWR = 30,
    SIGSYS = 31,
}

/// `SIGIOT` is `SIGABRT`.
pub const SIGIOT: u32 = SIGABRT;
/// Number of signals, counting the real-time ones (the kernel's `_NSIG`;
/// glibc's `NSIG` is 65 as it counts signal 0): signal sets
/// are 64 bits and `rt_sigprocmask` insists on `sigsetsize == 8`.
pub const NSIG: u32 = 64;
/// First real-time signal number the kernel defines (`SIGRTMIN`; glibc's
/// `SIGRTMIN` is 34 because it keeps two for its threads).
pub const SIGRTMIN: u32 = 32;

/// `rt_sigprocmask` `how`: add to the blocked set.
pub const SIG_BLOCK: u32 = 0;
/// `rt_sigprocmask` `how`: remove from the blocked set.
pub const SIG_UNBLOCK: u32 = 1;
/// `rt_sigprocmask` `how`: replace the blocked set.
pub const SIG_SETMASK: u32 = 2;
/// `sa_handler` value: default action.
pub const SIG_DFL: u64 = 0;
/// `sa_handler` value: ignore.
pub const SIG_IGN: u64 = 1;

// ---------------------------------------------------------------------------
// wait
// ---------------------------------------------------------------------------

/// `wait4`/`waitid` option: return at once if no child has changed state.
pub const WNOHANG: u32 = 1;
/// Also report stopped children (`WSTOPPED` for `waitid`).
pub const WUNTRACED: u32 = 2;
/// `waitid`: report stopped children.
pub const WSTOPPED: u32 = 2;
/// `waitid`: report exited children.
pub const WEXITED: u32 = 4;
/// Report children continued by `SIGCONT`.
pub const WCONTINUED: u32 = 8;
/// `waitid`: leave the child waitable.
pub const WNOWAIT: u32 = 0x0100_0000;
/// Wait for any child, whatever its exit signal.
pub const __WALL: u32 = 0x4000_0000;
/// Wait only for children whose exit signal is not `SIGCHLD`.
pub const __WCLONE: u32 = 0x8000_0000;

/// `waitid` id type: any child.
pub const P_ALL: u32 = 0;
/// `waitid` id type: the child with this pid.
pub const P_PID: u32 = 1;
/// `waitid` id type: any child in this process group.
pub const P_PGID: u32 = 2;

/// Bit set in a wait status when the killed child dumped core.
pub const WCOREFLAG: u32 = 0x80;

/// The wait status of a child that exited with `code` (`sig` = 0) or was
/// killed by signal `sig` (`code` = 0): glibc's `W_EXITCODE`. Only the low
/// 8 bits of the exit code survive, as on Linux.
pub const fn w_exitcode(code: u32, sig: u32) -> u32 {
    ((code & 0xff) << 8) | (sig & 0x7f)
}

/// The wait status of a child stopped by `sig` (`W_STOPCODE`).
pub const fn w_stopcode(sig: u32) -> u32 {
    ((sig & 0xff) << 8) | 0x7f
}

/// Wait status of a child continued by `SIGCONT`.
pub const W_CONTINUED: u32 = 0xffff;

/// `WIFEXITED(status)`.
pub const fn wifexited(status: u32) -> bool {
    status & 0x7f == 0
}

/// `WEXITSTATUS(status)`.
pub const fn wexitstatus(status: u32) -> u32 {
    (status >> 8) & 0xff
}

/// `WIFSIGNALED(status)`.
pub const fn wifsignaled(status: u32) -> bool {
    let sig = status & 0x7f;
    sig != 0 && sig != 0x7f
}

/// `WTERMSIG(status)`.
pub const fn wtermsig(status: u32) -> u32 {
    status & 0x7f
}

// ---------------------------------------------------------------------------
// open, fcntl, *at
// ---------------------------------------------------------------------------

/// Access mode: read only.
pub const O_RDONLY: u32 = 0;
/// Access mode: write only.
pub const O_WRONLY: u32 = 1;
/// Access mode: read and write.
pub const O_RDWR: u32 = 2;
/// Mask of the access-mode bits.
pub const O_ACCMODE: u32 = 3;
/// Create the file if it does not exist.
pub const O_CREAT: u32 = 0o100;
/// With `O_CREAT`: fail with `EEXIST` if it exists.
pub const O_EXCL: u32 = 0o200;
/// Do not make a terminal the controlling terminal.
pub const O_NOCTTY: u32 = 0o400;
/// Truncate a regular file to length 0.
pub const O_TRUNC: u32 = 0o1000;
/// Every write goes to the end of the file.
pub const O_APPEND: u32 = 0o2000;
/// Non-blocking I/O.
pub const O_NONBLOCK: u32 = 0o4000;
/// Synchronous data writes.
pub const O_DSYNC: u32 = 0o10000;
/// Fail with `ENOTDIR` unless the path names a directory. arm64 uses the
/// asm-generic value (`0o40000`); 32-bit Arm's differs.
pub const O_DIRECTORY: u32 = 0o40000;
/// Fail with `ELOOP` if the last component is a symlink (arm64 value).
pub const O_NOFOLLOW: u32 = 0o100000;
/// Direct I/O (arm64 value).
pub const O_DIRECT: u32 = 0o200000;
/// Large-file flag (arm64 value). 64-bit C libraries define their
/// `O_LARGEFILE` as 0 and Linux forces it on 64-bit kernels, so a user
/// program rarely passes it, but `F_GETFL` reports it.
pub const O_LARGEFILE: u32 = 0o400000;
/// Do not update the access time.
pub const O_NOATIME: u32 = 0o1000000;
/// Close the descriptor on `execve`.
pub const O_CLOEXEC: u32 = 0o2000000;
/// Synchronous writes (includes `O_DSYNC`).
pub const O_SYNC: u32 = 0o4010000;
/// A descriptor that only names a location (arm64 value).
pub const O_PATH: u32 = 0o10000000;
/// Unnamed temporary file in a directory (includes `O_DIRECTORY`).
pub const O_TMPFILE: u32 = 0o20000000 | O_DIRECTORY;

/// `dirfd` meaning "the current working directory".
pub const AT_FDCWD: i32 = -100;
/// Do not follow a final symlink (`fstatat`, `fchownat`...).
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
/// `unlinkat`: remove a directory.
pub const AT_REMOVEDIR: u32 = 0x200;
/// `linkat`: follow a final symlink.
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
/// Do not automount the final component.
pub const AT_NO_AUTOMOUNT: u32 = 0x800;
/// An empty path means `dirfd` itself (glibc's `fstat` is
/// `newfstatat(fd, "", AT_EMPTY_PATH)`).
pub const AT_EMPTY_PATH: u32 = 0x1000;
/// `faccessat`: check with the effective ids.
pub const AT_EACCESS: u32 = 0x200;

/// `fcntl` command: duplicate to the lowest descriptor `>= arg`.
pub const F_DUPFD: u32 = 0;
/// `fcntl` command: get the descriptor flags (`FD_CLOEXEC`).
pub const F_GETFD: u32 = 1;
/// `fcntl` command: set the descriptor flags.
pub const F_SETFD: u32 = 2;
/// `fcntl` command: get the file status flags (`O_*`).
pub const F_GETFL: u32 = 3;
/// `fcntl` command: set `O_APPEND`/`O_NONBLOCK`/...
pub const F_SETFL: u32 = 4;
/// `fcntl` command: `F_DUPFD` that also sets `FD_CLOEXEC`.
pub const F_DUPFD_CLOEXEC: u32 = 1030;
/// Descriptor flag: close on `execve`.
pub const FD_CLOEXEC: u32 = 1;

/// `lseek` whence: from the start.
pub const SEEK_SET: u32 = 0;
/// `lseek` whence: from the current offset.
pub const SEEK_CUR: u32 = 1;
/// `lseek` whence: from the end.
pub const SEEK_END: u32 = 2;

/// `faccessat` mode: the file exists.
pub const F_OK: u32 = 0;
/// `faccessat` mode: executable.
pub const X_OK: u32 = 1;
/// `faccessat` mode: writable.
pub const W_OK: u32 = 2;
/// `faccessat` mode: readable.
pub const R_OK: u32 = 4;

// ---------------------------------------------------------------------------
// File modes and types
// ---------------------------------------------------------------------------

/// Mask of the file-type bits of a mode.
pub const S_IFMT: u32 = 0o170000;
/// Socket.
pub const S_IFSOCK: u32 = 0o140000;
/// Symbolic link.
pub const S_IFLNK: u32 = 0o120000;
/// Regular file.
pub const S_IFREG: u32 = 0o100000;
/// Block device.
pub const S_IFBLK: u32 = 0o060000;
/// Directory.
pub const S_IFDIR: u32 = 0o040000;
/// Character device.
pub const S_IFCHR: u32 = 0o020000;
/// FIFO (named pipe).
pub const S_IFIFO: u32 = 0o010000;
/// Set-user-id bit.
pub const S_ISUID: u32 = 0o4000;
/// Set-group-id bit.
pub const S_ISGID: u32 = 0o2000;
/// Sticky bit.
pub const S_ISVTX: u32 = 0o1000;
/// Mask of the permission bits `chmod` can change.
pub const S_IALLUGO: u32 = 0o7777;

/// `S_ISDIR(mode)`.
pub const fn s_isdir(mode: u32) -> bool {
    mode & S_IFMT == S_IFDIR
}
/// `S_ISREG(mode)`.
pub const fn s_isreg(mode: u32) -> bool {
    mode & S_IFMT == S_IFREG
}
/// `S_ISLNK(mode)`.
pub const fn s_islnk(mode: u32) -> bool {
    mode & S_IFMT == S_IFLNK
}
/// `S_ISCHR(mode)`.
pub const fn s_ischr(mode: u32) -> bool {
    mode & S_IFMT == S_IFCHR
}

/// `dirent64.d_type`: unknown.
pub const DT_UNKNOWN: u8 = 0;
/// `dirent64.d_type`: FIFO.
pub const DT_FIFO: u8 = 1;
/// `dirent64.d_type`: character device.
pub const DT_CHR: u8 = 2;
/// `dirent64.d_type`: directory.
pub const DT_DIR: u8 = 4;
/// `dirent64.d_type`: block device.
pub const DT_BLK: u8 = 6;
/// `dirent64.d_type`: regular file.
pub const DT_REG: u8 = 8;
/// `dirent64.d_type`: symbolic link.
pub const DT_LNK: u8 = 10;
/// `dirent64.d_type`: socket.
pub const DT_SOCK: u8 = 12;

/// The `d_type` for a mode: Linux's `fs_umode_to_dtype`, which is the type
/// bits shifted down.
pub const fn mode_to_dtype(mode: u32) -> u8 {
    ((mode & S_IFMT) >> 12) as u8
}

/// The longest file-name component (`NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// The size of a path buffer including its NUL (`PATH_MAX`).
pub const PATH_MAX: usize = 4096;

// ---------------------------------------------------------------------------
// struct stat
// ---------------------------------------------------------------------------

/// `struct stat` as arm64 (asm-generic `stat.h`) lays it out for `fstat`
/// and `newfstatat`: 128 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_mode: u32,
    pub st_nlink: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub st_rdev: u64,
    pub __pad1: u64,
    pub st_size: i64,
    pub st_blksize: i32,
    pub __pad2: i32,
    pub st_blocks: i64,
    pub st_atime: i64,
    pub st_atime_nsec: u64,
    pub st_mtime: i64,
    pub st_mtime_nsec: u64,
    pub st_ctime: i64,
    pub st_ctime_nsec: u64,
    pub __unused: [u32; 2],
}

/// Size of [`Stat`] in user memory.
pub const STAT_SIZE: usize = 128;

impl Stat {
    /// The bytes user space sees, little-endian, padding zeroed.
    pub fn to_bytes(&self) -> [u8; STAT_SIZE] {
        let mut w = Writer::<STAT_SIZE>::new();
        w.u64(self.st_dev);
        w.u64(self.st_ino);
        w.u32(self.st_mode);
        w.u32(self.st_nlink);
        w.u32(self.st_uid);
        w.u32(self.st_gid);
        w.u64(self.st_rdev);
        w.u64(0); // __pad1
        w.u64(self.st_size as u64);
        w.u32(self.st_blksize as u32);
        w.u32(0); // __pad2
        w.u64(self.st_blocks as u64);
        w.u64(self.st_atime as u64);
        w.u64(self.st_atime_nsec);
        w.u64(self.st_mtime as u64);
        w.u64(self.st_mtime_nsec);
        w.u64(self.st_ctime as u64);
        w.u64(self.st_ctime_nsec);
        w.u32(0); // __unused
        w.u32(0);
        w.finish()
    }
}

/// Linux's `new_encode_dev` for `st_dev`/`st_rdev`: 12-bit major, 20-bit
/// minor, split the way glibc's `major()`/`minor()` undo it.
pub const fn makedev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (major as u64, minor as u64);
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12) | ((major & !0xfff) << 32)
}

// ---------------------------------------------------------------------------
// getdents64
// ---------------------------------------------------------------------------

/// Offset of `d_name` in `struct linux_dirent64` (after `d_ino` u64,
/// `d_off` i64, `d_reclen` u16, `d_type` u8).
pub const DIRENT64_NAME_OFFSET: usize = 19;

/// The `d_reclen` of a `linux_dirent64` whose name is `name_len` bytes:
/// header, name, NUL, rounded up to 8 so the next record is aligned.
pub const fn dirent64_reclen(name_len: usize) -> usize {
    (DIRENT64_NAME_OFFSET + name_len + 1 + 7) & !7
}

/// Appends one `struct linux_dirent64` to `buf` and returns its length.
/// `d_off` is the offset a later `lseek` would use to resume *after* this
/// entry. Padding after the name is zeroed.
pub fn push_dirent64(
    buf: &mut alloc::vec::Vec<u8>,
    ino: u64,
    off: i64,
    d_type: u8,
    name: &[u8],
) -> usize {
    let reclen = dirent64_reclen(name.len());
    buf.extend_from_slice(&ino.to_le_bytes());
    buf.extend_from_slice(&off.to_le_bytes());
    buf.extend_from_slice(&(reclen as u16).to_le_bytes());
    buf.push(d_type);
    buf.extend_from_slice(name);
    buf.resize(buf.len() + reclen - DIRENT64_NAME_OFFSET - name.len(), 0);
    reclen
}

// ---------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------

/// `struct timespec` (64-bit `time_t` and `long`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

impl Timespec {
    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut w = Writer::<16>::new();
        w.u64(self.tv_sec as u64);
        w.u64(self.tv_nsec as u64);
        w.finish()
    }

    /// Reads one from user bytes (`nanosleep`'s request).
    pub fn from_bytes(b: &[u8; 16]) -> Self {
        Timespec {
            tv_sec: i64::from_le_bytes(b[0..8].try_into().unwrap()),
            tv_nsec: i64::from_le_bytes(b[8..16].try_into().unwrap()),
        }
    }

    /// Linux rejects a timespec with `tv_nsec` outside `0..1e9` or a
    /// negative `tv_sec` with `EINVAL`.
    pub fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && (0..1_000_000_000).contains(&self.tv_nsec)
    }
}

/// Wall-clock time, settable.
pub const CLOCK_REALTIME: u32 = 0;
/// Time since boot, not counting suspend; never jumps.
pub const CLOCK_MONOTONIC: u32 = 1;
/// CPU time of the process.
pub const CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
/// CPU time of the thread.
pub const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
/// Monotonic time without NTP slewing.
pub const CLOCK_MONOTONIC_RAW: u32 = 4;
/// Coarse (tick-resolution) `CLOCK_REALTIME`.
pub const CLOCK_REALTIME_COARSE: u32 = 5;
/// Coarse (tick-resolution) `CLOCK_MONOTONIC`.
pub const CLOCK_MONOTONIC_COARSE: u32 = 6;
/// Monotonic time including suspend.
pub const CLOCK_BOOTTIME: u32 = 7;
/// `clock_nanosleep` flag: the time is absolute.
pub const TIMER_ABSTIME: u32 = 1;

// ---------------------------------------------------------------------------
// uname
// ---------------------------------------------------------------------------

/// Length of each `struct utsname` field, NUL included.
pub const UTSNAME_FIELD: usize = 65;

/// `struct new_utsname`: six NUL-terminated 65-byte strings (390 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utsname {
    pub sysname: [u8; UTSNAME_FIELD],
    pub nodename: [u8; UTSNAME_FIELD],
    pub release: [u8; UTSNAME_FIELD],
    pub version: [u8; UTSNAME_FIELD],
    pub machine: [u8; UTSNAME_FIELD],
    pub domainname: [u8; UTSNAME_FIELD],
}

impl Utsname {
    /// Fills the fields, cutting each to 64 bytes so its NUL always fits.
    pub fn new(
        sysname: &str,
        nodename: &str,
        release: &str,
        version: &str,
        machine: &str,
        domainname: &str,
    ) -> Self {
        fn field(s: &str) -> [u8; UTSNAME_FIELD] {
            let mut f = [0; UTSNAME_FIELD];
            let n = s.len().min(UTSNAME_FIELD - 1);
            f[..n].copy_from_slice(&s.as_bytes()[..n]);
            f
        }
        Utsname {
            sysname: field(sysname),
            nodename: field(nodename),
            release: field(release),
            version: field(version),
            machine: field(machine),
            domainname: field(domainname),
        }
    }

    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; 6 * UTSNAME_FIELD] {
        let mut out = [0; 6 * UTSNAME_FIELD];
        let fields = [
            &self.sysname,
            &self.nodename,
            &self.release,
            &self.version,
            &self.machine,
            &self.domainname,
        ];
        for (chunk, f) in out.chunks_exact_mut(UTSNAME_FIELD).zip(fields) {
            chunk.copy_from_slice(f);
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Terminal ioctls
// ---------------------------------------------------------------------------

/// Get the terminal attributes (kernel `struct termios`, 36 bytes).
pub const TCGETS: u32 = 0x5401;
/// Set the terminal attributes now.
pub const TCSETS: u32 = 0x5402;
/// Set them after output drains.
pub const TCSETSW: u32 = 0x5403;
/// Set them after output drains, discarding pending input.
pub const TCSETSF: u32 = 0x5404;
/// Get the foreground process group.
pub const TIOCGPGRP: u32 = 0x540f;
/// Set the foreground process group.
pub const TIOCSPGRP: u32 = 0x5410;
/// Get the window size (`struct winsize`); musl's `printf` asks this to
/// decide whether stdout is a terminal.
pub const TIOCGWINSZ: u32 = 0x5413;
/// Set the window size.
pub const TIOCSWINSZ: u32 = 0x5414;
/// Bytes waiting to be read.
pub const FIONREAD: u32 = 0x541b;

/// Number of control characters in the kernel `struct termios`.
pub const NCCS: usize = 19;

/// The kernel's `struct termios` that `TCGETS`/`TCSETS` copy (not glibc's
/// larger user-space one, which adds speed fields): 36 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
}

/// Size of [`Termios`] in user memory.
pub const TERMIOS_SIZE: usize = 36;

/// Input flag: map CR to NL.
pub const ICRNL: u32 = 0o400;
/// Input flag: XON/XOFF output flow control.
pub const IXON: u32 = 0o2000;
/// Output flag: post-process output.
pub const OPOST: u32 = 0o1;
/// Output flag: map NL to CR-NL.
pub const ONLCR: u32 = 0o4;
/// Control flag: 38400 baud.
pub const B38400: u32 = 0o17;
/// Control flag: 8-bit characters.
pub const CS8: u32 = 0o60;
/// Control flag: enable the receiver.
pub const CREAD: u32 = 0o200;
/// Control flag: hang up on last close.
pub const HUPCL: u32 = 0o2000;
/// Local flag: generate signals for INTR/QUIT/SUSP.
pub const ISIG: u32 = 0o1;
/// Local flag: canonical (line) mode.
pub const ICANON: u32 = 0o2;
/// Local flag: echo input.
pub const ECHO: u32 = 0o10;
/// Local flag: ERASE erases the previous character.
pub const ECHOE: u32 = 0o20;
/// Local flag: KILL erases the line.
pub const ECHOK: u32 = 0o40;
/// Local flag: echo control characters as `^X`.
pub const ECHOCTL: u32 = 0o1000;
/// Local flag: KILL erases the line visibly.
pub const ECHOKE: u32 = 0o4000;
/// Local flag: extended input processing.
pub const IEXTEN: u32 = 0o100000;

/// `c_cc` index of the interrupt character.
pub const VINTR: usize = 0;
/// `c_cc` index of the quit character.
pub const VQUIT: usize = 1;
/// `c_cc` index of the erase character.
pub const VERASE: usize = 2;
/// `c_cc` index of the kill-line character.
pub const VKILL: usize = 3;
/// `c_cc` index of the end-of-file character.
pub const VEOF: usize = 4;
/// `c_cc` index of the non-canonical read timeout.
pub const VTIME: usize = 5;
/// `c_cc` index of the non-canonical minimum read count.
pub const VMIN: usize = 6;
/// `c_cc` index of the suspend character.
pub const VSUSP: usize = 10;

impl Termios {
    /// Linux's `tty_std_termios`: what a freshly opened console reports, so
    /// programs that save and restore the terminal mode see sane values.
    pub const fn linux_default() -> Self {
        Termios {
            c_iflag: ICRNL | IXON,
            c_oflag: OPOST | ONLCR,
            c_cflag: B38400 | CS8 | CREAD | HUPCL,
            c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            c_line: 0,
            // INIT_C_CC: ^C ^\ DEL ^U ^D, VTIME 0, VMIN 1, VSWTC 0,
            // ^Q ^S ^Z, VEOL 0, ^R ^O ^W ^V, VEOL2 0.
            c_cc: [
                3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0,
            ],
        }
    }

    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; TERMIOS_SIZE] {
        let mut w = Writer::<TERMIOS_SIZE>::new();
        w.u32(self.c_iflag);
        w.u32(self.c_oflag);
        w.u32(self.c_cflag);
        w.u32(self.c_lflag);
        w.bytes(&[self.c_line]);
        w.bytes(&self.c_cc);
        w.finish()
    }

    /// Reads one from user bytes (`TCSETS`).
    pub fn from_bytes(b: &[u8; TERMIOS_SIZE]) -> Self {
        let word = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
        Termios {
            c_iflag: word(0),
            c_oflag: word(4),
            c_cflag: word(8),
            c_lflag: word(12),
            c_line: b[16],
            c_cc: b[17..].try_into().unwrap(),
        }
    }
}

/// `struct winsize` for `TIOCGWINSZ`: 8 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Winsize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}

impl Winsize {
    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; 8] {
        let mut w = Writer::<8>::new();
        for v in [self.ws_row, self.ws_col, self.ws_xpixel, self.ws_ypixel] {
            w.bytes(&v.to_le_bytes());
        }
        w.finish()
    }
}

// ---------------------------------------------------------------------------
// reboot
// ---------------------------------------------------------------------------

/// First `reboot` magic (`0xfee1dead`).
pub const LINUX_REBOOT_MAGIC1: u32 = 0xfee1_dead;
/// Second `reboot` magic: Linus's birthday, 28.12.1969.
pub const LINUX_REBOOT_MAGIC2: u32 = 0x2812_1969;
/// Alternative second magic (a daughter's birthday).
pub const LINUX_REBOOT_MAGIC2A: u32 = 0x0512_1996;
/// Alternative second magic.
pub const LINUX_REBOOT_MAGIC2B: u32 = 0x1604_1998;
/// Alternative second magic.
pub const LINUX_REBOOT_MAGIC2C: u32 = 0x2011_2000;
/// Restart the machine.
pub const LINUX_REBOOT_CMD_RESTART: u32 = 0x0123_4567;
/// Stop the machine (no power off).
pub const LINUX_REBOOT_CMD_HALT: u32 = 0xcdef_0123;
/// Ctrl-Alt-Del reboots at once.
pub const LINUX_REBOOT_CMD_CAD_ON: u32 = 0x89ab_cdef;
/// Ctrl-Alt-Del sends `SIGINT` to init.
pub const LINUX_REBOOT_CMD_CAD_OFF: u32 = 0;
/// Power the machine off.
pub const LINUX_REBOOT_CMD_POWER_OFF: u32 = 0x4321_fedc;
/// Restart with a command string.
pub const LINUX_REBOOT_CMD_RESTART2: u32 = 0xa1b2_c3d4;

/// True if `magic1`/`magic2` are a pair `reboot` accepts (otherwise it
/// fails with `EINVAL`).
pub const fn reboot_magic_ok(magic1: u32, magic2: u32) -> bool {
    magic1 == LINUX_REBOOT_MAGIC1
        && matches!(
            magic2,
            LINUX_REBOOT_MAGIC2
                | LINUX_REBOOT_MAGIC2A
                | LINUX_REBOOT_MAGIC2B
                | LINUX_REBOOT_MAGIC2C
        )
}

// ---------------------------------------------------------------------------
// clone
// ---------------------------------------------------------------------------

/// Low byte of the flags: the signal sent to the parent at exit.
pub const CSIGNAL: u64 = 0xff;
/// Share the address space.
pub const CLONE_VM: u64 = 0x100;
/// Share cwd, root and umask.
pub const CLONE_FS: u64 = 0x200;
/// Share the descriptor table.
pub const CLONE_FILES: u64 = 0x400;
/// Share signal handlers.
pub const CLONE_SIGHAND: u64 = 0x800;
/// Return a pidfd in `parent_tid`.
pub const CLONE_PIDFD: u64 = 0x1000;
/// Continue tracing in the child.
pub const CLONE_PTRACE: u64 = 0x2000;
/// Suspend the parent until the child execs or exits.
pub const CLONE_VFORK: u64 = 0x4000;
/// The child's parent is the caller's parent.
pub const CLONE_PARENT: u64 = 0x8000;
/// Same thread group (a thread, not a process).
pub const CLONE_THREAD: u64 = 0x10000;
/// New mount namespace.
pub const CLONE_NEWNS: u64 = 0x20000;
/// Share System V semaphore undo lists.
pub const CLONE_SYSVSEM: u64 = 0x40000;
/// Set the child's thread pointer (`TPIDR_EL0`) to `tls`.
pub const CLONE_SETTLS: u64 = 0x80000;
/// Store the child's tid at `parent_tid` in the parent.
pub const CLONE_PARENT_SETTID: u64 = 0x10_0000;
/// Clear (and futex-wake) `child_tid` when the child exits.
pub const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
/// Ignored by the kernel (historical).
pub const CLONE_DETACHED: u64 = 0x40_0000;
/// A tracer cannot force `CLONE_PTRACE`.
pub const CLONE_UNTRACED: u64 = 0x80_0000;
/// Store the child's tid at `child_tid` in the child.
pub const CLONE_CHILD_SETTID: u64 = 0x100_0000;

// ---------------------------------------------------------------------------
// mmap
// ---------------------------------------------------------------------------

/// Page cannot be accessed.
pub const PROT_NONE: u32 = 0;
/// Page can be read.
pub const PROT_READ: u32 = 1;
/// Page can be written.
pub const PROT_WRITE: u32 = 2;
/// Page can be executed.
pub const PROT_EXEC: u32 = 4;
/// arm64: Branch Target Identification guarded page.
pub const PROT_BTI: u32 = 0x10;
/// arm64: Memory Tagging enabled page.
pub const PROT_MTE: u32 = 0x20;

/// Changes are shared.
pub const MAP_SHARED: u32 = 0x01;
/// Changes are private (copy-on-write).
pub const MAP_PRIVATE: u32 = 0x02;
/// `MAP_SHARED` that rejects unknown flags.
pub const MAP_SHARED_VALIDATE: u32 = 0x03;
/// Mask of the sharing type.
pub const MAP_TYPE: u32 = 0x0f;
/// Map exactly at `addr`, replacing what is there.
pub const MAP_FIXED: u32 = 0x10;
/// Not backed by a file; zero-filled.
pub const MAP_ANONYMOUS: u32 = 0x20;
/// Stack-like segment that grows down.
pub const MAP_GROWSDOWN: u32 = 0x0100;
/// Ignored.
pub const MAP_DENYWRITE: u32 = 0x0800;
/// Ignored.
pub const MAP_EXECUTABLE: u32 = 0x1000;
/// Lock the pages in memory.
pub const MAP_LOCKED: u32 = 0x2000;
/// Do not reserve swap space.
pub const MAP_NORESERVE: u32 = 0x4000;
/// Pre-fault the pages.
pub const MAP_POPULATE: u32 = 0x8000;
/// Do not block on I/O with `MAP_POPULATE`.
pub const MAP_NONBLOCK: u32 = 0x1_0000;
/// The mapping is a thread stack (a hint).
pub const MAP_STACK: u32 = 0x2_0000;
/// Use huge pages.
pub const MAP_HUGETLB: u32 = 0x4_0000;
/// `MAP_FIXED` that fails with `EEXIST` instead of replacing.
pub const MAP_FIXED_NOREPLACE: u32 = 0x10_0000;
/// What `mmap` returns on failure in C (`(void *)-1`).
pub const MAP_FAILED: u64 = u64::MAX;

// ---------------------------------------------------------------------------
// Resource limits
// ---------------------------------------------------------------------------

/// CPU time in seconds.
pub const RLIMIT_CPU: u32 = 0;
/// Largest file size.
pub const RLIMIT_FSIZE: u32 = 1;
/// Data segment (heap) size.
pub const RLIMIT_DATA: u32 = 2;
/// Stack size (glibc's start-up asks for this).
pub const RLIMIT_STACK: u32 = 3;
/// Core file size.
pub const RLIMIT_CORE: u32 = 4;
/// Resident set size.
pub const RLIMIT_RSS: u32 = 5;
/// Number of processes.
pub const RLIMIT_NPROC: u32 = 6;
/// Number of open files.
pub const RLIMIT_NOFILE: u32 = 7;
/// Locked memory.
pub const RLIMIT_MEMLOCK: u32 = 8;
/// Address-space size.
pub const RLIMIT_AS: u32 = 9;
/// File locks.
pub const RLIMIT_LOCKS: u32 = 10;
/// Pending signals.
pub const RLIMIT_SIGPENDING: u32 = 11;
/// POSIX message-queue bytes.
pub const RLIMIT_MSGQUEUE: u32 = 12;
/// Nice ceiling.
pub const RLIMIT_NICE: u32 = 13;
/// Real-time priority ceiling.
pub const RLIMIT_RTPRIO: u32 = 14;
/// Real-time CPU time in microseconds.
pub const RLIMIT_RTTIME: u32 = 15;
/// Number of resources; larger ones get `EINVAL`.
pub const RLIM_NLIMITS: u32 = 16;
/// "No limit".
pub const RLIM_INFINITY: u64 = u64::MAX;

/// `struct rlimit64` for `prlimit64`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rlimit64 {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}

impl Rlimit64 {
    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut w = Writer::<16>::new();
        w.u64(self.rlim_cur);
        w.u64(self.rlim_max);
        w.finish()
    }
}

// ---------------------------------------------------------------------------
// getrandom, auxv, hwcap
// ---------------------------------------------------------------------------

/// `getrandom`: fail with `EAGAIN` instead of blocking.
pub const GRND_NONBLOCK: u32 = 1;
/// `getrandom`: use the (historical) blocking pool.
pub const GRND_RANDOM: u32 = 2;
/// `getrandom`: never block, even before the pool is ready.
pub const GRND_INSECURE: u32 = 4;

/// Auxiliary-vector keys (`AT_*` in `linux/auxvec.h`), the `(key, value)`
/// pairs above `envp` on the initial stack.
pub mod auxv {
    /// End of the vector.
    pub const AT_NULL: u64 = 0;
    /// Entry to ignore.
    pub const AT_IGNORE: u64 = 1;
    /// Descriptor of the program (binfmt_misc).
    pub const AT_EXECFD: u64 = 2;
    /// Address of the program headers in memory.
    pub const AT_PHDR: u64 = 3;
    /// Size of one program header.
    pub const AT_PHENT: u64 = 4;
    /// Number of program headers.
    pub const AT_PHNUM: u64 = 5;
    /// Page size.
    pub const AT_PAGESZ: u64 = 6;
    /// Load address of the interpreter (0 for static programs).
    pub const AT_BASE: u64 = 7;
    /// Flags (0).
    pub const AT_FLAGS: u64 = 8;
    /// Program entry point.
    pub const AT_ENTRY: u64 = 9;
    /// Program is not ELF.
    pub const AT_NOTELF: u64 = 10;
    /// Real uid.
    pub const AT_UID: u64 = 11;
    /// Effective uid.
    pub const AT_EUID: u64 = 12;
    /// Real gid.
    pub const AT_GID: u64 = 13;
    /// Effective gid.
    pub const AT_EGID: u64 = 14;
    /// Address of the platform string (`"aarch64"`).
    pub const AT_PLATFORM: u64 = 15;
    /// CPU capability bits (`HWCAP_*`).
    pub const AT_HWCAP: u64 = 16;
    /// Clock ticks per second for `times()` (`USER_HZ`).
    pub const AT_CLKTCK: u64 = 17;
    /// Secure mode (set-uid): 0 here.
    pub const AT_SECURE: u64 = 23;
    /// Address of the base platform string.
    pub const AT_BASE_PLATFORM: u64 = 24;
    /// Address of 16 random bytes (stack guard, pointer mangling).
    pub const AT_RANDOM: u64 = 25;
    /// More CPU capability bits.
    pub const AT_HWCAP2: u64 = 26;
    /// Address of the file name passed to `execve`.
    pub const AT_EXECFN: u64 = 31;
    /// Address of the vDSO.
    pub const AT_SYSINFO_EHDR: u64 = 33;
    /// Minimal signal stack size.
    pub const AT_MINSIGSTKSZ: u64 = 51;
}

/// Page size user space is told about (`AT_PAGESZ`).
pub const PAGE_SIZE: u64 = 4096;
/// Clock ticks per second user space is told about (`AT_CLKTCK`).
pub const USER_HZ: u64 = 100;
/// `AT_HWCAP` bit: floating point.
pub const HWCAP_FP: u64 = 1 << 0;
/// `AT_HWCAP` bit: Advanced SIMD.
pub const HWCAP_ASIMD: u64 = 1 << 1;
/// `AT_HWCAP` bit: generic timer readable from EL0.
pub const HWCAP_EVTSTRM: u64 = 1 << 2;
/// `AT_HWCAP` bit: AES instructions.
pub const HWCAP_AES: u64 = 1 << 3;
/// `AT_HWCAP` bit: PMULL instructions.
pub const HWCAP_PMULL: u64 = 1 << 4;
/// `AT_HWCAP` bit: SHA-1 instructions.
pub const HWCAP_SHA1: u64 = 1 << 5;
/// `AT_HWCAP` bit: SHA-256 instructions.
pub const HWCAP_SHA2: u64 = 1 << 6;
/// `AT_HWCAP` bit: CRC32 instructions.
pub const HWCAP_CRC32: u64 = 1 << 7;
/// `AT_HWCAP` bit: `MRS` of ID registers is emulated.
pub const HWCAP_CPUID: u64 = 1 << 11;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Fills a fixed-size little-endian byte image field by field; a layout
/// mistake shows up as a wrong final length in the tests.
struct Writer<const N: usize> {
    out: [u8; N],
    at: usize,
}

impl<const N: usize> Writer<N> {
    fn new() -> Self {
        Writer { out: [0; N], at: 0 }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.out[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }

    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    fn finish(self) -> [u8; N] {
        debug_assert_eq!(self.at, N, "structure image not completely filled");
        self.out
    }
}

#[cfg(test)]
mod tests {
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
        let mut numbers: alloc::vec::Vec<usize> = SYSCALLS.iter().map(|s| s.0).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), SYSCALLS.len());
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
}
