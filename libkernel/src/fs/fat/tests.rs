//! Host tests of the FAT glue over images `mkfs.vfat` and mtools make
//! (Debian's dosfstools and mtools), read back with mtools.

use super::*;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// An image in memory.
struct Mem(Vec<u8>, bool);

impl Disk for Mem {
    fn nr_sectors(&self) -> u64 {
        (self.0.len() / SECTOR_SIZE) as u64
    }
    fn read_only(&self) -> bool {
        self.1
    }
    fn read_at(&mut self, off: u64, buf: &mut [u8]) -> Result<(), i32> {
        let off = off as usize;
        let end = off.checked_add(buf.len()).ok_or(uapi::EINVAL)?;
        buf.copy_from_slice(self.0.get(off..end).ok_or(uapi::EINVAL)?);
        Ok(())
    }
    fn write_at(&mut self, off: u64, buf: &[u8]) -> Result<(), i32> {
        let off = off as usize;
        let end = off.checked_add(buf.len()).ok_or(uapi::EINVAL)?;
        self.0
            .get_mut(off..end)
            .ok_or(uapi::EINVAL)?
            .copy_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), i32> {
        Ok(())
    }
}

struct TestClock;
impl Clock for TestClock {
    fn now(&self) -> hadris_fs::DateTime {
        // 2026-01-02 03:04:06 UTC.
        hadris_fs::DateTime::from_unix_seconds(1_767_323_046).unwrap()
    }
}
static CLOCK: TestClock = TestClock;

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A scratch file path for this test process.
fn scratch(tag: &str) -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    format!(
        "{}/pikern-fat-{}-{}-{}.img",
        std::env::temp_dir().display(),
        std::process::id(),
        tag,
        n
    )
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .expect("run host tool (apt-get install dosfstools mtools)");
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh volume of `kib` KiB made by `mkfs.vfat` (`-F 32` if `fat32`),
/// with `files` (name, contents) copied in by `mcopy`.
fn mkfs(kib: u64, fat32: bool, files: &[(&str, &[u8])]) -> Vec<u8> {
    let img = scratch("mk");
    let mut c = Command::new("mkfs.vfat");
    c.arg("-C").arg("-n").arg("PIKERN");
    if fat32 {
        c.args(["-F", "32"]);
    }
    c.arg(&img).arg(kib.to_string());
    run(&mut c);
    for (name, data) in files {
        let src = scratch("src");
        std::fs::write(&src, data).unwrap();
        let parts: Vec<&str> = name.split('/').collect();
        for i in 1..parts.len() {
            let _ = Command::new("mmd")
                .args([
                    "-D",
                    "s",
                    "-i",
                    &img,
                    &format!("::/{}", parts[..i].join("/")),
                ])
                .output();
        }
        run(Command::new("mcopy").args(["-i", &img, &src, &format!("::/{name}")]));
        std::fs::remove_file(&src).unwrap();
    }
    let v = std::fs::read(&img).unwrap();
    std::fs::remove_file(&img).unwrap();
    v
}

