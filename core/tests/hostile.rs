//! The hostile-input catalogue against the core: every case of `dimse_testkit::hostile` fed to an
//! acceptor `Connection` with a simulated clock, the way an adapter drives it (the drain
//! contract of the crate docs), in three chunkings that must give the same transcript.
//!
//! Beyond the expected replies, every run checks: no panic; `handle_input` never claims more
//! than it was offered, and makes progress whenever `MAX_UNIT_LEN` bytes wait and the
//! application holds nothing; every PDU fits the transmit buffer and the whole output stays
//! bounded; nothing is sent or reported after `Event::Closed`, when the connection is closed
//! with no timer left; the transcript ends closed exactly when the connection does; every
//! A-ASSOCIATE-RJ sent is reported as `Event::Rejected`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant as WallClock;

use dimse_core::assoc::AcceptorPolicy;
use dimse_core::connection::Storage;
use dimse_core::dimse::Operation;
use dimse_core::dimse::Status;
use dimse_core::pdu::{AssociateRj, RejectResult, RejectSource, MAX_UNIT_LEN};
use dimse_core::service::display::DEMO;
use dimse_core::{Connection, Event, Instant, Output};
use dimse_testkit::hostile::*;

/// The buffer handed to `poll_output` (what the tokio server uses).
const OUT_LEN: usize = 16 * 1024 + 6;
/// Output bound of one case: far above anything a case legitimately causes.
const MAX_OUTPUT: usize = 1 << 20;
const MAX_EVENTS: usize = 512;

/// One run of one case.
struct Run<'c> {
    conn: Connection<'c>,
    now: Instant,
    chunk: usize,
    pending: Vec<u8>,
    transcript: Transcript,
    events: Vec<Event>,
    /// N-GETs the application answers later: (Message ID, when).
    held: Vec<(u16, Instant)>,
    out: Vec<u8>,
    output_bytes: usize,
    closed_event: bool,
    violations: Vec<String>,
}

impl<'c> Run<'c> {
    fn violation(&mut self, v: String) {
        if !self.violations.contains(&v) {
            self.violations.push(v);
        }
    }

    /// The drain contract: `poll_output` until it is idle, feeding the kept bytes again
    /// when it says so. The application acts on `Event::Request` as it is polled.
    fn drain(&mut self) -> bool {
        let mut any = false;
        loop {
            let output = match self.conn.poll_output(&mut self.out) {
                Ok(o) => o,
                Err(e) => {
                    self.violation(format!("poll_output: {e:?}"));
                    break;
                }
            };
            match output {
                Output::Idle { .. } => break,
                Output::Reoffer => self.offer(),
                Output::Transmit(n) => {
                    if self.transcript.closed {
                        self.violation("a PDU after the transport closed".into());
                    }
                    if self.closed_event {
                        self.violation("a PDU after Event::Closed".into());
                    }
                    self.output_bytes += n;
                    if self.output_bytes > MAX_OUTPUT {
                        self.violation("unbounded output".into());
                        return any;
                    }
                    let pdu = self.out[..n].to_vec();
                    self.transcript.feed(&pdu);
                }
                Output::Event(ev) => {
                    if self.closed_event {
                        self.violation(format!("event {ev:?} after Event::Closed"));
                    }
                    match ev {
                        Event::Request {
                            op: Operation::NGet,
                            message_id,
                            ..
                        } => {
                            let slow = self
                                .conn
                                .n_get_request()
                                .is_some_and(|r| r.requested_tags().any(|t| t == SLOW_TAG));
                            if slow {
                                self.held.push((
                                    message_id,
                                    Instant::from_millis(self.now.as_millis() + SLOW_MS),
                                ));
                            } else {
                                self.respond(message_id);
                            }
                        }
                        Event::Closed => self.closed_event = true,
                        _ => {}
                    }
                    self.events.push(ev);
                    if self.events.len() > MAX_EVENTS {
                        self.violation("unbounded events".into());
                        return any;
                    }
                }
            }
            any = true;
        }
        // Closed: every PDU was handed out before; now the transport closes.
        if self.closed_event && !self.transcript.closed {
            self.transcript.close();
        }
        any
    }

    /// Offers the kept bytes and keeps what the connection does not take.
    fn offer(&mut self) {
        let offered = self.pending.len();
        let used = self.conn.handle_input(self.now, &self.pending);
        if used > offered {
            self.violation(format!("consumed {used} of {offered} bytes"));
            self.pending.clear();
            return;
        }
        self.pending.drain(..used);
    }

