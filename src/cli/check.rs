//! `dimse check HOST:PORT`: tests a live SCP as a device vendor or a hospital would before
//! trusting it, and grades what it does against what the standard allows.
//!
//! What it runs, each a row of the report:
//! - **liveness**: a fresh association and C-ECHO (and a whole N-GET unless `--echo-only`),
//!   at the start and again at the end;
//! - **generated sessions** (`--sessions N`, `--seed S`): associations with generated
//!   offers (transfer syntaxes, maximum PDU length), requests (N-GETs with generated
//!   Attribute Identifier Lists, C-ECHOs), our PDUs cut into small P-DATA-TFs and written in
//!   pieces with pauses; every response checked (its status one PS3.7 allows for the
//!   request, the data set readable, the attributes asked for returned or listed under
//!   0107H), the association released. A failing session is shrunk (proptest) to the
//!   smallest that still fails and written as a replay file: `dimse check --replay FILE`
//!   runs it again;
//! - **slow peers**: a request written a byte at a time, an idle association, association
//!   slots held without traffic: what the SCP did, and when.
//!
//! The report ends with `N passed, M failed`; `--json` gives the same as one JSON object.
//! The exit status is 0 only if nothing failed.
//!
//! ## Replay files
//!
//! Written (to `--failure-file`) only when a generated session fails: one JSON object with
//! - `addr`, `class`, `instance`: the SCP, SOP class and instance the session ran against;
//!   `--replay` uses them unless `HOST:PORT`, `--class` or `--instance` is given;
//! - `calling_ae`, `called_ae`: the AE titles of that run, recorded only: a replay calls
//!   with `--aet` and `--aec` (their defaults unless given);
//! - `seed`: the seed of that run, shown again in the replay's report (a replay generates
//!   nothing);
//! - `failure`: what the SCP did that the standard does not allow, as the report said it;
//! - `plan`: the shrunk session: `syntaxes` (`"explicit"`, `"implicit"` or `"both"`, offered
//!   for the class; Verification is offered in Implicit VR LE), `max_pdu` (our Maximum
//!   Length received, 0: no limit), `pdu_room` (our PDUs cut into P-DATA-TFs of at most this
//!   many bytes), `write_piece` and `pause_ms` (our bytes written in pieces of this size,
//!   with this pause after each), and `ops`, run in order, each answered before the next:
//!   `{"n_get": {"attributes": [...]}}` (tags as `ggggeeee` numbers, `null` for every
//!   attribute), `"echo"`, `{"wait": {"ms": N}}`.
//!
//! A replay runs the plan once, as one row (`replayed session`), and nothing else.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant as StdInstant};

use clap::Args;
use dimse::core::assoc::RequestorConfig;
use dimse::core::connection::Connection;
use dimse::core::dataset::{Encoding, ReadEvent, Reader, Tag};
use dimse::core::dimse::Operation;
use dimse::core::pdu::{AeTitle, PresentationContextRq};
use dimse::core::service::{self, code};
use dimse::core::{Event, Instant, Output, Storage};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde::{Deserialize, Serialize};

use super::Failure;

/// `dimse check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The SCP to test, `HOST:PORT` (not needed with --replay FILE that names it).
    pub addr: Option<String>,
    /// The SOP class to N-GET (default: Display System).
    #[arg(long)]
    pub class: Option<String>,
    /// The SOP instance to N-GET (default: the class's well-known instance).
    #[arg(long)]
    pub instance: Option<String>,
    /// Only C-ECHO (for an SCP without N-GET, such as a storage SCP).
    #[arg(long)]
    pub echo_only: bool,
    /// Generated sessions to run.
    #[arg(long, default_value_t = 32)]
    pub sessions: u32,
    /// Seed of the generated sessions (default: from the clock, printed, so a run can be
    /// repeated).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Runs the session of a replay file written by an earlier run, and grades it.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Where a failing session's replay file goes.
    #[arg(long, value_name = "FILE", default_value = "dimse-check-failure.json")]
    pub failure_file: PathBuf,
    /// The report as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Seconds the SCP has for each answer.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Seconds an association stays idle in the idle-peer check.
    #[arg(long, default_value_t = 2.0)]
    pub idle: f64,
    /// Associations held at once, without traffic, in the slot check.
    #[arg(long, default_value_t = 4)]
    pub slots: usize,
    /// Our AE title (calling).
    #[arg(long, default_value = "DIMSE_CHECK")]
    pub aet: String,
    /// The SCP's AE title (called).
    #[arg(long, default_value = "ANY-SCP")]
    pub aec: String,
}

