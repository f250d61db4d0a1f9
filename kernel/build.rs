//! Links the kernel with `linker/kernel.ld` and rebuilds when boot code changes.

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
}
