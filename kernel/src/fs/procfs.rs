//! `/proc` (Linux's `fs/proc/`): a computed directory with one directory
//! per task holding `stat`, `status`, `maps`, `smaps` and `smaps_rollup` in Linux's formats, plus
//! `meminfo`, `uptime`, `cpuinfo`, `partitions`, `cmdline`, the `self` link, the fault-injection
//! knobs (`fail_alloc`, `PID/make-it-fail`) and, when booted with `bench`,
//! `bench` (the in-kernel micro-benchmarks). `ps` reads these,
//! as Linux's does.

use super::{DirOps, FileOps, Inode, InodeKind};
use crate::arch::exception::PtRegs;
use crate::errno::*;
use crate::pid::find_task_by_pid;
use crate::task::{self, Pid, Task};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::Ordering;
use libkernel::uapi;

/// A read-only file whose whole content is generated at read time.
struct GenFile(fn(Option<&Arc<Task>>) -> String, Option<Pid>);

impl FileOps for GenFile {
    fn read(&self, _inode: &Inode, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let task = match self.1 {
            Some(pid) => Some(find_task_by_pid(pid).ok_or(ESRCH)?),
            None => None,
        };
        let text = (self.0)(task.as_ref());
        let b = text.as_bytes();
        let start = (off as usize).min(b.len());
        let n = buf.len().min(b.len() - start);
        buf[..n].copy_from_slice(&b[start..start + n]);
        Ok(n)
    }

    fn write(&self, _: &Inode, _: u64, _: &[u8]) -> Result<usize, Errno> {
        Err(EACCES)
    }
}

fn gen(f: fn(Option<&Arc<Task>>) -> String, pid: Option<Pid>) -> Arc<Inode> {
    Inode::new(
        uapi::S_IFREG | 0o444,
        InodeKind::Special(Arc::new(GenFile(f, pid))),
    )
}

/// A read-write text knob: generated on read, parsed on write (the whole
/// write is one value; a trailing newline is ignored).
struct Knob {
    show: fn(Option<&Arc<Task>>) -> String,
    store: fn(Option<&Arc<Task>>, &str) -> Result<(), Errno>,
    pid: Option<Pid>,
}

impl Knob {
    fn task(&self) -> Result<Option<Arc<Task>>, Errno> {
        match self.pid {
            Some(pid) => Ok(Some(find_task_by_pid(pid).ok_or(ESRCH)?)),
            None => Ok(None),
        }
    }
}

impl FileOps for Knob {
    fn read(&self, inode: &Inode, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        GenFile(self.show, self.pid).read(inode, off, buf)
    }

    fn write(&self, _: &Inode, _: u64, buf: &[u8]) -> Result<usize, Errno> {
        let text = core::str::from_utf8(buf).map_err(|_| EINVAL)?;
        (self.store)(self.task()?.as_ref(), text.trim_end_matches('\n'))?;
        Ok(buf.len())
    }
}

fn knob(
    show: fn(Option<&Arc<Task>>) -> String,
    store: fn(Option<&Arc<Task>>, &str) -> Result<(), Errno>,
    pid: Option<Pid>,
) -> Arc<Inode> {
    Inode::new(
        uapi::S_IFREG | 0o644,
        InodeKind::Special(Arc::new(Knob { show, store, pid })),
    )
}

/// `/proc/fail_alloc`: fault injection's attributes and counters.
fn fail_alloc_show(_: Option<&Arc<Task>>) -> String {
    crate::fault_inject::status()
}

fn fail_alloc_store(_: Option<&Arc<Task>>, v: &str) -> Result<(), Errno> {
    crate::fault_inject::set(v).map_err(|_| EINVAL)
}

/// `/proc/PID/make-it-fail`: 1 marks the task for `task-filter` injection.
fn make_it_fail_show(t: Option<&Arc<Task>>) -> String {
    let on = t.is_some_and(|t| t.make_it_fail.load(Ordering::Relaxed));
    format!("{}\n", on as u8)
}

fn make_it_fail_store(t: Option<&Arc<Task>>, v: &str) -> Result<(), Errno> {
    let on = match v.trim() {
        "0" => false,
        "1" => true,
        _ => return Err(EINVAL),
    };
    t.ok_or(ESRCH)?.make_it_fail.store(on, Ordering::Relaxed);
    Ok(())
}

/// `/proc/sysrq-trigger`: each letter runs a magic SysRq command (see
/// `sysrq`); `z` dumps the trace buffer on the console, as Linux's sysrq-z
/// does (what init uses before powering off).
struct SysRq;

