//! `false`: does nothing, unsuccessfully (exit status 1).

#![no_std]
#![no_main]

pikern_rt::entry!(main);

fn main(_args: &[&str]) -> i32 {
    1
}
