//! `dimse check` finds a planted bug and shrinks it: a test-only SCP (dimse_tokio's `Server`,
//! in this process) answers N-GET correctly except when the Attribute Identifier List has
//! exactly two tags, where it answers A700H, a status PS3.7 does not allow for N-GET. The
//! generated sessions must find it, shrink the failing session to the smallest one (one
//! N-GET of two tags, every other setting at its plainest), write it as a replay file, and
//! `--replay` must fail again on the buggy SCP and pass on a correct one.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Instant;

use dimse::core::dataset::{Encoding, ReadEvent, Reader, Writer};
use dimse::core::pdu::AeTitle;
use dimse::core::service::display::DEMO;
use dimse_tokio::{EncodedDataSet, NGetRequest, Reply, Server, SharedDataSet};
use serde_json::json;

const DIMSE: &str = env!("CARGO_BIN_EXE_dimse");

/// Out of Resources: a C-STORE/C-FIND status, none of N-GET's (PS3.7 §10.1.2.1.9).
const PLANTED_STATUS: u16 = 0xA700;

/// A Display System SCP serving [`DEMO`] on a free loopback port; with `planted`, it answers
/// [`PLANTED_STATUS`] to every N-GET whose Attribute Identifier List has exactly two tags.
/// It serves until the returned runtime is dropped.
fn scp(planted: bool) -> (tokio::runtime::Runtime, SocketAddr) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let display: SharedDataSet = Arc::new(EncodedDataSet::display_system(&DEMO).unwrap());
    let server = runtime
        .block_on(
            Server::builder(AeTitle::new("DISPLAY").unwrap())
                .n_get(move |request: NGetRequest| {
                    let display = display.clone();
                    async move {
                        if planted && request.attributes.len() == 2 {
                            return Ok(Reply::status(PLANTED_STATUS));
                        }
                        Ok(Reply::success(display))
                    }
                })
                .bind("127.0.0.1:0"),
        )
        .unwrap();
    let addr = server.local_addr().unwrap();
    // Never stopped by hand: dropping the runtime ends the task.
    runtime.spawn(server.serve_until(std::future::pending()));
    (runtime, addr)
}

/// The first top-level tag of DEMO, as `ggggeeee`: the first tag of `dimse check`'s pool
/// (the tags a whole N-GET returned, in order), which shrinking moves every tag towards.
fn first_demo_tag() -> u64 {
    let mut buf = vec![0u8; 16384];
    let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian);
    w.write(&DEMO).unwrap();
    let n = w.written();
    for event in Reader::new(&buf[..n], Encoding::ExplicitVrLittleEndian) {
        match event.unwrap() {
            ReadEvent::Element { tag, depth: 0, .. }
            | ReadEvent::SequenceStart { tag, depth: 0, .. } => {
                return (u64::from(tag.group()) << 16) | u64::from(tag.element())
            }
            _ => {}
        }
    }
    panic!("DEMO wrote no element");
}

fn run(args: &[&str]) -> Output {
    Command::new(DIMSE).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The report row of `check`, e.g. `FAIL  generated sessions ...`.
fn row<'a>(text: &'a str, check: &str) -> &'a str {
    text.lines()
        .find(|l| {
            l.split_once(' ')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with(check))
        })
        .unwrap_or_else(|| panic!("no row '{check}' in:\n{text}"))
}

#[test]
fn planted_bug_is_shrunk_to_a_minimal_replay() {
    let started = Instant::now();
    let (_buggy_rt, buggy) = scp(true);
    let (_good_rt, good) = scp(false);
    let buggy = buggy.to_string();
    let good = good.to_string();
    let dir = std::env::temp_dir().join(format!("dimse-check-shrink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("f.json");
    let _ = std::fs::remove_file(&file);
    let file_arg = file.to_str().unwrap();

    let out = run(&[
        "check",
        &buggy,
        "--cases",
        "none",
        "--sessions",
        "64",
        "--seed",
        "1",
        "--idle",
        "0",
        "--failure-file",
        file_arg,
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let sessions = row(&text, "generated sessions");
    assert!(sessions.starts_with("FAIL"), "{text}");
    assert!(sessions.contains("A700H"), "{sessions}");
    assert!(
        sessions.contains(&format!(
            "the smallest failing session is in {file_arg} (dimse check --replay {file_arg})"
        )),
        "{sessions}"
    );
    // The planted bug is the only failure: every other row passes.
    assert_eq!(text.lines().last(), Some("5 passed, 1 failed"), "{text}");

    let replay: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    // Shown with --nocapture: the shrunk session, as a user would find it.
    eprintln!("{replay:#}");
    // The smallest failing session. Each setting is the first alternative of its
    // `prop_oneof!` (proptest shrinks a union towards its first one; ranges shrink to
    // their low end first, then give way to it): both syntaxes, no PDU limit, whole PDUs
    // written at once. Every other request is deleted, leaving the one N-GET. Its list
    // keeps two tags: deleting one makes a list the SCP answers correctly, so shrinking
    // cannot go below two (nor could it reach two from a longer list: a three-tag list
    // passes; the generator must have made a two-tag list, which 64 sessions do for any
    // seed tried, 1 to 9). Both tags move to the pool's first (`select` shrinks its index
    // to 0), so the list names one tag twice, which the planted bug still answers A700H.
    let tag = first_demo_tag();
    assert_eq!(
        replay["plan"],
        json!({
            "syntaxes": "both",
            "max_pdu": 0,
            "pdu_room": 65536,
            "write_piece": 65536,
            "pause_ms": 0,
            "ops": [{ "n_get": { "attributes": [tag, tag] } }],
        }),
        "{replay:#}"
    );
    assert_eq!(replay["addr"], buggy.as_str());
    assert_eq!(replay["seed"], 1);
    assert!(
        replay["failure"].as_str().unwrap().contains("A700H"),
        "{replay:#}"
    );

    // The replay file names the buggy SCP; an address given on the command line wins.
    replay_against(&file, &buggy, false);
    replay_against(&file, &good, true);
    // Shrinking runs a session per step; a regression that made it crawl (e.g. a setting
    // that no longer shrinks to whole, unpaced writes) should show here, not in CI time.
    let took = started.elapsed();
    assert!(took.as_secs() < 20, "took {took:?}");
    // Kept when an assertion fails, to be read; gone when the test passes.
    let _ = std::fs::remove_dir_all(&dir);
}

/// `dimse check ADDR --replay FILE`: one row, passed or failed as `passes` says.
fn replay_against(file: &Path, addr: &str, passes: bool) {
    let out = run(&["check", addr, "--replay", file.to_str().unwrap()]);
    let text = stdout(&out);
    let replayed = row(&text, "replayed session");
    if passes {
        assert!(out.status.success(), "{text}");
        assert!(replayed.starts_with("PASS"), "{text}");
        assert!(replayed.contains("N-GET of 2 attributes 0000H"), "{text}");
        assert_eq!(text.lines().last(), Some("1 passed, 0 failed"), "{text}");
    } else {
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(replayed.starts_with("FAIL"), "{text}");
        assert!(replayed.contains("N-GET answered A700H"), "{text}");
        assert_eq!(text.lines().last(), Some("0 passed, 1 failed"), "{text}");
    }
}
