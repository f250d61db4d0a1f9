//! vfat (Linux's `fs/fat/`): a FAT12/16/32 volume on a block device
//! mounted into the VFS, through the `hadris-fat` glue in
//! `libkernel::fs::fat`.
//!
//! The design is the simplest sound one: a FAT directory is a ramfs
//! directory whose entries are read from the volume the first time it is
//! looked in; a FAT file is a ramfs file whose data is read into its page
//! cache the first time it is opened (exec and mmap open it too), so exec,
//! mmap, read and write need nothing new. Every change to a name (create, mkdir, unlink, rmdir,
//! rename) goes to the volume first and to the tree only if the volume
//! took it. A file whose page cache changed is on the super block's dirty
//! list and is written back, data first and then its directory entry (the
//! driver's order: an interrupted write-back leaves the earlier size, at
//! worst lost clusters), on the last close of a writer, `fsync`, `sync`
//! and `umount`. Whole files live in memory while mounted: fine for the
//! boot partition's programs and traces; real `readpage`/`writepage` would
//! be the step after.

use super::{Inode, InodeKind, InodeOperations, SuperOperations};
use crate::block::BlockDevice;
use crate::errno::*;
use crate::mm::filemap::AddressSpace;
use crate::sync::{IrqSpinLock, Mutex, SpinLock};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use libkernel::fs::fat::{Clock, DateTime, Disk, FatAttr, FatError, FatVolume, Node};
use libkernel::uapi;

/// What a volume lives on.
enum Backing {
    /// A disk or partition (`/dev/mmcblk0p1`, `/dev/ram0`), through the
    /// block layer's buffer cache.
    Bdev(Arc<BlockDevice>),
    /// A regular file (an image in the initramfs): what `mount -o loop`
    /// gives on Linux, here without the loop device in between.
    Image(Arc<Inode>),
}

impl Disk for Backing {
    fn nr_sectors(&self) -> u64 {
        match self {
            Backing::Bdev(b) => b.nr_sectors(),
            Backing::Image(i) => i.size() / 512,
        }
    }

    fn read_only(&self) -> bool {
        match self {
            Backing::Bdev(b) => b.read_only(),
            Backing::Image(_) => false,
        }
    }

    fn read_at(&mut self, off: u64, buf: &mut [u8]) -> Result<(), i32> {
        match self {
            Backing::Bdev(b) => b.read_at(off, buf).map_err(|e| e.0),
            Backing::Image(i) => {
                let InodeKind::File(d) = &i.kind else {
                    return Err(uapi::EIO);
                };
                let d = d.lock();
                let n = d.read_at(off, buf);
                drop(d);
                if n != buf.len() {
                    return Err(uapi::EIO);
                }
                Ok(())
            }
        }
    }

    fn write_at(&mut self, off: u64, buf: &[u8]) -> Result<(), i32> {
        match self {
            Backing::Bdev(b) => b.write_at(off, buf).map_err(|e| e.0),
            Backing::Image(i) => {
                let InodeKind::File(d) = &i.kind else {
                    return Err(uapi::EIO);
                };
                if off + buf.len() as u64 > i.size() {
                    return Err(uapi::EIO);
                }
                let mut d = d.lock();
                let r = d.write_at(off, buf);
                drop(d);
                match r {
                    Ok(n) if n == buf.len() => Ok(()),
                    _ => Err(uapi::EIO),
                }
            }
        }
    }

    fn flush(&mut self) -> Result<(), i32> {
        match self {
            Backing::Bdev(b) => b.sync().map_err(|e| e.0),
            Backing::Image(_) => Ok(()),
        }
    }
}

/// The clock new and changed entries are stamped with: the kernel's real
/// time, but never before 1980, the first time FAT can hold (Linux's
/// `fat_time_unix2fat` clamps the same way on a Pi without an RTC).
struct KernelClock;

/// 1980-01-01 00:00:00 UTC.
const FAT_EPOCH: i64 = 315_532_800;

impl Clock for KernelClock {
    fn now(&self) -> DateTime {
        let t = super::current_time().tv_sec.max(FAT_EPOCH);
        DateTime::from_unix_seconds(t).unwrap_or(DateTime::UNIX_EPOCH)
    }
}

static CLOCK: KernelClock = KernelClock;