impl FileOps for SysRq {
    fn read(&self, _: &Inode, _: u64, _: &mut [u8]) -> Result<usize, Errno> {
        Err(EACCES)
    }

    fn write(&self, _: &Inode, _: u64, buf: &[u8]) -> Result<usize, Errno> {
        for &c in buf {
            match c {
                b'\n' | b' ' => {}
                c if crate::sysrq::handle_sysrq(c) => {}
                _ => return Err(EINVAL),
            }
        }
        Ok(buf.len())
    }
}

/// `/proc/sys` and `/proc/sys/kernel` (Linux's `kernel/sysctl.c`
/// tables, the UTS names so far: `hostname`, `domainname`).
struct ProcSys {
    kernel: bool,
}

fn proc_sys_dir(kernel: bool) -> Arc<Inode> {
    Inode::new(
        uapi::S_IFDIR | 0o555,
        InodeKind::PseudoDir(Arc::new(ProcSys { kernel })),
    )
}

impl DirOps for ProcSys {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        match (self.kernel, name) {
            (false, "kernel") => Some(proc_sys_dir(true)),
            (true, "hostname") => Some(knob(
                |_| format!("{}\n", crate::sys::hostname()),
                |_, v| crate::sys::set_uts_str(v, false),
                None,
            )),
            (true, "domainname") => Some(knob(
                |_| format!("{}\n", crate::sys::domainname()),
                |_, v| crate::sys::set_uts_str(v, true),
                None,
            )),
            _ => None,
        }
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        let names: &[(&str, u8)] = if self.kernel {
            &[("domainname", uapi::DT_REG), ("hostname", uapi::DT_REG)]
        } else {
            &[("kernel", uapi::DT_DIR)]
        };
        names
            .iter()
            .map(|&(n, t)| (String::from(n), 0, t))
            .collect()
    }
}

/// The `/proc` root.
pub struct ProcRoot;

/// One process's directory (`/proc/PID`), or, inside its `task`
/// directory, one thread's (`/proc/PID/task/TID`, without `task`).
struct PidDir {
    pid: Pid,
    thread: bool,
}

/// `/proc/PID/task`: a directory per thread of the process.
struct TaskDir(Pid);

fn pid_dir(pid: Pid, thread: bool) -> Arc<Inode> {
    Inode::new(
        uapi::S_IFDIR | 0o555,
        InodeKind::PseudoDir(Arc::new(PidDir { pid, thread })),
    )
}

impl DirOps for ProcRoot {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        match name {
            "meminfo" => Some(gen(meminfo, None)),
            "slabinfo" => Some(gen(slabinfo, None)),
            "fail_alloc" => Some(knob(fail_alloc_show, fail_alloc_store, None)),
            "sysrq-trigger" => Some(Inode::new(
                uapi::S_IFREG | 0o200,
                InodeKind::Special(Arc::new(SysRq)),
            )),
            "uptime" => Some(gen(uptime, None)),
            "loadavg" => Some(gen(loadavg, None)),
            "stat" => Some(gen(proc_stat, None)),
            "mounts" => Some(Inode::new(
                uapi::S_IFLNK | 0o777,
                InodeKind::Symlink(String::from("self/mounts")),
            )),
            "cpuinfo" => Some(gen(cpuinfo, None)),
            "partitions" => Some(gen(|_| crate::block::proc_partitions(), None)),
            "cmdline" => Some(gen(
                |_| format!("{}\n", crate::cmdline::get().as_str()),
                None,
            )),
            "lockdep" => Some(gen(|_| crate::lockdep::proc_show(), None)),
            "sys" => Some(proc_sys_dir(false)),
            "bench" if crate::bench::enabled() => Some(gen(|_| crate::bench::report(), None)),
            "self" => Some(Inode::new(
                uapi::S_IFLNK | 0o777,
                InodeKind::Symlink(format!("/proc/{}", task::current().tgid)),
            )),
            _ => {
                // A thread's id works too, though only processes are
                // listed (Linux's hidden `/proc/TID`).
                let pid: Pid = name.parse().ok()?;
                find_task_by_pid(pid)?;
                Some(pid_dir(pid, false))
            }
        }
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        let mut v: Vec<(String, u64, u8)> = [
            "meminfo",
            "slabinfo",
            "uptime",
            "loadavg",
            "stat",
            "cpuinfo",
            "partitions",
            "cmdline",
            "fail_alloc",
            "lockdep",
        ]
        .iter()
        .map(|n| (String::from(*n), 0, uapi::DT_REG))
        .collect();
        v.push((String::from("mounts"), 0, uapi::DT_LNK));
        if crate::bench::enabled() {
            v.push((String::from("bench"), 0, uapi::DT_REG));
        }
        v.push((String::from("self"), 0, uapi::DT_LNK));
        v.push((String::from("sys"), 0, uapi::DT_DIR));
        v.push((String::from("sysrq-trigger"), 0, uapi::DT_REG));
        // Processes only: threads are under their process's `task`.
        for t in crate::pid::all_tasks() {
            if crate::signal::thread_group_leader(&t) {
                v.push((
                    format!("{}", t.pid()),
                    0x1000 + t.pid() as u64,
                    uapi::DT_DIR,
                ));
            }
        }
        v
    }
}

