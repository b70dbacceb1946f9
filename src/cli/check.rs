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
//! - **the hostile catalogue** (`--cases`, `--jobs`): each case of
//!   `dimse_testkit::hostile` that needs no local action of the SCP's user, on its own
//!   connection, its reaction graded by `dimse_testkit::remote::grade`; after each case a
//!   fresh association and C-ECHO (tried for up to `--timeout`: a slot the SCP holds until
//!   its own timer ends the hostile association is reported, not failed);
//! - **slow peers**: a request written a byte at a time, an idle association, association
//!   slots held without traffic: what the SCP did, and when.
//!
//! If the first liveness check fails nothing else runs. With `--tls-ca` every check runs
//! over TLS, each connection through a local relay that carries it over a TLS session of
//! its own (half-closes included), so the catalogue's bytes reach the SCP unchanged inside
//! TLS; a failed first handshake is reported as such. A replay file records the address,
//! not TLS: replay with `--tls-ca` again.
//!
//! ## The report
//!
//! One row a check, `outcome` one of: `pass`; `fail`; for catalogue cases also
//! `other-reason` (passed: the same PDUs with another A-ABORT or A-ASSOCIATE-RJ reason, a
//! code the standard leaves to the implementation where the catalogue took one reading),
//! `setup` (differs in a case whose expectation depends on the catalogue's timers, ARTIM
//! 300 ms and a network timeout of 600 ms, or on an N-GET naming (0013,0010) being answered
//! 200 ms late: not graded unless `--catalogue-setup` says the SCP runs so) and
//! `not-applicable` (the case needs N-GET of Display System and the SCP is `--echo-only` or
//! checked for another `--class`; the case is still played, and liveness checked after it).
//! A catalogue row's detail gives the expected and observed reactions as the testkit writes
//! them: `AC[id:result ...]`, `RJ(result,source,reason)`, `ABORT(source,reason)`,
//! `RELEASE-RP`, a DIMSE response as `command-field#message-id statusH[+data]`, `CLOSED`,
//! and `|` where the case waited to see what had arrived by then.
//!
//! The table prints each row, except that catalogue cases as expected are counted per
//! group; the line before the last counts the rows not graded; the last line is
//! `N passed, M failed`. `--json` gives one JSON object: `target`, `class`, `instance`,
//! `seed`, `checks` (every row: `check`, `outcome`, `passed`, `detail`), `passed`,
//! `failed`, `not_graded`. The exit status is 0 only if nothing failed.
//!
//! ## Replay files
//!
//! Written (to `--failure-file`) only when a generated session fails: one JSON object with
//! - `addr`, `class`, `instance`: the SCP, SOP class and instance the session ran against;
//!   `--replay` uses them unless `HOST:PORT`, `--class` or `--instance` is given;
//! - `calling_ae`, `called_ae`: the AE titles of that run; a replay calls with them unless
//!   `--aet` or `--aec` is given;
//! - `seed`: the seed of that run, shown again in the replay's report (a replay generates
//!   nothing);
//! - `failure`: what the SCP did that the standard does not allow, as the report said it;
//! - `plan`: the shrunk session: `syntaxes` (`"explicit"`, `"implicit"` or `"both"`, offered
//!   for the class; Verification is offered in Implicit VR LE), `max_pdu` (our Maximum
//!   Length received, 0: no limit), `pdu_room` (our PDUs cut into P-DATA-TFs of at most this
//!   many bytes), `write_piece` and `pause_ms` (our bytes written in pieces of this size,
//!   with this pause after each once the association is established), and `ops`, run in
//!   order, each answered before the next: `{"n_get": {"attributes": [...]}}` (tags as
//!   `ggggeeee` numbers, `null` for every attribute), `"echo"`, `{"wait": {"ms": N}}`.
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

