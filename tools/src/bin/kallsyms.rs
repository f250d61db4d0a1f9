//! `kallsyms KERNEL_ELF KERNEL_IMG`: writes the kernel's symbol table into
//! the `.kallsyms` area of the raw image (Linux's `scripts/kallsyms`).
//!
//! The linker reserves the area (`__kallsyms_start`..`__kallsyms_end`)
//! inside the image, so filling it afterwards changes no address: one link
//! is enough. Function names are demangled and shortened to their last path
//! segment (`pikern::fork::copy_process` prints as `copy_process`).

use std::process::ExitCode;

/// Kernel load address: physical 0x80000 in the upper half.
const IMAGE_BASE: u64 = 0xFFFF_FF80_0008_0000;

struct Sym {
    name: String,
    value: u64,
    size: u64,
    is_func: bool,
}

fn u16le(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32le(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn u64le(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

/// Reads `.symtab` of a little-endian ELF64 file.
fn symbols(elf: &[u8]) -> Result<Vec<Sym>, String> {
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 || elf[5] != 1 {
        return Err("not a little-endian ELF64 file".into());
    }
    let shoff = u64le(elf, 0x28) as usize;
    let shentsize = u16le(elf, 0x3a) as usize;
    let shnum = u16le(elf, 0x3c) as usize;
    let sh = |i: usize| shoff + i * shentsize;
    for i in 0..shnum {
        let h = sh(i);
        if u32le(elf, h + 4) != 2 {
            continue; // SHT_SYMTAB
        }
        let (off, size, link, entsize) = (
            u64le(elf, h + 0x18) as usize,
            u64le(elf, h + 0x20) as usize,
            u32le(elf, h + 0x28) as usize,
            u64le(elf, h + 0x38) as usize,
        );
        let strtab = u64le(elf, sh(link) + 0x18) as usize;
        let mut out = Vec::new();
        for e in (off..off + size).step_by(entsize.max(24)) {
            let name_off = u32le(elf, e) as usize;
            let info = elf[e + 4];
            let value = u64le(elf, e + 8);
            let sz = u64le(elf, e + 16);
            let end = elf[strtab + name_off..]
                .iter()
                .position(|&c| c == 0)
                .unwrap_or(0);
            let raw = String::from_utf8_lossy(&elf[strtab + name_off..strtab + name_off + end])
                .into_owned();
            out.push(Sym {
                name: raw,
                value,
                size: sz,
                is_func: info & 0xf == 2,
            });
        }
        return Ok(out);
    }
    Err("no .symtab (was the kernel stripped?)".into())
}

/// The printable name: demangled, hash dropped, last path segment.
fn short_name(raw: &str) -> String {
    let d = format!("{:#}", rustc_demangle::demangle(raw));
    // Keep `<T as Trait>::method` readable as `method`; plain paths as
    // their last segment.
    match d.rfind("::") {
        Some(i) if !d.ends_with('>') => d[i + 2..].to_string(),
        _ => d,
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [elf_path, img_path] = args.as_slice() else {
        return Err("usage: kallsyms KERNEL_ELF KERNEL_IMG".into());
    };
    let elf = std::fs::read(elf_path).map_err(|e| format!("{elf_path}: {e}"))?;
    let syms = symbols(&elf)?;
    let find = |n: &str| syms.iter().find(|s| s.name == n).map(|s| s.value);
    let start = find("__kallsyms_start").ok_or("no __kallsyms_start symbol")?;
    let end = find("__kallsyms_end").ok_or("no __kallsyms_end symbol")?;
    let mut table: Vec<(u64, u64, String)> = syms
        .iter()
        .filter(|s| s.is_func && s.size > 0 && s.value >= IMAGE_BASE)
        .map(|s| (s.value, s.size, short_name(&s.name)))
        .collect();
    table.dedup_by_key(|s| s.0);
    let blob = libkernel::trace::build_kallsyms(&mut table);
    if blob.len() as u64 > end - start {
        return Err(format!(
            "symbol table ({} bytes) does not fit the {} reserved bytes; grow .kallsyms in linker/kernel.ld",
            blob.len(),
            end - start
        ));
    }
    let mut img = std::fs::read(img_path).map_err(|e| format!("{img_path}: {e}"))?;
    let off = (start - IMAGE_BASE) as usize;
    if off + blob.len() > img.len() {
        return Err("the .kallsyms area lies outside the image".into());
    }
    img[off..off + blob.len()].copy_from_slice(&blob);
    std::fs::write(img_path, img).map_err(|e| format!("{img_path}: {e}"))?;
    println!(
        "kallsyms: {} symbols, {} bytes, in {img_path}",
        table.len(),
        blob.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kallsyms: {e}");
            ExitCode::FAILURE
        }
    }
}
