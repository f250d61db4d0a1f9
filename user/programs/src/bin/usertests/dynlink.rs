//! Suite `dynlink`: programs linked the three ways glibc offers (static,
//! static-pie, dynamic with `/lib/ld-linux-aarch64.so.1` and
//! `/lib/aarch64-linux-gnu/libc.so.6` from the cross toolchain), the
//! auxiliary vector they get, address-space layout randomisation, and the
//! bad-interpreter cases of `execve` (issue 21; Linux's
//! `fs/binfmt_elf.c`).
//!
//! The programs are user/c/hello.c built as `hello_c`, `hello_spie_c` and
//! `hello_dyn_c`, user/c/auxv.c as `auxv_spie_c` and `auxv_dyn_c`, and the `dynbad_*_c` builds of
//! hello whose `PT_INTERP` is missing, not ELF, truncated, or the program
//! itself (user/user.mk). Under qemu-aarch64 on Linux the dynamic ones
//! find the loader through `QEMU_LD_PREFIX` (user/hosttest.sh); the
//! checks of this kernel's own choices (layout, errno of a bad
//! interpreter, which the host cannot exec) run on pikern only.

use crate::ktap::{Stop, Suite, TestResult};
use crate::spawn::*;
use crate::util::*;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use pikern_rt::consts::*;
use pikern_rt::process;
use pikern_rt::Errno;

pub static SUITE: Suite = Suite {
    name: "dynlink",
    tests: tests![
        hello_static_static_pie_and_dynamic_print_the_same,
        auxv_of_a_static_pie,
        auxv_of_a_dynamic_program,
        the_loader_runs_as_a_program,
        aslr_moves_each_run_unless_norandmaps,
        missing_interpreter_is_enoent,
        interpreter_not_elf_is_elibbad,
        truncated_interpreter_is_elibbad,
        truncated_library_fails_cleanly,
        program_as_its_own_interpreter_dies_cleanly,
    ],
};

/// Linux 6.1 arm64's auxv keys, in `create_elf_tables`' order
/// (`ARCH_DLINFO`'s `AT_SYSINFO_EHDR` and `AT_MINSIGSTKSZ` first).
const LINUX_AUXV: &[u64] = &[
    AT_SYSINFO_EHDR,
    AT_MINSIGSTKSZ,
    AT_HWCAP,
    AT_PAGESZ,
    AT_CLKTCK,
    AT_PHDR,
    AT_PHENT,
    AT_PHNUM,
    AT_BASE,
    AT_FLAGS,
    AT_ENTRY,
    AT_UID,
    AT_EUID,
    AT_GID,
    AT_EGID,
    AT_SECURE,
    AT_HWCAP2,
    AT_RANDOM,
    AT_EXECFN,
    AT_PLATFORM,
];

/// The checks user/c/auxv.c makes.
const AUXV_CHECKS: usize = 14;

fn hello_want(pid: i32) -> String {
    format!("hello from C (glibc): pid {pid}, malloc ok\n")
}

fn hello_static_static_pie_and_dynamic_print_the_same() -> TestResult {
    for name in ["hello_c", "hello_spie_c", "hello_dyn_c"] {
        let out = run(name, &[], None)?;
        if out.status.exit_code() != Some(0) || out.stdout != hello_want(out.pid) {
            fail!(
                "{name}: {:?}; stdout {:?}, expected {:?}; stderr {:?}",
                out.status,
                out.stdout,
                hello_want(out.pid),
                out.stderr
            );
        }
    }
    Ok(())
}

/// The value of `auxv_c`'s line `name 0x...`.
fn field(out: &Output, name: &str) -> Option<u64> {
    let line = out
        .lines()
        .into_iter()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))?;
    let hex = line.trim().trim_start_matches("0x");
    u64::from_str_radix(hex, 16).ok()
}

