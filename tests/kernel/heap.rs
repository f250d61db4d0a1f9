//! The kernel heap: Box/Vec work, frees return bytes, and the heap grows
//! from the page allocator when its first chunk is full.

use crate::ktest::{Suite, TestCase, TestResult};
use crate::mm::heap;
use alloc::boxed::Box;
use alloc::vec::Vec;

fn box_and_vec_hold_their_values() -> TestResult {
    let b = Box::new(0x1234_5678u64);
    kassert_eq!(*b, 0x1234_5678);
    let v: Vec<u32> = (0..10_000).collect();
    kassert_eq!(v.iter().map(|&x| x as u64).sum::<u64>(), 49_995_000);
    Ok(())
}

fn frees_return_every_byte() -> TestResult {
    let before = heap::heap_used();
    {
        let mut boxes = Vec::new();
        for i in 0..1000usize {
            boxes.push(alloc::vec![i as u8; 1 + i % 200]);
        }
        kassert!(
            heap::heap_used() > before,
            "allocations did not show in heap_used"
        );
    }
    kassert_eq!(heap::heap_used(), before);
    Ok(())
}

fn heap_grows_from_the_page_allocator() -> TestResult {
    let size_before = heap::heap_size();
    let used_before = heap::heap_used();
    let free_before = crate::mm::page_alloc::nr_free_pages();
    let mut blocks = Vec::new();
    // More than one 4 MiB chunk in total.
    for _ in 0..96 {
        blocks.push(alloc::vec![0xabu8; 64 * 1024]);
    }
    kassert!(
        heap::heap_size() > size_before,
        "heap did not grow: {} bytes",
        heap::heap_size()
    );
    kassert!(
        crate::mm::page_alloc::nr_free_pages() < free_before,
        "growth did not come from the page allocator"
    );
    kassert!(
        blocks.iter().all(|b| b.iter().all(|&x| x == 0xab)),
        "heap data corrupted"
    );
    drop(blocks);
    kassert_eq!(heap::heap_used(), used_before);
    Ok(())
}

/// The heap suite.
pub const SUITE: Suite = Suite {
    name: "heap",
    cases: &[
        TestCase {
            name: "box_and_vec_hold_their_values",
            run: box_and_vec_hold_their_values,
        },
        TestCase {
            name: "frees_return_every_byte",
            run: frees_return_every_byte,
        },
        TestCase {
            name: "heap_grows_from_the_page_allocator",
            run: heap_grows_from_the_page_allocator,
        },
    ],
    manual: false,
};
