//! The vDSO's data page and the clock arithmetic it shares with the kernel
//! (Linux's `include/vdso/datapage.h` and `lib/vdso/gettimeofday.c`).
//!
//! The kernel keeps its timekeeping in one [`VdsoData`], on a page it also
//! maps read-only into every process as `[vvar]`; the vDSO
//! (`vdso/src/lib.rs`) reads it there and the counter (`CNTVCT_EL0`) and
//! turns them into a time with the same functions the system calls use
//! ([`Snapshot::clock_ns`], [`cycles_to_ns`]), so the two can never
//! disagree by more than the time between the calls. Writers (a clock
//! being set, the tick moving the coarse clocks) bump a sequence count
//! around their stores, and readers retry while it is odd or changed
//! (`seqcount_t`): readers never write, so they can live in user space.
//!
//! Also here: finding a symbol in the vDSO image through its dynamic table
//! ([`lookup_symbol`], Linux's `tools/testing/selftests/vDSO/parse_vdso.c`),
//! which the kernel does for `__kernel_rt_sigreturn` and user programs for
//! `__kernel_clock_gettime`.

use crate::uapi::time::*;
use core::num::NonZeroU64;
use core::sync::atomic::{fence, AtomicI32, AtomicU32, AtomicU64, Ordering};

/// The symbol version the vDSO's functions carry (arm64's `vdso.lds.S`);
/// glibc asks for it by name.
pub const VDSO_VERSION: &str = "LINUX_2.6.39";
/// The vDSO's `DT_SONAME`.
pub const VDSO_SONAME: &str = "linux-vdso.so.1";

/// `vdso_data.clock_mode`: no counter user space may read; every call
/// falls back to the system call (`VDSO_CLOCKMODE_NONE`).
pub const VDSO_CLOCKMODE_NONE: u32 = 0;
/// `vdso_data.clock_mode`: the generic timer's virtual counter, readable
/// at EL0 (`VDSO_CLOCKMODE_ARCHTIMER`).
pub const VDSO_CLOCKMODE_ARCHTIMER: u32 = 1;

const NSEC_PER_SEC: u64 = 1_000_000_000;

/// The resolution of the coarse clocks: one tick (`LOW_RES_NSEC`,
/// `TICK_NSEC`).
pub const LOW_RES_NSEC: u64 = NSEC_PER_SEC / crate::time::HZ;

/// Converts counter ticks to nanoseconds, exactly (`floor(c * 1e9 / freq)`)
/// and without overflow for centuries. Whole seconds and the rest are
/// converted apart, so every step fits in 64 bits: two hardware divisions
/// instead of a 128-bit one in software (every clock read goes through
/// here, in the kernel and in the vDSO). A `NonZeroU64` divisor: no
/// division-by-zero check, so no panic path in the vDSO.
#[inline(always)]
pub fn cycles_to_ns(c: u64, freq: NonZeroU64) -> u64 {
    (c / freq) * NSEC_PER_SEC + (c % freq) * NSEC_PER_SEC / freq
}

/// Converts nanoseconds to counter ticks (rounded down), in 64 bits as
/// [`cycles_to_ns`] does.
#[inline]
pub fn ns_to_cycles(ns: u64, freq: NonZeroU64) -> u64 {
    (ns / NSEC_PER_SEC) * freq.get() + (ns % NSEC_PER_SEC) * freq.get() / NSEC_PER_SEC
}

