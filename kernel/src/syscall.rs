//! The system-call table: Linux arm64 numbers (`x8`) to `sys_*` functions,
//! arguments in `x0`..`x5`, the result (or `-errno`) in `x0`. Each call
//! lives with its subsystem, as Linux's `SYSCALL_DEFINE`s do; this file only
//! maps numbers, plus the small calls that have no other home. Anything
//! unknown is `-ENOSYS`.

use crate::arch::exception::PtRegs;
use crate::errno::*;
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::task::{self, Pid};
use crate::{exec, exit, fork, fs::syscalls as fsc, mm::syscalls as mmc, signal, time};
use core::sync::atomic::Ordering;
use libkernel::uapi::{self, nr};

/// What a system call returns.
pub type SysResult = Result<i64, Errno>;

/// Runs the system call described by `regs` and stores its result
/// (`invoke_syscall`).
pub fn invoke_syscall(regs: &mut PtRegs) {
    let a = [
        regs.regs[0],
        regs.regs[1],
        regs.regs[2],
        regs.regs[3],
        regs.regs[4],
        regs.regs[5],
    ];
    // For oops reports: the frame of this task's latest system call. Not
    // cleared on return (one store instead of two on the hottest path);
    // the report says "latest", and the frame stays valid memory.
    let at = regs as *mut PtRegs as u64;
    task::with_current(|t| t.syscall_regs.store(at, Ordering::Relaxed));
    let r = dispatch(regs.regs[8] as usize, a, regs);
    regs.regs[0] = match r {
        Ok(v) => v as u64,
        Err(e) => e.as_neg() as u64,
    };
}

