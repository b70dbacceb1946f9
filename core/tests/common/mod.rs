//! An in-memory pair: a requestor `Connection` wired to an acceptor `Connection` with a
//! simulated clock. Deterministic; bytes move in chunks of a chosen size.
#![allow(dead_code)]

pub mod vectors;

use dimse_core::assoc::{AcceptorPolicy, RequestorConfig};
use dimse_core::connection::Storage;
use dimse_core::dimse::Operation;
use dimse_core::pdu::{AeTitle, PresentationContextRq};
use dimse_core::{Connection, Event, Instant, Output};

pub const DISPLAY_SYSTEM: &str = "1.2.840.10008.5.1.1.40";
pub const VERIFICATION: &str = "1.2.840.10008.1.1";
pub const IMPLICIT: &str = "1.2.840.10008.1.2";
pub const EXPLICIT: &str = "1.2.840.10008.1.2.1";

pub static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];
pub static BOTH_TS: [&str; 2] = [EXPLICIT, IMPLICIT];
pub static IMPLICIT_ONLY: [&str; 1] = [IMPLICIT];

pub fn ae(s: &str) -> AeTitle {
    AeTitle::new(s).unwrap()
}

pub fn policy() -> AcceptorPolicy<'static> {
    AcceptorPolicy::new(ae("DISPLAY"), &SERVED)
}

pub fn contexts() -> [PresentationContextRq<'static>; 2] {
    [
        PresentationContextRq {
            id: 1,
            abstract_syntax: DISPLAY_SYSTEM,
            transfer_syntaxes: &BOTH_TS,
        },
        PresentationContextRq {
            id: 3,
            abstract_syntax: VERIFICATION,
            transfer_syntaxes: &IMPLICIT_ONLY,
        },
    ]
}

pub fn leak<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

pub fn storage(rx: usize, tx: usize) -> Storage<'static> {
    Storage {
        rx: Box::leak(vec![0u8; rx].into_boxed_slice()),
        tx: Box::leak(vec![0u8; tx].into_boxed_slice()),
    }
}

/// A response as the SCU received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub status: u16,
    pub error_comment: Option<String>,
    pub attribute_list: Vec<dimse_core::dataset::Tag>,
    pub data_set: Option<Vec<u8>>,
}

/// The application on one side, called inside [`Side::drain`] with each event as it is
/// polled: it may answer an N-GET, send the next request, release, ...
pub type Hook = Box<dyn FnMut(&mut Connection<'static>, Instant, &Event)>;

/// One side: its connection, the bytes it has not consumed yet, and what it said.
pub struct Side {
    pub conn: Connection<'static>,
    pub pending: Vec<u8>,
    pub events: Vec<Event>,
    /// Every response received (SCU): status, Error Comment, data set.
    pub responses: Vec<Received>,
    /// Every PDU it transmitted, whole.
    pub sent: Vec<Vec<u8>>,
    pub transmit_buffer: usize,
    /// The application, if any (otherwise the test acts between calls).
    pub hook: Option<Hook>,
    /// The latest `now` given to [`Side::feed`]: the time the hook acts at.
    pub now: Instant,
}

impl Side {
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
        let mut buf = vec![0u8; self.transmit_buffer];
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
                Output::Idle { .. } => return out,
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

/// A requestor and an acceptor, connected.
pub struct Pair {
    pub now: Instant,
    pub req: Side,
    pub acc: Side,
    pub chunk: usize,
}

impl Pair {
    pub fn new(
        policy: &'static AcceptorPolicy<'static>,
        config: &'static RequestorConfig<'static>,
        chunk: usize,
    ) -> Self {
        let now = Instant::ZERO;
        let acc = Connection::acceptor(policy, storage(65536, 65536), now);
        let req = Connection::requestor(config, storage(65536, 65536), now).unwrap();
        Pair {
            now,
            req: Side::new(req),
            acc: Side::new(acc),
            chunk,
        }
    }

    /// Moves bytes both ways until neither side has anything to say.
    pub fn run(&mut self) {
        let mut to_acc = self.req.drain();
        let mut to_req = self.acc.drain();
        for _ in 0..10_000 {
            if to_acc.is_empty() && to_req.is_empty() {
                return;
            }
            let back = self
                .acc
                .feed(self.now, &std::mem::take(&mut to_acc), self.chunk);
            to_req.extend(back);
            let fwd = self
                .req
                .feed(self.now, &std::mem::take(&mut to_req), self.chunk);
            to_acc.extend(fwd);
        }
        panic!("the pair did not settle");
    }

    pub fn advance(&mut self, ms: u64) {
        self.now = Instant::from_millis(self.now.as_millis() + ms);
        self.req.conn.handle_timeout(self.now);
        self.acc.conn.handle_timeout(self.now);
        self.run();
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

/// The Display System's well-known SOP instance.
pub const DISPLAY_INSTANCE: &str = "1.2.840.10008.5.1.1.40.1";

/// A private OB element the tests fill with data sets of chosen sizes.
pub const BLOB: dimse_core::dataset::Tag = dimse_core::dataset::Tag::new(0x0009, 0x1010);

/// `n` bytes of a recognisable pattern (`seed` tells messages apart).
pub fn blob(n: usize, seed: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 + seed * 7) as u8).collect()
}

/// A data set of one OB element holding `value`.
pub fn ob_attribute(value: &[u8]) -> dimse_core::dataset::Attribute<'_> {
    use dimse_core::dataset::{Attribute, Value, Vr};
    Attribute::new(BLOB, Value::Bytes(Vr::OB, value))
}

/// The bytes of that element in Explicit VR Little Endian, written out by hand (PS3.5
/// §7.1.2: tag, "OB", 2 reserved bytes, 32-bit length, value padded to even length with 00H).
pub fn ob_explicit(value: &[u8]) -> Vec<u8> {
    let padded = value.len() + value.len() % 2;
    let mut out = Vec::with_capacity(12 + padded);
    out.extend_from_slice(&BLOB.group().to_le_bytes());
    out.extend_from_slice(&BLOB.element().to_le_bytes());
    out.extend_from_slice(b"OB\0\0");
    out.extend_from_slice(&(padded as u32).to_le_bytes());
    out.extend_from_slice(value);
    out.resize(12 + padded, 0);
    out
}
