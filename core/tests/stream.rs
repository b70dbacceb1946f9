//! Properties of the byte stream: any split into chunks gives the same events and the same
//! output as feeding it whole; arbitrary bytes never panic and produce bounded output.

mod common;

use common::*;
use dimse_core::assoc::RequestorConfig;
use dimse_core::{Connection, Event, Instant};
use proptest::prelude::*;

/// A requestor's whole conversation: A-ASSOCIATE-RQ, messages, A-RELEASE-RQ.
fn requestor_stream(sizes: &[usize], acceptor_max_pdu: u32) -> Vec<u8> {
    let mut pol = policy();
    pol.limits.max_pdu_length = acceptor_max_pdu;
    let config = leak(RequestorConfig::new(
        ae("QA_SCU"),
        ae("DISPLAY"),
        leak(contexts()),
    ));
    let mut p = Pair::new(leak(pol), config, 1 << 20);
    p.run();
    for (i, &n) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..n).map(|b| (b * 31 + i) as u8).collect();
        p.req.conn.send_pdata(p.now, 1, i % 2 == 0, &data).unwrap();
        p.run();
    }
    p.req.conn.release(p.now).unwrap();
    p.run();
    p.req.sent.concat()
}

/// What an acceptor said: its events, the values it received, and its output bytes.
type Replay = (Vec<Event>, Vec<(u8, bool, Vec<u8>)>, Vec<u8>);

/// Feeds `stream` to a fresh acceptor split at `cuts`.
fn acceptor_replay(stream: &[u8], cuts: &[usize], max_pdu: u32) -> Replay {
    let mut pol = policy();
    pol.limits.max_pdu_length = max_pdu;
    let mut acc = Side::new(Connection::acceptor(
        leak(pol),
        storage(1 << 16, 1 << 16),
        Instant::ZERO,
    ));
    let mut out = Vec::new();
    let mut start = 0;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    points.sort_unstable();
    points.push(stream.len());
    for end in points {
        if end > start {
            out.extend(acc.feed(Instant::ZERO, &stream[start..end], usize::MAX));
            start = end;
        }
    }
    (acc.events, acc.values, out)
}

proptest! {
    #[test]
    fn any_split_gives_the_same_events_and_output(
        sizes in proptest::collection::vec(0usize..3000, 0..4),
        max_pdu in prop_oneof![Just(16382u32), 64u32..2048],
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let stream = requestor_stream(&sizes, max_pdu);
        let whole = acceptor_replay(&stream, &[], max_pdu);
        let split = acceptor_replay(&stream, &cuts, max_pdu);
        prop_assert_eq!(&whole, &split);
        // And the whole conversation happened: established, every message, released.
        let established = matches!(whole.0.first(), Some(Event::Established { .. }));
        prop_assert!(established);
        prop_assert_eq!(whole.1.len(), sizes.len());
        prop_assert!(whole.0.contains(&Event::Released));
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