use dimse_testkit::remote::{self, Grade, Grading};
use dimse_testkit::{hostile, model};

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
    /// Hostile-catalogue cases to play: `all`, `none`, or a comma-separated list of case
    /// names and groups (`pdu`, `assoc/even-context-id`, ...); one with a leading `-` is
    /// left out (`-slow`: every case but the slow group).
    #[arg(long, default_value = "all", value_name = "NAME,...")]
    pub cases: String,
    /// Catalogue cases played at once (each on its own connection, with a fresh association
    /// after it).
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// The SCP runs the catalogue's timers and pace (ARTIM 300 ms, network timeout 600 ms,
    /// an N-GET naming (0013,0010) answered 200 ms late): cases that depend on them are
    /// graded too, instead of reported as setup findings.
    #[arg(long)]
    pub catalogue_setup: bool,
    /// Speak TLS (PS3.15 Annex B), trusting the CA certificates in this PEM file: every
    /// check runs through a local relay that carries each connection over its own TLS
    /// session.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// The name the SCP's certificate must carry (default: the host of HOST:PORT).
    #[arg(long, requires = "tls_ca")]
    pub tls_name: Option<String>,
    /// Our AE title (calling; default: the replay file's, or DIMSE_CHECK).
    #[arg(long)]
    pub aet: Option<String>,
    /// The SCP's AE title (called; default: the replay file's, or ANY-SCP).
    #[arg(long)]
    pub aec: Option<String>,
}

/// What the checks talk to.
#[derive(Debug, Clone)]
struct Target {
    /// Where the checks connect: the SCP, or the TLS relay to it.
    addr: SocketAddr,
    /// The SCP's address as given (what a replay file records).
    given: String,
    class: String,
    instance: String,
    echo_only: bool,
    calling: AeTitle,
    called: AeTitle,
    timeout: Duration,
}

impl Target {
    /// A connection to the SCP for one case or session. A refused connection is tried again
    /// until `timeout` has passed: an SCP with a fixed number of association slots (firmware)
    /// listens again only once a slot's previous association has closed, and the case that
    /// left it may still be closing there. A dead SCP still fails, after `timeout`.
    fn connect(&self) -> std::io::Result<TcpStream> {
        let started = StdInstant::now();
        loop {
            match TcpStream::connect_timeout(&self.addr, self.timeout) {
                Err(e)
                    if e.kind() == ErrorKind::ConnectionRefused
                        && started.elapsed() < self.timeout =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }
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
    /// ... with this pause after each piece once the association is established, in
    /// milliseconds.
    pub pause_ms: u64,
    /// The requests, in order, each answered before the next.
    pub ops: Vec<Op>,
}

impl Plan {
    /// `ops` on an association offering `syntaxes`, with a Maximum Length of 16 KiB, whole
    /// PDUs written at once: the fixed sessions of the checks (liveness, slow peers).
    fn plain(syntaxes: Syntaxes, ops: Vec<Op>) -> Plan {
        Plan {
            syntaxes,
            max_pdu: 16384,
            pdu_room: 65536,
            write_piece: 65536,
            pause_ms: 0,
            ops,
        }
    }
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

/// How a check came out (`outcome` in the JSON report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Outcome {
    Pass,
    Fail,
    /// Passed: a reason code the standard leaves open differs from the catalogue's.
    OtherReason,
    /// Not graded: differs in a case that depends on the SCP's timers or pace.
    Setup,
    /// Not graded: the case needs N-GET of Display System.
    NotApplicable,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize)]
struct Row {
    check: String,
    outcome: Outcome,
    /// Derived from `outcome` (every outcome but `Fail`), kept in the JSON report.
    passed: bool,
    detail: String,
}

impl Row {
    fn new(check: String, outcome: Outcome, detail: String) -> Row {
        Row {
            check,
            outcome,
            passed: outcome != Outcome::Fail,
            detail,
        }
    }

