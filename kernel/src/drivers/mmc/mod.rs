//! The SD card (Linux's `drivers/mmc/`): the SDHCI host controller
//! (`sdhci`), the card's initialisation and block transfers (`sd`), and
//! the disk it becomes, `/dev/mmcblk0` (major 179, 8 minors: the whole
//! card and up to 7 partitions, `CONFIG_MMC_BLOCK_MINORS`).
//!
//! Which controller: on a Pi 3 the Arasan SDHCI ("EMMC", at 0x300000 in
//! the peripheral window), with GPIO 48-53 routed to it as Linux's device
//! tree does. On a Pi 4 the card slot is on EMMC2 (at 0x340000); QEMU's `raspi4b`
//! instead attaches `-drive if=sd` to the Arasan one (its GPIO model
//! routes the SD bus to it), so EMMC2 is tried first and the Arasan
//! controller when EMMC2 has no card. Base clocks come from the firmware
//! (mailbox `GET_CLOCK_RATE`), else from the controller's capabilities.

pub mod sd;
pub mod sdhci;

use crate::block::{self, DiskInfo};
use crate::bsp::{self, BoardKind};
use alloc::boxed::Box;
use libkernel::bsp::bcm;
use sd::{InitError, SdCard};
use sdhci::SdhciHost;

/// `MMC_BLOCK_MAJOR`.
pub const MMC_BLOCK_MAJOR: u32 = 179;
/// Minors per card (`CONFIG_MMC_BLOCK_MINORS`).
const MMC_BLOCK_MINORS: u32 = 8;

/// The Arasan SDHCI's offset in the peripheral window.
const EMMC_OFFSET: usize = 0x30_0000;
/// The Pi 4's EMMC2 offset.
const EMMC2_OFFSET: usize = 0x34_0000;

/// One controller to try: its registers and its firmware clock.
struct Slot {
    base: usize,
    clock_id: u32,
}

/// Finds the card and registers `mmcblk0` with its partitions, or says
/// why not; the boot goes on either way (`mmc_rescan` at boot).
pub fn mmc_init() {
    let board = bsp::board();
    let soc = board.soc();
    let emmc = Slot {
        base: soc.periph + EMMC_OFFSET,
        clock_id: bcm::CLOCK_EMMC,
    };
    let slots: &[Slot] = match board.kind {
        BoardKind::Rpi3 => {
            bsp::soc::route_sdhci_pins(soc);
            &[emmc][..]
        }
        BoardKind::Rpi4 => &[
            Slot {
                base: soc.periph + EMMC2_OFFSET,
                clock_id: bcm::CLOCK_EMMC2,
            },
            emmc,
        ][..],
    };
    let mut last = None;
    for (i, slot) in slots.iter().enumerate() {
        let clock = bsp::soc::firmware_clock_rate(soc, slot.clock_id).unwrap_or(0);
        let host = SdhciHost::new("mmc0", slot.base, clock, slot.clock_id == bcm::CLOCK_EMMC);
        // The card-detect line is only a hint (boards leave it unwired):
        // with another controller to try, trust it; else try anyway.
        if !host.card_present() && i + 1 < slots.len() {
            continue;
        }
        match SdCard::attach(host) {
            Ok(card) => return add_card(card),
            Err(e) => last = Some(e),
        }
    }
    match last {
        Some(InitError::Failed(e)) => println!("mmc0: card failed to initialise: {e}"),
        _ => println!("mmc0: no card"),
    }
}

/// `mmc_blk_probe`: the card becomes `mmcblk0`, Linux's messages first.
fn add_card(card: SdCard) {
    use libkernel::block::BlockIo;
    let sectors = card.nr_sectors();
    let name = core::str::from_utf8(&card.name).unwrap_or("?????");
    println!(
        "{}: new {} card at address {:04x}",
        card.host_name(),
        card.kind(),
        card.rca()
    );
    println!(
        "mmcblk0: {}:{:04x} {} {}.{:02} MiB",
        card.host_name(),
        card.rca(),
        name,
        sectors / 2048,
        (sectors % 2048) * 100 / 2048
    );
    block::add_disk(
        DiskInfo {
            name: alloc::string::String::from("mmcblk0"),
            major: MMC_BLOCK_MAJOR,
            first_minor: 0,
            minors: MMC_BLOCK_MINORS,
            read_only: false,
        },
        Box::new(card),
    );
}
