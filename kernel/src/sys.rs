//! `kernel/sys.c`: the small process-wide calls: ids, `uname` and the
//! host and domain names, `getrusage`, `prlimit64` and `getrlimit`/
//! `setrlimit`, priorities, `getcpu`, process groups and sessions,
//! `sysinfo`, `times`, `getgroups`, `personality` (`kernel/exec_domain.c`)
//! and `capget`/`capset` (`kernel/capability.c`).

use crate::errno::*;
use crate::exit;
use crate::mm::uaccess::{copy_from_user, copy_to_user, put_user_u32};
use crate::pid::find_process_by_pid;
use crate::sync::IrqSpinLock;
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

/// The names `sethostname` and `setdomainname` change (the UTS
/// namespace's `nodename` and `domainname`; one namespace here), each
/// NUL-padded to `__NEW_UTS_LEN + 1` bytes.
pub struct UtsNames {
    nodename: [u8; uapi::NEW_UTS_LEN + 1],
    domainname: [u8; uapi::NEW_UTS_LEN + 1],
}

const fn uts_field(s: &[u8]) -> [u8; uapi::NEW_UTS_LEN + 1] {
    let mut f = [0u8; uapi::NEW_UTS_LEN + 1];
    let mut i = 0;
    while i < s.len() {
        f[i] = s[i];
        i += 1;
    }
    f
}

/// Linux's `uts_sem`.
static UTS: IrqSpinLock<UtsNames> = IrqSpinLock::named(
    &"uts_sem",
    UtsNames {
        nodename: uts_field(b"pikern"),
        domainname: uts_field(b"(none)"),
    },
);

fn uts_str(f: &[u8]) -> String {
    let n = f.iter().position(|&b| b == 0).unwrap_or(f.len());
    String::from_utf8_lossy(&f[..n]).into_owned()
}

/// The host name (`utsname()->nodename`), for `uname` and
/// `/proc/sys/kernel/hostname`.
pub fn hostname() -> String {
    let u = UTS.lock();
    let s = uts_str(&u.nodename);
    drop(u);
    s
}

/// The NIS domain name (`utsname()->domainname`).
pub fn domainname() -> String {
    let u = UTS.lock();
    let s = uts_str(&u.domainname);
    drop(u);
    s
}

/// `uname`: the system's name, as `struct new_utsname`.
pub fn sys_newuname(buf: u64) -> SysResult {
    let (node, domain) = (hostname(), domainname());
    let u = uapi::Utsname::new(
        "pikern",
        &node,
        env!("CARGO_PKG_VERSION"),
        "#1 SMP",
        "aarch64",
        &domain,
    );
    copy_to_user(buf, &u.to_bytes())?;
    Ok(0)
}

/// What `sethostname` and `setdomainname` share: `EINVAL` for a length
/// below 0 or above 64, `EFAULT` for bad memory (nothing changes then);
/// the name is stored NUL-padded, as given (NULs and all).
fn set_uts_name(name: u64, len: i32, domain: bool) -> SysResult {
    let len = usize::try_from(len).map_err(|_| EINVAL)?;
    if len > uapi::NEW_UTS_LEN {
        return Err(EINVAL);
    }
    let mut tmp = [0u8; uapi::NEW_UTS_LEN + 1];
    copy_from_user(&mut tmp[..len], name)?;
    let mut u = UTS.lock();
    if domain {
        u.domainname = tmp;
    } else {
        u.nodename = tmp;
    }
    drop(u);
    Ok(0)
}

/// A write to `/proc/sys/kernel/hostname` or `domainname`
/// (`proc_do_uts_string`): the text as the new name, `EINVAL` if longer
/// than 64 bytes.
pub fn set_uts_str(v: &str, domain: bool) -> Result<(), Errno> {
    if v.len() > uapi::NEW_UTS_LEN {
        return Err(EINVAL);
    }
    let f = uts_field(v.as_bytes());
    let mut u = UTS.lock();
    if domain {
        u.domainname = f;
    } else {
        u.nodename = f;
    }
    drop(u);
    Ok(())
}

/// `sethostname(name, len)`.
pub fn sys_sethostname(name: u64, len: i32) -> SysResult {
    set_uts_name(name, len, false)
}

/// `setdomainname(name, len)`.
pub fn sys_setdomainname(name: u64, len: i32) -> SysResult {
    set_uts_name(name, len, true)
}

