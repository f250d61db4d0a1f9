//! Links the kernel with `linker/kernel.ld`, rebuilds when boot code or the
//! in-kernel tests change, embeds the initramfs named by
//! `PIKERN_INITRAMFS` (an empty one if unset or missing), and builds the
//! vDSO (`vdso/`, embedded by `kernel/src/vdso.rs`), and copies the
//! console font (`PIKERN_FONT`, else `build/font/console.psf`: a PSF the
//! Makefile's `font` target fetches from Debian) for fbcon to embed.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let ld = root.join("linker/kernel.ld");
    println!("cargo:rustc-link-arg-bins=-T{}", ld.display());
    println!("cargo:rerun-if-changed={}", ld.display());
    println!("cargo:rerun-if-changed={}", root.join("boot").display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("tests/kernel").display()
    );

    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-env-changed=PIKERN_INITRAMFS");
    let data = match std::env::var("PIKERN_INITRAMFS") {
        Ok(p) if !p.is_empty() => {
            println!("cargo:rerun-if-changed={p}");
            std::fs::read(&p).unwrap_or_else(|e| panic!("PIKERN_INITRAMFS={p}: {e}"))
        }
        _ => Vec::new(),
    };
    std::fs::write(out.join("initramfs.cpio"), data).expect("write OUT_DIR/initramfs.cpio");

    embed_font(&root, &out);
    build_vdso(&root, &out);
}

/// Copies the console font to `OUT_DIR/font.psf`, or stops with what to run.
fn embed_font(root: &std::path::Path, out: &std::path::Path) {
    println!("cargo:rerun-if-env-changed=PIKERN_FONT");
    let path = match std::env::var("PIKERN_FONT") {
        Ok(p) if !p.is_empty() => std::path::PathBuf::from(p),
        _ => root.join("build/font/console.psf"),
    };
    println!("cargo:rerun-if-changed={}", path.display());
    let data = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "the console font {} is missing ({e}): run `make font` (it fetches Debian's \
             console-setup-linux with apt into build/), or set PIKERN_FONT to a PSF file",
            path.display()
        )
    });
    let psf1 = data.starts_with(&[0x36, 0x04]);
    let psf2 = data.starts_with(&[0x72, 0xb5, 0x4a, 0x86]);
    assert!(
        psf1 || psf2,
        "{}: not a PSF font (gzip-compressed? `make font` unpacks it)",
        path.display()
    );
    std::fs::write(out.join("font.psf"), data).expect("write OUT_DIR/font.psf");
}

