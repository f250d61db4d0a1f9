//! A small VFS (Linux's `fs/`): inodes in a tree rooted at `/`, open files
//! with a position, per-process descriptor tables, and path lookup.
//!
//! `/` is a RAM filesystem (`ramfs`) filled from the initramfs at boot.
//! Devices (`/dev/console`, `/dev/null`) and pseudo-filesystems (`/proc`,
//! `/sys/kernel/tracing` in later work) plug in through two traits:
//! [`FileOps`] for what reading and writing a file does, [`DirOps`] for a
//! directory whose entries are computed (mounted with [`mount`]).

pub mod devfs;
pub mod initramfs;
pub mod pipe;
pub mod procfs;
pub mod ramfs;
pub mod select;
pub mod syscalls;

use crate::errno::*;
use crate::sync::IrqSpinLock;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use libkernel::uapi;

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
    /// The file is being opened with `O_*` `flags` (a device's `open`:
    /// a terminal may become the caller's controlling terminal, `/dev/tty`
    /// fails without one); an error fails the `open`.
    fn open(&self, _inode: &Inode, _flags: u32) -> Result<(), Errno> {
        Ok(())
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
}

/// A directory whose entries are computed (a pseudo-filesystem).
pub trait DirOps: Send + Sync {
    /// The entry called `name`.
    fn lookup(&self, name: &str) -> Option<Arc<Inode>>;
    /// All entries: (name, inode number, `DT_*` type).
    fn readdir(&self) -> Vec<(String, u64, u8)>;
}

/// What an inode is.
pub enum InodeKind {
    /// A ramfs directory.
    Dir(IrqSpinLock<BTreeMap<String, Arc<Inode>>>),
    /// A ramfs regular file.
    File(IrqSpinLock<Vec<u8>>),
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
    /// `S_IF*` type and permission bits.
    pub mode: u32,
    /// Device number (character devices).
    pub rdev: u64,
    /// Contents.
    pub kind: InodeKind,
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);
/// Open files alive (for leak checks).
pub static NR_FILES: AtomicUsize = AtomicUsize::new(0);

/// A fresh inode number.
pub fn alloc_ino() -> u64 {
    NEXT_INO.fetch_add(1, Ordering::Relaxed)
}

impl Inode {
    /// A new inode with a fresh number.
    pub fn new(mode: u32, kind: InodeKind) -> Arc<Inode> {
        Arc::new(Inode {
            ino: alloc_ino(),
            mode,
            rdev: 0,
            kind,
        })
    }

