//! Suite `startup`: the state the kernel starts a program in (execve and
//! the first program): the initial stack, auxv, registers, the loaded image.

use crate::ktap::{Suite, TestResult};
use crate::util::*;
use core::sync::atomic::{AtomicU64, Ordering};
use pikern_rt::consts::*;
use pikern_rt::{env, sys};

pub static SUITE: Suite = Suite {
    name: "startup",
    tests: tests![
        argc_and_argv,
        initial_stack_layout,
        registers_zero_at_entry,
        tpidr_el0_zero_at_entry,
        environment_strings,
        auxv_has_required_entries,
        auxv_ids_match_syscalls,
        auxv_phdr_describes_this_image,
        at_random_bytes,
        at_execfn_is_this_program,
        segments_loaded_with_contents,
        bss_is_zero,
        std_fds_are_open,
    ],
};

fn argc_and_argv() -> TestResult {
    check!(env::argc() >= 1, "argc = {}, expected >= 1", env::argc());
    let argv0 = ok!(env::arg_cstr(0).ok_or("no argv[0]"));
    check!(!argv0.is_empty(), "argv[0] is empty");
    check_eq!(env::args().count(), env::argc());
    Ok(())
}

fn initial_stack_layout() -> TestResult {
    let sp = env::initial_sp();
    check!(
        sp.is_multiple_of(16),
        "initial sp {sp:#x} is not 16-byte aligned"
    );
    check_eq!(env::argv_address(), sp + 8);
    // SAFETY: sp is the initial stack pointer, where argc lives.
    let argc = unsafe { *(sp as *const usize) };
    check_eq!(argc, env::argc());
    Ok(())
}

fn registers_zero_at_entry() -> TestResult {
    let or = env::entry_registers_or();
    check!(
        or == 0,
        "x0..x30 at _start OR to {or:#x}, expected all zero"
    );
    Ok(())
}

fn tpidr_el0_zero_at_entry() -> TestResult {
    check_eq!(env::entry_tpidr(), 0);
    Ok(())
}

fn environment_strings() -> TestResult {
    for (i, kv) in env::vars().enumerate() {
        check!(kv.contains('='), "envp[{i}] = {kv:?} has no '='");
    }
    Ok(())
}

fn auxv_has_required_entries() -> TestResult {
    for ty in [
        AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_ENTRY, AT_UID, AT_EUID, AT_GID, AT_EGID,
        AT_HWCAP, AT_CLKTCK, AT_RANDOM, AT_EXECFN,
    ] {
        check!(
            env::getauxval(ty).is_some(),
            "auxv has no entry of type {ty}"
        );
    }
    check_eq!(env::getauxval(AT_PAGESZ), Some(4096));
    check_eq!(env::getauxval(AT_PHENT), Some(56));
    check_eq!(env::getauxval(AT_ENTRY), Some(env::entry_address()));
    check!(env::getauxval(AT_CLKTCK).unwrap_or(0) > 0, "AT_CLKTCK is 0");
    Ok(())
}

fn auxv_ids_match_syscalls() -> TestResult {
    check_eq!(env::getauxval(AT_UID), Some(sys::getuid() as usize));
    check_eq!(env::getauxval(AT_EUID), Some(sys::geteuid() as usize));
    check_eq!(env::getauxval(AT_GID), Some(sys::getgid() as usize));
    check_eq!(env::getauxval(AT_EGID), Some(sys::getegid() as usize));
    Ok(())
}