/// What mtools sees in a volume: `fsck.vfat -n` must find it clean, and
/// `mtype` gives a file's bytes.
fn fsck_clean(img: &[u8]) {
    let p = scratch("fsck");
    std::fs::write(&p, img).unwrap();
    let out = Command::new("fsck.vfat").args(["-n", &p]).output().unwrap();
    std::fs::remove_file(&p).unwrap();
    assert!(
        out.status.success(),
        "fsck.vfat: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn mtype(img: &[u8], name: &str) -> Vec<u8> {
    let p = scratch("mtype");
    std::fs::write(&p, img).unwrap();
    let out = Command::new("mtype")
        .args(["-i", &p, &format!("::/{name}")])
        .output()
        .unwrap();
    std::fs::remove_file(&p).unwrap();
    assert!(out.status.success(), "mtype {name}");
    out.stdout
}

fn mount(img: Vec<u8>) -> FatVolume<Mem> {
    match FatVolume::mount(Mem(img, false), false, &CLOCK) {
        Ok(v) => v,
        Err((e, _)) => panic!("mount: {e:?}"),
    }
}

fn names(v: &mut FatVolume<Mem>, dir: Node) -> Vec<String> {
    let mut n: Vec<String> = v
        .readdir(dir)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    n.sort();
    n
}

#[test]
fn reads_long_names_and_data_mtools_wrote_fat16_and_fat32() {
    let big: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    for fat32 in [false, true] {
        let kib = if fat32 { 40 * 1024 } else { 8 * 1024 };
        let img = mkfs(
            kib,
            fat32,
            &[
                ("raspbian_fork", &big),
                ("README.TXT", b"hello\n"),
                ("bin/Hello World.elf", b"\x7fELF"),
            ],
        );
        let mut v = mount(img);
        let root = v.root();
        assert_eq!(names(&mut v, root), ["README.TXT", "bin", "raspbian_fork"]);
        let f = v.lookup(root, "raspbian_fork").unwrap();
        let a = v.stat(f).unwrap();
        assert!(!a.is_dir);
        assert_eq!(a.size, big.len() as u64);
        let mut buf = vec![0u8; big.len() + 10];
        assert_eq!(v.read(f, 0, &mut buf).unwrap(), big.len());
        assert_eq!(&buf[..big.len()], &big[..]);
        // Reads at an offset, and past the end.
        let mut b = [0u8; 5];
        assert_eq!(v.read(f, 4097, &mut b).unwrap(), 5);
        assert_eq!(b, big[4097..4102]);
        assert_eq!(v.read(f, big.len() as u64, &mut b).unwrap(), 0);
        // Lookup is case-insensitive, as vfat's is.
        let bin = v.lookup(root, "BIN").unwrap();
        assert!(v.stat(bin).unwrap().is_dir);
        assert_eq!(names(&mut v, bin), ["Hello World.elf"]);
        assert_eq!(
            v.lookup(root, "nope").unwrap_err().errno,
            uapi::ENOENT,
            "missing name"
        );
        let s = v.statfs().unwrap();
        assert!(s.free > 0 && s.free < s.clusters);
    }
}

#[test]
fn writes_that_fsck_and_mtools_accept() {
    let img = mkfs(8 * 1024, false, &[("old.txt", b"old")]);
    let mut v = mount(img);
    let root = v.root();
    let d = v.mkdir(root, "trace").unwrap();
    let f = v.create(d, "raspbian_fork.svg").unwrap();
    v.open(f, true).unwrap();
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 253) as u8).collect();
    v.write(f, 0, &data).unwrap();
    v.write(f, 50_000, b"tail").unwrap();
    v.close(f).unwrap();
    assert_eq!(v.stat(f).unwrap().size, 50_004);
    // Timestamps come from the clock.
    assert_eq!(v.stat(f).unwrap().mtime / 2, 1_767_323_046 / 2);
    // Rename across directories, replace, truncate, unlink, rmdir.
    let g = v.create(root, "short").unwrap();
    v.open(g, true).unwrap();
    v.write(g, 0, b"0123456789").unwrap();
    v.truncate(g, 4).unwrap();
    v.close(g).unwrap();
    v.rename(root, "short", d, "A much longer name.txt", false)
        .unwrap();
    let e = v.mkdir(root, "empty").unwrap();
    v.forget(e);
    assert_eq!(v.rmdir(root, "trace").unwrap_err().errno, uapi::ENOTEMPTY);
    v.rmdir(root, "empty").unwrap();
    v.unlink(root, "old.txt").unwrap();
    assert_eq!(v.unlink(root, "old.txt").unwrap_err().errno, uapi::ENOENT);
    assert_eq!(
        v.create(d, "raspbian_fork.svg").unwrap_err().errno,
        uapi::EEXIST
    );
    assert_eq!(
        v.rename(root, "nope", root, "x", false).unwrap_err().errno,
        uapi::ENOENT
    );
    v.forget(f);
    v.forget(g);
    v.forget(d);
    v.sync().unwrap();
    let img = v.unmount().map_err(|e| e.0).unwrap().0;
    fsck_clean(&img);
    assert_eq!(
        mtype(&img, "trace/raspbian_fork.svg"),
        [&data[..], b"tail"].concat()
    );
    assert_eq!(mtype(&img, "trace/A much longer name.txt"), b"0123");
    // And mounted again, the tree is the same.
    let mut v = mount(img);
    let root = v.root();
    assert_eq!(names(&mut v, root), ["trace"]);
    let d = v.lookup(root, "trace").unwrap();
    assert_eq!(
        names(&mut v, d),
        ["A much longer name.txt", "raspbian_fork.svg"]
    );
}

