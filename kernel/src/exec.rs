//! Running a program (Linux's `fs/exec.c`): `execve` reads a static ELF
//! from the VFS, builds a new address space with its `PT_LOAD` segments and
//! a stack holding argv, envp and the auxiliary vector, and replaces the
//! caller's address space with it. A bad file leaves the caller untouched
//! with Linux's error (`ENOENT`, `ENOEXEC`, `E2BIG`, `ENOMEM`, `EACCES`).

use crate::arch::exception::PtRegs;
use crate::errno::SysResult;
use crate::errno::*;
use crate::fs::{self, InodeKind};
use crate::mm::uaccess::{copy_strings, strncpy_from_user};
use crate::mm::vm::{MmStruct, PROT_EXEC, PROT_READ, PROT_WRITE, STACK_MAX, STACK_TOP};
use crate::mm::PAGE_SIZE;
use crate::task::{self, Pid, Task, PF_FORKNOEXEC, PF_KTHREAD};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use libkernel::arch::aarch64::memory::SIGTRAMP_BASE;
use libkernel::exec::{elf, script, user_stack};
use libkernel::uapi;

/// Largest executable file read into memory.
const MAX_EXEC_FILE: usize = 64 << 20;

/// What a successful exec produced: where user space starts.
pub struct ExecStart {
    /// Entry point.
    pub pc: u64,
    /// Initial stack pointer.
    pub sp: u64,
}

/// Why an exec failed: an errno, or an ELF file refused with its reason
/// (which the errno alone, `ENOEXEC`, does not tell).
#[derive(Debug)]
pub enum ExecError {
    /// Any other failure.
    Errno(Errno),
    /// The file is not an executable this kernel runs.
    Elf(elf::ElfError),
}

impl ExecError {
    /// The errno `execve` returns.
    pub fn errno(&self) -> Errno {
        match self {
            ExecError::Errno(e) => *e,
            ExecError::Elf(e) => Errno(e.errno()),
        }
    }
}

impl From<Errno> for ExecError {
    fn from(e: Errno) -> Self {
        ExecError::Errno(e)
    }
}

impl core::fmt::Display for ExecError {
    /// `Exec format error (segment 2 runs past the end of the file)`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ExecError::Errno(e) => write!(f, "{e}"),
            ExecError::Elf(e) => write!(f, "{} ({e})", self.errno()),
        }
    }
}

