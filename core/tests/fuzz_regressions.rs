//! What the fuzzers found, and fuzzing in CI on stable.
//!
//! * Every crash the fuzzers found is a test here: its input is under `core/tests/fuzz/`
//!   (`<target>-<what>.bin`, replayed through the target's harness), and a minimal
//!   reproduction written against the core's API.
//! * The seed inputs of the fuzz targets (made from the byte-exact vectors) are replayed
//!   through the very assertions the `acceptor` and `pdu` targets make. The harness code
//!   lives in `fuzz/harness/` and is included here with `#[path]`.

#[path = "../../fuzz/harness/acceptor.rs"]
mod acceptor;
#[path = "../../fuzz/harness/acceptor_input.rs"]
mod acceptor_input;
#[path = "../../fuzz/harness/pdu.rs"]
mod pdu;
#[path = "../../fuzz/harness/seeds.rs"]
mod seeds;

mod common;

use std::path::{Path, PathBuf};

use common::{leak, policy, storage, vectors::vector, Side};
use dimse_core::dimse::Operation;
use dimse_core::{Connection, Event, Instant};

fn vector_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

#[test]
fn acceptor_seeds_pass_the_fuzz_assertions() {
    let seeds = seeds::corpus(vector_dir());
    let mut n = 0;
    for s in seeds.iter().filter(|s| s.target == "acceptor") {
        let trace = std::panic::catch_unwind(|| acceptor::run(&s.bytes))
            .unwrap_or_else(|_| panic!("acceptor seed {} failed", s.name));
        n += 1;
        // The harness is not vacuous: a whole conversation gets through.
        if s.name == "a-associate-rq-display-conversation-small" {
            let events: Vec<&Event> = trace.events().collect();
            assert!(
                matches!(events.first(), Some(Event::Established { .. })),
                "{events:?}"
            );
            let n_gets = events
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        Event::Request {
                            op: Operation::NGet,
                            ..
                        }
                    )
                })
                .count();
            assert_eq!(n_gets, 3, "{events:?}");
            assert!(events.contains(&&Event::Released), "{events:?}");
            assert!(trace
                .observed
                .iter()
                .any(|o| matches!(o, acceptor::Observed::Answered(_, true, Ok(0)))));
        }
    }
    assert!(n >= 20, "only {n} acceptor seeds");
}

#[test]
fn pdu_seeds_pass_the_fuzz_assertions() {
    let seeds = seeds::corpus(vector_dir());
    let pdu_seeds: Vec<_> = seeds.iter().filter(|s| s.target == "pdu").collect();
    assert!(pdu_seeds.len() >= 20);
    for s in pdu_seeds {
        if std::panic::catch_unwind(|| pdu::run(&s.bytes)).is_err() {
            panic!("pdu seed {} failed", s.name);
        }
    }
}

#[test]
fn the_input_format_matches_the_core() {
    // The smallest transmit buffer the harness uses is the contract's minimum.
    assert_eq!(
        acceptor_input::Flags::from_byte(0).out_len,
        dimse_core::pdu::MAX_UNIT_LEN
    );
    for b in 0..=0x7F {
        assert_eq!(acceptor_input::Flags::from_byte(b).to_byte(), b);
    }
}

#[test]
fn every_target_has_seeds() {
    let seeds = seeds::corpus(vector_dir());
    for target in ["pdu", "acceptor", "dataset", "command"] {
        assert!(
            seeds.iter().any(|s| s.target == target),
            "no seed for {target}"
        );
    }
}

// ------------------------------------------------------------------------- crashes found

/// The inputs the fuzzers crashed on, by target.
fn artifacts(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("core/tests/fuzz")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "bin")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{target}-")))
        })
        .collect();
    files.sort();
    files
}

