//! `drivers/char/random.c`: the kernel's random numbers and `getrandom`.

use crate::errno::*;
use core::sync::atomic::{AtomicU64, Ordering};
use libkernel::uapi;

/// A small per-boot generator (xorshift over the counter): good enough for
/// stack canaries and `AT_RANDOM`, not for cryptography.
pub fn get_random_u64() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed) ^ crate::arch::cpu::read_counter().rotate_left(17);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// `getrandom(buf, len, flags)`: fills up to 1 MiB; never blocks.
pub fn sys_getrandom(buf: u64, len: u64, flags: u32) -> SysResult {
    if flags & !(uapi::GRND_NONBLOCK | uapi::GRND_RANDOM | uapi::GRND_INSECURE) != 0 {
        return Err(EINVAL);
    }
    let len = len.min(1 << 20) as usize;
    crate::mm::uaccess::access_user(buf, len, crate::mm::vm::Access::Write, |chunk, _| {
        for b in chunk.chunks_mut(8) {
            let r = get_random_u64().to_le_bytes();
            b.copy_from_slice(&r[..b.len()]);
        }
        true
    })?;
    Ok(len as i64)
}
