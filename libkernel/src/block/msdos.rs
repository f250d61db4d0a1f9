//! The MBR ("DOS") partition table, as Linux's
//! `block/partitions/msdos.c` reads it: four primary entries at byte 446
//! of sector 0, the 0x55 0xAA signature at 510, and extended partitions
//! (types 0x05, 0x0f, 0x85) holding a chain of logical ones numbered from
//! 5.

use super::SECTOR_SIZE;
use alloc::vec::Vec;

/// Extended partition types (`is_extended_partition`).
pub const DOS_EXTENDED_PARTITION: u8 = 0x05;
/// Extended, LBA-addressed (Windows).
pub const WIN98_EXTENDED_PARTITION: u8 = 0x0f;
/// Linux's extended type.
pub const LINUX_EXTENDED_PARTITION: u8 = 0x85;
/// A protective MBR in front of a GPT.
pub const EFI_PMBR_OSTYPE_EFI_GPT: u8 = 0xee;

/// Most logical partitions followed in one extended chain (Linux stops
/// at `state->limit`; a corrupt chain that loops must end).
const MAX_LOGICAL: usize = 59;

/// One partition: its number (`partno`, 1-4 primary, 5.. logical), first
/// sector and length in sectors, and the type byte (`sys_ind`: 0x0b/0x0c
/// FAT32, 0x83 Linux ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// `partno`.
    pub partno: u32,
    /// First sector, from the start of the disk.
    pub start: u64,
    /// Length in sectors.
    pub nr_sects: u64,
    /// The type byte.
    pub sys_ind: u8,
    /// The boot flag (0x80).
    pub bootable: bool,
}

/// What reading the table found.
#[derive(Debug, PartialEq, Eq)]
pub enum Table {
    /// No 0x55AA signature, or entries that cannot be a table (a FAT boot
    /// sector has the signature too: Linux checks the boot indicators).
    None,
    /// A protective MBR: the disk has a GPT (not read here).
    Gpt,
    /// The partitions, in number order.
    Msdos(Vec<Partition>),
}

