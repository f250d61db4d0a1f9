//! The buffer cache (Linux's `fs/buffer.c`, `buffer_head`): blocks of a
//! disk kept in memory, read once (`bread`), changed in memory and marked
//! dirty (`mark_buffer_dirty`), written back when evicted or synced
//! (`sync_dirty_buffer`, `sync_blockdev`).
//!
//! A buffer is [`BLOCK_SIZE`] bytes (a page, as Linux's block device
//! page cache holds them) at a block-aligned disk offset, so a disk and
//! its partitions share buffers and never see stale copies of each other.
//! The cache holds at most `max_buffers`, evicting the least recently used
//! (writing it first if dirty). Reads of several missing blocks and
//! write-back of consecutive dirty ones go to the device as one request
//! of up to [`MAX_RUN`] blocks (what Linux's request merging gives).

use super::{BlockIo, SECTOR_SIZE};
use crate::uapi::{EINVAL, ENOMEM};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Bytes per buffer.
pub const BLOCK_SIZE: usize = 4096;
/// Sectors per buffer.
const BLOCK_SECTORS: u64 = (BLOCK_SIZE / SECTOR_SIZE) as u64;
/// Most blocks in one device request.
pub const MAX_RUN: u64 = 32;

/// One cached block (`buffer_head`).
struct BufferHead {
    data: Vec<u8>,
    /// `BH_Dirty`: changed since read or last written.
    dirty: bool,
    /// When last used: its key in [`BufferCache::lru`].
    stamp: u64,
}

/// Counts for tests and `/proc`: requests sent to the device, and how
/// often a block was found cached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Read requests sent to the device.
    pub dev_reads: u64,
    /// Write requests sent to the device.
    pub dev_writes: u64,
    /// Blocks found in the cache.
    pub hits: u64,
    /// Blocks read from the device.
    pub misses: u64,
}

/// The buffers of one disk.
pub struct BufferCache {
    bufs: BTreeMap<u64, BufferHead>,
    /// Last-use stamp -> block: the first entry is the eviction victim.
    lru: BTreeMap<u64, u64>,
    clock: u64,
    max_buffers: usize,
    /// Counters.
    pub stats: CacheStats,
}

fn alloc_block(len: usize) -> Result<Vec<u8>, i32> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| ENOMEM)?;
    v.resize(len, 0);
    Ok(v)
}

impl BufferCache {
    /// An empty cache of at most `max_buffers` blocks (at least
    /// [`MAX_RUN`], so one request always fits).
    pub fn new(max_buffers: usize) -> Self {
        BufferCache {
            bufs: BTreeMap::new(),
            lru: BTreeMap::new(),
            clock: 0,
            max_buffers: max_buffers.max(MAX_RUN as usize),
            stats: CacheStats::default(),
        }
    }

    /// Blocks cached.
    pub fn nr_buffers(&self) -> usize {
        self.bufs.len()
    }

    /// Dirty blocks cached.
    pub fn nr_dirty(&self) -> usize {
        self.bufs.values().filter(|b| b.dirty).count()
    }

    /// Sectors of `block` that lie on the device (all but the last block
    /// of a disk whose size is not a multiple of the block).
    fn valid_sectors(io: &dyn BlockIo, block: u64) -> usize {
        io.nr_sectors()
            .saturating_sub(block * BLOCK_SECTORS)
            .min(BLOCK_SECTORS) as usize
    }

    fn touch(&mut self, block: u64) {
        self.clock += 1;
        let stamp = self.clock;
        if let Some(b) = self.bufs.get_mut(&block) {
            self.lru.remove(&b.stamp);
            b.stamp = stamp;
            self.lru.insert(stamp, block);
        }
    }

    fn insert(&mut self, block: u64, data: Vec<u8>, dirty: bool) {
        self.clock += 1;
        let stamp = self.clock;
        self.lru.insert(stamp, block);
        self.bufs.insert(block, BufferHead { data, dirty, stamp });
    }

    /// Evicts least recently used buffers until `n` more fit, writing
    /// dirty ones back first.
    fn make_room(&mut self, io: &mut dyn BlockIo, n: usize) -> Result<(), i32> {
        while self.bufs.len() + n > self.max_buffers {
            let Some((&stamp, &block)) = self.lru.iter().next() else {
                break;
            };
            if self.bufs.get(&block).is_some_and(|b| b.dirty) {
                self.write_run(io, block, 1)?;
            }
            self.lru.remove(&stamp);
            self.bufs.remove(&block);
        }
        Ok(())
    }

