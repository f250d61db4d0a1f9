//! The page-frame allocator: round trips, alignment, usable memory,
//! exhaustion as an error, refused double frees.

use crate::errno::{EINVAL, ENOMEM};
use crate::ktest::{Suite, TestCase, TestResult};
use crate::mm::{page_alloc, phys_to_virt, PAGE_SIZE};

fn alloc_and_free_restore_the_free_count() -> TestResult {
    let before = page_alloc::nr_free_pages();
    let a = page_alloc::alloc_pages(0).map_err(|e| fail(e.0))?;
    let b = page_alloc::alloc_pages(3).map_err(|e| fail(e.0))?;
    kassert_eq!(page_alloc::nr_free_pages(), before - 9);
    kassert!(
        b % (8 * PAGE_SIZE as u64) == 0,
        "order-3 block {b:#x} not 32 KiB aligned"
    );
    kassert!(a != b, "two allocations got the same page {a:#x}");
    page_alloc::free_pages(a, 0).map_err(|e| fail(e.0))?;
    page_alloc::free_pages(b, 3).map_err(|e| fail(e.0))?;
    kassert_eq!(page_alloc::nr_free_pages(), before);
    Ok(())
}

fn fail(errno: i32) -> crate::ktest::Fail {
    crate::ktest::Fail::Failed(alloc::format!("unexpected errno {errno}"))
}

fn allocated_pages_are_usable_memory() -> TestResult {
    let va = page_alloc::get_zeroed_page().map_err(|e| fail(e.0))?;
    // SAFETY: the page is ours until freed below.
    let page = unsafe { core::slice::from_raw_parts_mut(va as *mut u64, PAGE_SIZE / 8) };
    kassert!(
        page.iter().all(|&w| w == 0),
        "get_zeroed_page returned dirty memory"
    );
    for (i, w) in page.iter_mut().enumerate() {
        *w = i as u64 ^ 0xa5a5_a5a5;
    }
    kassert!(
        page.iter()
            .enumerate()
            .all(|(i, &w)| w == i as u64 ^ 0xa5a5_a5a5),
        "page did not keep what was written"
    );
    page_alloc::free_pages(crate::mm::virt_to_phys(va), 0).map_err(|e| fail(e.0))?;
    Ok(())
}

/// Leaves free pages on this CPU's list: one allocation refills it with
/// a batch, the free puts the page back on top.
fn fill_this_cpus_list() {
    if let Ok(pa) = page_alloc::alloc_pages(0) {
        let _ = page_alloc::free_pages(pa, 0);
    }
}

/// Every free page can be had, including those waiting on other CPUs'
/// lists (put there first): running out drains them all (Linux's
/// drain_all_pages) before it says ENOMEM.
fn exhaustion_returns_enomem_and_everything_comes_back() -> TestResult {
    for c in 0..crate::percpu::NR_CPUS {
        crate::smp::call_on_cpu(c, fill_this_cpus_list, true);
    }
    let before = page_alloc::nr_free_pages();
    // Chain every free page through its own first word, then free them all.
    let mut head: u64 = 0;
    let mut n = 0usize;
    let err = loop {
        match page_alloc::alloc_pages(0) {
            Ok(pa) => {
                // SAFETY: the page was just allocated to this test.
                unsafe { *(phys_to_virt(pa) as *mut u64) = head };
                head = pa;
                n += 1;
            }
            Err(e) => break e,
        }
    };
    let free_at_bottom = page_alloc::nr_free_pages();
    while head != 0 {
        // SAFETY: each page in the chain holds the previous page's address.
        let next = unsafe { *(phys_to_virt(head) as *const u64) };
        page_alloc::free_pages(head, 0).map_err(|e| fail(e.0))?;
        head = next;
    }
    kassert_eq!(err, ENOMEM);
    kassert_eq!(free_at_bottom, 0);
    kassert_eq!(n, before);
    kassert_eq!(page_alloc::nr_free_pages(), before);
    // The heap can still grow and large blocks exist again after merging.
    let big = page_alloc::alloc_pages(libkernel::mm::buddy::MAX_ORDER).map_err(|e| fail(e.0))?;
    page_alloc::free_pages(big, libkernel::mm::buddy::MAX_ORDER).map_err(|e| fail(e.0))?;
    Ok(())
}

