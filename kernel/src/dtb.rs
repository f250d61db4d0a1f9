//! The flattened device tree the firmware (or QEMU's `-dtb`) passes in x0:
//! the board's `compatible`, RAM (`/memory`), the command line
//! (`/chosen/bootargs`) and the initramfs (`/chosen/linux,initrd-*`).
//! Parsing is done by the `fdt` crate, after `libkernel::fdt_nop` has
//! removed the NOP tokens that firmware and QEMU edits leave (the crate
//! cannot skip them).

use fdt::Fdt;

const FDT_MAGIC: u32 = 0xd00d_feed;
/// Larger than any real Pi DTB (~60 KiB): beyond this the header is junk.
const MAX_DTB_SIZE: u32 = 2 << 20;
/// Largest RAM region list we keep.
pub const MAX_REGIONS: usize = 8;

/// A validated device tree in memory.
pub struct DeviceTree {
    fdt: Fdt<'static>,
    addr: usize,
}

static DT: spin::Once<Option<DeviceTree>> = spin::Once::new();

/// Probes (once) for the DTB at `addr` and keeps it for [`get`].
pub fn init(addr: usize) -> Option<&'static DeviceTree> {
    DT.call_once(|| probe(addr)).as_ref()
}

/// The device tree found at boot, if any.
pub fn get() -> Option<&'static DeviceTree> {
    DT.get().and_then(|d| d.as_ref())
}

/// Checks for a DTB at `addr` (x0 at entry). Without `-dtb` QEMU leaves
/// 0x100 there, which holds no DTB: then there is none.
pub fn probe(addr: usize) -> Option<DeviceTree> {
    if addr == 0 || !addr.is_multiple_of(8) || addr >= 0x1_0000_0000 {
        return None;
    }
    let va = crate::mm::phys_to_virt(addr as u64);
    // SAFETY: the address is below 4 GiB and 8-aligned; the early tables map
    // the whole low 4 GiB at PAGE_OFFSET, so the read cannot fault.
    let magic = u32::from_be(unsafe { core::ptr::read_volatile(va as *const u32) });
    if magic != FDT_MAGIC {
        return None;
    }
    // SAFETY: as above; the size word follows the magic.
    let total = u32::from_be(unsafe { core::ptr::read_volatile((va + 4) as *const u32) });
    if !(40..=MAX_DTB_SIZE).contains(&total) {
        return None;
    }
    {
        // SAFETY: the blob's own size, below 4 GiB in mapped RAM that only
        // this code touches yet (nothing else has parsed it).
        let blob = unsafe { core::slice::from_raw_parts_mut(va as *mut u8, total as usize) };
        if let Err(why) = libkernel::fdt_nop::strip_nops(blob) {
            crate::println!("dtb: malformed device tree at {addr:#x}: {why}; ignored");
            return None;
        }
    }
    // SAFETY: a DTB header is present; the firmware's blob stays in memory
    // that `mm` reserves for the kernel's lifetime.
    let fdt = unsafe { Fdt::from_ptr(va as *const u8) }.ok()?;
    Some(DeviceTree { fdt, addr })
}

impl DeviceTree {
    /// The root node's `compatible` strings.
    pub fn compatible(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fdt
            .find_node("/")
            .and_then(|n| n.compatible())
            .into_iter()
            .flat_map(|c| c.all())
    }

    /// The root node's `model`, if any.
    pub fn model(&self) -> Option<&'static str> {
        self.fdt.find_node("/")?.property("model")?.as_str()
    }

    /// RAM regions as (start, size).
    pub fn memory(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.fdt
            .find_all_nodes("/memory")
            .flat_map(|n| n.reg().into_iter().flatten())
            .filter_map(|r| Some((r.starting_address as u64, r.size? as u64)))
            .take(MAX_REGIONS)
    }

    /// `/chosen/bootargs`, the kernel command line.
    pub fn bootargs(&self) -> Option<&'static str> {
        self.fdt.chosen().bootargs()
    }

    /// `/chosen/linux,initrd-start` and `-end`, if an initramfs was loaded.
    pub fn initrd(&self) -> Option<(u64, u64)> {
        let chosen = self.fdt.find_node("/chosen")?;
        let start = chosen.property("linux,initrd-start")?.as_usize()? as u64;
        let end = chosen.property("linux,initrd-end")?.as_usize()? as u64;
        (end > start).then_some((start, end))
    }

    /// Where the blob itself lies (to keep it out of the page allocator).
    pub fn blob_range(&self) -> (u64, u64) {
        (
            self.addr as u64,
            self.addr as u64 + self.fdt.total_size() as u64,
        )
    }
}
