//! `true`: does nothing, successfully (exit status 0).

#![no_std]
#![no_main]

pikern_rt::entry!(main);

fn main(_args: &[&str]) -> i32 {
    0
}
