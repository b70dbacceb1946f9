//! Properties of the byte stream: any split into chunks gives the same events and the same
//! output as feeding it whole; arbitrary bytes never panic and produce bounded output.

mod common;

use common::*;
use dimse_core::assoc::{AcceptorPolicy, RequestorConfig};
use dimse_core::dimse::Operation;
use dimse_core::dimse::Status;
use dimse_core::{Connection, Event, Instant};
use dimse_testkit::strategy::{cuts, split_points};
use proptest::prelude::*;

/// The data set the SCP answers the `k`-th N-GET with: `None` for none at all, `Some(n)` for
/// one OB element of `n` bytes.
type Answer = Option<usize>;

/// The acceptor's policy and the requestor's configuration, both taking P-DATA-TF PDUs of at
/// most `max_pdu` bytes.
fn configs(
    max_pdu: u32,
) -> (
    &'static AcceptorPolicy<'static>,
    &'static RequestorConfig<'static>,
) {
    let mut pol = policy();
    pol.limits.max_pdu_length = max_pdu;
    let mut config = RequestorConfig::new(ae("QA_SCU"), ae("DISPLAY"), leak(contexts()));
    config.limits.max_pdu_length = max_pdu;
    (leak(pol), leak(config))
}

/// The SCP application: answers the `k`-th N-GET with `answers[k]`.
fn responder(answers: &[Answer]) -> impl FnMut(&mut Connection<'static>, Instant, &Event) {
    let answers = answers.to_vec();
    let mut k = 0;
    move |conn, now, ev| {
        if let Event::Request {
            op: Operation::NGet,
            message_id,
            ..
        } = *ev
        {
            let answer = answers[k];
            k += 1;
            let data = answer.map(|n| blob(n, k));
            let attr = data.as_deref().map(ob_attribute);
            let source = attr
                .as_ref()
                .map(|a| a as &dyn dimse_core::dataset::DataSetSource);
            let sent = conn
                .respond_n_get(now, message_id, Status::SUCCESS, source)
                .unwrap();
            assert_eq!(sent, 0);
        }
    }
}

/// The SCU application: once established, and after each response, the next of `gets`
/// N-GETs; after the last, the release.
fn driver(gets: usize) -> impl FnMut(&mut Connection<'static>, Instant, &Event) {
    let mut left = gets;
    move |conn, now, ev| {
        if matches!(
            ev,
            Event::Established { .. }
                | Event::Response {
                    op: Operation::NGet,
                    ..
                }
        ) {
            if left > 0 {
                left -= 1;
                conn.send_n_get(now, DISPLAY_SYSTEM, DISPLAY_INSTANCE, None)
                    .unwrap();
            } else {
                conn.release(now).unwrap();
            }
        }
    }
}

/// A whole conversation, as it happened between an SCU core and an SCP core: each side's
/// output, in turns (the acceptor's turn `k` answers the requestor's turn `k`).
struct Conversation {
    requestor: Vec<Vec<u8>>,
    acceptor: Vec<Vec<u8>>,
}

impl Conversation {
    /// Runs one turn: `act`, then the bytes move until both sides are quiet.
    fn turn(&mut self, p: &mut Pair, act: impl FnOnce(&mut Pair)) {
        let (r, a) = (p.req.sent.len(), p.acc.sent.len());
        act(p);
        p.run();
        self.requestor.push(p.req.sent[r..].concat());
        self.acceptor.push(p.acc.sent[a..].concat());
    }
}

/// A-ASSOCIATE-RQ, one N-GET per answer (each answered by the SCP), A-RELEASE-RQ.
fn conversation(answers: &[Answer], max_pdu: u32) -> Conversation {
    let (pol, config) = configs(max_pdu);
    let mut p = Pair::new(pol, config, 1 << 20);
    let mut c = Conversation {
        requestor: Vec::new(),
        acceptor: Vec::new(),
    };
    c.turn(&mut p, |_| {});
    assert!(p.req.conn.is_established());
    for (k, &answer) in answers.iter().enumerate() {
        // The request, then the SCP's answer: one turn.
        c.turn(&mut p, |p| {
            p.req
                .conn
                .send_n_get(p.now, DISPLAY_SYSTEM, DISPLAY_INSTANCE, None)
                .unwrap();
            p.run();
            let data = answer.map(|n| blob(n, k + 1));
            let attr = data.as_deref().map(ob_attribute);
            let source = attr
                .as_ref()
                .map(|a| a as &dyn dimse_core::dataset::DataSetSource);
            assert_eq!(p.respond(Status::SUCCESS, source), 0);
        });
    }
    c.turn(&mut p, |p| p.req.conn.release(p.now).unwrap());
    assert!(p.req.events.ends_with(&[Event::Released, Event::Closed]));
    c
}

