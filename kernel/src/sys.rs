//! `kernel/sys.c`: the small process-wide calls: ids, `uname`,
//! `getrusage`, `prlimit64`, priorities, `getcpu`, process groups and
//! sessions, `sysinfo`, `times` and `getgroups`.

use crate::errno::*;
use crate::exit;
use crate::mm::uaccess::{copy_from_user, copy_to_user, put_user_u32};
use crate::pid::find_process_by_pid;
use crate::task::{self, Pid};
use alloc::string::String;
use core::sync::atomic::Ordering;
use libkernel::uapi;

/// `getpid`: the thread-group id.
pub fn sys_getpid() -> SysResult {
    Ok(task::with_current(|t| t.tgid) as i64)
}

/// `gettid`: the caller's own id.
pub fn sys_gettid() -> SysResult {
    Ok(task::current_pid() as i64)
}

/// `getppid`: the parent's id (1 once reparented to init).
pub fn sys_getppid() -> SysResult {
    Ok(task::with_current(|t| t.ppid()) as i64)
}

/// `getuid`: everything runs as root.
pub fn sys_getuid() -> SysResult {
    Ok(0)
}

/// `geteuid`: everything runs as root.
pub fn sys_geteuid() -> SysResult {
    Ok(0)
}

/// `getgid`: everything runs as root.
pub fn sys_getgid() -> SysResult {
    Ok(0)
}

/// `getegid`: everything runs as root.
pub fn sys_getegid() -> SysResult {
    Ok(0)
}

/// `getcpu(cpu, node, unused)`: the CPU the caller runs on (it may have
/// moved by the time it reads it, as on Linux) and NUMA node 0.
pub fn sys_getcpu(cpup: u64, nodep: u64, _unused: u64) -> SysResult {
    if cpup != 0 {
        put_user_u32(cpup, crate::percpu::smp_processor_id() as u32)?;
    }
    if nodep != 0 {
        put_user_u32(nodep, 0)?;
    }
    Ok(0)
}

/// `getrusage(who, usage)`: CPU time and context switches of the caller
/// (`RUSAGE_SELF`, `RUSAGE_THREAD`: one thread per process) or of its
/// reaped children (`RUSAGE_CHILDREN`).
pub fn sys_getrusage(who: i64, usage: u64) -> SysResult {
    let me = task::current();
    let u = match who {
        w if w == uapi::RUSAGE_SELF as i64 => exit::thread_group_usage_adjusted(&me),
        w if w == uapi::RUSAGE_THREAD as i64 => exit::task_usage_adjusted(&me),
        w if w == uapi::RUSAGE_CHILDREN as i64 => exit::children_usage(&me),
        _ => return Err(EINVAL),
    };
    copy_to_user(usage, &exit::rusage_bytes(u))?;
    Ok(0)
}