    /// True for directories (ramfs or computed).
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, InodeKind::Dir(_) | InodeKind::PseudoDir(_))
    }

    /// The entry `name` of a directory.
    pub fn lookup(&self, name: &str) -> Result<Arc<Inode>, Errno> {
        match &self.kind {
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

    /// The `stat` of this inode.
    pub fn stat(&self) -> uapi::Stat {
        let size = self.size();
        uapi::Stat {
            st_ino: self.ino,
            st_mode: self.mode,
            st_nlink: if self.is_dir() { 2 } else { 1 },
            st_rdev: self.rdev,
            st_size: size as i64,
            st_blksize: 4096,
            st_blocks: size.div_ceil(512) as i64,
            ..uapi::Stat::default()
        }
    }
}

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

/// Mounts a computed directory at `path` (created in ramfs if missing).
pub fn mount(path: &str, ops: Arc<dyn DirOps>) -> Result<(), Errno> {
    let (parent, name) = ramfs::parent_of(path)?;
    let dir = Inode::new(uapi::S_IFDIR | 0o555, InodeKind::PseudoDir(ops));
    match &parent.kind {
        // Mounting hides whatever directory was there.
        InodeKind::Dir(d) => {
            d.lock().insert(name, dir);
            Ok(())
        }
        _ => Err(ENOTDIR),
    }
}

/// Resolves `path` relative to `cwd` (or `/` if absolute), following
/// symbolic links (at most 8 deep).
pub fn lookup_path(cwd: &str, path: &[u8]) -> Result<Arc<Inode>, Errno> {
    lookup_depth(cwd, path, 0, true)
}

/// As [`lookup_path`], but a symbolic link as the last component is
/// returned itself (`AT_SYMLINK_NOFOLLOW`, `lstat`).
pub fn lookup_path_nofollow(cwd: &str, path: &[u8]) -> Result<Arc<Inode>, Errno> {
    lookup_depth(cwd, path, 0, false)
}

fn lookup_depth(
    cwd: &str,
    path: &[u8],
    depth: usize,
    follow_last: bool,
) -> Result<Arc<Inode>, Errno> {
    if depth > 8 {
        return Err(Errno(uapi::ELOOP));
    }
    let split = libkernel::fs::path::split(path).map_err(|e| Errno(e.errno()))?;
    // Walk from the root, keeping the chain of parents for `..`.
    let mut stack: Vec<Arc<Inode>> = alloc::vec![root()];
    if !split.absolute {
        let c = libkernel::fs::path::split(cwd.as_bytes()).map_err(|e| Errno(e.errno()))?;
        for comp in c.components {
            if let libkernel::fs::path::Component::Normal(n) = comp {
                let next = stack
                    .last()
                    .ok_or(ENOENT)?
                    .lookup(core::str::from_utf8(n).map_err(|_| ENOENT)?)?;
                stack.push(next);
            }
        }
    }
    let count = split.components.len();
    for (i, comp) in split.components.into_iter().enumerate() {
        let last = i + 1 == count;
        match comp {
            libkernel::fs::path::Component::Parent => {
                if stack.len() > 1 {
                    stack.pop();
                }
            }
            libkernel::fs::path::Component::Normal(n) => {
                let name = core::str::from_utf8(n).map_err(|_| ENOENT)?;
                let cur = stack.last().ok_or(ENOENT)?.clone();
                let next = cur.lookup(name)?;
                let follow = follow_last || !last || split.must_be_dir;
                if let (InodeKind::Symlink(target), true) = (&next.kind, follow) {
                    let base = path_of(&stack);
                    let resolved = lookup_depth(&base, target.as_bytes(), depth + 1, true)?;
                    stack.push(resolved);
                } else {
                    stack.push(next);
                }
            }
        }
    }
    let last = stack.pop().ok_or(ENOENT)?;
    if split.must_be_dir && !last.is_dir() {
        return Err(ENOTDIR);
    }
    Ok(last)
}

/// A crude path for a chain of inodes (used to resolve relative symlinks).
fn path_of(stack: &[Arc<Inode>]) -> String {
    let mut s = String::from("/");
    for w in stack.windows(2) {
        if let InodeKind::Dir(d) = &w[0].kind {
            if let Some((name, _)) = d.lock().iter().find(|(_, i)| Arc::ptr_eq(i, &w[1])) {
                s.push_str(name);
                s.push('/');
            }
        }
    }
    s
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
}

impl File {
    /// Opens `inode` with `flags`.
    pub fn new(inode: Arc<Inode>, flags: u32) -> Arc<File> {
        NR_FILES.fetch_add(1, Ordering::Relaxed);
        Arc::new(File {
            inode,
            pos: IrqSpinLock::new(0),
            flags: AtomicU32::new(flags),
            path: IrqSpinLock::new(String::new()),
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

    fn readable(&self) -> bool {
        self.flags() & 3 != uapi::O_WRONLY
    }

    fn writable(&self) -> bool {
        self.flags() & 3 != uapi::O_RDONLY
    }

    /// Reads at the file position.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(EBADF);
        }
        let mut pos = self.pos.lock();
        let n = match &self.inode.kind {
            InodeKind::File(d) => {
                let d = d.lock();
                let start = (*pos as usize).min(d.len());
                let n = buf.len().min(d.len() - start);
                buf[..n].copy_from_slice(&d[start..start + n]);
                n
            }
            InodeKind::Special(ops) => {
                let p = *pos;
                drop(pos);
                // Devices may sleep (console input): no lock held.
                let n = ops.read_file(&self.inode, p, buf, self.flags())?;
                let mut pos = self.pos.lock();
                *pos += n as u64;
                return Ok(n);
            }
            InodeKind::Dir(_) | InodeKind::PseudoDir(_) => return Err(EISDIR),
            InodeKind::Symlink(_) => return Err(EINVAL),
        };
        *pos += n as u64;
        Ok(n)
    }

    /// Writes at the file position (at the end with `O_APPEND`).
    pub fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(EBADF);
        }
        match &self.inode.kind {
            InodeKind::File(d) => {
                let mut pos = self.pos.lock();
                let mut d = d.lock();
                if self.flags() & uapi::O_APPEND != 0 {
                    *pos = d.len() as u64;
                }
                let start = *pos as usize;
                let end = start.checked_add(buf.len()).ok_or(EINVAL)?;
                if end > ramfs::MAX_FILE_SIZE {
                    return Err(Errno(uapi::EFBIG));
                }
                if d.len() < end {
                    let grow = end - d.len();
                    // File data lives in the kernel heap: leave the
                    // kernel's reserve alone (tmpfs would say ENOSPC at
                    // its size limit).
                    if !crate::mm::page_alloc::user_may_take(grow.div_ceil(crate::mm::PAGE_SIZE)) {
                        return Err(Errno(uapi::ENOSPC));
                    }
                    // No room for the grown file in the heap: the
                    // filesystem is full, as far as the writer can tell.
                    d.try_reserve(grow).map_err(|_| Errno(uapi::ENOSPC))?;
                    d.resize(end, 0);
                }
                d[start..end].copy_from_slice(buf);
                *pos = end as u64;
                Ok(buf.len())
            }
            InodeKind::Special(ops) => {
                let p = *self.pos.lock();
                let n = ops.write_file(&self.inode, p, buf, self.flags())?;
                *self.pos.lock() += n as u64;
                Ok(n)
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
        if fd < 0 {
            return Err(EBADF);
        }
        let slot = self.fds.get_mut(fd as usize).ok_or(EBADF)?;
        slot.take().map(|_| ()).ok_or(EBADF)?;
        while matches!(self.fds.last(), Some(None)) {
            self.fds.pop();
        }
        self.fit();
        Ok(())
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

/// Opens `path` for the current task with `O_*` flags (`do_sys_open`).
pub fn open(cwd: &str, path: &[u8], flags: u32, mode: u32) -> Result<Arc<File>, Errno> {
    let inode = match lookup_path(cwd, path) {
        Ok(i) => {
            if flags & uapi::O_CREAT != 0 && flags & uapi::O_EXCL != 0 {
                return Err(EEXIST);
            }
            i
        }
        Err(e) if e == ENOENT && flags & uapi::O_CREAT != 0 => ramfs::create(cwd, path, mode)?,
        Err(e) => return Err(e),
    };
    if flags & uapi::O_DIRECTORY != 0 && !inode.is_dir() {
        return Err(ENOTDIR);
    }
    if inode.is_dir() && flags & 3 != uapi::O_RDONLY {
        return Err(EISDIR);
    }
    if let InodeKind::Special(ops) = &inode.kind {
        ops.open(&inode, flags)?;
    }
    if flags & uapi::O_TRUNC != 0 && flags & 3 != uapi::O_RDONLY {
        match &inode.kind {
            InodeKind::File(d) => *d.lock() = Vec::new(),
            InodeKind::Special(ops) => ops.truncate(),
            _ => {}
        }
    }
    let f = File::new(inode, flags);
    let mut joined = alloc::vec::Vec::from(cwd.as_bytes());
    joined.push(b'/');
    joined.extend_from_slice(path);
    let abs = if path.first() == Some(&b'/') {
        path
    } else {
        &joined[..]
    };
    if let Ok(r) = libkernel::fs::path::resolve(&libkernel::fs::path::AbsPath::root(), abs) {
        *f.path.lock() = String::from_utf8_lossy(r.path.as_bytes()).into_owned();
    }
    Ok(f)
}

/// Fills `buf` with `linux_dirent64` records from position `*pos`;
/// returns bytes used (`getdents64`).
pub fn getdents(file: &File, buf_len: usize) -> Result<Vec<u8>, Errno> {
    let entries: Vec<(String, u64, u8)> = match &file.inode.kind {
        InodeKind::Dir(d) => {
            let mut v = alloc::vec![
                (String::from("."), file.inode.ino, uapi::DT_DIR),
                (String::from(".."), file.inode.ino, uapi::DT_DIR),
            ];
            v.extend(
                d.lock()
                    .iter()
                    .map(|(n, i)| (n.clone(), i.ino, uapi::mode_to_dtype(i.mode))),
            );
            v
        }
        InodeKind::PseudoDir(p) => {
            let mut v = alloc::vec![
                (String::from("."), file.inode.ino, uapi::DT_DIR),
                (String::from(".."), file.inode.ino, uapi::DT_DIR),
            ];
            v.extend(p.readdir());
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

/// Mounts devfs and unpacks the built-in and external initramfs.
pub fn init(external_initrd: Option<&'static [u8]>) {
    devfs::init();
    initramfs::unpack_builtin();
    if let Some(img) = external_initrd {
        initramfs::unpack("external initramfs", img);
    }
    let _ = ramfs::mkdir_p("/tmp");
    procfs::init();
}