/// `path` (relative to `cwd`) made absolute, `.` and `..` resolved, for
/// `/proc/PID/exe`; empty if it cannot be.
fn exe_path(cwd: &str, path: &[u8]) -> alloc::string::String {
    let mut joined = Vec::new();
    if path.first() != Some(&b'/') {
        joined.extend_from_slice(cwd.as_bytes());
        joined.push(b'/');
    }
    joined.extend_from_slice(path);
    let root = libkernel::fs::path::AbsPath::root();
    libkernel::fs::path::resolve(&root, &joined)
        .map(|r| alloc::string::String::from_utf8_lossy(r.path.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// Reads the executable file at `path` (relative to `cwd`) whole.
fn read_exec_file(cwd: &str, path: &[u8]) -> Result<Vec<u8>, Errno> {
    let inode = fs::lookup_path(cwd, path)?;
    let data: Vec<u8> = match &inode.kind {
        InodeKind::File(d) => {
            let d = d.lock();
            if d.len() > MAX_EXEC_FILE {
                return Err(ENOMEM);
            }
            d.clone()
        }
        InodeKind::Dir(_) | InodeKind::PseudoDir(_) => return Err(EACCES),
        _ => return Err(EACCES),
    };
    if inode.mode() & 0o111 == 0 {
        return Err(EACCES);
    }
    Ok(data)
}

/// Loads `path` into a new address space for the current task and
/// switches to it (`do_execve`). On error nothing has changed.
///
/// A `#!` script runs its interpreter (`load_script`, Linux's
/// `fs/binfmt_script.c`): argv becomes `[interpreter, its argument if any,
/// path, argv[1..]]`, up to [`script::BINPRM_MAX_RECURSION`] interpreters
/// deep (`ELOOP` past that). The name the task gets and `AT_EXECFN` stay
/// `path`, as on Linux.
#[inline(never)]
pub fn do_execve(path: &[u8], argv: &[Vec<u8>], envp: &[Vec<u8>]) -> Result<ExecStart, ExecError> {
    let me = task::current();
    let cwd = me.cwd.lock().clone();
    let mut data = read_exec_file(&cwd, path)?;
    // The file whose code runs: the interpreter, for a script.
    let mut exe: Vec<u8> = Vec::from(path);
    let mut script_argv: Option<Vec<Vec<u8>>> = None;
    let mut depth = 0;
    while let Some(line) = script::parse(&data) {
        depth += 1;
        if depth > script::BINPRM_MAX_RECURSION {
            return Err(ELOOP.into());
        }
        let sb = line.map_err(Errno)?;
        let interp = Vec::from(sb.interp);
        let file = script_argv.as_ref().map_or(path, |a| a[0].as_slice());
        let next = script::interp_argv(&sb, file, script_argv.as_deref().unwrap_or(argv));
        data = read_exec_file(&cwd, &interp)?;
        exe = interp;
        script_argv = Some(next);
    }
    let argv = script_argv.as_deref().unwrap_or(argv);
    let mut img = elf::parse_exec(&data).map_err(ExecError::Elf)?;
    // Address-space layout randomisation of a static-pie image, unless
    // the command line says `norandmaps` (Linux's switch).
    if !crate::cmdline::get().has("norandmaps") {
        img.randomize(crate::drivers::char::random::get_random_u64());
    }
    let mm = MmStruct::new()?;
    {
        let mut inner = mm.inner.lock();
        for m in img.mappings() {
            MmStruct::add_vma(&mut inner, m.start, m.end, m.prot)?;
        }
        let stack_start = STACK_TOP - STACK_MAX;
        MmStruct::add_vma(&mut inner, stack_start, STACK_TOP, PROT_READ | PROT_WRITE)?;
        MmStruct::add_vma(
            &mut inner,
            SIGTRAMP_BASE,
            SIGTRAMP_BASE + PAGE_SIZE as u64,
            PROT_READ | PROT_EXEC,
        )?;
        inner.start_brk = img.brk_start;
        inner.brk = img.brk_start;
        inner.exe_path = exe_path(&cwd, &exe);
        for a in argv {
            if inner.cmdline.len() + a.len() + 1 > PAGE_SIZE {
                break;
            }
            inner.cmdline.extend_from_slice(a);
            inner.cmdline.push(0);
        }
    }
    mm.map_shared_page(
        SIGTRAMP_BASE,
        crate::arch::signal::sigtramp_page()?,
        PROT_READ | PROT_EXEC,
    )?;
    // Copy the file-backed part of every segment; the rest is zero-filled
    // on first touch.
    for m in img.mappings() {
        let mut va = m.start;
        while va < m.end {
            let mut page = [0u8; PAGE_SIZE];
            let mut any = false;
            for s in &img.segments {
                let file_end = s.vaddr + s.filesz;
                let lo = va.max(s.vaddr);
                let hi = (va + PAGE_SIZE as u64).min(file_end);
                if lo < hi {
                    let off = (s.offset + (lo - s.vaddr)) as usize;
                    let n = (hi - lo) as usize;
                    page[(lo - va) as usize..(lo - va) as usize + n]
                        .copy_from_slice(&data[off..off + n]);
                    any = true;
                }
            }
            if any {
                mm.populate(va, &page, m.prot)?;
            }
            va += PAGE_SIZE as u64;
        }
    }
    let argv_refs: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
    let envp_refs: Vec<&[u8]> = envp.iter().map(|a| a.as_slice()).collect();
    let mut random = [0u8; 16];
    random[..8].copy_from_slice(&crate::drivers::char::random::get_random_u64().to_le_bytes());
    random[8..].copy_from_slice(&crate::drivers::char::random::get_random_u64().to_le_bytes());
    let auxv = user_stack::exec_auxv(
        &img,
        uapi::HWCAP_FP | uapi::HWCAP_ASIMD,
        0,
        user_stack::Ids::default(),
    );
    let stack = user_stack::build_stack(
        STACK_TOP,
        &user_stack::ExecArgs {
            argv: &argv_refs,
            envp: &envp_refs,
            execfn: path,
            platform: Some(b"aarch64"),
            random,
            auxv: &auxv,
        },
        &user_stack::StackLimits::default(),
    )
    .map_err(|_| E2BIG)?;

    // The other threads go, and this one takes the process's pid.
    let old_pid = de_thread(&me)?;

    // Point of no return: switch this task to the new address space.
    let old = me.mm.lock().replace(mm.clone());
    if me.ttbr0.swap(mm.ttbr0(), Ordering::AcqRel) == 0 {
        crate::pid::user_process_started();
    }
    crate::arch::mmu::set_ttbr0(mm.ttbr0());
    // The old image's robust locks die with it, and its list is no
    // longer this task's (`futex_exec_release`).
    if let Some(old) = &old {
        crate::futex::exit_robust_list(&me, old);
    }
    drop(old);
    crate::mm::uaccess::copy_to_user(stack.sp, &stack.bytes)?;

    let name = path.rsplit(|&c| c == b'/').next().unwrap_or(path);
    me.set_comm(core::str::from_utf8(name).unwrap_or("?"));
    me.flags
        .fetch_and(!(PF_FORKNOEXEC | PF_KTHREAD), Ordering::Relaxed);
    me.tp_value.store(0, Ordering::Relaxed);
    // SAFETY: the current task's FP state is only used by this CPU while it
    // runs; a fresh program starts with zeroed FP registers.
    unsafe { **me.fpsimd.get() = crate::arch::fpsimd::UserFpsimdState::default() };
    me.clear_child_tid.store(0, Ordering::Relaxed);
    // Handlers do not survive exec; ignored signals do (POSIX).
    crate::signal::flush_signal_handlers(&me);
    crate::signal::sas_ss_reset(&me);
    if let Some(files) = me.files.lock().as_ref() {
        files.lock().close_on_exec();
    }
    crate::fork::vfork_release(&me);
    crate::trace::events::sched_process_exec(path, me.pid(), old_pid);
    Ok(ExecStart {
        pc: img.entry,
        sp: stack.sp,
    })
}

/// Makes the calling thread the process's only one before it runs a new
/// program (`de_thread`): every other thread is killed
/// (`zap_other_threads`) and waited for; a thread that is not the leader
/// then takes the leader's pid and its place with the parent
/// (`exchange_tids`, `transfer_pid`), and the old leader, a zombie, is
/// released. Returns the caller's pid before (for `sched_process_exec`).
/// Fails with `EAGAIN` if the process is already exiting or another
/// thread is in `execve`, or if the caller is killed while it waits.
///
/// Signal handlers shared with another process through `CLONE_SIGHAND`
/// without `CLONE_THREAD` stay shared (Linux unshares them here); no C
/// library makes such tasks.
#[inline(never)]
#[no_mangle]
pub fn de_thread(me: &Arc<Task>) -> Result<Pid, ExecError> {
    use crate::signal::{thread_group_empty, thread_group_leader};
    let old_pid = me.pid();
    if thread_group_empty(me) {
        return Ok(old_pid);
    }
    let sig = me.signal.clone();
    {
        let _siglock = sig.shared_queue.lock();
        if sig.group_exit() || sig.group_exec_task.load(Ordering::Relaxed) != 0 {
            return Err(EAGAIN.into());
        }
        sig.group_exec_task.store(old_pid, Ordering::Relaxed);
        crate::exit::zap_other_threads(&sig);
    }
    // Each exiting sibling wakes this once it is released (the leader:
    // once it is a zombie). Killable, as Linux's: a sibling that cannot
    // die soon (stuck in a vfork wait) must not make this thread
    // unkillable too.
    let gone = || {
        let threads = sig.threads.lock();
        let gone = threads.iter().all(|t| {
            Arc::ptr_eq(t, me)
                || (thread_group_leader(t) && t.exit_state.load(Ordering::Acquire) != 0)
        });
        drop(threads);
        gone
    };
    sig.exec_wait.wait_event(task::TASK_INTERRUPTIBLE, || {
        gone() || crate::signal::kill_pending(me)
    });
    if !gone() {
        // Killed: the exec fails, and the kill ends this thread too.
        sig.group_exec_task.store(0, Ordering::Relaxed);
        return Err(EAGAIN.into());
    }
    if !thread_group_leader(me) {
        let leader = {
            let mut tl = crate::pid::TASKLIST.lock();
            let leader = tl.find(me.tgid);
            if let Some(leader) = &leader {
                tl.exchange_pids(me, leader);
                let (rp, parent, ppid) = {
                    let fam = leader.family.lock();
                    (
                        fam.real_parent.clone(),
                        fam.parent.clone(),
                        leader.real_parent_pid.load(Ordering::Relaxed),
                    )
                };
                {
                    let mut fam = me.family.lock();
                    fam.real_parent = rp.clone();
                    fam.parent = parent;
                }
                me.real_parent_pid.store(ppid, Ordering::Relaxed);
                me.exit_signal.store(
                    leader.exit_signal.swap(-1, Ordering::Relaxed),
                    Ordering::Relaxed,
                );
                if let Some(rp) = rp.upgrade() {
                    let mut fam = rp.family.lock();
                    fam.children.remove(leader);
                    fam.children.insert(me.clone());
                }
                // The leader is listed first.
                sig.threads.lock().make_first(me);
                leader.exit_state.store(task::EXIT_DEAD, Ordering::SeqCst);
            }
            drop(tl);
            leader
        };
        if let Some(leader) = leader {
            crate::exit::release_task(&leader);
        }
    }
    sig.group_exec_task.store(0, Ordering::Relaxed);
    Ok(old_pid)
}

/// Resets the saved user registers for a fresh program.
fn start_thread(regs: &mut PtRegs, start: &ExecStart) {
    *regs = PtRegs {
        regs: [0; 31],
        sp: start.sp,
        pc: start.pc,
        pstate: 0, // EL0t, interrupts unmasked
        stackframe: [0; 2],
    };
    // Zero the live user thread pointer and FP registers too.
    crate::arch::context::reset_user_cpu_state();
}

/// `execve(path, argv, envp)`.
#[inline(never)]
pub fn sys_execve(path: u64, argv: u64, envp: u64, regs: &mut PtRegs) -> SysResult {
    let p = strncpy_from_user(path, uapi::PATH_MAX)?;
    let argv = copy_strings(argv, 16384, 128 * 1024)?;
    let envp = copy_strings(envp, 16384, 128 * 1024)?;
    let old_pid = crate::task::current_pid();
    let start = match do_execve(&p, &argv, &envp) {
        Ok(s) => s,
        Err(e) => {
            if let ExecError::Elf(why) = &e {
                // The reason goes to the trace (a `print` event next to the
                // syscall), where a student looking at a failed exec reads.
                let line = alloc::format!(
                    "execve: {}: {why}",
                    alloc::string::String::from_utf8_lossy(&p)
                );
                crate::trace::events::print(line.as_bytes());
            }
            return Err(e.errno());
        }
    };
    start_thread(regs, &start);
    // The tracer sees the new program's registers; the message is the
    // id the caller had (a thread that exec'd took its leader's).
    crate::ptrace::ptrace_event(uapi::PTRACE_EVENT_EXEC, old_pid as u64);
    Ok(0)
}

/// Starts the first user program from a kernel thread (pid 1 running
/// `/init`): exec, then drop to user space. Returns only on failure.
pub fn kernel_execve(path: &str, argv: &[&str], envp: &[&str]) -> ExecError {
    let to_vec = |v: &[&str]| {
        v.iter()
            .map(|s| Vec::from(s.as_bytes()))
            .collect::<Vec<_>>()
    };
    let me = task::current();
    if me.files.lock().is_none() {
        *me.files.lock() = Some(Arc::new(crate::sync::IrqSpinLock::new(console_fds())));
    }
    match do_execve(path.as_bytes(), &to_vec(argv), &to_vec(envp)) {
        Ok(start) => {
            let regs = me.pt_regs();
            drop(me);
            crate::bench::note_user_entry();
            // SAFETY: pt_regs() is the top of this task's own kernel stack,
            // which nothing else uses; we never return to the frames below.
            unsafe {
                start_thread(&mut *regs, &start);
                enter_user(regs)
            }
        }
        Err(e) => e,
    }
}

/// fds 0, 1, 2 on the console (for init).
fn console_fds() -> fs::FdTable {
    let mut t = fs::FdTable::default();
    for fd in 0..3 {
        let _ = t.install_at(
            fd,
            fs::File::new(fs::devfs::console_inode(), uapi::O_RDWR),
            false,
        );
    }
    t
}

extern "C" {
    fn enter_user(regs: *mut PtRegs) -> !;
}
