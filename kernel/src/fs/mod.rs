//! A small VFS (Linux's `fs/`): inodes in a tree rooted at `/`, open files
//! with a position, per-process descriptor tables, and path lookup.
//!
//! `/` is a RAM filesystem (`ramfs`, shown as rootfs) filled from the
//! initramfs at boot. Inodes keep mode, owner, times and a link count.
//! Devices and pseudo-filesystems plug in through two traits: [`FileOps`]
//! for what reading and writing a file does, [`DirOps`] for a directory
//! whose entries are computed. File systems are mounted on directories
//! (`namespace`: devtmpfs at `/dev`, proc at `/proc`, tracefs at
//! `/sys/kernel/tracing`, and whatever `mount` adds); a path walk
//! ([`kern_path`]) knows which mount it is in.

pub mod devfs;
pub mod fat;
pub mod initramfs;
pub mod namespace;
pub mod pipe;
pub mod proc_fd;
pub mod procfs;
pub mod ramfs;
pub mod select;
pub mod syscalls;
pub mod xattr;

use crate::errno::*;
use crate::mm::filemap::AddressSpace;
use crate::sync::IrqSpinLock;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use libkernel::uapi;
use namespace::Mount;

/// What a file does when read, written or controlled.
pub trait FileOps: Send + Sync {
    /// Reads at `off` into `buf`; returns bytes read (0 at the end).
    fn read(&self, inode: &Inode, off: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    /// Writes `buf` at `off`; returns bytes written.
    fn write(&self, inode: &Inode, off: u64, buf: &[u8]) -> Result<usize, Errno>;
    /// `read` through an open file whose `O_*` flags are `file_flags`:
    /// files that can sleep (pipes) override it to honour `O_NONBLOCK`.
    fn read_file(
        &self,
        inode: &Inode,
        off: u64,
        buf: &mut [u8],
        _file_flags: u32,
    ) -> Result<usize, Errno> {
        self.read(inode, off, buf)
    }
    /// `write` through an open file whose `O_*` flags are `file_flags`.
    fn write_file(
        &self,
        inode: &Inode,
        off: u64,
        buf: &[u8],
        _file_flags: u32,
    ) -> Result<usize, Errno> {
        self.write(inode, off, buf)
    }
    /// Device control; `ENOTTY` unless the file is a terminal.
    fn ioctl(&self, _inode: &Inode, _cmd: u64, _arg: u64) -> Result<i64, Errno> {
        Err(ENOTTY)
    }
    /// Size for `stat`.
    fn size(&self, _inode: &Inode) -> u64 {
        0
    }
    /// Whether `lseek` makes sense (`ESPIPE` otherwise).
    fn seekable(&self) -> bool {
        true
    }
    /// Opened with `O_TRUNC` (a shell's `>`): control files reset here
    /// (`set_event` disables everything, `trace` is cleared).
    fn truncate(&self) {}
    /// What reading and writing would do now (`POLL*` bits, the file's
    /// `poll`): by default both are ready, as for files and devices that
    /// never block.
    fn poll(&self, _inode: &Inode) -> u16 {
        uapi::POLLIN | uapi::POLLRDNORM | uapi::POLLOUT | uapi::POLLWRNORM
    }
    /// Where a task waits for [`FileOps::poll`]'s answer to change (the
    /// queue `poll_wait` registers on); `None` if it never changes.
    fn poll_queue(&self) -> Option<&crate::sched::wait::WaitQueue> {
        None
    }
    /// The file is being opened with `O_*` `flags` (`f_op->open`): a
    /// terminal may become the caller's controlling terminal (`/dev/tty`
    /// fails without one), a named pipe gives an end of its pipe instead of
    /// a file on this inode. `Ok(None)`: the usual file; an error fails the
    /// `open`.
    fn open(&self, _inode: &Inode, _flags: u32) -> Result<Option<Arc<File>>, Errno> {
        Ok(None)
    }
    /// Reading never sleeps and always fills the buffer (`/dev/zero`,
    /// `/dev/urandom`): `read` then gives the whole count at once, as
    /// Linux's does, rather than one chunk.
    fn read_never_waits(&self) -> bool {
        false
    }
    /// Whether `fsync` means anything (Linux: `f_op->fsync` is set);
    /// `EINVAL` otherwise.
    fn fsync(&self) -> bool {
        false
    }
}

/// A directory whose entries are computed (a pseudo-filesystem).
pub trait DirOps: Send + Sync {
    /// The entry called `name`.
    fn lookup(&self, name: &str) -> Option<Arc<Inode>>;
    /// All entries: (name, inode number, `DT_*` type).
    fn readdir(&self) -> Vec<(String, u64, u8)>;
}

/// What a disk file system does for its inodes (Linux's
/// `inode_operations` and `address_space_operations` in spirit): its
/// directories and files are ramfs ones ([`InodeKind::Dir`],
/// [`InodeKind::File`]) filled from the volume on first use, and every
/// change to a name goes to the volume first, so exec, mmap, read and
/// write work on them as on any file.
pub trait InodeOperations: Send + Sync {
    /// Reads a directory's entries, or a file's data into its page cache,
    /// the first time they are needed (later calls do nothing).
    fn fill(&self, inode: &Inode) -> Result<(), Errno>;
    /// `create`/`mkdir`: puts `child` (a new, empty file or directory) on
    /// the volume as `name` in this directory, before the VFS links it.
    fn create(&self, dir: &Inode, name: &str, child: &Arc<Inode>) -> Result<(), Errno>;
    /// `unlink`/`rmdir` of `name` in this directory.
    fn remove(&self, dir: &Inode, name: &str, rmdir: bool) -> Result<(), Errno>;
    /// `rename` of `oname` in this directory to `nname` in `ndir` (on the
    /// same volume).
    fn rename(&self, ndir: &Inode, oname: &str, nname: &str, noreplace: bool) -> Result<(), Errno>;
    /// A write or truncate is about to make the file `end` bytes long
    /// (`write_begin`): the volume finds the room now, or fails `ENOSPC`.
    fn write_begin(&self, inode: &Inode, end: u64) -> Result<(), Errno>;
    /// The file's data changed in the page cache (`mark_inode_dirty`).
    fn mark_dirty(&self);
    /// `fsync`: writes the file's data and entry back, flushes the disk.
    fn fsync(&self, inode: &Inode) -> Result<(), Errno>;
    /// The file system's own number for the inode (`i_private`): how
    /// `rename` names the new directory to the volume.
    fn private(&self) -> u64;
}

/// What a disk file system does for the whole volume (`super_operations`).
pub trait SuperOperations: Send + Sync {
    /// `sync_fs`: writes back every dirty file and the metadata.
    fn sync_fs(&self) -> Result<(), Errno>;
    /// Fills the sizes of `statfs`.
    fn statfs(&self, st: &mut uapi::Statfs) -> Result<(), Errno>;
    /// `put_super` at `umount`: writes everything back and lets go of the
    /// device; later operations on its inodes fail with `EIO`.
    fn put_super(&self) -> Result<(), Errno>;
}

/// What an inode is.
pub enum InodeKind {
    /// A ramfs directory.
    Dir(IrqSpinLock<BTreeMap<String, Arc<Inode>>>),
    /// A ramfs regular file: its data in the page cache.
    File(IrqSpinLock<AddressSpace>),
    /// A symbolic link.
    Symlink(String),
    /// A device or pseudo file with its own operations.
    Special(Arc<dyn FileOps>),
    /// A computed directory.
    PseudoDir(Arc<dyn DirOps>),
}

/// An inode.
pub struct Inode {
    /// Inode number.
    pub ino: u64,
    /// `S_IF*` type and permission bits (`i_mode`; `chmod` changes the
    /// permission bits, never the type).
    mode: AtomicU32,
    /// Device number (character devices).
    pub rdev: u64,
    /// Owner and group (`i_uid`, `i_gid`).
    uid: AtomicU32,
    gid: AtomicU32,
    /// Names a directory gives this inode (`i_nlink`): hard links of a
    /// file; a directory counts its own `.` and its subdirectories' `..`
    /// on top (see [`Inode::nlink`]). [`NEVER_LINKED`] until a ramfs
    /// directory first names it.
    nlink: AtomicU32,
    /// Access, modification and change times (`i_atime`, `i_mtime`,
    /// `i_ctime`).
    times: IrqSpinLock<[uapi::Timespec; 3]>,
    /// The root of a mount (Linux's `DCACHE_MOUNTED`): path lookup asks
    /// the mount table which mount it entered only at such inodes.
    mounted: AtomicBool,
    /// Contents.
    pub kind: InodeKind,
    /// The disk file system behind it (`i_op` with its `i_private`), set
    /// once when it comes from a volume or goes onto one.
    pub i_op: spin::Once<Arc<dyn InodeOperations>>,
}

/// `Inode::nlink` of an inode no directory has named yet: a computed file,
/// a device, a pipe, which `stat` shows with one link (an unlinked ramfs
/// file shows none).
const NEVER_LINKED: u32 = u32::MAX;

/// Indexes of [`Inode`]'s times.
const ATIME: usize = 0;
const MTIME: usize = 1;
const CTIME: usize = 2;

static NEXT_INO: AtomicU64 = AtomicU64::new(1);
/// Open files alive (for leak checks).
pub static NR_FILES: AtomicUsize = AtomicUsize::new(0);

/// A fresh inode number.
pub fn alloc_ino() -> u64 {
    NEXT_INO.fetch_add(1, Ordering::Relaxed)
}

/// The time a file system stamps now (`current_time`): the real-time
/// clock, which on a Pi without an RTC counts from boot.
pub fn current_time() -> uapi::Timespec {
    let ns = crate::time::uptime_ns();
    uapi::Timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as i64,
    }
}