impl DirOps for PidDir {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        let pid = self.pid;
        find_task_by_pid(pid)?;
        match name {
            "stat" => Some(gen(stat, Some(pid))),
            "status" => Some(gen(status, Some(pid))),
            "cmdline" => Some(gen(cmdline, Some(pid))),
            "mounts" => Some(gen(|_| super::namespace::proc_mounts(), Some(pid))),
            "maps" => Some(gen(maps, Some(pid))),
            "smaps" => Some(gen(smaps, Some(pid))),
            "smaps_rollup" => Some(gen(smaps_rollup, Some(pid))),
            // The program the process runs (`proc_exe_link`): busybox
            // runs its applets again through it.
            "exe" => {
                let t = find_task_by_pid(pid)?;
                let path = t.mm.lock().as_ref()?.inner.lock().exe_path.clone();
                (!path.is_empty())
                    .then(|| Inode::new(uapi::S_IFLNK | 0o777, InodeKind::Symlink(path)))
            }
            "make-it-fail" => Some(knob(make_it_fail_show, make_it_fail_store, Some(pid))),
            // Writable, as glibc's `pthread_setname_np` names another
            // thread through it.
            "comm" => Some(knob(comm_show, comm_store, Some(pid))),
            "fd" => Some(Inode::new(
                uapi::S_IFDIR | 0o500,
                InodeKind::PseudoDir(Arc::new(super::proc_fd::FdDir(pid))),
            )),
            "task" if !self.thread => Some(Inode::new(
                uapi::S_IFDIR | 0o555,
                InodeKind::PseudoDir(Arc::new(TaskDir(pid))),
            )),
            _ => None,
        }
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        let mut v: Vec<(String, u64, u8)> = [
            "stat",
            "status",
            "cmdline",
            "comm",
            "mounts",
            "maps",
            "smaps",
            "smaps_rollup",
            "make-it-fail",
        ]
        .iter()
        .map(|n| (String::from(*n), 0, uapi::DT_REG))
        .chain(core::iter::once((String::from("exe"), 0, uapi::DT_LNK)))
        .chain(core::iter::once((String::from("fd"), 0, uapi::DT_DIR)))
        .collect();
        if !self.thread {
            v.push((String::from("task"), 0, uapi::DT_DIR));
        }
        v
    }
}

impl DirOps for TaskDir {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        let tid: Pid = name.parse().ok()?;
        let t = find_task_by_pid(tid)?;
        (t.tgid == self.0).then(|| pid_dir(tid, true))
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        let Some(p) = find_task_by_pid(self.0) else {
            return Vec::new();
        };
        let mut v = Vec::new();
        p.signal.for_each_thread(|t| {
            v.push((
                format!("{}", t.pid()),
                0x1000 + t.pid() as u64,
                uapi::DT_DIR,
            ));
        });
        v
    }
}

/// `/proc/PID/comm`: the task's name.
fn comm_show(t: Option<&Arc<Task>>) -> String {
    format!("{}\n", t.map(|t| t.comm()).unwrap_or(task::Comm([0; 16])))
}

/// Renames the task (`comm_write`), cut to 15 bytes.
fn comm_store(t: Option<&Arc<Task>>, v: &str) -> Result<(), Errno> {
    let t = t.ok_or(ESRCH)?;
    let mut n = v.len().min(15);
    while !v.is_char_boundary(n) {
        n -= 1;
    }
    t.set_comm(&v[..n]);
    Ok(())
}

fn ticks(ns: u64) -> u64 {
    ns / (1_000_000_000 / 100) // USER_HZ = 100
}