    fn respond(&mut self, message_id: u16) {
        // Errors are expected when the association ended while the application worked.
        let _ = self
            .conn
            .respond_n_get(self.now, message_id, Status::SUCCESS, Some(&DEMO));
    }

    fn feed(&mut self, bytes: &[u8]) {
        for piece in bytes.chunks(self.chunk.max(1)) {
            if self.transcript.closed {
                // The transport is gone: nothing more reaches the connection.
                return;
            }
            self.pending.extend_from_slice(piece);
            self.offer();
            self.drain();
            if self.pending.len() >= MAX_UNIT_LEN
                && !self.conn.is_closed()
                && self.held.is_empty()
                && self.conn.n_get_request().is_none()
            {
                self.violation(format!(
                    "no progress with {} bytes offered",
                    self.pending.len()
                ));
            }
        }
    }

    /// Simulated time up to `now + ms`: every timer and late answer fires at its moment.
    fn pause(&mut self, ms: u64) {
        let target = Instant::from_millis(self.now.as_millis() + ms);
        for _ in 0..1000 {
            let app = self.held.iter().map(|h| h.1).min();
            let timer = self.conn.poll_timeout();
            let next = match (app, timer) {
                (Some(a), Some(t)) => a.min(t),
                (a, t) => match a.or(t) {
                    Some(x) => x,
                    None => break,
                },
            };
            if next > target {
                break;
            }
            self.now = self.now.max(next);
            let now = self.now;
            let due: Vec<u16> = self
                .held
                .iter()
                .filter(|h| h.1 <= now)
                .map(|h| h.0)
                .collect();
            self.held.retain(|h| h.1 > now);
            for id in due {
                self.respond(id);
            }
            self.conn.handle_timeout(now);
            self.drain();
            if self.conn.poll_timeout().is_some_and(|t| t <= now) && self.held.is_empty() {
                self.violation("a timer stays due after handle_timeout".into());
                break;
            }
        }
        self.now = target;
    }

    fn step(&mut self, step: &Step) {
        match step {
            Step::Send(b) | Step::SendAwait(b) => self.feed(b),
            Step::Pause(ms) => self.pause(*ms),
            Step::Close => {
                if !self.transcript.closed {
                    self.conn.handle_transport_closed(self.now);
                    self.drain();
                    // The transport is closed whatever the state machine says (it should
                    // say Closed: AA-4, AA-5 or AR-5).
                    if !self.closed_event {
                        self.violation("no Event::Closed after the transport closed".into());
                    }
                    self.transcript.close();
                }
            }
            Step::Mark => self.transcript.mark(),
            Step::State(s) => {
                if self.conn.state() != *s {
                    self.violation(format!("in {:?}, not {s:?}", self.conn.state()));
                }
            }
            Step::LocalRelease => {
                if let Err(e) = self.conn.release(self.now) {
                    self.violation(format!("release: {e:?}"));
                }
                self.drain();
            }
        }
    }

    /// The end-of-case checks.
    fn finish(&mut self) {
        let closed = self.conn.is_closed();
        if self.closed_event != closed {
            self.violation(format!(
                "Event::Closed {} but is_closed() {closed}",
                self.closed_event
            ));
        }
        if closed && self.conn.poll_timeout().is_some() {
            self.violation("closed with a timer still set".into());
        }
        let rj_sent: Vec<_> = self
            .transcript
            .replies
            .iter()
            .filter_map(|r| match r {
                Reply::Rj(a, b, c) => Some((*a, *b, *c)),
                _ => None,
            })
            .collect();
        let rj_reported: Vec<_> = self
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Rejected(rj) => Some(rj_bytes(rj)),
                _ => None,
            })
            .collect();
        if rj_sent != rj_reported {
            self.violation(format!(
                "A-ASSOCIATE-RJ sent {rj_sent:?}, reported {rj_reported:?}"
            ));
        }
    }
}

fn rj_bytes(rj: &AssociateRj) -> (u8, u8, u8) {
    let result = match rj.result {
        RejectResult::Permanent => 1,
        RejectResult::Transient => 2,
    };
    let source = match rj.source {
        RejectSource::ServiceUser => 1,
        RejectSource::ServiceProviderAcse => 2,
        RejectSource::ServiceProviderPresentation => 3,
    };
    (result, source, rj.reason.0)
}

struct Outcome {
    replies: Vec<Reply>,
    transcript: Transcript,
    violations: Vec<String>,
}

