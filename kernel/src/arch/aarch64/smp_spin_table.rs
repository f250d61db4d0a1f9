//! Starting secondary cores through the spin table (Linux's
//! `arch/arm64/kernel/smp_spin_table.c`).
//!
//! The firmware's armstub (and QEMU's boot stub) park cores 1, 2 and 3
//! polling the 64-bit slots at 0xE0, 0xE8 and 0xF0; writing an entry
//! address there and executing SEV sends the core to it. (Linux reads the
//! slots from the device tree's `cpu-release-addr`; on every Pi they are
//! these.)

use super::cpu;
use crate::mm::phys_to_virt;

/// `cpu-release-addr` of each core (core 0 never parks).
const CPU_RELEASE_ADDR: [u64; 4] = [0xD8, 0xE0, 0xE8, 0xF0];

/// Sends parked core `cpu` to physical address `entry_pa`; false if the
/// core has no slot.
pub fn smp_spin_table_cpu_boot(cpu: usize, entry_pa: u64) -> bool {
    let Some(&slot) = CPU_RELEASE_ADDR.get(cpu) else {
        return false;
    };
    let slot_va = phys_to_virt(slot);
    // SAFETY: the spin-table slot is a reserved 64-bit word below the
    // kernel image (mapped through the linear map) that only the parked
    // core reads.
    unsafe { core::ptr::write_volatile(slot_va as *mut u64, entry_pa) };
    // The parked core reads with its caches off: push the write to RAM.
    cpu::dcache_clean_inval(slot_va, 8);
    cpu::send_event();
    true
}
