//! Mounts (Linux's `fs/namespace.c`, with the super blocks of
//! `fs/super.c` and the `/proc/mounts` of `fs/proc_namespace.c`): the file
//! system types that can be mounted, the mount table, `mount`, `umount2`.
//!
//! A mount puts its file system's root directory in place of the directory
//! it is mounted on, in that directory's parent; the covered directory is
//! kept and put back by `umount`. The root is marked
//! ([`Inode::is_mountpoint`]), so a path walk knows where it enters another
//! mount (`super::Walk`). Mounting on a mount stacks, as on Linux. The
//! file systems: `rootfs` (`/`, filled from the initramfs), `tmpfs` and
//! `ramfs` (a new, empty tree per mount), and `proc`, `devtmpfs` and
//! `tracefs`, each one tree whichever directory it is mounted on.

use super::{ramfs, DirOps, Inode, InodeKind};
use crate::errno::*;
use crate::sync::IrqSpinLock;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use libkernel::fs::mount::{is_common_sb_option, mounts_line, split_options, TmpfsOptions};
use libkernel::uapi;

/// A mounted file system (`struct super_block`).
pub struct SuperBlock {
    /// Its type (`s_type->name`): `"tmpfs"`, `"proc"`, ...
    pub fstype: &'static str,
    /// `statfs.f_type`.
    pub magic: u64,
    /// Its anonymous device number (`s_dev`, major 0), `st_dev` of its files.
    pub dev: u64,
    /// Its root directory.
    pub root: Arc<Inode>,
    /// tmpfs: the most pages and inodes its files may hold (`size=`,
    /// `nr_inodes=`); `None` for the file systems that report no blocks
    /// (`simple_statfs`).
    pub limits: Option<(u64, u64)>,
    /// Options `/proc/mounts` shows after the mount flags (`,mode=755`).
    pub shown: String,
    /// A disk file system's write-back, `statfs` and `umount`
    /// (`s_op`); `None` for the file systems in RAM.
    pub s_op: Option<Arc<dyn super::SuperOperations>>,
}

/// One mount (`struct mount`).
pub struct Mount {
    /// `mnt_id` (`statx.stx_mnt_id`).
    pub id: u32,
    /// The file system.
    pub sb: Arc<SuperBlock>,
    /// What the `mount` call named as the source (`mnt_devname`).
    pub devname: String,
    /// Where it is mounted: an absolute path, symbolic links resolved.
    pub mountpoint: String,
    /// The directory it covers, put back by `umount`.
    covered: Arc<Inode>,
    /// `MS_RDONLY`, `MS_NOSUID`, `MS_NODEV`, `MS_NOEXEC`, `MS_NOATIME`,
    /// `MS_NODIRATIME`, `MS_RELATIME` (`mnt_flags`; `MS_REMOUNT` changes
    /// them).
    flags: AtomicU32,
}

impl Mount {
    /// The mount flags (`MS_*`).
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }
}

/// The mount table in mount order, `/` first (a namespace's `list`).
static MOUNTS: IrqSpinLock<Vec<Arc<Mount>>> = IrqSpinLock::named(&"mounts", Vec::new());

/// The root mount, made on first use (path lookup needs it before
/// `fs::init` has run: the initramfs is unpacked through it).
static ROOT_MOUNT: spin::Once<Arc<Mount>> = spin::Once::new();

static NEXT_MNT_ID: AtomicU32 = AtomicU32::new(1);
/// Anonymous device minors (`get_anon_bdev`).
static NEXT_ANON_DEV: AtomicU32 = AtomicU32::new(1);

/// The flags a mount keeps (the others act once or are the call's).
const MNT_FLAGS: u32 = uapi::MS_RDONLY
    | uapi::MS_NOSUID
    | uapi::MS_NODEV
    | uapi::MS_NOEXEC
    | uapi::MS_NOATIME
    | uapi::MS_NODIRATIME
    | uapi::MS_RELATIME
    | uapi::MS_NOSYMFOLLOW;

