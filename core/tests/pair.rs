//! The in-memory pair: requestor and acceptor cores wired together with a simulated clock.

mod common;

use common::*;
use dimse_core::assoc::{AcceptorPolicy, ContextResult, RequestorConfig};
use dimse_core::connection::{AbortOrigin, ApiError};
use dimse_core::dataset::Tag;
use dimse_core::dimse::Operation;
use dimse_core::dimse::{CommandField, Status};
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

        // An N-GET from the requestor, answered with a data set of several PDUs; then a
        // C-ECHO on context 3, which the acceptor core answers itself.
        let id = p
            .req
            .conn
            .send_n_get(p.now, DISPLAY_SYSTEM, DISPLAY_INSTANCE, None)
            .unwrap();
        p.run();
        assert_eq!(
            p.acc.events.last(),
            Some(&Event::Request {
                op: Operation::NGet,
                message_id: id,
                context_id: 1
            })
        );
        let rq = p.acc.conn.n_get_request().unwrap();
        assert_eq!(
            (rq.sop_class_uid, rq.sop_instance_uid, rq.requested_len()),
            (DISPLAY_SYSTEM, DISPLAY_INSTANCE, 0)
        );
        let data = blob(5000, 1);
        assert_eq!(p.respond(Status::SUCCESS, Some(&ob_attribute(&data))), 0);
        assert_eq!(
            p.req.events.last(),
            Some(&Event::Response {
                op: Operation::NGet,
                message_id: id,
                status: 0,
                related_fields: false,
                data_set_len: Some(5012)
            })
        );
        let echo = p.req.conn.send_c_echo(p.now).unwrap();
        assert_ne!(echo, id);
        p.run();
        assert_eq!(
            p.acc.events.last(),
            Some(&Event::Answered {
                message_id: echo,
                context_id: 3,
                command_field: CommandField::C_ECHO_RQ,
                status: 0
            })
        );
        assert_eq!(
            p.req.events.last(),
            Some(&Event::Response {
                op: Operation::CEcho,
                message_id: echo,
                status: 0,
                related_fields: false,
                data_set_len: None
            })
        );
        assert_eq!(
            p.req.responses,
            vec![
                Received {
                    status: 0,
                    error_comment: None,
                    attribute_list: vec![],
                    data_set: Some(ob_explicit(&data)),
                },
                Received {
                    status: 0,
                    error_comment: None,
                    attribute_list: vec![],
                    data_set: None,
                }
            ]
        );
        // Nothing is left waiting on either side.
        assert!(p.acc.conn.n_get_request().is_none());

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
        p.acc.drain();
        assert_eq!(p.acc.events.last(), Some(&Event::Closed));
        assert!(p.acc.conn.is_closed());
    }
}

/// The P-DATA-TF PDUs in `sent`, each checked against a peer maximum of `max`: one PDV per
/// PDU, PDU-length <= `max`, every fragment but a value's last one even. Returns each PDV's
/// Message Control Header.
fn check_fragments(sent: &[Vec<u8>], max: u32) -> Vec<u8> {
    let mut headers = Vec::new();
    for pdu in sent.iter().filter(|p| p[0] == 0x04) {
        let len = u32::from_be_bytes(pdu[2..6].try_into().unwrap());
        assert!(
            len <= max,
            "P-DATA-TF of PDU-length {len} sent to a peer that takes {max}"
        );
        assert_eq!(len as usize, pdu.len() - 6);
        // One PDV filling the PDU: its length covers the rest.
        let pdv = u32::from_be_bytes(pdu[6..10].try_into().unwrap());
        assert_eq!(pdv as usize, pdu.len() - 10, "one PDV per P-DATA-TF");
        let frag = pdu.len() - 12;
        let mch = pdu[11];
        // Every fragment but the last is even.
        if mch & 2 == 0 {
            assert_eq!(frag % 2, 0, "odd fragment that is not the last");
        }
        headers.push(mch);
    }
    headers
}