#[test]
fn full_volume_gives_enospc_and_stays_consistent() {
    let img = mkfs(1024, false, &[]);
    let mut v = mount(img);
    let root = v.root();
    let f = v.create(root, "keep").unwrap();
    v.open(f, true).unwrap();
    v.write(f, 0, b"earlier file").unwrap();
    v.close(f).unwrap();
    let g = v.create(root, "big").unwrap();
    v.open(g, true).unwrap();
    let chunk = vec![0xa5u8; 64 * 1024];
    let mut off = 0u64;
    let err = loop {
        match v.write(g, off, &chunk) {
            Ok(()) => off += chunk.len() as u64,
            Err(e) => break e,
        }
        assert!(off < 2 << 20, "a 1 MiB volume took 2 MiB");
    };
    assert_eq!(err.errno, uapi::ENOSPC);
    // A write that does not fit allocates nothing; smaller ones fill the
    // last clusters.
    let err = loop {
        match v.write(g, off, &chunk[..512]) {
            Ok(()) => off += 512,
            Err(e) => break e,
        }
    };
    assert_eq!(err.errno, uapi::ENOSPC);
    v.close(g).unwrap();
    assert_eq!(v.stat(g).unwrap().size, off);
    assert_eq!(v.statfs().unwrap().free, 0);
    v.forget(f);
    v.forget(g);
    let img = v.unmount().map_err(|e| e.0).unwrap().0;
    fsck_clean(&img);
    assert_eq!(mtype(&img, "keep"), b"earlier file");
}

#[test]
fn read_only_mount_refuses_writes() {
    let img = mkfs(1024, false, &[("a", b"x")]);
    let mut v = match FatVolume::mount(Mem(img, false), true, &CLOCK) {
        Ok(v) => v,
        Err((e, _)) => panic!("{e:?}"),
    };
    assert!(v.is_read_only());
    let root = v.root();
    assert_eq!(v.create(root, "b").unwrap_err().errno, uapi::EROFS);
    assert_eq!(v.unlink(root, "a").unwrap_err().errno, uapi::EROFS);
}

#[test]
fn bad_boot_sectors_fail_with_linux_messages() {
    let good = mkfs(1024, false, &[]);
    let cases: &[(usize, &[u8], &str)] = &[
        (14, &[0, 0], "bogus number of reserved sectors"),
        (16, &[0], "bogus number of FAT structure"),
        (21, &[0x12], "invalid media value"),
        (11, &[0x00, 0x03], "bogus logical sector size"),
        (13, &[3], "bogus sectors per cluster"),
        (
            19,
            &[0xff, 0xff],
            "bogus number of total sector count (larger than the device)",
        ),
    ];
    for (off, bytes, msg) in cases {
        let mut img = good.clone();
        img[*off..*off + bytes.len()].copy_from_slice(bytes);
        match FatVolume::mount(Mem(img, false), false, &CLOCK) {
            Ok(_) => panic!("{msg}: mounted"),
            Err((e, _)) => assert_eq!(e, FatError::new(uapi::EINVAL, msg)),
        }
    }
    // Zeros: not FAT at all.
    let e = FatVolume::mount(Mem(vec![0; 1 << 20], false), false, &CLOCK)
        .err()
        .unwrap()
        .0;
    assert_eq!(e.errno, uapi::EINVAL);
    // An empty device.
    assert_eq!(
        FatVolume::mount(Mem(Vec::new(), false), false, &CLOCK)
            .err()
            .unwrap()
            .0
            .errno,
        uapi::EINVAL
    );
}

/// Walks the whole tree and reads every file: what a user does after
/// mounting a damaged card. Any result is fine but a panic or a hang.
fn exercise(v: &mut FatVolume<Mem>, dir: Node, depth: u32, budget: &mut u32) {
    if depth > 8 || *budget == 0 {
        return;
    }
    let Ok(ents) = v.readdir(dir) else { return };
    for e in ents.into_iter().take(64) {
        *budget = budget.saturating_sub(1);
        let Ok(n) = v.lookup(dir, &e.name) else {
            continue;
        };
        if let Ok(a) = v.stat(n) {
            if a.is_dir {
                exercise(v, n, depth + 1, budget);
            } else {
                let mut buf = vec![0u8; 8192];
                let mut off = 0;
                while let Ok(got) = v.read(n, off, &mut buf) {
                    if got == 0 || off > 1 << 20 {
                        break;
                    }
                    off += got as u64;
                }
                if v.open(n, true).is_ok() {
                    let _ = v.write(n, a.size, b"more");
                    let _ = v.truncate(n, a.size / 2);
                    let _ = v.close(n);
                }
            }
        }
        v.forget(n);
    }
    let _ = v.create(dir, "new file name.txt");
    let _ = v.mkdir(dir, "newdir");
    let _ = v.rename(dir, "new file name.txt", dir, "renamed", false);
    let _ = v.unlink(dir, "renamed");
}

