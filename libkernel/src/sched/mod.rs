//! The pure half of the scheduler: the fair policy's arithmetic and tree.

#[cfg(feature = "alloc")]
pub mod fair;
