//! `asm-generic/unistd.h`: the arm64 system-call table.
//!
//! [`syscall_table!`](crate::syscall_table) is the one list of system
//! calls: number, name, arguments (name and [`ArgKind`]) and, for those
//! pikern implements, the `sys_*` function, as `__SYSCALL(__NR_read,
//! sys_read)` does in Linux. Everything else is generated from it: the
//! [`nr`] constants (the user runtime's numbers), [`syscall_name`] (oops
//! reports, traces), [`SYSCALLS`] (the fuzzer's names, argument kinds and
//! list of implemented calls) and, in the kernel, the dispatch in
//! `kernel/src/syscall.rs`. Adding a system call is one row here.

/// What a system-call argument is, for the fuzzer's generators and for
/// readers of the table (trinity's `ARG_*`). The kernel converts each
/// register to its `sys_*` parameter's type; the kind does not change that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A file descriptor, or `AT_FDCWD` for the `*at` calls.
    Fd,
    /// A NUL-terminated path in user memory.
    Path,
    /// User memory whose length is another argument.
    Buf,
    /// A pointer to a structure or array in user memory (may be NULL).
    Ptr,
    /// A byte or element count.
    Len,
    /// A bit mask of flags.
    Flags,
    /// File permission bits (`mode_t`).
    Mode,
    /// A command or operation number (`ioctl`, `fcntl`, `reboot`).
    Cmd,
    /// A process or thread id (0 and negative values have meanings).
    Pid,
    /// A signal number.
    Signal,
    /// A clock id.
    Clock,
    /// A virtual address of a mapping.
    Addr,
    /// Any other integer (a status, a resource, a `which`, an offset).
    Int,
}

/// One row of the table, as data.
#[derive(Clone, Copy, Debug)]
pub struct SyscallDesc {
    /// The number (`x8` at `svc #0`).
    pub nr: usize,
    /// The name, as in Linux (`"openat"`).
    pub name: &'static str,
    /// The arguments in register order: Linux's parameter name and kind.
    /// Empty for calls pikern does not implement.
    pub args: &'static [(&'static str, ArgKind)],
    /// Whether pikern implements the call (otherwise it fails `ENOSYS`).
    pub implemented: bool,
}