impl Inode {
    /// A new inode with a fresh number, owned by root, stamped now.
    pub fn new(mode: u32, kind: InodeKind) -> Arc<Inode> {
        Self::new_dev(mode, 0, kind)
    }

    /// As [`Inode::new`], for a device special file (`rdev`).
    pub fn new_dev(mode: u32, rdev: u64, kind: InodeKind) -> Arc<Inode> {
        let now = current_time();
        Arc::new(Inode {
            ino: alloc_ino(),
            mode: AtomicU32::new(mode),
            rdev,
            uid: AtomicU32::new(0),
            gid: AtomicU32::new(0),
            nlink: AtomicU32::new(NEVER_LINKED),
            times: IrqSpinLock::new([now; 3]),
            mounted: AtomicBool::new(false),
            kind,
            i_op: spin::Once::new(),
        })
    }

    /// `i_mode`: the type and permission bits.
    pub fn mode(&self) -> u32 {
        self.mode.load(Ordering::Relaxed)
    }

    /// `chmod`: new permission bits (`S_IALLUGO`), the type kept; the
    /// change time moves.
    pub fn set_perm(&self, perm: u32) {
        let _ = self
            .mode
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |m| {
                Some((m & uapi::S_IFMT) | (perm & uapi::S_IALLUGO))
            });
        self.touch_ctime();
    }

    /// `(uid, gid)`.
    pub fn owner(&self) -> (u32, u32) {
        (
            self.uid.load(Ordering::Relaxed),
            self.gid.load(Ordering::Relaxed),
        )
    }

    /// `chown`: `None` keeps that id (Linux's -1). A change of owner by
    /// root clears set-user-id, and set-group-id when group-execute is
    /// set, on a non-directory (`should_remove_suid`).
    pub fn set_owner(&self, uid: Option<u32>, gid: Option<u32>) {
        if let Some(u) = uid {
            self.uid.store(u, Ordering::Relaxed);
        }
        if let Some(g) = gid {
            self.gid.store(g, Ordering::Relaxed);
        }
        if !self.is_dir() && (uid.is_some() || gid.is_some()) {
            let _ = self
                .mode
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |m| {
                    let mut kill = uapi::S_ISUID;
                    if m & 0o010 != 0 {
                        kill |= uapi::S_ISGID;
                    }
                    Some(m & !kill)
                });
        }
        self.touch_ctime();
    }

    /// The times (`[atime, mtime, ctime]`).
    pub fn times(&self) -> [uapi::Timespec; 3] {
        *self.times.lock()
    }

    /// `utimensat`: sets access and modification times (`None` leaves
    /// one as it is); the change time becomes now.
    pub fn set_times(&self, atime: Option<uapi::Timespec>, mtime: Option<uapi::Timespec>) {
        let now = current_time();
        let mut t = self.times.lock();
        if let Some(a) = atime {
            t[ATIME] = a;
        }
        if let Some(m) = mtime {
            t[MTIME] = m;
        }
        t[CTIME] = now;
    }

    /// All three times at once, as a disk file system read them.
    pub fn set_all_times(&self, t: [uapi::Timespec; 3]) {
        *self.times.lock() = t;
    }

    /// The contents changed: modification and change times become now
    /// (`file_update_time`).
    pub fn touch_mtime(&self) {
        let now = current_time();
        let mut t = self.times.lock();
        t[MTIME] = now;
        t[CTIME] = now;
    }

    /// The inode itself changed (mode, owner, links): the change time.
    pub fn touch_ctime(&self) {
        self.times.lock()[CTIME] = current_time();
    }

    /// One more name for this inode (`inc_nlink`).
    pub fn inc_nlink(&self) {
        let _ = self
            .nlink
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(if n == NEVER_LINKED { 1 } else { n + 1 })
            });
    }

    /// One name fewer (`drop_nlink`).
    pub fn drop_nlink(&self) {
        let _ = self
            .nlink
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(if n == NEVER_LINKED {
                    0
                } else {
                    n.saturating_sub(1)
                })
            });
    }

    /// `st_nlink`: the names of a file; for a ramfs directory 2 (its name
    /// and its `.`) plus one `..` per subdirectory, as Linux counts.
    pub fn nlink(&self) -> u32 {
        match &self.kind {
            InodeKind::Dir(d) => 2 + d.lock().values().filter(|i| i.is_dir()).count() as u32,
            InodeKind::PseudoDir(_) => 2,
            _ => match self.nlink.load(Ordering::Relaxed) {
                NEVER_LINKED => 1,
                n => n,
            },
        }
    }

    /// The page cache of a disk file changed: it is written back on
    /// `fsync`, `close`, `sync` and `umount`.
    pub fn mark_dirty(&self) {
        if let Some(op) = self.i_op.get() {
            op.mark_dirty();
        }
    }

    /// Whether a mount's root is this inode.
    pub fn is_mountpoint(&self) -> bool {
        self.mounted.load(Ordering::Relaxed)
    }

    /// True for directories (ramfs or computed).
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, InodeKind::Dir(_) | InodeKind::PseudoDir(_))
    }

    /// Reads what a disk file system has not yet brought in (a
    /// directory's entries, a file's data); nothing for other inodes.
    pub fn fill(&self) -> Result<(), Errno> {
        match self.i_op.get() {
            Some(op) => op.fill(self),
            None => Ok(()),
        }
    }

    /// The entry `name` of a directory.
    pub fn lookup(&self, name: &str) -> Result<Arc<Inode>, Errno> {
        match &self.kind {
            InodeKind::Dir(d) if self.i_op.get().is_some() => {
                self.fill()?;
                let child = d.lock().get(name).cloned().ok_or(ENOENT)?;
                Ok(child)
            }
            InodeKind::Dir(d) => d.lock().get(name).cloned().ok_or(ENOENT),
            InodeKind::PseudoDir(p) => p.lookup(name).ok_or(ENOENT),
            _ => Err(ENOTDIR),
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        match &self.kind {
            InodeKind::File(d) => d.lock().len() as u64,
            InodeKind::Symlink(t) => t.len() as u64,
            InodeKind::Special(ops) => ops.size(self),
            _ => 0,
        }
    }

    /// The `stat` of this inode on the file system numbered `dev`.
    pub fn stat(&self, dev: u64) -> uapi::Stat {
        let size = self.size();
        let (uid, gid) = self.owner();
        let [a, m, c] = self.times();
        // Blocks of 512 bytes, as tmpfs counts the pages a file holds.
        let blocks = match &self.kind {
            InodeKind::File(_) => size.div_ceil(PAGE_BYTES) * (PAGE_BYTES / 512),
            _ => 0,
        };
        uapi::Stat {
            st_dev: dev,
            st_ino: self.ino,
            st_mode: self.mode(),
            st_nlink: self.nlink(),
            st_uid: uid,
            st_gid: gid,
            st_rdev: self.rdev,
            st_size: size as i64,
            st_blksize: PAGE_BYTES as i32,
            st_blocks: blocks as i64,
            st_atime: a.tv_sec,
            st_atime_nsec: a.tv_nsec as u64,
            st_mtime: m.tv_sec,
            st_mtime_nsec: m.tv_nsec as u64,
            st_ctime: c.tv_sec,
            st_ctime_nsec: c.tv_nsec as u64,
            ..uapi::Stat::default()
        }
    }
}

