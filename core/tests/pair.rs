//! The in-memory pair: requestor and acceptor cores wired together with a simulated clock.

mod common;

use common::*;
use dimse_core::assoc::{AcceptorPolicy, ContextResult, RequestorConfig};
use dimse_core::connection::AbortOrigin;
use dimse_core::pdu::{Abort, AbortReason, AbortSource, AssociateRj};
use dimse_core::ul::State;
use dimse_core::{Connection, Event, Instant};

#[test]
fn associate_exchange_release() {
    for chunk in [1, 2, 3, 7, 64, 100_000] {
        let mut p = Pair::associated(chunk);
        let est = p.acc.events[0];
        assert!(matches!(
            est,
            Event::Established {
                peer_max_pdu_length: 16382,
                ..
            }
        ));
        // Explicit VR LE is preferred when proposed; context 3 offered only Implicit.
        let pc1 = p.acc.conn.presentation_context(1).unwrap();
        assert_eq!(pc1.transfer_syntax, EXPLICIT);
        assert_eq!(
            p.req.conn.presentation_context(1).unwrap().transfer_syntax,
            EXPLICIT
        );
        assert_eq!(
            p.req.conn.presentation_context(3).unwrap().transfer_syntax,
            IMPLICIT
        );

        // A command and a data set from the requestor, one answer back.
        p.req
            .conn
            .send_pdata(p.now, 1, true, &[1, 2, 3, 4])
            .unwrap();
        p.run();
        let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        p.req.conn.send_pdata(p.now, 1, false, &data).unwrap();
        p.run();
        p.acc.conn.send_pdata(p.now, 3, true, &[9; 10]).unwrap();
        p.run();
        assert_eq!(
            p.acc.values,
            vec![(1, true, vec![1, 2, 3, 4]), (1, false, data.clone())]
        );
        assert_eq!(p.req.values, vec![(3, true, vec![9; 10])]);

        p.req.conn.release(p.now).unwrap();
        p.run();
        assert!(
            p.req.events.ends_with(&[Event::Released, Event::Closed]),
            "{:?}",
            p.req.events
        );
        assert!(p.acc.events.contains(&Event::Released));
        assert_eq!(p.req.conn.state(), State::Sta1);
        // The acceptor waits in Sta13 for the requestor to close the transport (AR-5).
        assert_eq!(p.acc.conn.state(), State::Sta13);
        p.acc.conn.handle_transport_closed(p.now);
        assert_eq!(p.acc.conn.poll_event(), Some(Event::Closed));
        assert!(p.acc.conn.is_closed());
    }
}

#[test]
fn pdata_is_fragmented_to_the_peer_maximum() {
    let mut pol = policy();
    pol.limits.max_pdu_length = 256;
    let config = leak(RequestorConfig::new(
        ae("QA_SCU"),
        ae("DISPLAY"),
        leak(contexts()),
    ));
    let mut p = Pair::new(leak(pol), config, 1000);
    p.run();
    let data: Vec<u8> = (0..2000u32).map(|i| (i * 7) as u8).collect();
    p.req.sent.clear();
    p.req.conn.send_pdata(p.now, 1, false, &data).unwrap();
    p.run();
    assert_eq!(p.acc.values, vec![(1, false, data)]);
    assert!(p.req.sent.len() >= 8);
    for pdu in &p.req.sent {
        let len = u32::from_be_bytes(pdu[2..6].try_into().unwrap());
        assert!(
            len <= 256,
            "P-DATA-TF of PDU-length {len} sent to a peer that takes 256"
        );
        let frag = pdu.len() - 12;
        // Every fragment but the last is even.
        if pdu[11] & 2 == 0 {
            assert_eq!(frag % 2, 0);
        }
    }
}

#[test]
fn abort_by_requestor() {
    let mut p = Pair::associated(5);
    p.req.conn.abort(p.now).unwrap();
    p.run();
    assert_eq!(
        p.req.events.last(),
        Some(&Event::Aborted(AbortOrigin::Local))
    );
    assert_eq!(
        p.acc.events[p.acc.events.len() - 2..],
        [
            Event::Aborted(AbortOrigin::Peer(Abort::USER)),
            Event::Closed
        ]
    );
    assert!(p.acc.conn.is_closed());
    // The requestor waits in Sta13 until ARTIM (30 s) closes it.
    assert_eq!(p.req.conn.state(), State::Sta13);
    assert_eq!(
        p.req.conn.poll_timeout(),
        Some(Instant::from_millis(30_000))
    );
    p.advance(30_000);
    assert!(p.req.conn.is_closed());
    assert_eq!(p.req.events.last(), Some(&Event::Closed));
}

