//! `linux/futex.h`: the `futex(2)` operations and flags, the bits of a
//! robust mutex's lock word, the encoding of `FUTEX_WAKE_OP`'s operation
//! and the robust-list layout.

/// Sleep if the word still holds `val`; relative timeout.
pub const FUTEX_WAIT: u32 = 0;
/// Wake up to `val` waiters.
pub const FUTEX_WAKE: u32 = 1;
/// Removed in Linux 2.6.26 (`ENOSYS`).
pub const FUTEX_FD: u32 = 2;
/// Wake `val` waiters, move up to `val2` others to `uaddr2`.
pub const FUTEX_REQUEUE: u32 = 3;
/// [`FUTEX_REQUEUE`] if the word still holds `val3` (else `EAGAIN`).
pub const FUTEX_CMP_REQUEUE: u32 = 4;
/// Change `uaddr2` atomically, wake on `uaddr` and, if a comparison of
/// the old value holds, on `uaddr2` too.
pub const FUTEX_WAKE_OP: u32 = 5;
/// Priority-inheritance lock.
pub const FUTEX_LOCK_PI: u32 = 6;
/// Priority-inheritance unlock.
pub const FUTEX_UNLOCK_PI: u32 = 7;
/// Priority-inheritance try-lock.
pub const FUTEX_TRYLOCK_PI: u32 = 8;
/// [`FUTEX_WAIT`] for waiters whose bitset shares a bit with `val3`;
/// absolute timeout.
pub const FUTEX_WAIT_BITSET: u32 = 9;
/// [`FUTEX_WAKE`] of the waiters whose bitset shares a bit with `val3`.
pub const FUTEX_WAKE_BITSET: u32 = 10;
/// Wait on a futex to be requeued to a PI futex.
pub const FUTEX_WAIT_REQUEUE_PI: u32 = 11;
/// Requeue to a PI futex.
pub const FUTEX_CMP_REQUEUE_PI: u32 = 12;
/// [`FUTEX_LOCK_PI`] on a selectable clock.
pub const FUTEX_LOCK_PI2: u32 = 13;

/// The futex is private to the process: keyed by address space and
/// address, never shared with another process.
pub const FUTEX_PRIVATE_FLAG: u32 = 128;
/// The absolute timeout of [`FUTEX_WAIT_BITSET`] is on `CLOCK_REALTIME`
/// (else `CLOCK_MONOTONIC`).
pub const FUTEX_CLOCK_REALTIME: u32 = 256;
/// The operation without its flags.
pub const FUTEX_CMD_MASK: u32 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

/// The bitset that matches every waiter (what [`FUTEX_WAIT`] and
/// [`FUTEX_WAKE`] use).
pub const FUTEX_BITSET_MATCH_ANY: u32 = 0xffff_ffff;

/// Lock-word bit: a task waits in the kernel for this lock.
pub const FUTEX_WAITERS: u32 = 0x8000_0000;
/// Lock-word bit: the owner died holding the lock (set by the kernel at
/// exit for a lock on the owner's robust list).
pub const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
/// Lock-word bits: the owner's thread id.
pub const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

/// Most robust-list entries walked at exit (a circular or huge list ends
/// the walk there).
pub const ROBUST_LIST_LIMIT: u32 = 2048;
/// Bytes of `struct robust_list_head`: `list.next`, `futex_offset`,
/// `list_op_pending`, 8 bytes each (the only size `set_robust_list`
/// accepts).
pub const ROBUST_LIST_HEAD_SIZE: u64 = 24;
/// Offset of `futex_offset` in `struct robust_list_head`: where the lock
/// word is, relative to each entry.
pub const ROBUST_LIST_FUTEX_OFFSET: u64 = 8;
/// Offset of `list_op_pending`: the lock being taken or released.
pub const ROBUST_LIST_OP_PENDING: u64 = 16;

/// `FUTEX_WAKE_OP` operation: `*uaddr2 = oparg`.
pub const FUTEX_OP_SET: u32 = 0;
/// `*uaddr2 += oparg`.
pub const FUTEX_OP_ADD: u32 = 1;
/// `*uaddr2 |= oparg`.
pub const FUTEX_OP_OR: u32 = 2;
/// `*uaddr2 &= !oparg`.
pub const FUTEX_OP_ANDN: u32 = 3;
/// `*uaddr2 ^= oparg`.
pub const FUTEX_OP_XOR: u32 = 4;
/// Flag on the operation: `oparg` is a shift count (`1 << oparg`).
pub const FUTEX_OP_OPARG_SHIFT: u32 = 8;

/// `FUTEX_WAKE_OP` comparison of the old value: `==`.
pub const FUTEX_OP_CMP_EQ: u32 = 0;
/// `!=`.
pub const FUTEX_OP_CMP_NE: u32 = 1;
/// `<` (signed).
pub const FUTEX_OP_CMP_LT: u32 = 2;
/// `<=` (signed).
pub const FUTEX_OP_CMP_LE: u32 = 3;
/// `>` (signed).
pub const FUTEX_OP_CMP_GT: u32 = 4;
/// `>=` (signed).
pub const FUTEX_OP_CMP_GE: u32 = 5;

/// `FUTEX_OP(op, oparg, cmp, cmparg)`: the `val3` of `FUTEX_WAKE_OP`.
/// `oparg` and `cmparg` are 12-bit fields, sign-extended when decoded.
pub const fn futex_op(op: u32, oparg: u32, cmp: u32, cmparg: u32) -> u32 {
    ((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff)
}