/// `getrlimit(resource, rlim)`: `prlimit64` on the caller, reading.
pub fn sys_getrlimit(resource: u32, rlim: u64) -> SysResult {
    sys_prlimit64(0, resource, 0, rlim)
}

/// `setrlimit(resource, rlim)`: `prlimit64` on the caller, setting.
pub fn sys_setrlimit(resource: u32, rlim: u64) -> SysResult {
    // Linux reads the new limit before looking at the resource.
    if rlim == 0 {
        return Err(EFAULT);
    }
    sys_prlimit64(0, resource, rlim, 0)
}

/// `personality(persona)`: returns the old personality and sets the new
/// one unless `persona` is the query `0xffffffff`. Only the Linux
/// execution domain exists here (as on arm64 Linux, whose other domains
/// are its 32-bit ones): any persona is stored, and of its flags
/// `ADDR_NO_RANDOMIZE` takes effect (no ASLR at the next `execve`).
pub fn sys_personality(persona: u32) -> SysResult {
    let me = task::current();
    let old = me.personality.load(Ordering::Relaxed);
    if persona != uapi::PER_QUERY {
        me.personality.store(persona, Ordering::Relaxed);
    }
    Ok(i64::from(old))
}

/// Reads the `capget`/`capset` header: its version, checked (`EINVAL`,
/// with version 3 written back, for an unknown one: `cap_validate_magic`),
/// and its pid; returns the number of 32-bit set words (1 or 2).
fn cap_validate_magic(header: u64) -> Result<(usize, i32), Errno> {
    let mut h = [0u8; 8];
    copy_from_user(&mut h, header)?;
    let version = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let pid = i32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    let words = match version {
        uapi::LINUX_CAPABILITY_VERSION_1 => 1,
        uapi::LINUX_CAPABILITY_VERSION_2 | uapi::LINUX_CAPABILITY_VERSION_3 => 2,
        _ => {
            put_user_u32(header, uapi::LINUX_CAPABILITY_VERSION_3)?;
            return Err(EINVAL);
        }
    };
    Ok((words, pid))
}

/// `capget(header, data)`: every task runs as root with root's full
/// sets: effective and permitted `CAP_FULL_SET`, inheritable empty (as
/// Linux's init has them). `data` NULL asks only for the version check
/// (libcap's probe).
pub fn sys_capget(header: u64, data: u64) -> SysResult {
    let (words, pid) = match cap_validate_magic(header) {
        Ok(v) => v,
        // The version probe: the right version written back, no error.
        Err(EINVAL) if data == 0 => return Ok(0),
        Err(e) => return Err(e),
    };
    if pid < 0 {
        return Err(EINVAL);
    }
    if pid != 0 {
        find_process_by_pid(pid)?;
    }
    if data == 0 {
        return Ok(0);
    }
    // struct __user_cap_data_struct { effective, permitted, inheritable }.
    let full = uapi::cap_full_set();
    let mut b = [0u8; 24];
    for (i, w) in full.iter().take(words).enumerate() {
        b[12 * i..12 * i + 4].copy_from_slice(&w.to_le_bytes());
        b[12 * i + 4..12 * i + 8].copy_from_slice(&w.to_le_bytes());
    }
    copy_to_user(data, &b[..12 * words])?;
    Ok(0)
}

/// `capset(header, data)`: the sets cannot change here (no credentials
/// but root's exist, and dropping a capability would have to make a later
/// privileged call fail), so anything but the caller's current sets is
/// `EPERM`; setting them to what they are succeeds, as on Linux. Another
/// process than the caller is `EPERM` as in Linux since 2.6.25.
pub fn sys_capset(header: u64, data: u64) -> SysResult {
    let (words, pid) = cap_validate_magic(header)?;
    let me = task::current();
    if pid != 0 && pid != me.tgid && pid != me.pid() {
        return Err(EPERM);
    }
    let mut b = [0u8; 24];
    copy_from_user(&mut b[..12 * words], data)?;
    let full = uapi::cap_full_set();
    let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    for (i, &w) in full.iter().take(words).enumerate() {
        let (eff, perm, inh) = (word(12 * i), word(12 * i + 4), word(12 * i + 8));
        if eff != w || perm != w || inh != 0 {
            return Err(EPERM);
        }
    }
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