/// What the checks talk to.
#[derive(Debug, Clone)]
struct Target {
    addr: SocketAddr,
    class: String,
    instance: String,
    echo_only: bool,
    calling: AeTitle,
    called: AeTitle,
    timeout: Duration,
}

/// One generated session: what a replay file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Transfer syntaxes offered for the class: `explicit`, `implicit` or `both`.
    pub syntaxes: Syntaxes,
    /// Our Maximum Length received (0: no limit).
    pub max_pdu: u32,
    /// The room our PDUs are cut to (P-DATA-TF of at most this many bytes).
    pub pdu_room: usize,
    /// Our bytes written in pieces of this size ...
    pub write_piece: usize,
    /// ... with this pause after each piece, in milliseconds.
    pub pause_ms: u64,
    /// The requests, in order, each answered before the next.
    pub ops: Vec<Op>,
}

/// The transfer syntaxes a session offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Syntaxes {
    Explicit,
    Implicit,
    Both,
}

/// One step of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// N-GET; `attributes` as `ggggeeee` numbers (none: every attribute).
    NGet { attributes: Option<Vec<u32>> },
    /// C-ECHO.
    Echo,
    /// A pause, in milliseconds.
    Wait { ms: u64 },
}

/// A replay file: the session, and where and why it failed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Replay {
    addr: String,
    class: String,
    instance: String,
    calling_ae: String,
    called_ae: String,
    seed: u64,
    failure: String,
    plan: Plan,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize)]
struct Row {
    check: String,
    passed: bool,
    detail: String,
}

