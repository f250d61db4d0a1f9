//! The kernel command line from the DTB's `bootargs` (QEMU `-append`, the
//! SD card's `cmdline.txt`), parsed into options other modules look up.

use crate::dtb::DeviceTree;
use libkernel::cmdline::Cmdline;

static CMDLINE: spin::Once<&'static str> = spin::Once::new();

/// Records the command line (empty without a DTB).
pub fn init(dt: Option<&DeviceTree>) {
    CMDLINE.call_once(|| dt.and_then(|d| d.bootargs()).unwrap_or(""));
}

/// The parsed command line.
pub fn get() -> Cmdline<'static> {
    Cmdline::new(CMDLINE.get().copied().unwrap_or(""))
}