/// The data page (`struct vdso_data`): what a reader needs to tell the
/// time from the counter. Every field is an atomic so the kernel's writes
/// and user space's reads are defined; they are ordered by [`Self::seq`].
#[repr(C)]
pub struct VdsoData {
    /// The sequence count: odd while the kernel is writing.
    pub seq: AtomicU32,
    /// `VDSO_CLOCKMODE_*`.
    pub clock_mode: AtomicU32,
    /// The counter value uptime counts from (`cycle_last`'s base).
    pub cycle_base: AtomicU64,
    /// Counter ticks per second; 0 until the kernel fills it in.
    pub freq: AtomicU64,
    /// `CLOCK_REALTIME` minus `CLOCK_MONOTONIC`, ns, two's complement
    /// (Linux's `wall_to_monotonic`, negated): set by `clock_settime`.
    pub realtime_offset: AtomicU64,
    /// `CLOCK_MONOTONIC` at the last tick, ns: the coarse clocks.
    pub coarse_mono: AtomicU64,
    /// `clock_getres` of the high-resolution clocks, ns (`hrtimer_res`).
    pub hrtimer_res: AtomicU64,
    /// `settimeofday`'s time zone: minutes west of Greenwich.
    pub tz_minuteswest: AtomicI32,
    /// `settimeofday`'s time zone: type of DST correction.
    pub tz_dsttime: AtomicI32,
}

impl Default for VdsoData {
    fn default() -> Self {
        Self::new()
    }
}

/// One consistent reading of the [`VdsoData`] fields a clock needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// `VDSO_CLOCKMODE_*`.
    pub clock_mode: u32,
    /// See [`VdsoData::cycle_base`].
    pub cycle_base: u64,
    /// See [`VdsoData::freq`].
    pub freq: u64,
    /// See [`VdsoData::realtime_offset`].
    pub realtime_offset: i64,
    /// See [`VdsoData::coarse_mono`].
    pub coarse_mono: u64,
}

impl VdsoData {
    /// An empty page: clock mode none, so readers fall back to the system
    /// call.
    pub const fn new() -> Self {
        VdsoData {
            seq: AtomicU32::new(0),
            clock_mode: AtomicU32::new(VDSO_CLOCKMODE_NONE),
            cycle_base: AtomicU64::new(0),
            freq: AtomicU64::new(0),
            realtime_offset: AtomicU64::new(0),
            coarse_mono: AtomicU64::new(0),
            hrtimer_res: AtomicU64::new(0),
            tz_minuteswest: AtomicI32::new(0),
            tz_dsttime: AtomicI32::new(0),
        }
    }

    /// Starts an update (`vdso_write_begin`): readers that see the odd
    /// count, or a count that changed, retry. Writers must be serialised
    /// by the caller (the kernel's timekeeping lock).
    #[inline]
    pub fn write_begin(&self) {
        let s = self.seq.load(Ordering::Relaxed);
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        // The odd count is visible before any field changes (smp_wmb).
        fence(Ordering::Release);
    }

    /// Ends an update (`vdso_write_end`).
    #[inline]
    pub fn write_end(&self) {
        let s = self.seq.load(Ordering::Relaxed);
        // Every field store is visible before the even count.
        self.seq.store(s.wrapping_add(1), Ordering::Release);
    }

    /// Reads the fields while calling `counter` (`vdso_read_begin` /
    /// `vdso_read_retry`); returns them with the counter's value, both from
    /// one moment between updates.
    #[inline(always)]
    pub fn read(&self, counter: impl Fn() -> u64) -> (Snapshot, u64) {
        loop {
            let s = self.seq.load(Ordering::Acquire);
            if s & 1 != 0 {
                core::hint::spin_loop();
                continue;
            }
            let snap = Snapshot {
                clock_mode: self.clock_mode.load(Ordering::Relaxed),
                cycle_base: self.cycle_base.load(Ordering::Relaxed),
                freq: self.freq.load(Ordering::Relaxed),
                realtime_offset: self.realtime_offset.load(Ordering::Relaxed) as i64,
                coarse_mono: self.coarse_mono.load(Ordering::Relaxed),
            };
            let now = if snap.clock_mode == VDSO_CLOCKMODE_ARCHTIMER {
                counter()
            } else {
                0
            };
            // The loads above complete before the count is read again
            // (smp_rmb).
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) == s {
                return (snap, now);
            }
        }
    }
}

/// Which time a clock id reads, for the clocks the data page serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VdsoClock {
    /// `CLOCK_MONOTONIC`, `CLOCK_MONOTONIC_RAW`, `CLOCK_BOOTTIME`: time
    /// since boot (no NTP slewing, no suspend: all three are one).
    Mono,
    /// `CLOCK_REALTIME`: [`Self::Mono`] plus the offset `clock_settime`
    /// set.
    Real,
    /// `CLOCK_MONOTONIC_COARSE`: [`Self::Mono`] at the last tick.
    MonoCoarse,
    /// `CLOCK_REALTIME_COARSE`: [`Self::Real`] at the last tick.
    RealCoarse,
}

