//! The C API under arbitrary call sequences with arbitrary arguments: every call returns a
//! documented code, nothing crashes (see `fuzz/harness/ffi.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/ffi.rs"]
mod ffi;

fuzz_target!(|data: &[u8]| {
    ffi::run(data);
});