pub fn check(args: CheckArgs) -> Result<(), Failure> {
    let replay: Option<Replay> = match &args.replay {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
            Some(
                serde_json::from_str(&text)
                    .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?,
            )
        }
        None => None,
    };
    let addr_text = match (&args.addr, &replay) {
        (Some(a), _) => a.clone(),
        (None, Some(r)) => r.addr.clone(),
        (None, None) => {
            return Err(Failure::new(
                "dimse check: give HOST:PORT (or --replay FILE)",
            ))
        }
    };
    let addr = addr_text
        .to_socket_addrs()
        .map_err(|e| Failure::new(format!("{addr_text}: {e}")))?
        .next()
        .ok_or_else(|| Failure::new(format!("{addr_text}: no address")))?;
    let class = args
        .class
        .clone()
        .or_else(|| replay.as_ref().map(|r| r.class.clone()))
        .unwrap_or_else(|| service::DISPLAY_SYSTEM.to_string());
    let instance = args
        .instance
        .clone()
        .or_else(|| replay.as_ref().map(|r| r.instance.clone()))
        .or_else(|| {
            service::sop_class(&class)
                .and_then(|c| c.well_known_instance)
                .map(str::to_string)
        })
        .ok_or_else(|| {
            Failure::new(format!(
                "--instance is needed: {class} has no well-known instance"
            ))
        })?;
    let ae = |s: &str, what: &str| {
        AeTitle::new(s).ok_or_else(|| Failure::new(format!("{what} '{s}' is not a valid AE title")))
    };
    let target = Target {
        addr,
        class,
        instance,
        echo_only: args.echo_only,
        calling: ae(&args.aet, "--aet")?,
        called: ae(&args.aec, "--aec")?,
        timeout: Duration::from_secs_f64(args.timeout.max(0.1)),
    };
    let seed = args
        .seed
        .or(replay.as_ref().map(|r| r.seed))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });

    let mut rows = Vec::new();
    let progress = indicatif::ProgressBar::new(0);
    progress.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    if let Some(r) = &replay {
        progress.set_message("replaying the session");
        let outcome = run_session(&target, &r.plan);
        rows.push(row(
            "replayed session",
            outcome.map(|s| format!("passed: {s}")),
        ));
    } else {
        progress.set_message("liveness");
        let first = liveness(&target);
        let pool = first
            .as_ref()
            .map(|(_, tags)| tags.clone())
            .unwrap_or_default();
        rows.push(row("liveness at the start", first.map(|(s, _)| s)));
        progress.set_message(format!(
            "{} generated sessions (seed {seed})",
            args.sessions
        ));
        rows.push(sessions(&target, &args, seed, &pool));
        progress.set_message("a request written a byte at a time");
        rows.push(row("trickled request", trickled(&target)));
        progress.set_message("an idle association");
        rows.push(row(
            "idle association",
            idle(&target, Duration::from_secs_f64(args.idle.max(0.0))),
        ));
        progress.set_message("association slots held");
        rows.push(row(
            "slots held without traffic",
            slots(&target, args.slots),
        ));
        progress.set_message("liveness");
        rows.push(row(
            "liveness at the end",
            liveness(&target).map(|(s, _)| s),
        ));
    }
    progress.finish_and_clear();
    let passed = rows.iter().filter(|r| r.passed).count();
    let failed = rows.len() - passed;
    if args.json {
        let report = serde_json::json!({
            "target": addr_text,
            "class": target.class,
            "instance": target.instance,
            "seed": seed,
            "checks": rows,
            "passed": passed,
            "failed": failed,
        });
        out!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        out!(
            "dimse check {addr_text} (class {}, seed {seed})",
            target.class
        );
        for r in &rows {
            out!(
                "{}  {:<28} {}",
                if r.passed { "PASS" } else { "FAIL" },
                r.check,
                r.detail
            );
        }
        out!("{passed} passed, {failed} failed");
    }
    if failed > 0 {
        return Err(Failure {
            message: format!("{failed} check(s) failed"),
            code: 1,
        });
    }
    Ok(())
}

fn row(check: &str, outcome: Result<String, String>) -> Row {
    match outcome {
        Ok(detail) => Row {
            check: check.into(),
            passed: true,
            detail,
        },
        Err(detail) => Row {
            check: check.into(),
            passed: false,
            detail,
        },
    }
}

/// The generated sessions, shrunk to the smallest failing one if one fails.
fn sessions(target: &Target, args: &CheckArgs, seed: u64, pool: &[u32]) -> Row {
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases: args.sessions,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = plan_strategy(pool.to_vec(), target.echo_only);
    let result = runner.run(&strategy, |plan| {
        run_session(target, &plan)
            .map(|_| ())
            .map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => row(
            "generated sessions",
            Ok(format!(
                "{} sessions, every response as the standard allows",
                args.sessions
            )),
        ),
        Err(TestError::Fail(reason, plan)) => {
            let replay = Replay {
                addr: target.addr.to_string(),
                class: target.class.clone(),
                instance: target.instance.clone(),
                calling_ae: target.calling.as_str().unwrap_or_default().to_string(),
                called_ae: target.called.as_str().unwrap_or_default().to_string(),
                seed,
                failure: reason.to_string(),
                plan,
            };
            let written = serde_json::to_string_pretty(&replay)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    std::fs::write(&args.failure_file, text + "\n").map_err(|e| e.to_string())
                });
            let detail = match written {
                Ok(()) => format!(
                    "{reason}; the smallest failing session is in {} (dimse check --replay {0})",
                    args.failure_file.display()
                ),
                Err(e) => format!(
                    "{reason}; the replay file {} could not be written: {e}",
                    args.failure_file.display()
                ),
            };
            row("generated sessions", Err(detail))
        }
        Err(TestError::Abort(why)) => row("generated sessions", Err(format!("aborted: {why}"))),
    }
}