/// The system-call table. It expands to `$m! { rows }`, one row per call:
///
/// `KONST name = nr (arg: Kind, ...) => sys_fn;` for implemented calls
/// (`=> sys_fn + regs;` when the function also takes the caller's saved
/// registers), `KONST name = nr ();` for the others (`-ENOSYS`). Rows are in
/// number order.
#[macro_export]
macro_rules! syscall_table {
    ($m:ident) => {
        $m! {
            SETXATTR setxattr = 5 (pathname: Path, name: Path, value: Buf, size: Len, flags: Flags) => sys_setxattr;
            LSETXATTR lsetxattr = 6 (pathname: Path, name: Path, value: Buf, size: Len, flags: Flags) => sys_lsetxattr;
            FSETXATTR fsetxattr = 7 (fd: Fd, name: Path, value: Buf, size: Len, flags: Flags) => sys_fsetxattr;
            GETXATTR getxattr = 8 (pathname: Path, name: Path, value: Buf, size: Len) => sys_getxattr;
            LGETXATTR lgetxattr = 9 (pathname: Path, name: Path, value: Buf, size: Len) => sys_lgetxattr;
            FGETXATTR fgetxattr = 10 (fd: Fd, name: Path, value: Buf, size: Len) => sys_fgetxattr;
            LISTXATTR listxattr = 11 (pathname: Path, list: Buf, size: Len) => sys_listxattr;
            LLISTXATTR llistxattr = 12 (pathname: Path, list: Buf, size: Len) => sys_llistxattr;
            FLISTXATTR flistxattr = 13 (fd: Fd, list: Buf, size: Len) => sys_flistxattr;
            REMOVEXATTR removexattr = 14 (pathname: Path, name: Path) => sys_removexattr;
            LREMOVEXATTR lremovexattr = 15 (pathname: Path, name: Path) => sys_lremovexattr;
            FREMOVEXATTR fremovexattr = 16 (fd: Fd, name: Path) => sys_fremovexattr;
            GETCWD getcwd = 17 (buf: Buf, size: Len) => sys_getcwd;
            EVENTFD2 eventfd2 = 19 ();
            EPOLL_CREATE1 epoll_create1 = 20 ();
            EPOLL_CTL epoll_ctl = 21 ();
            EPOLL_PWAIT epoll_pwait = 22 ();
            DUP dup = 23 (fildes: Fd) => sys_dup;
            DUP3 dup3 = 24 (oldfd: Fd, newfd: Fd, flags: Flags) => sys_dup3;
            FCNTL fcntl = 25 (fd: Fd, cmd: Cmd, arg: Int) => sys_fcntl;
            IOCTL ioctl = 29 (fd: Fd, cmd: Cmd, arg: Int) => sys_ioctl;
            FLOCK flock = 32 ();
            MKNODAT mknodat = 33 (dfd: Fd, filename: Path, mode: Mode, dev: Int) => sys_mknodat;
            MKDIRAT mkdirat = 34 (dfd: Fd, pathname: Path, mode: Mode) => sys_mkdirat;
            UNLINKAT unlinkat = 35 (dfd: Fd, pathname: Path, flag: Flags) => sys_unlinkat;
            SYMLINKAT symlinkat = 36 (oldname: Path, newdfd: Fd, newname: Path) => sys_symlinkat;
            LINKAT linkat = 37 (olddfd: Fd, oldname: Path, newdfd: Fd, newname: Path, flags: Flags) => sys_linkat;
            RENAMEAT renameat = 38 (olddfd: Fd, oldname: Path, newdfd: Fd, newname: Path) => sys_renameat;
            UMOUNT2 umount2 = 39 (name: Path, flags: Flags) => sys_umount2;
            MOUNT mount = 40 (dev_name: Path, dir_name: Path, fstype: Path, flags: Flags, data: Ptr) => sys_mount;
            STATFS statfs = 43 (pathname: Path, buf: Ptr) => sys_statfs;
            FSTATFS fstatfs = 44 (fd: Fd, buf: Ptr) => sys_fstatfs;
            TRUNCATE truncate = 45 (path: Path, length: Int) => sys_truncate;
            FTRUNCATE ftruncate = 46 (fd: Fd, length: Int) => sys_ftruncate;
            FALLOCATE fallocate = 47 ();
            FACCESSAT faccessat = 48 (dfd: Fd, filename: Path, mode: Mode) => sys_faccessat;
            CHDIR chdir = 49 (filename: Path) => sys_chdir;
            FCHDIR fchdir = 50 (fd: Fd) => sys_fchdir;
            CHROOT chroot = 51 ();
            FCHMOD fchmod = 52 (fd: Fd, mode: Mode) => sys_fchmod;
            FCHMODAT fchmodat = 53 (dfd: Fd, filename: Path, mode: Mode) => sys_fchmodat;
            FCHOWNAT fchownat = 54 (dfd: Fd, filename: Path, user: Int, group: Int, flag: Flags) => sys_fchownat;
            FCHOWN fchown = 55 (fd: Fd, user: Int, group: Int) => sys_fchown;
            OPENAT openat = 56 (dfd: Fd, filename: Path, flags: Flags, mode: Mode) => sys_openat;
            CLOSE close = 57 (fd: Fd) => sys_close;
            PIPE2 pipe2 = 59 (fildes: Ptr, flags: Flags) => sys_pipe2;
            GETDENTS64 getdents64 = 61 (fd: Fd, dirent: Buf, count: Len) => sys_getdents64;
            LSEEK lseek = 62 (fd: Fd, offset: Int, whence: Int) => sys_lseek;
            READ read = 63 (fd: Fd, buf: Buf, count: Len) => sys_read;
            WRITE write = 64 (fd: Fd, buf: Buf, count: Len) => sys_write;
            READV readv = 65 (fd: Fd, vec: Ptr, vlen: Len) => sys_readv;
            WRITEV writev = 66 (fd: Fd, vec: Ptr, vlen: Len) => sys_writev;
            PREAD64 pread64 = 67 (fd: Fd, buf: Buf, count: Len, pos: Int) => sys_pread64;
            PWRITE64 pwrite64 = 68 (fd: Fd, buf: Buf, count: Len, pos: Int) => sys_pwrite64;
            PREADV preadv = 69 ();
            PWRITEV pwritev = 70 ();
            SENDFILE sendfile = 71 (out_fd: Fd, in_fd: Fd, offset: Ptr, count: Len) => sys_sendfile;
            PSELECT6 pselect6 = 72 (n: Len, inp: Ptr, outp: Ptr, exp: Ptr, tsp: Ptr, sig: Ptr) => sys_pselect6;
            PPOLL ppoll = 73 (ufds: Ptr, nfds: Len, tsp: Ptr, sigmask: Ptr, sigsetsize: Len) => sys_ppoll;
            READLINKAT readlinkat = 78 (dfd: Fd, pathname: Path, buf: Buf, bufsiz: Len) => sys_readlinkat;
            NEWFSTATAT newfstatat = 79 (dfd: Fd, filename: Path, statbuf: Ptr, flag: Flags) => sys_newfstatat;
            FSTAT fstat = 80 (fd: Fd, statbuf: Ptr) => sys_fstat;
            SYNC sync = 81 () => sys_sync;
            FSYNC fsync = 82 (fd: Fd) => sys_fsync;
            FDATASYNC fdatasync = 83 (fd: Fd) => sys_fdatasync;
            UTIMENSAT utimensat = 88 (dfd: Fd, filename: Path, utimes: Ptr, flags: Flags) => sys_utimensat;
            CAPGET capget = 90 ();
            CAPSET capset = 91 ();
            PERSONALITY personality = 92 ();
            EXIT exit = 93 (error_code: Int) => sys_exit;
            EXIT_GROUP exit_group = 94 (error_code: Int) => sys_exit_group;
            WAITID waitid = 95 ();
            SET_TID_ADDRESS set_tid_address = 96 (tidptr: Ptr) => sys_set_tid_address;
            UNSHARE unshare = 97 ();
            FUTEX futex = 98 (uaddr: Ptr, op: Cmd, val: Int, utime: Ptr, uaddr2: Ptr, val3: Int) => sys_futex;
            SET_ROBUST_LIST set_robust_list = 99 (head: Ptr, len: Len) => sys_set_robust_list;
            GET_ROBUST_LIST get_robust_list = 100 (pid: Pid, head_ptr: Ptr, len_ptr: Ptr) => sys_get_robust_list;
            NANOSLEEP nanosleep = 101 (rqtp: Ptr, rmtp: Ptr) => sys_nanosleep;
            GETITIMER getitimer = 102 (which: Int, value: Ptr) => sys_getitimer;
            SETITIMER setitimer = 103 (which: Int, value: Ptr, ovalue: Ptr) => sys_setitimer;
            CLOCK_GETTIME clock_gettime = 113 (which_clock: Clock, tp: Ptr) => sys_clock_gettime;
            CLOCK_GETRES clock_getres = 114 (which_clock: Clock, tp: Ptr) => sys_clock_getres;
            CLOCK_NANOSLEEP clock_nanosleep = 115 (which_clock: Clock, flags: Flags, rqtp: Ptr, rmtp: Ptr) => sys_clock_nanosleep;
            SYSLOG syslog = 116 (action: Int, buf: Buf, len: Len) => sys_syslog;
            PTRACE ptrace = 117 (request: Cmd, pid: Pid, addr: Addr, data: Int) => sys_ptrace;
            SCHED_SETAFFINITY sched_setaffinity = 122 (pid: Pid, len: Len, user_mask_ptr: Ptr) => sys_sched_setaffinity;
            SCHED_GETAFFINITY sched_getaffinity = 123 (pid: Pid, len: Len, user_mask_ptr: Ptr) => sys_sched_getaffinity;
            SCHED_YIELD sched_yield = 124 () => sys_sched_yield;
            RESTART_SYSCALL restart_syscall = 128 () => sys_restart_syscall;
            KILL kill = 129 (pid: Pid, sig: Signal) => sys_kill;
            TKILL tkill = 130 (pid: Pid, sig: Signal) => sys_tkill;
            TGKILL tgkill = 131 (tgid: Pid, pid: Pid, sig: Signal) => sys_tgkill;
            SIGALTSTACK sigaltstack = 132 (uss: Ptr, uoss: Ptr) => sys_sigaltstack + regs;
            RT_SIGSUSPEND rt_sigsuspend = 133 (unewset: Ptr, sigsetsize: Len) => sys_rt_sigsuspend;
            RT_SIGACTION rt_sigaction = 134 (sig: Signal, act: Ptr, oact: Ptr, sigsetsize: Len) => sys_rt_sigaction;
            RT_SIGPROCMASK rt_sigprocmask = 135 (how: Int, nset: Ptr, oset: Ptr, sigsetsize: Len) => sys_rt_sigprocmask;
            RT_SIGPENDING rt_sigpending = 136 (uset: Ptr, sigsetsize: Len) => sys_rt_sigpending;
            RT_SIGTIMEDWAIT rt_sigtimedwait = 137 (uthese: Ptr, uinfo: Ptr, uts: Ptr, sigsetsize: Len) => sys_rt_sigtimedwait;
            RT_SIGQUEUEINFO rt_sigqueueinfo = 138 (pid: Pid, sig: Signal, uinfo: Ptr) => sys_rt_sigqueueinfo;
            RT_SIGRETURN rt_sigreturn = 139 () => sys_rt_sigreturn + regs;
            SETPRIORITY setpriority = 140 (which: Int, who: Pid, niceval: Int) => sys_setpriority;
            GETPRIORITY getpriority = 141 (which: Int, who: Pid) => sys_getpriority;
            REBOOT reboot = 142 (magic1: Int, magic2: Int, cmd: Cmd, arg: Ptr) => sys_reboot;
            SETREGID setregid = 143 ();
            SETGID setgid = 144 ();
            SETREUID setreuid = 145 ();
            SETUID setuid = 146 ();
            SETRESUID setresuid = 147 ();
            GETRESUID getresuid = 148 ();
            SETRESGID setresgid = 149 ();
            GETRESGID getresgid = 150 ();
            TIMES times = 153 (tbuf: Ptr) => sys_times;
            SETPGID setpgid = 154 (pid: Pid, pgid: Pid) => sys_setpgid;
            GETPGID getpgid = 155 (pid: Pid) => sys_getpgid;
            GETSID getsid = 156 (pid: Pid) => sys_getsid;
            SETSID setsid = 157 () => sys_setsid;
            GETGROUPS getgroups = 158 (gidsetsize: Int, grouplist: Ptr) => sys_getgroups;
            SETGROUPS setgroups = 159 ();
            UNAME uname = 160 (name: Ptr) => sys_newuname;
            SETHOSTNAME sethostname = 161 ();
            GETRLIMIT getrlimit = 163 ();
            SETRLIMIT setrlimit = 164 ();
            GETRUSAGE getrusage = 165 (who: Int, ru: Ptr) => sys_getrusage;
            UMASK umask = 166 (mask: Mode) => sys_umask;
            PRCTL prctl = 167 (option: Int, arg2: Int, arg3: Int, arg4: Int, arg5: Int) => sys_prctl;
            GETCPU getcpu = 168 (cpup: Ptr, nodep: Ptr, unused: Ptr) => sys_getcpu;
            GETTIMEOFDAY gettimeofday = 169 (tv: Ptr, tz: Ptr) => sys_gettimeofday;
            SETTIMEOFDAY settimeofday = 170 ();
            GETPID getpid = 172 () => sys_getpid;
            GETPPID getppid = 173 () => sys_getppid;
            GETUID getuid = 174 () => sys_getuid;
            GETEUID geteuid = 175 () => sys_geteuid;
            GETGID getgid = 176 () => sys_getgid;
            GETEGID getegid = 177 () => sys_getegid;
            GETTID gettid = 178 () => sys_gettid;
            SYSINFO sysinfo = 179 (info: Ptr) => sys_sysinfo;
            SOCKET socket = 198 (family: Int, type_: Int, protocol: Int) => sys_socket;
            GETSOCKNAME getsockname = 204 (fd: Fd, usockaddr: Ptr, usockaddr_len: Ptr) => sys_getsockname;
            GETPEERNAME getpeername = 205 (fd: Fd, usockaddr: Ptr, usockaddr_len: Ptr) => sys_getpeername;
            BRK brk = 214 (brk: Addr) => sys_brk;
            MUNMAP munmap = 215 (addr: Addr, len: Len) => sys_munmap;
            MREMAP mremap = 216 (addr: Addr, old_len: Len, new_len: Len, flags: Flags, new_addr: Addr) => sys_mremap;
            CLONE clone = 220 (clone_flags: Flags, newsp: Addr, parent_tidptr: Ptr, tls: Addr, child_tidptr: Ptr) => sys_clone + regs;
            EXECVE execve = 221 (filename: Path, argv: Ptr, envp: Ptr) => sys_execve + regs;
            MMAP mmap = 222 (addr: Addr, len: Len, prot: Flags, flags: Flags, fd: Fd, off: Int) => sys_mmap;
            FADVISE64 fadvise64 = 223 (fd: Fd, offset: Int, len: Len, advice: Int) => sys_fadvise64_64;
            MPROTECT mprotect = 226 (start: Addr, len: Len, prot: Flags) => sys_mprotect;
            MSYNC msync = 227 (start: Addr, len: Len, flags: Flags) => sys_msync;
            MINCORE mincore = 232 (start: Addr, len: Len, vec: Ptr) => sys_mincore;
            MADVISE madvise = 233 (start: Addr, len: Len, behavior: Int) => sys_madvise;
            WAIT4 wait4 = 260 (upid: Pid, stat_addr: Ptr, options: Flags, ru: Ptr) => sys_wait4;
            PRLIMIT64 prlimit64 = 261 (pid: Pid, resource: Int, new_rlim: Ptr, old_rlim: Ptr) => sys_prlimit64;
            SYNCFS syncfs = 267 (fd: Fd) => sys_syncfs;
            PROCESS_VM_READV process_vm_readv = 270 (pid: Pid, lvec: Ptr, liovcnt: Len, rvec: Ptr, riovcnt: Len, flags: Flags) => sys_process_vm_readv;
            PROCESS_VM_WRITEV process_vm_writev = 271 (pid: Pid, lvec: Ptr, liovcnt: Len, rvec: Ptr, riovcnt: Len, flags: Flags) => sys_process_vm_writev;
            RENAMEAT2 renameat2 = 276 (olddfd: Fd, oldname: Path, newdfd: Fd, newname: Path, flags: Flags) => sys_renameat2;
            GETRANDOM getrandom = 278 (buf: Buf, count: Len, flags: Flags) => sys_getrandom;
            MEMFD_CREATE memfd_create = 279 ();
            MEMBARRIER membarrier = 283 ();
            STATX statx = 291 (dfd: Fd, filename: Path, flags: Flags, mask: Flags, buffer: Ptr) => sys_statx;
            RSEQ rseq = 293 ();
            PIDFD_OPEN pidfd_open = 434 ();
            CLONE3 clone3 = 435 (uargs: Ptr, size: Len) => sys_clone3 + regs;
            CLOSE_RANGE close_range = 436 ();
            FACCESSAT2 faccessat2 = 439 (dfd: Fd, filename: Path, mode: Mode, flags: Flags) => sys_faccessat2;
        }
    };
}

