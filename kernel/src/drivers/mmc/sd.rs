//! SD card initialisation and block transfers (Linux's
//! `drivers/mmc/core/sd.c`, `sd_ops.c`, `mmc_ops.c` and the block
//! driver's read/write requests), on top of an SDHCI host.
//!
//! Identification at 400 kHz: CMD0 (idle), CMD8 (interface condition:
//! a 2.0 card echoes the check pattern), ACMD41 with HCS until the card
//! is ready (its CCS bit says SDHC/SDXC, addressed in blocks; otherwise
//! bytes), CMD2 (CID), CMD3 (relative address), CMD9 (CSD: the
//! capacity), CMD7 (select), ACMD6 (4-bit bus), CMD16 (512-byte blocks);
//! then 25 MHz for data.

use super::sdhci::{Data, Resp, SdhciHost};
use crate::errno::*;
use libkernel::block::{BlockIo, SECTOR_SIZE};
use libkernel::mmc::{cid_name, csd_capacity_sectors, rsp136_from_sdhci};

const MMC_GO_IDLE_STATE: u32 = 0;
const MMC_ALL_SEND_CID: u32 = 2;
const SD_SEND_RELATIVE_ADDR: u32 = 3;
const SD_APP_SET_BUS_WIDTH: u32 = 6;
const MMC_SELECT_CARD: u32 = 7;
const SD_SEND_IF_COND: u32 = 8;
const MMC_SEND_CSD: u32 = 9;
const MMC_SET_BLOCKLEN: u32 = 16;
const MMC_READ_SINGLE_BLOCK: u32 = 17;
const MMC_READ_MULTIPLE_BLOCK: u32 = 18;
const MMC_WRITE_BLOCK: u32 = 24;
const MMC_WRITE_MULTIPLE_BLOCK: u32 = 25;
const SD_APP_OP_COND: u32 = 41;
const MMC_APP_CMD: u32 = 55;

/// OCR: the card finished powering up.
const OCR_BUSY_DONE: u32 = 1 << 31;
/// OCR: high capacity (SDHC/SDXC), block addressed.
const SD_OCR_CCS: u32 = 1 << 30;
/// ACMD41 argument: the host supports high capacity.
const SD_OCR_HCS: u32 = 1 << 30;
/// ACMD41 argument: 2.7-3.6 V.
const SD_OCR_VDD_27_36: u32 = 0x00ff_8000;
/// CMD8 argument: 2.7-3.6 V and the check pattern 0xAA.
const SD_IF_COND_ARG: u32 = 0x1aa;

/// How long a card may take to leave its power-up busy state (the SD
/// spec allows one second for ACMD41).
const ACMD41_TIMEOUT_MS: u64 = 1000;

/// The card's data clock (default speed).
const SD_DEFAULT_HZ: u32 = 25_000_000;

/// Most blocks in one CMD18/CMD25 (the block count register is 16 bits;
/// Linux's sdhci caps a request at 65535 blocks too).
const MAX_BLOCKS: usize = 0xffff;

/// An initialised card on a host (`struct mmc_card`).
pub struct SdCard {
    host: SdhciHost,
    rca: u32,
    high_capacity: bool,
    nr_sectors: u64,
    /// The CID's product name.
    pub name: [u8; 5],
}

/// Why the card did not come up.
pub enum InitError {
    /// No card answered the identification commands.
    NoCard,
    /// A card answered but failed later (the message was printed).
    Failed(Errno),
}

impl SdCard {
    fn app_cmd(&self, rca: u32, cmd: u32, arg: u32, resp: Resp) -> Result<[u32; 4], Errno> {
        self.host
            .send_command(MMC_APP_CMD, rca << 16, Resp::R1, None, false)?;
        self.host.send_command(cmd, arg, resp, None, false)
    }