fn anon_dev() -> u64 {
    uapi::makedev(0, NEXT_ANON_DEV.fetch_add(1, Ordering::Relaxed))
}

/// The root mount (`/`, rootfs).
pub fn root_mount() -> Arc<Mount> {
    ROOT_MOUNT
        .call_once(|| {
            let (pages, inodes) = tmpfs_default_limits();
            let sb = Arc::new(SuperBlock {
                fstype: "rootfs",
                magic: uapi::TMPFS_MAGIC,
                dev: anon_dev(),
                root: super::root(),
                limits: Some((pages, inodes)),
                shown: String::new(),
                s_op: None,
            });
            let m = Arc::new(Mount {
                id: NEXT_MNT_ID.fetch_add(1, Ordering::Relaxed),
                sb,
                devname: String::from("rootfs"),
                mountpoint: String::from("/"),
                covered: super::root(),
                flags: AtomicU32::new(0),
            });
            MOUNTS.lock().insert(0, m.clone());
            m
        })
        .clone()
}

/// The mount whose root is `inode` (the latest, if it is mounted twice);
/// the walk asks only at inodes marked as mount roots.
pub fn mount_of(inode: &Arc<Inode>) -> Option<Arc<Mount>> {
    root_mount();
    MOUNTS
        .lock()
        .iter()
        .rev()
        .find(|m| Arc::ptr_eq(&m.sb.root, inode))
        .cloned()
}

/// tmpfs's default size: half of RAM, and as many inodes as that has
/// pages (`shmem_default_max_blocks`, `shmem_default_max_inodes`).
fn tmpfs_default_limits() -> (u64, u64) {
    let pages = crate::mm::ram_info().total_bytes / crate::mm::PAGE_SIZE as u64;
    (pages / 2, pages / 2)
}

/// The file systems `mount` knows, and their super blocks: the single ones
/// (proc, devtmpfs, tracefs) made once.
static PROC_SB: spin::Once<Arc<SuperBlock>> = spin::Once::new();
static DEVTMPFS_SB: spin::Once<Arc<SuperBlock>> = spin::Once::new();
static TRACEFS_SB: spin::Once<Arc<SuperBlock>> = spin::Once::new();
static DEBUGFS_SB: spin::Once<Arc<SuperBlock>> = spin::Once::new();

fn single_sb(
    once: &spin::Once<Arc<SuperBlock>>,
    fstype: &'static str,
    magic: u64,
    root: impl FnOnce() -> Arc<Inode>,
    limits: Option<(u64, u64)>,
    shown: &str,
) -> Arc<SuperBlock> {
    once.call_once(|| {
        Arc::new(SuperBlock {
            fstype,
            magic,
            dev: anon_dev(),
            root: root(),
            limits,
            shown: String::from(shown),
            s_op: None,
        })
    })
    .clone()
}

fn pseudo_root(mode: u32, ops: Arc<dyn DirOps>) -> Arc<Inode> {
    Inode::new(uapi::S_IFDIR | mode, InodeKind::PseudoDir(ops))
}