/// Every crash input passes the harness now: no panic, bounded output, the drain contract,
/// silence ends the association, and the chunked feed equals the whole one.
#[test]
fn crash_inputs_replay() {
    let files = artifacts("acceptor");
    assert!(!files.is_empty());
    for f in files {
        let data = std::fs::read(&f).expect("read a crash input");
        if std::panic::catch_unwind(|| acceptor::run(&data)).is_err() {
            panic!("{} fails", f.display());
        }
    }
}

/// A fresh acceptor (Display System and Verification, default limits) fed `pieces`, one
/// `handle_input` per piece and a full drain after each: its events and output.
fn acceptor_fed(pieces: &[&[u8]]) -> (Vec<Event>, Vec<u8>) {
    let conn = Connection::acceptor(leak(policy()), storage(16384, 16384), Instant::ZERO);
    let mut acc = Side::new(conn);
    let mut out = Vec::new();
    for p in pieces {
        out.extend(acc.feed(Instant::ZERO, p, usize::MAX));
    }
    (acc.events, out)
}

/// A-ABORT, service-user (AA-1).
const ABORT_USER: [u8; 10] = [7, 0, 0, 0, 0, 4, 0, 0, 0, 0];
/// A-ABORT, service-provider, unrecognized-PDU (AA-7, AA-8).
const ABORT_UNRECOGNIZED: [u8; 10] = [7, 0, 0, 0, 0, 4, 0, 0, 2, 1];

/// `acceptor-abort-swallows-abort.bin`, reduced: two PDU headers of the undefined type 00H.
/// PS3.8 Table 9-10: the first, in Sta2, is AA-1 (A-ABORT, service-user, to Sta13); the
/// second, in Sta13, is AA-7 (A-ABORT again). Both go out, in one read or two (fixed: a
/// provider abort no longer clears what is already queued).
#[test]
fn abort_after_abort_in_the_same_read_is_not_swallowed() {
    let garbage = [0u8; 12];
    let split = acceptor_fed(&[&garbage[..6], &garbage[6..]]);
    assert_eq!(split.1, [ABORT_USER, ABORT_UNRECOGNIZED].concat());
    let whole = acceptor_fed(&[&garbage]);
    assert_eq!(whole, split);
}

/// `acceptor-abort-swallows-response.bin`, reduced: a C-ECHO-RQ the core answers (and
/// reports with `Event::Answered`, status 0000H), then a bad PDU header in the same read.
/// The A-ABORT used to replace the C-ECHO-RSP, which never went out though the event said
/// it was answered; in two reads the response went out first (fixed: a provider abort no
/// longer clears what is already queued).
#[test]
fn abort_does_not_swallow_an_answered_c_echo() {
    let rq = vector("a-associate-rq-display");
    let echo = vector("c-echo-rq");
    let bad = [0u8; 6];
    let split = acceptor_fed(&[&rq, &echo, &bad]);
    let whole = acceptor_fed(&[&rq, &[&echo[..], &bad].concat()]);
    assert_eq!(whole.0, split.0, "the same events either way");
    assert!(split.1.ends_with(&ABORT_UNRECOGNIZED));
    assert_eq!(whole.1.len(), split.1.len(), "the C-ECHO-RSP is missing");
    assert_eq!(whole.1, split.1);
}

/// `acceptor-abort-drops-held-request.bin`, reduced: an A-ASSOCIATE-RQ, a C-ECHO-RQ (the core
/// answers it, so the transmit buffer is busy), an N-GET-RQ (held until the buffer is free)
/// and a bad PDU header, in one read. The A-ABORT used to swallow the A-ASSOCIATE-AC and the
/// C-ECHO-RSP (the peer got nothing but the A-ABORT, while the user was told `Established`
/// and `Answered`), and to drop the held N-GET-RQ without an `Event::Request`. One PDU per
/// read, all of it happened before the abort. Fixed: the core reads no PDU past a held
/// command, so the N-GET is acted on (after the drain) before the bad header is read.
#[test]
fn abort_does_not_drop_what_the_same_read_caused() {
    let rq = vector("a-associate-rq-display");
    let echo = vector("c-echo-rq");
    let n_get = vector("n-get-rq-attr-list");
    let bad = [0u8; 6];
    let split = acceptor_fed(&[&rq, &echo, &n_get, &bad]);
    assert!(split.0.iter().any(|e| matches!(
        e,
        Event::Request {
            op: Operation::NGet,
            ..
        }
    )));
    let whole = acceptor_fed(&[&[&rq[..], &echo, &n_get, &bad].concat()]);
    assert_eq!(whole.0, split.0, "events");
    assert_eq!(whole.1, split.1, "output");
}