fn le32(b: &[u8]) -> u64 {
    u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The four raw entries of a table sector: (boot indicator, type, start
/// relative to the table's base, length).
fn entries(sector: &[u8]) -> [(u8, u8, u64, u64); 4] {
    core::array::from_fn(|i| {
        let e = &sector[446 + 16 * i..446 + 16 * (i + 1)];
        (e[0], e[4], le32(&e[8..12]), le32(&e[12..16]))
    })
}

fn msdos_magic_present(sector: &[u8]) -> bool {
    sector.len() >= SECTOR_SIZE && sector[510] == 0x55 && sector[511] == 0xaa
}

fn is_extended(sys_ind: u8) -> bool {
    matches!(
        sys_ind,
        DOS_EXTENDED_PARTITION | WIN98_EXTENDED_PARTITION | LINUX_EXTENDED_PARTITION
    )
}

/// Reads the partition table of a disk of `nr_sectors` sectors through
/// `read` (sector number -> its 512 bytes). Partitions reaching past the
/// end are cut to the disk, as Linux does with a warning; those starting
/// past it are left out. Logical partitions are numbered 5 on.
pub fn msdos_partition<E>(
    nr_sectors: u64,
    mut read: impl FnMut(u64, &mut [u8; SECTOR_SIZE]) -> Result<(), E>,
) -> Result<Table, E> {
    let mut mbr = [0u8; SECTOR_SIZE];
    read(0, &mut mbr)?;
    if !msdos_magic_present(&mbr) {
        return Ok(Table::None);
    }
    let prim = entries(&mbr);
    // A boot indicator other than 0 or 0x80 means this is not a table
    // (a FAT boot sector's code lands there): Linux gives up the same way.
    if prim.iter().any(|&(boot, ..)| boot != 0 && boot != 0x80) {
        return Ok(Table::None);
    }
    if prim.iter().any(|&(_, t, ..)| t == EFI_PMBR_OSTYPE_EFI_GPT) {
        return Ok(Table::Gpt);
    }
    let mut parts = Vec::new();
    let clip = |start: u64, len: u64| -> Option<(u64, u64)> {
        if len == 0 || start >= nr_sectors {
            return None;
        }
        Some((start, len.min(nr_sectors - start)))
    };
    let mut extended = None;
    for (i, &(boot, sys_ind, start, len)) in prim.iter().enumerate() {
        let Some((start, len)) = clip(start, len) else {
            continue;
        };
        parts.push(Partition {
            partno: i as u32 + 1,
            start,
            nr_sects: if is_extended(sys_ind) {
                len.min(2)
            } else {
                len
            },
            sys_ind,
            bootable: boot == 0x80,
        });
        if is_extended(sys_ind) && extended.is_none() {
            extended = Some(start);
        }
    }
    if let Some(ext_base) = extended {
        parse_extended(nr_sectors, ext_base, &mut parts, &mut read)?;
    }
    Ok(Table::Msdos(parts))
}

/// Follows the chain of extended boot records from `ext_base`: each holds
/// one logical partition (relative to itself) and a link to the next
/// (relative to `ext_base`). A sector that cannot be read or has no
/// signature ends the chain.
fn parse_extended<E>(
    nr_sectors: u64,
    ext_base: u64,
    parts: &mut Vec<Partition>,
    read: &mut impl FnMut(u64, &mut [u8; SECTOR_SIZE]) -> Result<(), E>,
) -> Result<(), E> {
    let mut this = ext_base;
    let mut partno = 5;
    let mut buf = [0u8; SECTOR_SIZE];
    for _ in 0..MAX_LOGICAL {
        if this >= nr_sectors || read(this, &mut buf).is_err() || !msdos_magic_present(&buf) {
            break;
        }
        let ents = entries(&buf);
        let mut next = None;
        for &(boot, sys_ind, start, len) in &ents {
            if len == 0 {
                continue;
            }
            if is_extended(sys_ind) {
                next.get_or_insert(ext_base + start);
                continue;
            }
            let s = this + start;
            if s >= nr_sectors {
                continue;
            }
            parts.push(Partition {
                partno,
                start: s,
                nr_sects: len.min(nr_sectors - s),
                sys_ind,
                bootable: boot == 0x80,
            });
            partno += 1;
        }
        match next {
            Some(n) if n != this => this = n,
            _ => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn entry(s: &mut [u8], i: usize, boot: u8, t: u8, start: u32, len: u32) {
        let e = &mut s[446 + 16 * i..446 + 16 * (i + 1)];
        e[0] = boot;
        e[4] = t;
        e[8..12].copy_from_slice(&start.to_le_bytes());
        e[12..16].copy_from_slice(&len.to_le_bytes());
    }

    fn disk(sectors: usize) -> Vec<u8> {
        vec![0u8; sectors * SECTOR_SIZE]
    }

    fn sign(d: &mut [u8], sector: usize) {
        d[sector * 512 + 510] = 0x55;
        d[sector * 512 + 511] = 0xaa;
    }

    fn parse(d: &[u8]) -> Table {
        let n = (d.len() / SECTOR_SIZE) as u64;
        msdos_partition::<()>(n, |s, buf| {
            let o = s as usize * SECTOR_SIZE;
            buf.copy_from_slice(d.get(o..o + SECTOR_SIZE).ok_or(())?);
            Ok(())
        })
        .unwrap()
    }

    #[test]
    fn no_signature_no_table() {
        assert_eq!(parse(&disk(8)), Table::None);
    }

    #[test]
    fn fat_boot_sector_is_not_a_table() {
        let mut d = disk(8);
        sign(&mut d, 0);
        // Boot code bytes where the first entry's indicator is.
        d[446] = 0x3c;
        assert_eq!(parse(&d), Table::None);
    }

    #[test]
    fn primary_partitions() {
        let mut d = disk(4096);
        sign(&mut d, 0);
        entry(&mut d, 0, 0x80, 0x0c, 2048, 1024);
        entry(&mut d, 2, 0, 0x83, 3072, 1024);
        assert_eq!(
            parse(&d),
            Table::Msdos(vec![
                Partition {
                    partno: 1,
                    start: 2048,
                    nr_sects: 1024,
                    sys_ind: 0x0c,
                    bootable: true
                },
                Partition {
                    partno: 3,
                    start: 3072,
                    nr_sects: 1024,
                    sys_ind: 0x83,
                    bootable: false
                },
            ])
        );
    }

    #[test]
    fn partitions_clipped_to_the_disk() {
        let mut d = disk(100);
        sign(&mut d, 0);
        entry(&mut d, 0, 0, 0x0b, 10, 1000);
        entry(&mut d, 1, 0, 0x83, 200, 10);
        assert_eq!(
            parse(&d),
            Table::Msdos(vec![Partition {
                partno: 1,
                start: 10,
                nr_sects: 90,
                sys_ind: 0x0b,
                bootable: false
            }])
        );
    }

    #[test]
    fn protective_mbr_is_gpt() {
        let mut d = disk(8);
        sign(&mut d, 0);
        entry(&mut d, 0, 0, 0xee, 1, 7);
        assert_eq!(parse(&d), Table::Gpt);
    }

    #[test]
    fn logical_partitions_follow_the_chain() {
        let mut d = disk(1000);
        sign(&mut d, 0);
        entry(&mut d, 0, 0, 0x83, 10, 90);
        entry(&mut d, 1, 0, 0x05, 100, 900);
        // EBR at 100: logical at 100+5, next EBR at 100+400.
        sign(&mut d, 100);
        let e = 100 * 512;
        entry(&mut d[e..e + 512], 0, 0, 0x83, 5, 50);
        entry(&mut d[e..e + 512], 1, 0, 0x05, 400, 100);
        sign(&mut d, 500);
        let e = 500 * 512;
        entry(&mut d[e..e + 512], 0, 0, 0x0c, 2, 20);
        // A link back to itself must not loop.
        entry(&mut d[e..e + 512], 1, 0, 0x05, 400, 100);
        let Table::Msdos(p) = parse(&d) else {
            panic!("no table")
        };
        let got: Vec<(u32, u64, u64)> = p.iter().map(|p| (p.partno, p.start, p.nr_sects)).collect();
        assert_eq!(
            got,
            vec![(1, 10, 90), (2, 100, 2), (5, 105, 50), (6, 502, 20)]
        );
    }

    #[test]
    fn read_error_is_returned() {
        let r = msdos_partition::<i32>(8, |_, _| Err(5));
        assert_eq!(r, Err(5));
    }
}