/// The super block a `mount` of type `fstype` with options `data` gets
/// (`vfs_get_tree`): `ENODEV` for an unknown type, `EINVAL` for an option
/// the type does not take.
fn get_tree(fstype: &str, devname: &str, flags: u32, data: &str) -> Result<Arc<SuperBlock>, Errno> {
    let check = |known: &[&str]| {
        split_options(data)
            .iter()
            .all(|(k, _)| known.contains(k) || is_common_sb_option(k))
            .then_some(())
            .ok_or(EINVAL)
    };
    match fstype {
        "tmpfs" => {
            let total = crate::mm::ram_info().total_bytes / crate::mm::PAGE_SIZE as u64;
            let o = TmpfsOptions::parse(data, total, crate::mm::PAGE_SIZE as u64)
                .map_err(|_| EINVAL)?;
            let (pages, inodes) = tmpfs_default_limits();
            let mode = o.mode.unwrap_or(0o1777);
            let root = ramfs::new_dir(mode);
            root.set_owner(o.uid, o.gid);
            let mut shown = String::new();
            if let Some(p) = o.max_pages {
                shown.push_str(&alloc::format!(
                    ",size={}k",
                    p * (crate::mm::PAGE_SIZE as u64 / 1024)
                ));
            }
            if let Some(n) = o.max_inodes {
                shown.push_str(&alloc::format!(",nr_inodes={n}"));
            }
            if mode != 0o1777 {
                shown.push_str(&alloc::format!(",mode={mode:03o}"));
            }
            Ok(Arc::new(SuperBlock {
                fstype: "tmpfs",
                magic: uapi::TMPFS_MAGIC,
                dev: anon_dev(),
                root,
                limits: Some((o.max_pages.unwrap_or(pages), o.max_inodes.unwrap_or(inodes))),
                shown,
                s_op: None,
            }))
        }
        "ramfs" => {
            // ramfs ignores the options it does not know (`ramfs_parse_param`).
            let mode = split_options(data)
                .iter()
                .find(|(k, _)| *k == "mode")
                .and_then(|(_, v)| u32::from_str_radix((*v)?, 8).ok())
                .unwrap_or(0o755);
            Ok(Arc::new(SuperBlock {
                fstype: "ramfs",
                magic: uapi::RAMFS_MAGIC,
                dev: anon_dev(),
                root: ramfs::new_dir(mode & 0o7777),
                limits: None,
                shown: String::new(),
                s_op: None,
            }))
        }
        "proc" => {
            check(&["hidepid", "gid", "subset"])?;
            Ok(single_sb(
                &PROC_SB,
                "proc",
                uapi::PROC_SUPER_MAGIC,
                || pseudo_root(0o555, Arc::new(super::procfs::ProcRoot)),
                None,
                "",
            ))
        }
        "devtmpfs" => {
            let (pages, inodes) = tmpfs_default_limits();
            check(&["size", "nr_inodes", "mode", "uid", "gid"])?;
            Ok(single_sb(
                &DEVTMPFS_SB,
                "devtmpfs",
                uapi::TMPFS_MAGIC,
                super::devfs::root,
                Some((pages, inodes)),
                &alloc::format!(
                    ",size={}k,nr_inodes={inodes},mode=755",
                    pages * (crate::mm::PAGE_SIZE as u64 / 1024)
                ),
            ))
        }
        "tracefs" => {
            check(&["uid", "gid", "mode"])?;
            Ok(single_sb(
                &TRACEFS_SB,
                "tracefs",
                uapi::TRACEFS_MAGIC,
                || pseudo_root(0o700, Arc::new(crate::trace::tracefs::TracingRoot)),
                None,
                "",
            ))
        }
        "debugfs" => {
            check(&["uid", "gid", "mode"])?;
            Ok(single_sb(
                &DEBUGFS_SB,
                "debugfs",
                uapi::DEBUGFS_MAGIC,
                || pseudo_root(0o700, Arc::new(crate::trace::tracefs::DebugfsRoot)),
                None,
                "",
            ))
        }
        "vfat" => {
            let (root, s_op, shown) =
                super::fat::fill_super(devname, flags & uapi::MS_RDONLY != 0, data)?;
            Ok(Arc::new(SuperBlock {
                fstype: "vfat",
                magic: uapi::MSDOS_SUPER_MAGIC,
                dev: anon_dev(),
                root,
                limits: None,
                shown,
                s_op: Some(s_op),
            }))
        }
        _ => Err(ENODEV),
    }
}

/// Puts `new_root` in place of the entry `w` ends at.
fn replace_entry(w: &super::Walk, new_root: &Arc<Inode>) -> Result<(), Errno> {
    let parent = w.parent().ok_or(EBUSY)?;
    let name = w.name();
    match &parent.kind {
        InodeKind::Dir(d) => {
            let mut d = d.lock();
            match d.get_mut(name) {
                Some(slot) if Arc::ptr_eq(slot, &w.inode) => {
                    *slot = new_root.clone();
                    Ok(())
                }
                _ => Err(ENOENT),
            }
        }
        // Directories that are computed cannot hold a mount.
        _ => Err(EPERM),
    }
}

