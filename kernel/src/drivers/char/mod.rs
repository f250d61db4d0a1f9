//! Character devices (`drivers/char`).

pub mod random;