/// Builds `linux-vdso.so.1` into `OUT_DIR/vdso.so` as Linux's
/// `arch/arm64/kernel/vdso/Makefile` does: the code compiled
/// position-independent (rustc itself, not a cargo inside this cargo: the
/// vDSO crate and libkernel without its heap, for aarch64), linked by
/// rust-lld as a shared object with `vdso/vdso.lds` (`vdso.so.dbg`), and
/// stripped by llvm-objcopy (both from the toolchain's llvm-tools). Then
/// checked: a vDSO has no loader to apply relocations, so it must have
/// none.
fn build_vdso(root: &std::path::Path, out: &std::path::Path) {
    use std::process::Command;
    let vdso = root.join("vdso");
    let libkernel = root.join("libkernel/src");
    for p in [vdso.join("src"), vdso.join("vdso.lds"), libkernel.clone()] {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let dir = out.join("vdso");
    std::fs::create_dir_all(&dir).expect("create OUT_DIR/vdso");
    let run = |cmd: &mut Command| {
        // Cargo's variables for this build script would confuse the inner
        // compilers (a wrapper such as clippy-driver, its flags).
        cmd.env_remove("RUSTC_WORKSPACE_WRAPPER")
            .env_remove("RUSTC_WRAPPER")
            .env_remove("CARGO_ENCODED_RUSTFLAGS");
        let status = cmd
            .status()
            .unwrap_or_else(|e| panic!("vdso: cannot run {cmd:?}: {e}"));
        assert!(status.success(), "vdso: {cmd:?} failed ({status})");
    };
    let rustc_cmd = |krate: &str, src: std::path::PathBuf, kind: &str| {
        let mut c = Command::new(&rustc);
        c.args([
            "--edition",
            "2021",
            "--crate-name",
            krate,
            "--crate-type",
            kind,
        ])
        .args(["--target", VDSO_TARGET])
        .args([
            "-C",
            "opt-level=2",
            "-C",
            "panic=abort",
            "-C",
            "codegen-units=1",
        ])
        .args(["-C", "relocation-model=pic", "-C", "debuginfo=0"])
        .args(["--cap-lints", "allow"])
        .arg("-L")
        .arg(&dir)
        .arg("--out-dir")
        .arg(&dir)
        .arg(src);
        c
    };
    run(&mut rustc_cmd(
        "libkernel",
        libkernel.join("lib.rs"),
        "rlib",
    ));
    run(
        rustc_cmd("pikern_vdso", vdso.join("src/lib.rs"), "staticlib")
            .arg("--extern")
            .arg(format!(
                "libkernel={}",
                dir.join("liblibkernel.rlib").display()
            )),
    );

    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .expect("rustc --print sysroot");
    let sysroot = String::from_utf8(sysroot.stdout).expect("sysroot is UTF-8");
    let host = std::env::var("HOST").expect("cargo sets HOST");
    let bin = std::path::Path::new(sysroot.trim()).join(format!("lib/rustlib/{host}/bin"));
    let dbg = out.join("vdso.so.dbg");
    let so = out.join("vdso.so");
    let mut link = Command::new(bin.join("rust-lld"));
    link.args(["-flavor", "gnu", "-shared", "-soname", "linux-vdso.so.1"])
        .args(["--hash-style=both", "--build-id=sha1", "-n"])
        .args(["-z", "max-page-size=4096", "-z", "common-page-size=4096"])
        .args(["-z", "defs", "-z", "noexecstack", "--gc-sections"])
        .args([
            "-u",
            "__kernel_clock_gettime",
            "-u",
            "__kernel_gettimeofday",
        ])
        .args(["-u", "__kernel_clock_getres", "-u", "__kernel_rt_sigreturn"])
        .arg("-T")
        .arg(vdso.join("vdso.lds"))
        .arg("-o")
        .arg(&dbg)
        .arg(dir.join("libpikern_vdso.a"));
    run(&mut link);
    // The image without symbols or .debug_frame; vdso.so.dbg keeps them
    // for gdb (`add-symbol-file`), with the same build id.
    run(Command::new(bin.join("llvm-objcopy"))
        .arg("--strip-all")
        .arg(&dbg)
        .arg(&so));
    let image = std::fs::read(&so).expect("read vdso.so");
    if let Err(why) = check_vdso(&image) {
        panic!("vdso: {}: {why}", so.display());
    }
}

/// The vDSO's target: user code at EL0, built like the kernel (no
/// floating point needed, none used).
const VDSO_TARGET: &str = "aarch64-unknown-none-softfloat";

/// Refuses an image the kernel could not map as it is: not a little-endian
/// ELF64 shared object, a writable segment, or any dynamic relocation.
fn check_vdso(b: &[u8]) -> Result<(), String> {
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    if b.len() < 64 || &b[0..4] != b"\x7fELF" || b[4] != 2 || u16_at(16) != 3 {
        return Err("not an ELF64 shared object".into());
    }
    let (phoff, phnum) = (u64_at(32) as usize, u16_at(56) as usize);
    for i in 0..phnum {
        let ph = phoff + i * 56;
        let (kind, flags) = (u32_at(ph), u32_at(ph + 4));
        if kind == 1 && flags & 2 != 0 {
            return Err("a writable PT_LOAD segment (data or bss)".into());
        }
        if kind == 2 {
            let mut d = u64_at(ph + 8) as usize;
            loop {
                match u64_at(d) {
                    0 => break,
                    // DT_RELA, DT_REL, DT_JMPREL, DT_RELR, DT_TEXTREL
                    tag @ (7 | 17 | 23 | 36 | 22) => {
                        return Err(format!("dynamic tag {tag}: it needs relocating"))
                    }
                    _ => d += 16,
                }
            }
        }
    }
    Ok(())
}
