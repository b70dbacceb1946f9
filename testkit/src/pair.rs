//! Two implementations wired together in memory with a simulated clock, and the [`Peer`]
//! trait that lets one of them be yours.
//!
//! A [`Peer`] is anything that speaks the Upper Layer protocol (PS3.8) over a byte stream:
//! it takes the bytes the other side sent, says what it sends back, and is told when time
//! passes. [`Side`] is dimse-core's [`Connection`] (acceptor or requestor) as a `Peer`,
//! driven by the drain contract of the core's crate docs. A [`Pair`] moves bytes between
//! two peers, in chunks of a chosen size, until neither has anything to say: deterministic,
//! no sockets, no wall clock.

use dimse_core::assoc::{AcceptorPolicy, RequestorConfig};
use dimse_core::connection::Storage;
use dimse_core::dimse::Operation;
use dimse_core::pdu::PresentationContextRq;
use dimse_core::{Connection, Event, Instant, Output};

pub use crate::hostile::{ae, DISPLAY_INSTANCE, DISPLAY_SYSTEM, EXPLICIT, IMPLICIT, VERIFICATION};
use crate::hostile::{CONTEXTS, SERVED};

/// One transfer syntax: Implicit VR Little Endian.
pub static IMPLICIT_ONLY: [&str; 1] = [IMPLICIT];

/// An implementation under test, seen from the wire: bytes in, bytes out, and time.
///
/// Time is dimse-core's [`Instant`] (milliseconds from an origin the test chooses), so the
/// same test drives a Sans-IO implementation with a simulated clock; a socket-backed
/// implementation may map it onto real time.
pub trait Peer {
    /// The bytes the other side sent arrive at `now` (any chunk: a PDU may be split or
    /// several may come at once).
    fn input(&mut self, now: Instant, bytes: &[u8]);
    /// Everything the peer sends by `now`, in order (empty if nothing).
    fn output(&mut self, now: Instant) -> Vec<u8>;
    /// When the peer next needs [`Peer::handle_timeout`] (ARTIM, a network timeout, a late
    /// answer...), if ever.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Time has passed up to `now`: timers due by then fire.
    fn handle_timeout(&mut self, now: Instant);
    /// The other side closed the transport at `now`.
    fn transport_closed(&mut self, now: Instant);
    /// Whether the peer has closed the transport (and will say nothing more).
    fn is_closed(&self) -> bool;
}

/// The default acceptor policy: AE title `DISPLAY`, serving the Display System and
/// Verification SOP classes, default limits. ([`crate::hostile::policy`] is the same with
/// the catalogue's short timers.)
pub fn policy() -> AcceptorPolicy<'static> {
    AcceptorPolicy::new(ae("DISPLAY"), &SERVED)
}

/// The contexts a well-behaved requestor proposes: Display System (Explicit, Implicit) on 1
/// and Verification (Implicit) on 3.
pub fn contexts() -> [PresentationContextRq<'static>; 2] {
    CONTEXTS
}

/// Leaks `v` to give it the `'static` lifetime a long-lived `Connection` borrows with (test
/// code: the memory lives as long as the test process).
pub fn leak<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

/// Receive and transmit storage of `rx` and `tx` bytes, leaked (see [`leak`]).
pub fn storage(rx: usize, tx: usize) -> Storage<'static> {
    storage_filled(rx, tx, 0)
}

/// [`storage`] whose every byte is `fill`, as an earlier association may have left it (the
/// tokio server keeps its associations' buffers for the next ones without clearing them).
pub fn storage_filled(rx: usize, tx: usize, fill: u8) -> Storage<'static> {
    Storage {
        rx: Box::leak(vec![fill; rx].into_boxed_slice()),
        tx: Box::leak(vec![fill; tx].into_boxed_slice()),
    }
}

/// A response as the SCU received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Status (0000,0900).
    pub status: u16,
    /// Error Comment (0000,0902), if any.
    pub error_comment: Option<String>,
    /// Attribute Identifier List (0000,1005) of the response, if any.
    pub attribute_list: Vec<dimse_core::dataset::Tag>,
    /// The data set, as received.
    pub data_set: Option<Vec<u8>>,
}