/// A small xorshift: the corruption is random but the run repeatable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Random corruption of the metadata (boot sector, FATs, directories):
/// mount and a walk over everything must end, without a panic. Longer
/// runs: `FAT_FUZZ_ROUNDS=100000 cargo test -p libkernel fat -- --nocapture`.
#[test]
fn corrupt_images_never_panic_or_hang() {
    let rounds: u64 = std::env::var("FAT_FUZZ_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let files: &[(&str, &[u8])] = &[
        ("a.txt", b"aaaa"),
        ("raspbian_fork", &[7u8; 9000]),
        ("d/e/long name here.bin", &[1u8; 3000]),
        ("d/f", b"f"),
    ];
    let bases = [mkfs(1024, false, files), mkfs(33 * 1024, true, files)];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = std::time::Instant::now();
    for round in 0..rounds {
        let base = &bases[(round % 2) as usize];
        let mut img = base.clone();
        // The metadata sits in the first part of the volume: the boot
        // sector, reserved sectors, FATs, the root directory and the
        // first directory clusters.
        let hot = if round % 2 == 0 {
            64 * 1024
        } else {
            600 * 1024
        };
        let n = 1 + rng.next() % 24;
        for _ in 0..n {
            let off = (rng.next() % hot) as usize;
            let v = rng.next();
            match v % 4 {
                0 => img[off] = (v >> 8) as u8,
                1 => img[off] ^= 1 << ((v >> 8) % 8),
                2 => img[off] = 0xff,
                _ => img[off] = 0,
            }
        }
        if round % 1000 == 999 {
            eprintln!("round {} at {:?}", round + 1, start.elapsed());
        }
        let t = std::time::Instant::now();
        if let Ok(mut v) = FatVolume::mount(Mem(img, false), false, &CLOCK) {
            let root = v.root();
            let mut budget = 400;
            exercise(&mut v, root, 0, &mut budget);
            let _ = v.sync();
            let _ = v.unmount();
        }
        assert!(
            t.elapsed().as_secs() < 10,
            "round {round} took {:?}",
            t.elapsed()
        );
    }
    eprintln!("{rounds} corrupt images in {:?}", start.elapsed());
}

/// A loop in a cluster chain (the last cluster points back at the
/// first): reads stop at the file size, as Linux's do, and growing the
/// file ends (`EIO`, or the loop cut) instead of going round forever.
#[test]
fn cluster_chain_loop_is_an_error() {
    let img = mkfs(8 * 1024, false, &[("loop", &[3u8; 20_000])]);
    // FAT16 (mkfs.vfat's choice for 8 MiB).
    let bpb = check_boot_sector(&img, (img.len() / 512) as u64).unwrap();
    let fat = bpb.reserved as usize * 512;
    let rootdir = fat + bpb.fats as usize * bpb.fat_length as usize * 512;
    let ent = (0..bpb.dir_entries as usize)
        .map(|i| rootdir + i * 32)
        .find(|&o| &img[o..o + 8] == b"LOOP    ")
        .unwrap();
    let first = u16::from_le_bytes([img[ent + 26], img[ent + 27]]) as usize;
    let next = |c: usize| u16::from_le_bytes([img[fat + c * 2], img[fat + c * 2 + 1]]) as usize;
    let mut last = first;
    while next(last) < 0xfff8 {
        last = next(last);
    }
    assert_ne!(last, first, "the file spans several clusters");
    let mut img = img;
    img[fat + last * 2..fat + last * 2 + 2].copy_from_slice(&(first as u16).to_le_bytes());
    let mut v = mount(img);
    let root = v.root();
    let f = v.lookup(root, "loop").unwrap();
    let mut buf = vec![0u8; 20_000];
    assert_eq!(v.read(f, 0, &mut buf).unwrap(), 20_000);
    v.open(f, true).unwrap();
    // The driver finds the end from the size, so it cuts the loop there
    // rather than walking it: either way the write ends.
    match v.write(f, 20_000, &[1u8; 70_000]) {
        Ok(()) => assert_eq!(v.stat(f).unwrap().size, 90_000),
        Err(e) => assert_eq!(e.errno, uapi::EIO, "{e:?}"),
    }
}

/// A disk that logs every write, for replaying a prefix of them: what the
/// card holds if the power goes after that many writes.
type WriteLog = std::sync::Arc<std::sync::Mutex<Vec<(u64, Vec<u8>)>>>;
struct Logged(Mem, WriteLog);