fn dispatch(n: usize, a: [u64; 6], regs: &mut PtRegs) -> SysResult {
    match n {
        nr::READ => fsc::sys_read(a[0] as i64, a[1], a[2]),
        nr::WRITE => fsc::sys_write(a[0] as i64, a[1], a[2]),
        nr::READV => fsc::sys_readv(a[0] as i64, a[1], a[2]),
        nr::WRITEV => fsc::sys_writev(a[0] as i64, a[1], a[2]),
        nr::OPENAT => fsc::sys_openat(a[0] as i64, a[1], a[2] as u32, a[3] as u32),
        nr::CLOSE => fsc::sys_close(a[0] as i64),
        nr::LSEEK => fsc::sys_lseek(a[0] as i64, a[1] as i64, a[2] as u32),
        nr::NEWFSTATAT => fsc::sys_newfstatat(a[0] as i64, a[1], a[2], a[3] as u32),
        nr::FSTAT => fsc::sys_fstat(a[0] as i64, a[1]),
        nr::GETDENTS64 => fsc::sys_getdents64(a[0] as i64, a[1], a[2]),
        nr::IOCTL => fsc::sys_ioctl(a[0] as i64, a[1], a[2]),
        nr::DUP => fsc::sys_dup(a[0] as i64),
        nr::DUP3 => fsc::sys_dup3(a[0] as i64, a[1] as i64, a[2] as u32),
        nr::FCNTL => fsc::sys_fcntl(a[0] as i64, a[1] as u32, a[2]),
        nr::GETCWD => fsc::sys_getcwd(a[0], a[1]),
        nr::CHDIR => fsc::sys_chdir(a[0]),
        nr::READLINKAT => fsc::sys_readlinkat(a[0] as i64, a[1], a[2], a[3]),
        nr::MKDIRAT => fsc::sys_mkdirat(a[0] as i64, a[1], a[2] as u32),
        nr::PIPE2 => fsc::sys_pipe2(a[0], a[1] as u32),
        nr::UNLINKAT => fsc::sys_unlinkat(a[0] as i64, a[1], a[2] as u32),
        168 /* getcpu */ => {
            if a[0] != 0 {
                crate::mm::uaccess::put_user_u32(a[0], crate::percpu::smp_processor_id() as u32)?;
            }
            if a[1] != 0 {
                crate::mm::uaccess::put_user_u32(a[1], 0)?;
            }
            Ok(0)
        }
        165 /* getrusage */ => sys_getrusage(a[0] as i64, a[1]),
        nr::EXECVE => exec::sys_execve(a[0], a[1], a[2], regs),
        nr::EXIT => exit::sys_exit(a[0] as i32),
        nr::EXIT_GROUP => exit::sys_exit_group(a[0] as i32),
        nr::WAIT4 => exit::sys_wait4(a[0] as i64, a[1], a[2] as u32, a[3]),
        nr::CLONE => fork::sys_clone(a[0], a[1], a[2], a[3], a[4], regs),
        nr::KILL => signal::sys_kill(a[0] as i64, a[1] as i64),
        nr::TKILL => signal::sys_tkill(a[0] as i64, a[1] as i64),
        nr::TGKILL => signal::sys_tgkill(a[0] as i64, a[1] as i64, a[2] as i64),
        nr::RT_SIGACTION => signal::sys_rt_sigaction(a[0], a[1], a[2], a[3]),
        nr::RT_SIGPROCMASK => signal::sys_rt_sigprocmask(a[0], a[1], a[2], a[3]),
        nr::RT_SIGRETURN => signal::sys_rt_sigreturn(regs),
        nr::GETPID => Ok(task::with_current(|t| t.tgid) as i64),
        nr::GETTID => Ok(task::current_pid() as i64),
        nr::GETPPID => Ok(task::with_current(|t| t.ppid()) as i64),
        nr::GETUID | nr::GETEUID | nr::GETGID | nr::GETEGID => Ok(0),
        nr::UNAME => sys_uname(a[0]),
        nr::BRK => mmc::sys_brk(a[0]),
        nr::MMAP => mmc::sys_mmap(a[0], a[1], a[2] as u32, a[3] as u32, a[4] as i64, a[5]),
        nr::MUNMAP => mmc::sys_munmap(a[0], a[1]),
        nr::MPROTECT => mmc::sys_mprotect(a[0], a[1], a[2] as u32),
        nr::SET_TID_ADDRESS => {
            let me = task::current();
            me.clear_child_tid.store(a[0], Ordering::Relaxed);
            Ok(me.pid as i64)
        }
        // The robust-futex list head is 24 bytes; futexes are not modelled.
        nr::SET_ROBUST_LIST => {
            if a[1] != 24 {
                Err(EINVAL)
            } else {
                Ok(0)
            }
        }
        nr::PRLIMIT64 => sys_prlimit64(a[0] as Pid, a[1] as u32, a[2], a[3]),
        nr::GETRANDOM => sys_getrandom(a[0], a[1], a[2] as u32),
        nr::CLOCK_GETTIME => sys_clock_gettime(a[0] as u32, a[1]),
        nr::CLOCK_GETRES => sys_clock_getres(a[1]),
        nr::CLOCK_NANOSLEEP => sys_clock_nanosleep(a[0] as u32, a[1] as u32, a[2], a[3]),
        nr::NANOSLEEP => sys_clock_nanosleep(uapi::CLOCK_MONOTONIC, 0, a[0], a[1]),
        nr::SCHED_YIELD => {
            crate::sched::yield_now();
            Ok(0)
        }
        nr::SCHED_SETAFFINITY => sys_sched_setaffinity(a[0] as Pid, a[1], a[2]),
        nr::SCHED_GETAFFINITY => sys_sched_getaffinity(a[0] as Pid, a[1], a[2]),
        nr::SETPRIORITY => sys_setpriority(a[0] as u32, a[1] as Pid, a[2] as i64),
        nr::GETPRIORITY => sys_getpriority(a[0] as u32, a[1] as Pid),
        nr::REBOOT => sys_reboot(a[0] as u32, a[1] as u32, a[2] as u32, a[3]),
        _ => Err(ENOSYS),
    }
}