/// The keys `auxv_c` printed.
fn keys(out: &Output) -> Vec<u64> {
    out.lines()
        .into_iter()
        .find_map(|l| l.strip_prefix("keys"))
        .map(|k| {
            k.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs an auxv program: its checks pass, and its keys are Linux's, in
/// Linux's order on pikern (`AT_SYSINFO_EHDR` only once there is a vDSO);
/// under qemu-aarch64, the same set but for `AT_MINSIGSTKSZ`, which
/// qemu does not pass.
fn auxv_program(name: &str) -> TestResult {
    let out = run(name, &[], None)?;
    check_c_program(&out, "auxv", AUXV_CHECKS)?;
    let got = keys(&out);
    if on_pikern() {
        let want: Vec<u64> = LINUX_AUXV
            .iter()
            .copied()
            .filter(|&k| k != AT_SYSINFO_EHDR || got.first() == Some(&AT_SYSINFO_EHDR))
            .collect();
        check_eq!(got, want);
    } else {
        let mut want: Vec<u64> = LINUX_AUXV
            .iter()
            .copied()
            .filter(|&k| k != AT_MINSIGSTKSZ)
            .collect();
        let mut got = got;
        want.sort_unstable();
        got.sort_unstable();
        check_eq!(got, want);
    }
    Ok(())
}

fn auxv_of_a_static_pie() -> TestResult {
    auxv_program("auxv_spie_c")
}

/// Also: `AT_BASE` is the loader's ELF header (auxv.c checks it).
fn auxv_of_a_dynamic_program() -> TestResult {
    auxv_program("auxv_dyn_c")
}

/// `ld.so --version` (the loader run as a static-pie), then `ld.so
/// PROGRAM`, which loads the program itself as Linux's loader does.
fn the_loader_runs_as_a_program() -> TestResult {
    let ld = "/lib/ld-linux-aarch64.so.1";
    if !on_pikern() {
        skip!("the host's qemu-aarch64 has no {ld} to run");
    }
    let out = run(ld, &["--version"], None)?;
    check!(
        out.status.exit_code() == Some(0) && out.stdout.starts_with("ld.so ("),
        "{ld} --version: {:?}, stdout {:?}, stderr {:?}",
        out.status,
        out.stdout,
        out.stderr
    );
    let out = run(ld, &["/bin/hello_dyn_c"], None)?;
    check!(
        out.status.exit_code() == Some(0) && out.stdout == hello_want(out.pid),
        "{ld} /bin/hello_dyn_c: {:?}, stdout {:?}, stderr {:?}",
        out.status,
        out.stdout,
        out.stderr
    );
    Ok(())
}

/// Where two runs of a program put things: each of `fields` differs
/// between them (ASLR), or is the same in both under `norandmaps`.
fn two_runs(name: &str, fields: &[&str], random: bool) -> TestResult {
    let a = run(name, &[], None)?;
    let b = run(name, &[], None)?;
    check_c_program(&a, "auxv", AUXV_CHECKS)?;
    check_c_program(&b, "auxv", AUXV_CHECKS)?;
    for f in fields {
        let (x, y) = (field(&a, f), field(&b, f));
        check!(x.is_some() && y.is_some(), "{name}: no {f} line");
        if random {
            check!(x != y, "{name}: {f} {x:#x?} in both runs, ASLR is on");
        } else {
            check!(x == y, "{name}: {f} {x:#x?} then {y:#x?} under norandmaps");
        }
    }
    Ok(())
}

fn aslr_moves_each_run_unless_norandmaps() -> TestResult {
    if !on_pikern() {
        skip!("qemu-aarch64 places a program by its own rules");
    }
    let cmdline = read_text("/proc/cmdline").unwrap_or_default();
    let random = !cmdline.split_whitespace().any(|w| w == "norandmaps");
    two_runs(
        "auxv_spie_c",
        &["entry", "phdr", "stack", "mmap", "brk", "random"],
        random,
    )?;
    two_runs(
        "auxv_dyn_c",
        &["base", "entry", "phdr", "stack", "mmap", "brk"],
        random,
    )
}

/// `execve` of `path` fails with `want` (and this process goes on).
fn exec_fails(path: &str, want: Errno) -> TestResult {
    if !on_pikern() {
        skip!("this host cannot exec aarch64 binaries itself");
    }
    check_eq!(process::exec(path, &[path], &[]), want);
    Ok(())
}

fn missing_interpreter_is_enoent() -> TestResult {
    exec_fails("/bin/dynbad_missing_c", Errno::ENOENT)
}

/// `PT_INTERP` is /bin/notelf, a text file.
fn interpreter_not_elf_is_elibbad() -> TestResult {
    exec_fails("/bin/dynbad_notelf_c", Errno::ELIBBAD)
}

/// `PT_INTERP` is the loader's first 8 KiB: headers intact, segments
/// past the end of the file.
fn truncated_interpreter_is_elibbad() -> TestResult {
    exec_fails("/bin/dynbad_trunc_c", Errno::ELIBBAD)
}

/// libc.so.6 cut to 64 KiB (/lib/trunc): the loader refuses it and exits
/// 127, as on Linux, or the process dies of SIGBUS or SIGSEGV touching
/// what is not there; the kernel goes on either way.
fn truncated_library_fails_cleanly() -> TestResult {
    if !on_pikern() {
        skip!("the host's qemu-aarch64 has no /lib/trunc");
    }
    let out = run(
        "/lib/ld-linux-aarch64.so.1",
        &["--library-path", "/lib/trunc", "/bin/hello_dyn_c"],
        None,
    )?;
    let refused = out.status.exit_code() == Some(127)
        && out.stderr.contains("error while loading shared libraries");
    let crashed = matches!(out.status.term_signal(), Some(SIGBUS | SIGSEGV));
    check!(
        refused || crashed,
        "{:?}, stdout {:?}, stderr {:?}",
        out.status,
        out.stdout,
        out.stderr
    );
    // And a good run right after.
    let out = run("hello_dyn_c", &[], None)?;
    check_eq!(out.stdout, hello_want(out.pid));
    Ok(())
}

/// A PIE whose `PT_INTERP` names itself: loaded twice (as program and as
/// interpreter, as Linux does), it starts unrelocated and dies of
/// SIGSEGV.
fn program_as_its_own_interpreter_dies_cleanly() -> TestResult {
    if !on_pikern() {
        skip!("this host cannot exec aarch64 binaries itself");
    }
    let out = run("dynbad_self_c", &[], None);
    match out {
        Ok(out) => check!(
            out.status.term_signal() == Some(SIGSEGV),
            "{:?}, stdout {:?}, stderr {:?}",
            out.status,
            out.stdout,
            out.stderr
        ),
        Err(Stop::Fail) => fail!("dynbad_self_c could not be run"),
        Err(e) => return Err(e),
    }
    Ok(())
}
