//! Drivers that are not board support (`drivers/`).

pub mod block;
pub mod char;
pub mod mmc;