/// `/proc/<pid>/stat`: Linux's 52 space-separated fields.
fn stat(t: Option<&Arc<Task>>) -> String {
    let Some(t) = t else { return String::new() };
    let (utime, stime) = crate::exit::usage_cputime(&crate::exit::task_usage_adjusted(t));
    let rss = t.mm.lock().as_ref().map_or(0, |m| m.rss());
    let vsize = t.mm.lock().as_ref().map_or(0, |m| m.inner.lock().mapped);
    let (cutime, cstime) = crate::exit::usage_cputime(&crate::exit::children_usage(t));
    let mut s = format!(
        "{} ({}) {} {} {} {} 0 -1 {} 0 0 0 0 {} {} {} {} {} {} {} 0 0 {} {} ",
        t.pid(),
        t.comm(),
        t.state_char(),
        t.ppid(),
        t.pgrp.load(Ordering::Relaxed),
        t.session.load(Ordering::Relaxed),
        t.flags(),
        ticks(utime),
        ticks(stime),
        ticks(cutime),
        ticks(cstime),
        t.prio.load(Ordering::Relaxed) - 100,
        t.nice(),
        t.signal.nr_threads().max(1),
        vsize,
        rss
    );
    // The user sp and pc saved at the task's last entry to the kernel
    // (kstkesp, kstkeip: what a stuck process was last doing).
    let (sp, pc) = match t.stack.lock().as_ref() {
        Some(stack) if t.is_user() => {
            let regs = stack.top() as usize - core::mem::size_of::<PtRegs>();
            // SAFETY: the stack is held (locked) and mapped; its top holds
            // the registers saved at the task's last entry: plain words,
            // read racily while the task may run elsewhere.
            let r = unsafe { core::ptr::read_volatile(regs as *const PtRegs) };
            (r.sp, r.pc)
        }
        _ => (0, 0),
    };
    // rsslim .. processor (fields 25-39), then rt_priority .. exit_code.
    let _ = writeln!(
        s,
        "{} 0 0 0 {sp} {pc} 0 0 0 0 0 0 0 {} {} 0 0 0 0 0 0 0 0 0 0 0 0 {}",
        u64::MAX,
        t.exit_signal.load(Ordering::Relaxed),
        t.task_cpu(),
        t.exit_code.load(Ordering::Relaxed)
    );
    s
}

fn state_name(c: char) -> &'static str {
    match c {
        'R' => "R (running)",
        'S' => "S (sleeping)",
        'D' => "D (disk sleep)",
        'T' => "T (stopped)",
        't' => "t (tracing stop)",
        'X' => "X (dead)",
        'Z' => "Z (zombie)",
        _ => "? (unknown)",
    }
}

/// `/proc/<pid>/status`: Linux's `Key:\tvalue` lines.
/// `/proc/PID/maps`: one line per area (`show_map_vma`); empty for a
/// task without an address space (a kernel thread).
fn maps(t: Option<&Arc<Task>>) -> String {
    let mut s = String::new();
    let mm = t.and_then(|t| t.mm.lock().clone());
    if let Some(mm) = mm {
        for e in mm.maps() {
            libkernel::mm::maps::show_map(&mut s, &e);
        }
    }
    s
}

/// `/proc/PID/smaps`: each area's `maps` line and page counts
/// (`show_smap`); empty without an address space, as Linux's.
fn smaps(t: Option<&Arc<Task>>) -> String {
    let mut s = String::new();
    let mm = t.and_then(|t| t.mm.lock().clone());
    if let Some(mm) = mm {
        for (e, stats) in mm.smaps() {
            libkernel::mm::maps::show_smap(&mut s, &e, &stats);
        }
    }
    s
}

/// `/proc/PID/smaps_rollup`: the page sums over all areas
/// (`show_smaps_rollup`); empty without an address space, as Linux's.
fn smaps_rollup(t: Option<&Arc<Task>>) -> String {
    let mut s = String::new();
    let mm = t.and_then(|t| t.mm.lock().clone());
    if let Some((start, end, stats)) = mm.and_then(|mm| mm.smaps_rollup()) {
        libkernel::mm::maps::show_smaps_rollup(&mut s, start, end, &stats);
    }
    s
}