/// A mounted volume (`struct msdos_sb_info`).
pub struct FatSb {
    /// The device's name for messages (`mmcblk0p1`).
    name: String,
    /// The volume; `None` once unmounted. A sleeping lock: the disk
    /// may sleep while it reads or writes.
    vol: Mutex<Option<FatVolume<Backing>>>,
    /// The block device's number (0 for an image file).
    devt: u64,
    /// Files whose page cache differs from the volume (`b_dirty`).
    dirty: SpinLock<Vec<Arc<Inode>>>,
    /// Nodes of inodes gone (`evict_inode`), released by the next
    /// operation: an inode may be dropped where the volume's sleeping
    /// lock cannot be taken.
    evicted: SpinLock<Vec<Node>>,
    /// Mounted: cleared by `put_super`, after which nothing is queued.
    vol_alive: AtomicBool,
    /// `fmask`, `dmask`, `uid`, `gid` (Linux's vfat defaults: the
    /// mounter's umask, root).
    fmask: u32,
    dmask: u32,
    uid: u32,
    gid: u32,
}

impl FatSb {
    /// Runs `f` on the volume; a failure is the driver's errno, and one
    /// that means a damaged volume is logged as Linux's `fat_fs_error`
    /// does.
    fn with<R>(
        &self,
        f: impl FnOnce(&mut FatVolume<Backing>) -> Result<R, FatError>,
    ) -> Result<R, Errno> {
        let mut g = self.vol.lock();
        let Some(v) = g.as_mut() else {
            drop(g);
            return Err(EIO);
        };
        let gone = core::mem::take(&mut *self.evicted.lock());
        for n in gone {
            v.forget(n);
        }
        let r = f(v);
        drop(g);
        r.map_err(|e| {
            if e.errno == uapi::EIO {
                println!("FAT-fs ({}): {}", self.name, e.msg);
            }
            Errno(e.errno)
        })
    }

    /// The mode a FAT entry shows (`fat_make_mode`): everything the masks
    /// allow, without write permission for a read-only entry.
    fn mode(&self, is_dir: bool, read_only: bool) -> u32 {
        let mut m = if is_dir {
            uapi::S_IFDIR | (0o777 & !self.dmask)
        } else {
            uapi::S_IFREG | (0o777 & !self.fmask)
        };
        if read_only && !is_dir {
            m &= !0o222;
        }
        m
    }

    /// Writes back every dirty file (`writeback_inodes_sb`).
    fn writeback_all(&self) -> Result<(), Errno> {
        let list: Vec<Arc<Inode>> = core::mem::take(&mut *self.dirty.lock());
        let mut res = Ok(());
        for i in list {
            if let Some(op) = i.i_op.get() {
                if let Err(e) = op.fsync(&i) {
                    res = res.and(Err(e));
                }
            }
        }
        res
    }
}

/// A FAT inode's link to its volume (`struct msdos_inode_info`).
struct FatInode {
    sb: Arc<FatSb>,
    /// The driver's node, pinned while the inode lives.
    node: Node,
    /// The inode itself (for the dirty list).
    me: Weak<Inode>,
    /// Entries or data read in.
    filled: AtomicBool,
    /// The page cache differs from the volume.
    dirty: AtomicBool,
    /// Bytes the file's clusters hold on the volume: a write within them
    /// needs no new cluster.
    allocated: AtomicU64,
}

fn ts(secs: i64) -> uapi::Timespec {
    uapi::Timespec {
        tv_sec: secs,
        tv_nsec: 0,
    }
}

/// A new inode for `node` with attributes `a`.
fn new_inode(sb: &Arc<FatSb>, node: Node, a: &FatAttr, filled: bool) -> Arc<Inode> {
    let kind = if a.is_dir {
        InodeKind::Dir(IrqSpinLock::new(BTreeMap::new()))
    } else {
        // The size without the data (a hole): `stat` and `ls -l` need
        // no read of the file; its first open fills the pages.
        let mut m = AddressSpace::new();
        m.truncate(a.size);
        InodeKind::File(IrqSpinLock::new(m))
    };
    let inode = Inode::new(sb.mode(a.is_dir, a.read_only), kind);
    inode.set_owner(Some(sb.uid), Some(sb.gid));
    inode.set_perm(sb.mode(a.is_dir, a.read_only));
    inode.set_all_times([ts(a.atime), ts(a.mtime), ts(a.ctime)]);
    attach(sb, &inode, node, filled, a.allocated);
    inode
}

