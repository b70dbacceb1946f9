//! `Connection::into_closing`: the `Closing` left after the association ended behaves on the
//! wire exactly as the connection would have in Sta13, whatever the peer sends, however the
//! bytes are cut, whenever time passes (property test against the connection itself).
//!
//! The case count comes from the environment (`PROPTEST_CASES`; CI sets 256).

mod common;

use common::*;
use dimse_core::assoc::RequestorConfig;
use dimse_core::pdu::{Abort, AbortReason, AssociateRj, ReleaseRq};
use dimse_core::ul::State;
use dimse_core::{BufferTooSmall, Closing, Connection, Event, Instant, Output};
use proptest::prelude::*;

/// What the test drives on both: the drain contract's calls.
trait Drive {
    fn input(&mut self, now: Instant, bytes: &[u8]) -> usize;
    fn output(&mut self, out: &mut [u8]) -> Result<Output, BufferTooSmall>;
    fn timeout(&mut self, now: Instant);
    fn deadline(&self) -> Option<Instant>;
    fn transport_closed(&mut self, now: Instant);
    fn state(&self) -> State;
}

impl Drive for Connection<'_> {
    fn input(&mut self, now: Instant, bytes: &[u8]) -> usize {
        self.handle_input(now, bytes)
    }
    fn output(&mut self, out: &mut [u8]) -> Result<Output, BufferTooSmall> {
        self.poll_output(out)
    }
    fn timeout(&mut self, now: Instant) {
        self.handle_timeout(now)
    }
    fn deadline(&self) -> Option<Instant> {
        self.poll_timeout()
    }
    fn transport_closed(&mut self, now: Instant) {
        self.handle_transport_closed(now)
    }
    fn state(&self) -> State {
        Connection::state(self)
    }
}

impl Drive for Closing {
    fn input(&mut self, now: Instant, bytes: &[u8]) -> usize {
        self.handle_input(now, bytes)
    }
    fn output(&mut self, out: &mut [u8]) -> Result<Output, BufferTooSmall> {
        self.poll_output(out)
    }
    fn timeout(&mut self, now: Instant) {
        self.handle_timeout(now)
    }
    fn deadline(&self) -> Option<Instant> {
        self.poll_timeout()
    }
    fn transport_closed(&mut self, now: Instant) {
        self.handle_transport_closed(now)
    }
    fn state(&self) -> State {
        Closing::state(self)
    }
}

/// One side as the drain contract drives it, and everything it said.
struct Driven<D> {
    d: D,
    kept: Vec<u8>,
    said: Vec<String>,
}

impl<D: Drive> Driven<D> {
    fn drain(&mut self, now: Instant) {
        let mut buf = [0u8; 64];
        for _ in 0..1000 {
            match self.d.output(&mut buf).unwrap() {
                Output::Transmit(n) => self.said.push(format!("pdu {:02X?}", &buf[..n])),
                Output::Event(e) => self.said.push(format!("{e:?}")),
                Output::Reoffer => self.offer(now),
                Output::Idle { until } => {
                    self.said.push(format!("idle until {until:?}"));
                    return;
                }
            }
        }
        panic!("the drain does not end");
    }
    fn offer(&mut self, now: Instant) {
        let used = self.d.input(now, &self.kept);
        self.kept.drain(..used);
    }
    fn act(&mut self, now: Instant, act: &Act) {
        match act {
            Act::Bytes(bytes, chunk) => {
                for piece in bytes.chunks((*chunk).max(1)) {
                    self.kept.extend_from_slice(piece);
                    self.offer(now);
                    self.drain(now);
                }
            }
            Act::Timeout => {
                self.d.timeout(now);
                self.drain(now);
            }
            Act::TransportClosed => {
                self.d.transport_closed(now);
                self.drain(now);
            }
        }
        self.said.push(format!(
            "{:?} kept {} deadline {:?}",
            self.d.state(),
            self.kept.len(),
            self.d.deadline()
        ));
    }
}

#[derive(Debug, Clone)]
enum Act {
    /// Bytes from the peer, offered in pieces of this size.
    Bytes(Vec<u8>, usize),
    Timeout,
    TransportClosed,
}

/// How the acceptor's association ends before the test.
#[derive(Debug, Clone, Copy)]
enum Ending {
    /// The requestor releases (AR-4: A-RELEASE-RP sent).
    Released,
    /// The acceptor aborts (AA-1).
    Aborted,
    /// The acceptor aborts in the middle of a P-DATA-TF, whose rest it must then skip.
    AbortedMidPdu,
    /// The acceptor rejects the association (AE-8 after `refuse`).
    Rejected,
}

/// An acceptor in Sta13 after `ending`, drained, at time `now` of the returned instant.
fn ended(ending: Ending) -> (Connection<'static>, Instant) {
    let mut p = match ending {
        Ending::Rejected => {
            let config = leak(RequestorConfig::new(
                ae("QA_SCU"),
                ae("DISPLAY"),
                leak(contexts()),
            ));
            let mut p = Pair::new(leak(policy()), config, 1 << 20);
            p.acc.conn.refuse(AssociateRj::LOCAL_LIMIT_EXCEEDED);
            p.run();
            p
        }
        _ => Pair::associated(1 << 20),
    };
    p.advance(5);
    match ending {
        Ending::Released => {
            p.req.conn.release(p.now).unwrap();
            p.run();
        }
        Ending::Aborted => {
            p.acc.conn.abort(p.now).unwrap();
            p.acc.drain();
        }
        Ending::AbortedMidPdu => {
            // A P-DATA-TF header announcing 100 bytes, and 10 of them.
            let mut bytes = vec![0x04, 0, 0, 0, 0, 100];
            bytes.extend_from_slice(&[0, 0, 0, 96, 1, 3, 0, 0, 0, 0]);
            p.acc.feed(p.now, &bytes, bytes.len());
            p.acc.conn.abort(p.now).unwrap();
            p.acc.drain();
        }
        Ending::Rejected => {}
    }
    assert_eq!(
        p.acc.conn.state(),
        State::Sta13,
        "{ending:?}: {:?}",
        p.acc.events
    );
    (p.acc.conn, p.now)
}

