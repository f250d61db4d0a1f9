//! Running a program (Linux's `fs/exec.c` and `fs/binfmt_elf.c`):
//! `execve` reads an ELF file from the VFS, and for a dynamically linked
//! one the program interpreter its `PT_INTERP` names (`ld-linux-aarch64.so.1`),
//! builds a new address space with both images' `PT_LOAD` segments (the
//! program at its randomised `ET_DYN` base, the interpreter where the
//! mmap area has room) and a stack holding argv, envp and the auxiliary
//! vector, and replaces the caller's address space with it. The new
//! program starts at the interpreter's entry, if it has one. Every check
//! comes before the point of no return, so a bad file (or interpreter)
//! leaves the caller untouched with Linux's error (`ENOENT`, `ENOEXEC`,
//! `ELIBBAD`, `E2BIG`, `ENOMEM`, `EACCES`).

use crate::arch::exception::PtRegs;
use crate::errno::SysResult;
use crate::errno::*;
use crate::fs::{self, InodeKind};
use crate::mm::uaccess::{copy_strings, strncpy_from_user};
use crate::mm::vm::{MmStruct, PROT_READ, PROT_WRITE, STACK_MAX, STACK_TOP};
use crate::mm::PAGE_SIZE;
use crate::task::{self, Pid, Task, PF_FORKNOEXEC, PF_KTHREAD};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use libkernel::exec::{elf, layout, script, user_stack};
use libkernel::uapi;

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

/// An executable opened for `execve` (Linux's `open_exec`): read
/// through the page cache, its pages mapped from there.
struct ExecFile {
    file: Arc<fs::File>,
    len: u64,
}

impl ExecFile {
    /// Opens `path` (relative to `cwd`): a regular file with an execute
    /// bit, else `EACCES`. The checks come before the open, as in Linux's
    /// `may_open`: a device or a `/proc` file named by `execve` is never
    /// opened.
    fn open(cwd: &str, path: &[u8]) -> Result<ExecFile, Errno> {
        let inode = fs::lookup_path(cwd, path)?;
        if !matches!(inode.kind, InodeKind::File(_)) || inode.mode() & 0o111 == 0 {
            return Err(EACCES);
        }
        let file = fs::open(cwd, path, uapi::O_RDONLY, 0)?;
        let len = match &file.inode.kind {
            InodeKind::File(d) => d.lock().len() as u64,
            _ => return Err(EACCES),
        };
        Ok(ExecFile { file, len })
    }

    /// The file's first bytes (Linux's `bprm->buf`), for the `#!` check.
    fn head(&self) -> Result<Vec<u8>, Errno> {
        let mut buf = alloc::vec![0u8; script::BINPRM_BUF_SIZE.min(self.len as usize)];
        let n = self.file.read_at(&mut buf, 0)?;
        buf.truncate(n);
        Ok(buf)
    }
}

