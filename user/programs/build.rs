//! Links every user program with `user/user.ld`: a static `ET_EXEC` image
//! at 0x400000 whose segments carry the permissions the kernel must map.

fn main() {
    let ld = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../user.ld");
    println!("cargo:rustc-link-arg-bins=-T{}", ld.display());
    // A non-executable stack (PT_GNU_STACK without PF_X), as Linux expects.
    println!("cargo:rustc-link-arg-bins=-znoexecstack");
    println!("cargo:rustc-link-arg-bins=-zmax-page-size=4096");
    println!("cargo:rerun-if-changed={}", ld.display());
}