/// `getrusage(who, usage)`: CPU time and context switches of the caller
/// (`RUSAGE_SELF`, `RUSAGE_THREAD`: one thread per process) or of its
/// reaped children (`RUSAGE_CHILDREN`).
fn sys_getrusage(who: i64, usage: u64) -> SysResult {
    let me = task::current();
    let u = match who {
        0 | 1 => exit::task_usage(&me),
        -1 => exit::children_usage(&me),
        _ => return Err(EINVAL),
    };
    copy_to_user(usage, &exit::rusage_bytes(u))?;
    Ok(0)
}

fn sys_uname(buf: u64) -> SysResult {
    let u = uapi::Utsname::new(
        "pikern",
        "pikern",
        env!("CARGO_PKG_VERSION"),
        "#1 SMP",
        "aarch64",
        "(none)",
    );
    copy_to_user(buf, &u.to_bytes())?;
    Ok(0)
}

/// The task a pid argument names (0: the caller).
fn task_by_pid(pid: Pid) -> Result<alloc::sync::Arc<task::Task>, Errno> {
    if pid == 0 {
        Ok(task::current())
    } else {
        crate::pid::find_task_by_pid(pid).ok_or(ESRCH)
    }
}

fn sys_prlimit64(pid: Pid, resource: u32, new: u64, old: u64) -> SysResult {
    let t = task_by_pid(pid)?;
    if resource >= 16 {
        return Err(EINVAL);
    }
    let lim = if new != 0 {
        let mut b = [0u8; 16];
        copy_from_user(&mut b, new)?;
        let cur = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
        let max = u64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8]));
        if cur > max {
            return Err(EINVAL);
        }
        Some((cur, max))
    } else {
        None
    };
    let cur = t.rlim.lock()[resource as usize];
    if old != 0 {
        let l = uapi::Rlimit64 {
            rlim_cur: cur.0,
            rlim_max: cur.1,
        };
        copy_to_user(old, &l.to_bytes())?;
    }
    if let Some(l) = lim {
        alloc::sync::Arc::make_mut(&mut t.rlim.lock())[resource as usize] = l;
    }
    Ok(0)
}

/// A small per-boot generator (xorshift over the counter): good enough for
/// stack canaries and `AT_RANDOM`, not for cryptography.
pub fn random_u64() -> u64 {
    static STATE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed) ^ crate::arch::cpu::read_counter().rotate_left(17);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn sys_getrandom(buf: u64, len: u64, flags: u32) -> SysResult {
    if flags & !(uapi::GRND_NONBLOCK | uapi::GRND_RANDOM | uapi::GRND_INSECURE) != 0 {
        return Err(EINVAL);
    }
    let len = len.min(1 << 20) as usize;
    crate::mm::uaccess::access_user(buf, len, crate::mm::vm::Access::Write, |chunk, _| {
        for b in chunk.chunks_mut(8) {
            let r = random_u64().to_le_bytes();
            b.copy_from_slice(&r[..b.len()]);
        }
        true
    })?;
    Ok(len as i64)
}

fn sys_clock_gettime(clock: u32, tp: u64) -> SysResult {
    // All clocks count from boot: there is no real-time clock on a Pi.
    if clock > 11 {
        return Err(EINVAL);
    }
    let ns = time::uptime_ns();
    let ts = uapi::Timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as i64,
    };
    copy_to_user(tp, &ts.to_bytes())?;
    Ok(0)
}

fn sys_clock_getres(tp: u64) -> SysResult {
    if tp != 0 {
        let ns = (1_000_000_000 / time::counter_frequency()).max(1);
        copy_to_user(
            tp,
            &uapi::Timespec {
                tv_sec: 0,
                tv_nsec: ns as i64,
            }
            .to_bytes(),
        )?;
    }
    Ok(0)
}

