//! The fuzz target's harness (fuzz/harness/ffi.rs: arbitrary call sequences through the C
//! API) run on pseudo-random programs, so that it is built, linted and exercised by
//! `cargo test` too; scripts/fuzz runs it under libFuzzer.

#[path = "../../fuzz/harness/ffi.rs"]
mod harness;

#[test]
fn arbitrary_call_sequences_return_documented_codes() {
    // xorshift64*: the same programs on every run.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    for round in 0..3000 {
        let len = 64 + (next() % 1024) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Every other program starts by making an acceptor (side 0) and a requestor
        // (side 1) that work together, letting them talk, sending an N-GET and answering
        // it, so that the calls after land on established associations and requests too.
        if round % 2 == 0 {
            let prefix = [
                0u8, 0, 1, 0, 0, 0, // side 0: acceptor (a working configuration)
                0x81, 0, 1, 0, 0, 0, // side 1: requestor
                24, 0, // they talk
                0x8E, 0, 0, 0, 0, 0, 5, // side 1: N-GET of everything of the instance
                0x98, 0, // they talk: side 0 has the request
                17, 0, 0, 2, 1, 1, 0, // side 0 answers it (empty script) with 0000H
            ];
            data.splice(0..0, prefix);
        }
        harness::run(&data);
    }
    use std::sync::atomic::Ordering::Relaxed;
    let (established, answered) = (
        harness::ESTABLISHED.load(Relaxed),
        harness::ANSWERED.load(Relaxed),
    );
    println!("{established} associations established, {answered} N-GETs answered");
    assert!(
        established > 1000 && answered > 1000,
        "the programs stay shallow: {established} established, {answered} answered"
    );
}

/// The fuzzer's crash of 2026-12-04 (CI, stop 19): it learned the magic number from the
/// comparison in `enter`, filled the uninitialised "junk" connection with it, and the next
/// call took the junk for a connection. The harness now never forges the magic; this program
/// (fill with "DIMS", then use the junk) must run through.
#[test]
fn junk_memory_never_holds_the_magic_number() {
    let program = [
        21u8, 0, 1, b'S', b'M', b'I', b'D', // junk connection, then filled with "DIMS"
        21, 0, 1, 0, 0, 0, 0, // the junk connection used again: refused
    ];
    harness::run(&program);
}
