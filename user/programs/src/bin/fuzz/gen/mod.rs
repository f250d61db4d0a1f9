//! What a worker does next: the table of `(call, weight, generator)` rows,
//! as trinity keeps one `struct syscallentry` per call (`syscalls/*.c`:
//! argument types, a `.sanitise` hook, `.flags` such as `AVOID_SYSCALL`).
//!
//! Each step picks a row with probability `weight / total` and lets its
//! generator fill the call's arguments. The weights are in thousandths of
//! all steps while every implemented call has a row; a call implemented in
//! the kernel's table (`uapi::SYSCALLS`) but missing here is still fuzzed,
//! at [`DEFAULT_WEIGHT`] with [`Worker::by_kind`] (arguments from its
//! `ArgKind`s), so adding a system call to libkernel's `syscall_table!`
//! is enough for it to be fuzzed. Besides the calls, three steps are not a
//! call of the table: a garbage number ([`misc::garbage`]), forking a
//! child for a call that ends a process, and reaping children.
//!
//! The generators live with their subsystem, as the kernel's `sys_*`
//! functions do: [`fs`], [`mm`], [`proc`], [`futex`], [`signal`], [`time`],
//! [`sched`], [`misc`]; the argument generators they share are in [`args`].

pub mod args;
pub mod fs;
pub mod futex;
pub mod misc;
pub mod mm;
pub mod proc;
pub mod sched;
pub mod signal;
pub mod time;

use crate::worker::{Call, Worker};
use pikern_rt::syscall::nr;
use pikern_rt::uapi::{self, SyscallDesc};

/// Fills the arguments of a call whose number is already set (it may
/// change the number: [`misc::garbage`] does).
pub type Gen = fn(&mut Worker, &mut Call);

/// One row of the table.
pub struct Row {
    /// The system-call number.
    pub nr: usize,
    /// How often, in thousandths of all steps.
    pub weight: u32,
    /// The bespoke generator, or `None` for [`Worker::by_kind`].
    pub gen: Option<Gen>,
    /// `GARBAGE_OK`, `ENDS_CALLER`, `AVOID`.
    pub flags: u32,
}

/// The call cannot hurt the worker whatever its arguments: a garbage
/// number that aliases it may be made ([`misc::safe_garbage_nr`]). Every
/// other implemented call is assumed dangerous with garbage arguments.
pub const GARBAGE_OK: u32 = 1;
/// The call ends its caller: never made by a worker (weight 0), only by
/// its short-lived children (`Worker::child`).
pub const ENDS_CALLER: u32 = 2;
/// Never made: it would end the run legitimately (trinity's
/// `AVOID_SYSCALL`).
pub const AVOID: u32 = 4;

/// Weight of an implemented call that has no row.
pub const DEFAULT_WEIGHT: u32 = 5;
/// Weight of a garbage system-call number ([`misc::garbage`]).
pub const GARBAGE_WEIGHT: u32 = 40;
/// Weight of forking a child that makes a call that ends a process.
pub const SPAWN_WEIGHT: u32 = 30;
/// Weight of reaping the children that are done.
pub const REAP_WEIGHT: u32 = 20;

const fn row(nr: usize, weight: u32, gen: Gen) -> Row {
    Row {
        nr,
        weight,
        gen: Some(gen),
        flags: 0,
    }
}

/// A call whose arguments come from its `ArgKind`s.
const fn by_kind(nr: usize, weight: u32, flags: u32) -> Row {
    Row {
        nr,
        weight,
        gen: None,
        flags,
    }
}

/// A call the worker never makes itself.
const fn never(nr: usize, flags: u32) -> Row {
    Row {
        nr,
        weight: 0,
        gen: None,
        flags,
    }
}

