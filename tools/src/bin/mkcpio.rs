//! `mkcpio DIR -o FILE [--add DIR2]...`: packs directory trees into the
//! initramfs, a reproducible cpio "newc" archive (see
//! `pikern_tools::initramfs`).

use std::path::PathBuf;
use std::process::ExitCode;

use pikern_tools::cli::{Arg, Args};
use pikern_tools::initramfs::build;

const USAGE: &str = "\
usage: mkcpio DIR -o FILE [--add DIR2]...

Writes the files, directories, symlinks and device nodes under DIR (not DIR
itself) to FILE as a cpio newc archive, the initramfs format. Each --add
directory is laid over the ones before it: the same path in a later tree
wins. Entries are sorted, owners are 0 and times 0, so the same trees
always give the same bytes.";

struct Options {
    dirs: Vec<PathBuf>,
    output: PathBuf,
}

fn parse(mut args: Args) -> Result<Option<Options>, String> {
    let (mut base, mut output, mut overlays) = (None, None, Vec::new());
    while let Some(arg) = args.next_arg()? {
        match arg {
            Arg::Flag(f) if f == "-o" || f == "--output" => {
                output = Some(PathBuf::from(args.value(&f)?))
            }
            Arg::Flag(f) if f == "--add" => overlays.push(PathBuf::from(args.value(&f)?)),
            Arg::Flag(f) if f == "-h" || f == "--help" => return Ok(None),
            Arg::Flag(f) => return Err(format!("unknown option {f}")),
            Arg::Positional(p) if base.is_none() => base = Some(PathBuf::from(p)),
            Arg::Positional(p) => return Err(format!("unexpected argument `{p}`")),
        }
    }
    let base = base.ok_or("DIR is required")?;
    let output = output.ok_or("-o FILE is required")?;
    let mut dirs = vec![base];
    dirs.extend(overlays);
    Ok(Some(Options { dirs, output }))
}

fn main() -> ExitCode {
    let opts = match Args::from_env().and_then(parse) {
        Ok(Some(opts)) => opts,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("mkcpio: {err}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = build(&opts.dirs).and_then(|archive| {
        if let Some(dir) = opts.output.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        std::fs::write(&opts.output, archive)
            .map_err(|e| format!("writing {}: {e}", opts.output.display()))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mkcpio: {err}");
            ExitCode::FAILURE
        }
    }
}