/// The page size, as file systems count blocks.
const PAGE_BYTES: u64 = crate::mm::PAGE_SIZE as u64;

/// The root of the filesystem tree.
static ROOT: spin::Once<Arc<Inode>> = spin::Once::new();

/// The root directory.
pub fn root() -> Arc<Inode> {
    ROOT.call_once(|| {
        Inode::new(
            uapi::S_IFDIR | 0o755,
            InodeKind::Dir(IrqSpinLock::new(BTreeMap::new())),
        )
    })
    .clone()
}

/// Resolves `path` relative to `cwd` (or `/` if absolute), following
/// symbolic links.
pub fn lookup_path(cwd: &str, path: &[u8]) -> Result<Arc<Inode>, Errno> {
    Ok(kern_path(cwd, path, true)?.inode)
}

/// As [`lookup_path`], but a symbolic link as the last component is
/// returned itself (`AT_SYMLINK_NOFOLLOW`, `lstat`).
pub fn lookup_path_nofollow(cwd: &str, path: &[u8]) -> Result<Arc<Inode>, Errno> {
    Ok(kern_path(cwd, path, false)?.inode)
}

/// Where a path walk ended (Linux's `struct path`: the inode and the
/// mount it is in), with the directories that led there.
pub struct Walk {
    /// The inode.
    pub inode: Arc<Inode>,
    /// The mount it was reached in.
    pub mnt: Arc<Mount>,
    /// From `/` down to `inode`, each with the name it was reached by.
    stack: Vec<(Arc<Inode>, String)>,
}