/// Generates the numbers, names and descriptions from the table.
macro_rules! syscall_consts {
    ($($konst:ident $name:ident = $nr:literal ($($arg:ident : $kind:ident),*)
        $(=> $sys:ident $(+ $regs:ident)?)?;)*) => {
        /// System-call numbers (`x8` at `svc #0`), from the asm-generic
        /// table arm64 uses. arm64 has no `open`, `stat`, `fork` or `poll`.
        pub mod nr {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $konst: usize = $nr;
            )*
        }

        /// The name of a system call (`"openat"`), for traces and the
        /// "unknown syscall" message.
        pub fn syscall_name(nr: usize) -> Option<&'static str> {
            match nr {
                $($nr => Some(stringify!($name)),)*
                _ => None,
            }
        }

        /// Every system call of the table, in number order.
        pub const SYSCALLS: &[SyscallDesc] = &[$(SyscallDesc {
            nr: $nr,
            name: stringify!($name),
            args: &[$((stringify!($arg), ArgKind::$kind)),*],
            implemented: false $(|| { let _ = stringify!($sys); true })?,
        },)*];
    };
}

crate::syscall_table!(syscall_consts);

/// The description of system call `nr`, if the table has it.
pub fn syscall_desc(nr: usize) -> Option<&'static SyscallDesc> {
    SYSCALLS.iter().find(|d| d.nr == nr)
}
