//! The program's arguments, environment and auxiliary vector, as the
//! kernel laid them out on the initial stack, plus what `_start` observed
//! (for the start-up ABI tests).
//!
//! The strings live above the initial stack pointer, which the program
//! never unwinds past, so they are valid for the whole run (`'static`).
//! The locations are recorded once, before `main`, in atomics.

use core::ffi::CStr;
use core::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

static INITIAL_SP: AtomicUsize = AtomicUsize::new(0);
static ARGC: AtomicUsize = AtomicUsize::new(0);
static ARGV: AtomicPtr<*const u8> = AtomicPtr::new(core::ptr::null_mut());
static ENVC: AtomicUsize = AtomicUsize::new(0);
static ENVP: AtomicPtr<*const u8> = AtomicPtr::new(core::ptr::null_mut());
static AUXV: AtomicPtr<usize> = AtomicPtr::new(core::ptr::null_mut());
static ENTRY_REG_OR: AtomicU64 = AtomicU64::new(0);
static ENTRY_TPIDR: AtomicU64 = AtomicU64::new(0);

/// Records the initial stack's layout.
///
/// # Safety
/// `sp` is the initial stack pointer: `argc`, then the NULL-terminated
/// argv and envp arrays, then auxv pairs ending with `AT_NULL`.
pub(crate) unsafe fn init(sp: *const usize, reg_or: u64, tpidr: u64) {
    // SAFETY: the caller guarantees the layout; every read stays within the
    // arrays, which end with the terminators counted here.
    unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *mut *const u8;
        let envp = argv.add(argc + 1);
        let mut envc = 0;
        while !(*envp.add(envc)).is_null() {
            envc += 1;
        }
        let auxv = envp.add(envc + 1) as *mut usize;
        INITIAL_SP.store(sp as usize, Ordering::Relaxed);
        ARGC.store(argc, Ordering::Relaxed);
        ARGV.store(argv, Ordering::Relaxed);
        ENVC.store(envc, Ordering::Relaxed);
        ENVP.store(envp, Ordering::Relaxed);
        AUXV.store(auxv, Ordering::Relaxed);
    }
    ENTRY_REG_OR.store(reg_or, Ordering::Relaxed);
    ENTRY_TPIDR.store(tpidr, Ordering::Relaxed);
}

/// The text of a C string from the initial stack: invalid UTF-8 is cut at
/// the first bad byte.
fn text(p: *const u8) -> &'static str {
    // SAFETY: p points at a NUL-terminated string on the initial stack,
    // which stays valid and unmodified for the program's lifetime.
    let bytes = unsafe { CStr::from_ptr(p.cast()) }.to_bytes();
    match core::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => core::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or(""),
    }
}

/// Number of arguments.
pub fn argc() -> usize {
    ARGC.load(Ordering::Relaxed)
}

/// Argument `i` as a C string.
pub fn arg_cstr(i: usize) -> Option<&'static CStr> {
    if i >= argc() {
        return None;
    }
    // SAFETY: i < argc, so argv[i] is a valid string pointer (see init).
    let p = unsafe { *ARGV.load(Ordering::Relaxed).add(i) };
    // SAFETY: as in text().
    Some(unsafe { CStr::from_ptr(p.cast()) })
}

/// The arguments (`args()[0]` is the program name).
pub fn args() -> impl Iterator<Item = &'static str> {
    let argv = ARGV.load(Ordering::Relaxed);
    // SAFETY: i < argc: argv[i] is a valid string pointer (see init).
    (0..argc()).map(move |i| text(unsafe { *argv.add(i) }))
}

/// The environment strings (`NAME=value`).
pub fn vars() -> impl Iterator<Item = &'static str> {
    let envp = ENVP.load(Ordering::Relaxed);
    // SAFETY: i < envc: envp[i] is a valid string pointer (see init).
    (0..ENVC.load(Ordering::Relaxed)).map(move |i| text(unsafe { *envp.add(i) }))
}

/// The value of environment variable `name`.
pub fn var(name: &str) -> Option<&'static str> {
    vars().find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// The raw `envp` array (NULL-terminated), to pass on to `execve`.
