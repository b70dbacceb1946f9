//! Link arguments of a cortex-m-rt firmware: its linker script (`link.x`, which includes the
//! `memory.x` that embassy-stm32's `memory-x` feature writes for the STM32H743ZI) and defmt's.
//! Here rather than in `.cargo/config.toml`, so that a build started from another directory
//! (`--manifest-path`) links the same way.

fn main() {
    println!("cargo:rustc-link-arg-bins=--nmagic");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
}