/// What an acceptor said: its events and its output bytes.
type AcceptorReplay = (Vec<Event>, Vec<u8>);

/// Feeds the requestor's whole `stream` to a fresh SCP split at `cuts`; the SCP answers each
/// N-GET as it comes.
fn acceptor_replay(
    stream: &[u8],
    cuts: &[usize],
    answers: &[Answer],
    max_pdu: u32,
) -> AcceptorReplay {
    acceptor_replay_on(stream, cuts, answers, max_pdu, 0)
}

/// [`acceptor_replay`] on storage whose every byte is `fill` to begin with.
fn acceptor_replay_on(
    stream: &[u8],
    cuts: &[usize],
    answers: &[Answer],
    max_pdu: u32,
    fill: u8,
) -> AcceptorReplay {
    let (pol, _) = configs(max_pdu);
    let mut acc = Side::new(Connection::acceptor(
        pol,
        storage_filled(1 << 16, 1 << 16, fill),
        Instant::ZERO,
    ))
    .with_hook(responder(answers));
    let mut out = Vec::new();
    let mut start = 0;
    for end in split_points(cuts, stream.len()) {
        if end > start {
            out.extend(acc.feed(Instant::ZERO, &stream[start..end], usize::MAX));
            start = end;
        }
    }
    (acc.events, out)
}

/// What a requestor said: its events, the responses (status and data set) it received, and
/// its output bytes.
type RequestorReplay = (Vec<Event>, Vec<Received>, Vec<u8>);

/// Feeds the acceptor's turns to a fresh SCU, each turn split at the `cuts` that fall in it;
/// the SCU sends its next request (or the release) when a response arrives. A turn is not
/// merged with the next one: the acceptor only says it after the SCU's request.
fn requestor_replay(
    turns: &[Vec<u8>],
    cuts: &[usize],
    gets: usize,
    max_pdu: u32,
) -> RequestorReplay {
    requestor_replay_on(turns, cuts, gets, max_pdu, 0)
}

/// [`requestor_replay`] on storage whose every byte is `fill` to begin with.
fn requestor_replay_on(
    turns: &[Vec<u8>],
    cuts: &[usize],
    gets: usize,
    max_pdu: u32,
    fill: u8,
) -> RequestorReplay {
    let (_, config) = configs(max_pdu);
    let storage = storage_filled(1 << 16, 1 << 16, fill);
    let mut req = Side::new(Connection::requestor(config, storage, Instant::ZERO).unwrap())
        .with_hook(driver(gets));
    let mut out = req.drain();
    let stream = turns.concat();
    let points = split_points(cuts, stream.len());
    let mut turn_start = 0;
    for turn in turns {
        let turn_end = turn_start + turn.len();
        let inside = points
            .iter()
            .copied()
            .filter(|&p| p > turn_start && p < turn_end);
        let mut start = turn_start;
        for end in inside.chain([turn_end]) {
            if end > start {
                out.extend(req.feed(Instant::ZERO, &stream[start..end], usize::MAX));
                start = end;
            }
        }
        turn_start = turn_end;
    }
    (req.events, req.responses, out)
}