/// Sessions: a few requests on generated offers, cut and paced in generated ways.
fn plan_strategy(pool: Vec<u32>, echo_only: bool) -> impl Strategy<Value = Plan> {
    // Attribute lists: from what the SCP returned (as it named its attributes), and two
    // tags no Display System has (a private group's element, and an odd group), which it
    // must list under 0107H.
    let mut tags = pool;
    tags.extend([0x0009_1010, 0x0011_0010]);
    let list = proptest::collection::vec(proptest::sample::select(tags), 0..6);
    let op = if echo_only {
        prop_oneof![
            4 => Just(Op::Echo),
            1 => (0u64..30).prop_map(|ms| Op::Wait { ms }),
        ]
        .boxed()
    } else {
        prop_oneof![
            6 => proptest::option::of(list).prop_map(|attributes| Op::NGet { attributes }),
            2 => Just(Op::Echo),
            1 => (0u64..30).prop_map(|ms| Op::Wait { ms }),
        ]
        .boxed()
    };
    // The first alternative of each `prop_oneof!` is the plainest setting, and the one a
    // failing session shrinks to (proptest shrinks a union's current alternative, a range
    // to its low end, then moves to an earlier alternative): both syntaxes, no PDU limit,
    // whole PDUs, no pauses. A replay file then keeps only the settings its failure needs
    // (tests/check_shrink.rs). The weights only set how often each is generated.
    (
        prop_oneof![
            Just(Syntaxes::Both),
            Just(Syntaxes::Explicit),
            Just(Syntaxes::Implicit)
        ],
        prop_oneof![Just(0u32), 4096u32..=65536],
        prop_oneof![3 => Just(65536usize), 1 => 14usize..200],
        prop_oneof![3 => Just(65536usize), 1 => 1usize..64],
        prop_oneof![3 => Just(0u64), 1 => 0u64..5],
        proptest::collection::vec(op, 1..6),
    )
        .prop_map(
            |(syntaxes, max_pdu, pdu_room, write_piece, pause_ms, ops)| Plan {
                syntaxes,
                max_pdu,
                pdu_room,
                write_piece,
                pause_ms,
                ops,
            },
        )
}

/// A fresh association, C-ECHO (when Verification is accepted) and a whole N-GET (unless
/// echo-only); the top-level tags the N-GET returned, as a pool for generated lists.
fn liveness(target: &Target) -> Result<(String, Vec<u32>), String> {
    let plan = Plan {
        syntaxes: Syntaxes::Both,
        max_pdu: 16384,
        pdu_room: 65536,
        write_piece: 65536,
        pause_ms: 0,
        ops: if target.echo_only {
            vec![Op::Echo]
        } else {
            vec![Op::Echo, Op::NGet { attributes: None }]
        },
    };
    let mut pool = Vec::new();
    let summary = run_plan(target, &plan, |tags| pool = tags.to_vec())?;
    Ok((summary, pool))
}

/// Runs one session; `Ok` with a summary, `Err` with the first thing the standard does not
/// allow.
fn run_session(target: &Target, plan: &Plan) -> Result<String, String> {
    run_plan(target, plan, |_| {})
}

const EXPLICIT: &str = "1.2.840.10008.1.2.1";
const IMPLICIT: &str = "1.2.840.10008.1.2";

