//! Every PDU, item and sub-item parser on arbitrary bytes; re-emitted PDUs parse back the
//! same (see `fuzz/harness/pdu.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/pdu.rs"]
mod pdu;

fuzz_target!(|data: &[u8]| pdu::run(data));