    /// Reads `run` blocks from `block` on (none of them cached) in one
    /// request and caches them clean.
    fn fill(&mut self, io: &mut dyn BlockIo, block: u64, run: u64) -> Result<(), i32> {
        self.make_room(io, run as usize)?;
        let sectors: usize = (0..run).map(|i| Self::valid_sectors(io, block + i)).sum();
        let mut tmp = alloc_block(sectors * SECTOR_SIZE)?;
        self.stats.dev_reads += 1;
        io.read_sectors(block * BLOCK_SECTORS, &mut tmp)?;
        for (i, chunk) in tmp.chunks(BLOCK_SIZE).enumerate() {
            let mut data = alloc_block(BLOCK_SIZE)?;
            data[..chunk.len()].copy_from_slice(chunk);
            self.insert(block + i as u64, data, false);
            self.stats.misses += 1;
        }
        Ok(())
    }

    /// Writes the `run` cached blocks from `block` on in one request and
    /// marks them clean, even when the device fails (Linux reports the
    /// error once and does not retry).
    fn write_run(&mut self, io: &mut dyn BlockIo, block: u64, run: u64) -> Result<(), i32> {
        let sectors: usize = (0..run).map(|i| Self::valid_sectors(io, block + i)).sum();
        let mut tmp = alloc_block(sectors * SECTOR_SIZE)?;
        for (i, chunk) in tmp.chunks_mut(BLOCK_SIZE).enumerate() {
            if let Some(b) = self.bufs.get(&(block + i as u64)) {
                chunk.copy_from_slice(&b.data[..chunk.len()]);
            }
        }
        for i in 0..run {
            if let Some(b) = self.bufs.get_mut(&(block + i)) {
                b.dirty = false;
            }
        }
        self.stats.dev_writes += 1;
        io.write_sectors(block * BLOCK_SECTORS, &tmp)
    }

    fn check_range(io: &dyn BlockIo, off: u64, len: usize) -> Result<(), i32> {
        let size = io.nr_sectors() * SECTOR_SIZE as u64;
        match off.checked_add(len as u64) {
            Some(end) if end <= size => Ok(()),
            _ => Err(EINVAL),
        }
    }

    /// Reads `buf.len()` bytes at byte offset `off` of the disk through
    /// the cache (`bread` of each block). `EINVAL` past the end.
    pub fn read_at(&mut self, io: &mut dyn BlockIo, off: u64, buf: &mut [u8]) -> Result<(), i32> {
        Self::check_range(io, off, buf.len())?;
        let end = off + buf.len() as u64;
        let mut pos = off;
        while pos < end {
            let block = pos / BLOCK_SIZE as u64;
            let boff = (pos % BLOCK_SIZE as u64) as usize;
            let n = (BLOCK_SIZE - boff).min((end - pos) as usize);
            if self.bufs.contains_key(&block) {
                self.stats.hits += 1;
            } else {
                let last = (end - 1) / BLOCK_SIZE as u64;
                let mut run = 1;
                while run < MAX_RUN
                    && block + run <= last
                    && !self.bufs.contains_key(&(block + run))
                {
                    run += 1;
                }
                self.fill(io, block, run)?;
            }
            self.touch(block);
            let b = self.bufs.get(&block).ok_or(EINVAL)?;
            let at = (pos - off) as usize;
            buf[at..at + n].copy_from_slice(&b.data[boff..boff + n]);
            pos += n as u64;
        }
        Ok(())
    }

    /// Writes `buf` at byte offset `off` into the cache and marks the
    /// buffers dirty (`mark_buffer_dirty`); a block written only in part
    /// is read first. `EINVAL` past the end.
    pub fn write_at(&mut self, io: &mut dyn BlockIo, off: u64, buf: &[u8]) -> Result<(), i32> {
        Self::check_range(io, off, buf.len())?;
        let end = off + buf.len() as u64;
        let mut pos = off;
        while pos < end {
            let block = pos / BLOCK_SIZE as u64;
            let boff = (pos % BLOCK_SIZE as u64) as usize;
            let n = (BLOCK_SIZE - boff).min((end - pos) as usize);
            if !self.bufs.contains_key(&block) {
                if boff == 0 && n == Self::valid_sectors(io, block) * SECTOR_SIZE {
                    self.make_room(io, 1)?;
                    let data = alloc_block(BLOCK_SIZE)?;
                    self.insert(block, data, false);
                } else {
                    self.fill(io, block, 1)?;
                }
            }
            self.touch(block);
            let b = self.bufs.get_mut(&block).ok_or(EINVAL)?;
            let at = (pos - off) as usize;
            b.data[boff..boff + n].copy_from_slice(&buf[at..at + n]);
            b.dirty = true;
            pos += n as u64;
        }
        Ok(())
    }