/// The table. The weights follow how much kernel code a call reaches and
/// how much state it builds for the others: the calls that move data and
/// make descriptors most, the identity getters least.
pub static TABLE: &[Row] = &[
    // fs: 751 in all.
    row(nr::READ, 100, fs::read),
    row(nr::WRITE, 90, fs::write),
    row(nr::READV, 10, fs::readv_writev),
    row(nr::WRITEV, 10, fs::readv_writev),
    row(nr::OPENAT, 100, fs::openat),
    row(nr::CLOSE, 40, fs::close),
    row(nr::LSEEK, 20, fs::lseek),
    row(nr::NEWFSTATAT, 20, fs::newfstatat),
    row(nr::FSTAT, 10, fs::fstat),
    row(nr::GETDENTS64, 60, fs::getdents64),
    row(nr::IOCTL, 10, fs::ioctl),
    row(nr::DUP, 10, fs::dup),
    row(nr::DUP3, 10, fs::dup3),
    row(nr::FCNTL, 10, fs::fcntl),
    row(nr::GETCWD, 10, fs::getcwd),
    row(nr::CHDIR, 10, fs::chdir),
    row(nr::READLINKAT, 10, fs::readlinkat),
    row(nr::MKDIRAT, 10, fs::mkdirat_unlinkat),
    row(nr::UNLINKAT, 10, fs::mkdirat_unlinkat),
    row(nr::PIPE2, 20, fs::pipe2),
    row(nr::SYMLINKAT, 5, fs::symlinkat),
    row(nr::RENAMEAT, 5, fs::renameat),
    row(nr::RENAMEAT2, 5, fs::renameat),
    row(nr::PPOLL, 10, fs::ppoll),
    by_kind(nr::FACCESSAT, 5, 0),
    by_kind(nr::FACCESSAT2, 5, 0),
    row(nr::LINKAT, 5, fs::linkat),
    row(nr::FCHMODAT, 5, fs::fchmodat),
    row(nr::FCHMOD, 5, fs::fchmod),
    row(nr::FCHOWNAT, 5, fs::fchownat),
    row(nr::FCHOWN, 5, fs::fchown),
    row(nr::UTIMENSAT, 5, fs::utimensat),
    row(nr::TRUNCATE, 5, fs::truncate),
    row(nr::FTRUNCATE, 5, fs::ftruncate),
    row(nr::PREAD64, 10, fs::pread64),
    row(nr::PWRITE64, 10, fs::pwrite64),
    row(nr::SENDFILE, 5, fs::sendfile),
    row(nr::PSELECT6, 5, fs::pselect6),
    row(nr::FSYNC, 3, fs::fsync),
    row(nr::FDATASYNC, 2, fs::fsync),
    by_kind(nr::SYNC, 2, GARBAGE_OK),
    row(nr::STATX, 10, fs::statx),
    row(nr::STATFS, 5, fs::statfs),
    row(nr::FSTATFS, 5, fs::fstatfs),
    row(nr::MKNODAT, 5, fs::mknodat),
    row(nr::UMASK, 3, fs::umask),
    row(nr::MOUNT, 5, fs::mount),
    row(nr::UMOUNT2, 5, fs::umount2),
    row(nr::PREADV, 5, fs::preadv_pwritev),
    row(nr::PWRITEV, 5, fs::preadv_pwritev),
    row(nr::PREADV2, 5, fs::preadv_pwritev),
    row(nr::PWRITEV2, 5, fs::preadv_pwritev),
    row(nr::COPY_FILE_RANGE, 5, fs::copy_file_range),
    row(nr::FALLOCATE, 5, fs::fallocate),
    row(nr::CLOSE_RANGE, 3, fs::close_range),
    row(nr::MEMFD_CREATE, 5, fs::memfd_create),
    // proc: 96, and the identity getters 17.
    row(nr::EXECVE, 10, proc::execve),
    row(nr::WAIT4, 30, proc::wait4),
    row(nr::GETRUSAGE, 10, proc::getrusage),
    row(nr::SET_TID_ADDRESS, 10, proc::set_tid_address),
    Row {
        flags: GARBAGE_OK,
        ..row(nr::SET_ROBUST_LIST, 10, proc::set_robust_list)
    },
    row(nr::PRLIMIT64, 10, proc::prlimit64),
    row(nr::WAITID, 10, proc::waitid),
    row(nr::GETRLIMIT, 3, proc::getrlimit_setrlimit),
    row(nr::SETRLIMIT, 3, proc::getrlimit_setrlimit),
    // futex: 15.
    row(nr::FUTEX, 10, futex::futex),
    row(nr::GET_ROBUST_LIST, 5, futex::get_robust_list),
    by_kind(nr::GETPID, 3, GARBAGE_OK),
    by_kind(nr::GETTID, 3, GARBAGE_OK),
    by_kind(nr::GETPPID, 3, GARBAGE_OK),
    by_kind(nr::GETUID, 2, GARBAGE_OK),
    by_kind(nr::GETEUID, 2, GARBAGE_OK),
    by_kind(nr::GETGID, 2, GARBAGE_OK),
    by_kind(nr::GETEGID, 2, GARBAGE_OK),
    never(nr::EXIT, ENDS_CALLER),
    never(nr::EXIT_GROUP, ENDS_CALLER),
    never(nr::CLONE, ENDS_CALLER),
    // signal: 80.
    row(nr::KILL, 15, signal::kill),
    row(nr::TKILL, 7, signal::tkill),
    row(nr::TGKILL, 8, signal::tgkill),
    row(nr::RT_SIGACTION, 30, signal::rt_sigaction),
    row(nr::RT_SIGPROCMASK, 20, signal::rt_sigprocmask),
    never(nr::RT_SIGRETURN, ENDS_CALLER),
    // Sleeps until a signal comes, which nothing promises a worker.
    never(nr::RT_SIGSUSPEND, AVOID),
    row(nr::SIGALTSTACK, 5, signal::sigaltstack),
    row(nr::RT_SIGTIMEDWAIT, 5, signal::rt_sigtimedwait),
    // mm: 60.
    row(nr::BRK, 10, mm::brk),
    row(nr::MMAP, 30, mm::mmap),
    row(nr::MUNMAP, 10, mm::munmap_mprotect),
    row(nr::MPROTECT, 10, mm::munmap_mprotect),
    // time: 46.
    row(nr::CLOCK_GETTIME, 10, time::clock_gettime_getres),
    row(nr::CLOCK_GETRES, 10, time::clock_gettime_getres),
    row(nr::CLOCK_NANOSLEEP, 10, time::clock_nanosleep),
    row(nr::NANOSLEEP, 10, time::nanosleep),
    row(nr::SETITIMER, 2, time::setitimer),
    row(nr::SETTIMEOFDAY, 3, time::settime),
    row(nr::CLOCK_SETTIME, 3, time::settime),
    // sched: 43.
    row(nr::SCHED_SETAFFINITY, 10, sched::sched_affinity),
    row(nr::SCHED_GETAFFINITY, 10, sched::sched_affinity),
    row(nr::SETPRIORITY, 5, sched::priority),
    Row {
        flags: GARBAGE_OK,
        ..row(nr::GETPRIORITY, 5, sched::priority)
    },
    row(nr::GETCPU, 10, sched::getcpu),
    by_kind(nr::SCHED_YIELD, 3, GARBAGE_OK),
    // misc: 50.
    row(nr::UNAME, 10, misc::uname),
    row(nr::GETRANDOM, 10, misc::getrandom),
    row(nr::SYSINFO, 5, misc::sysinfo),
    row(nr::TIMES, 5, misc::times),
    row(nr::GETGROUPS, 3, misc::getgroups),
    row(nr::SYSLOG, 5, misc::syslog),
    row(nr::CAPGET, 3, misc::capget_capset),
    row(nr::CAPSET, 2, misc::capget_capset),
    row(nr::PERSONALITY, 3, misc::personality),
    row(nr::SETHOSTNAME, 2, misc::sethostname),
    row(nr::SETDOMAINNAME, 2, misc::sethostname),
    never(nr::REBOOT, AVOID),
    // A worker that attached to (or wrote into) the master or a sibling
    // would stop or corrupt the run: ptrace is tested by user/c/ptrace.c.
    never(nr::PTRACE, AVOID),
    never(nr::PROCESS_VM_WRITEV, AVOID),
];