/// The ELF header of this program, read from its file.
fn own_elf_header() -> Result<[u8; 64], pikern_rt::Errno> {
    let fd = Fd::open(self_path(), O_RDONLY)?;
    let mut h = [0u8; 64];
    let n = sys::read(fd.raw(), &mut h)?;
    if n != 64 {
        return Err(pikern_rt::Errno::EIO);
    }
    Ok(h)
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

use pikern_rt::uapi::{PF_X, PT_GNU_STACK, PT_LOAD};

fn auxv_phdr_describes_this_image() -> TestResult {
    let h = ok!(own_elf_header());
    let phoff = u64_at(&h, 32) as usize;
    let phnum = u16_at(&h, 56) as usize;
    // Check the pointer before following it: a wrong AT_PHDR must fail the
    // test, not crash the suite.
    check_eq!(env::getauxval(AT_PHDR), Some(IMAGE_BASE + phoff));
    check_eq!(env::getauxval(AT_PHNUM), Some(phnum));
    // SAFETY: user.ld loads the ELF and program headers at IMAGE_BASE (first
    // PT_LOAD), so the phnum entries at IMAGE_BASE + phoff are mapped.
    let phdrs =
        unsafe { core::slice::from_raw_parts((IMAGE_BASE + phoff) as *const u8, phnum * 56) };
    let entry = env::entry_address() as u64;
    let (mut text_found, mut stack_found) = (false, false);
    for ph in phdrs.chunks(56) {
        let (ty, flags, vaddr, memsz) =
            (u32_at(ph, 0), u32_at(ph, 4), u64_at(ph, 16), u64_at(ph, 40));
        if ty == PT_LOAD && vaddr <= entry && entry < vaddr + memsz {
            check!(
                flags & PF_X != 0,
                "the segment holding _start is not executable"
            );
            text_found = true;
        }
        if ty == PT_GNU_STACK {
            check!(
                flags & PF_X == 0,
                "PT_GNU_STACK asks for an executable stack"
            );
            stack_found = true;
        }
    }
    check!(
        text_found,
        "no PT_LOAD in memory contains the entry point {entry:#x}"
    );
    check!(
        stack_found,
        "no PT_GNU_STACK in the in-memory program headers"
    );
    Ok(())
}

fn at_random_bytes() -> TestResult {
    let p = ok!(env::getauxval(AT_RANDOM).ok_or("no AT_RANDOM"));
    check!(
        p > env::initial_sp(),
        "AT_RANDOM {p:#x} is not above the initial sp"
    );
    // SAFETY: AT_RANDOM points at 16 bytes the kernel put on the initial
    // stack (checked above to lie above sp, in the stack's mapped part).
    let bytes = unsafe { core::slice::from_raw_parts(p as *const u8, 16) };
    check!(
        bytes.iter().any(|&b| b != 0),
        "AT_RANDOM bytes are all zero"
    );
    Ok(())
}

fn at_execfn_is_this_program() -> TestResult {
    let h = ok!(own_elf_header());
    check_eq!(&h[..4], b"\x7fELF");
    check_eq!(h[4], 2); // ELFCLASS64
    check_eq!(u16_at(&h, 16), 2); // ET_EXEC
    check_eq!(u16_at(&h, 18), 183); // EM_AARCH64
    check_eq!(u64_at(&h, 24), env::entry_address() as u64);
    Ok(())
}

/// A value in .data: proves initialised data was loaded from the file.
static DATA_PROBE: AtomicU64 = AtomicU64::new(0x5eed_1234_abcd_0042);
/// Right after .data in the same segment: the kernel must zero the part of
/// the last file page past p_filesz, or this would hold file bytes.
static BSS_PROBE: [AtomicU64; 1024] = [const { AtomicU64::new(0) }; 1024];

fn segments_loaded_with_contents() -> TestResult {
    check_eq!(DATA_PROBE.load(Ordering::Relaxed), 0x5eed_1234_abcd_0042);
    // .rodata: a string's bytes as written.
    let text = core::hint::black_box("pikern rodata probe");
    check_eq!(text.len(), 19);
    check!(text.starts_with("pikern"), "rodata string corrupted");
    Ok(())
}

fn bss_is_zero() -> TestResult {
    if let Some(i) = BSS_PROBE
        .iter()
        .position(|w| w.load(Ordering::Relaxed) != 0)
    {
        fail!(
            "BSS word {i} is {:#x}, expected 0",
            BSS_PROBE[i].load(Ordering::Relaxed)
        );
    }
    Ok(())
}

fn std_fds_are_open() -> TestResult {
    for fd in 0..3 {
        let mut st = sys::Stat::default();
        check!(
            sys::fstat(fd, &mut st).is_ok(),
            "fd {fd} is not open at start-up"
        );
    }
    Ok(())
}
