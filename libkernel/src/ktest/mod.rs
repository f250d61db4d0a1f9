//! The pure half of the in-kernel test framework: KTAP output.

pub mod ktap;