impl Walk {
    /// The directory holding the entry the walk ended at (`None` at `/`).
    pub fn parent(&self) -> Option<&Arc<Inode>> {
        let n = self.stack.len();
        (n >= 2).then(|| &self.stack[n - 2].0)
    }

    /// The name of that entry (empty at `/`).
    pub fn name(&self) -> &str {
        self.stack.last().map_or("", |(_, n)| n.as_str())
    }

    /// The absolute path, symbolic links resolved, `..` taken physically.
    pub fn abs_path(&self) -> String {
        if self.stack.len() <= 1 {
            return String::from("/");
        }
        let mut s = String::new();
        for (_, name) in &self.stack[1..] {
            s.push('/');
            s.push_str(name);
        }
        s
    }
}

/// Most symbolic links one lookup follows (`MAXSYMLINKS`), and how deeply
/// a link's target may itself go through links.
const MAXSYMLINKS: usize = 40;
const MAX_NESTED_LINKS: usize = 8;

/// A walk under way (Linux's `struct nameidata`).
struct NameiData {
    stack: Vec<(Arc<Inode>, String)>,
    /// The mounts entered, with the depth of `stack` at which each was:
    /// the last is the one the walk is in.
    mnts: Vec<(usize, Arc<Mount>)>,
    links: usize,
}

impl NameiData {
    fn new() -> Self {
        NameiData {
            stack: alloc::vec![(root(), String::new())],
            mnts: alloc::vec![(1, namespace::root_mount())],
            links: 0,
        }
    }

