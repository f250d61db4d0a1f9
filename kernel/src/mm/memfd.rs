//! `memfd_create` (Linux's `mm/memfd.c`): an anonymous RAM file, linked
//! in no directory, that a process maps or hands to another.

use crate::errno::*;
use crate::fs::{File, Inode, InodeKind};
use crate::mm::filemap::AddressSpace;
use crate::sync::IrqSpinLock;
use alloc::format;
use libkernel::uapi;

/// `memfd_create(name, flags)`: a new empty regular file open for
/// reading and writing, shown as `/memfd:NAME (deleted)` in
/// `/proc/PID/fd` and `/proc/PID/maps`. `MFD_CLOEXEC` makes the
/// descriptor close-on-exec; `MFD_ALLOW_SEALING` is accepted but seals
/// are not kept (`F_ADD_SEALS` is unknown to `fcntl`); `MFD_HUGETLB` and
/// unknown flags are `EINVAL` (no huge pages here), as is a name longer
/// than 249 bytes.
pub fn sys_memfd_create(uname: u64, flags: u32) -> SysResult {
    if flags & !(uapi::MFD_CLOEXEC | uapi::MFD_ALLOW_SEALING) != 0 {
        return Err(EINVAL);
    }
    let name = match crate::mm::uaccess::strncpy_from_user(uname, uapi::MFD_NAME_MAX_LEN) {
        Ok(n) => n,
        Err(ENAMETOOLONG) => return Err(EINVAL),
        Err(e) => return Err(e),
    };
    if name.len() > uapi::MFD_NAME_MAX_LEN {
        return Err(EINVAL);
    }
    if crate::fault_inject::should_fail_alloc(core::mem::size_of::<Inode>()) {
        return Err(ENOMEM);
    }
    // shmem_file_setup's S_IRWXUGO: the file is reached only through
    // its descriptors.
    let inode = Inode::new(
        uapi::S_IFREG | 0o777,
        InodeKind::File(IrqSpinLock::new(AddressSpace::new())),
    );
    let f = File::new(inode, uapi::O_RDWR | uapi::O_LARGEFILE);
    *f.path.lock() = format!(
        "/memfd:{} (deleted)",
        alloc::string::String::from_utf8_lossy(&name)
    );
    let fd = crate::fs::syscalls::files()?
        .lock()
        .install(f, flags & uapi::MFD_CLOEXEC != 0)?;
    Ok(fd as i64)
}