/// The application on one side, called inside [`Side::drain`] with each event as it is
/// polled: it may answer an N-GET, send the next request, release, ...
pub type Hook = Box<dyn FnMut(&mut Connection<'static>, Instant, &Event)>;

/// One side: a dimse-core [`Connection`] (acceptor or requestor), the bytes it has not
/// consumed yet, and what it said. It is a [`Peer`].
pub struct Side {
    /// The connection.
    pub conn: Connection<'static>,
    /// Bytes offered and not consumed yet, offered again when the connection says
    /// [`Output::Reoffer`].
    pub pending: Vec<u8>,
    /// Every event, in order.
    pub events: Vec<Event>,
    /// Every response received (SCU): status, Error Comment, data set.
    pub responses: Vec<Received>,
    /// Every PDU it transmitted, whole.
    pub sent: Vec<Vec<u8>>,
    /// The size of the buffer handed to `poll_output`.
    pub transmit_buffer: usize,
    /// The application, if any (otherwise the test acts between calls).
    pub hook: Option<Hook>,
    /// The latest `now` given to [`Side::feed`]: the time the hook acts at.
    pub now: Instant,
    /// What [`Peer::input`] made it send, until [`Peer::output`] hands it out.
    outbox: Vec<u8>,
    /// The buffer handed to `poll_output`, kept between drains.
    buf: Vec<u8>,
}

impl Side {
    /// `conn`, with nothing said yet, no application, a 64 KiB transmit buffer.
    pub fn new(conn: Connection<'static>) -> Self {
        Side {
            conn,
            pending: Vec::new(),
            events: Vec::new(),
            responses: Vec::new(),
            sent: Vec::new(),
            transmit_buffer: 65536,
            hook: None,
            now: Instant::ZERO,
            outbox: Vec::new(),
            buf: Vec::new(),
        }
    }

    /// This side with an application that acts on events inside `drain`.
    pub fn with_hook(
        mut self,
        hook: impl FnMut(&mut Connection<'static>, Instant, &Event) + 'static,
    ) -> Self {
        self.hook = Some(Box::new(hook));
        self
    }

    /// Drains [`Connection::poll_output`] until it is idle (the drain contract), feeding the
    /// kept bytes again when it says so; returns the bytes to send.
    pub fn drain(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(self.transmit_buffer, 0);
        loop {
            match self.conn.poll_output(&mut buf).unwrap() {
                Output::Transmit(n) => {
                    self.sent.push(buf[..n].to_vec());
                    out.extend_from_slice(&buf[..n]);
                }
                Output::Event(ev) => {
                    if matches!(
                        ev,
                        Event::Response {
                            op: Operation::NGet,
                            ..
                        } | Event::Response {
                            op: Operation::CEcho,
                            ..
                        }
                    ) {
                        let r = self.conn.received_response().unwrap();
                        // The event's summary agrees with the command set it summarises,
                        // and the data set alone reads the same without decoding it.
                        if let Event::Response {
                            status,
                            related_fields,
                            ..
                        } = ev
                        {
                            let c = &r.command;
                            assert_eq!(Some(status), c.status, "the event's status");
                            assert_eq!(
                                related_fields,
                                c.error_comment.is_some()
                                    || c.error_id.is_some()
                                    || c.offending_element.is_some()
                                    || c.attribute_identifier_list.is_some(),
                                "related_fields of {c:?}"
                            );
                        }
                        assert_eq!(
                            self.conn.received_data_set(),
                            Some((r.data_set, r.encoding)),
                            "received_data_set"
                        );
                        self.responses.push(Received {
                            status: r.command.status.unwrap(),
                            error_comment: r.command.error_comment.map(str::to_owned),
                            attribute_list: r.command.attribute_tags().collect(),
                            data_set: r.data_set.map(<[u8]>::to_vec),
                        });
                    }
                    if let Some(hook) = self.hook.as_mut() {
                        hook(&mut self.conn, self.now, &ev);
                    }
                    self.events.push(ev);
                }
                Output::Reoffer => self.offer(self.now),
                Output::Idle { .. } => {
                    self.buf = buf;
                    return out;
                }
            }
        }
    }

    /// Offers the kept bytes to the connection and keeps what it does not take.
    fn offer(&mut self, now: Instant) {
        let used = self.conn.handle_input(now, &self.pending);
        self.pending.drain(..used);
    }

    /// Offers `bytes` (appended to what is kept) in chunks of `chunk`, draining between.
    pub fn feed(&mut self, now: Instant, bytes: &[u8], chunk: usize) -> Vec<u8> {
        self.now = now;
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk.max(1)) {
            self.pending.extend_from_slice(piece);
            self.offer(now);
            out.extend(self.drain());
        }
        out
    }
}

impl Peer for Side {
    fn input(&mut self, now: Instant, bytes: &[u8]) {
        let out = self.feed(now, bytes, usize::MAX);
        self.outbox.extend(out);
    }

    fn output(&mut self, now: Instant) -> Vec<u8> {
        self.now = now;
        let out = self.drain();
        self.outbox.extend(out);
        std::mem::take(&mut self.outbox)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.conn.handle_timeout(now);
    }

    fn transport_closed(&mut self, now: Instant) {
        self.now = now;
        self.conn.handle_transport_closed(now);
    }

    fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }
}