impl elf::ElfFile for ExecFile {
    fn file_len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, off: u64, buf: &mut [u8]) -> bool {
        self.file.read_at(buf, off) == Ok(buf.len())
    }
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
    let mut file = ExecFile::open(&cwd, path)?;
    // The file whose code runs: the interpreter, for a script.
    let mut exe: Vec<u8> = Vec::from(path);
    let mut script_argv: Option<Vec<Vec<u8>>> = None;
    let mut depth = 0;
    loop {
        let head = file.head()?;
        let Some(line) = script::parse(&head) else {
            break;
        };
        depth += 1;
        if depth > script::BINPRM_MAX_RECURSION {
            return Err(ELOOP.into());
        }
        let sb = line.map_err(Errno)?;
        let interp = Vec::from(sb.interp);
        let script_path = script_argv.as_ref().map_or(path, |a| a[0].as_slice());
        let next = script::interp_argv(&sb, script_path, script_argv.as_deref().unwrap_or(argv));
        file = ExecFile::open(&cwd, &interp)?;
        exe = interp;
        script_argv = Some(next);
    }
    let argv = script_argv.as_deref().unwrap_or(argv);
    let mut img = elf::parse_exec(&file).map_err(ExecError::Elf)?;
    // The program interpreter, opened relative to the cwd as Linux's
    // `open_exec` does (`ENOENT` when it is missing).
    let mut interp = match &img.interp {
        Some(name) => {
            let interp_file = ExecFile::open(&cwd, name)?;
            let image = elf::parse_interp(&interp_file).map_err(ExecError::Elf)?;
            Some((image, interp_file))
        }
        None => None,
    };
    // Address-space layout randomisation, unless the command line says
    // `norandmaps` (Linux's switch) or the process's personality has
    // `ADDR_NO_RANDOMIZE` (`setarch -R`).
    let no_aslr = crate::task::with_current(|t| t.personality.load(Ordering::Relaxed))
        & uapi::ADDR_NO_RANDOMIZE
        != 0;
    let rnd = if no_aslr || crate::cmdline::get().has("norandmaps") {
        layout::LayoutRandom::default()
    } else {
        use crate::drivers::char::random::get_random_u64;
        img.randomize(get_random_u64());
        layout::LayoutRandom {
            stack: get_random_u64(),
            mmap: get_random_u64(),
            brk: get_random_u64(),
        }
    };
    let mm = MmStruct::new()?;
    {
        let mut inner = mm.inner.lock();
        inner.mmap_base = layout::mmap_base(rnd.mmap);
        let stack_start = STACK_TOP - STACK_MAX;
        MmStruct::add_vma(&mut inner, stack_start, STACK_TOP, PROT_READ | PROT_WRITE)?;
        let brk = layout::randomize_brk(img.brk_start, rnd.brk);
        inner.start_brk = brk;
        inner.brk = brk;
        inner.exe_path = exe_path(&cwd, &exe);
        for a in argv {
            if inner.cmdline.len() + a.len() + 1 > PAGE_SIZE {
                break;
            }
            inner.cmdline.extend_from_slice(a);
            inner.cmdline.push(0);
        }
    }
    let vdso_base = crate::vdso::arch_setup_additional_pages(&mm)?;
    elf_map(&mm, &img, &file)?;
    // The interpreter goes where the mmap area has room for all of it
    // (`load_elf_interp`: `total_mapping_size`, no `MAP_FIXED`), so its
    // place is as random as the mmap base. An `ET_EXEC` one stays where
    // its addresses say (and fails if the program is there).
    let interp_base = match &mut interp {
        Some((image, interp_file)) => {
            if image.kind == elf::ExecKind::Dyn {
                let inner = mm.inner.lock();
                let at = MmStruct::find_free(&inner, image.total_mapping_size());
                drop(inner);
                let at = at.ok_or(ENOMEM)?;
                image.relocate(at.wrapping_sub(image.start()) as i64);
            }
            elf_map(&mm, image, interp_file)?;
            image.load_bias
        }
        None => 0,
    };
    let argv_refs: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
    let envp_refs: Vec<&[u8]> = envp.iter().map(|a| a.as_slice()).collect();
    let mut random = [0u8; 16];
    random[..8].copy_from_slice(&crate::drivers::char::random::get_random_u64().to_le_bytes());
    random[8..].copy_from_slice(&crate::drivers::char::random::get_random_u64().to_le_bytes());
    let (hwcap, hwcap2) = crate::arch::cpu::elf_hwcaps();
    let auxv = user_stack::exec_auxv(
        &img,
        &user_stack::AuxInfo {
            interp_base,
            sysinfo_ehdr: vdso_base,
            hwcap,
            hwcap2,
            minsigstksz: libkernel::arch::aarch64::signal::SIGNAL_MINSIGSTKSZ as u64,
            ids: user_stack::Ids::default(),
            secure: false,
        },
    );
    let stack = user_stack::build_stack(
        layout::stack_top(rnd.stack),
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
    let entry = interp.as_ref().map_or(img.entry, |(image, _)| image.entry);

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
        pc: entry,
        sp: stack.sp,
    })
}

