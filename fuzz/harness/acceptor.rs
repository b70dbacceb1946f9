//! The `acceptor` fuzz target: an acceptor [`Connection`] fed a byte stream in chunks, with a
//! simulated clock.
//!
//! Shared by `fuzz/fuzz_targets/acceptor.rs` and `core/tests/fuzz_regressions.rs` (included
//! with `#[path]`), so the assertions run in CI on stable as well as under the fuzzer. It
//! needs nothing beyond `dimse-core` and `std`: the fuzz input is decoded by hand, not with
//! `arbitrary`.
//!
//! ## Input
//!
//! Flags, a schedule of clock advances, local actions and cuts, then the peer's byte stream:
//! see `acceptor_input.rs`, which every includer of this file includes beside it as
//! `acceptor_input`.
//!
//! ## The application
//!
//! It answers every [`Event::Request`] as the flags say, at the next boundary (and at the end of
//! the stream): an answer is an input to the connection like the bytes, so it has to come at
//! the same point of the stream in both runs below. With the `immediate` flag it answers
//! inside the drain, as soon as it polls the event, as a synchronous application would; the
//! two runs are then not compared, because how far the core has read when the answer comes
//! depends on the chunks (an N-GET-RQ followed by a broken PDU in one read is aborted
//! unanswered; read in two, it is answered first, then aborted: both are correct).
//!
//! ## What is checked
//!
//! The stream is run twice: *whole* (each stretch between two boundaries fed in one piece)
//! and *chunked* (split at every cut as well, or byte by byte, with a spurious
//! `handle_timeout` at each cut). Both must give exactly the same events, application calls
//! and output bytes. In each run: no panic; every `Output::Transmit` fits the buffer and
//! is one whole PDU; P-DATA-TF PDUs respect the peer's maximum; the total output and the
//! number of events are bounded by the input; the drain loop and the feed loop end within a
//! bound; and silence (the clock advanced by 40 minutes) then a closed transport end the
//! association.

use dimse_core::assoc::AcceptorPolicy;
use dimse_core::connection::ApiError;
use dimse_core::dataset::{Attribute, DataSetSource, Tag, Value, Vr};
use dimse_core::dimse::Operation;
use dimse_core::dimse::Status;
use dimse_core::pdu::{AeTitle, Parse, PduHeader, PduType, PDU_HEADER_LEN};
use dimse_core::service::{DISPLAY_SYSTEM, VERIFICATION};
use dimse_core::{Connection, Event, Instant, Output, Storage};

pub use super::acceptor_input::{Action, Answer, Flags, Input};

/// The SOP classes served: Display System and Verification.
static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];

static SUBSYSTEM_ITEM: &[Attribute<'static>] = &[
    Attribute::new(Tag::new(0x0028, 0x7003), Value::Us(&[1])),
    Attribute::new(Tag::new(0x0028, 0x7006), Value::Str(Vr::CS, "OK")),
];

/// The small data set the application answers an N-GET with.
pub static SMALL_DATA_SET: &[Attribute<'static>] = &[
    Attribute::new(Tag::new(0x0008, 0x0070), Value::Str(Vr::LO, "FUZZ")),
    Attribute::new(Tag::new(0x0018, 0x1000), Value::Str(Vr::LO, "SN-0001")),
    Attribute::new(Tag::new(0x0028, 0x7023), Value::Sequence(&[SUBSYSTEM_ITEM])),
];

static BIG_VALUE: [u8; 20_000] = [0x5A; 20_000];

/// A data set larger than any transmit buffer used here: the core must answer 0213H.
pub static BIG_DATA_SET: &[Attribute<'static>] = &[Attribute::new(
    Tag::new(0x0009, 0x1010),
    Value::Bytes(Vr::OB, &BIG_VALUE),
)];

/// Something the harness observed, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    Event(Event),
    /// The application's answer to an N-GET: the message ID, whether `n_get_request` showed
    /// it, and what `respond_n_get` / `fail_n_get` returned.
    Answered(u16, bool, Result<u16, ApiError>),
    Release(Result<(), ApiError>),
    Abort(Result<(), ApiError>),
}

/// What one run produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trace {
    pub observed: Vec<Observed>,
    pub output: Vec<u8>,
}

impl Trace {
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.observed.iter().filter_map(|o| match o {
            Observed::Event(e) => Some(e),
            _ => None,
        })
    }
}

/// Runs the input whole and chunked, checks every property, and returns the trace.
pub fn run(data: &[u8]) -> Trace {
    let input = Input::decode(data);
    let (whole, chunked) = (run_once(&input, false), run_once(&input, true));
    let same = whole == chunked || input.flags.immediate;
    if !same {
        let first = whole
            .observed
            .iter()
            .zip(&chunked.observed)
            .position(|(a, b)| a != b);
        let out_diff = whole
            .output
            .iter()
            .zip(&chunked.output)
            .position(|(a, b)| a != b);
        panic!(
            "chunked feed differs from whole feed: first differing observation {first:?} \
             (whole {} observations, chunked {}), first differing output byte {out_diff:?} \
             (whole {} bytes, chunked {})\nwhole:   {:?}\nchunked: {:?}",
            whole.observed.len(),
            chunked.observed.len(),
            whole.output.len(),
            chunked.output.len(),
            whole.observed,
            chunked.observed,
        );
    }
    whole
}