fn double_and_misaligned_frees_are_refused() -> TestResult {
    let before = page_alloc::nr_free_pages();
    let pa = page_alloc::alloc_pages(1).map_err(|e| fail(e.0))?;
    kassert_eq!(page_alloc::free_pages(pa + 1, 0), Err(EINVAL));
    kassert_eq!(
        page_alloc::free_pages(pa + PAGE_SIZE as u64, 1),
        Err(EINVAL)
    );
    page_alloc::free_pages(pa, 1).map_err(|e| fail(e.0))?;
    kassert_eq!(page_alloc::free_pages(pa, 1), Err(EINVAL));
    kassert_eq!(page_alloc::nr_free_pages(), before);
    Ok(())
}

/// A single page freed twice is refused, also while it waits on a CPU's
/// free list (where the buddy allocator cannot see it), and the list is
/// not corrupted: the page is handed out once.
fn a_single_page_freed_twice_is_refused_from_the_cpu_list() -> TestResult {
    let before = page_alloc::nr_free_pages();
    let pa = page_alloc::alloc_pages(0).map_err(|e| fail(e.0))?;
    page_alloc::free_pages(pa, 0).map_err(|e| fail(e.0))?;
    kassert_eq!(page_alloc::free_pages(pa, 0), Err(EINVAL));
    kassert_eq!(page_alloc::nr_free_pages(), before);
    // Never handed out by the allocator at all.
    let in_image = (crate::mm::kernel_end() & !(PAGE_SIZE as u64 - 1)) - PAGE_SIZE as u64;
    kassert_eq!(page_alloc::free_pages(in_image, 0), Err(EINVAL));
    let a = page_alloc::alloc_pages(0).map_err(|e| fail(e.0))?;
    let b = page_alloc::alloc_pages(0).map_err(|e| fail(e.0))?;
    page_alloc::free_pages(a, 0).map_err(|e| fail(e.0))?;
    page_alloc::free_pages(b, 0).map_err(|e| fail(e.0))?;
    kassert!(a != b, "one page handed out twice: {a:#x}");
    kassert_eq!(page_alloc::nr_free_pages(), before);
    Ok(())
}

fn kernel_image_is_never_handed_out() -> TestResult {
    let end = crate::mm::kernel_end();
    let mut got = alloc::vec::Vec::new();
    for _ in 0..256 {
        let pa = page_alloc::alloc_pages(0).map_err(|e| fail(e.0))?;
        got.push(pa);
    }
    let bad = got.iter().find(|&&pa| pa < end);
    for pa in &got {
        page_alloc::free_pages(*pa, 0).map_err(|e| fail(e.0))?;
    }
    kassert!(
        bad.is_none(),
        "page {:#x} lies inside the kernel image (end {end:#x})",
        bad.unwrap_or(&0)
    );
    Ok(())
}

/// The page allocator suite.
pub const SUITE: Suite = Suite {
    name: "page_alloc",
    cases: &[
        TestCase {
            name: "alloc_and_free_restore_the_free_count",
            run: alloc_and_free_restore_the_free_count,
        },
        TestCase {
            name: "allocated_pages_are_usable_memory",
            run: allocated_pages_are_usable_memory,
        },
        TestCase {
            name: "exhaustion_returns_enomem_and_everything_comes_back",
            run: exhaustion_returns_enomem_and_everything_comes_back,
        },
        TestCase {
            name: "double_and_misaligned_frees_are_refused",
            run: double_and_misaligned_frees_are_refused,
        },
        TestCase {
            name: "a_single_page_freed_twice_is_refused_from_the_cpu_list",
            run: a_single_page_freed_twice_is_refused_from_the_cpu_list,
        },
        TestCase {
            name: "kernel_image_is_never_handed_out",
            run: kernel_image_is_never_handed_out,
        },
    ],
    manual: false,
};