    fn push(&mut self, inode: Arc<Inode>, name: &str) {
        if inode.is_mountpoint() {
            if let Some(m) = namespace::mount_of(&inode) {
                self.mnts.push((self.stack.len() + 1, m));
            }
        }
        self.stack.push((inode, String::from(name)));
    }

    /// `..`: up one directory, never above `/`.
    fn pop(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
            while self.mnts.len() > 1
                && self.mnts.last().is_some_and(|(d, _)| *d > self.stack.len())
            {
                self.mnts.pop();
            }
        }
    }

    /// Walks `path` from where the walk is (from `/` if it is absolute);
    /// a symbolic link is followed unless it is the last component and
    /// `follow_last` is false. Returns whether the path must end at a
    /// directory (a trailing `/`, `.` or `..`).
    fn walk(&mut self, path: &[u8], nest: usize, follow_last: bool) -> Result<bool, Errno> {
        if nest > MAX_NESTED_LINKS {
            return Err(Errno(uapi::ELOOP));
        }
        let split = libkernel::fs::path::split(path).map_err(|e| Errno(e.errno()))?;
        if split.absolute {
            self.stack.truncate(1);
            self.mnts.truncate(1);
        }
        let count = split.components.len();
        for (i, comp) in split.components.into_iter().enumerate() {
            let last = i + 1 == count;
            match comp {
                libkernel::fs::path::Component::Parent => self.pop(),
                libkernel::fs::path::Component::Normal(n) => {
                    let name = core::str::from_utf8(n).map_err(|_| ENOENT)?;
                    let next = self.stack.last().ok_or(ENOENT)?.0.lookup(name)?;
                    let follow = follow_last || !last || split.must_be_dir;
                    match (&next.kind, follow) {
                        (InodeKind::Symlink(target), true) => {
                            self.links += 1;
                            if self.links > MAXSYMLINKS {
                                return Err(Errno(uapi::ELOOP));
                            }
                            self.walk(target.as_bytes(), nest + 1, true)?;
                        }
                        _ => self.push(next, name),
                    }
                }
            }
        }
        Ok(split.must_be_dir)
    }
}

/// Resolves `path` relative to `cwd` (or `/` if absolute) to an inode and
/// its mount (`kern_path`); `follow` says whether a symbolic link as the
/// last component is followed.
pub fn kern_path(cwd: &str, path: &[u8], follow: bool) -> Result<Walk, Errno> {
    let mut nd = NameiData::new();
    if path.first() != Some(&b'/') && !path.is_empty() {
        nd.walk(cwd.as_bytes(), 0, true)?;
    }
    let must_be_dir = nd.walk(path, 0, follow)?;
    let (inode, _) = nd.stack.last().ok_or(ENOENT)?.clone();
    if must_be_dir && !inode.is_dir() {
        return Err(ENOTDIR);
    }
    let (_, mnt) = nd.mnts.pop().ok_or(ENOENT)?;
    Ok(Walk {
        inode,
        mnt,
        stack: nd.stack,
    })
}

/// An open file (`struct file`).
pub struct File {
    /// What it refers to.
    pub inode: Arc<Inode>,
    /// Current offset.
    pub pos: IrqSpinLock<u64>,
    /// `O_*` flags: those it was opened with, `O_APPEND` and `O_NONBLOCK`
    /// as `fcntl(F_SETFL)` last set them.
    flags: AtomicU32,
    /// The absolute path it was opened by (directories: base of `*at`).
    pub path: IrqSpinLock<String>,
    /// The mount it was opened in (`f_path.mnt`): keeps `umount` from
    /// taking it away while open; `None` for pipes.
    pub mnt: Option<Arc<Mount>>,
}

impl File {
    /// Opens `inode` with `flags`.
    pub fn new(inode: Arc<Inode>, flags: u32) -> Arc<File> {
        Self::open_at(inode, None, String::new(), flags)
    }

    /// Opens `inode`, reached at `path` in mount `mnt`, with `flags`.
    fn open_at(inode: Arc<Inode>, mnt: Option<Arc<Mount>>, path: String, flags: u32) -> Arc<File> {
        NR_FILES.fetch_add(1, Ordering::Relaxed);
        Arc::new(File {
            inode,
            pos: IrqSpinLock::new(0),
            flags: AtomicU32::new(flags),
            path: IrqSpinLock::new(path),
            mnt,
        })
    }