fn run_plan(
    target: &Target,
    plan: &Plan,
    mut returned: impl FnMut(&[u32]),
) -> Result<String, String> {
    static BOTH: [&str; 2] = [EXPLICIT, IMPLICIT];
    static EXPLICIT_ONLY: [&str; 1] = [EXPLICIT];
    static IMPLICIT_ONLY: [&str; 1] = [IMPLICIT];
    let syntaxes: &[&str] = match plan.syntaxes {
        Syntaxes::Both => &BOTH,
        Syntaxes::Explicit => &EXPLICIT_ONLY,
        Syntaxes::Implicit => &IMPLICIT_ONLY,
    };
    let mut contexts = vec![PresentationContextRq {
        id: 1,
        abstract_syntax: service::VERIFICATION,
        transfer_syntaxes: &IMPLICIT_ONLY,
    }];
    if !target.echo_only {
        contexts.push(PresentationContextRq {
            id: 3,
            abstract_syntax: &target.class,
            transfer_syntaxes: syntaxes,
        });
    }
    let mut config = RequestorConfig::new(target.calling, target.called, &contexts);
    config.limits.max_pdu_length = plan.max_pdu;
    let (mut rx, mut tx) = (vec![0u8; 1 << 20], vec![0u8; 64 * 1024]);
    let mut peer = Peer::connect(target, &config, &mut rx, &mut tx, plan)?;
    match peer.next_event()? {
        Event::Established { .. } => {}
        Event::Rejected(rj) => return Err(format!("association rejected: {}", rj.describe())),
        other => return Err(format!("expected the association, got {other:?}")),
    }
    let accepted = |c: &Connection<'_>, class: &str| {
        c.presentation_contexts()
            .find(|pc| pc.abstract_syntax == class)
            .map(|pc| pc.transfer_syntax.to_string())
    };
    let echo = accepted(&peer.conn, service::VERIFICATION).is_some();
    if !target.echo_only {
        match accepted(&peer.conn, &target.class) {
            Some(ts) if syntaxes.contains(&ts.as_str()) => {}
            Some(ts) => {
                return Err(format!(
                    "accepted {} with {ts}, which was not offered",
                    target.class
                ))
            }
            None => return Err(format!("{} not accepted", target.class)),
        }
    } else if !echo {
        return Err("Verification not accepted".into());
    }
    let mut done = Vec::new();
    for op in &plan.ops {
        match op {
            Op::Wait { ms } => std::thread::sleep(Duration::from_millis(*ms)),
            Op::Echo if !echo => {}
            Op::Echo => {
                let id = peer
                    .conn
                    .send_c_echo(peer.now())
                    .map_err(|e| format!("C-ECHO not sent: {e:?}"))?;
                let status = peer.response(Operation::CEcho, id)?;
                // PS3.7 §9.1.5.1.4: C-ECHO statuses.
                if ![
                    code::SUCCESS,
                    code::DUPLICATE_INVOCATION,
                    code::UNRECOGNIZED_OPERATION,
                    code::MISTYPED_ARGUMENT,
                ]
                .contains(&status)
                {
                    return Err(format!(
                        "C-ECHO answered {status:04X}H, not a C-ECHO status"
                    ));
                }
                done.push(format!("C-ECHO {status:04X}H"));
            }
            Op::NGet { attributes } => {
                let tags: Option<Vec<Tag>> = attributes.as_ref().map(|l| {
                    l.iter()
                        .map(|&t| Tag::new((t >> 16) as u16, t as u16))
                        .collect()
                });
                let id = peer
                    .conn
                    .send_n_get(peer.now(), &target.class, &target.instance, tags.as_deref())
                    .map_err(|e| format!("N-GET not sent: {e:?}"))?;
                let status = peer.response(Operation::NGet, id)?;
                let r = peer
                    .conn
                    .received_response()
                    .ok_or("the N-GET-RSP cannot be read")?;
                let got = grade_n_get(&target.class, status, &r, tags.as_deref())?;
                returned(&got);
                done.push(format!(
                    "N-GET of {} {status:04X}H",
                    tags.as_ref().map_or("everything".to_string(), |t| format!(
                        "{} attributes",
                        t.len()
                    ))
                ));
            }
        }
    }
    peer.conn
        .release(peer.now())
        .map_err(|e| format!("release: {e:?}"))?;
    loop {
        match peer.next_event()? {
            Event::Released => break,
            Event::Aborted(o) => return Err(format!("aborted instead of released: {o}")),
            Event::Closed => return Err("closed instead of released".into()),
            _ => {}
        }
    }
    Ok(if done.is_empty() {
        "associated and released".into()
    } else {
        done.join(", ")
    })
}