fn status(t: Option<&Arc<Task>>) -> String {
    let Some(t) = t else { return String::new() };
    let mm = t.mm.lock().clone();
    let (vm, rss) = mm.map_or((0, 0), |m| {
        // One lock at a time: rss() takes the same lock.
        let mapped = m.inner.lock().mapped;
        (mapped, m.rss() as u64 * 4096)
    });
    format!(
        "Name:\t{}\nUmask:\t{:04o}\nState:\t{}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\n\
         TracerPid:\t{}\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t{}\nThreads:\t{}\n\
         VmSize:\t{} kB\nVmRSS:\t{} kB\nSigPnd:\t{:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{:016x}\n\
         Cpus_allowed:\t{:x}\nCpus_allowed_list:\t{}\nFlags:\t{:#010x}\n\
         voluntary_ctxt_switches:\t{}\nnonvoluntary_ctxt_switches:\t{}\n",
        t.comm(),
        t.umask.load(Ordering::Relaxed),
        state_name(t.state_char()),
        t.tgid,
        t.pid(),
        t.ppid(),
        crate::ptrace::tracer_pid(t),
        t.files.lock().as_ref().map_or(0, |f| f.lock().count()),
        t.signal.nr_threads().max(1),
        vm / 1024,
        rss / 1024,
        t.pending.load(Ordering::Relaxed),
        t.signal.shared_pending.load(Ordering::Relaxed),
        t.blocked.load(Ordering::Relaxed),
        t.cpus_allowed.load(Ordering::Relaxed),
        cpu_list(t.cpus_allowed.load(Ordering::Relaxed)),
        t.flags(),
        t.nvcsw.load(Ordering::Relaxed),
        t.nivcsw.load(Ordering::Relaxed),
    )
}

fn cpu_list(mask: u32) -> String {
    let v: Vec<String> = (0..32)
        .filter(|c| mask & (1 << c) != 0)
        .map(|c| format!("{c}"))
        .collect();
    v.join(",")
}

/// `/proc/slabinfo` (format 2.1, as `slabtop` reads it): the heap's live
/// allocations by power-of-two size, one `kmalloc-N` cache each, largest
/// first. A leak check that sees the heap grow compares it to say what
/// leaked.
fn slabinfo(_: Option<&Arc<Task>>) -> String {
    let live = crate::mm::heap::live_by_size();
    let mut s = String::from(
        "slabinfo - version: 2.1\n# name            <active_objs> <num_objs> <objsize> \
         <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : \
         slabdata <active_slabs> <num_slabs> <sharedavail>\n",
    );
    for (i, &n) in live.iter().enumerate().rev() {
        let size = 1usize << i;
        let per_slab = (crate::mm::PAGE_SIZE / size).max(1);
        let pages = size.div_ceil(crate::mm::PAGE_SIZE).max(1);
        let slabs = n.div_ceil(per_slab);
        s += &format!(
            "{:<17} {n:6} {n:6} {size:6} {per_slab:4} {pages:4} : tunables    0    0    0 : \
             slabdata {slabs:6} {slabs:6}      0\n",
            format!("kmalloc-{size}")
        );
    }
    s
}

/// `/proc/meminfo`: Linux's lines that `free` and `top` read (no swap, no
/// buffers; file pages are tmpfs's, as `Cached` and `Shmem`), then the
/// counters the leak checks compare.
fn meminfo(_: Option<&Arc<Task>>) -> String {
    let c = crate::ps::counters();
    // Every user page is either anonymous or a page-cache page (Linux's
    // NR_ANON_MAPPED and NR_FILE_PAGES, here all shmem).
    let file_kb = crate::mm::filemap::NR_FILE_PAGES.load(Ordering::Relaxed) * 4;
    let user_kb = crate::mm::page_alloc::USER_PAGES.load(Ordering::Relaxed) * 4;
    let anon_kb = user_kb.saturating_sub(file_kb);
    let mut s = String::new();
    for (name, kb) in [
        (
            "MemTotal",
            crate::mm::ram_info().total_bytes as usize / 1024,
        ),
        ("MemFree", c.free_pages * 4),
        ("MemAvailable", c.free_pages * 4),
        ("Buffers", 0),
        ("Cached", file_kb),
        ("SwapCached", 0),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Dirty", 0),
        ("Writeback", 0),
        ("AnonPages", anon_kb),
        ("Mapped", 0),
        ("Shmem", file_kb),
        ("Slab", c.heap_bytes / 1024),
        ("KernelStack", c.stacks * 16),
        (
            "PageTables",
            crate::mm::vm::PT_PAGES.load(Ordering::Relaxed) * 4,
        ),
        ("UserPages", user_kb),
    ] {
        let _ = writeln!(s, "{:<16}{kb:8} kB", alloc::format!("{name}:"));
    }
    let _ = write!(
        s,
        "HeapUsed:       {:8} bytes\nTasks:          {:8}\nOpenFiles:      {:8}\n",
        c.heap_bytes,
        c.tasks,
        super::NR_FILES.load(Ordering::Relaxed),
    );
    s
}

