//! Drivers that are not board support (`drivers/`).

pub mod char;
pub mod video;
