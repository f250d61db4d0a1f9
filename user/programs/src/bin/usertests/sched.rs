//! Suite `sched`: sched_yield, CPU affinity, preemption, and the per-task
//! state a context switch must preserve (TPIDR_EL0, FP/SIMD registers,
//! FPCR).

use crate::ktap::{Suite, TestResult};
use crate::util::*;
use pikern_rt::consts::*;
use pikern_rt::process;
use pikern_rt::sys::{self, Timespec};
use pikern_rt::syscall::{nr, syscall3};
use pikern_rt::Errno;

pub static SUITE: Suite = Suite {
    name: "sched",
    tests: tests![
        sched_yield_returns_zero,
        getaffinity_nonempty,
        getaffinity_errors,
        setaffinity_roundtrip,
        setaffinity_errors,
        busy_child_is_preempted,
        tpidr_el0_survives_yield_and_sleep,
        tpidr_el0_inherited_by_fork,
        fp_registers_survive_syscalls,
        fpcr_survives_yield,
        fp_state_is_per_task,
    ],
};

fn sched_yield_returns_zero() -> TestResult {
    for _ in 0..10 {
        check_eq!(ok!(sys::sched_yield()), 0);
    }
    Ok(())
}

/// The CPUs in an affinity mask.
fn cpus(mask: &[u8]) -> impl Iterator<Item = usize> + '_ {
    (0..mask.len() * 8).filter(move |&c| mask[c / 8] & (1 << (c % 8)) != 0)
}

fn getaffinity_nonempty() -> TestResult {
    let mut mask = [0u8; 128];
    let n = ok!(sys::sched_getaffinity(0, &mut mask));
    check!(
        n > 0 && n.is_multiple_of(8) && n <= 128,
        "sched_getaffinity returned {n} bytes"
    );
    check!(cpus(&mask[..n]).count() > 0, "the affinity mask is empty");
    let mut again = [0u8; 128];
    check_eq!(ok!(sys::sched_getaffinity(sys::getpid(), &mut again)), n);
    check_eq!(mask, again);
    Ok(())
}

fn getaffinity_errors() -> TestResult {
    let mut mask = [0u8; 128];
    // Not a multiple of sizeof(long).
    check_err!(sys::sched_getaffinity(0, &mut mask[..3]), Errno::EINVAL);
    check_err!(sys::sched_getaffinity(0x3fff_fff0, &mut mask), Errno::ESRCH);
    // SAFETY: the kernel must refuse to write to a kernel address.
    let r = unsafe { syscall3(nr::SCHED_GETAFFINITY, 0, 128, KERNEL_ADDR) };
    check_err!(Errno::result(r), Errno::EFAULT);
    Ok(())
}

fn setaffinity_roundtrip() -> TestResult {
    child_passed(in_child(|| {
        let mut all = [0u8; 128];
        let n = ok!(sys::sched_getaffinity(0, &mut all));
        let cpu = ok!(cpus(&all[..n]).last().ok_or("empty mask"));
        let mut one = [0u8; 128];
        one[cpu / 8] = 1 << (cpu % 8);
        ok!(sys::sched_setaffinity(0, &one[..n]));
        let mut now = [0u8; 128];
        ok!(sys::sched_getaffinity(0, &mut now));
        check_eq!(&now[..n], &one[..n]);
        // Still runs (on that CPU) and can widen its mask again.
        ok!(sys::sched_yield());
        ok!(sys::sched_setaffinity(0, &all[..n]));
        ok!(sys::sched_getaffinity(0, &mut now));
        check_eq!(&now[..n], &all[..n]);
        Ok(())
    }))
}

fn setaffinity_errors() -> TestResult {
    let empty = [0u8; 128];
    check_err!(sys::sched_setaffinity(0, &empty), Errno::EINVAL);
    let mut all = [0u8; 128];
    let n = ok!(sys::sched_getaffinity(0, &mut all));
    check_err!(sys::sched_setaffinity(0x3fff_fff0, &all[..n]), Errno::ESRCH);
    // SAFETY: the kernel must refuse to read from a kernel address.
    let r = unsafe { syscall3(nr::SCHED_SETAFFINITY, 0, 128, KERNEL_ADDR) };
    check_err!(Errno::result(r), Errno::EFAULT);
    Ok(())
}

fn busy_child_is_preempted() -> TestResult {
    // Parent and a spinning child share one CPU: the parent only gets back
    // to kill the child if the timer preempts it.
    let pid = match ok!(process::fork()) {
        0 => {
            pin_to_one_cpu();
            loop {
                core::hint::spin_loop();
            }
        }
        pid => pid,
    };
    let st = in_child(|| {
        // A helper pinned like the spinner: wakes after a sleep, then kills it.
        if pin_to_one_cpu().is_none() {
            diag!("affinity not supported: not pinned");
        }
        let _ = process::sleep_ms(30);
        ok!(signal_child(pid, SIGKILL));
        Ok(())
    });
    let killed = wait_for(pid);
    child_passed(st)?;
    child_killed_by(killed, SIGKILL)
}