impl Disk for Logged {
    fn nr_sectors(&self) -> u64 {
        self.0.nr_sectors()
    }
    fn read_only(&self) -> bool {
        false
    }
    fn read_at(&mut self, off: u64, buf: &mut [u8]) -> Result<(), i32> {
        self.0.read_at(off, buf)
    }
    fn write_at(&mut self, off: u64, buf: &[u8]) -> Result<(), i32> {
        self.1.lock().unwrap().push((off, buf.to_vec()));
        self.0.write_at(off, buf)
    }
    fn flush(&mut self) -> Result<(), i32> {
        Ok(())
    }
}

/// An unclean stop at every point of a run of creates, writes, renames
/// and unlinks: the volume always mounts, a file written before the run
/// reads back intact, and a file the run finished (with `fsync`) before
/// the stop is there whole.
#[test]
fn unclean_stop_leaves_earlier_files_intact() {
    let keep: Vec<u8> = (0..5000u32).map(|i| (i % 199) as u8).collect();
    // FAT32, as on a Pi's boot partition (FAT12 has no clean bit).
    let base = mkfs(33 * 1024, true, &[("keep.bin", &keep), ("old.txt", b"old")]);
    let wlog = WriteLog::default();
    let mut v = match FatVolume::mount(
        Logged(Mem(base.clone(), false), wlog.clone()),
        false,
        &CLOCK,
    ) {
        Ok(v) => v,
        Err((e, _)) => panic!("{e:?}"),
    };
    let root = v.root();
    let mut synced_at = None;
    let d = v.mkdir(root, "trace").unwrap();
    let f = v.create(d, "raspbian_fork.txt").unwrap();
    v.open(f, true).unwrap();
    for i in 0..8u64 {
        v.write(f, i * 3000, &[b'a' + i as u8; 3000]).unwrap();
    }
    v.close(f).unwrap();
    v.fsync(f).unwrap();
    synced_at.get_or_insert(wlog.lock().unwrap().len());
    v.rename(root, "old.txt", d, "Renamed Long.txt", false)
        .unwrap();
    let g = v.create(root, "second").unwrap();
    v.open(g, true).unwrap();
    v.write(g, 0, &[7u8; 10_000]).unwrap();
    v.close(g).unwrap();
    v.unlink(root, "second").unwrap();
    v.sync().unwrap();
    drop(v);
    let log = core::mem::take(&mut *wlog.lock().unwrap());
    let synced_at = synced_at.unwrap();
    let (mut fsck_clean, mut dirty) = (0, 0);
    for k in 0..=log.len() {
        let mut img = base.clone();
        for (off, data) in &log[..k] {
            img[*off as usize..*off as usize + data.len()].copy_from_slice(data);
        }
        let mut v = match FatVolume::mount(Mem(img.clone(), false), false, &CLOCK) {
            Ok(v) => v,
            Err((e, _)) => panic!("after {k} of {} writes: mount: {e:?}", log.len()),
        };
        dirty += v.was_dirty() as u32;
        let root = v.root();
        let n = v.lookup(root, "keep.bin").unwrap();
        let mut buf = vec![0u8; 6000];
        assert_eq!(
            v.read(n, 0, &mut buf).unwrap(),
            keep.len(),
            "after {k} writes"
        );
        assert_eq!(&buf[..keep.len()], &keep[..], "after {k} writes");
        if k >= synced_at {
            let d = v.lookup(root, "trace").unwrap();
            let f = v.lookup(d, "raspbian_fork.txt").unwrap();
            let mut buf = vec![0u8; 24_000];
            assert_eq!(v.read(f, 0, &mut buf).unwrap(), 24_000, "after {k} writes");
            assert!(buf
                .chunks(3000)
                .enumerate()
                .all(|(i, c)| c.iter().all(|&b| b == b'a' + i as u8)));
        }
        // fsck.vfat at every 10th point (it takes a while) and the end,
        // where the volume must be clean.
        if k % 10 == 0 || k == log.len() {
            let p = scratch("crash");
            std::fs::write(&p, &img).unwrap();
            let out = Command::new("fsck.vfat").args(["-n", &p]).output();
            std::fs::remove_file(&p).unwrap();
            let ok = out.unwrap().status.success();
            assert!(ok || k != log.len(), "not clean after sync");
            fsck_clean += ok as u32;
        }
    }
    // Between the first change and the final sync the clean bit is off,
    // so fsck.vfat -n complains at most points (as after Linux): what
    // matters is that earlier data is intact and the volume mounts.
    eprintln!(
        "unclean stops: {} points, fsck.vfat clean at {fsck_clean} of those checked, clean bit off at {dirty}",
        log.len() + 1
    );
    assert!(dirty > 0, "an interrupted run leaves the clean bit off");
}
