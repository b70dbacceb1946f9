//! Every case of the hostile-input catalogue, and every input a fuzzer crashed on, as a
//! recorded trace: it survives postcard, and replaying it through the core is deterministic
//! (the same lines, the same PDU digests, every time). The traces are built here from their
//! sources rather than kept as files: the catalogue, and the crash inputs under
//! `core/tests/fuzz/` (the `acceptor` target's format, `fuzz/harness/acceptor_input.rs`).

#[path = "../../fuzz/harness/acceptor_input.rs"]
#[allow(dead_code)] // the encoding half is for the fuzz seeds
mod acceptor_input;

use dimse_core::service::display::DEMO;
use dimse_testkit::hostile::{catalogue, Step};
use dimse_tokio::trace::{self, Header, Record, Trace};

fn to_trace(steps: &[Step]) -> Trace<'_> {
    let mut at = 0u64;
    let mut records = Vec::new();
    for step in steps {
        match step {
            Step::Send(bytes) | Step::SendAwait(bytes) => records.push(Record::Input { at, bytes }),
            Step::Pause(ms) => {
                at += ms;
                records.push(Record::Timeout { at });
            }
            Step::Close => records.push(Record::TransportClosed { at }),
            Step::Mark | Step::State(_) | Step::LocalRelease => {}
        }
    }
    Trace {
        header: Header::new("DISPLAY", "hostile"),
        records,
    }
}

/// A fuzz input of the `acceptor` target as the trace an adapter would have recorded: the
/// peer's stream in the pieces its schedule cuts it into, the clock advances as timeouts, a
/// closed transport where the schedule closes it. (The schedule's local release and abort
/// are the application's calls, which a trace does not hold.)
fn fuzz_input_to_trace(data: &[u8]) -> Trace<'_> {
    let input = acceptor_input::Input::decode(data);
    let (mut at, mut from) = (0u64, 0usize);
    let mut records = Vec::new();
    for e in &input.schedule {
        if e.pos > from {
            records.push(Record::Input {
                at,
                bytes: &input.stream[from..e.pos],
            });
            from = e.pos;
        }
        if e.advance_ms > 0 {
            at += e.advance_ms;
            records.push(Record::Timeout { at });
        }
        if e.action == acceptor_input::Action::TransportClosed {
            records.push(Record::TransportClosed { at });
        }
    }
    if from < input.stream.len() {
        records.push(Record::Input {
            at,
            bytes: &input.stream[from..],
        });
    }
    Trace {
        header: Header::new("DISPLAY", "fuzz"),
        records,
    }
}

/// The trace survives postcard, and two replays of it give the same lines. Returns the lines.
fn replays_deterministically(name: &str, t: &Trace) -> Vec<String> {
    let policy = trace::default_policy("DISPLAY").unwrap();
    let bytes = t.to_bytes();
    let back = Trace::from_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(&back, t, "{name}");
    let first = trace::replay(&back, &policy, &DEMO);
    let second = trace::replay(&Trace::from_bytes(&bytes).unwrap(), &policy, &DEMO);
    assert_eq!(first, second, "{name}: the replay is not deterministic");
    first
}

#[test]
fn every_hostile_case_replays_deterministically() {
    let mut replayed = 0;
    let mut lines = 0;
    for case in catalogue() {
        lines += replays_deterministically(&case.name, &to_trace(&case.steps)).len();
        replayed += 1;
    }
    assert!(replayed >= 900, "only {replayed} cases");
    println!("{replayed} hostile cases replayed twice as traces, {lines} lines each time");
}

#[test]
fn every_fuzz_crash_replays_deterministically() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fuzz"));
    let mut replayed = 0;
    for entry in std::fs::read_dir(dir).expect("core/tests/fuzz") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|x| x != "bin") {
            continue;
        }
        let name = path.display().to_string();
        let data = std::fs::read(&path).expect("read a crash input");
        let t = fuzz_input_to_trace(&data);
        let lines = replays_deterministically(&name, &t);
        // Not vacuous: each crash input makes the core answer (an A-ASSOCIATE-AC or -RJ, an
        // A-ABORT, a response).
        assert!(
            lines.iter().any(|l| l.contains(" sent ")),
            "{name}: nothing sent in\n{}",
            lines.join("\n")
        );
        replayed += 1;
    }
    assert!(replayed >= 5, "only {replayed} crash inputs");
    println!("{replayed} fuzz crash inputs replayed twice as traces");
}

/// The trace dimse-embassy's `TraceRecorder` writes on a device (its unit test makes these
/// exact bytes) is the format this crate reads: `dimse replay` takes a device's trace.
#[test]
fn a_device_trace_reads_as_a_trace() {
    let hex = include_str!("../../embedded-adapter/tests/trace-golden.hex").trim();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let t = Trace::from_bytes(&bytes).unwrap();
    let want = Trace {
        header: Header::new("DISPLAY", "192.168.69.1:40000"),
        records: vec![
            Record::Input {
                at: 0,
                bytes: &[1, 0, 0, 0],
            },
            Record::Timeout { at: 30_000 },
            Record::Answer {
                at: 30_001,
                message_id: 7,
                status: 0x0110,
                error_comment: Some("late"),
            },
            Record::Answer {
                at: 30_002,
                message_id: 8,
                status: 0x0000,
                error_comment: None,
            },
            Record::Abort { at: 30_003 },
            Record::TransportClosed { at: 30_004 },
        ],
    };
    assert_eq!(t, want);
    assert_eq!(want.to_bytes(), bytes);
    // The server's recorder, record by record, writes the same bytes.
    let mut recorder = trace::Recorder::new();
    for r in &want.records {
        recorder.push(r);
    }
    assert_eq!(recorder.records(), 6);
    assert_eq!(recorder.finish(&want.header), bytes);
    // Another version is refused before its records are read.
    let mut other = bytes.clone();
    other[0] = 2;
    let e = Trace::from_bytes(&other).unwrap_err();
    assert!(e.contains("version 2"), "{e}");
}