/// `/proc/loadavg`: the 1, 5 and 15 minute load averages, runnable and
/// all tasks, and the latest pid.
fn loadavg(_: Option<&Arc<Task>>) -> String {
    let mut s = String::new();
    for l in crate::sched::loadavg::get_avenrun() {
        let (i, f) = libkernel::sched::loadavg::format_load(l);
        let _ = write!(s, "{i}.{f:02} ");
    }
    let tasks = crate::pid::all_tasks();
    let last = tasks.iter().map(|t| t.pid()).max().unwrap_or(0);
    let _ = writeln!(
        s,
        "{}/{} {last}",
        crate::sched::loadavg::nr_running(),
        tasks.len()
    );
    s
}

/// `/proc/stat`: CPU time in clock ticks, all of it busy time as `user`
/// (the kernel does not split user and system time) and the idle task's
/// as `idle`, for all CPUs and each; context switches, boot time (the
/// clock starts at boot) and tasks.
fn proc_stat(_: Option<&Arc<Task>>) -> String {
    let up = crate::time::uptime_ns();
    let mut per_cpu = Vec::new();
    let mut ctxt = 0;
    for c in 0..crate::percpu::NR_CPUS {
        if !crate::smp::cpu_online(c) {
            continue;
        }
        let rq = crate::sched::core::RUNQUEUES[c].lock();
        ctxt += rq.nr_switches;
        per_cpu.push((c, up.saturating_sub(rq.idle_ns), rq.idle_ns.min(up)));
    }
    let (busy, idle) = per_cpu
        .iter()
        .fold((0, 0), |(b, i), (_, cb, ci)| (b + cb, i + ci));
    let mut s = format!("cpu  {} 0 0 {} 0 0 0 0 0 0\n", ticks(busy), ticks(idle));
    for (c, b, i) in per_cpu {
        let _ = writeln!(s, "cpu{c} {} 0 0 {} 0 0 0 0 0 0", ticks(b), ticks(i));
    }
    let tasks = crate::pid::all_tasks();
    let _ = write!(
        s,
        "intr 0\nctxt {ctxt}\nbtime 0\nprocesses {}\nprocs_running {}\nprocs_blocked 0\n",
        tasks.iter().map(|t| t.pid()).max().unwrap_or(0),
        crate::sched::loadavg::nr_running(),
    );
    s
}

/// `/proc/PID/cmdline`: the arguments, each ending in a NUL (empty for
/// kernel threads, which `ps` then shows as `[comm]`).
fn cmdline(t: Option<&Arc<Task>>) -> String {
    let Some(mm) = t.and_then(|t| t.mm.lock().clone()) else {
        return String::new();
    };
    let bytes = mm.inner.lock().cmdline.clone();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `/proc/uptime`: seconds since boot, and idle seconds (not tracked: 0).
fn uptime(_: Option<&Arc<Task>>) -> String {
    let ns = crate::time::uptime_ns();
    format!(
        "{}.{:02} 0.00\n",
        ns / 1_000_000_000,
        (ns / 10_000_000) % 100
    )
}

/// `/proc/cpuinfo`: a block per online CPU, then the board.
fn cpuinfo(_: Option<&Arc<Task>>) -> String {
    let mut s = String::new();
    let midr = crate::arch::cpu::midr();
    for c in 0..crate::percpu::NR_CPUS {
        if !crate::smp::cpu_online(c) {
            continue;
        }
        let _ = write!(
            s,
            "processor\t: {c}\nBogoMIPS\t: {}.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n\
             CPU implementer\t: {:#04x}\nCPU architecture: 8\nCPU variant\t: {:#x}\n\
             CPU part\t: {:#05x}\nCPU revision\t: {}\n\n",
            crate::time::counter_frequency() * 2 / 1_000_000,
            (midr >> 24) & 0xff,
            (midr >> 20) & 0xf,
            (midr >> 4) & 0xfff,
            midr & 0xf
        );
    }
    let _ = write!(
        s,
        "Hardware\t: {}\nModel\t\t: {}\n",
        crate::bsp::board().soc_name(),
        crate::bsp::board().name()
    );
    s
}

/// Mounts `/proc`.
pub fn init() {
    if let Err(e) = super::namespace::kern_mount("proc", "proc", "/proc") {
        println!("procfs: cannot mount /proc: errno {}", e.0);
    }
}
