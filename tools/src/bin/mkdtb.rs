//! `mkdtb --board rpi3|rpi4 -o FILE`: writes the minimal DTB that QEMU's
//! raspi machines need to pass the kernel its command line and initramfs
//! (see `pikern_tools::dtb` for why).

use std::path::PathBuf;
use std::process::ExitCode;

use pikern_tools::board::Board;
use pikern_tools::cli::{Arg, Args};
use pikern_tools::dtb::build_dtb;

const USAGE: &str = "\
usage: mkdtb --board rpi3|rpi4 -o FILE

Writes a minimal device tree blob for QEMU's raspi3b/raspi4b machines:
root compatible/model, an empty /chosen (QEMU adds bootargs and the
initrd range) and /memory@0 (QEMU sets its size).";

fn parse(mut args: Args) -> Result<Option<(Board, PathBuf)>, String> {
    let (mut board, mut output) = (None, None);
    while let Some(arg) = args.next_arg()? {
        match arg {
            Arg::Flag(f) if f == "--board" => board = Some(args.value(&f)?.parse::<Board>()?),
            Arg::Flag(f) if f == "-o" || f == "--output" => {
                output = Some(PathBuf::from(args.value(&f)?))
            }
            Arg::Flag(f) if f == "-h" || f == "--help" => return Ok(None),
            Arg::Flag(f) => return Err(format!("unknown option {f}")),
            Arg::Positional(p) => return Err(format!("unexpected argument `{p}`")),
        }
    }
    let board = board.ok_or("--board is required")?;
    let output = output.ok_or("-o FILE is required")?;
    Ok(Some((board, output)))
}

fn main() -> ExitCode {
    let parsed = Args::from_env().and_then(parse);
    let (board, output) = match parsed {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("mkdtb: {err}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = build_dtb(board).and_then(|blob| {
        if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        std::fs::write(&output, blob).map_err(|e| format!("writing {}: {e}", output.display()))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mkdtb: {err}");
            ExitCode::FAILURE
        }
    }
}