/// Every row names a call the kernel implements, once, and the calls a
/// worker must not make have weight 0: checked when the fuzzer is built.
const _: () = {
    let mut i = 0;
    while i < TABLE.len() {
        let r = &TABLE[i];
        assert!(
            r.flags & (ENDS_CALLER | AVOID) == 0 || r.weight == 0,
            "a call that ends the caller or the run has a weight"
        );
        let mut found = false;
        let mut k = 0;
        while k < uapi::SYSCALLS.len() {
            found |= uapi::SYSCALLS[k].nr == r.nr && uapi::SYSCALLS[k].implemented;
            k += 1;
        }
        assert!(found, "a row names a call the kernel does not implement");
        let mut j = i + 1;
        while j < TABLE.len() {
            assert!(TABLE[j].nr != r.nr, "two rows for one call");
            j += 1;
        }
        i += 1;
    }
};

/// The row of call `nr`, if the table has one.
pub fn row_of(nr: usize) -> Option<&'static Row> {
    TABLE.iter().find(|r| r.nr == nr)
}

/// Implemented calls without a row: fuzzed by kind at [`DEFAULT_WEIGHT`].
fn untabled() -> impl Iterator<Item = &'static SyscallDesc> {
    uapi::SYSCALLS
        .iter()
        .filter(|d| d.implemented && row_of(d.nr).is_none())
}

