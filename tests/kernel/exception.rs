//! Exceptions: a deliberate data abort in a test context is caught through
//! the exception table and reported with the right class and address; the
//! oops report decodes it. (An uncaught one is `selftest_crash`.)

use crate::arch::exception::{self, PtRegs};
use crate::errno::EFAULT;
use crate::ktest::{Suite, TestCase, TestResult};
use crate::percpu;
use alloc::string::String;
use libkernel::arch::aarch64::esr;

const UNMAPPED: usize = 0x40_0000_0000;

fn data_abort_is_caught_and_recorded() -> TestResult {
    percpu::this_cpu().take_fault();
    let r = exception::probe_read_u64(UNMAPPED + 0x18);
    kassert_eq!(r, Err(EFAULT));
    let f = percpu::this_cpu().take_fault();
    kassert!(f.is_some(), "no fault was recorded");
    let f = f.unwrap_or_default();
    kassert_eq!(esr::class(f.esr), esr::ec::DABT_CUR);
    kassert_eq!(f.far, (UNMAPPED + 0x18) as u64);
    let (kind, _) = esr::fault_status(f.esr);
    kassert_eq!(kind, "translation fault");
    kassert!(!esr::is_write(f.esr), "a load reported as a write");
    Ok(())
}

fn mapped_read_through_the_same_path_succeeds() -> TestResult {
    let x: u64 = 0xfeed_f00d_dead_beef;
    let r = exception::probe_read_u64(&x as *const u64 as usize);
    kassert_eq!(r, Ok(0xfeed_f00d_dead_beef));
    kassert!(
        percpu::this_cpu().take_fault().is_none(),
        "fault recorded for a good read"
    );
    Ok(())
}

fn report_decodes_class_address_and_registers() -> TestResult {
    let mut regs = PtRegs {
        regs: [0; 31],
        sp: 0,
        pc: 0xffff_0000_0008_1234,
        pstate: 0x3c5,
        stackframe: [0; 2],
    };
    regs.regs[3] = 0x3333;
    let esr_val = (0x25u64 << 26) | (1 << 25) | (1 << 6) | 0x07;
    let mut s = String::new();
    exception::write_report(&mut s, &regs, 4, esr_val, 0x40_0000_0018)
        .map_err(|_| crate::ktest::Fail::Failed(String::from("formatting failed")))?;
    for want in [
        "EL1h sync exception",
        "Data Abort (current EL) (EC=0x25): translation fault, level 3, write",
        "ELR_EL1 0xffff000000081234",
        "FAR_EL1 0x0000004000000018",
        "x3  0x0000000000003333",
    ] {
        kassert!(s.contains(want), "report lacks {want:?}:\n{s}");
    }
    Ok(())
}

fn kernel_stacks_have_an_unmapped_guard_below() -> TestResult {
    let s = crate::task::KernelStack::alloc()
        .map_err(|e| crate::ktest::Fail::Failed(alloc::format!("stack alloc: errno {}", e.0)))?;
    let (base, top) = (s.base() as usize, s.top() as usize);
    // The stack itself is mapped and usable...
    kassert!(
        exception::probe_read_u64(base).is_ok(),
        "stack bottom not mapped"
    );
    kassert!(
        exception::probe_read_u64(top - 8).is_ok(),
        "stack top not mapped"
    );
    // ...the page below it is not: an overflow faults.
    kassert_eq!(exception::probe_read_u64(base - 8), Err(EFAULT));
    let f = percpu::this_cpu().take_fault().unwrap_or_default();
    kassert_eq!(esr::fault_status(f.esr).0, "translation fault");
    kassert!(
        crate::mm::vmap_stack::is_guard(base as u64 - 8),
        "guard not recognised"
    );
    // The entry code's overflow test: bit 14 clear on the whole stack, set
    // just below it.
    kassert!(
        base & (1 << 14) == 0 && (top - 288) & (1 << 14) == 0,
        "stack not 32 KiB aligned"
    );
    kassert!(
        (base - 288) & (1 << 14) != 0,
        "overflowed sp not recognisable"
    );
    Ok(())
}

/// The exception suite.
pub const SUITE: Suite = Suite {
    name: "exception",
    cases: &[
        TestCase {
            name: "data_abort_is_caught_and_recorded",
            run: data_abort_is_caught_and_recorded,
        },
        TestCase {
            name: "mapped_read_through_the_same_path_succeeds",
            run: mapped_read_through_the_same_path_succeeds,
        },
        TestCase {
            name: "report_decodes_class_address_and_registers",
            run: report_decodes_class_address_and_registers,
        },
        TestCase {
            name: "kernel_stacks_have_an_unmapped_guard_below",
            run: kernel_stacks_have_an_unmapped_guard_below,
        },
    ],
    manual: false,
};