/// The most `poll_output` calls one drain may take before the drain contract
/// counts as broken.
const DRAIN_BOUND: usize = 100_000;

struct Harness<'a> {
    conn: Connection<'a>,
    flags: Flags,
    now: Instant,
    pending: Vec<u8>,
    trace: Trace,
    /// N-GETs announced and not yet answered.
    owed: Vec<u16>,
    /// The application may answer now: at a boundary, at the end, or always (`immediate`).
    answering: bool,
    /// The peer's maximum P-DATA-TF PDU-length, once established (0: no limit).
    peer_max: Option<u32>,
    out: Vec<u8>,
}

impl Harness<'_> {
    /// The drain contract: `poll_output` until it is idle, feeding the kept bytes again on
    /// `Reoffer`. The application answers what it owes when the connection is idle (or, with
    /// `immediate`, as soon as it polls the N-GET).
    fn drain(&mut self) {
        let mut polls = 0;
        loop {
            polls += 1;
            assert!(polls < DRAIN_BOUND, "drain: poll_output never becomes idle");
            let output = match self.conn.poll_output(&mut self.out) {
                Ok(o) => o,
                Err(_) => {
                    // Only an A-ASSOCIATE-AC can be larger than MAX_UNIT_LEN; an adapter
                    // retries with a larger buffer, and 64 KiB always holds one.
                    assert!(
                        self.out.len() < 65536,
                        "poll_output: a PDU does not fit 64 KiB"
                    );
                    let mut big = vec![0u8; 65536];
                    let Ok(Output::Transmit(n)) = self.conn.poll_output(&mut big) else {
                        panic!(
                            "poll_output: the PDU that did not fit is gone or still does not fit"
                        );
                    };
                    self.check_pdu(&big[..n]);
                    self.trace.output.extend_from_slice(&big[..n]);
                    continue;
                }
            };
            match output {
                Output::Transmit(n) => {
                    assert!(n <= self.out.len(), "poll_output: {n} bytes > buffer");
                    let pdu = self.out[..n].to_vec();
                    self.check_pdu(&pdu);
                    self.trace.output.extend_from_slice(&pdu);
                }
                Output::Event(ev) => {
                    if let Event::Established {
                        peer_max_pdu_length,
                        ..
                    } = ev
                    {
                        self.peer_max = Some(peer_max_pdu_length);
                    }
                    self.trace.observed.push(Observed::Event(ev));
                    if let Event::Request {
                        op: Operation::NGet,
                        message_id,
                        ..
                    } = ev
                    {
                        self.owed.push(message_id);
                        if self.flags.immediate {
                            self.answer_owed();
                        }
                    }
                }
                Output::Reoffer => self.offer(),
                Output::Idle { .. } => {
                    let owed = self.owed.len();
                    if (self.answering || self.flags.immediate) && owed > 0 {
                        self.answer_owed();
                    }
                    if self.owed.len() == owed {
                        return;
                    }
                }
            }
        }
    }

    /// Offers the kept bytes and keeps what the connection does not take.
    fn offer(&mut self) {
        let used = self.conn.handle_input(self.now, &self.pending);
        assert!(
            used <= self.pending.len(),
            "handle_input used {used} of {} bytes",
            self.pending.len()
        );
        self.pending.drain(..used);
    }

    /// Every `Output::Transmit` is one whole PDU, and a P-DATA-TF respects the peer's
    /// maximum.
    fn check_pdu(&self, pdu: &[u8]) {
        match PduHeader::parse(pdu) {
            Ok(Parse::Complete(h, used)) => {
                assert_eq!(used, PDU_HEADER_LEN);
                assert_eq!(
                    h.length as usize + PDU_HEADER_LEN,
                    pdu.len(),
                    "poll_output: not one whole PDU"
                );
                if h.pdu_type == PduType::PDataTf {
                    if let Some(max) = self.peer_max.filter(|&m| m != 0) {
                        assert!(
                            h.length <= max,
                            "P-DATA-TF of PDU-length {} > peer maximum {max}",
                            h.length
                        );
                    }
                }
            }
            other => panic!("poll_output produced an unparseable PDU header: {other:?}"),
        }
    }

    /// The application: answers each announced N-GET as `flags.answer` says.
    fn answer_owed(&mut self) {
        let now = self.now;
        let mut k = 0;
        while k < self.owed.len() {
            let id = self.owed[k];
            let visible = self
                .conn
                .n_get_request()
                .is_some_and(|r| r.message_id == id);
            let small: &[Attribute<'static>] = SMALL_DATA_SET;
            let big: &[Attribute<'static>] = BIG_DATA_SET;
            let result = match self.flags.answer {
                Answer::Never => {
                    self.owed.remove(k);
                    continue;
                }
                Answer::Small => self.conn.respond_n_get(
                    now,
                    id,
                    Status::SUCCESS,
                    Some(&small as &dyn DataSetSource),
                ),
                Answer::Big => self.conn.respond_n_get(
                    now,
                    id,
                    Status::SUCCESS,
                    Some(&big as &dyn DataSetSource),
                ),
                Answer::Fail => self.conn.fail_n_get(now, id, "fuzz handler failed"),
            };
            if result == Err(ApiError::Busy) {
                // The transmit buffer is still in use: answer once the PDUs have gone out.
                k += 1;
                continue;
            }
            self.owed.remove(k);
            self.trace
                .observed
                .push(Observed::Answered(id, visible, result));
        }
    }

    /// Offers `bytes` (after what is kept), then drains.
    fn feed(&mut self, bytes: &[u8]) {
        if bytes.is_empty() && self.pending.is_empty() {
            return;
        }
        self.pending.extend_from_slice(bytes);
        self.offer();
        self.drain();
    }

    fn advance(&mut self, ms: u64) {
        self.now = Instant::from_millis(self.now.as_millis() + ms);
        self.conn.handle_timeout(self.now);
        self.drain();
    }

    /// A boundary: the clock moves, the application answers what it owes, the action.
    fn boundary(&mut self, ms: u64, action: Action) {
        self.answering = true;
        self.advance(ms);
        self.act(action);
        self.answering = false;
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::None => {}
            Action::Release => {
                let r = self.conn.release(self.now);
                self.trace.observed.push(Observed::Release(r));
            }
            Action::Abort => {
                let r = self.conn.abort(self.now);
                self.trace.observed.push(Observed::Abort(r));
            }
            Action::TransportClosed => self.conn.handle_transport_closed(self.now),
        }
        self.drain();
    }
}