/// Whether an N-GET-RSP is one PS3.7 allows: its status, its data set, the attributes asked
/// for. Returns the top-level tags of the data set.
fn grade_n_get(
    class: &str,
    status: u16,
    r: &dimse::core::dimse::ReceivedResponse<'_>,
    asked: Option<&[Tag]>,
) -> Result<Vec<u32>, String> {
    // PS3.7 §10.1.2.1.9 with Annex C: the N-GET statuses; 0122H (Annex C, DIMSE-N) and
    // 0106H/0116H (PS3.4 §5.4.2.2, optional attributes not supported) beside them, and the
    // class's own.
    const N_GET: [u16; 15] = [
        0x0000, 0x0106, 0x0107, 0x0110, 0x0112, 0x0116, 0x0117, 0x0118, 0x0119, 0x0122, 0x0124,
        0x0210, 0x0211, 0x0212, 0x0213,
    ];
    let own =
        service::sop_class(class).is_some_and(|c| c.statuses.iter().any(|s| s.code == status));
    if !N_GET.contains(&status) && !own {
        return Err(format!(
            "N-GET answered {status:04X}H ({}), not a status PS3.7 allows for N-GET",
            service::meaning(status)
        ));
    }
    let success_or_warning = matches!(status, 0x0000 | 0x0107 | 0x0116) || (own && status < 0xA000);
    let mut tags = Vec::new();
    if let Some(data) = r.data_set {
        for event in Reader::new(data, r.encoding) {
            match event {
                Ok(ReadEvent::Element { tag, depth: 0, .. })
                | Ok(ReadEvent::SequenceStart { tag, depth: 0, .. }) => {
                    tags.push((u32::from(tag.group()) << 16) | u32::from(tag.element()))
                }
                Ok(_) => {}
                Err(e) => {
                    return Err(format!(
                        "the N-GET-RSP's data set is not readable in {}: {e:?}",
                        transfer_syntax_name(r.encoding)
                    ))
                }
            }
        }
    } else if status == code::SUCCESS {
        return Err("N-GET answered 0000H without a data set".into());
    }
    if !success_or_warning {
        return Ok(tags);
    }
    let listed: Vec<Tag> = r.command.attribute_tags().collect();
    for t in asked.unwrap_or(&[]) {
        let n = (u32::from(t.group()) << 16) | u32::from(t.element());
        let present = tags.contains(&n);
        if !present && status == code::SUCCESS {
            return Err(format!(
                "N-GET answered 0000H without {t} that was asked for (PS3.7 C.4.2: 0107H \
                 listing it)"
            ));
        }
        if !present && status == code::ATTRIBUTE_LIST_ERROR && !listed.contains(t) {
            return Err(format!(
                "N-GET answered 0107H without {t}, and without it in the Attribute \
                 Identifier List"
            ));
        }
    }
    Ok(tags)
}

fn transfer_syntax_name(e: Encoding) -> &'static str {
    match e {
        Encoding::ImplicitVrLittleEndian => "Implicit VR Little Endian",
        Encoding::ExplicitVrLittleEndian => "Explicit VR Little Endian",
    }
}

/// A request written a byte at a time, 2 ms apart: the SCP must answer it.
fn trickled(target: &Target) -> Result<String, String> {
    let plan = Plan {
        syntaxes: Syntaxes::Both,
        max_pdu: 16384,
        pdu_room: 65536,
        write_piece: 1,
        pause_ms: 2,
        ops: vec![if target.echo_only {
            Op::Echo
        } else {
            Op::NGet {
                attributes: Some(vec![0x0008_0070]),
            }
        }],
    };
    run_plan(target, &plan, |_| {}).map(|s| format!("answered: {s}"))
}