#[test]
fn artim_closes_a_connection_that_never_speaks() {
    let pol = leak(policy());
    let mut acc = Side::new(Connection::acceptor(pol, storage(64, 64), Instant::ZERO));
    assert_eq!(acc.conn.state(), State::Sta2);
    assert_eq!(acc.conn.poll_timeout(), Some(Instant::from_millis(30_000)));
    acc.conn.handle_timeout(Instant::from_millis(29_999)); // spurious: nothing happens
    assert_eq!(acc.drain(), Vec::<u8>::new());
    assert_eq!(acc.conn.state(), State::Sta2);
    acc.conn.handle_timeout(Instant::from_millis(30_000));
    assert_eq!(acc.drain(), Vec::<u8>::new(), "AA-2 sends nothing");
    assert_eq!(acc.events, vec![Event::Closed]);
    assert!(acc.conn.is_closed());
    assert_eq!(acc.conn.poll_timeout(), None);
}

fn rejected_with(pol: AcceptorPolicy<'static>, calling: &str, called: &str) -> (Pair, AssociateRj) {
    let config = leak(RequestorConfig::new(
        ae(calling),
        ae(called),
        leak(contexts()),
    ));
    let mut p = Pair::new(leak(pol), config, 3);
    p.run();
    let Some(Event::Rejected(rj)) = p.req.events.first().copied() else {
        panic!("not rejected: {:?}", p.req.events);
    };
    assert_eq!(p.acc.events.first(), Some(&Event::Rejected(rj)));
    assert!(p.req.conn.is_closed());
    assert_eq!(p.acc.conn.state(), State::Sta13);
    (p, rj)
}

#[test]
fn reject_called_ae() {
    let mut pol = policy();
    pol.check_called_ae = true;
    let (_, rj) = rejected_with(pol, "QA_SCU", "SOMEONE");
    assert_eq!(rj, AssociateRj::CALLED_AE_NOT_RECOGNIZED);
    // Any called AE is accepted by default.
    let config = leak(RequestorConfig::new(
        ae("QA_SCU"),
        ae("SOMEONE"),
        leak(contexts()),
    ));
    let mut p = Pair::new(leak(policy()), config, 3);
    p.run();
    assert!(p.acc.conn.is_established());
}

#[test]
fn reject_calling_ae_not_on_allow_list() {
    let mut pol = policy();
    pol.calling_ae_allow_list = Some(leak([ae("QA_SERVER")]));
    let (_, rj) = rejected_with(pol, "INTRUDER", "DISPLAY");
    assert_eq!(rj, AssociateRj::CALLING_AE_NOT_RECOGNIZED);
    assert_eq!(rj.describe(), "calling AE title not recognized");
}

#[test]
fn rejected_acceptor_closes_on_artim_after_the_reject() {
    let mut pol = policy();
    pol.check_called_ae = true;
    let (mut p, _) = rejected_with(pol, "QA_SCU", "SOMEONE");
    p.advance(30_000);
    assert!(p.acc.conn.is_closed());
    assert_eq!(p.acc.events.last(), Some(&Event::Closed));
}