/// A message's Message Control Headers: command fragments (bit 0 set) ending with the last
/// one (03H), then, if it has one, data set fragments (bit 0 clear) ending with 02H. A PDV is
/// either command or data, so the two never share one.
fn assert_command_then_data(headers: &[u8], with_data: bool) {
    let split = headers
        .iter()
        .position(|h| h & 1 == 0)
        .unwrap_or(headers.len());
    let (command, data) = headers.split_at(split);
    assert!(!command.is_empty(), "{headers:02x?}");
    assert!(
        command[..command.len() - 1].iter().all(|&h| h == 0x01),
        "{headers:02x?}"
    );
    assert_eq!(command[command.len() - 1], 0x03, "{headers:02x?}");
    if with_data {
        assert!(!data.is_empty(), "{headers:02x?}");
        assert!(
            data[..data.len() - 1].iter().all(|&h| h == 0x00),
            "{headers:02x?}"
        );
        assert_eq!(data[data.len() - 1], 0x02, "{headers:02x?}");
    } else {
        assert!(data.is_empty(), "{headers:02x?}");
    }
}

#[test]
fn pdata_is_fragmented_to_the_peer_maximum() {
    // Both sides take at most 256-byte P-DATA-TF PDUs.
    let mut pol = policy();
    pol.limits.max_pdu_length = 256;
    let mut config = RequestorConfig::new(ae("QA_SCU"), ae("DISPLAY"), leak(contexts()));
    config.limits.max_pdu_length = 256;
    let mut p = Pair::new(leak(pol), leak(config), 1000);
    p.run();
    assert!(p.req.conn.is_established());

    // An N-GET-RQ with a long Attribute Identifier List: a command set of several PDUs.
    let asked: Vec<Tag> = std::iter::once(BLOB)
        .chain((0..99u16).map(|i| Tag::new(0x0011, 0x1000 + i)))
        .collect();
    p.req.sent.clear();
    let id = p
        .req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, DISPLAY_INSTANCE, Some(&asked))
        .unwrap();
    p.run();
    let headers = check_fragments(&p.req.sent, 256);
    assert!(headers.len() >= 2, "{headers:02x?}");
    assert_command_then_data(&headers, false);
    let rq = p.acc.conn.n_get_request().unwrap();
    assert_eq!(rq.requested_tags().collect::<Vec<_>>(), asked);

    // The answer: 99 requested attributes missing (0107H, listed in the command set, which
    // takes several PDUs too) and a 2000-byte data set.
    let data = blob(2000, 2);
    p.acc.sent.clear();
    assert_eq!(
        p.respond(Status::SUCCESS, Some(&ob_attribute(&data))),
        0x0107
    );
    let headers = check_fragments(&p.acc.sent, 256);
    assert!(headers.len() >= 10, "{headers:02x?}");
    assert_command_then_data(&headers, true);
    assert_eq!(
        p.req.events.last(),
        Some(&Event::Response {
            op: Operation::NGet,
            message_id: id,
            status: 0x0107,
            // The Attribute Identifier List of the tags it did not have.
            related_fields: true,
            data_set_len: Some(2012)
        })
    );
    assert_eq!(
        p.req.responses,
        vec![Received {
            status: 0x0107,
            error_comment: None,
            attribute_list: asked[1..].to_vec(),
            data_set: Some(ob_explicit(&data)),
        }]
    );
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
    // No accepted context carries the Printer class: nothing to send an N-GET on.
    assert_eq!(
        p.req
            .conn
            .send_n_get(p.now, PRINTER[0], "1.2.840.10008.5.1.1.17", None),
        Err(ApiError::UnknownContext)
    );
    // Nor Verification, which was not proposed.
    assert_eq!(p.req.conn.send_c_echo(p.now), Err(ApiError::UnknownContext));
    // The Display System context still works.
    p.req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, DISPLAY_INSTANCE, None)
        .unwrap();
    p.run();
    assert!(matches!(
        p.acc.events.last(),
        Some(Event::Request {
            op: Operation::NGet,
            context_id: 1,
            ..
        })
    ));
}