    /// Whether the row counts in `N passed, M failed`.
    fn graded(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Pass | Outcome::Fail | Outcome::OtherReason
        )
    }
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
    // Over TLS the checks connect to a local relay (see `tls::relay`), kept until the end.
    let relay = match &args.tls_ca {
        Some(ca) => {
            let host = addr_text
                .rsplit_once(':')
                .map_or(addr_text.as_str(), |(h, _)| h);
            let name = args.tls_name.clone().unwrap_or_else(|| host.to_string());
            Some(super::tls::relay(
                addr,
                super::tls::client_config(ca, name)?,
            )?)
        }
        None => None,
    };
    let target = Target {
        addr: relay.as_ref().map_or(addr, |r| r.addr),
        given: addr_text.clone(),
        class,
        instance,
        echo_only: args.echo_only,
        calling: ae(
            args.aet
                .as_deref()
                .or(replay.as_ref().map(|r| r.calling_ae.as_str()))
                .unwrap_or("DIMSE_CHECK"),
            "--aet",
        )?,
        called: ae(
            args.aec
                .as_deref()
                .or(replay.as_ref().map(|r| r.called_ae.as_str()))
                .unwrap_or("ANY-SCP"),
            "--aec",
        )?,
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
        // --cases is read first: a typo should not cost a run.
        let cases = select_cases(&args.cases)?;
        progress.set_message("liveness");
        match liveness(&target) {
            // Nothing else can be graded against an SCP that serves no association.
            Err(e) => rows.push(row(
                "liveness at the start",
                Err(format!("{e}; nothing else was run")),
            )),
            Ok((summary, pool)) => {
                rows.push(row("liveness at the start", Ok(summary)));
                rows.extend(checks(&target, &args, seed, &pool, cases, &progress));
            }
        }
    }
    progress.finish_and_clear();
    let passed = rows.iter().filter(|r| r.graded() && r.passed).count();
    let failed = rows.iter().filter(|r| !r.passed).count();
    let not_graded = rows.iter().filter(|r| !r.graded()).count();
    if args.json {
        let report = serde_json::json!({
            "target": addr_text,
            "tls": relay.is_some(),
            "class": target.class,
            "instance": target.instance,
            "seed": seed,
            "checks": rows,
            "passed": passed,
            "failed": failed,
            "not_graded": not_graded,
        });
        out!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        out!(
            "dimse check {addr_text}{} (class {}, seed {seed})",
            if relay.is_some() { " over TLS" } else { "" },
            target.class
        );
        print_table(&rows);
        if not_graded > 0 {
            out!("{not_graded} catalogue case(s) not graded (setup findings or not applicable)");
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

/// Everything after the first liveness check, in order.
fn checks(
    target: &Target,
    args: &CheckArgs,
    seed: u64,
    pool: &[u32],
    cases: Vec<hostile::Case>,
    progress: &indicatif::ProgressBar,
) -> Vec<Row> {
    let mut rows = Vec::new();
    progress.set_message(format!(
        "{} generated sessions (seed {seed})",
        args.sessions
    ));
    rows.push(sessions(target, args, seed, pool));
    if !cases.is_empty() {
        rows.extend(catalogue(target, args, cases, progress));
    }
    progress.set_message("a request written a byte at a time");
    rows.push(row("trickled request", trickled(target)));
    progress.set_message("an idle association");
    rows.push(row(
        "idle association",
        idle(target, Duration::from_secs_f64(args.idle.max(0.0))),
    ));
    progress.set_message("association slots held");
    rows.push(row("slots held without traffic", slots(target, args.slots)));
    progress.set_message("liveness");
    rows.push(row("liveness at the end", liveness(target).map(|(s, _)| s)));
    rows
}

/// The table: every row, except that catalogue cases as expected are counted per group.
fn print_table(rows: &[Row]) {
    let mut expected: Vec<(String, usize)> = Vec::new();
    for r in rows {
        if let (Some(case), Outcome::Pass) = (r.check.strip_prefix("catalogue "), r.outcome) {
            let group = case.split('/').next().unwrap_or(case).to_string();
            match expected.iter_mut().find(|(g, _)| *g == group) {
                Some((_, n)) => *n += 1,
                None => expected.push((group, 1)),
            }
            continue;
        }
        let label = match r.outcome {
            Outcome::Pass => "PASS",
            Outcome::OtherReason => "PASS*",
            Outcome::Setup => "SETUP",
            Outcome::NotApplicable => "N/A",
            Outcome::Fail => "FAIL",
        };
        out!("{label:<6} {:<28} {}", r.check, r.detail);
    }
    for (group, n) in expected {
        out!(
            "{:<6} {:<28} {n} case(s) as the catalogue expects",
            "PASS",
            format!("catalogue {group}")
        );
    }
}

fn row(check: &str, outcome: Result<String, String>) -> Row {
    match outcome {
        Ok(detail) => Row::new(check.into(), Outcome::Pass, detail),
        Err(detail) => Row::new(check.into(), Outcome::Fail, detail),
    }
}

/// The catalogue cases `--cases` names (`all`, `none`, or names and groups to play, and
/// with a leading `-` to leave out), in catalogue order; those that need a local action of
/// the SCP's user are never played.
fn select_cases(spec: &str) -> Result<Vec<hostile::Case>, Failure> {
    let all: Vec<hostile::Case> = hostile::catalogue()
        .into_iter()
        .filter(|c| c.socket)
        .collect();
    match spec.trim() {
        "all" => return Ok(all),
        "none" | "" => return Ok(Vec::new()),
        _ => {}
    }
    let items: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    let (without, with): (Vec<&str>, Vec<&str>) = items.iter().partition(|w| w.starts_with('-'));
    let without: Vec<&str> = without.iter().map(|w| &w[1..]).collect();
    let named =
        |c: &hostile::Case, list: &[&str]| list.iter().any(|w| c.name == *w || c.group() == *w);
    if let Some(unknown) = with
        .iter()
        .chain(&without)
        .find(|w| !all.iter().any(|c| named(c, &[**w])))
    {
        let mut groups: Vec<&str> = all.iter().map(hostile::Case::group).collect();
        groups.dedup();
        return Err(Failure::new(format!(
            "--cases: no catalogue case or group '{unknown}' (groups: {})",
            groups.join(", ")
        )));
    }
    Ok(all
        .into_iter()
        .filter(|c| (with.is_empty() || named(c, &with)) && !named(c, &without))
        .collect())
}

/// Plays each case on its own connection (`--jobs` at once), grades the SCP's reaction
/// (`dimse_testkit::remote::grade`), and checks after each that a fresh association is
/// still served (C-ECHO).
fn catalogue(
    target: &Target,
    args: &CheckArgs,
    cases: Vec<hostile::Case>,
    progress: &indicatif::ProgressBar,
) -> Vec<Row> {
    let how = Grading {
        // The catalogue's N-GETs are Display System's: another class is C-ECHO only here.
        echo_only: target.echo_only || target.class != service::DISPLAY_SYSTEM,
        catalogue_setup: args.catalogue_setup,
    };
    progress.set_length(cases.len() as u64);
    progress.set_position(0);
    progress.set_message(format!("{} hostile-catalogue cases", cases.len()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let rows = std::sync::Mutex::new(vec![None; cases.len()]);
    std::thread::scope(|scope| {
        for _ in 0..args.jobs.clamp(1, 64) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(case) = cases.get(i) else { return };
                let r = play_case(target, case, &how);
                rows.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                progress.inc(1);
            });
        }
    });
    rows.into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// One catalogue case and the liveness check after it, as a row.
fn play_case(target: &Target, case: &hostile::Case, how: &Grading) -> Row {
    let check = format!("catalogue {}", case.name);
    let transcript = target
        .connect()
        .map_err(|e| format!("cannot connect: {e}"))
        .and_then(|s| {
            remote::play_tcp(s, case, &remote::Timing::default()).map_err(|e| e.to_string())
        });
    let transcript = match transcript {
        Ok(t) => t,
        Err(e) => return row(&check, Err(e)),
    };
    let (outcome, mut detail) = match remote::grade(case, &transcript, how) {
        Grade::Expected => (Outcome::Pass, String::new()),
        Grade::OtherReason(why) => (Outcome::OtherReason, why),
        Grade::Differs(why) => (
            Outcome::Fail,
            format!("{why}; {}", table(case, &transcript)),
        ),
        Grade::Setup(why) => (Outcome::Setup, why),
        Grade::NotApplicable => (Outcome::NotApplicable, "needs N-GET".into()),
    };
    // The SCP must go on serving others whatever this connection did. It may refuse for a
    // while (a slot held until its own timer ends the hostile association, a storage SCP
    // listening again): tried every 100 ms for up to --timeout, and a wait is reported.
    let echo = Plan::plain(Syntaxes::Implicit, vec![Op::Echo]);
    let since = StdInstant::now();
    loop {
        match run_session(target, &echo) {
            Ok(_) if since.elapsed() < Duration::from_secs(1) => break,
            Ok(_) => {
                detail = format!(
                    "{}a fresh association was served only after {:.1} s",
                    if detail.is_empty() {
                        String::new()
                    } else {
                        format!("{detail}; ")
                    },
                    since.elapsed().as_secs_f64()
                );
                break;
            }
            Err(e) if since.elapsed() >= target.timeout => {
                let why = format!(
                    "after this case the SCP no longer serves ({e}, for {:.1} s); {detail}",
                    since.elapsed().as_secs_f64()
                );
                return Row::new(check, Outcome::Fail, why);
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    if detail.is_empty() {
        detail = "as the catalogue expects".into();
    }
    Row::new(check, outcome, detail)
}

/// What the PS3.8 Table 9-10 observer (`dimse_testkit::model`) says of a reaction that
/// differs from the catalogue's: whether the state machine allows it (the catalogue also
/// checks what the table leaves open: the contents of an A-ASSOCIATE-RQ, DIMSE statuses),
/// and if not, where and what it allows. It assumes the catalogue's ARTIM of 300 ms.
fn table(case: &hostile::Case, t: &hostile::Transcript) -> String {
    match model::judge(case, &t.replies) {
        // The observer reads replies between marks in any timing (our own close at the end
        // may come first) and leaves PDU contents to the catalogue: say so.
        model::Grade::Allowed { .. } => {
            "Table 9-10 alone (PDU contents, and timing between marks, aside) allows this".into()
        }
        model::Grade::NotAllowed { step, verdict } => {
            format!("Table 9-10, after step {}: {verdict}", step + 1)
        }
        model::Grade::NotUnderstood(why) => format!("not judged by Table 9-10: {why}"),
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
                addr: target.given.clone(),
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
    let ops = if target.echo_only {
        vec![Op::Echo]
    } else {
        vec![Op::Echo, Op::NGet { attributes: None }]
    };
    let plan = Plan::plain(Syntaxes::Both, ops);
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
    let op = if target.echo_only {
        Op::Echo
    } else {
        Op::NGet {
            attributes: Some(vec![0x0008_0070]),
        }
    };
    let plan = Plan {
        write_piece: 1,
        pause_ms: 2,
        ..Plan::plain(Syntaxes::Both, vec![op])
    };
    run_plan(target, &plan, |_| {}).map(|s| format!("answered: {s}"))
}

/// An association left idle: still served after, or ended by the SCP (and when).
fn idle(target: &Target, wait: Duration) -> Result<String, String> {
    let wait_op = Op::Wait {
        ms: wait.as_millis() as u64,
    };
    let plan = Plan::plain(Syntaxes::Both, vec![wait_op, Op::Echo]);
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
        let stream = target
            .connect()
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
        // Before the association is established the pieces go without pauses: a paced
        // A-ASSOCIATE-RQ could outlast the SCP's ARTIM, which is the catalogue's subject
        // (slow/associate-rq-*), not the sessions'.
        let pause = self.conn.is_established();
        for piece in bytes.chunks(self.write_piece) {
            if self.stream.write_all(piece).is_err() {
                // The SCP closed: what it said before is still to be read.
                break;
            }
            if pause && !self.pause.is_zero() {
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
