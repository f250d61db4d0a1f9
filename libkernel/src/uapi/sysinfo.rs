//! `linux/sysinfo.h`, `linux/times.h`: `struct sysinfo` and `struct tms`.

use super::bytes::Writer;

/// `sysinfo.loads` are fixed-point with this many fraction bits
/// (`SI_LOAD_SHIFT`).
pub const SI_LOAD_SHIFT: u32 = 16;

/// `struct sysinfo` (112 bytes on 64-bit): uptime, load averages, memory
/// in units of `mem_unit` bytes, and the number of tasks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sysinfo {
    pub uptime: i64,
    pub loads: [u64; 3],
    pub totalram: u64,
    pub freeram: u64,
    pub sharedram: u64,
    pub bufferram: u64,
    pub totalswap: u64,
    pub freeswap: u64,
    pub procs: u16,
    pub totalhigh: u64,
    pub freehigh: u64,
    pub mem_unit: u32,
}

/// Size of [`Sysinfo`] in user memory.
pub const SYSINFO_SIZE: usize = 112;

impl Sysinfo {
    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; SYSINFO_SIZE] {
        let mut w = Writer::<SYSINFO_SIZE>::new();
        w.u64(self.uptime as u64);
        for l in self.loads {
            w.u64(l);
        }
        for v in [
            self.totalram,
            self.freeram,
            self.sharedram,
            self.bufferram,
            self.totalswap,
            self.freeswap,
        ] {
            w.u64(v);
        }
        w.bytes(&self.procs.to_le_bytes());
        w.bytes(&[0; 6]); // pad, and alignment of totalhigh
        w.u64(self.totalhigh);
        w.u64(self.freehigh);
        w.u32(self.mem_unit);
        w.u32(0); // _f[0] and the tail padding
        w.finish()
    }
}

/// `struct tms`: CPU times in clock ticks (`USER_HZ`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tms {
    pub tms_utime: i64,
    pub tms_stime: i64,
    pub tms_cutime: i64,
    pub tms_cstime: i64,
}

impl Tms {
    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut w = Writer::<32>::new();
        for v in [
            self.tms_utime,
            self.tms_stime,
            self.tms_cutime,
            self.tms_cstime,
        ] {
            w.u64(v as u64);
        }
        w.finish()
    }
}