/// The local API's refusals: before and after the association, an unknown SOP class, a second
/// request while one is outstanding (window of 1) or while the transmit buffer is full, an
/// answer to no request.
#[test]
fn api_errors() {
    let config = leak(RequestorConfig::new(
        ae("QA_SCU"),
        ae("DISPLAY"),
        leak(contexts()),
    ));
    let mut p = Pair::new(leak(policy()), config, 9);
    // Sta5: not established yet.
    assert_eq!(
        p.req
            .conn
            .send_n_get(p.now, DISPLAY_SYSTEM, DISPLAY_INSTANCE, None),
        Err(ApiError::InvalidState)
    );
    assert_eq!(p.req.conn.send_c_echo(p.now), Err(ApiError::InvalidState));
    p.run();
    assert!(p.req.conn.is_established());

    // An SOP class no context carries; UIDs that are not UIDs.
    assert_eq!(
        p.req
            .conn
            .send_n_get(p.now, "1.2.840.10008.5.1.1.16", DISPLAY_INSTANCE, None),
        Err(ApiError::UnknownContext)
    );
    assert_eq!(
        p.req
            .conn
            .send_n_get(p.now, "1.2.x", DISPLAY_INSTANCE, None),
        Err(ApiError::InvalidUid)
    );
    assert_eq!(
        p.req.conn.send_n_get(p.now, DISPLAY_SYSTEM, "1..2", None),
        Err(ApiError::InvalidUid)
    );

    // One request at a time: a second one is Busy, before and after the first is on the wire.
    let id = p
        .req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, DISPLAY_INSTANCE, None)
        .unwrap();
    assert_eq!(p.req.conn.send_c_echo(p.now), Err(ApiError::Busy));
    p.run();
    assert_eq!(p.req.conn.send_c_echo(p.now), Err(ApiError::Busy));
    assert_eq!(
        p.req
            .conn
            .send_n_get(p.now, DISPLAY_SYSTEM, DISPLAY_INSTANCE, None),
        Err(ApiError::Busy)
    );

    // The SCP: an unknown Message ID, then the answer; a second answer finds no request;
    // the requestor can ask again.
    assert_eq!(
        p.acc
            .conn
            .respond_n_get(p.now, id.wrapping_add(1), Status::SUCCESS, None),
        Err(ApiError::UnknownRequest)
    );
    let data = [1u8, 2, 3];
    let source = ob_attribute(&data);
    assert_eq!(
        p.acc
            .conn
            .respond_n_get(p.now, id, Status::SUCCESS, Some(&source)),
        Ok(0)
    );
    // The response sits in the transmit buffer until drained.
    assert_eq!(
        p.acc
            .conn
            .respond_n_get(p.now, id, Status::SUCCESS, Some(&source)),
        Err(ApiError::UnknownRequest)
    );
    p.run();
    assert_eq!(p.req.responses.len(), 1);
    assert_eq!(p.req.responses[0].data_set, Some(ob_explicit(&data)));
    let echo = p.req.conn.send_c_echo(p.now).unwrap();
    p.run();
    assert!(p.req.events.contains(&Event::Response {
        op: Operation::CEcho,
        message_id: echo,
        status: 0,
        related_fields: false,
        data_set_len: None
    }));

    // After the release nothing can be sent any more.
    p.req.conn.release(p.now).unwrap();
    p.run();
    assert!(p.req.conn.is_closed());
    assert_eq!(p.req.conn.send_c_echo(p.now), Err(ApiError::InvalidState));
    assert_eq!(
        p.acc.conn.respond_n_get(p.now, id, Status::SUCCESS, None),
        Err(ApiError::InvalidState)
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
    let before = p.acc.events.len();
    p.acc.drain();
    assert_eq!(
        p.acc.events.get(before),
        Some(&Event::Aborted(AbortOrigin::TransportClosed))
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
    assert!(p.acc.events.contains(&Event::Aborted(AbortOrigin::Timeout(
        dimse_core::connection::Timer::Network
    ))));
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

#[test]
fn refuse_rejects_with_the_given_reason_whatever_the_policy() {
    let config = leak(RequestorConfig::new(
        ae("QA_SCU"),
        ae("DISPLAY"),
        leak(contexts()),
    ));
    let mut p = Pair::new(leak(policy()), config, 5);
    p.acc.conn.refuse(AssociateRj::LOCAL_LIMIT_EXCEEDED);
    p.run();
    assert!(p
        .req
        .events
        .contains(&Event::Rejected(AssociateRj::LOCAL_LIMIT_EXCEEDED)));
    assert!(p.req.conn.is_closed());
    // The acceptor waits for the requestor to close (ARTIM running), then is closed.
    assert_eq!(p.acc.conn.state(), State::Sta13);
    p.acc.conn.handle_transport_closed(p.now);
    assert!(p.acc.conn.is_closed());
}

#[test]
fn passcode_identity_is_enforced() {
    use dimse_core::assoc::Passcode;
    use dimse_core::pdu::{UserIdentityRq, UserIdentityType};
    static CHECK: Passcode<'static> = Passcode::new(b"qa-station", b"s3cret");
    for (pass, required, accepted) in [
        (Some(&b"s3cret"[..]), true, true),
        (Some(&b"wrong"[..]), true, false),
        (Some(&b"wrong"[..]), false, false),
        (None, true, false),
        (None, false, true),
    ] {
        let mut pol = policy();
        pol.user_identity = Some(&CHECK);
        pol.require_user_identity = required;
        let mut config = RequestorConfig::new(ae("QA_SCU"), ae("DISPLAY"), leak(contexts()));
        config.user_identity = pass.map(|p| UserIdentityRq {
            identity_type: UserIdentityType::UsernamePasscode,
            positive_response_requested: true,
            primary_field: b"qa-station",
            secondary_field: leak(p.to_vec()),
        });
        let mut p = Pair::new(leak(pol), leak(config), 7);
        p.run();
        let what = format!("passcode {pass:?}, required {required}");
        if accepted {
            assert!(p.req.conn.is_established(), "{what}: {:?}", p.req.events);
        } else {
            assert!(
                p.req
                    .events
                    .contains(&Event::Rejected(AssociateRj::PROVIDER_NO_REASON)),
                "{what}: {:?}",
                p.req.events
            );
        }
    }
}

/// A requestor offering `n` contexts (Verification, then Display System, alternating), with
/// both sides writing into an `out` of `out_len` bytes; associated, one C-ECHO, released.
/// Returns every byte each side sent, in order, and the acceptor's transmit-call count.
fn many_contexts_session(n: u8, out_len: usize) -> (Vec<u8>, Vec<u8>, usize) {
    let contexts: Vec<dimse_core::pdu::PresentationContextRq<'static>> = (0..n)
        .map(|i| dimse_core::pdu::PresentationContextRq {
            id: 2 * i + 1,
            abstract_syntax: if i % 2 == 0 {
                VERIFICATION
            } else {
                DISPLAY_SYSTEM
            },
            transfer_syntaxes: &BOTH_TS,
        })
        .collect();
    let config = leak(RequestorConfig::new(
        ae("QA_SCU"),
        ae("DISPLAY"),
        leak(contexts).as_slice(),
    ));
    let mut p = Pair::new(leak(policy()), config, 1 << 20);
    p.req.transmit_buffer = out_len;
    p.acc.transmit_buffer = out_len;
    p.run();
    assert!(p.acc.conn.is_established(), "{:?}", p.acc.events);
    p.req.conn.send_c_echo(p.now).unwrap();
    p.run();
    assert_eq!(p.req.responses.len(), 1);
    p.req.conn.release(p.now).unwrap();
    p.run();
    assert!(p.req.events.contains(&Event::Released));
    let calls = p.acc.sent.len();
    (p.req.sent.concat(), p.acc.sent.concat(), calls)
}

#[test]
fn an_associate_pdu_larger_than_out_goes_out_in_pieces_from_the_transmit_storage() {
    // 128 contexts: an A-ASSOCIATE-RQ of about 9 KB and an A-ASSOCIATE-AC of about 4 KB,
    // through outputs of 14 bytes (the smallest P-DATA-TF) and up: the same bytes as
    // through one that holds each PDU whole.
    let (req_whole, acc_whole, calls_whole) = many_contexts_session(128, 1 << 20);
    assert!(acc_whole.len() > 4000, "{}", acc_whole.len());
    // The first PDU of each side (P-DATA after it is cut to `out`, so it differs).
    let first = |wire: &[u8]| {
        let len = u32::from_be_bytes(wire[2..6].try_into().unwrap()) as usize;
        wire[..6 + len].to_vec()
    };
    for out_len in [14, 100, 1000, 4096] {
        let (req, acc, calls) = many_contexts_session(128, out_len);
        assert!(first(&req) == first(&req_whole), "requestor, out {out_len}");
        assert!(first(&acc) == first(&acc_whole), "acceptor, out {out_len}");
        assert!(
            calls > calls_whole,
            "out {out_len}: the A-ASSOCIATE-AC came in pieces"
        );
    }
    // `min_output_len` says so: the storage holds the largest answer.
    let p = Pair::new(
        leak(policy()),
        leak(RequestorConfig::new(
            ae("QA_SCU"),
            ae("DISPLAY"),
            leak(contexts()),
        )),
        1,
    );
    assert_eq!(p.acc.conn.min_output_len(), 14);
    assert_eq!(p.req.conn.min_output_len(), 14);
}

#[test]
fn an_associate_pdu_too_large_for_out_and_storage_is_refused_and_stays_queued() {
    let config = leak(RequestorConfig::new(
        ae("QA_SCU"),
        ae("DISPLAY"),
        leak(contexts()),
    ));
    let mut req = Connection::requestor(config, storage(1024, 64), Instant::ZERO).unwrap();
    let whole =
        config_len(&mut Connection::requestor(config, storage(1024, 64), Instant::ZERO).unwrap());
    assert!(whole > 64);
    assert_eq!(req.min_output_len(), whole);
    let mut small = [0u8; 32];
    assert!(req.poll_output(&mut small).is_err());
    assert!(req.poll_output(&mut []).is_err());
    assert!(req.has_transmit());
}

/// The A-ASSOCIATE-RQ's length, through an output that holds it.
fn config_len(c: &mut Connection<'static>) -> usize {
    let mut buf = [0u8; 4096];
    match c.poll_output(&mut buf) {
        Ok(dimse_core::Output::Transmit(n)) => n,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_local_abort_finishes_the_associate_pdu_partly_handed_out_first() {
    let config = leak(RequestorConfig::new(
        ae("QA_SCU"),
        ae("DISPLAY"),
        leak(contexts()),
    ));
    let mut whole = Connection::requestor(config, storage(1024, 4096), Instant::ZERO).unwrap();
    let rq_len = config_len(&mut whole);
    let mut req = Connection::requestor(config, storage(1024, 4096), Instant::ZERO).unwrap();
    let mut wire = Vec::new();
    let mut buf = [0u8; 50];
    match req.poll_output(&mut buf) {
        Ok(dimse_core::Output::Transmit(50)) => wire.extend_from_slice(&buf),
        other => panic!("{other:?}"),
    }
    req.abort(Instant::ZERO).unwrap();
    while let Ok(dimse_core::Output::Transmit(n)) = req.poll_output(&mut buf) {
        wire.extend_from_slice(&buf[..n]);
    }
    // The whole A-ASSOCIATE-RQ, then the A-ABORT (service-user), and nothing else.
    assert_eq!(wire.len(), rq_len + 10);
    assert_eq!(wire[0], 0x01);
    assert_eq!(&wire[rq_len..], &[0x07, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
}

/// A Maximum Length of 0 means no limit (PS3.8 §D.1): a requestor that advertises it takes
/// P-DATA-TF PDUs of any length (it once refused every one, as longer than 0: found by
/// `dimse check`).
#[test]
fn a_maximum_length_of_zero_takes_pdus_of_any_length() {
    let mut config = RequestorConfig::new(ae("QA_SCU"), ae("DISPLAY"), leak(contexts()));
    config.limits.max_pdu_length = 0;
    let mut p = Pair::new(leak(policy()), leak(config), 1 << 20);
    p.run();
    assert!(p.req.conn.is_established(), "{:?}", p.req.events);
    p.req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, DISPLAY_INSTANCE, None)
        .unwrap();
    p.run();
    let blob = blob(40_000, 3);
    let data = ob_attribute(&blob);
    assert_eq!(p.respond(Status::SUCCESS, Some(&data)), 0x0000);
    assert_eq!(p.req.responses.len(), 1, "{:?}", p.req.events);
    assert_eq!(p.req.responses[0].status, 0x0000);
    // One PDV of the whole data set: the acceptor had no maximum to cut to.
    assert!(p.acc.sent.iter().any(|pdu| pdu.len() > 40_000));
}
