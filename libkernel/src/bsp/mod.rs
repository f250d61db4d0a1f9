//! Board support that needs no hardware: the BCM283x/BCM2711 facts and the
//! UART chainload protocol shared by the kernel, the chainloader and the
//! host tools.

pub mod bcm;
pub mod chainload;