/// `clock_nanosleep`/`nanosleep`: an interruptible sleep; a signal ends it
/// early with `-EINTR` and the time left.
fn sys_clock_nanosleep(clock: u32, flags: u32, req: u64, rem: u64) -> SysResult {
    if clock > 11 {
        return Err(EINVAL);
    }
    let mut b = [0u8; 16];
    copy_from_user(&mut b, req)?;
    let ts = uapi::Timespec::from_bytes(&b);
    if !ts.is_valid() {
        return Err(EINVAL);
    }
    let ns = (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64);
    let now = time::uptime_ns();
    let end = if flags & 1 != 0 {
        ns
    } else {
        now.saturating_add(ns)
    };
    loop {
        let now = time::uptime_ns();
        if now >= end {
            return Ok(0);
        }
        if signal::signal_pending() {
            if rem != 0 && flags & 1 == 0 {
                let left = end - now;
                let t = uapi::Timespec {
                    tv_sec: (left / 1_000_000_000) as i64,
                    tv_nsec: (left % 1_000_000_000) as i64,
                };
                copy_to_user(rem, &t.to_bytes())?;
            }
            return Err(EINTR);
        }
        task::set_current_state(task::TASK_INTERRUPTIBLE);
        if signal::signal_pending() {
            task::set_current_state(task::TASK_RUNNING);
            continue;
        }
        crate::sched::wait::schedule_timeout(end - now);
    }
}

fn sys_sched_setaffinity(pid: Pid, len: u64, mask: u64) -> SysResult {
    if len < 4 {
        return Err(EINVAL);
    }
    let mut b = [0u8; 4];
    copy_from_user(&mut b, mask)?;
    let t = task_by_pid(pid)?;
    crate::sched::sched_setaffinity(&t, u32::from_le_bytes(b) & 0xf)?;
    Ok(0)
}

fn sys_sched_getaffinity(pid: Pid, len: u64, mask: u64) -> SysResult {
    if len < 8 || !len.is_multiple_of(8) {
        return Err(EINVAL);
    }
    let t = task_by_pid(pid)?;
    let m = t.cpus_allowed.load(Ordering::Relaxed) as u64;
    copy_to_user(mask, &m.to_le_bytes())?;
    Ok(8)
}

fn sys_setpriority(which: u32, who: Pid, nice: i64) -> SysResult {
    if which != 0 {
        return Err(EINVAL);
    }
    let t = task_by_pid(who)?;
    crate::sched::set_user_nice(&t, nice.clamp(-20, 19) as i32);
    Ok(0)
}

fn sys_getpriority(which: u32, who: Pid) -> SysResult {
    if which != 0 {
        return Err(EINVAL);
    }
    // Linux returns 20 - nice so the value is never negative.
    Ok((20 - task_by_pid(who)?.nice()) as i64)
}

/// `reboot`: power off, halt or restart the machine. Under QEMU (with
/// semihosting) power off and halt end it and the 4th argument's low byte
/// becomes QEMU's exit status (Linux ignores it); on a board power off and
/// restart go through the watchdog (see `power`).
fn sys_reboot(magic1: u32, magic2: u32, cmd: u32, arg: u64) -> SysResult {
    if !uapi::reboot_magic_ok(magic1, magic2) {
        return Err(EINVAL);
    }
    if task::current().pid != 1 {
        return Err(EPERM);
    }
    match cmd {
        uapi::LINUX_REBOOT_CMD_POWER_OFF => {
            println!("reboot: Power down");
            crate::power::power_off((arg & 0xff) as u32)
        }
        uapi::LINUX_REBOOT_CMD_HALT => {
            println!("reboot: System halted");
            crate::power::exit((arg & 0xff) as u32)
        }
        uapi::LINUX_REBOOT_CMD_RESTART => {
            println!("reboot: Restarting system");
            crate::power::restart()
        }
        _ => Err(EINVAL),
    }
}
