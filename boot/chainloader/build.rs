//! Links the chainloader with `linker/chainloader.ld`.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ld = root.join("linker/chainloader.ld");
    println!("cargo:rustc-link-arg-bins=-T{}", ld.display());
    println!("cargo:rerun-if-changed={}", ld.display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("boot/chainloader/start.S").display()
    );
}