/// Maps the `PT_LOAD` segments of `img`, from `file`, into `mm` (Linux's
/// `elf_map` for each segment, then `padzero` and `set_brk`'s zero fill):
/// an area per run of pages with the segment's permissions. Whole pages of
/// file bytes are the page cache's own pages, mapped private
/// (copy-on-write), so a library's text is one set of pages for every
/// process. A page that is only partly the file's (the end of `.data`,
/// where `.bss` starts: Linux's `padzero`) or that two segments share is a
/// private copy; the rest of `p_memsz` is zero-filled on first touch.
fn elf_map(mm: &MmStruct, img: &elf::ExecImage, file: &ExecFile) -> Result<(), Errno> {
    const PG: u64 = PAGE_SIZE as u64;
    let flags = uapi::MAP_PRIVATE | uapi::MAP_FIXED;
    for m in img.mappings() {
        let mut segs = img
            .segments
            .iter()
            .filter(|s| s.page_start() < m.end && m.start < s.page_end());
        let only = match (segs.next(), segs.next()) {
            (Some(s), None) => Some(s),
            _ => None,
        };
        let mut va = m.start;
        if let Some(s) = only.filter(|s| s.filesz > 0) {
            let file_end = s.vaddr + s.filesz;
            // The page where the file's bytes end is the file's too,
            // unless `.bss` starts in it and the segment cannot be
            // written to zero it (then it is a copy, below).
            let bss_in_page = s.memsz > s.filesz && !file_end.is_multiple_of(PG);
            let file_pages_end = if bss_in_page && !s.writable {
                file_end & !(PG - 1)
            } else {
                file_end.next_multiple_of(PG)
            }
            .min(m.end);
            if file_pages_end > m.start {
                // `p_vaddr` and `p_offset` agree modulo the page size.
                let pgoff = (s.offset - s.vaddr % PG + (m.start - s.page_start())) / PG;
                mm.mmap_region(
                    m.start,
                    file_pages_end - m.start,
                    m.prot,
                    flags,
                    Some(file.file.clone()),
                    pgoff,
                )?;
                va = file_pages_end;
                if bss_in_page && s.writable && file_pages_end > file_end {
                    padzero(mm, file_end)?;
                }
            }
        }
        if va == m.end {
            continue;
        }
        mm.mmap_region(va, m.end - va, m.prot, flags, None, 0)?;
        // The pages left that hold file bytes: copies.
        let copy_end = img
            .segments
            .iter()
            .filter(|s| s.page_start() < m.end && m.start < s.page_end())
            .map(|s| (s.vaddr + s.filesz).next_multiple_of(PG))
            .max()
            .unwrap_or(0)
            .min(m.end);
        while va < copy_end {
            let mut page = [0u8; PAGE_SIZE];
            let mut any = false;
            for s in &img.segments {
                let lo = va.max(s.vaddr);
                let hi = (va + PG).min(s.vaddr + s.filesz);
                if lo < hi {
                    let at = (lo - va) as usize;
                    let dst = &mut page[at..at + (hi - lo) as usize];
                    if !elf::ElfFile::read_exact_at(file, s.offset + (lo - s.vaddr), dst) {
                        return Err(EIO);
                    }
                    any = true;
                }
            }
            if any {
                mm.populate(va, &page, m.prot)?;
            }
            va += PG;
        }
    }
    Ok(())
}

/// Zeroes from `addr` to the end of its page in `mm` (Linux's `padzero`):
/// the start of `.bss` in the page that holds the end of `.data`, whose
/// other bytes are the file's next ones. The write gives `mm` its own copy
/// of that page, as a user write would.
fn padzero(mm: &MmStruct, addr: u64) -> Result<(), Errno> {
    let pa = mm.translate(addr, crate::mm::vm::Access::Write)?;
    let off = addr as usize % PAGE_SIZE;
    // SAFETY: `pa` is the private page now mapped writable at `addr` in
    // `mm`, which no task runs yet; it is in the linear map.
    unsafe {
        core::ptr::write_bytes(
            (crate::mm::phys_to_virt(pa) + off) as *mut u8,
            0,
            PAGE_SIZE - off,
        )
    };
    Ok(())
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