#[test]
fn unsupported_abstract_syntax_rejects_the_context_only() {
    static PRINTER: [&str; 1] = ["1.2.840.10008.5.1.1.16"];
    let pcs = leak([
        dimse_core::pdu::PresentationContextRq {
            id: 1,
            abstract_syntax: DISPLAY_SYSTEM,
            transfer_syntaxes: &IMPLICIT_ONLY,
        },
        dimse_core::pdu::PresentationContextRq {
            id: 5,
            abstract_syntax: PRINTER[0],
            transfer_syntaxes: &IMPLICIT_ONLY,
        },
        dimse_core::pdu::PresentationContextRq {
            id: 7,
            abstract_syntax: DISPLAY_SYSTEM,
            transfer_syntaxes: leak(["1.2.840.10008.1.2.4.50"]),
        },
    ]);
    let config = leak(RequestorConfig::new(ae("QA_SCU"), ae("DISPLAY"), pcs));
    let mut p = Pair::new(leak(policy()), config, 11);
    p.run();
    assert!(p.req.conn.is_established());
    let n = p.req.conn.negotiated().unwrap();
    let results: Vec<_> = n.contexts.iter().map(|c| (c.id, c.result)).collect();
    assert_eq!(
        results,
        vec![
            (1, ContextResult::Acceptance),
            (5, ContextResult::AbstractSyntaxNotSupported),
            (7, ContextResult::TransferSyntaxesNotSupported)
        ]
    );
    assert!(p.req.conn.presentation_context(5).is_none());
    assert_eq!(
        p.req.conn.send_pdata(p.now, 5, true, &[0, 0]),
        Err(dimse_core::connection::ApiError::UnknownContext)
    );
}

#[test]
fn release_collision() {
    let mut p = Pair::associated(4);
    // Both sides ask to release before either sees the other's request.
    p.req.conn.release(p.now).unwrap();
    p.acc.conn.release(p.now).unwrap();
    p.run();
    assert!(
        p.req.events.contains(&Event::Released),
        "{:?}",
        p.req.events
    );
    assert!(
        p.acc.events.contains(&Event::Released),
        "{:?}",
        p.acc.events
    );
    // The requestor ends closed after AR-3; the acceptor in Sta13 awaiting the close.
    assert!(p.req.conn.is_closed(), "{:?}", p.req.conn.state());
    assert_eq!(p.acc.conn.state(), State::Sta13);
}

#[test]
fn peer_closing_the_transport_mid_association_is_a_provider_abort() {
    let mut p = Pair::associated(8);
    p.acc.conn.handle_transport_closed(p.now);
    assert_eq!(
        p.acc.conn.poll_event(),
        Some(Event::Aborted(AbortOrigin::TransportClosed))
    );
    assert!(p.acc.conn.is_closed());
}

#[test]
fn network_timeout_aborts_an_idle_association() {
    let mut p = Pair::associated(8);
    // The requestor stays silent; the acceptor's network timer (60 s) fires.
    p.acc.conn.handle_timeout(Instant::from_millis(60_000));
    let out = p.acc.drain();
    assert_eq!(out, vec![7, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    assert!(p.acc.events.contains(&Event::Aborted(AbortOrigin::Timeout)));
}

#[test]
fn garbage_before_the_request_is_answered_with_a_user_abort() {
    let pol = leak(policy());
    let mut acc = Side::new(Connection::acceptor(pol, storage(64, 64), Instant::ZERO));
    let out = acc.feed(Instant::ZERO, &[0x09, 0, 0, 0, 0, 2, 0xaa, 0xbb], 100);
    // AA-1: A-ABORT with the service-user source (PS3.8 literal), then Sta13.
    assert_eq!(out, vec![7, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    assert_eq!(acc.conn.state(), State::Sta13);
}

#[test]
fn unexpected_pdu_in_sta6_is_a_provider_abort() {
    let mut p = Pair::associated(8);
    // An A-ASSOCIATE-RQ on an established association (Evt6 in Sta6: AA-8).
    let rq = p.req.sent[0].clone();
    let out = p.acc.feed(p.now, &rq, 1);
    assert_eq!(out, vec![7, 0, 0, 0, 0, 4, 0, 0, 2, 2]);
    assert!(p
        .acc
        .events
        .contains(&Event::Aborted(AbortOrigin::Protocol(Abort {
            source: AbortSource::ServiceProvider,
            reason: AbortReason::UnexpectedPdu
        }))));
    assert_eq!(p.acc.conn.state(), State::Sta13);
}

/// The figure in BENCHMARKS.md: state of one association besides the caller-owned buffers.
#[test]
fn size_of_connection_state() {
    let n = std::mem::size_of::<Connection<'static>>();
    println!("size_of::<Connection>() = {n} bytes");
    // Goal (issue 2): under 8 KiB of state besides the caller-owned buffers.
    assert!(n < 8 * 1024, "{n}");
}
