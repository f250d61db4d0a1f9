//! Suite `block`: the block layer and the SD card, run on request only
//! (`usertests block`) by `tools/mmc-test.sh`, which boots with a card
//! image it made (`-drive if=sd`: 64 MiB, partition 1 FAT32 at sector
//! 2048 of 65536 sectors, partition 2 Linux from sector 67584 to the
//! end, "PATTERN-AT-40MiB" written at byte 40 MiB) and `brd.rd_nr=1
//! brd.rd_size=1024`. After the power-off the script checks on the host
//! that what this suite wrote reached the image byte for byte.

use crate::ktap::{Suite, TestResult};
use crate::util::*;
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::CStr;
use pikern_rt::consts::*;
use pikern_rt::sys;
use pikern_rt::syscall::{nr, syscall1, syscall4};
use pikern_rt::Errno;

pub static SUITE: Suite = Suite {
    name: "block",
    tests: tests![
        proc_partitions_lists_the_card,
        devices_are_block_nodes,
        mbr_and_a_host_pattern_read_back,
        size_ioctls,
        end_of_device,
        disk_and_partition_see_the_same_bytes,
        a_megabyte_written_reaches_the_card,
        written_before_poweroff,
        ram_disk_round_trip,
        missing_devices,
    ],
};

/// Partition 2's first sector.
const P2_START: u64 = 67584;
/// Where `a_megabyte_written_reaches_the_card` writes in partition 2.
pub const MEGABYTE_AT: u64 = 4 << 20;
/// Where `written_before_poweroff` writes in partition 2.
pub const POWEROFF_AT: u64 = 20 << 20;

/// The test pattern's byte `i` (tools/mmc-test.sh computes the same).
fn pattern(i: usize) -> u8 {
    ((i * 131 + i / 4096) % 251) as u8
}

fn ioctl_u64(fd: &Fd, req: u32) -> Result<u64, Errno> {
    let mut v = 0u64;
    // SAFETY: the request writes at most 8 bytes into `v`.
    unsafe { sys::ioctl(fd.raw(), req, &mut v as *mut u64 as usize) }?;
    Ok(v)
}