/// Mounts a new instance of `fstype` on the directory `path` (relative to
/// `cwd`): Linux's `do_new_mount`.
fn do_new_mount(
    cwd: &str,
    path: &[u8],
    fstype: &str,
    devname: &str,
    flags: u32,
    data: &str,
) -> Result<(), Errno> {
    let w = super::kern_path(cwd, path, true)?;
    if !w.inode.is_dir() {
        return Err(ENOTDIR);
    }
    let sb = get_tree(fstype, devname, flags, data)?;
    let mut mounts = MOUNTS.lock();
    let m = Arc::new(Mount {
        id: NEXT_MNT_ID.fetch_add(1, Ordering::Relaxed),
        sb: sb.clone(),
        devname: String::from(devname),
        mountpoint: w.abs_path(),
        covered: w.inode.clone(),
        flags: AtomicU32::new(mnt_flags(flags)),
    });
    replace_entry(&w, &sb.root)?;
    sb.root.mounted.store(true, Ordering::Relaxed);
    mounts.push(m);
    Ok(())
}

/// The flags a mount keeps from `mount`'s: `relatime` unless `noatime` or
/// `strictatime` says otherwise (`MNT_RELATIME` is Linux's default).
fn mnt_flags(flags: u32) -> u32 {
    let mut f = flags & MNT_FLAGS;
    if flags & (uapi::MS_NOATIME | uapi::MS_STRICTATIME) == 0 {
        f |= uapi::MS_RELATIME;
    }
    f
}

/// Mounts at boot (`init_mount`): `fstype` on the absolute `path`, made if
/// missing.
pub fn kern_mount(fstype: &str, devname: &str, path: &str) -> Result<(), Errno> {
    ramfs::mkdir_p(path)?;
    do_new_mount("/", path.as_bytes(), fstype, devname, 0, "")
}

/// The mount whose root `w` ends at, or `EINVAL` (not a mount point).
fn mount_at(w: &super::Walk) -> Result<Arc<Mount>, Errno> {
    if !Arc::ptr_eq(&w.mnt.sb.root, &w.inode) {
        return Err(EINVAL);
    }
    Ok(w.mnt.clone())
}

/// `mount(source, target, type, flags, data)`, already copied in: a new
/// mount, or with `MS_REMOUNT` new flags for one, or with a propagation
/// flag nothing to change (one namespace, nothing propagates).
pub fn do_mount(
    cwd: &str,
    devname: &str,
    path: &[u8],
    fstype: Option<&str>,
    mut flags: u32,
    data: &str,
) -> Result<(), Errno> {
    if flags & uapi::MS_MGC_MSK == uapi::MS_MGC_VAL {
        flags &= !uapi::MS_MGC_MSK;
    }
    if flags & uapi::MS_NOUSER != 0 {
        return Err(EINVAL);
    }
    let propagation = uapi::MS_SHARED | uapi::MS_PRIVATE | uapi::MS_SLAVE | uapi::MS_UNBINDABLE;
    if flags & uapi::MS_REMOUNT != 0 {
        if flags & uapi::MS_BIND != 0 {
            // Only the mount's own flags change (`reconfigure_mnt`).
        }
        let w = super::kern_path(cwd, path, true)?;
        let m = mount_at(&w)?;
        if flags & uapi::MS_RDONLY != 0 {
            if let Some(op) = &m.sb.s_op {
                // Going read-only: what is dirty goes to the disk first
                // (`sync_filesystem` in `reconfigure_super`).
                op.sync_fs()?;
            }
        }
        m.flags.store(mnt_flags(flags), Ordering::Relaxed);
        return Ok(());
    }
    if flags & (uapi::MS_BIND | uapi::MS_MOVE) != 0 {
        // Bind and move mounts are not implemented.
        let _ = super::kern_path(cwd, path, true)?;
        return Err(EINVAL);
    }
    if flags & propagation != 0 {
        let w = super::kern_path(cwd, path, true)?;
        // Exactly one propagation type (`flags_to_propagation_type`).
        if (flags & propagation).count_ones() != 1 {
            return Err(EINVAL);
        }
        mount_at(&w)?;
        return Ok(());
    }
    let w = super::kern_path(cwd, path, true)?;
    drop(w);
    // `ro`/`rw` in the data are the super block's flag, as Linux's
    // `vfs_parse_sb_flag` takes them (a `mount` that passes `-o ro` as
    // data gets a read-only mount).
    for (k, _) in split_options(data) {
        match k {
            "ro" => flags |= uapi::MS_RDONLY,
            "rw" => flags &= !uapi::MS_RDONLY,
            _ => {}
        }
    }
    let fstype = fstype.ok_or(EINVAL)?;
    if fstype.is_empty() {
        return Err(ENODEV);
    }
    do_new_mount(cwd, path, fstype, devname, flags, data)
}