    /// Writes every dirty buffer back, consecutive ones in one request
    /// (`sync_blockdev`); the first error is returned after all were
    /// tried.
    pub fn sync(&mut self, io: &mut dyn BlockIo) -> Result<(), i32> {
        let dirty: Vec<u64> = self
            .bufs
            .iter()
            .filter(|(_, b)| b.dirty)
            .map(|(&k, _)| k)
            .collect();
        let mut result = Ok(());
        let mut i = 0;
        while i < dirty.len() {
            let start = dirty[i];
            let mut run = 1;
            while i + (run as usize) < dirty.len()
                && run < MAX_RUN
                && dirty[i + run as usize] == start + run
            {
                run += 1;
            }
            if let Err(e) = self.write_run(io, start, run) {
                if result.is_ok() {
                    result = Err(e);
                }
            }
            i += run as usize;
        }
        result
    }

    /// Writes everything back and drops every buffer (`BLKFLSBUF`,
    /// `invalidate_bdev`): the next read goes to the device.
    pub fn invalidate(&mut self, io: &mut dyn BlockIo) -> Result<(), i32> {
        let r = self.sync(io);
        self.bufs = BTreeMap::new();
        self.lru = BTreeMap::new();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uapi::EIO;
    use alloc::vec;

    /// A disk in memory that counts requests and can be made to fail.
    struct MemDisk {
        data: Vec<u8>,
        reads: Vec<(u64, usize)>,
        writes: Vec<(u64, usize)>,
        fail: bool,
    }

    impl MemDisk {
        fn new(sectors: usize) -> Self {
            let data = (0..sectors * SECTOR_SIZE)
                .map(|i| (i * 7 % 251) as u8)
                .collect();
            MemDisk {
                data,
                reads: vec![],
                writes: vec![],
                fail: false,
            }
        }
    }

    impl BlockIo for MemDisk {
        fn nr_sectors(&self) -> u64 {
            (self.data.len() / SECTOR_SIZE) as u64
        }
        fn read_sectors(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), i32> {
            assert_eq!(buf.len() % SECTOR_SIZE, 0);
            if self.fail {
                return Err(EIO);
            }
            let o = sector as usize * SECTOR_SIZE;
            buf.copy_from_slice(&self.data[o..o + buf.len()]);
            self.reads.push((sector, buf.len() / SECTOR_SIZE));
            Ok(())
        }
        fn write_sectors(&mut self, sector: u64, buf: &[u8]) -> Result<(), i32> {
            assert_eq!(buf.len() % SECTOR_SIZE, 0);
            if self.fail {
                return Err(EIO);
            }
            let o = sector as usize * SECTOR_SIZE;
            self.data[o..o + buf.len()].copy_from_slice(buf);
            self.writes.push((sector, buf.len() / SECTOR_SIZE));
            Ok(())
        }
    }

    #[test]
    fn reads_match_the_disk_and_hit_the_cache() {
        let mut d = MemDisk::new(64);
        let want = d.data.clone();
        let mut c = BufferCache::new(64);
        let mut buf = vec![0u8; 10000];
        c.read_at(&mut d, 1000, &mut buf).unwrap();
        assert_eq!(&buf[..], &want[1000..11000]);
        // Blocks 0..=2 in one request.
        assert_eq!(d.reads, vec![(0, 24)]);
        c.read_at(&mut d, 1000, &mut buf).unwrap();
        assert_eq!(d.reads.len(), 1, "second read came from the cache");
        // Blocks 1 and 2 came with the first request, then all three again.
        assert_eq!((c.stats.misses, c.stats.hits), (3, 5));
    }

    #[test]
    fn past_the_end_is_einval() {
        let mut d = MemDisk::new(16);
        let mut c = BufferCache::new(64);
        let mut buf = [0u8; 2];
        assert_eq!(c.read_at(&mut d, 16 * 512 - 1, &mut buf), Err(EINVAL));
        assert_eq!(c.write_at(&mut d, u64::MAX, &buf), Err(EINVAL));
        assert!(c.read_at(&mut d, 16 * 512 - 2, &mut buf).is_ok());
    }

    #[test]
    fn writes_stay_in_memory_until_sync() {
        let mut d = MemDisk::new(64);
        let mut c = BufferCache::new(64);
        c.write_at(&mut d, 4096, &[0xab; 8192]).unwrap();
        // Whole blocks: nothing read, nothing written yet.
        assert!(d.reads.is_empty() && d.writes.is_empty());
        assert_eq!(c.nr_dirty(), 2);
        let mut back = [0u8; 8192];
        c.read_at(&mut d, 4096, &mut back).unwrap();
        assert_eq!(back, [0xab; 8192]);
        c.sync(&mut d).unwrap();
        assert_eq!(d.writes, vec![(8, 16)], "two dirty blocks, one request");
        assert_eq!(&d.data[4096..12288], &[0xab; 8192][..]);
        assert_eq!(c.nr_dirty(), 0);
        c.sync(&mut d).unwrap();
        assert_eq!(d.writes.len(), 1, "nothing left to write");
    }

    #[test]
    fn partial_write_reads_the_block_first() {
        let mut d = MemDisk::new(16);
        let before = d.data.clone();
        let mut c = BufferCache::new(64);
        c.write_at(&mut d, 10, b"hello").unwrap();
        assert_eq!(d.reads, vec![(0, 8)]);
        c.sync(&mut d).unwrap();
        assert_eq!(&d.data[10..15], b"hello");
        assert_eq!(&d.data[..10], &before[..10]);
        assert_eq!(&d.data[15..4096], &before[15..4096]);
    }

    #[test]
    fn eviction_writes_dirty_buffers_and_stays_bounded() {
        let mut d = MemDisk::new(8 * 100);
        let mut c = BufferCache::new(MAX_RUN as usize);
        for b in 0..100u64 {
            c.write_at(&mut d, b * 4096, &[b as u8; 4096]).unwrap();
            assert!(c.nr_buffers() <= MAX_RUN as usize);
        }
        c.sync(&mut d).unwrap();
        for b in 0..100usize {
            assert!(d.data[b * 4096..(b + 1) * 4096]
                .iter()
                .all(|&x| x == b as u8));
        }
    }

    #[test]
    fn partial_last_block() {
        // 11 sectors: the second block has 3.
        let mut d = MemDisk::new(11);
        let want = d.data.clone();
        let mut c = BufferCache::new(64);
        let mut buf = vec![0u8; 11 * 512];
        c.read_at(&mut d, 0, &mut buf).unwrap();
        assert_eq!(buf, want);
        assert_eq!(d.reads, vec![(0, 11)]);
        c.write_at(&mut d, 8 * 512, &[1u8; 3 * 512]).unwrap();
        c.sync(&mut d).unwrap();
        assert_eq!(d.writes, vec![(8, 3)]);
        assert!(d.data[8 * 512..].iter().all(|&x| x == 1));
    }

    #[test]
    fn device_errors_are_returned() {
        let mut d = MemDisk::new(16);
        let mut c = BufferCache::new(64);
        c.write_at(&mut d, 0, &[5u8; 4096]).unwrap();
        d.fail = true;
        let mut buf = [0u8; 4];
        assert_eq!(c.read_at(&mut d, 4096, &mut buf), Err(EIO));
        assert_eq!(c.sync(&mut d), Err(EIO));
        // Reported once: the buffer is no longer dirty.
        assert_eq!(c.sync(&mut d), Ok(()));
        // Still cached: reading it does not touch the device.
        assert!(c.read_at(&mut d, 0, &mut buf).is_ok());
    }

    #[test]
    fn invalidate_drops_everything() {
        let mut d = MemDisk::new(16);
        let mut c = BufferCache::new(64);
        c.write_at(&mut d, 0, &[9u8; 100]).unwrap();
        c.invalidate(&mut d).unwrap();
        assert_eq!(c.nr_buffers(), 0);
        assert_eq!(&d.data[..100], &[9u8; 100][..]);
        let mut buf = [0u8; 100];
        c.read_at(&mut d, 0, &mut buf).unwrap();
        assert_eq!(d.reads.len(), 2);
    }
}