    /// The file's `O_*` flags (`F_GETFL`).
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// `F_SETFL`: only `O_APPEND` and `O_NONBLOCK` change, as on Linux
    /// (which also takes flags this kernel does not implement).
    pub fn set_flags(&self, flags: u32) {
        let mask = uapi::O_APPEND | uapi::O_NONBLOCK;
        let _ = self
            .flags
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some((old & !mask) | (flags & mask))
            });
    }

    /// Open for reading (`FMODE_READ`).
    pub fn readable(&self) -> bool {
        self.flags() & 3 != uapi::O_WRONLY
    }

    /// Open for writing (`FMODE_WRITE`).
    pub fn writable(&self) -> bool {
        self.flags() & 3 != uapi::O_RDONLY
    }

    /// Reads at the file position.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        if let InodeKind::Special(_) = &self.inode.kind {
            // Devices may sleep (console input): no lock held.
            let p = *self.pos.lock();
            let n = self.read_at(buf, p)?;
            *self.pos.lock() += n as u64;
            return Ok(n);
        }
        let mut pos = self.pos.lock();
        let n = self.read_at(buf, *pos)?;
        *pos += n as u64;
        Ok(n)
    }

    /// Reads at `off`, the file position left alone (`pread64`).
    pub fn read_at(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(EBADF);
        }
        match &self.inode.kind {
            InodeKind::File(d) => {
                let d = d.lock();
                let n = d.read_at(off, buf);
                drop(d);
                Ok(n)
            }
            InodeKind::Special(ops) => ops.read_file(&self.inode, off, buf, self.flags()),
            InodeKind::Dir(_) | InodeKind::PseudoDir(_) => Err(EISDIR),
            InodeKind::Symlink(_) => Err(EINVAL),
        }
    }

    /// Writes at the file position (at the end with `O_APPEND`).
    pub fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
        if let InodeKind::Special(_) = &self.inode.kind {
            let p = *self.pos.lock();
            let (n, _) = self.do_write(buf, p)?;
            *self.pos.lock() += n as u64;
            return Ok(n);
        }
        if self.inode.i_op.get().is_some() {
            // A disk file may sleep for its volume (`write_begin`): the
            // position is not held locked across the write.
            let p = *self.pos.lock();
            let (n, end) = self.do_write(buf, p)?;
            *self.pos.lock() = end;
            return Ok(n);
        }
        let mut pos = self.pos.lock();
        let (n, end) = self.do_write(buf, *pos)?;
        *pos = end;
        Ok(n)
    }

    /// Writes at `off` (at the end with `O_APPEND`, as Linux's `pwrite`
    /// does), the file position left alone (`pwrite64`).
    pub fn write_at(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        Ok(self.do_write(buf, off)?.0)
    }

    /// Writes `buf` at `off`; returns the bytes written and where they
    /// ended.
    fn do_write(&self, buf: &[u8], off: u64) -> Result<(usize, u64), Errno> {
        if !self.writable() {
            return Err(EBADF);
        }
        match &self.inode.kind {
            InodeKind::File(d) => {
                let mut d = d.lock();
                let start = if self.flags() & uapi::O_APPEND != 0 {
                    d.len()
                } else {
                    usize::try_from(off).map_err(|_| Errno(uapi::EFBIG))?
                };
                let end = start.checked_add(buf.len()).ok_or(EINVAL)?;
                if end > ramfs::MAX_FILE_SIZE {
                    return Err(Errno(uapi::EFBIG));
                }
                if let Some(op) = self.inode.i_op.get() {
                    // A disk file takes its clusters now, so a full volume
                    // fails this write (`ENOSPC`), not a later write-back.
                    drop(d);
                    op.write_begin(&self.inode, end as u64)?;
                    d = match &self.inode.kind {
                        InodeKind::File(d) => d.lock(),
                        _ => return Err(EINVAL),
                    };
                }
                // File pages are user memory: leave the kernel's reserve
                // alone, and a write that gets no page finds the file
                // system full (tmpfs says ENOSPC at its size limit).
                let n = d
                    .write_at(start as u64, buf)
                    .map_err(|_| Errno(uapi::ENOSPC))?;
                drop(d);
                if n != 0 {
                    self.inode.touch_mtime();
                    self.inode.mark_dirty();
                }
                Ok((n, (start + n) as u64))
            }
            InodeKind::Special(ops) => {
                let n = ops.write_file(&self.inode, off, buf, self.flags())?;
                Ok((n, off + n as u64))
            }
            InodeKind::Dir(_) | InodeKind::PseudoDir(_) => Err(EISDIR),
            InodeKind::Symlink(_) => Err(EINVAL),
        }
    }

    /// `lseek`.
    pub fn lseek(&self, off: i64, whence: u32) -> Result<u64, Errno> {
        if let InodeKind::Special(ops) = &self.inode.kind {
            if !ops.seekable() {
                return Err(ESPIPE);
            }
        }
        let mut pos = self.pos.lock();
        let base = match whence {
            uapi::SEEK_SET => 0,
            uapi::SEEK_CUR => *pos as i64,
            uapi::SEEK_END => self.inode.size() as i64,
            _ => return Err(EINVAL),
        };
        let new = base.checked_add(off).ok_or(EINVAL)?;
        if new < 0 {
            return Err(EINVAL);
        }
        *pos = new as u64;
        Ok(new as u64)
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // The last close of a disk file opened for writing writes it back
        // (vfat has no delayed allocation: Linux's `fat_file_release`
        // flushes too), so a card pulled after the program ended has it.
        // Only where it may sleep (the disk does): a file dropped under a
        // lock stays on its volume's dirty list for `sync` and `umount`.
        if self.writable() && crate::preempt::preemptible() {
            if let Some(op) = self.inode.i_op.get() {
                if let Err(e) = op.fsync(&self.inode) {
                    println!("vfat: write back on close failed: {e}");
                }
            }
        }
        NR_FILES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Most descriptors per process.
pub const NR_OPEN: usize = 256;

/// A process's descriptor table (`files_struct`).
#[derive(Clone, Default)]
pub struct FdTable {
    fds: Vec<Option<(Arc<File>, bool)>>,
}

impl FdTable {
    /// The file behind `fd`.
    pub fn get(&self, fd: i64) -> Result<Arc<File>, Errno> {
        if fd < 0 {
            return Err(EBADF);
        }
        self.fds
            .get(fd as usize)
            .and_then(|f| f.as_ref())
            .map(|(f, _)| f.clone())
            .ok_or(EBADF)
    }

    /// Installs `f` at the lowest free descriptor.
    pub fn install(&mut self, f: Arc<File>, cloexec: bool) -> Result<usize, Errno> {
        // Where Linux's alloc_file would have taken a `struct file`.
        if crate::fault_inject::should_fail_alloc(core::mem::size_of::<File>()) {
            return Err(ENOMEM);
        }
        let fd = match self.fds.iter().position(|s| s.is_none()) {
            Some(i) => i,
            None if self.fds.len() < NR_OPEN => {
                self.fds.push(None);
                self.fds.len() - 1
            }
            None => return Err(EMFILE),
        };
        self.fds[fd] = Some((f, cloexec));
        self.fit();
        Ok(fd)
    }

    /// Keeps the table's capacity a function of its length (the next power
    /// of two, at least 4): what a process's table costs then depends on
    /// the descriptors it has open, not on the most it ever had, so heap
    /// use returns exactly to a baseline (the fuzzer's accounting check
    /// found tables that kept the capacity of a past peak).
    fn fit(&mut self) {
        let want = self.fds.len().next_power_of_two().max(4);
        if self.fds.capacity() > want {
            self.fds.shrink_to(want);
        } else if self.fds.capacity() < want {
            self.fds.reserve_exact(want - self.fds.len());
        }
    }

    /// Installs `f` at the lowest free descriptor >= `min` (`F_DUPFD`).
    pub fn install_min(&mut self, f: Arc<File>, min: usize, cloexec: bool) -> Result<usize, Errno> {
        if min >= NR_OPEN {
            return Err(EINVAL);
        }
        let fd = (min..NR_OPEN)
            .find(|&i| self.fds.get(i).is_none_or(|s| s.is_none()))
            .ok_or(EMFILE)?;
        self.install_at(fd, f, cloexec)?;
        Ok(fd)
    }

    /// Installs `f` at exactly `fd` (closing what was there).
    pub fn install_at(&mut self, fd: usize, f: Arc<File>, cloexec: bool) -> Result<(), Errno> {
        if fd >= NR_OPEN {
            return Err(EBADF);
        }
        if self.fds.len() <= fd {
            self.fds.resize(fd + 1, None);
        }
        self.fds[fd] = Some((f, cloexec));
        self.fit();
        Ok(())
    }

    /// Closes `fd`.
    pub fn close(&mut self, fd: i64) -> Result<(), Errno> {
        self.take(fd).map(|_| ())
    }

    /// Takes `fd`'s file out of the table (`file_close_fd`): the caller
    /// drops it after letting go of the table's lock, so the last close
    /// may write a file back to its disk.
    pub fn take(&mut self, fd: i64) -> Result<Arc<File>, Errno> {
        if fd < 0 {
            return Err(EBADF);
        }
        let slot = self.fds.get_mut(fd as usize).ok_or(EBADF)?;
        let f = slot.take().map(|(f, _)| f).ok_or(EBADF)?;
        while matches!(self.fds.last(), Some(None)) {
            self.fds.pop();
        }
        self.fit();
        Ok(f)
    }

    /// Whether `fd` is close-on-exec (`F_GETFD`).
    pub fn cloexec(&self, fd: i64) -> Result<bool, Errno> {
        self.get(fd)?;
        Ok(self.fds[fd as usize].as_ref().is_some_and(|(_, c)| *c))
    }

    /// Marks `fd` close-on-exec or not (`F_SETFD`).
    pub fn set_cloexec(&mut self, fd: i64, on: bool) -> Result<(), Errno> {
        self.get(fd)?;
        if let Some((_, c)) = self.fds[fd as usize].as_mut() {
            *c = on;
        }
        Ok(())
    }

    /// Closes the descriptors marked close-on-exec.
    pub fn close_on_exec(&mut self) {
        for s in self.fds.iter_mut() {
            if s.as_ref().is_some_and(|(_, c)| *c) {
                *s = None;
            }
        }
        while matches!(self.fds.last(), Some(None)) {
            self.fds.pop();
        }
    }

    /// Open descriptors.
    pub fn count(&self) -> usize {
        self.fds.iter().filter(|s| s.is_some()).count()
    }
}

/// Opens `path` for the current task with `O_*` flags (`do_sys_open`);
/// a file it creates gets permission bits `mode` (the caller has taken
/// the `umask` off).
pub fn open(cwd: &str, path: &[u8], flags: u32, mode: u32) -> Result<Arc<File>, Errno> {
    let follow = flags & uapi::O_NOFOLLOW == 0;
    let w = match kern_path(cwd, path, follow) {
        Ok(w) => {
            if flags & uapi::O_CREAT != 0 && flags & uapi::O_EXCL != 0 {
                return Err(EEXIST);
            }
            w
        }
        Err(e) if e == ENOENT && flags & uapi::O_CREAT != 0 => {
            ramfs::create(cwd, path, mode)?;
            kern_path(cwd, path, follow)?
        }
        Err(e) => return Err(e),
    };
    let inode = w.inode.clone();
    if !follow && matches!(inode.kind, InodeKind::Symlink(_)) {
        return Err(Errno(uapi::ELOOP));
    }
    if flags & uapi::O_DIRECTORY != 0 && !inode.is_dir() {
        return Err(ENOTDIR);
    }
    if inode.is_dir() && flags & 3 != uapi::O_RDONLY {
        return Err(EISDIR);
    }
    if inode.i_op.get().is_some()
        && (flags & 3 != uapi::O_RDONLY || flags & uapi::O_TRUNC != 0)
        && w.mnt.flags() & uapi::MS_RDONLY != 0
    {
        // `mnt_want_write` on a read-only mount of a disk file system.
        return Err(Errno(uapi::EROFS));
    }
    // A disk file's data comes into its page cache at its first open
    // (`execve` and `mmap` open it too).
    inode.fill()?;
    let replaced = match &inode.kind {
        InodeKind::Special(ops) => ops.open(&inode, flags)?,
        _ => None,
    };
    if let Some(f) = replaced {
        return Ok(f);
    }
    if flags & uapi::O_TRUNC != 0 && flags & 3 != uapi::O_RDONLY {
        match &inode.kind {
            InodeKind::File(d) => {
                let mut d = d.lock();
                d.truncate(0);
                drop(d);
                inode.touch_mtime();
                inode.mark_dirty();
            }
            InodeKind::Special(ops) => ops.truncate(),
            _ => {}
        }
    }
    Ok(File::open_at(
        inode,
        Some(w.mnt.clone()),
        w.abs_path(),
        flags,
    ))
}

/// Fills `buf` with `linux_dirent64` records from position `*pos`;
/// returns bytes used (`getdents64`).
pub fn getdents(file: &File, buf_len: usize) -> Result<Vec<u8>, Errno> {
    file.inode.fill()?;
    let entries: Vec<(String, u64, u8)> = match &file.inode.kind {
        InodeKind::Dir(d) => {
            let mut v = alloc::vec![
                (String::from("."), file.inode.ino, uapi::DT_DIR),
                (String::from(".."), file.inode.ino, uapi::DT_DIR),
            ];
            v.extend(
                d.lock()
                    .iter()
                    .map(|(n, i)| (n.clone(), i.ino, uapi::mode_to_dtype(i.mode()))),
            );
            v
        }
        InodeKind::PseudoDir(p) => {
            let mut v = alloc::vec![
                (String::from("."), file.inode.ino, uapi::DT_DIR),
                (String::from(".."), file.inode.ino, uapi::DT_DIR),
            ];
            // An entry must not have inode number 0, which readdir(3)
            // takes for a deleted one and skips: computed entries that
            // give none get a number made from their directory and name.
            v.extend(p.readdir().into_iter().map(|(n, ino, t)| {
                let ino = if ino != 0 {
                    ino
                } else {
                    n.bytes()
                        .fold(file.inode.ino ^ 0xcbf2_9ce4_8422_2325, |h, b| {
                            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                        })
                        | (1 << 63)
                };
                (n, ino, t)
            }));
            v
        }
        _ => return Err(ENOTDIR),
    };
    let mut pos = file.pos.lock();
    let mut out = Vec::new();
    let mut i = *pos as usize;
    while i < entries.len() {
        let (name, ino, t) = &entries[i];
        if out.len() + uapi::dirent64_reclen(name.len()) > buf_len {
            break;
        }
        uapi::push_dirent64(&mut out, *ino, (i + 1) as i64, *t, name.as_bytes());
        i += 1;
    }
    if out.is_empty() && i < entries.len() {
        return Err(EINVAL);
    }
    *pos = i as u64;
    Ok(out)
}

/// Mounts devtmpfs at `/dev`, unpacks the built-in and external
/// initramfs, and mounts proc at `/proc`.
pub fn init(external_initrd: Option<&'static [u8]>) {
    namespace::root_mount();
    if let Err(e) = namespace::kern_mount("devtmpfs", "devtmpfs", "/dev") {
        println!("devtmpfs: cannot mount /dev: errno {}", e.0);
    }
    initramfs::unpack_builtin();
    if let Some(img) = external_initrd {
        initramfs::unpack("external initramfs", img);
    }
    let _ = ramfs::mkdir_p("/tmp");
    procfs::init();
}
