//! `linux/reboot.h`: `reboot` magic numbers and commands.

/// First `reboot` magic (`0xfee1dead`).
pub const LINUX_REBOOT_MAGIC1: u32 = 0xfee1_dead;
/// Second `reboot` magic: Linus's birthday, 28.12.1969.
pub const LINUX_REBOOT_MAGIC2: u32 = 0x2812_1969;
/// Alternative second magic (a daughter's birthday).
pub const LINUX_REBOOT_MAGIC2A: u32 = 0x0512_1996;
/// Alternative second magic.
pub const LINUX_REBOOT_MAGIC2B: u32 = 0x1604_1998;
/// Alternative second magic.
pub const LINUX_REBOOT_MAGIC2C: u32 = 0x2011_2000;
/// Restart the machine.
pub const LINUX_REBOOT_CMD_RESTART: u32 = 0x0123_4567;
/// Stop the machine (no power off).
pub const LINUX_REBOOT_CMD_HALT: u32 = 0xcdef_0123;
/// Ctrl-Alt-Del reboots at once.
pub const LINUX_REBOOT_CMD_CAD_ON: u32 = 0x89ab_cdef;
/// Ctrl-Alt-Del sends `SIGINT` to init.
pub const LINUX_REBOOT_CMD_CAD_OFF: u32 = 0;
/// Power the machine off.
pub const LINUX_REBOOT_CMD_POWER_OFF: u32 = 0x4321_fedc;
/// Restart with a command string.
pub const LINUX_REBOOT_CMD_RESTART2: u32 = 0xa1b2_c3d4;

/// True if `magic1`/`magic2` are a pair `reboot` accepts (otherwise it
/// fails with `EINVAL`).
pub const fn reboot_magic_ok(magic1: u32, magic2: u32) -> bool {
    magic1 == LINUX_REBOOT_MAGIC1
        && matches!(
            magic2,
            LINUX_REBOOT_MAGIC2
                | LINUX_REBOOT_MAGIC2A
                | LINUX_REBOOT_MAGIC2B
                | LINUX_REBOOT_MAGIC2C
        )
}