    /// `mmc_attach_sd`: identifies and selects the card on `host`.
    pub fn attach(mut host: SdhciHost) -> Result<SdCard, InitError> {
        let failed = InitError::Failed;
        host.init().map_err(failed)?;
        let mut card = SdCard {
            host,
            rca: 0,
            high_capacity: false,
            nr_sectors: 0,
            name: [b'?'; 5],
        };
        let h = &card.host;
        h.send_command(MMC_GO_IDLE_STATE, 0, Resp::None, None, true)
            .map_err(|_| InitError::NoCard)?;
        // A 1.x card does not know CMD8 and stays silent; a 2.0 card echoes
        // the pattern. No card at all is silent too: ACMD41 tells.
        let v2 = match h.send_command(SD_SEND_IF_COND, SD_IF_COND_ARG, Resp::R1, None, true) {
            Ok(r) if r[0] & 0xfff == SD_IF_COND_ARG => true,
            Ok(r) => {
                println!("{}: CMD8 echoed {:#x}, not an SD card", h.name, r[0]);
                return Err(failed(EIO));
            }
            Err(_) => false,
        };
        let arg = SD_OCR_VDD_27_36 | if v2 { SD_OCR_HCS } else { 0 };
        let start = crate::time::uptime_ns();
        let ocr = loop {
            let r = h
                .send_command(MMC_APP_CMD, 0, Resp::R1, None, true)
                .and_then(|_| h.send_command(SD_APP_OP_COND, arg, Resp::R3, None, true))
                .map_err(|_| InitError::NoCard)?;
            if r[0] & OCR_BUSY_DONE != 0 {
                break r[0];
            }
            if crate::time::uptime_ns() - start > ACMD41_TIMEOUT_MS * 1_000_000 {
                println!(
                    "{}: card still busy after {} ms (OCR {:#010x})",
                    h.name, ACMD41_TIMEOUT_MS, r[0]
                );
                return Err(failed(ETIMEDOUT));
            }
            crate::sched::wait::msleep(10);
        };
        card.high_capacity = ocr & SD_OCR_CCS != 0;
        let h = &card.host;
        let cid = h
            .send_command(MMC_ALL_SEND_CID, 0, Resp::R2, None, false)
            .map_err(failed)?;
        card.name = cid_name(&rsp136_from_sdhci(cid));
        let r = h
            .send_command(SD_SEND_RELATIVE_ADDR, 0, Resp::R1, None, false)
            .map_err(failed)?;
        card.rca = r[0] >> 16;
        let csd = h
            .send_command(MMC_SEND_CSD, card.rca << 16, Resp::R2, None, false)
            .map_err(failed)?;
        let Some(sectors) = csd_capacity_sectors(&rsp136_from_sdhci(csd)) else {
            println!("{}: unknown CSD structure", h.name);
            return Err(failed(EIO));
        };
        card.nr_sectors = sectors;
        h.send_command(MMC_SELECT_CARD, card.rca << 16, Resp::R1b, None, false)
            .map_err(failed)?;
        card.app_cmd(card.rca, SD_APP_SET_BUS_WIDTH, 2, Resp::R1)
            .map_err(failed)?;
        card.host.set_bus_width_4();
        card.host
            .send_command(MMC_SET_BLOCKLEN, SECTOR_SIZE as u32, Resp::R1, None, false)
            .map_err(failed)?;
        card.host.set_clock(SD_DEFAULT_HZ).map_err(failed)?;
        Ok(card)
    }

    /// "SDHC" or "SD", as Linux names the card type.
    pub fn kind(&self) -> &'static str {
        if self.high_capacity {
            "SDHC"
        } else {
            "SD"
        }
    }

    /// The card's relative address.
    pub fn rca(&self) -> u32 {
        self.rca
    }

    /// The host's name ("mmc0").
    pub fn host_name(&self) -> &'static str {
        self.host.name
    }

    /// The command argument addressing `sector`: block number on a high
    /// capacity card, byte offset on a standard one.
    fn addr(&self, sector: u64) -> Result<u32, i32> {
        let a = if self.high_capacity {
            sector
        } else {
            sector * SECTOR_SIZE as u64
        };
        u32::try_from(a).map_err(|_| libkernel::uapi::EINVAL)
    }

    fn check(&self, sector: u64, len: usize) -> Result<(), i32> {
        match sector.checked_add((len / SECTOR_SIZE) as u64) {
            Some(end) if end <= self.nr_sectors && len.is_multiple_of(SECTOR_SIZE) => Ok(()),
            _ => Err(libkernel::uapi::EINVAL),
        }
    }
}

impl BlockIo for SdCard {
    fn nr_sectors(&self) -> u64 {
        self.nr_sectors
    }

    /// CMD17 for one block, CMD18 with auto-CMD12 for more.
    fn read_sectors(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), i32> {
        self.check(sector, buf.len())?;
        for (i, chunk) in buf.chunks_mut(MAX_BLOCKS * SECTOR_SIZE).enumerate() {
            let s = sector + (i * MAX_BLOCKS) as u64;
            let cmd = if chunk.len() == SECTOR_SIZE {
                MMC_READ_SINGLE_BLOCK
            } else {
                MMC_READ_MULTIPLE_BLOCK
            };
            let arg = self.addr(s)?;
            self.host
                .send_command(cmd, arg, Resp::R1, Some(Data::Read(chunk)), false)
                .map_err(|_| libkernel::uapi::EIO)?;
        }
        Ok(())
    }

    /// CMD24 for one block, CMD25 with auto-CMD12 for more.
    fn write_sectors(&mut self, sector: u64, buf: &[u8]) -> Result<(), i32> {
        self.check(sector, buf.len())?;
        for (i, chunk) in buf.chunks(MAX_BLOCKS * SECTOR_SIZE).enumerate() {
            let s = sector + (i * MAX_BLOCKS) as u64;
            let cmd = if chunk.len() == SECTOR_SIZE {
                MMC_WRITE_BLOCK
            } else {
                MMC_WRITE_MULTIPLE_BLOCK
            };
            let arg = self.addr(s)?;
            self.host
                .send_command(cmd, arg, Resp::R1, Some(Data::Write(chunk)), false)
                .map_err(|_| libkernel::uapi::EIO)?;
        }
        Ok(())
    }
}