/// An association left idle: still served after, or ended by the SCP (and when).
fn idle(target: &Target, wait: Duration) -> Result<String, String> {
    let plan = Plan {
        syntaxes: Syntaxes::Both,
        max_pdu: 16384,
        pdu_room: 65536,
        write_piece: 65536,
        pause_ms: 0,
        ops: vec![
            Op::Wait {
                ms: wait.as_millis() as u64,
            },
            Op::Echo,
        ],
    };
    let started = StdInstant::now();
    match run_plan(target, &plan, |_| {}) {
        Ok(s) => Ok(format!(
            "still served after {:.1} s idle: {s}",
            wait.as_secs_f64()
        )),
        // Ending an idle association is the SCP's right (its network timeout): reported.
        Err(e) => Ok(format!(
            "the SCP ended it after {:.1} s idle: {e}",
            started.elapsed().as_secs_f64()
        )),
    }
}

/// `n` associations held without traffic: how many the SCP accepted, then every one closed
/// and a fresh one served.
fn slots(target: &Target, n: usize) -> Result<String, String> {
    let mut held = Vec::new();
    let mut outcome = String::new();
    for i in 0..n {
        match TcpStream::connect_timeout(&target.addr, target.timeout) {
            Ok(mut s) => {
                let rq = associate_rq(target);
                let _ = s.set_read_timeout(Some(target.timeout));
                if s.write_all(&rq).is_err() {
                    outcome = format!("connection {} closed before its request", i + 1);
                    break;
                }
                let mut head = [0u8; 1];
                match s.read(&mut head) {
                    Ok(1) if head[0] == 0x02 => held.push(s),
                    Ok(1) if head[0] == 0x03 => {
                        outcome = format!("association {} rejected (A-ASSOCIATE-RJ)", i + 1);
                        break;
                    }
                    Ok(1) => {
                        outcome = format!(
                            "association {} answered with PDU type {:02X}H",
                            i + 1,
                            head[0]
                        );
                        break;
                    }
                    _ => {
                        outcome = format!("association {} got no answer", i + 1);
                        break;
                    }
                }
            }
            Err(e) => {
                outcome = format!("connection {} refused: {e}", i + 1);
                break;
            }
        }
    }
    let accepted = held.len();
    drop(held);
    std::thread::sleep(Duration::from_millis(100));
    let after = liveness(target).map_err(|e| {
        format!("{accepted} of {n} held; after closing them the SCP no longer serves: {e}")
    })?;
    Ok(format!(
        "{accepted} of {n} held at once{}; served again after: {}",
        if outcome.is_empty() {
            String::new()
        } else {
            format!(" ({outcome})")
        },
        after.0
    ))
}

/// The A-ASSOCIATE-RQ of a plain session, as bytes.
fn associate_rq(target: &Target) -> Vec<u8> {
    static IMPLICIT_ONLY: [&str; 1] = [IMPLICIT];
    let contexts = [PresentationContextRq {
        id: 1,
        abstract_syntax: service::VERIFICATION,
        transfer_syntaxes: &IMPLICIT_ONLY,
    }];
    let config = RequestorConfig::new(target.calling, target.called, &contexts);
    let (mut rx, mut tx) = (vec![0u8; 1024], vec![0u8; 1024]);
    let Ok(mut conn) = Connection::requestor(
        &config,
        Storage {
            rx: &mut rx,
            tx: &mut tx,
        },
        Instant::ZERO,
    ) else {
        return Vec::new();
    };
    let mut out = vec![0u8; 64 * 1024];
    match conn.poll_output(&mut out) {
        Ok(Output::Transmit(n)) => out[..n].to_vec(),
        _ => Vec::new(),
    }
}

/// Our side of one association: the core's requestor over a blocking socket, its PDUs cut
/// and paced as the plan says.
struct Peer<'a> {
    conn: Connection<'a>,
    stream: TcpStream,
    kept: Vec<u8>,
    out: Vec<u8>,
    pending: Vec<u8>,
    events: std::collections::VecDeque<Event>,
    write_piece: usize,
    pause: Duration,
    timeout: Duration,
    started: StdInstant,
    eof: bool,
}