fn attach(sb: &Arc<FatSb>, inode: &Arc<Inode>, node: Node, filled: bool, allocated: u64) {
    let op: Arc<dyn InodeOperations> = Arc::new(FatInode {
        sb: sb.clone(),
        node,
        me: Arc::downgrade(inode),
        filled: AtomicBool::new(filled),
        dirty: AtomicBool::new(false),
        allocated: AtomicU64::new(allocated),
    });
    inode.i_op.call_once(|| op);
}

/// Bytes moved per step between the volume and the page cache.
const CHUNK: usize = 16 * 1024;

impl FatInode {
    /// `fat_readdir` into the tree: an inode per entry.
    fn fill_dir(&self, v: &mut FatVolume<Backing>, dir: &Inode) -> Result<(), FatError> {
        let InodeKind::Dir(d) = &dir.kind else {
            return Ok(());
        };
        for e in v.readdir(self.node)? {
            if d.lock().contains_key(&e.name) {
                continue;
            }
            let n = v.lookup(self.node, &e.name)?;
            let a = v.stat(n)?;
            let child = new_inode(&self.sb, n, &a, false);
            child.inc_nlink();
            let mut g = d.lock();
            g.insert(e.name, child);
            drop(g);
        }
        Ok(())
    }

    /// Reads the file's data into its page cache (`fat_readpage` for all
    /// pages at once).
    fn fill_file(&self, v: &mut FatVolume<Backing>, file: &Inode) -> Result<(), FatError> {
        let InodeKind::File(d) = &file.kind else {
            return Ok(());
        };
        let size = v.stat(self.node)?.size;
        if size > super::ramfs::MAX_FILE_SIZE as u64 {
            return Err(FatError {
                errno: uapi::EFBIG,
                msg: "file larger than the page cache takes",
            });
        }
        let mut buf = alloc::vec![0u8; CHUNK];
        let mut off = 0u64;
        while off < size {
            let want = (size - off).min(CHUNK as u64) as usize;
            let got = v.read(self.node, off, &mut buf[..want])?;
            if got != want {
                return Err(FatError {
                    errno: uapi::EIO,
                    msg: "file shorter than its directory entry says",
                });
            }
            let mut g = d.lock();
            let r = g.write_at(off, &buf[..want]);
            drop(g);
            r.map_err(|_| FatError {
                errno: uapi::ENOMEM,
                msg: "out of memory",
            })?;
            off += want as u64;
        }
        Ok(())
    }

    /// Writes the page cache back: data, then the entry's size and time.
    fn writeback(&self, v: &mut FatVolume<Backing>, file: &Inode) -> Result<(), FatError> {
        let InodeKind::File(d) = &file.kind else {
            return Ok(());
        };
        let size = d.lock().len() as u64;
        v.open(self.node, true)?;
        let r = (|| -> Result<(), FatError> {
            v.truncate(self.node, size)?;
            let mut buf = alloc::vec![0u8; CHUNK];
            let mut off = 0u64;
            while off < size {
                let want = (size - off).min(CHUNK as u64) as usize;
                let g = d.lock();
                let got = g.read_at(off, &mut buf[..want]);
                drop(g);
                v.write(self.node, off, &buf[..got])?;
                if got < want {
                    break;
                }
                off += want as u64;
            }
            Ok(())
        })();
        let c = v.close(self.node);
        r?;
        c?;
        self.allocated
            .store(v.stat(self.node)?.allocated, Ordering::Release);
        v.fsync(self.node)
    }
}

impl InodeOperations for FatInode {
    fn fill(&self, inode: &Inode) -> Result<(), Errno> {
        if self.filled.load(Ordering::Acquire) {
            return Ok(());
        }
        self.sb.with(|v| {
            // Under the volume's lock: one task fills, the others wait.
            if self.filled.load(Ordering::Acquire) {
                return Ok(());
            }
            if inode.is_dir() {
                self.fill_dir(v, inode)?;
            } else {
                self.fill_file(v, inode)?;
            }
            self.filled.store(true, Ordering::Release);
            Ok(())
        })
    }

