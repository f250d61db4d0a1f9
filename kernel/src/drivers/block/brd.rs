//! The RAM disk (Linux's `drivers/block/brd.c`): `brd.rd_nr=N` on the
//! command line makes `/dev/ram0` .. `/dev/ram{N-1}`, each
//! `brd.rd_size=` KiB (Linux's default 4096). Without either parameter
//! there is none, as with the module not loaded. Pages are allocated on
//! first write, and unwritten sectors read as zeros, as in brd.

use crate::block::{self, BlockIo, DiskInfo, SECTOR_SIZE};
use alloc::boxed::Box;
use alloc::collections::btree_map::Entry;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use libkernel::uapi::{EINVAL, ENOSPC};

/// `RAMDISK_MAJOR`.
pub const RAMDISK_MAJOR: u32 = 1;
/// brd's default size in KiB (`CONFIG_BLK_DEV_RAM_SIZE`).
const DEFAULT_RD_SIZE_KIB: u64 = 4096;
/// Most RAM disks (Linux allows as many minors as fit; 16 is its
/// `CONFIG_BLK_DEV_RAM_COUNT`).
const MAX_RD_NR: u32 = 16;
/// Bytes per brd page.
const PAGE: usize = 4096;
const SECTORS_PER_PAGE: u64 = (PAGE / SECTOR_SIZE) as u64;

/// One RAM disk's pages, by page index.
struct BrdDevice {
    pages: BTreeMap<u64, Box<[u8]>>,
    nr_sectors: u64,
}

impl BrdDevice {
    fn check(&self, sector: u64, len: usize) -> Result<(), i32> {
        match sector.checked_add((len / SECTOR_SIZE) as u64) {
            Some(end) if end <= self.nr_sectors && len.is_multiple_of(SECTOR_SIZE) => Ok(()),
            _ => Err(EINVAL),
        }
    }
}

impl BlockIo for BrdDevice {
    fn nr_sectors(&self) -> u64 {
        self.nr_sectors
    }

    fn read_sectors(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), i32> {
        self.check(sector, buf.len())?;
        for (i, s) in buf.chunks_mut(SECTOR_SIZE).enumerate() {
            let sec = sector + i as u64;
            let at = ((sec % SECTORS_PER_PAGE) as usize) * SECTOR_SIZE;
            match self.pages.get(&(sec / SECTORS_PER_PAGE)) {
                Some(p) => s.copy_from_slice(&p[at..at + SECTOR_SIZE]),
                None => s.fill(0),
            }
        }
        Ok(())
    }

    /// `brd_insert_page`: a page that cannot be had fails the write with
    /// `ENOSPC`, as brd's `-ENOMEM` reaches the writer as an I/O error.
    fn write_sectors(&mut self, sector: u64, buf: &[u8]) -> Result<(), i32> {
        self.check(sector, buf.len())?;
        for (i, s) in buf.chunks(SECTOR_SIZE).enumerate() {
            let sec = sector + i as u64;
            let idx = sec / SECTORS_PER_PAGE;
            let page = match self.pages.entry(idx) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    let mut v = Vec::new();
                    v.try_reserve_exact(PAGE).map_err(|_| ENOSPC)?;
                    v.resize(PAGE, 0);
                    e.insert(v.into_boxed_slice())
                }
            };
            let at = ((sec % SECTORS_PER_PAGE) as usize) * SECTOR_SIZE;
            page[at..at + SECTOR_SIZE].copy_from_slice(s);
        }
        Ok(())
    }
}

/// `brd_init`: the RAM disks the command line asks for.
pub fn brd_init() {
    let cl = crate::cmdline::get();
    let nr = cl.get("brd.rd_nr");
    let size = cl.get("brd.rd_size");
    if nr.is_none() && size.is_none() {
        return;
    }
    let nr = match nr.map(str::parse::<u32>) {
        None => 1,
        Some(Ok(n)) => n.min(MAX_RD_NR),
        Some(Err(_)) => {
            println!("brd: bad brd.rd_nr");
            return;
        }
    };
    let kib = match size.map(str::parse::<u64>) {
        None => DEFAULT_RD_SIZE_KIB,
        Some(Ok(k)) if k > 0 && k <= (1 << 30) => k,
        _ => {
            println!("brd: bad brd.rd_size");
            return;
        }
    };
    for i in 0..nr {
        let dev = BrdDevice {
            pages: BTreeMap::new(),
            nr_sectors: kib * 2,
        };
        block::add_disk(
            DiskInfo {
                name: alloc::format!("ram{i}"),
                major: RAMDISK_MAJOR,
                first_minor: i,
                minors: 1,
                read_only: false,
            },
            Box::new(dev),
        );
    }
    println!("brd: module loaded ({nr} x {kib} KiB)");
}