/// `uname`: the system's name, as `struct new_utsname`.
pub fn sys_newuname(buf: u64) -> SysResult {
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

/// `prlimit64(pid, resource, new, old)`: reads and sets a resource limit.
pub fn sys_prlimit64(pid: Pid, resource: u32, new: u64, old: u64) -> SysResult {
    let t = find_process_by_pid(pid)?;
    if resource >= uapi::RLIM_NLIMITS {
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

/// `setpriority(which, who, nice)`: only `PRIO_PROCESS`; the nice value
/// is clamped to -20..=19 as Linux does.
pub fn sys_setpriority(which: u32, who: Pid, nice: i64) -> SysResult {
    if which != uapi::PRIO_PROCESS {
        return Err(EINVAL);
    }
    let t = find_process_by_pid(who)?;
    crate::sched::set_user_nice(&t, nice.clamp(-20, 19) as i32);
    Ok(0)
}

pub fn sys_getpriority(which: u32, who: Pid) -> SysResult {
    if which != uapi::PRIO_PROCESS {
        return Err(EINVAL);
    }
    // Linux returns 20 - nice so the value is never negative.
    Ok((20 - find_process_by_pid(who)?.nice()) as i64)
}

/// `setpgid(pid, pgid)`: moves process `pid` (0: the caller) into group
/// `pgid` (0: a new group named by `pid`), with Linux's rules: only the
/// caller or a child of its that has not exec'd, in the caller's session;
/// never a session leader; the group must exist in that session unless
/// it is a new one.
pub fn sys_setpgid(pid: Pid, pgid: Pid) -> SysResult {
    let me = task::current();
    let pid = if pid == 0 { me.tgid } else { pid };
    let pgid = if pgid == 0 { pid } else { pgid };
    if pgid < 0 {
        return Err(EINVAL);
    }
    let mut tl = crate::pid::TASKLIST.lock();
    let p = tl.find(pid).ok_or(ESRCH)?;
    if p.pid() != p.tgid {
        return Err(EINVAL);
    }
    let my_session = me.session.load(Ordering::Relaxed);
    // The caller's process is any of its threads' (`same_thread_group`).
    if p.real_parent_pid.load(Ordering::Relaxed) == me.tgid && p.tgid != me.tgid {
        if p.session.load(Ordering::Relaxed) != my_session {
            return Err(EPERM);
        }
        if p.flags() & task::PF_FORKNOEXEC == 0 {
            return Err(EACCES);
        }
    } else if p.tgid != me.tgid {
        return Err(ESRCH);
    }
    if is_session_leader(&p) {
        return Err(EPERM);
    }
    if pgid != pid
        && !tl
            .each_in_pgrp(pgid)
            .any(|t| t.session.load(Ordering::Relaxed) == my_session)
    {
        return Err(EPERM);
    }
    if p.pgrp.load(Ordering::Relaxed) != pgid {
        let session = p.session.load(Ordering::Relaxed);
        tl.set_process_groups(&p, pgid, session);
    }
    Ok(0)
}

/// Whether `p`'s process leads its session (`signal->leader`: it called
/// `setsid`).
pub fn is_session_leader(p: &task::Task) -> bool {
    p.session.load(Ordering::Relaxed) == p.tgid
}

/// `getpgid(pid)`: the process group of `pid` (0: the caller).
pub fn sys_getpgid(pid: Pid) -> SysResult {
    Ok(i64::from(
        find_process_by_pid(pid)?.pgrp.load(Ordering::Relaxed),
    ))
}

/// `getsid(pid)`: the session of `pid` (0: the caller).
pub fn sys_getsid(pid: Pid) -> SysResult {
    Ok(i64::from(
        find_process_by_pid(pid)?.session.load(Ordering::Relaxed),
    ))
}

/// `setsid()`: the caller leads a new session and a new process group,
/// both named by its pid, with no controlling terminal. `EPERM` if a
/// process group already has its pid (it leads one).
pub fn sys_setsid() -> SysResult {
    let me = task::current();
    let mut tl = crate::pid::TASKLIST.lock();
    if tl.pgrp_members(me.tgid) > 0 {
        return Err(EPERM);
    }
    tl.set_process_groups(&me, me.tgid, me.tgid);
    Ok(i64::from(me.tgid))
}

/// `prctl(option, arg2, arg3, arg4, arg5)`: the process's name
/// (`PR_SET_NAME`/`PR_GET_NAME`), the signal for its parent's death,
/// whether it reaps orphaned descendants (`PR_SET_CHILD_SUBREAPER`),
/// dumpability and `no_new_privs`. Others are `EINVAL`, as Linux answers
/// an unknown option.
pub fn sys_prctl(option: i32, arg2: u64, _arg3: u64, _arg4: u64, _arg5: u64) -> SysResult {
    let me = task::current();
    match option as u32 {
        uapi::PR_SET_NAME => {
            // Up to 15 bytes, the rest cut off (TASK_COMM_LEN - 1).
            let mut b = match crate::mm::uaccess::strncpy_from_user(arg2, 15) {
                Ok(v) => v,
                Err(ENAMETOOLONG) => {
                    let mut v = alloc::vec![0u8; 15];
                    copy_from_user(&mut v, arg2)?;
                    v
                }
                Err(e) => return Err(e),
            };
            b.truncate(15);
            me.set_comm(&String::from_utf8_lossy(&b));
            Ok(0)
        }
        uapi::PR_GET_NAME => {
            // The 16-byte, NUL-padded name as stored.
            copy_to_user(arg2, &me.comm().0)?;
            Ok(0)
        }
        uapi::PR_SET_PDEATHSIG => {
            let sig = i32::try_from(arg2).map_err(|_| EINVAL)?;
            if !(0..=uapi::NSIG as i32).contains(&sig) {
                return Err(EINVAL);
            }
            me.pdeath_signal.store(sig, Ordering::Relaxed);
            Ok(0)
        }
        uapi::PR_GET_PDEATHSIG => {
            put_user_u32(arg2, me.pdeath_signal.load(Ordering::Relaxed) as u32)?;
            Ok(0)
        }
        uapi::PR_GET_DUMPABLE => Ok(1),
        uapi::PR_SET_DUMPABLE if arg2 <= 1 => Ok(0),
        uapi::PR_SET_CHILD_SUBREAPER => {
            me.child_subreaper.store(arg2 != 0, Ordering::Relaxed);
            Ok(0)
        }
        uapi::PR_GET_CHILD_SUBREAPER => {
            put_user_u32(arg2, u32::from(me.child_subreaper.load(Ordering::Relaxed)))?;
            Ok(0)
        }
        uapi::PR_SET_NO_NEW_PRIVS if arg2 == 1 => {
            me.no_new_privs.store(true, Ordering::Relaxed);
            Ok(0)
        }
        uapi::PR_GET_NO_NEW_PRIVS => Ok(i64::from(me.no_new_privs.load(Ordering::Relaxed))),
        _ => Err(EINVAL),
    }
}

/// `sysinfo(info)`: uptime, load averages, memory (in bytes: `mem_unit`
/// 1, as Linux gives when the totals fit) and the number of tasks.
pub fn sys_sysinfo(info: u64) -> SysResult {
    let ns = crate::time::uptime_ns();
    let shift = uapi::SI_LOAD_SHIFT - libkernel::sched::loadavg::FSHIFT;
    let page = crate::mm::PAGE_SIZE as u64;
    let si = uapi::Sysinfo {
        // Whole seconds, rounded up as Linux's `do_sysinfo` does.
        uptime: ns.div_ceil(1_000_000_000) as i64,
        loads: crate::sched::loadavg::get_avenrun().map(|l| l << shift),
        totalram: crate::mm::ram_info().total_bytes,
        freeram: crate::mm::page_alloc::nr_free_pages() as u64 * page,
        procs: crate::pid::all_tasks().len().min(u16::MAX as usize) as u16,
        mem_unit: 1,
        ..Default::default()
    };
    copy_to_user(info, &si.to_bytes())?;
    Ok(0)
}

/// Nanoseconds as clock ticks (`USER_HZ`).
fn clock_t(ns: u64) -> i64 {
    (ns / (1_000_000_000 / uapi::USER_HZ)) as i64
}

/// `times(buf)`: the caller's process's and its reaped children's user
/// and system time in clock ticks; returns the ticks since boot.
pub fn sys_times(tbuf: u64) -> SysResult {
    if tbuf != 0 {
        let me = task::current();
        let (utime, stime) = exit::usage_cputime(&exit::thread_group_usage_adjusted(&me));
        let (cutime, cstime) = exit::usage_cputime(&exit::children_usage(&me));
        let t = uapi::Tms {
            tms_utime: clock_t(utime),
            tms_stime: clock_t(stime),
            tms_cutime: clock_t(cutime),
            tms_cstime: clock_t(cstime),
        };
        copy_to_user(tbuf, &t.to_bytes())?;
    }
    Ok(clock_t(crate::time::uptime_ns()))
}

/// `getgroups(size, list)`: no supplementary groups (everything runs
/// as root with none); `EINVAL` for a negative size.
pub fn sys_getgroups(size: i32, _list: u64) -> SysResult {
    if size < 0 {
        return Err(EINVAL);
    }
    Ok(0)
}