    fn create(&self, _dir: &Inode, name: &str, child: &Arc<Inode>) -> Result<(), Errno> {
        if child.i_op.get().is_some() {
            // A second name for a file: FAT has no hard links.
            return Err(EPERM);
        }
        let is_dir = match &child.kind {
            InodeKind::Dir(_) => true,
            InodeKind::File(_) => false,
            // Symbolic links and device nodes: vfat has no place for them.
            _ => return Err(EPERM),
        };
        let node = self.sb.with(|v| {
            if is_dir {
                v.mkdir(self.node, name)
            } else {
                v.create(self.node, name)
            }
        })?;
        child.set_owner(Some(self.sb.uid), Some(self.sb.gid));
        child.set_perm(self.sb.mode(is_dir, false));
        attach(&self.sb, child, node, true, 0);
        Ok(())
    }

    fn remove(&self, _dir: &Inode, name: &str, rmdir: bool) -> Result<(), Errno> {
        self.sb.with(|v| {
            if rmdir {
                v.rmdir(self.node, name)
            } else {
                v.unlink(self.node, name)
            }
        })
    }

    fn rename(&self, ndir: &Inode, oname: &str, nname: &str, noreplace: bool) -> Result<(), Errno> {
        let nnode = ndir.i_op.get().map(|o| o.private()).ok_or(EXDEV)?;
        self.sb
            .with(|v| v.rename(self.node, oname, nnode, nname, noreplace))
    }

    fn write_begin(&self, _inode: &Inode, end: u64) -> Result<(), Errno> {
        if end <= self.allocated.load(Ordering::Acquire) {
            return Ok(());
        }
        // The entry grows to `end` now (zeros until written back): the
        // clusters are the file's, or the volume is full and nothing
        // changed.
        let allocated = self.sb.with(|v| {
            let size = v.stat(self.node)?.size;
            if end > size {
                v.open(self.node, true)?;
                let r = v.truncate(self.node, end);
                let c = v.close(self.node);
                r?;
                c?;
            }
            Ok(v.stat(self.node)?.allocated)
        })?;
        self.allocated.store(allocated, Ordering::Release);
        Ok(())
    }

    fn mark_dirty(&self) {
        if !self.dirty.swap(true, Ordering::AcqRel) {
            if let Some(me) = self.me.upgrade() {
                self.sb.dirty.lock().push(me);
            }
        }
    }

    fn fsync(&self, inode: &Inode) -> Result<(), Errno> {
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let r = self.sb.with(|v| self.writeback(v, inode));
        match r {
            // Removed from the volume while open: nothing to write to.
            Err(e) if e == ENOENT || e == ESTALE => Ok(()),
            Err(e) => {
                println!("FAT-fs ({}): write back failed: {e}", self.sb.name);
                Err(e)
            }
            Ok(()) => Ok(()),
        }
    }

    fn private(&self) -> u64 {
        self.node
    }
}

impl Drop for FatInode {
    /// The inode is gone: its node's pin goes at the volume's next
    /// operation (nothing to do once unmounted).
    fn drop(&mut self) {
        if self.sb.vol_alive.load(Ordering::Acquire) {
            self.sb.evicted.lock().push(self.node);
        }
    }
}

/// The super block's operations.
struct FatSuper(Arc<FatSb>);

impl SuperOperations for FatSuper {
    fn sync_fs(&self) -> Result<(), Errno> {
        let r = self.0.writeback_all();
        r.and(self.0.with(|v| v.sync()))
    }

    fn statfs(&self, st: &mut uapi::Statfs) -> Result<(), Errno> {
        let s = self.0.with(|v| v.statfs())?;
        st.f_bsize = s.cluster_size as u64;
        st.f_frsize = s.cluster_size as u64;
        st.f_blocks = s.clusters;
        st.f_bfree = s.free;
        st.f_bavail = s.free;
        // Linux's vfat: 255 characters of up to 6 bytes each.
        st.f_namelen = 1530;
        Ok(())
    }

    fn put_super(&self) -> Result<(), Errno> {
        let r = self.sync_fs();
        self.0.vol_alive.store(false, Ordering::Release);
        self.0.evicted.lock().clear();
        let v = self.0.vol.lock().take();
        MOUNTED.lock().retain(|&d| d != self.0.devt);
        if let Some(v) = v {
            if let Err((e, _)) = v.unmount() {
                println!("FAT-fs ({}): unmount: {}", self.0.name, e.msg);
                return Err(Errno(e.errno));
            }
        }
        r
    }
}

/// The block devices mounted as FAT volumes.
static MOUNTED: SpinLock<Vec<u64>> = SpinLock::new(Vec::new());