impl VdsoClock {
    /// The data-page clock `clock` reads, or `None` for the ones the vDSO
    /// leaves to the system call: CPU-time clocks, the alarm clocks, TAI,
    /// per-process clock ids (negative) and invalid ids (as Linux's
    /// `VDSO_HRES | VDSO_COARSE | VDSO_RAW` masks).
    #[inline(always)]
    pub fn from_id(clock: u32) -> Option<VdsoClock> {
        match clock {
            CLOCK_REALTIME => Some(VdsoClock::Real),
            CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_BOOTTIME => Some(VdsoClock::Mono),
            CLOCK_REALTIME_COARSE => Some(VdsoClock::RealCoarse),
            CLOCK_MONOTONIC_COARSE => Some(VdsoClock::MonoCoarse),
            _ => None,
        }
    }

    /// Is this a tick-resolution clock?
    pub fn is_coarse(self) -> bool {
        matches!(self, VdsoClock::MonoCoarse | VdsoClock::RealCoarse)
    }
}

impl Snapshot {
    /// Nanoseconds of `clock` with the counter at `now`, or `None` if the
    /// counter may not be used (the caller makes the system call).
    #[inline(always)]
    pub fn clock_ns(&self, clock: VdsoClock, now: u64) -> Option<u64> {
        let mono = match clock {
            VdsoClock::Mono | VdsoClock::Real => {
                if self.clock_mode != VDSO_CLOCKMODE_ARCHTIMER {
                    return None;
                }
                cycles_to_ns(
                    now.wrapping_sub(self.cycle_base),
                    NonZeroU64::new(self.freq)?,
                )
            }
            VdsoClock::MonoCoarse | VdsoClock::RealCoarse => self.coarse_mono,
        };
        Some(match clock {
            VdsoClock::Real | VdsoClock::RealCoarse => {
                mono.wrapping_add(self.realtime_offset as u64)
            }
            VdsoClock::Mono | VdsoClock::MonoCoarse => mono,
        })
    }
}

/// Nanoseconds as `(seconds, nanoseconds)`.
#[inline(always)]
pub fn ns_to_timespec(ns: u64) -> Timespec {
    Timespec {
        tv_sec: (ns / NSEC_PER_SEC) as i64,
        tv_nsec: (ns % NSEC_PER_SEC) as i64,
    }
}

/// Nanoseconds as a `struct timeval` (`(seconds, microseconds)`).
#[inline(always)]
pub fn ns_to_timeval(ns: u64) -> (i64, i64) {
    (
        (ns / NSEC_PER_SEC) as i64,
        ((ns % NSEC_PER_SEC) / 1000) as i64,
    )
}

/// The resolution `clock_getres` reports for a data-page clock: one
/// counter tick (at least 1 ns) for the high-resolution ones, one
/// scheduler tick for the coarse ones.
pub fn clock_res_ns(clock: VdsoClock, hrtimer_res: u64) -> u64 {
    if clock.is_coarse() {
        LOW_RES_NSEC
    } else {
        hrtimer_res
    }
}

/// The resolution of the high-resolution clocks for a counter of `freq`
/// Hz: one counter tick, rounded down, at least 1 ns.
pub fn hrtimer_res_ns(freq: u64) -> u64 {
    (NSEC_PER_SEC / freq.max(1)).max(1)
}

// The dynamic-table tags a vDSO lookup needs (`linux/elf.h`).
const DT_NULL: u64 = 0;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const SYM_SIZE: usize = 24;
const SHN_UNDEF: u16 = 0;

fn rd<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    b.get(off..off.checked_add(N)?)?.try_into().ok()
}
fn rd_u16(b: &[u8], off: usize) -> Option<u16> {
    rd(b, off).map(u16::from_le_bytes)
}
fn rd_u32(b: &[u8], off: usize) -> Option<u32> {
    rd(b, off).map(u32::from_le_bytes)
}
fn rd_u64(b: &[u8], off: usize) -> Option<u64> {
    rd(b, off).map(u64::from_le_bytes)
}