fn run(case: &Case, policy: &'static AcceptorPolicy<'static>, chunk: usize) -> Outcome {
    let mut rx = vec![0u8; 64 * 1024];
    let mut tx = vec![0u8; 64 * 1024];
    let conn = Connection::acceptor(
        policy,
        Storage {
            rx: &mut rx,
            tx: &mut tx,
        },
        Instant::ZERO,
    );
    let mut r = Run {
        conn,
        now: Instant::ZERO,
        chunk,
        pending: Vec::new(),
        transcript: Transcript::default(),
        events: Vec::new(),
        held: Vec::new(),
        out: vec![0; OUT_LEN],
        output_bytes: 0,
        closed_event: false,
        violations: Vec::new(),
    };
    r.drain();
    for s in &case.steps {
        r.step(s);
    }
    r.finish();
    Outcome {
        replies: r.transcript.replies.clone(),
        transcript: r.transcript,
        violations: r.violations,
    }
}

/// Why a case failed.
enum Failure {
    /// A panic, a broken contract or bound, a failed extra check: always a failure.
    Fatal(String),
    /// The replies depend on how the input was chunked (part of a known deviation's story).
    Chunking(String),
}

/// Runs one case in every chunking; the replies, the same in all.
fn check_case(
    case: &Case,
    policy: &'static AcceptorPolicy<'static>,
) -> Result<Vec<Reply>, Failure> {
    let mut first: Option<Vec<Reply>> = None;
    for chunk in [usize::MAX, 1, 7] {
        let outcome = catch_unwind(AssertUnwindSafe(|| run(case, policy, chunk))).map_err(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Failure::Fatal(format!("PANIC (chunk {chunk}): {msg}"))
        })?;
        if !outcome.violations.is_empty() {
            return Err(Failure::Fatal(format!(
                "chunk {chunk}: {}; replies {:?}",
                outcome.violations.join("; "),
                outcome.replies
            )));
        }
        if let Some(check) = case.check {
            check(&outcome.transcript, &case.steps)
                .map_err(|e| Failure::Fatal(format!("chunk {chunk}: {e}")))?;
        }
        match &first {
            None => first = Some(outcome.replies),
            Some(f) if *f != outcome.replies => {
                return Err(Failure::Chunking(format!(
                    "chunking changes the outcome: whole {f:?}, chunks of {chunk} {:?}",
                    outcome.replies
                )))
            }
            Some(_) => {}
        }
    }
    Ok(first.unwrap_or_default())
}

#[test]
fn hostile_catalogue_against_the_core() {
    let started = WallClock::now();
    let policy: &'static AcceptorPolicy<'static> = Box::leak(Box::new(policy()));
    let catalogue = catalogue();
    let mut failures = Vec::new();
    let mut deviations = Vec::new();
    let mut groups: std::collections::BTreeMap<String, usize> = Default::default();
    for case in &catalogue {
        *groups.entry(case.group().to_string()).or_default() += 1;
        match (check_case(case, policy), case.known_deviation) {
            (Ok(replies), None) if replies == case.expect => {}
            (Ok(replies), None) => failures.push(format!(
                "{}\n    expected {:?}\n    observed {:?}",
                case.name, case.expect, replies
            )),
            (Ok(replies), Some(why)) if replies != case.expect => deviations.push(format!(
                "{}: {why}\n    standard {:?}\n    core     {:?}",
                case.name, case.expect, replies
            )),
            (Ok(_), Some(_)) => failures.push(format!(
                "{}: marked as a known deviation but now does what the standard says; \
                 remove the marker",
                case.name
            )),
            (Err(Failure::Chunking(e)), Some(why)) => deviations.push(format!(
                "{}: {why}\n    standard {:?}\n    core     {e}",
                case.name, case.expect
            )),
            (Err(Failure::Chunking(e) | Failure::Fatal(e)), _) => {
                failures.push(format!("{}: {e}", case.name))
            }
        }
    }
    let elapsed = started.elapsed();
    let named = catalogue
        .iter()
        .filter(|c| c.group() != "truncated")
        .count();
    println!(
        "hostile catalogue (core): {} cases ({named} named, {} generated truncations), \
         each in 3 chunkings, {:.0?}",
        catalogue.len(),
        catalogue.len() - named,
        elapsed
    );
    for (g, n) in &groups {
        println!("  {g:<10} {n}");
    }
    for d in &deviations {
        println!("\n!!!!!!!! KNOWN DEVIATION FROM THE STANDARD !!!!!!!!\n{d}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        catalogue.len(),
        failures.join("\n")
    );
    assert!(named >= 40, "{named} named cases");
}