/// Whether a task's working directory is `mp` or inside it.
fn cwd_inside(mp: &str) -> bool {
    crate::pid::all_tasks().iter().any(|t| {
        let c = t.cwd.lock();
        path_inside(&c, mp)
    })
}

fn path_inside(p: &str, mp: &str) -> bool {
    mp == "/" || p == mp || (p.starts_with(mp) && p.as_bytes().get(mp.len()) == Some(&b'/'))
}

/// `umount2(target, flags)`, the target copied in (`path_umount`):
/// `EINVAL` if it is not a mount's root, `EBUSY` if a file is open in it,
/// a working directory or another mount is inside (unless `MNT_DETACH`,
/// which takes it and the mounts inside it away now).
pub fn do_umount(cwd: &str, path: &[u8], flags: u32) -> Result<(), Errno> {
    let known = uapi::MNT_FORCE | uapi::MNT_DETACH | uapi::MNT_EXPIRE | uapi::UMOUNT_NOFOLLOW;
    if flags & !known != 0 {
        return Err(EINVAL);
    }
    let w = super::kern_path(cwd, path, flags & uapi::UMOUNT_NOFOLLOW == 0)?;
    let m = mount_at(&w)?;
    if flags & uapi::MNT_EXPIRE != 0 && flags & (uapi::MNT_FORCE | uapi::MNT_DETACH) != 0 {
        return Err(EINVAL);
    }
    if Arc::ptr_eq(&m, &root_mount()) {
        return Err(EBUSY);
    }
    drop(w);
    let detach = flags & uapi::MNT_DETACH != 0;
    let mut mounts = MOUNTS.lock();
    let inside = |o: &Arc<Mount>| !Arc::ptr_eq(o, &m) && path_inside(&o.mountpoint, &m.mountpoint);
    if !detach {
        // The table's reference and ours: any other is an open file (or a
        // walk under way).
        if Arc::strong_count(&m) > 2 || mounts.iter().any(inside) {
            return Err(EBUSY);
        }
        if cwd_inside(&m.mountpoint) {
            return Err(EBUSY);
        }
    }
    // Innermost first, the mounts inside it (detach only), then it; out
    // of the table under its lock, put back after (the walk takes it).
    let mut gone: Vec<Arc<Mount>> = mounts.iter().filter(|o| inside(o)).cloned().collect();
    gone.sort_by_key(|o| core::cmp::Reverse(o.id));
    gone.push(m.clone());
    mounts.retain(|o| !gone.iter().any(|g| Arc::ptr_eq(o, g)));
    drop(mounts);
    for g in &gone {
        put_back(g);
    }
    for g in &gone {
        // `kill_sb`: a disk file system writes everything back and lets
        // go of its device once it is mounted nowhere else.
        if let Some(op) = &g.sb.s_op {
            let still = MOUNTS.lock().iter().any(|o| Arc::ptr_eq(&o.sb, &g.sb));
            if !still {
                // Linux's umount does not fail for a write-back error:
                // the file system reports it in the log.
                let _ = op.put_super();
            }
        }
    }
    Ok(())
}