/// Implemented calls a worker may make (no `ENDS_CALLER` or `AVOID`): the
/// real numbers [`misc::garbage`] draws from.
pub fn callable() -> impl Iterator<Item = &'static SyscallDesc> {
    uapi::SYSCALLS.iter().filter(|d| {
        d.implemented && row_of(d.nr).is_none_or(|r| r.flags & (ENDS_CALLER | AVOID) == 0)
    })
}

/// The weight of the implemented calls without a row (computed once per
/// worker, as [`total_weight`]: the tables are fixed).
pub fn untabled_weight() -> u32 {
    untabled().count() as u32 * DEFAULT_WEIGHT
}

/// The sum of all weights.
pub fn total_weight() -> u64 {
    let rows: u32 = TABLE.iter().map(|r| r.weight).sum();
    (rows + untabled_weight() + GARBAGE_WEIGHT + SPAWN_WEIGHT + REAP_WEIGHT) as u64
}

/// The name of call `nr` for `-v` and anomaly reports (`"?"` for numbers
/// outside the table).
pub fn name(nr: u64) -> &'static str {
    usize::try_from(nr)
        .ok()
        .and_then(uapi::syscall_name)
        .unwrap_or("?")
}

impl Worker {
    /// Builds the next call, or returns `None` after a step that is not
    /// a call (forking a child, reaping).
    pub fn gen(&mut self) -> Option<Call> {
        let mut c = Call {
            nr: 0,
            a: [0; 6],
            kout: false,
        };
        for a in &mut c.a {
            // Unused argument registers hold garbage too.
            *a = self.rng.next();
        }
        let mut r = self.rng.below(self.total_weight) as u32;
        for row in TABLE {
            if r < row.weight {
                c.nr = row.nr as u64;
                match row.gen {
                    Some(gen) => gen(self, &mut c),
                    None => self.by_kind(uapi::syscall_desc(row.nr)?.args, &mut c),
                }
                return Some(c);
            }
            r -= row.weight;
        }
        if r < self.untabled_weight {
            let d = untabled().nth((r / DEFAULT_WEIGHT) as usize)?;
            c.nr = d.nr as u64;
            self.by_kind(d.args, &mut c);
            return Some(c);
        }
        r -= self.untabled_weight;
        if r < GARBAGE_WEIGHT {
            misc::garbage(self, &mut c);
            return Some(c);
        }
        r -= GARBAGE_WEIGHT;
        if r < SPAWN_WEIGHT {
            if !self.is_child {
                self.spawn_child();
            }
        } else {
            self.reap_children(false);
        }
        None
    }
}
