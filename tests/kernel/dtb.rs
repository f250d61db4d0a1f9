//! DTB parsing: the tree QEMU passes (`-dtb`, filled in with `/memory`,
//! `bootargs` and the initrd) is found and read correctly.

use crate::bsp::{self, BoardKind};
use crate::ktest::{Fail, Suite, TestCase, TestResult};
use crate::{cmdline, dtb};

fn tree() -> Result<&'static dtb::DeviceTree, Fail> {
    dtb::get().ok_or(Fail::Skipped("booted without a DTB"))
}

fn compatible_names_the_detected_board() -> TestResult {
    let dt = tree()?;
    let want = match bsp::board().kind {
        BoardKind::Rpi3 => "raspberrypi,3-model-b",
        BoardKind::Rpi4 => "raspberrypi,4-model-b",
    };
    kassert!(
        dt.compatible().any(|c| c == want),
        "no {want} in /compatible"
    );
    // MIDR agrees with the DTB (A53 on Pi 3, A72 on Pi 4).
    let part = (crate::arch::cpu::midr() >> 4) & 0xfff;
    let want_part = if bsp::board().kind == BoardKind::Rpi4 {
        0xd08
    } else {
        0xd03
    };
    kassert_eq!(part, want_part);
    Ok(())
}

fn memory_node_gives_the_board_ram() -> TestResult {
    let dt = tree()?;
    let total: u64 = dt.memory().map(|(_, size)| size).sum();
    // The firmware (and QEMU) keep the GPU's share out of /memory, and
    // QEMU's raspi4b describes only the RAM below 1 GiB (960 MiB), so the
    // DTB reports at most the board's RAM and at least 512 MiB.
    let board_ram = bsp::board().default_ram;
    kassert!(
        total <= board_ram && total >= 512 << 20,
        "/memory sums to {} MiB on a {} MiB board",
        total >> 20,
        board_ram >> 20
    );
    kassert_eq!(crate::mm::ram_info().total_bytes, total);
    Ok(())
}

fn bootargs_reach_the_command_line() -> TestResult {
    let dt = tree()?;
    let args = dt.bootargs().unwrap_or("");
    kassert!(args.contains("ktest="), "bootargs {args:?} lack ktest=");
    kassert!(cmdline::get().get("ktest").is_some(), "ktest= not parsed");
    Ok(())
}

fn blob_lies_outside_the_page_allocator() -> TestResult {
    let dt = tree()?;
    let (start, end) = dt.blob_range();
    kassert!(end > start, "empty blob range");
    let mut got = alloc::vec::Vec::new();
    let mut hit = false;
    for _ in 0..512 {
        match crate::mm::page_alloc::alloc_pages(0) {
            Ok(pa) => {
                hit |= pa < end && pa + 4096 > start;
                got.push(pa);
            }
            Err(_) => break,
        }
    }
    for pa in got {
        let _ = crate::mm::page_alloc::free_pages(pa, 0);
    }
    kassert!(
        !hit,
        "a page inside the DTB [{start:#x}, {end:#x}) was handed out"
    );
    Ok(())
}

/// The DTB suite.
pub const SUITE: Suite = Suite {
    name: "dtb",
    cases: &[
        TestCase {
            name: "compatible_names_the_detected_board",
            run: compatible_names_the_detected_board,
        },
        TestCase {
            name: "memory_node_gives_the_board_ram",
            run: memory_node_gives_the_board_ram,
        },
        TestCase {
            name: "bootargs_reach_the_command_line",
            run: bootargs_reach_the_command_line,
        },
        TestCase {
            name: "blob_lies_outside_the_page_allocator",
            run: blob_lies_outside_the_page_allocator,
        },
    ],
    manual: false,
};