/// `sync`/`syncfs` (`sync_filesystems`): every disk file system mounted
/// (or only `only`) writes back its dirty files and metadata, then the
/// block devices their dirty buffers. The first error is returned, after
/// all have been tried.
pub fn sync_filesystems(only: Option<&Arc<SuperBlock>>) -> Result<(), Errno> {
    let mounts: Vec<Arc<Mount>> = MOUNTS.lock().clone();
    let mut res = Ok(());
    for (i, m) in mounts.iter().enumerate() {
        let seen = mounts[..i].iter().any(|o| Arc::ptr_eq(&o.sb, &m.sb));
        if seen || only.is_some_and(|o| !Arc::ptr_eq(o, &m.sb)) {
            continue;
        }
        if let Some(op) = &m.sb.s_op {
            if let Err(e) = op.sync_fs() {
                res = res.and(Err(e));
            }
        }
    }
    res
}

/// Puts the directory `m` covered back in its place, and unmarks its root
/// unless it is mounted elsewhere too.
fn put_back(m: &Arc<Mount>) {
    if let Ok(w) = super::kern_path("/", m.mountpoint.as_bytes(), false) {
        if Arc::ptr_eq(&w.inode, &m.sb.root) {
            if let Some(InodeKind::Dir(d)) = w.parent().map(|p| &p.kind) {
                if let Some(slot) = d.lock().get_mut(w.name()) {
                    *slot = m.covered.clone();
                }
            }
        }
    }
    let mounts = MOUNTS.lock();
    if !mounts.iter().any(|o| Arc::ptr_eq(&o.sb.root, &m.sb.root)) {
        m.sb.root.mounted.store(false, Ordering::Relaxed);
    }
}

/// The mount options `/proc/mounts` shows (`show_vfsmnt`).
fn show_options(m: &Mount) -> String {
    let f = m.flags();
    let mut s = String::from(if f & uapi::MS_RDONLY != 0 { "ro" } else { "rw" });
    for (bit, name) in [
        (uapi::MS_NOSUID, ",nosuid"),
        (uapi::MS_NODEV, ",nodev"),
        (uapi::MS_NOEXEC, ",noexec"),
        (uapi::MS_NOATIME, ",noatime"),
        (uapi::MS_NODIRATIME, ",nodiratime"),
        (uapi::MS_RELATIME, ",relatime"),
        (uapi::MS_NOSYMFOLLOW, ",nosymfollow"),
    ] {
        if f & bit != 0 {
            s.push_str(name);
        }
    }
    s.push_str(&m.sb.shown);
    s
}

/// `/proc/mounts`: one line per mount, in mount order.
pub fn proc_mounts() -> String {
    root_mount();
    let mounts: Vec<Arc<Mount>> = MOUNTS.lock().clone();
    mounts
        .iter()
        .map(|m| mounts_line(&m.devname, &m.mountpoint, m.sb.fstype, &show_options(m)))
        .collect()
}

/// Counts the pages and inodes a ramfs tree holds, not entering mounts.
/// A list of directories still to visit, not recursion: a tree may be
/// deeper than a kernel stack could follow.
fn usage(root: &Arc<Inode>, pages: &mut u64, inodes: &mut u64) {
    let mut todo = alloc::vec![root.clone()];
    loop {
        let Some(dir) = todo.pop() else { break };
        *inodes += 1;
        let InodeKind::Dir(d) = &dir.kind else {
            continue;
        };
        let children: Vec<Arc<Inode>> = d.lock().values().cloned().collect();
        for c in children {
            match &c.kind {
                _ if c.is_mountpoint() => {}
                InodeKind::Dir(_) => todo.push(c),
                InodeKind::File(f) => {
                    *inodes += 1;
                    *pages += f.lock().nrpages() as u64;
                }
                _ => *inodes += 1,
            }
        }
    }
}