impl<'a> Peer<'a> {
    fn connect(
        target: &Target,
        config: &'a RequestorConfig<'a>,
        rx: &'a mut [u8],
        tx: &'a mut [u8],
        plan: &Plan,
    ) -> Result<Peer<'a>, String> {
        let stream = TcpStream::connect_timeout(&target.addr, target.timeout)
            .map_err(|e| format!("cannot connect: {e}"))?;
        let _ = stream.set_nodelay(true);
        let conn = Connection::requestor(config, Storage { rx, tx }, Instant::ZERO)
            .map_err(|e| format!("{e:?}"))?;
        Ok(Peer {
            conn,
            stream,
            kept: Vec::new(),
            out: vec![0u8; plan.pdu_room.clamp(14, 1 << 20)],
            pending: Vec::new(),
            events: Default::default(),
            write_piece: plan.write_piece.max(1),
            pause: Duration::from_millis(plan.pause_ms),
            timeout: target.timeout,
            started: StdInstant::now(),
            eof: false,
        })
    }

    fn now(&self) -> Instant {
        Instant::from_millis(self.started.elapsed().as_millis() as u64)
    }

    /// The drain contract: PDUs written (in pieces), events queued, kept input offered again.
    fn drain(&mut self) -> Result<(), String> {
        loop {
            match self.conn.poll_output(&mut self.out) {
                Ok(Output::Transmit(n)) => self.pending.extend_from_slice(&self.out[..n]),
                Ok(Output::Event(e)) => self.events.push_back(e),
                Ok(Output::Reoffer) => self.feed(),
                Ok(Output::Idle { .. }) => break,
                Err(_) => return Err("our PDU did not fit its buffer".into()),
            }
        }
        let bytes = std::mem::take(&mut self.pending);
        for piece in bytes.chunks(self.write_piece) {
            if self.stream.write_all(piece).is_err() {
                // The SCP closed: what it said before is still to be read.
                break;
            }
            if !self.pause.is_zero() {
                std::thread::sleep(self.pause);
            }
        }
        Ok(())
    }

    fn feed(&mut self) {
        let now = self.now();
        let used = self.conn.handle_input(now, &self.kept);
        self.kept.drain(..used);
    }

    /// The next event of our core, moving bytes until there is one.
    fn next_event(&mut self) -> Result<Event, String> {
        let give_up = StdInstant::now() + self.timeout;
        loop {
            self.drain()?;
            if let Some(e) = self.events.pop_front() {
                return Ok(e);
            }
            if self.eof {
                return Err("the SCP closed the connection".into());
            }
            let now = StdInstant::now();
            if now >= give_up {
                return Err(format!(
                    "no answer within {:.1} s",
                    self.timeout.as_secs_f64()
                ));
            }
            let _ = self
                .stream
                .set_read_timeout(Some((give_up - now).min(Duration::from_millis(100))));
            let mut buf = [0u8; 16384];
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    let now = self.now();
                    self.conn.handle_transport_closed(now);
                }
                Ok(n) => {
                    self.kept.extend_from_slice(&buf[..n]);
                    self.feed();
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    let now = self.now();
                    self.conn.handle_timeout(now);
                }
                Err(_) => {
                    self.eof = true;
                    let now = self.now();
                    self.conn.handle_transport_closed(now);
                }
            }
        }
    }

    /// Waits for the response to request `id` and returns its status.
    fn response(&mut self, op: Operation, id: u16) -> Result<u16, String> {
        loop {
            match self.next_event()? {
                Event::Response {
                    op: got,
                    message_id,
                    status,
                    ..
                } if got == op && message_id == id => return Ok(status),
                Event::Response { message_id, .. } => {
                    return Err(format!("a response to Message ID {message_id}, not {id}"))
                }
                Event::Aborted(o) => return Err(format!("aborted during the request: {o}")),
                Event::Closed => return Err("closed during the request".into()),
                _ => {}
            }
        }
    }
}