fn tpidr_el0_survives_yield_and_sleep() -> TestResult {
    let value = 0x1234_5678_9abc_def0;
    sys::write_tpidr_el0(value);
    let mut result = Ok(());
    for i in 0..20u32 {
        let _ = sys::sched_yield();
        if i.is_multiple_of(5) {
            let _ = sys::nanosleep(&Timespec::from_ms(2), None);
        }
        let now = sys::read_tpidr_el0();
        if now != value {
            result = Err(now);
            break;
        }
    }
    sys::write_tpidr_el0(0);
    if let Err(now) = result {
        fail!("TPIDR_EL0 changed from {value:#x} to {now:#x}");
    }
    Ok(())
}

fn tpidr_el0_inherited_by_fork() -> TestResult {
    let value = 0x0bad_cafe_0000_1111;
    sys::write_tpidr_el0(value);
    let st = in_child(|| {
        check_eq!(sys::read_tpidr_el0(), value);
        sys::write_tpidr_el0(7);
        let _ = sys::sched_yield();
        check_eq!(sys::read_tpidr_el0(), 7);
        Ok(())
    });
    let after = sys::read_tpidr_el0();
    sys::write_tpidr_el0(0);
    child_passed(st)?;
    check_eq!(after, value);
    Ok(())
}

fn fp_registers_survive_syscalls() -> TestResult {
    let ts = Timespec::from_ms(2);
    for round in 0..10u64 {
        let n = fp_registers_clobbered_by(nr::SCHED_YIELD, 0, 0, round);
        check!(
            n == 0,
            "{n} of 64 FP/SIMD doublewords changed across sched_yield"
        );
        let n = fp_registers_clobbered_by(nr::NANOSLEEP, &ts as *const Timespec as usize, 0, round);
        check!(
            n == 0,
            "{n} of 64 FP/SIMD doublewords changed across nanosleep"
        );
        let n = fp_registers_clobbered_by(nr::GETPID, 0, 0, round);
        check!(
            n == 0,
            "{n} of 64 FP/SIMD doublewords changed across getpid"
        );
    }
    Ok(())
}

fn read_fpcr() -> u64 {
    let v: u64;
    // SAFETY: FPCR is readable at EL0.
    unsafe { core::arch::asm!("mrs {}, fpcr", out(reg) v, options(nomem, nostack)) };
    v
}

fn write_fpcr(v: u64) {
    // SAFETY: FPCR is writable at EL0; only the rounding mode is changed,
    // and it is restored before any other floating-point code runs.
    unsafe { core::arch::asm!("msr fpcr, {}", in(reg) v, options(nomem, nostack)) };
}

fn fpcr_survives_yield() -> TestResult {
    let old = read_fpcr();
    let rz = (old & !(3 << 22)) | (3 << 22); // round towards zero
    write_fpcr(rz);
    let _ = sys::sched_yield();
    let _ = sys::nanosleep(&Timespec::from_ms(2), None);
    let now = read_fpcr();
    write_fpcr(old);
    check!(
        now == rz,
        "FPCR changed from {rz:#x} to {now:#x} across yield/sleep"
    );
    Ok(())
}

/// A floating-point computation with a system call in every iteration:
/// the compiler keeps its values in FP registers across the `svc`.
fn float_work(seed: f64, yield_each_step: bool) -> f64 {
    let mut x = core::hint::black_box(seed);
    let mut acc = 0.0f64;
    for i in 0..300 {
        x = x * 1.000_1 + 0.5;
        acc += x / (i as f64 + 1.0);
        if yield_each_step {
            let _ = sys::sched_yield();
        }
    }
    acc
}

fn fp_state_is_per_task() -> TestResult {
    // Two children on one CPU, each with its own FP values and thread
    // pointer, yielding to each other: each must get its own state back.
    let worker = |seed: u64| {
        in_child_async(move || {
            pin_to_one_cpu();
            sys::write_tpidr_el0(seed);
            let expect = float_work(seed as f64, false);
            for _ in 0..3 {
                let got = float_work(seed as f64, true);
                check!(
                    got.to_bits() == expect.to_bits(),
                    "FP result {got} != {expect}"
                );
                let n = fp_registers_clobbered_by(nr::SCHED_YIELD, 0, 0, seed);
                check!(n == 0, "{n} FP/SIMD doublewords changed across a switch");
                check_eq!(sys::read_tpidr_el0(), seed);
            }
            Ok(())
        })
    };
    let a = ok!(worker(3));
    let b = ok!(worker(1000));
    let (sa, sb) = (wait_for(a), wait_for(b));
    child_passed(sa)?;
    child_passed(sb)
}
