//! Links the kernel with `linker/kernel.ld`, rebuilds when boot code or the
//! in-kernel tests change, and embeds the initramfs named by
//! `PIKERN_INITRAMFS` (an empty one if unset or missing).

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
}