/// The options a `vfat` mount takes (`vfat_tokens`, `fat_tokens`); those
/// that change nothing here are accepted as Linux accepts them.
const OPTIONS: &[&str] = &[
    "fmask",
    "dmask",
    "umask",
    "uid",
    "gid",
    "codepage",
    "iocharset",
    "shortname",
    "errors",
    "utf8",
    "flush",
    "tz",
    "time_offset",
    "allow_utime",
    "quiet",
    "showexec",
    "sys_immutable",
    "discard",
    "nfs",
    "dos1xfloppy",
    "check",
    "usefree",
];

/// A mounted volume: its root directory, its operations and the options
/// `/proc/mounts` shows.
pub type Mounted = (Arc<Inode>, Arc<dyn SuperOperations>, String);

/// `vfat_fill_super`: opens the device `devname`, checks and mounts the
/// volume; returns its root, its operations and the options
/// `/proc/mounts` shows.
#[inline(never)]
pub fn fill_super(devname: &str, read_only: bool, data: &str) -> Result<Mounted, Errno> {
    let (mut fmask, mut dmask, mut uid, mut gid) = (0o022, 0o022, 0, 0);
    for (k, v) in libkernel::fs::mount::split_options(data) {
        let oct = || u32::from_str_radix(v.unwrap_or(""), 8).map_err(|_| EINVAL);
        let dec = || v.unwrap_or("").parse::<u32>().map_err(|_| EINVAL);
        match k {
            "fmask" => fmask = oct()? & 0o777,
            "dmask" => dmask = oct()? & 0o777,
            "umask" => {
                fmask = oct()? & 0o777;
                dmask = fmask;
            }
            "uid" => uid = dec()?,
            "gid" => gid = dec()?,
            k if OPTIONS.contains(&k) || libkernel::fs::mount::is_common_sb_option(k) => {}
            _ => {
                let dev = devname.rsplit('/').next().unwrap_or(devname);
                println!("FAT-fs ({dev}): Unrecognized mount option \"{k}\" or missing value");
                return Err(EINVAL);
            }
        }
    }
    let dev = super::lookup_path("/", devname.as_bytes())?;
    let (backing, name, devt) = match &dev.kind {
        InodeKind::File(_) => (
            Backing::Image(dev.clone()),
            String::from(devname.rsplit('/').next().unwrap_or(devname)),
            0,
        ),
        _ => {
            let b = crate::block::lookup_bdev(devname)?;
            let name = String::from(b.name());
            let devt = b.devt();
            (Backing::Bdev(b), name, devt)
        }
    };
    // One mount of a device at a time (Linux shares the super block; a
    // second volume over the same sectors would undo the first's writes).
    if devt != 0 && MOUNTED.lock().contains(&devt) {
        return Err(EBUSY);
    }
    // A read-only disk mounts read-only (Linux: with a warning).
    let read_only = read_only || Disk::read_only(&backing);
    let vol = match FatVolume::mount(backing, read_only, &CLOCK) {
        Ok(v) => v,
        Err((e, _)) => {
            println!("FAT-fs ({name}): {}", e.msg);
            return Err(Errno(e.errno));
        }
    };
    if vol.was_dirty() {
        println!(
            "FAT-fs ({name}): Volume was not properly unmounted. Some data may be corrupt. Please run fsck."
        );
    }
    if devt != 0 {
        MOUNTED.lock().push(devt);
    }
    let root_node = vol.root();
    let sb = Arc::new(FatSb {
        name,
        vol: Mutex::new(Some(vol)),
        devt,
        dirty: SpinLock::new(Vec::new()),
        evicted: SpinLock::new(Vec::new()),
        vol_alive: AtomicBool::new(true),
        fmask,
        dmask,
        uid,
        gid,
    });
    let a = sb.with(|v| v.stat(root_node))?;
    let root = new_inode(&sb, root_node, &a, false);
    let mut shown = String::new();
    if uid != 0 {
        shown.push_str(&alloc::format!(",uid={uid}"));
    }
    if gid != 0 {
        shown.push_str(&alloc::format!(",gid={gid}"));
    }
    shown.push_str(&alloc::format!(
        ",fmask={fmask:04o},dmask={dmask:04o},codepage=437,iocharset=ascii,shortname=mixed,errors=remount-ro"
    ));
    Ok((root, Arc::new(FatSuper(sb)), shown))
}
