//! An acceptor `Connection` fed arbitrary input in chunks with a simulated clock: no panic,
//! bounded output, the drain contract holds, and a chunked feed equals a whole one (see
//! `fuzz/harness/acceptor.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/acceptor.rs"]
mod acceptor;
#[allow(dead_code)] // the encoding half is for the seeds
#[path = "../harness/acceptor_input.rs"]
mod acceptor_input;

fuzz_target!(|data: &[u8]| {
    acceptor::run(data);
});
