//! The boot-time MMU set-up: an identity map of RAM (normal, cacheable,
//! inner shareable) and of the board's peripherals (device memory).
//!
//! Spin locks are built on exclusive loads/stores, which real Cortex-A53/A72
//! cores only guarantee on normal cacheable memory; with the MMU off every
//! access is device memory. So every core turns this map on before any lock
//! is shared. 2 MiB blocks cover the low 4 GiB; anything not RAM or a device
//! is left unmapped, so a stray pointer faults instead of reading garbage.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::*;
use core::sync::atomic::{AtomicU64, Ordering};

const ENTRIES: usize = 512;
const BLOCK_2M: u64 = 2 << 20;
const GIB: u64 = 1 << 30;

#[repr(C, align(4096))]
struct Table([AtomicU64; ENTRIES]);

impl Table {
    const fn new() -> Self {
        Table([const { AtomicU64::new(0) }; ENTRIES])
    }
}

/// Level 1: one entry per GiB. Level 2: four tables of 2 MiB blocks.
static L1: Table = Table::new();
static L2: [Table; 4] = [Table::new(), Table::new(), Table::new(), Table::new()];

// Descriptor bits.
const VALID: u64 = 1;
const TABLE: u64 = 1 << 1;
const ATTR_DEVICE: u64 = 0 << 2; // MAIR index 0
const ATTR_NORMAL: u64 = 1 << 2; // MAIR index 1
const SH_INNER: u64 = 3 << 8;
const AF: u64 = 1 << 10;
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;

/// How a physical range is to be mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemType {
    /// RAM: normal write-back cacheable.
    Normal,
    /// Peripheral registers: device nGnRE, never executable.
    Device,
}

/// Builds the identity map: `classify(addr)` says what each 2 MiB block is
/// (`None` leaves it unmapped). Called once, by core 0.
pub fn build_identity_map(classify: impl Fn(u64) -> Option<MemType>) {
    for (gib, l2) in L2.iter().enumerate() {
        for (i, e) in l2.0.iter().enumerate() {
            let pa = gib as u64 * GIB + i as u64 * BLOCK_2M;
            let desc = match classify(pa) {
                Some(MemType::Normal) => pa | VALID | ATTR_NORMAL | SH_INNER | AF | UXN,
                Some(MemType::Device) => pa | VALID | ATTR_DEVICE | AF | UXN | PXN,
                None => 0,
            };
            e.store(desc, Ordering::Relaxed);
        }
        let l2_pa = l2 as *const Table as u64;
        L1.0[gib].store(l2_pa | VALID | TABLE, Ordering::Relaxed);
    }
}

/// Turns the MMU and caches on for this core using the shared tables.
pub fn enable_this_cpu() {
    MAIR_EL1.write(
        MAIR_EL1::Attr0_Device::nonGathering_nonReordering_EarlyWriteAck
            + MAIR_EL1::Attr1_Normal_Outer::WriteBack_NonTransient_ReadWriteAlloc
            + MAIR_EL1::Attr1_Normal_Inner::WriteBack_NonTransient_ReadWriteAlloc,
    );
    TTBR0_EL1.set_baddr(&L1 as *const Table as u64);
    // 39-bit VA (T0SZ=25) starts the walk at level 1; TTBR1 walks disabled.
    TCR_EL1.write(
        TCR_EL1::TBI0::Used
            + TCR_EL1::IPS::Bits_36
            + TCR_EL1::TG0::KiB_4
            + TCR_EL1::SH0::Inner
            + TCR_EL1::ORGN0::WriteBack_ReadAlloc_WriteAlloc_Cacheable
            + TCR_EL1::IRGN0::WriteBack_ReadAlloc_WriteAlloc_Cacheable
            + TCR_EL1::EPD0::EnableTTBR0Walks
            + TCR_EL1::EPD1::DisableTTBR1Walks
            + TCR_EL1::T0SZ.val(25),
    );
    barrier::dsb(barrier::ISHST);
    // SAFETY: invalidating this core's stale TLB entries before first use.
    unsafe { core::arch::asm!("tlbi vmalle1", "dsb ish", options(nostack)) };
    barrier::isb(barrier::SY);
    SCTLR_EL1.modify(SCTLR_EL1::M::Enable + SCTLR_EL1::C::Cacheable + SCTLR_EL1::I::Cacheable);
    barrier::isb(barrier::SY);
}