/// `acceptor-abort-overtakes-release.bin`, reduced: a C-ECHO-RQ, an A-RELEASE-RQ and a bad
/// PDU header in one read. The release waits for the C-ECHO-RSP to go out (Sta8), the bad
/// header used to abort the association first, and the A-ABORT swallowed the response: the
/// peer's orderly release ended in an abort. One PDU per read, the response and the
/// A-RELEASE-RP go out, the association is released, and the bad header only draws an
/// A-ABORT in Sta13. Fixed: the core reads no PDU while an A-RELEASE-RP waits for output.
#[test]
fn abort_does_not_overtake_a_release_waiting_for_output() {
    let rq = vector("a-associate-rq-display");
    let echo = vector("c-echo-rq");
    let release = vector("a-release-rq");
    let bad = [0u8; 6];
    let split = acceptor_fed(&[&rq, &echo, &release, &bad]);
    assert!(split.0.contains(&Event::Released), "{:?}", split.0);
    let whole = acceptor_fed(&[&rq, &[&echo[..], &release, &bad].concat()]);
    assert_eq!(whole.0, split.0, "events");
    assert_eq!(whole.1, split.1, "output");
}

/// `acceptor-answer-timing.bin`, reduced: an A-ASSOCIATE-RQ, two N-GET-RQs and a bad PDU
/// header in one read, the application answering only when the stream has ended. The second
/// N-GET waits behind the first (the window is 1), and the core read no PDU past it while the
/// A-ASSOCIATE-AC was still queued; once that was drained it said `Idle`, not `Reoffer`,
/// because a command was still held: so read whole, the bad header was read only after the
/// application's answer, and read byte by byte (the AC drained at once) before it. Fixed:
/// `Reoffer` comes as soon as what stopped the input is gone (the queued output here; the
/// storage only for a block on the storage).
#[test]
fn reoffer_comes_when_what_stopped_input_is_gone() {
    use dimse_core::dimse::NGetRq;
    use dimse_core::pdu::{MessageControlHeader, PDataTf, Pdv};
    let n_get = |message_id| {
        let mut command = [0u8; 256];
        let n = NGetRq {
            message_id,
            requested_sop_class_uid: "1.2.840.10008.5.1.1.40",
            requested_sop_instance_uid: "1.2.840.10008.5.1.1.40.1",
            attribute_identifier_list: None,
        }
        .emit(&mut command)
        .unwrap();
        let mut pdu = vec![0u8; 512];
        let n = PDataTf {
            pdvs: &[Pdv {
                context_id: 1,
                control: MessageControlHeader::new(true, true),
                data: &command[..n],
            }],
        }
        .emit(&mut pdu)
        .unwrap();
        pdu.truncate(n);
        pdu
    };
    let rq = vector("a-associate-rq-display");
    let (first, second) = (n_get(1), n_get(2));
    let bad = [0x40u8, 0, 0x10, 0, 0, 0];
    let split = acceptor_fed(&[&rq, &first, &second, &bad]);
    let whole = acceptor_fed(&[&[&rq[..], &first, &second, &bad].concat()]);
    assert_eq!(whole.0, split.0, "events");
    assert_eq!(whole.1, split.1, "output");
    assert!(
        whole.0.iter().any(|e| matches!(e, Event::Aborted(_))),
        "{:?}",
        whole.0
    );
}