proptest! {
    #[test]
    fn any_split_gives_the_same_events_and_output(
        answers in proptest::collection::vec(proptest::option::of(0usize..3000), 0..4),
        max_pdu in prop_oneof![Just(16382u32), 64u32..16382],
        cuts in cuts(),
    ) {
        let live = conversation(&answers, max_pdu);
        let rq_stream = live.requestor.concat();
        let ac_stream = live.acceptor.concat();

        // The SCP: the requestor's conversation, whole or split.
        let whole = acceptor_replay(&rq_stream, &[], &answers, max_pdu);
        let split = acceptor_replay(&rq_stream, &cuts, &answers, max_pdu);
        prop_assert_eq!(&whole, &split);
        // It said what the SCP said live.
        prop_assert_eq!(&whole.1, &ac_stream);
        // And the whole conversation happened: established, every N-GET, released.
        let established = matches!(whole.0.first(), Some(Event::Established { .. }));
        prop_assert!(established);
        let n_gets = whole.0.iter().filter(|e| matches!(e, Event::Request { op: Operation::NGet, .. })).count();
        prop_assert_eq!(n_gets, answers.len());
        prop_assert!(whole.0.contains(&Event::Released));

        // The SCU: the acceptor's answers, each whole or split.
        let whole = requestor_replay(&live.acceptor, &[], answers.len(), max_pdu);
        let split = requestor_replay(&live.acceptor, &cuts, answers.len(), max_pdu);
        prop_assert_eq!(&whole, &split);
        prop_assert_eq!(&whole.2, &rq_stream);
        // It received every data set, byte for byte.
        let want: Vec<Option<Vec<u8>>> = answers
            .iter()
            .enumerate()
            .map(|(k, a)| a.map(|n| ob_explicit(&blob(n, k + 1))))
            .collect();
        let got: Vec<Option<Vec<u8>>> = whole.1.iter().map(|r| r.data_set.clone()).collect();
        prop_assert_eq!(got, want);
        prop_assert!(whole.1.iter().all(|r| r.status == 0));
        prop_assert!(whole.0.ends_with(&[Event::Released, Event::Closed]));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_output_is_bounded(
        prefix_valid_rq in any::<bool>(),
        garbage in proptest::collection::vec(any::<u8>(), 0..2000),
        chunk in 1usize..600,
    ) {
        let mut stream = if prefix_valid_rq {
            vector("a-associate-rq-display")
        } else {
            Vec::new()
        };
        stream.extend_from_slice(&garbage);
        let mut acc = Side::new(Connection::acceptor(leak(policy()), storage(4096, 4096), Instant::ZERO));
        let out = acc.feed(Instant::ZERO, &stream, chunk);
        // At most one A-ASSOCIATE-AC (well under 1 KiB here) plus one 10-byte PDU per PDU
        // header the input could contain.
        prop_assert!(out.len() <= 1024 + 10 * (stream.len() / 6 + 1), "{} bytes out", out.len());
        prop_assert!(acc.events.len() <= 3 + stream.len() / 6);
        // Time still works and ends everything.
        acc.conn.handle_timeout(Instant::from_millis(120_000));
        acc.drain();
        acc.conn.handle_transport_closed(Instant::from_millis(120_000));
        acc.drain();
        prop_assert!(acc.conn.is_closed());
    }
}

fn vector(name: &str) -> Vec<u8> {
    common::vectors::vector(name)
}

proptest! {
    /// The core never reads a byte of its storage it has not written for the message at
    /// hand: storage left full of another association's bytes gives the same events and the
    /// same output as zeroed storage, on both sides, for whole conversations and for
    /// arbitrary input.
    #[test]
    fn storage_contents_do_not_matter(
        answers in proptest::collection::vec(proptest::option::of(0usize..3000), 0..4),
        max_pdu in prop_oneof![Just(16382u32), 64u32..16382],
        fill in 1u8..=255,
        cuts in cuts(),
        garbage in proptest::collection::vec(any::<u8>(), 0..2000),
    ) {
        let live = conversation(&answers, max_pdu);
        let rq_stream = live.requestor.concat();
        let zeroed = acceptor_replay_on(&rq_stream, &cuts, &answers, max_pdu, 0);
        let filled = acceptor_replay_on(&rq_stream, &cuts, &answers, max_pdu, fill);
        prop_assert_eq!(&zeroed, &filled);
        prop_assert_eq!(&zeroed.1, &live.acceptor.concat());

        let zeroed = requestor_replay_on(&live.acceptor, &cuts, answers.len(), max_pdu, 0);
        let filled = requestor_replay_on(&live.acceptor, &cuts, answers.len(), max_pdu, fill);
        prop_assert_eq!(&zeroed, &filled);
        prop_assert_eq!(&zeroed.2, &rq_stream);

        // A valid association, then bytes of any kind.
        let mut hostile = vector("a-associate-rq-display");
        hostile.extend_from_slice(&garbage);
        let answers = vec![Some(100); hostile.len()];
        let zeroed = acceptor_replay_on(&hostile, &cuts, &answers, max_pdu, 0);
        let filled = acceptor_replay_on(&hostile, &cuts, &answers, max_pdu, fill);
        prop_assert_eq!(zeroed, filled);
    }
}