pub fn envp_raw() -> *const *const u8 {
    ENVP.load(Ordering::Relaxed)
}

/// The auxiliary vector's `(type, value)` pairs, `AT_NULL` excluded.
pub fn auxv() -> impl Iterator<Item = (u64, usize)> {
    let mut p = AUXV.load(Ordering::Relaxed) as *const usize;
    core::iter::from_fn(move || {
        if p.is_null() {
            return None;
        }
        // SAFETY: p walks the auxv pairs, stopping at the AT_NULL entry.
        let (ty, val) = unsafe { (*p as u64, *p.add(1)) };
        if ty == crate::consts::AT_NULL {
            return None;
        }
        // SAFETY: the pair just read was not the terminator.
        p = unsafe { p.add(2) };
        Some((ty, val))
    })
}

/// The value of auxv entry `ty` (`AT_PAGESZ`, ...).
pub fn getauxval(ty: u64) -> Option<usize> {
    auxv().find(|&(t, _)| t == ty).map(|(_, v)| v)
}

/// The path the program was started as: `AT_EXECFN`, else `argv[0]`.
pub fn exec_path() -> Option<&'static CStr> {
    match getauxval(crate::consts::AT_EXECFN) {
        // SAFETY: AT_EXECFN points at the NUL-terminated file name the
        // kernel copied onto the initial stack.
        Some(p) if p != 0 => Some(unsafe { CStr::from_ptr(p as *const core::ffi::c_char) }),
        _ => arg_cstr(0),
    }
}

/// The stack pointer `_start` was entered with.
pub fn initial_sp() -> usize {
    INITIAL_SP.load(Ordering::Relaxed)
}

/// The address of `argv[0]`'s slot (`initial_sp() + 8` per the ABI).
pub fn argv_address() -> usize {
    ARGV.load(Ordering::Relaxed) as usize
}

/// The OR of `x0`..`x30` at `_start` (0 when the kernel cleared them all).
pub fn entry_registers_or() -> u64 {
    ENTRY_REG_OR.load(Ordering::Relaxed)
}

/// `TPIDR_EL0` at `_start`.
pub fn entry_tpidr() -> u64 {
    ENTRY_TPIDR.load(Ordering::Relaxed)
}

/// The program's entry point (`_start`).
pub fn entry_address() -> usize {
    crate::start::entry_address()
}

/// The address of the vDSO's dynamic symbol `name` (`__kernel_clock_gettime`)
/// in this process, found as a C library finds it: from `AT_SYSINFO_EHDR`
/// through the image's dynamic table (`libkernel::vdso::lookup_symbol`).
/// `None` without a vDSO or without the symbol.
pub fn vdso_symbol(name: &[u8]) -> Option<usize> {
    use libkernel::uapi::elf::{EHDR_SIZE, PHDR_SIZE};
    let base = getauxval(crate::consts::AT_SYSINFO_EHDR).filter(|&b| b != 0)?;
    // SAFETY: the kernel maps the vDSO, read-only and whole, at
    // AT_SYSINFO_EHDR for the life of the process; the ELF header is
    // read first, then only as many bytes as its headers say the image
    // has.
    let ehdr = unsafe { core::slice::from_raw_parts(base as *const u8, EHDR_SIZE) };
    let phoff = u64::from_le_bytes(ehdr[32..40].try_into().ok()?) as usize;
    let phnum = u16::from_le_bytes(ehdr[56..58].try_into().ok()?) as usize;
    let head_len = phoff.checked_add(phnum.checked_mul(PHDR_SIZE)?)?;
    if head_len > 4096 {
        return None;
    }
    // SAFETY: as above; the headers lie within the image's first page.
    let head = unsafe { core::slice::from_raw_parts(base as *const u8, head_len) };
    let len = libkernel::vdso::image_len(head)?;
    // SAFETY: as above; `len` is the image's size by its own headers.
    let image = unsafe { core::slice::from_raw_parts(base as *const u8, len) };
    let off = libkernel::vdso::lookup_symbol(image, name)?;
    Some(base + off as usize)
}