/// A requestor and an acceptor, connected, with a simulated clock: by default two
/// dimse-core [`Side`]s, or any two [`Peer`]s ([`Pair::with`]).
pub struct Pair<R: Peer = Side, A: Peer = Side> {
    /// The simulated clock.
    pub now: Instant,
    /// The requestor (association-requestor, the SCU).
    pub req: R,
    /// The acceptor (association-acceptor, the SCP).
    pub acc: A,
    /// Bytes move in pieces of this size (each piece its own [`Peer::input`]).
    pub chunk: usize,
}

impl<R: Peer, A: Peer> Pair<R, A> {
    /// Two peers, connected, at time zero.
    pub fn with(req: R, acc: A, chunk: usize) -> Self {
        Pair {
            now: Instant::ZERO,
            req,
            acc,
            chunk,
        }
    }

    /// Moves bytes both ways until neither side has anything to say.
    ///
    /// # Panics
    ///
    /// If they are still talking after 10,000 rounds.
    pub fn run(&mut self) {
        let mut to_acc = self.req.output(self.now);
        let mut to_req = self.acc.output(self.now);
        for _ in 0..10_000 {
            if to_acc.is_empty() && to_req.is_empty() {
                return;
            }
            to_req.extend(deliver(&mut self.acc, self.now, &to_acc, self.chunk));
            to_acc.clear();
            to_acc.extend(deliver(&mut self.req, self.now, &to_req, self.chunk));
            to_req.clear();
        }
        panic!("the pair did not settle");
    }

    /// Lets `ms` pass at once: both sides handle the timeout at the new time, then the
    /// bytes move.
    pub fn advance(&mut self, ms: u64) {
        self.now = Instant::from_millis(self.now.as_millis() + ms);
        self.req.handle_timeout(self.now);
        self.acc.handle_timeout(self.now);
        self.run();
    }
}

/// Gives `bytes` to `peer` in pieces of `chunk`; returns what it sent back.
fn deliver(peer: &mut impl Peer, now: Instant, bytes: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        peer.input(now, piece);
        out.extend(peer.output(now));
    }
    out
}

impl Pair {
    /// A dimse-core requestor with `config` and acceptor with `policy`, each with 64 KiB of
    /// receive and transmit storage; nothing sent yet.
    pub fn new(
        policy: &'static AcceptorPolicy<'static>,
        config: &'static RequestorConfig<'static>,
        chunk: usize,
    ) -> Self {
        let now = Instant::ZERO;
        let acc = Connection::acceptor(policy, storage(65536, 65536), now);
        let req = Connection::requestor(config, storage(65536, 65536), now).unwrap();
        Pair::with(Side::new(req), Side::new(acc), chunk)
    }

    /// Answers the acceptor's waiting N-GET and moves the bytes; returns the status sent.
    pub fn respond(
        &mut self,
        status: dimse_core::dimse::Status<'_>,
        data_set: Option<&dyn dimse_core::dataset::DataSetSource>,
    ) -> u16 {
        let id = self
            .acc
            .conn
            .n_get_request()
            .expect("an N-GET waits")
            .message_id;
        let sent = self
            .acc
            .conn
            .respond_n_get(self.now, id, status, data_set)
            .unwrap();
        self.run();
        sent
    }

    /// Associates with the default policy and contexts.
    pub fn associated(chunk: usize) -> Pair {
        let config = leak(RequestorConfig::new(
            ae("QA_SCU"),
            ae("DISPLAY"),
            leak(contexts()),
        ));
        let mut p = Pair::new(leak(policy()), config, chunk);
        p.run();
        assert!(p.req.conn.is_established(), "{:?}", p.req.events);
        assert!(p.acc.conn.is_established(), "{:?}", p.acc.events);
        p
    }
}
