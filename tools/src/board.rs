//! The two boards pikern runs on, and the names each tool uses for them.
//!
//! Every host tool takes `--board rpi3|rpi4`; QEMU calls the same machines
//! `raspi3b` / `raspi4b`, and the DTB and the test report need their model
//! strings. Keeping that mapping in one place stops the tools drifting apart.

use std::fmt;
use std::str::FromStr;

/// A Raspberry Pi model that pikern supports (see shared/spec/boards.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Board {
    /// Raspberry Pi 3 Model B (BCM2837, Cortex-A53, 1 GiB).
    Rpi3,
    /// Raspberry Pi 4 Model B (BCM2711, Cortex-A72, 2 GiB under QEMU).
    Rpi4,
}

impl Board {
    /// The name used on our command lines (`rpi3`, `rpi4`).
    pub fn name(self) -> &'static str {
        match self {
            Board::Rpi3 => "rpi3",
            Board::Rpi4 => "rpi4",
        }
    }

    /// The QEMU `-M` machine that emulates this board.
    pub fn qemu_machine(self) -> &'static str {
        match self {
            Board::Rpi3 => "raspi3b",
            Board::Rpi4 => "raspi4b",
        }
    }
}

impl fmt::Display for Board {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Board {
    type Err = String;

    /// Accepts our names and, for convenience, QEMU's machine names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rpi3" | "raspi3b" => Ok(Board::Rpi3),
            "rpi4" | "raspi4b" => Ok(Board::Rpi4),
            other => Err(format!("unknown board `{other}` (expected rpi3 or rpi4)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_names_round_trip_and_map_to_qemu_machines() {
        for board in [Board::Rpi3, Board::Rpi4] {
            assert_eq!(board.name().parse::<Board>(), Ok(board));
            assert_eq!(board.qemu_machine().parse::<Board>(), Ok(board));
        }
        assert_eq!(Board::Rpi3.qemu_machine(), "raspi3b");
        assert_eq!(Board::Rpi4.qemu_machine(), "raspi4b");
        assert!("rpi5".parse::<Board>().is_err());
    }
}