/// The bytes `emit` writes.
fn emitted(emit: impl Fn(&mut [u8]) -> Result<usize, BufferTooSmall>) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let n = emit(&mut buf).unwrap();
    buf[..n].to_vec()
}

/// A PDU the peer may send in Sta13: every type, with right and wrong lengths and bodies,
/// unknown types, and plain garbage.
fn pdu() -> impl Strategy<Value = Vec<u8>> {
    let fixed = |t: u8, body: [u8; 4]| {
        let mut v = vec![t, 0, 0, 0, 0, 4];
        v.extend_from_slice(&body);
        v
    };
    prop_oneof![
        Just(emitted(|b| ReleaseRq.emit(b))),
        Just(fixed(6, [0; 4])),
        Just(emitted(
            |b| Abort::provider(AbortReason::UnexpectedPdu).emit(b)
        )),
        any::<[u8; 4]>().prop_map(move |b| fixed(3, b)),
        any::<[u8; 4]>().prop_map(move |b| fixed(7, b)),
        (1u8..=7, proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(t, body)| {
            let mut v = vec![t, 0];
            v.extend_from_slice(&(body.len() as u32).to_be_bytes());
            v.extend(body);
            v
        }),
        (
            any::<u8>(),
            0u32..30,
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(t, len, body)| {
                let mut v = vec![t, 0];
                v.extend_from_slice(&len.to_be_bytes());
                v.extend(body);
                v
            }),
        proptest::collection::vec(any::<u8>(), 1..20),
    ]
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        8 => (proptest::collection::vec(pdu(), 1..6), 1usize..64)
            .prop_map(|(pdus, chunk)| Act::Bytes(pdus.concat(), chunk)),
        1 => Just(Act::Timeout),
        1 => Just(Act::TransportClosed),
    ]
}

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![
        Just(Ending::Released),
        Just(Ending::Aborted),
        Just(Ending::AbortedMidPdu),
        Just(Ending::Rejected),
    ]
}

proptest! {
    #[test]
    fn closing_behaves_as_the_connection_in_sta13(
        ending in ending(),
        acts in proptest::collection::vec((0u64..20_000, act()), 1..12),
    ) {
        let (conn, start) = ended(ending);
        let (twin, _) = ended(ending);
        let closing = twin.into_closing().expect("a drained connection in Sta13");
        let mut a = Driven { d: conn, kept: Vec::new(), said: Vec::new() };
        let mut b = Driven { d: closing, kept: Vec::new(), said: Vec::new() };
        let mut now = start;
        for (step, (wait, act)) in acts.iter().enumerate() {
            now = Instant::from_millis(now.as_millis() + wait);
            a.act(now, act);
            b.act(now, act);
            prop_assert_eq!(&a.said, &b.said, "after step {} ({:?}) of {:?}", step, act, ending);
        }
    }
}

#[test]
fn only_a_drained_connection_in_sta13_becomes_closing() {
    // Established: refused, and given back whole.
    let p = Pair::associated(1 << 20);
    let conn = p.acc.conn;
    let conn = conn.into_closing().expect_err("established");
    assert!(conn.is_established());
    // Aborted but not drained: its A-ABORT is still to be handed out.
    let mut p = Pair::associated(1 << 20);
    p.acc.conn.abort(p.now).unwrap();
    let mut conn = p.acc.conn.into_closing().expect_err("output pending");
    let mut buf = [0u8; 64];
    assert_eq!(conn.poll_output(&mut buf), Ok(Output::Transmit(10)));
    assert_eq!(buf[0], 0x07, "the A-ABORT is still there");
}

#[test]
fn closing_answers_an_associate_rq_with_an_abort_and_ends_at_artim() {
    let (conn, now) = ended(Ending::Released);
    let deadline = conn.poll_timeout().expect("ARTIM runs in Sta13");
    let mut c = conn.into_closing().unwrap();
    assert_eq!(c.poll_timeout(), Some(deadline));
    // An A-ASSOCIATE-RQ (its body does not matter here): A-ABORT, provider, unexpected PDU.
    let rq = [0x01, 0, 0, 0, 0, 2, 0xAA, 0xBB];
    assert_eq!(c.handle_input(now, &rq), rq.len());
    let mut buf = [0u8; 16];
    assert_eq!(c.poll_output(&mut buf[..9]), Err(BufferTooSmall));
    assert_eq!(c.poll_output(&mut buf), Ok(Output::Transmit(10)));
    assert_eq!(
        &buf[..10],
        &emitted(|b| Abort::provider(AbortReason::UnexpectedPdu).emit(b))[..]
    );
    assert_eq!(
        c.poll_output(&mut buf),
        Ok(Output::Idle {
            until: Some(deadline)
        })
    );
    // ARTIM: not before its deadline, then Closed.
    c.handle_timeout(Instant::from_millis(deadline.as_millis() - 1));
    assert_eq!(c.state(), State::Sta13);
    c.handle_timeout(deadline);
    assert!(c.is_closed());
    assert_eq!(c.poll_output(&mut buf), Ok(Output::Event(Event::Closed)));
    assert_eq!(c.poll_output(&mut buf), Ok(Output::Idle { until: None }));
    assert!(
        std::mem::size_of::<Closing>() <= 96,
        "{}",
        std::mem::size_of::<Closing>()
    );
}