/// `statfs` of the file system mount `m` shows (`vfs_statfs`): tmpfs
/// counts the pages its files hold against its size, and has no more free
/// than the page allocator; the others report no blocks
/// (`simple_statfs`).
pub fn statfs(m: &Mount) -> uapi::Statfs {
    let sb = &m.sb;
    let mut st = uapi::Statfs {
        f_type: sb.magic,
        f_bsize: crate::mm::PAGE_SIZE as u64,
        f_namelen: uapi::NAME_MAX as u64,
        f_frsize: crate::mm::PAGE_SIZE as u64,
        f_flags: st_flags(m.flags()),
        ..Default::default()
    };
    if let Some(op) = &sb.s_op {
        // A volume that cannot say shows no blocks rather than failing.
        let _ = op.statfs(&mut st);
    }
    if let Some((max_pages, max_inodes)) = sb.limits {
        let (mut pages, mut inodes) = (0, 0);
        usage(&sb.root, &mut pages, &mut inodes);
        let free =
            (crate::mm::page_alloc::nr_free_pages() as u64).min(max_pages.saturating_sub(pages));
        st.f_blocks = max_pages;
        st.f_bfree = free;
        st.f_bavail = free;
        st.f_files = max_inodes;
        st.f_ffree = max_inodes.saturating_sub(inodes);
    }
    st
}

/// `statfs.f_flags` for mount flags (`calc_statfs_mountflags`).
fn st_flags(f: u32) -> u64 {
    let mut r = uapi::ST_VALID;
    for (bit, st) in [
        (uapi::MS_RDONLY, uapi::ST_RDONLY),
        (uapi::MS_NOSUID, uapi::ST_NOSUID),
        (uapi::MS_NODEV, uapi::ST_NODEV),
        (uapi::MS_NOEXEC, uapi::ST_NOEXEC),
        (uapi::MS_NOATIME, uapi::ST_NOATIME),
        (uapi::MS_NODIRATIME, uapi::ST_NODIRATIME),
        (uapi::MS_RELATIME, uapi::ST_RELATIME),
    ] {
        if f & bit != 0 {
            r |= st;
        }
    }
    r
}

/// A string argument of `mount` (`copy_mount_string`): `None` for NULL.
fn mount_string(p: u64, max: usize) -> Result<Option<String>, Errno> {
    if p == 0 {
        return Ok(None);
    }
    let b = crate::mm::uaccess::strncpy_from_user(p, max)?;
    String::from_utf8(b).map(Some).map_err(|_| EINVAL)
}

fn current_cwd() -> String {
    let me = crate::task::current();
    let c = me.cwd.lock().clone();
    c
}

/// `mount(source, target, fstype, flags, data)`.
pub fn sys_mount(dev_name: u64, dir_name: u64, fstype: u64, flags: u64, data: u64) -> SysResult {
    let fstype = mount_string(fstype, uapi::PATH_MAX)?;
    let devname = mount_string(dev_name, uapi::PATH_MAX)?;
    let data = mount_string(data, crate::mm::PAGE_SIZE - 1)?;
    let dir = crate::mm::uaccess::strncpy_from_user(dir_name, uapi::PATH_MAX)?;
    do_mount(
        &current_cwd(),
        devname.as_deref().unwrap_or("none"),
        &dir,
        fstype.as_deref(),
        flags as u32,
        data.as_deref().unwrap_or(""),
    )?;
    Ok(0)
}

/// `umount2(target, flags)`.
pub fn sys_umount2(name: u64, flags: u32) -> SysResult {
    let path = crate::mm::uaccess::strncpy_from_user(name, uapi::PATH_MAX)?;
    do_umount(&current_cwd(), &path, flags)?;
    Ok(0)
}