/// The size of the vDSO image whose first bytes are `head`: the end of its
/// last `PT_LOAD`, or of the section headers if those come later (the
/// kernel maps the whole file). `head` must hold the ELF and program
/// headers.
pub fn image_len(head: &[u8]) -> Option<usize> {
    use crate::uapi::elf::{EHDR_SIZE, PHDR_SIZE, PT_LOAD};
    if head.get(0..4)? != b"\x7fELF" {
        return None;
    }
    let phoff = rd_u64(head, 32)? as usize;
    let shoff = rd_u64(head, 40)? as usize;
    let shnum = rd_u16(head, 60)? as usize;
    let phnum = rd_u16(head, 56)? as usize;
    let mut end = shoff.checked_add(shnum.checked_mul(64)?)?.max(EHDR_SIZE);
    for i in 0..phnum {
        let ph = phoff.checked_add(i.checked_mul(PHDR_SIZE)?)?;
        if rd_u32(head, ph)? == PT_LOAD {
            let off = rd_u64(head, ph + 8)? as usize;
            let filesz = rd_u64(head, ph + 32)? as usize;
            end = end.max(off.checked_add(filesz)?);
        }
    }
    Some(end)
}

/// The address (relative to the image's link base, 0 for the vDSO) of the
/// defined dynamic symbol `name` in the shared-object image `image` (the
/// file, or its mapping: the vDSO is mapped whole). Found the way a
/// dynamic linker would, through `PT_DYNAMIC`'s `DT_SYMTAB`, `DT_STRTAB`
/// and `DT_HASH` (whose `nchain` is the symbol count); the image's load
/// segment must start at file offset 0 with `p_vaddr` = `p_offset`, as
/// the vDSO's does. `None` for a malformed image or a missing symbol.
pub fn lookup_symbol(image: &[u8], name: &[u8]) -> Option<u64> {
    use crate::uapi::elf::{PHDR_SIZE, PT_DYNAMIC, PT_LOAD};
    let phoff = rd_u64(image, 32)? as usize;
    let phnum = rd_u16(image, 56)? as usize;
    let (mut dynamic, mut bias) = (None, None);
    for i in 0..phnum {
        let ph = phoff.checked_add(i.checked_mul(PHDR_SIZE)?)?;
        let off = rd_u64(image, ph + 8)?;
        let vaddr = rd_u64(image, ph + 16)?;
        match rd_u32(image, ph)? {
            PT_DYNAMIC => dynamic = Some(off as usize),
            PT_LOAD if bias.is_none() => bias = Some(vaddr.wrapping_sub(off)),
            _ => {}
        }
    }
    let (dynamic, bias) = (dynamic?, bias?);
    let to_off = |va: u64| usize::try_from(va.wrapping_sub(bias)).ok();
    let (mut symtab, mut strtab, mut hash) = (None, None, None);
    let mut d = dynamic;
    loop {
        let tag = rd_u64(image, d)?;
        let val = rd_u64(image, d + 8)?;
        match tag {
            DT_NULL => break,
            DT_SYMTAB => symtab = to_off(val),
            DT_STRTAB => strtab = to_off(val),
            DT_HASH => hash = to_off(val),
            _ => {}
        }
        d = d.checked_add(16)?;
    }
    let (symtab, strtab) = (symtab?, strtab?);
    let nsyms = rd_u32(image, hash? + 4)? as usize;
    (0..nsyms).find_map(|i| {
        let s = symtab.checked_add(i.checked_mul(SYM_SIZE)?)?;
        let st_name = rd_u32(image, s)? as usize;
        let shndx = rd_u16(image, s + 6)?;
        let value = rd_u64(image, s + 8)?;
        let sym = image.get(strtab.checked_add(st_name)?..)?;
        let len = sym.iter().position(|&c| c == 0)?;
        (shndx != SHN_UNDEF && &sym[..len] == name).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(f: u64) -> NonZeroU64 {
        NonZeroU64::new(f).unwrap()
    }

    #[test]
    fn cycles_to_ns_is_exact_for_the_boards_frequencies() {
        // QEMU, Pi 3, Pi 4, and an awkward one.
        for f in [62_500_000u64, 19_200_000, 54_000_000, 1_000_000_007] {
            for c in [0u64, 1, 15, f - 1, f, f + 1, 123_456_789_012, 1 << 55] {
                let exact = (c as u128 * 1_000_000_000 / f as u128) as u64;
                assert_eq!(cycles_to_ns(c, nz(f)), exact, "c={c} f={f}");
            }
        }
        // And back: ns_to_cycles rounds down.
        assert_eq!(ns_to_cycles(16, nz(62_500_000)), 1);
        assert_eq!(ns_to_cycles(15, nz(62_500_000)), 0);
        assert_eq!(ns_to_cycles(1_000_000_000, nz(54_000_000)), 54_000_000);
    }

    #[test]
    fn clock_ids_map_to_the_data_page_or_the_system_call() {
        assert_eq!(VdsoClock::from_id(CLOCK_REALTIME), Some(VdsoClock::Real));
        for c in [CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME] {
            assert_eq!(VdsoClock::from_id(c), Some(VdsoClock::Mono), "clock {c}");
        }
        assert_eq!(
            VdsoClock::from_id(CLOCK_MONOTONIC_COARSE),
            Some(VdsoClock::MonoCoarse)
        );
        assert_eq!(
            VdsoClock::from_id(CLOCK_REALTIME_COARSE),
            Some(VdsoClock::RealCoarse)
        );
        // CPU-time clocks, the alarm clocks, TAI, a pid's clock, nonsense.
        for c in [2u32, 3, 8, 9, 10, 11, 12, -6i32 as u32, u32::MAX] {
            assert_eq!(VdsoClock::from_id(c), None, "clock {c}");
        }
    }

    fn page(freq: u64, base: u64, offset: i64, coarse: u64) -> VdsoData {
        let d = VdsoData::new();
        d.write_begin();
        d.clock_mode
            .store(VDSO_CLOCKMODE_ARCHTIMER, Ordering::Relaxed);
        d.freq.store(freq, Ordering::Relaxed);
        d.cycle_base.store(base, Ordering::Relaxed);
        d.realtime_offset.store(offset as u64, Ordering::Relaxed);
        d.coarse_mono.store(coarse, Ordering::Relaxed);
        d.write_end();
        d
    }

    #[test]
    fn clocks_count_from_the_base_and_realtime_adds_the_offset() {
        let d = page(62_500_000, 1000, 5_000_000_000, 7_000);
        let (s, now) = d.read(|| 1000 + 62_500_000 + 3);
        assert_eq!(now, 1000 + 62_500_000 + 3);
        assert_eq!(s.clock_ns(VdsoClock::Mono, now), Some(1_000_000_048));
        assert_eq!(s.clock_ns(VdsoClock::Real, now), Some(6_000_000_048));
        assert_eq!(s.clock_ns(VdsoClock::MonoCoarse, now), Some(7_000));
        assert_eq!(s.clock_ns(VdsoClock::RealCoarse, now), Some(5_000_007_000));
        // A clock set back before boot time: the offset is negative.
        let d = page(62_500_000, 0, -500, 1000);
        let (s, now) = d.read(|| 62_500_000);
        assert_eq!(s.clock_ns(VdsoClock::Real, now), Some(999_999_500));
        assert_eq!(ns_to_timespec(1_999_999_500).tv_nsec, 999_999_500);
        assert_eq!(ns_to_timeval(1_999_999_500), (1, 999_999));
    }

    #[test]
    fn an_empty_page_sends_the_reader_to_the_system_call() {
        let d = VdsoData::new();
        let (s, now) = d.read(|| panic!("the counter is not read in clock mode none"));
        assert_eq!(now, 0);
        assert_eq!(s.clock_ns(VdsoClock::Mono, now), None);
        // A mode without a frequency is refused too, not divided by.
        let d = page(0, 0, 0, 0);
        let (s, now) = d.read(|| 5);
        assert_eq!(s.clock_ns(VdsoClock::Real, now), None);
    }

    #[test]
    fn a_reader_retries_while_an_update_is_under_way() {
        let d = page(62_500_000, 0, 0, 0);
        d.write_begin();
        d.coarse_mono.store(42, Ordering::Relaxed);
        // The reader, on another thread, spins on the odd count until the
        // update ends, then sees the new value.
        std::thread::scope(|sc| {
            let h = sc.spawn(|| d.read(|| 0).0.coarse_mono);
            std::thread::sleep(std::time::Duration::from_millis(20));
            d.write_end();
            assert_eq!(h.join().unwrap(), 42);
        });
        assert_eq!(d.seq.load(Ordering::Relaxed) % 2, 0);
    }

    #[test]
    fn resolutions() {
        assert_eq!(hrtimer_res_ns(62_500_000), 16);
        assert_eq!(hrtimer_res_ns(19_200_000), 52);
        assert_eq!(hrtimer_res_ns(4_000_000_000), 1);
        assert_eq!(clock_res_ns(VdsoClock::Mono, 16), 16);
        assert_eq!(clock_res_ns(VdsoClock::RealCoarse, 16), 10_000_000);
    }

    /// A minimal shared object: ELF header, a `PT_LOAD` and a `PT_DYNAMIC`
    /// header, the dynamic table, `DT_HASH` (nchain 3), three symbols (the
    /// null one, an undefined one, a defined one) and their strings.
    fn tiny_so() -> Vec<u8> {
        let mut b = vec![0u8; 0x200];
        let w64 = |b: &mut Vec<u8>, o: usize, v: u64| b[o..o + 8].copy_from_slice(&v.to_le_bytes());
        let w32 = |b: &mut Vec<u8>, o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_le_bytes());
        b[0..4].copy_from_slice(b"\x7fELF");
        // e_phoff, e_phnum.
        w64(&mut b, 32, 64);
        b[56] = 2;
        // PT_LOAD at offset 0, vaddr 0, the whole file.
        w32(&mut b, 64, 1);
        w64(&mut b, 64 + 32, 0x200);
        // PT_DYNAMIC at 0x100.
        w32(&mut b, 120, 2);
        w64(&mut b, 120 + 8, 0x100);
        w64(&mut b, 120 + 16, 0x100);
        for (i, (tag, val)) in [
            (DT_HASH, 0x140),
            (DT_SYMTAB, 0x150),
            (DT_STRTAB, 0x1a0),
            (0, 0),
        ]
        .iter()
        .enumerate()
        {
            w64(&mut b, 0x100 + i * 16, *tag);
            w64(&mut b, 0x108 + i * 16, *val);
        }
        w32(&mut b, 0x140, 1); // nbucket
        w32(&mut b, 0x144, 3); // nchain
        b[0x1a0..0x1b5].copy_from_slice(b"\0undef\0__kernel_foo\0\0");
        // Symbol 1: "undef", undefined; symbol 2: "__kernel_foo" at 0x5a0.
        w32(&mut b, 0x150 + 24, 1);
        w32(&mut b, 0x150 + 48, 7);
        b[0x150 + 48 + 6] = 7; // st_shndx
        w64(&mut b, 0x150 + 48 + 8, 0x5a0);
        b
    }

    #[test]
    fn symbols_are_found_through_the_dynamic_table() {
        let so = tiny_so();
        assert_eq!(lookup_symbol(&so, b"__kernel_foo"), Some(0x5a0));
        assert_eq!(lookup_symbol(&so, b"__kernel_fo"), None);
        assert_eq!(
            lookup_symbol(&so, b"undef"),
            None,
            "undefined symbols are not found"
        );
        assert_eq!(image_len(&so), Some(0x200));
        // Cut anywhere, the image gives None, never a panic.
        for n in 0..so.len() {
            let _ = lookup_symbol(&so[..n], b"__kernel_foo");
            let _ = image_len(&so[..n]);
        }
    }
}
