//! Block device drivers (`drivers/block/`).

pub mod brd;