fn pread(fd: &Fd, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
    sys::lseek(fd.raw(), off as i64, SEEK_SET)?;
    let mut done = 0;
    while done < buf.len() {
        match sys::read(fd.raw(), &mut buf[done..])? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}

fn pwrite(fd: &Fd, buf: &[u8], off: u64) -> Result<usize, Errno> {
    sys::lseek(fd.raw(), off as i64, SEEK_SET)?;
    sys::write(fd.raw(), buf)
}

fn fsync(fd: &Fd) -> Result<usize, Errno> {
    // SAFETY: no memory is involved.
    Errno::result(unsafe { syscall1(nr::FSYNC, fd.raw() as usize) })
}

fn need_card() -> TestResult {
    if !on_pikern()
        || sys::open(c"/dev/mmcblk0", O_RDONLY)
            .map(sys::close)
            .is_err()
    {
        skip!("no /dev/mmcblk0 (boot with tools/mmc-test.sh's card)");
    }
    Ok(())
}

fn proc_partitions_lists_the_card() -> TestResult {
    need_card()?;
    let text = ok!(crate::spawn::read_text("/proc/partitions"));
    // Linux's show_partition: "%4d  %7d %10llu %pg", 1 KiB blocks.
    for line in [
        "major minor  #blocks  name\n\n",
        " 179        0      65536 mmcblk0\n",
        " 179        1      32768 mmcblk0p1\n",
        " 179        2      31744 mmcblk0p2\n",
        "   1        0       1024 ram0\n",
    ] {
        check!(
            text.contains(line),
            "no {:?} in /proc/partitions:\n{}",
            line,
            text
        );
    }
    Ok(())
}

fn devices_are_block_nodes() -> TestResult {
    need_card()?;
    for (path, minor) in [
        (c"/dev/mmcblk0", 0),
        (c"/dev/mmcblk0p1", 1),
        (c"/dev/mmcblk0p2", 2),
    ] {
        let mut st = sys::Stat::default();
        ok!(sys::newfstatat(AT_FDCWD, path, &mut st, 0));
        check_eq!(st.st_mode & S_IFMT, S_IFBLK);
        check_eq!(st.st_rdev, makedev(179, minor));
    }
    Ok(())
}

fn mbr_and_a_host_pattern_read_back() -> TestResult {
    need_card()?;
    let fd = ok!(Fd::open(c"/dev/mmcblk0", O_RDONLY));
    let mut mbr = [0u8; 512];
    check_eq!(ok!(sys::read(fd.raw(), &mut mbr)), 512);
    check_eq!((mbr[510], mbr[511]), (0x55, 0xaa));
    // Entry 1: FAT32 (LBA) at 2048; entry 2: Linux at 67584.
    check_eq!(mbr[446 + 4], 0x0c);
    check_eq!(
        u32::from_le_bytes([mbr[454], mbr[455], mbr[456], mbr[457]]),
        2048
    );
    check_eq!(mbr[462 + 4], 0x83);
    let mut buf = [0u8; 16];
    check_eq!(ok!(pread(&fd, &mut buf, 40 << 20)), 16);
    check_eq!(&buf, b"PATTERN-AT-40MiB");
    // The same bytes through partition 2, at 40 MiB less its start.
    let p2 = ok!(Fd::open(c"/dev/mmcblk0p2", O_RDONLY));
    buf = [0; 16];
    ok!(pread(&p2, &mut buf, (40 << 20) - P2_START * 512));
    check_eq!(&buf, b"PATTERN-AT-40MiB");
    // Partition 1 starts with a FAT boot sector.
    let p1 = ok!(Fd::open(c"/dev/mmcblk0p1", O_RDONLY));
    ok!(pread(&p1, &mut mbr, 0));
    check_eq!(&mbr[82..87], b"FAT32");
    Ok(())
}

fn size_ioctls() -> TestResult {
    need_card()?;
    let fd = ok!(Fd::open(c"/dev/mmcblk0", O_RDONLY));
    check_eq!(ok!(ioctl_u64(&fd, BLKGETSIZE64)), 64 << 20);
    check_eq!(ok!(ioctl_u64(&fd, BLKGETSIZE)), 131072);
    let mut ss = 0u32;
    // SAFETY: BLKSSZGET writes an int.
    ok!(unsafe { sys::ioctl(fd.raw(), BLKSSZGET, &mut ss as *mut u32 as usize) });
    check_eq!(ss, 512);
    check_eq!(ok!(sys::lseek(fd.raw(), 0, SEEK_END)), 64 << 20);
    let p2 = ok!(Fd::open(c"/dev/mmcblk0p2", O_RDONLY));
    check_eq!(ok!(ioctl_u64(&p2, BLKGETSIZE64)), 31744 * 1024);
    // A terminal request is not a block device's.
    check_err!(sys::tcgets(fd.raw()), Errno::ENOTTY);
    Ok(())
}

fn end_of_device() -> TestResult {
    need_card()?;
    let fd = ok!(Fd::open(c"/dev/mmcblk0p1", O_RDWR));
    let size = 32768 * 1024u64;
    let mut buf = [0u8; 1024];
    check_eq!(ok!(pread(&fd, &mut buf, size)), 0);
    check_eq!(ok!(pread(&fd, &mut buf, size - 100)), 100);
    check_err!(pwrite(&fd, &buf, size), Errno::ENOSPC);
    // A write across the end is cut short: the last 512 bytes of
    // partition 1 (inside the FAT's unused end) are rewritten as they were.
    let mut tail = [0u8; 512];
    ok!(pread(&fd, &mut tail, size - 512));
    check_eq!(
        ok!(pwrite(&fd, &[&tail[..], &[0xee; 512]].concat(), size - 512)),
        512
    );
    Ok(())
}

fn disk_and_partition_see_the_same_bytes() -> TestResult {
    need_card()?;
    let p2 = ok!(Fd::open(c"/dev/mmcblk0p2", O_RDWR));
    let disk = ok!(Fd::open(c"/dev/mmcblk0", O_RDONLY));
    // An odd offset and length: partial blocks on both ends.
    check_eq!(ok!(pwrite(&p2, b"shared-bytes", 12345)), 12);
    let mut buf = [0u8; 12];
    ok!(pread(&disk, &mut buf, P2_START * 512 + 12345));
    check_eq!(&buf, b"shared-bytes");
    Ok(())
}

fn a_megabyte_written_reaches_the_card() -> TestResult {
    need_card()?;
    let p2 = ok!(Fd::open(c"/dev/mmcblk0p2", O_RDWR));
    let data: Vec<u8> = (0..1 << 20).map(pattern).collect();
    check_eq!(ok!(pwrite(&p2, &data, MEGABYTE_AT)), data.len());
    check_eq!(ok!(fsync(&p2)), 0);
    // Drop the cache (BLKFLSBUF), so the read comes from the card.
    // SAFETY: BLKFLSBUF takes no argument.
    ok!(unsafe { sys::ioctl(p2.raw(), BLKFLSBUF, 0) });
    let mut back = vec![0u8; 1 << 20];
    check_eq!(ok!(pread(&p2, &mut back, MEGABYTE_AT)), back.len());
    check!(back == data, "the megabyte read back differs");
    Ok(())
}

fn written_before_poweroff() -> TestResult {
    need_card()?;
    // Left dirty in the cache: reboot(2) must write it back (the host
    // finds it in the image after the power-off).
    let p2 = ok!(Fd::open(c"/dev/mmcblk0p2", O_RDWR));
    check_eq!(
        ok!(pwrite(&p2, b"WRITTEN-BEFORE-POWEROFF", POWEROFF_AT)),
        23
    );
    Ok(())
}

fn ram_disk_round_trip() -> TestResult {
    if !on_pikern() || sys::open(c"/dev/ram0", O_RDONLY).map(sys::close).is_err() {
        skip!("no /dev/ram0 (boot with brd.rd_nr=1)");
    }
    let fd = ok!(Fd::open(c"/dev/ram0", O_RDWR));
    check_eq!(ok!(ioctl_u64(&fd, BLKGETSIZE64)), 1024 * 1024);
    // Never written: zeros, as brd gives.
    let mut buf = [1u8; 4096];
    ok!(pread(&fd, &mut buf, 8192));
    check!(
        buf.iter().all(|&b| b == 0),
        "an unwritten RAM disk reads non-zero"
    );
    let data: Vec<u8> = (0..100_000).map(pattern).collect();
    check_eq!(ok!(pwrite(&fd, &data, 777)), data.len());
    check_eq!(ok!(fsync(&fd)), 0);
    // SAFETY: BLKFLSBUF takes no argument.
    ok!(unsafe { sys::ioctl(fd.raw(), BLKFLSBUF, 0) });
    let mut back = vec![0u8; data.len()];
    ok!(pread(&fd, &mut back, 777));
    check!(back == data, "the RAM disk gave back other bytes");
    // A node made by mknod for (1, 0) is the same disk.
    let _ = sys::unlinkat(AT_FDCWD, c"/tmp/ut-ram0", 0);
    ok!(mknod(c"/tmp/ut-ram0", S_IFBLK | 0o600, 0x100));
    let again = ok!(Fd::open(c"/tmp/ut-ram0", O_RDONLY));
    let mut b = [0u8; 3];
    ok!(pread(&again, &mut b, 777));
    check_eq!(&b[..], &data[..3]);
    let _ = sys::unlinkat(AT_FDCWD, c"/tmp/ut-ram0", 0);
    Ok(())
}

fn mknod(path: &CStr, mode: u32, dev: u32) -> Result<usize, Errno> {
    // SAFETY: a NUL-terminated path, only read.
    Errno::result(unsafe {
        syscall4(
            nr::MKNODAT,
            AT_FDCWD as usize,
            path.as_ptr() as usize,
            mode as usize,
            dev as usize,
        )
    })
}

fn missing_devices() -> TestResult {
    need_card()?;
    check_err!(sys::open(c"/dev/mmcblk0p5", O_RDONLY), Errno::ENOENT);
    // A node for a number no disk has: ENXIO, as on Linux.
    let _ = sys::unlinkat(AT_FDCWD, c"/tmp/ut-nodisk", 0);
    ok!(mknod(c"/tmp/ut-nodisk", S_IFBLK | 0o600, (179 << 8) | 7));
    check_err!(sys::open(c"/tmp/ut-nodisk", O_RDONLY), Errno::ENXIO);
    let _ = sys::unlinkat(AT_FDCWD, c"/tmp/ut-nodisk", 0);
    Ok(())
}
