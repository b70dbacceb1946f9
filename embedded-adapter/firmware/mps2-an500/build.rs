//! Link arguments of the mps2-an500 image: cortex-m-rt's `link.x`, which includes this
//! board's `memory.x` and a `device.x` (empty: the interrupt vectors are defined in Rust, in
//! `vectors.rs`). Both are put where the linker looks.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("memory.x"), include_bytes!("memory.x")).expect("memory.x");
    std::fs::write(out.join("device.x"), b"").expect("device.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-link-arg-bins=--nmagic");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
}