/// One run: whole (`chunked` false) or chunked.
fn run_once(input: &Input<'_>, chunked: bool) -> Trace {
    let flags = input.flags;
    let title = AeTitle::new("DISPLAY").expect("a valid AE title");
    let mut policy = AcceptorPolicy::new(title, &SERVED);
    let (rx_len, tx_len) = if flags.small {
        policy.limits.max_pdu_length = 256;
        (512, 1024)
    } else {
        (16384, 16384)
    };
    let mut rx = vec![0u8; rx_len];
    let mut tx = vec![0u8; tx_len];
    let now = Instant::ZERO;
    let conn = Connection::acceptor(
        &policy,
        Storage {
            rx: &mut rx,
            tx: &mut tx,
        },
        now,
    );
    let mut h = Harness {
        conn,
        flags,
        now,
        pending: Vec::new(),
        trace: Trace::default(),
        owed: Vec::new(),
        answering: false,
        peer_max: None,
        out: vec![0u8; flags.out_len],
    };
    h.drain();

    let stream = input.stream;
    let piece = |h: &mut Harness<'_>, bytes: &[u8]| {
        if chunked && flags.bytewise && !bytes.is_empty() {
            for b in bytes.chunks(1) {
                h.feed(b);
            }
        } else {
            // An empty piece still offers again what is pending, in both runs.
            h.feed(bytes);
        }
    };
    let mut start = 0;
    let mut boundaries = 0usize;
    for e in &input.schedule {
        if e.is_boundary() || (chunked && !flags.bytewise) {
            piece(&mut h, &stream[start..e.pos]);
            start = e.pos;
        }
        if e.is_boundary() {
            boundaries += 1;
            h.boundary(e.advance_ms, e.action);
        } else if chunked {
            // A spurious timeout at the same instant must change nothing.
            h.advance(0);
        }
    }
    piece(&mut h, &stream[start..]);

    // The end of the stream: the application answers what it owes, and what that unblocks
    // is read.
    h.answering = true;
    h.drain();
    h.feed(&[]);

    // Silence: every timer fires in turn (an abort starts ARTIM, which ends Sta13), and
    // whatever was left unconsumed is swallowed once the association is gone.
    for _ in 0..4 {
        h.advance(600_000);
        h.feed(&[]);
    }
    assert!(
        h.conn.is_closed(),
        "still {:?} after 40 minutes of silence",
        h.conn.state()
    );
    h.conn.handle_transport_closed(h.now);
    h.drain();
    assert!(h.conn.is_closed());
    assert!(
        h.conn.poll_timeout().is_none(),
        "a timer outlives the association"
    );

    // Output and events are bounded by the input. A P-DATA-TF cut for a peer maximum of 8
    // carries 2 bytes in 14, so a response can be 7 times its own size; each request of
    // a few dozen bytes gets at most one response of a few hundred.
    let out_bound = 64 * stream.len() + 16_384 + 64 * boundaries;
    assert!(
        h.trace.output.len() <= out_bound,
        "{} bytes out for {} bytes in and {boundaries} boundaries",
        h.trace.output.len(),
        stream.len()
    );
    let event_bound = 16 + stream.len() / 2 + 8 * boundaries;
    let events = h.trace.events().count();
    assert!(
        events <= event_bound,
        "{events} events for {} bytes in and {boundaries} boundaries",
        stream.len()
    );
    h.trace
}
