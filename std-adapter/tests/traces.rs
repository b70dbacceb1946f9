//! Every case of the hostile-input catalogue as a recorded trace: it survives postcard, and
//! replaying it through the core is deterministic (the same lines, the same PDU digests, every
//! time). The traces are built here from the catalogue rather than kept as files: the
//! catalogue is their source.

#[path = "../../core/tests/hostile/cases.rs"]
mod cases;

use cases::{catalogue, Step};
use dimse_core::service::display::DEMO;
use dimse_tokio::trace::{self, Record, Trace};

fn to_trace(steps: &[Step]) -> Trace {
    let mut at = 0u64;
    let mut records = Vec::new();
    for step in steps {
        match step {
            Step::Send(bytes) | Step::SendAwait(bytes) => records.push(Record::Input {
                at,
                bytes: bytes.clone(),
            }),
            Step::Pause(ms) => {
                at += ms;
                records.push(Record::Timeout { at });
            }
            Step::Close => records.push(Record::TransportClosed { at }),
            Step::Mark | Step::State(_) | Step::LocalRelease => {}
        }
    }
    Trace {
        version: trace::VERSION,
        ae_title: "DISPLAY".into(),
        peer: "hostile".into(),
        records,
    }
}

#[test]
fn every_hostile_case_replays_deterministically() {
    let policy = trace::default_policy("DISPLAY").unwrap();
    let mut replayed = 0;
    let mut lines = 0;
    for case in catalogue() {
        let t = to_trace(&case.steps);
        let bytes = t.to_bytes();
        let back = Trace::from_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(back, t, "{}", case.name);
        let first = trace::replay(&back, &policy, &DEMO);
        let second = trace::replay(&Trace::from_bytes(&bytes).unwrap(), &policy, &DEMO);
        assert_eq!(
            first, second,
            "{}: the replay is not deterministic",
            case.name
        );
        lines += first.len();
        replayed += 1;
    }
    assert!(replayed >= 900, "only {replayed} cases");
    println!("{replayed} hostile cases replayed twice as traces, {lines} lines each time");
}
