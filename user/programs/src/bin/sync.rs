//! `sync`: writes every file system's and disk's dirty data back (coreutils'
//! and busybox's `sync` without arguments), so the SD card can be pulled
//! out or the machine switched off without losing what was written.

#![no_std]
#![no_main]

use pikern_rt::sys;

pikern_rt::entry!(main);

fn main(_args: &[&str]) -> i32 {
    sys::sync();
    0
}
